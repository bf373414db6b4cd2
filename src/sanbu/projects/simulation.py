"""What a ruleset version (a draft, or a published one) would change (issue 6, policy simulation): every
decision of every project and system that follows the version's ruleset, or a ruleset inheriting from it
(沂源 under 淄博, rebuilt over the changed parent), under the ruleset in force and under the version, from
one build of the facts.

Which gates a project is simulated on follows where it stands:

- submitted, in review, reviewed: S 申报 and A 立项 (the money: the amount applied for);
- approved and accepted: the gates of their stage (``stages``: F 拨款 with the next scheduled tranche as
  the request, C 建设 while built, K 验收 once applied for, E 绩效评价 once accepted; the money: the
  approved amount);
- every running system: O 运维经费 for the current year (the money: the O&M funds requested).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.orgs import rulesets
from sanbu.policy.decisions import Decision
from sanbu.policy.gates import evaluate
from sanbu.policy.rulesets import Ruleset
from sanbu.policy.simulate import Difference, difference, summarize

from . import facts, operations, stages
from .models import OperationsReview, Project, ProjectState, Tranche, TrancheState

REVIEWING = (ProjectState.SUBMITTED, ProjectState.IN_REVIEW, ProjectState.REVIEWED)
SIMULATED_STATES = (*REVIEWING, ProjectState.APPROVED, ProjectState.ACCEPTED)


@dataclass(frozen=True)
class Simulation:
    ruleset: str
    version_id: int
    rulesets: tuple[str, ...]  # the version's ruleset and those inheriting from it, all simulated
    projects: int  # projects simulated
    differences: list[Difference]
    summary: dict[str, int]
    names: dict[int, tuple[str, str, str]]  # project id → (name, unit, state label)
    systems: int = 0  # running systems simulated on gate O
    system_differences: tuple[Difference, ...] = ()
    system_summary: dict[str, int] | None = None
    system_names: dict[int, tuple[str, str, str]] | None = None  # system id → (name, department, year)


Pair = tuple[Ruleset, Ruleset]


def _both(letters: Iterable[str], f: Any, pair: Pair) -> tuple[list[Decision], list[Decision]]:
    before: list[Decision] = []
    after: list[Decision] = []
    for letter in letters:
        before += evaluate(letter, f, pair[0])
        after += evaluate(letter, f, pair[1])
    return before, after


def _next_tranches(project_ids: Iterable[int]) -> tuple[dict[int, int], set[int]]:
    """Each project's next scheduled tranche amount (what a payment request would ask for now), and the
    projects whose next tranche is 启动资金."""
    out: dict[int, int] = {}
    startup: set[int] = set()
    rows = Tranche.objects.filter(project_id__in=project_ids, state=TrancheState.SCHEDULED).order_by(
        "project_id", "number"
    )
    for pk, amount, is_startup in rows.values_list("project_id", "amount", "startup"):
        if pk not in out:
            out[pk] = amount
            if is_startup:
                startup.add(pk)
    return out, startup


def _collect(
    diffs: list[Difference], key: int, amount: int, before: list[Decision], after: list[Decision]
) -> None:
    found = difference(key, amount, before, after)
    if found is not None:
        diffs.append(found)


def _sort(diffs: list[Difference]) -> list[Difference]:
    return sorted(diffs, key=lambda d: (not (d.blocked_after and not d.blocked_before), -d.amount, d.key))


def simulate_projects(pairs: dict[str, Pair], places: dict[str, str], today: date) -> tuple[int, list[Difference], dict[int, dict[str, Any]]]:  # fmt: skip
    """Every simulated project of the jurisdictions in ``places`` (code → ruleset name)."""
    chosen = Project.objects.filter(jurisdiction_id__in=places, state__in=SIMULATED_STATES)
    rows: dict[int, dict[str, Any]] = {
        p["pk"]: dict(p)
        for p in chosen.values(
            "pk", "name", "amount", "approved_amount", "state", "unit__name", "jurisdiction_id"
        )
    }
    pair_of: Callable[[int], Pair] = lambda pk: pairs[places[rows[pk]["jurisdiction_id"]]]  # noqa: E731
    by_state: dict[str, list[int]] = defaultdict(list)
    for pk, r in rows.items():
        by_state[r["state"]].append(pk)
    diffs: list[Difference] = []
    reviewing = [pk for s in REVIEWING for pk in by_state[s]]
    if reviewing:
        for batch in facts.facts_in_batches(Project.objects.filter(pk__in=reviewing), today):
            for pk, f in batch.items():
                _collect(diffs, pk, rows[pk]["amount"], *_both("SA", f, pair_of(pk)))
    built = [pk for s in (ProjectState.APPROVED, ProjectState.ACCEPTED) for pk in by_state[s]]
    if built:
        projects = list(Project.objects.filter(pk__in=built))
        requested, startup = _next_tranches(built)
        staged = stages.stage_facts(projects, today, requested=requested, startup=startup)
        for p in projects:
            pair = pair_of(p.pk)
            before, after = stages.decide(staged[p.pk], pair[0]), stages.decide(staged[p.pk], pair[1])
            _collect(diffs, p.pk, p.approved_amount or p.amount, before, after)
    return len(rows), _sort(diffs), rows


def simulate_systems(pairs: dict[str, Pair], places: dict[str, str], today: date) -> tuple[int, list[Difference], dict[int, tuple[str, str, str]]]:  # fmt: skip
    """Gate O of every running system of the jurisdictions in ``places`` for the current year."""
    systems = list(
        InformationSystem.objects.filter(
            jurisdiction_id__in=places, status=SystemStatus.RUNNING
        ).select_related("department")
    )
    year = today.year
    built = operations.operations_facts_many(systems, year, today)
    budgets = dict(
        OperationsReview.objects.filter(system__in=systems, year=year).values_list(
            "system_id", "requested_budget"
        )
    )
    diffs: list[Difference] = []
    for s in systems:
        if s.pk in built:
            _collect(
                diffs, s.pk, budgets.get(s.pk, 0), *_both("O", built[s.pk], pairs[places[s.jurisdiction_id]])
            )
    names = {s.pk: (s.name, s.department.name, str(year)) for s in systems}
    return len(systems), _sort(diffs), names


def simulate(*, actor: Actor, version_id: int, today: date | None = None) -> Simulation:
    """Every decision a version would change, for the projects and systems following its ruleset or a
    ruleset inheriting from it."""
    version = rulesets.version_get(actor=actor, version_id=version_id)
    pairs = rulesets.rulesets_under_version(version_id)
    today = today or timezone.localdate()
    codes = set(Project.objects.order_by().values_list("jurisdiction_id", flat=True).distinct())
    codes |= set(InformationSystem.objects.order_by().values_list("jurisdiction_id", flat=True).distinct())
    places = {c: n for c in codes if (n := rulesets.ruleset_name_for(c)) in pairs}
    count, diffs, rows = simulate_projects(pairs, places, today)
    names = {pk: (r["name"], r["unit__name"], ProjectState(r["state"]).label) for pk, r in rows.items()}
    n_systems, system_diffs, system_names = simulate_systems(pairs, places, today)
    return Simulation(
        version.name, version_id, tuple(sorted(pairs)), count, diffs, summarize(diffs), names,
        n_systems, tuple(system_diffs), summarize(system_diffs), system_names,
    )  # fmt: skip
