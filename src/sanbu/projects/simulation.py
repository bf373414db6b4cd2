"""What a ruleset version (a draft, or a published one) would change for the projects that follow it
(issue 6, policy simulation): gates S and A of every live project, under the ruleset in force and under
the version, from one build of the facts.

Projects "follow" the version's ruleset when their jurisdiction's ruleset is that one. Jurisdictions whose
own ruleset inherits from it (沂源 under 淄博) are not simulated yet: their ruleset would have to be
rebuilt over the draft parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.orgs import rulesets
from sanbu.policy.gates import evaluate
from sanbu.policy.simulate import Difference, difference, summarize

from . import facts
from .models import Project, ProjectState

# Projects whose decisions still matter: submitted, under review, reviewed, approved.
SIMULATED_STATES = (
    ProjectState.SUBMITTED,
    ProjectState.IN_REVIEW,
    ProjectState.REVIEWED,
    ProjectState.APPROVED,
)


@dataclass(frozen=True)
class Simulation:
    ruleset: str
    version_id: int
    projects: int  # projects simulated
    differences: list[Difference]
    summary: dict[str, int]
    names: dict[int, tuple[str, str, str]]  # project id → (name, unit, state label)


def simulate(*, actor: Actor, version_id: int, today: date | None = None) -> Simulation:
    """Gates S and A of the projects following the version's ruleset, now and under the version."""
    version = rulesets.version_get(actor=actor, version_id=version_id)
    proposed = rulesets.draft_ruleset(version_id)
    in_force = rulesets.current(version.name)
    today = today or timezone.localdate()
    places = [
        code for code in Project.objects.order_by().values_list("jurisdiction_id", flat=True).distinct()
        if rulesets.ruleset_name_for(code) == version.name
    ]  # fmt: skip
    chosen = Project.objects.filter(jurisdiction_id__in=places, state__in=SIMULATED_STATES)
    rows = {p["pk"]: p for p in chosen.values("pk", "name", "amount", "state", "unit__name")}
    diffs: list[Difference] = []
    for batch in facts.facts_in_batches(chosen, today):
        for pk, f in batch.items():
            before = evaluate("S", f, in_force) + evaluate("A", f, in_force)
            after = evaluate("S", f, proposed) + evaluate("A", f, proposed)
            found = difference(pk, rows[pk]["amount"], before, after)
            if found is not None:
                diffs.append(found)
    diffs.sort(key=lambda d: (not (d.blocked_after and not d.blocked_before), -d.amount, d.key))
    names = {
        pk: (r["name"], r["unit__name"], ProjectState(r["state"]).label) for pk, r in rows.items()
    }  # fmt: skip
    return Simulation(version.name, version_id, len(rows), diffs, summarize(diffs), names)
