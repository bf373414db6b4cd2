"""O&M funds (运维经费, gate O: PRJ-O1..O3), every running system, every budget year.

The unit that runs a system asks for its O&M funds (``operations_request``, ``inventory.system.manage``
on the system); the authority checks every running system of its jurisdiction at once
(``operations_check``, ``projects.project.review``): the facts are built from the platform, gate O is
evaluated with each system's jurisdiction's ruleset, and the facts, decisions and outcome are frozen into
the year's ``OperationsReview`` row, from which the eligibility list is printed.

Facts (``docs/acceptance-operations.md`` has the reasons):

- ``resources``: the catalog resources the system provides (inventory ``provides``), state now.
- ``shares_as_required``: every one of them is published and mounted, and a system that *holds data* (the
  catalog names it as the source system of a resource of its department) provides at least one. A system
  with nothing on record either way has no sharing obligation on record.
- ``collects_again``: the non-key items of the department's resources whose data element's authoritative
  source is another department (CAT-2, as ``catalog.selectors.duplicate_collections``).
- ``crypto_compliant``: 密评 not failed (as PRJ-A3 reads the inventory: not started is not a failure).
- ``security_compliant``: graded for 等保 (level > 0) with a test date on or before the day of the check.
- ``on_extranet``: deployed on 政务外网; ``involves_secrets``: deployed on 政务内网 (the classified network),
  exempt from O1 (三). ``on_gov_cloud`` from the inventory; ``docked`` from ``docked_many``.
- The request (budget, last budget, workload change, last evaluation, hazards, supervision findings) from
  the year's row; no row: a request of 0, a first O&M year.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sanbu.catalog.models import Resource as CatalogResource
from sanbu.catalog.models import ResourceItem
from sanbu.core import audit
from sanbu.core.actor import Actor, Scope, jurisdiction_prefix
from sanbu.core.errors import Conflict, FieldError, NotFound, PermissionDenied
from sanbu.inventory.models import MANAGE, InformationSystem, MipinStatus, Network, SystemStatus
from sanbu.inventory.selectors import docked_many
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.policy.decisions import Decision
from sanbu.policy.lifecycle_facts_k import Grade, OperationsFacts, PromisedResource
from sanbu.policy.rules.acceptance import evaluate_o
from sanbu.policy.rulesets import Ruleset

from . import steps
from .acceptance import PromisedCheck, promised_check
from .models import REVIEW, VIEW, OperationsReview

MAX_BUDGET = 10**12
MIN_YEAR, MAX_YEAR = 2000, 2100
REQUEST_FIELDS = [
    "requested_budget", "last_budget", "workload_change", "last_evaluation", "major_hazards", "eligible", "version",
]  # fmt: skip
CHECK_FIELDS = ["eligible", "ruleset", "checked_at", "checked_by", "version"]
SYSTEM_FIELDS = (
    "id", "name", "department_id", "jurisdiction_id", "status", "network", "on_gov_cloud", "dengbao_level",
    "dengbao_test_date", "mipin_status",
)  # fmt: skip


# --- facts -------------------------------------------------------------------------------------------


def _review_rows(system_ids: Sequence[int], year: int) -> dict[int, OperationsReview]:
    return {r.system_id: r for r in OperationsReview.objects.filter(system_id__in=system_ids, year=year)}


def _facts_many(
    systems: Sequence[InformationSystem], year: int, today: date, reviews: dict[int, OperationsReview]
) -> dict[int, OperationsFacts]:
    if not systems:
        return {}
    ids = [s.pk for s in systems]
    depts = {s.department_id for s in systems}
    provided: dict[int, list[PromisedCheck]] = defaultdict(list)
    for sid, rid, code, name, cstate, mount in (
        InformationSystem.provides.through.objects.filter(informationsystem_id__in=ids)
        .order_by("resource__code", "resource_id")
        .values_list("informationsystem_id", "resource_id", "resource__code", "resource__name",
                     "resource__state", "resource__mount_kind")
    ):  # fmt: skip
        provided[sid].append(promised_check(rid, code, name, cstate, mount, ""))
    sources = set(
        CatalogResource.objects.filter(department_id__in=depts)
        .exclude(source_system="")
        .values_list("department_id", "source_system")
        .distinct()
    )
    again: dict[int, list[str]] = defaultdict(list)
    for dept, resource, item, authority in (
        ResourceItem.objects.filter(resource__department_id__in=depts, element__authority__isnull=False, is_key=False)
        .exclude(resource__department_id=F("element__authority_id"))
        .order_by("resource__department_id", "resource_id", "position", "id")
        .values_list("resource__department_id", "resource__name", "name", "element__authority__name")
    ):  # fmt: skip
        again[dept].append(f"{resource}·{item}（{authority}）")
    units = dict(Department.objects.filter(pk__in=depts).values_list("pk", "name"))
    docking = docked_many(systems, today)
    out: dict[int, OperationsFacts] = {}
    for s in systems:
        resources = provided[s.pk]
        holds_data = (s.department_id, s.name) in sources
        shares = all(r.shared for r in resources) and (bool(resources) or not holds_data)
        row = reviews.get(s.pk)
        tested = s.dengbao_test_date is not None and s.dengbao_test_date <= today
        out[s.pk] = OperationsFacts(
            name=s.name, unit=units.get(s.department_id, ""), year=year, shares_as_required=shares,
            crypto_compliant=s.mipin_status != MipinStatus.FAILED,
            security_compliant=s.dengbao_level > 0 and tested,
            major_hazards=bool(row and row.major_hazards),
            on_extranet=s.network == Network.EXTRANET, on_gov_cloud=s.on_gov_cloud,
            docked=docking[s.pk].docked, requested_budget=row.requested_budget if row else 0,
            involves_secrets=s.network == Network.INTRANET, collects_again=tuple(again[s.department_id]),
            resources=tuple(PromisedResource(r.code, r.name, r.state, r.mounted) for r in resources),
            last_budget=row.last_budget if row else None, workload_change=row.workload_change if row else None,
            last_evaluation=Grade(row.last_evaluation) if row and row.last_evaluation else None,
            supervision_issues=tuple(str(i) for i in (row.supervision_issues or [])) if row else (),
        )  # fmt: skip
    return out


def operations_facts_many(
    systems: Sequence[InformationSystem], year: int, today: date
) -> dict[int, OperationsFacts]:
    """Gate O facts of many systems for ``year`` in a fixed number of queries (about eight)."""
    return _facts_many(systems, year, today, _review_rows([s.pk for s in systems], year))


def operations_facts(system: InformationSystem, year: int, today: date) -> OperationsFacts:
    return operations_facts_many([system], year, today)[system.pk]


def operations_decisions(system: InformationSystem, year: int, today: date | None = None) -> list[Decision]:
    """Gate O for ``system`` and ``year`` with its jurisdiction's ruleset."""
    from sanbu.orgs.rulesets import ruleset_for_jurisdiction

    today = today or steps.today()
    return evaluate_o(operations_facts(system, year, today), ruleset_for_jurisdiction(system.jurisdiction_id))


