"""The sharing tasks of the monthly scheduling sheet (任务台账、月调度, SUP-2): every open obligation of a
jurisdiction's departments at a moment, with its owner, its deadline in working days and whether it is
overdue.

- share requests not answered, owned by the providing department (EX-2);
- 供需对接 needs routed to a provider and not closed (EX-7);
- data objections not answered, owned by the provider (EX-6);
- resources an approved project promised to provide that are not published (PRJ-K2, 不共享不验收);
- construction progress reports overdue or falling due (PRJ-C2), owned by the project unit.

"Open at the moment" reads the dates the platform keeps (received, answered, closed), so the sheet of a
past month shows what was open at its end. The reference day (what counts as overdue) is the month's last
day, or today for the month in progress.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from sanbu.catalog.models import ResourceState
from sanbu.core.calendar import work_calendar
from sanbu.exchange.models import DataNeed, Objection, RequestState, ShareRequest
from sanbu.policy.calendar import WorkCalendar
from sanbu.projects.models import Direction, Project, ProjectResource, ProjectState

from .models import TaskKind


@dataclass(frozen=True)
class TaskRow:
    kind: str
    ref: str
    title: str
    owner_id: int
    due: dt.date | None
    working_days_left: int | None  # negative: overdue by that many working days
    overdue: bool
    link: str


def tasks_at(dept_ids: Sequence[int], cutoff: dt.datetime, day: dt.date) -> list[TaskRow]:
    """Every task open at ``cutoff`` for the departments, judged on ``day`` (overdue when due before it)."""
    cal = work_calendar()
    rows: list[TaskRow] = []

    def add(kind: str, ref: str, title: str, owner: int, due: dt.date | None, link: str) -> None:
        left = None if due is None else cal.working_days_between(day, due)
        rows.append(TaskRow(kind, ref, title[:300], owner, due, left, due is not None and due < day, link))

    open_at = Q(answered_at__isnull=True) | Q(answered_at__gte=cutoff)
    for pk, owner, due, consumer, resource in (
        ShareRequest.objects.filter(provider_department_id__in=dept_ids, received_at__lt=cutoff)
        .exclude(state=RequestState.RESUBMITTED).filter(open_at)
        .values_list("pk", "provider_department_id", "due_date", "consumer_department__name", "resource__name")
    ):  # fmt: skip
        add(TaskKind.REQUEST, f"request:{pk}", f"答复{consumer}对“{resource}”的共享申请", owner, due,
            f"/exchange/inbox/?request={pk}")  # fmt: skip
    for pk, owner, due, title in (
        DataNeed.objects.filter(routed_to_id__in=dept_ids, routed_at__lt=cutoff)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff))
        .values_list("pk", "routed_to_id", "due_date", "title")
    ):  # fmt: skip
        add(TaskKind.NEED, f"need:{pk}", f"答复数据需求“{title}”", owner, due, f"/exchange/needs/{pk}/")
    for pk, owner, due, resource in (
        Objection.objects.filter(provider_department_id__in=dept_ids, received_at__lt=cutoff).filter(open_at)
        .values_list("pk", "provider_department_id", "due_date", "resource__name")
    ):  # fmt: skip
        add(TaskKind.OBJECTION, f"objection:{pk}", f"核实“{resource}”的数据异议", owner, due,
            f"/exchange/objections/{pk}/")  # fmt: skip
    promised = (
        ProjectResource.objects.filter(
            direction=Direction.PROVIDE, project__unit_id__in=dept_ids, project__state=ProjectState.APPROVED,
            project__decided_at__lt=cutoff,
        ).exclude(resource__state=ResourceState.PUBLISHED)
        .values_list("project_id", "resource_id", "project__unit_id", "project__name", "resource__name")
    )  # fmt: skip
    for project_id, resource_id, unit_id, pname, rname in promised:
        add(TaskKind.PROMISED, f"promised:{project_id}:{resource_id}", f"“{pname}”承诺提供的“{rname}”尚未发布",
            unit_id, None, f"/projects/{project_id}/lifecycle/")  # fmt: skip
    rows += _reports(dept_ids, cutoff, day, cal)
    rows.sort(key=lambda r: (not r.overdue, r.due or dt.date.max, r.kind, r.ref))
    return rows


def _reports(dept_ids: Sequence[int], cutoff: dt.datetime, day: dt.date, cal: WorkCalendar) -> list[TaskRow]:
    """Progress reports overdue or within their grace days on ``day`` (PRJ-C2)."""
    from sanbu.projects import construction

    from .facts import report_statuses

    projects = list(
        Project.objects.filter(unit_id__in=dept_ids, state=ProjectState.APPROVED, decided_at__lt=cutoff)
    )
    built = construction.construction_facts_many(projects, day)
    out: list[TaskRow] = []
    for p, status in report_statuses(projects, built, day):
        for row, late in [(r, True) for r in status.missing] + [(r, False) for r in status.awaiting]:
            left = cal.working_days_between(day, row.deadline)
            out.append(TaskRow(TaskKind.REPORT, f"report:{p.pk}:{row.label}", f"报送“{p.name}”{row.label} 建设进度报告",
                               p.unit_id, row.deadline, left, late, f"/projects/{p.pk}/lifecycle/"))  # fmt: skip
    return out
