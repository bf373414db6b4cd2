"""The named facts (``vocabulary.FACT_NAMES``) of every department of a jurisdiction for one month, read
from the platform in a fixed number of grouped queries whatever the number of departments.

"As of the month's end" where the platform keeps dates: resources registered, mounted and published
before the cutoff (the first moment of the next month, local time); requests, objections and needs whose
deadline fell in the month and whether they were answered by it; calls counted by day within the month;
conflicts open at the cutoff; systems created before it and their docking on the month's last day; the
projects' gates evaluated on the month's last day (F for every approved or accepted project, C while it is
built, K once it asked for acceptance, E once accepted). The rest is read as it stands (an item's element link,
a system's status and cloud): a snapshot is stored and only a deliberate rebuild reads them again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, Sum

from sanbu.catalog.models import (
    ElementConflict,
    MountKind,
    Resource,
    ResourceItem,
    ResourceMount,
    ResourceState,
    UpdateCycle,
)
from sanbu.core.actor import jurisdiction_prefix
from sanbu.exchange.models import DataNeed, Objection, ShareRequest, UsageDay
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.inventory.selectors import docked_many
from sanbu.orgs.models import Department
from sanbu.projects.models import EntryKind, LedgerEntry, Project, ProjectState
from sanbu.projects.stages import project_gates

from .formula import Number
from .models import ExternalScore, Source
from .vocabulary import FACT_NAMES

REGISTERED = (ResourceState.SUBMITTED, ResourceState.APPROVED, ResourceState.MOUNTED, ResourceState.PUBLISHED,
              ResourceState.OFFLINE)  # fmt: skip
# Days a cycle allows between two loads of a rows-mounted resource (an interface is live: always current).
CYCLE_DAYS: dict[str, int] = {
    UpdateCycle.REALTIME: 1, UpdateCycle.DAILY: 1, UpdateCycle.WEEKLY: 7, UpdateCycle.MONTHLY: 31,
    UpdateCycle.QUARTERLY: 92, UpdateCycle.HALF_YEAR: 183, UpdateCycle.YEARLY: 366,
}  # fmt: skip


@dataclass(frozen=True)
class Month:
    """A calendar month: its first and last days, the cutoff (the next month's first moment, local) and
    the day it is judged on (``day``: its last day, or today for the month in progress)."""

    first: dt.date
    last: dt.date
    cutoff: dt.datetime
    day: dt.date | None = None

    @property
    def judged(self) -> dt.date:
        return self.day or self.last

    @classmethod
    def of(cls, label: str) -> Month:
        """``2026-11`` → the month; ValueError naming the expected form otherwise."""
        try:
            year, month = (int(x) for x in label.strip().split("-"))
            first = dt.date(year, month, 1)
            nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        except (ValueError, TypeError):
            raise ValueError(f"月份“{label}”应写作 YYYY-MM，例如 2026-11") from None
        zone = ZoneInfo(settings.TIME_ZONE)
        return cls(first, nxt - dt.timedelta(days=1), dt.datetime(nxt.year, nxt.month, 1, tzinfo=zone))

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"


def departments_of(jurisdiction: str) -> list[Department]:
    """The active departments of ``jurisdiction`` and of the divisions below it."""
    prefix = jurisdiction_prefix(jurisdiction)
    return list(
        Department.objects.filter(jurisdiction__code__startswith=prefix, is_active=True).order_by("pk")
    )


def _count(qs: Any, key: str) -> dict[int, int]:
    """Rows of ``qs`` by ``key``, each row once (a join must not count a row twice, and the model's ordering
    must not split the groups)."""
    grouped = qs.order_by().values(key).annotate(n=Count("pk", distinct=True)).values_list(key, "n")
    return {k: n for k, n in grouped if k is not None}


def _catalog(dept_ids: Sequence[int], m: Month) -> dict[str, dict[int, int]]:
    resources = Resource.objects.filter(
        department_id__in=dept_ids, created_at__lt=m.cutoff, state__in=REGISTERED
    )
    mounted = resources.filter(
        pk__in=ResourceMount.objects.filter(created_at__lt=m.cutoff).values("resource_id")
    )
    published = resources.filter(state=ResourceState.PUBLISHED, published_at__lt=m.cutoff)
    items = ResourceItem.objects.filter(resource__in=resources)
    duplicates = items.filter(element__authority__isnull=False, is_key=False).exclude(
        resource__department_id=F("element__authority_id")
    )
    due, updated = Counter[int](), Counter[int]()
    latest: dict[int, tuple[str, dt.datetime | None]] = {}
    for rid, kind, at in (
        ResourceMount.objects.filter(resource__in=published, created_at__lt=m.cutoff)
        .order_by("resource_id", "created_at").values_list("resource_id", "kind", "created_at")
    ):  # fmt: skip
        latest[rid] = (kind, at)
    for rid, dept, cycle in published.values_list("pk", "department_id", "update_cycle"):
        if cycle not in CYCLE_DAYS:
            continue
        due[dept] += 1
        kind, loaded = latest.get(rid, ("", None))
        if kind == MountKind.INTERFACE or (
            loaded is not None and (m.cutoff - loaded).days < CYCLE_DAYS[cycle]
        ):
            updated[dept] += 1
    return {
        "catalog_registered": _count(resources, "department_id"),
        "catalog_mounted": _count(mounted, "department_id"),
        "catalog_published": _count(published, "department_id"),
        "catalog_items": _count(items, "resource__department_id"),
        "catalog_items_linked": _count(items.filter(element__isnull=False), "resource__department_id"),
        "duplicate_items": _count(duplicates, "resource__department_id"),
        "catalog_due_update": dict(due),
        "catalog_updated": dict(updated),
    }


def _systems(dept_ids: Sequence[int], m: Month) -> dict[str, dict[int, int]]:
    systems = list(
        InformationSystem.objects.filter(department_id__in=dept_ids, status=SystemStatus.RUNNING,
                                         created_at__lt=m.cutoff).only("pk", "department_id", "jurisdiction_id",
                                                                       "on_gov_cloud", "name")
    )  # fmt: skip
    cataloged = set(
        InformationSystem.provides.through.objects.filter(informationsystem_id__in=[s.pk for s in systems])
        .values_list("informationsystem_id", flat=True)
    )  # fmt: skip
    docking = docked_many(systems, m.judged)
    out: dict[str, Counter[int]] = defaultdict(Counter)
    for s in systems:
        out["systems_running"][s.department_id] += 1
        out["systems_on_cloud"][s.department_id] += s.on_gov_cloud
        out["systems_cataloged"][s.department_id] += s.pk in cataloged
        out["systems_docked"][s.department_id] += docking[s.pk].docked
    return {k: dict(v) for k, v in out.items()}


def _on_time(model: Any, owner: str, answered: str, dept_ids: Sequence[int], m: Month,
             extra: Q | None = None) -> tuple[dict[int, int], dict[int, int]]:  # fmt: skip
    """Items whose deadline fell in the month, by owner, and those answered by their deadline."""
    qs = model.objects.filter(**{f"{owner}__in": dept_ids}, due_date__gte=m.first, due_date__lte=m.judged)
    if extra is not None:
        qs = qs.filter(extra)
    due, kept = Counter[int](), Counter[int]()
    zone = ZoneInfo(settings.TIME_ZONE)
    for who, deadline, at in qs.values_list(owner, "due_date", answered):
        due[who] += 1
        if at is not None and at.astimezone(zone).date() <= deadline:
            kept[who] += 1
    return dict(due), dict(kept)


def _exchange(dept_ids: Sequence[int], m: Month) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    out["requests_due"], out["requests_on_time"] = _on_time(
        ShareRequest, "provider_department_id", "answered_at", dept_ids, m
    )
    out["objections_due"], out["objections_on_time"] = _on_time(
        Objection, "provider_department_id", "answered_at", dept_ids, m
    )
    out["needs_due"], out["needs_on_time"] = _on_time(DataNeed, "routed_to_id", "closed_at", dept_ids, m)
    owner = dict(Resource.objects.filter(department_id__in=dept_ids).values_list("pk", "department_id"))
    calls: Counter[int] = Counter()
    consumers: dict[int, set[int]] = defaultdict(set)
    usage = (
        UsageDay.objects.filter(day__gte=m.first, day__lte=m.judged, resource_id__in=list(owner))
        .values("resource_id", "app__department_id").annotate(n=Sum("calls"))
    )  # fmt: skip
    for row in usage:  # calls counted up to the day judged
        dept = owner[row["resource_id"]]
        calls[dept] += row["n"] or 0
        if row["app__department_id"] != dept and row["n"]:
            consumers[dept].add(row["app__department_id"])
    out["calls"] = dict(calls)
    out["consumers"] = {d: len(s) for d, s in consumers.items()}
    return out


def _conflicts(dept_ids: Sequence[int], m: Month) -> dict[str, dict[int, int]]:
    still_open = Q(resolved_at__isnull=True) | Q(resolved_at__gte=m.cutoff)
    qs = ElementConflict.objects.filter(claimant_id__in=dept_ids, created_at__lt=m.cutoff).filter(still_open)
    return {"conflicts_open": _count(qs, "claimant_id")}


def _projects(dept_ids: Sequence[int], m: Month) -> dict[str, dict[int, int]]:
    projects = list(
        Project.objects.filter(unit_id__in=dept_ids, decided_at__lt=m.cutoff,
                               state__in=(ProjectState.APPROVED, ProjectState.ACCEPTED))
    )  # fmt: skip
    out: dict[str, Counter[int]] = defaultdict(Counter)
    gates = project_gates(projects, m.judged)
    for p in projects:
        g = gates[p.pk]
        out["projects_checked"][p.unit_id] += 1
        out["projects_passing"][p.unit_id] += not g.blocks
        out["funds_approved"][p.unit_id] += p.approved_amount or p.amount
    built = {p.pk: gates[p.pk].facts["C"] for p in projects if "C" in gates[p.pk].facts}
    for p, status in report_statuses(projects, built, m.judged):
        out["reports_due"][p.unit_id] += len(status.on_time) + len(status.late) + len(status.missing)
        out["reports_overdue"][p.unit_id] += len(status.missing)
    recovered = (
        LedgerEntry.objects.filter(project__unit_id__in=dept_ids, kind=EntryKind.RECOVERY, booked_on__lte=m.judged)
        .values("project__unit_id").annotate(total=Sum("amount")).values_list("project__unit_id", "total")
    )  # fmt: skip
    for dept, total in recovered:
        out["funds_recovered"][dept] += int(total or 0)
    return {k: dict(v) for k, v in out.items()}


def report_statuses(
    projects: Sequence[Project], built: dict[int, Any], day: dt.date
) -> Iterator[tuple[Project, Any]]:
    """Each project with construction facts in ``built`` and its progress reports' status on ``day`` under
    its jurisdiction's ruleset (PRJ-C2), counting only the reports filed by then."""
    from sanbu.policy.rules.funds import report_status
    from sanbu.projects import construction, steps

    rulesets: dict[str, Any] = {}
    for p in projects:
        c = built.get(p.pk)
        if c is None:
            continue
        rs = rulesets.get(p.jurisdiction_id) or rulesets.setdefault(p.jurisdiction_id, steps.ruleset_of(p))
        c = filed_by(c, day)
        grace = int(rs.parameters["projects.report_grace_days"].value)
        yield p, report_status(c, construction.report_cadence(rs, c.pilot), grace)


def filed_by(c: Any, day: dt.date) -> Any:
    """Construction facts ``c`` with only the progress reports filed by ``day`` (a report filed after the
    month does not make the month's overdue report on time)."""
    import dataclasses

    return dataclasses.replace(
        c, reports=tuple(r for r in c.reports if r.filed_on is None or r.filed_on <= day)
    )


def _external(dept_ids: Sequence[int], m: Month) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {Source.THIRD_PARTY.value: {}, Source.PUBLIC.value: {}}
    for dept, source, score in ExternalScore.objects.filter(
        department_id__in=dept_ids, month=m.first
    ).values_list("department_id", "source", "score"):
        out[source][dept] = float(score)
    return out


def department_facts(departments: Iterable[Department], m: Month) -> dict[int, dict[str, Number]]:
    """Every department's named facts for month ``m``: counts (0 when nothing was found) and the entered
    scores (None when nothing was entered)."""
    ids = [d.pk for d in departments]
    counted: dict[str, dict[int, int]] = {}
    for part in (_catalog, _systems, _exchange, _conflicts, _projects):
        counted |= part(ids, m)
    entered = _external(ids, m)

    out: dict[int, dict[str, Number]] = {}
    for pk in ids:
        facts: dict[str, Number] = {}
        for key in FACT_NAMES:
            if key in entered:
                facts[key] = entered[key].get(pk)
            else:
                facts[key] = float(counted.get(key, {}).get(pk, 0))
        out[pk] = facts
    return out


def jurisdiction_facts(per_department: dict[int, dict[str, Number]]) -> dict[str, Number]:
    """The jurisdiction's facts: counts summed; entered scores averaged over the departments that have one."""
    total: dict[str, Number] = {}
    for key in FACT_NAMES:
        values = [f[key] for f in per_department.values() if f.get(key) is not None]
        if key in (Source.THIRD_PARTY.value, Source.PUBLIC.value):
            total[key] = round(sum(v for v in values if v is not None) / len(values), 4) if values else None
        else:
            total[key] = float(sum(v for v in values if v is not None))
    return total