# --- services ----------------------------------------------------------------------------------------


def _request_problems(year: int, requested_budget: int, last_budget: int | None, workload_change: float | None,
                      last_evaluation: str) -> list[FieldError | None]:  # fmt: skip
    errors: list[FieldError | None] = []
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(FieldError("year", "out_of_range", f"运维年度应在 {MIN_YEAR} 到 {MAX_YEAR} 之间。"))
    if not 0 <= requested_budget <= MAX_BUDGET:
        errors.append(
            FieldError("requested_budget", "out_of_range", "申请运维经费应为不小于 0 的金额（元）。")
        )
    if last_budget is not None and not 0 <= last_budget <= MAX_BUDGET:
        errors.append(FieldError("last_budget", "out_of_range", "上年运维经费应为不小于 0 的金额（元）。"))
    if workload_change is not None and (
        not math.isfinite(workload_change) or not -1 <= workload_change <= 100
    ):
        errors.append(
            FieldError(
                "workload_change",
                "out_of_range",
                "运维工作量变化应为 -1 到 100 之间的数（0.2 表示增加 20%）。",
            )
        )
    if last_evaluation and last_evaluation not in {g.value for g in Grade}:
        grades = "、".join(g.value for g in Grade)
        errors.append(FieldError("last_evaluation", "invalid_choice", f"上年应用绩效评价应为：{grades}。"))
    return errors


@transaction.atomic
def operations_request(*, actor: Actor, system_id: int, year: int, requested_budget: int,
                       last_budget: int | None = None, workload_change: float | None = None,
                       last_evaluation: str = "", major_hazards: bool = False,
                       expected_version: int | None = None) -> OperationsReview:  # fmt: skip
    """The unit's O&M funds request of ``system`` for ``year`` (one row per system and year, created or
    replaced; ``expected_version`` is checked when the row exists). Changing a request clears an earlier
    check: the authority checks it again."""
    system = steps.locked(InformationSystem, system_id, actor, MANAGE, code="inventory.system.not_found",
                          what="信息系统")  # fmt: skip
    if system.status in (SystemStatus.STOPPED, SystemStatus.RETIRED):
        raise Conflict("inventory.system.not_running",
                       f"信息系统“{system.name}”已{SystemStatus(system.status).label}，不能申请运维经费。")  # fmt: skip
    steps.raise_errors(
        _request_problems(year, requested_budget, last_budget, workload_change, last_evaluation)
    )
    row = OperationsReview.objects.select_for_update().filter(system=system, year=year).first()
    before: dict[str, Any] | None = None
    if row is None:
        row = OperationsReview(system=system, year=year)
    else:
        steps.check_version(row, expected_version, "projects.operations.changed")
        before = audit.snapshot(row, REQUEST_FIELDS)
        steps.bump(row)
    row.system = system
    row.requested_budget, row.last_budget, row.workload_change = (
        requested_budget,
        last_budget,
        workload_change,
    )
    row.last_evaluation, row.major_hazards = last_evaluation, major_hazards
    row.eligible, row.decisions, row.facts, row.ruleset, row.checked_at, row.checked_by = (
        None,
        [],
        None,
        "",
        None,
        "",
    )
    row.save()
    audit.record(actor=actor, action="projects.operations.request", obj=row, before=before,
                 after={**audit.snapshot(row, REQUEST_FIELDS), "system": system.pk, "year": year})  # fmt: skip
    return row


def _jurisdiction(actor: Actor, code: str, action: str) -> Jurisdiction:
    place = Jurisdiction.objects.filter(pk=code).first()
    if place is None or not actor.can(action, Scope(jurisdiction=place.code)):
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权办理。", jurisdiction=code)
    return place


def _running(code: str) -> list[InformationSystem]:
    return list(
        InformationSystem.objects.filter(
            jurisdiction__code__startswith=jurisdiction_prefix(code), status=SystemStatus.RUNNING
        )
        .only(*SYSTEM_FIELDS)
        .order_by("department_id", "name", "id")
    )


@transaction.atomic
def operations_check(
    *, actor: Actor, jurisdiction: str, year: int, on: date | None = None
) -> list[OperationsReview]:
    """Check every running system of ``jurisdiction`` (and below) for ``year``'s O&M funds (gate O), each
    with its own jurisdiction's ruleset, and freeze the outcome into the year's rows (created with a request
    of 0 where the unit asked for nothing). The reads take a fixed number of queries."""
    place = _jurisdiction(actor, jurisdiction, REVIEW)
    steps.raise_errors([] if MIN_YEAR <= year <= MAX_YEAR else
                       [FieldError("year", "out_of_range", f"运维年度应在 {MIN_YEAR} 到 {MAX_YEAR} 之间。")])  # fmt: skip
    on = on or steps.today()
    systems = _running(place.code)
    ids = [s.pk for s in systems]
    existing = {
        r.system_id: r
        for r in OperationsReview.objects.select_for_update().filter(system_id__in=ids, year=year)
    }
    facts = _facts_many(systems, year, on, existing)
    from sanbu.orgs.rulesets import ruleset_for_jurisdiction

    rulesets: dict[str, Ruleset] = {}
    now, who = timezone.now(), actor.username[:150]
    changed: list[OperationsReview] = []
    created: list[OperationsReview] = []
    befores: dict[int, dict[str, Any] | None] = {}
    all_decisions: dict[int, list[Decision]] = {}
    for s in systems:
        if s.jurisdiction_id not in rulesets:
            rulesets[s.jurisdiction_id] = ruleset_for_jurisdiction(s.jurisdiction_id)
        rs = rulesets[s.jurisdiction_id]
        ds = evaluate_o(facts[s.pk], rs)
        all_decisions[s.pk] = ds
        row = existing.get(s.pk)
        if row is None:
            row = OperationsReview(system_id=s.pk, year=year)
            befores[s.pk] = None
            created.append(row)
        else:
            befores[s.pk] = audit.snapshot(row, CHECK_FIELDS)
            steps.bump(row)
            changed.append(row)
        row.eligible = not any(d.blocks for d in ds)
        row.decisions = [d.as_dict() for d in ds]
        row.facts = steps.facts_json(facts[s.pk])
        row.ruleset, row.checked_at, row.checked_by = rs.name, now, who
    fields = ["eligible", "decisions", "facts", "ruleset", "checked_at", "checked_by", "version"]
    OperationsReview.objects.bulk_update(changed, fields, batch_size=500)
    OperationsReview.objects.bulk_create(created, batch_size=500)
    if any(r.pk is None for r in created):  # a database that does not return ids from bulk inserts
        pks = dict(
            OperationsReview.objects.filter(system_id__in=ids, year=year).values_list("system_id", "pk")
        )
        for r in created:
            r.pk = pks[r.system_id]
    by_system = {s.pk: s for s in systems}
    order = {pk: i for i, pk in enumerate(ids)}
    rows = sorted([*changed, *created], key=lambda r: order[r.system_id])
    audit.record_many(actor=actor, changes=[
        audit.Change(
            action="projects.operations.check", object_type=OperationsReview._meta.label_lower,
            object_id=str(r.pk), object_repr=f"{by_system[r.system_id].name} {year} 运维经费",
            before=befores[r.system_id],
            after={**audit.snapshot(r, CHECK_FIELDS), "system": r.system_id, "year": year,
                   "failed": [d.rule_id for d in all_decisions[r.system_id] if d.blocks]},
            jurisdiction=by_system[r.system_id].jurisdiction_id,
        )
        for r in rows
    ])  # fmt: skip
    return rows


# --- the eligibility list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityRow:
    """One system on the O&M eligibility list (运维经费资格清单) of a year."""

    review_id: int
    system_id: int
    system_name: str
    department: str
    eligible: bool | None  # None: requested, not checked yet
    failed: tuple[dict[str, str], ...]  # {"rule_id", "reason", "remedy"} of each blocking decision
    review: tuple[dict[str, str], ...]  # the same for decisions sent for review or warning (PRJ-O3)
    requested_budget: int
    suggested_budget: int | None  # None: not checked
    checked_at: Any
    ruleset: str


def suggested_budget(
    eligible: bool | None, requested: int, decisions: Sequence[dict[str, Any]]
) -> int | None:
    """What the list suggests: nothing for an ineligible system, the request capped at PRJ-O3's ceiling
    (last year's funds scaled by workload and tolerance) otherwise; None when not checked."""
    if eligible is None:
        return None
    if not eligible:
        return 0
    ceilings = [
        d["extra"]["ceiling"]
        for d in decisions
        if d.get("rule_id") == "PRJ-O3" and "ceiling" in d.get("extra", {})
    ]
    return min([requested, *(int(c) for c in ceilings)])


def _brief(d: dict[str, Any]) -> dict[str, str]:
    return {
        "rule_id": str(d.get("rule_id", "")),
        "reason": str(d.get("reason", "")),
        "remedy": str(d.get("remedy", "")),
    }


def eligibility_list(*, actor: Actor, jurisdiction: str, year: int) -> list[EligibilityRow]:
    """The year's rows of the systems of ``jurisdiction`` (and below): the whole list to whoever views the
    jurisdiction's projects, a unit's own systems to the unit. Eligible first, then by department."""
    if not (actor.may(VIEW) or actor.may(MANAGE)):
        raise PermissionDenied("projects.operations.forbidden", "您无权查看运维经费资格。")
    place = Jurisdiction.objects.filter(pk=jurisdiction).first()
    if place is None:
        raise NotFound(
            "orgs.jurisdiction.not_found", "行政区划不存在或您无权查看。", jurisdiction=jurisdiction
        )
    qs = OperationsReview.objects.filter(
        year=year, system__jurisdiction__code__startswith=jurisdiction_prefix(place.code)
    )
    if not actor.can(VIEW, Scope(jurisdiction=place.code)):
        qs = qs.filter(system__department_id__in=actor.departments_for(VIEW) + actor.departments_for(MANAGE))
    rows = qs.values_list(
        "pk", "system_id", "system__name", "system__department__name", "eligible", "decisions", "requested_budget",
        "checked_at", "ruleset",
    )  # fmt: skip
    out = [
        EligibilityRow(
            pk,
            sid,
            name,
            dept,
            eligible,
            tuple(_brief(d) for d in decisions or [] if d.get("outcome") == "block"),
            tuple(_brief(d) for d in decisions or [] if d.get("outcome") in ("warn", "needs-review")),
            requested,
            suggested_budget(eligible, requested, decisions or []),
            checked_at,
            ruleset,
        )
        for pk, sid, name, dept, eligible, decisions, requested, checked_at, ruleset in rows
    ]
    return sorted(out, key=lambda r: ({True: 0, False: 1, None: 2}[r.eligible], r.department, r.system_name))
