"""Construction (建设实施, PRJ-C1..C4): the project unit names who is responsible, starts and ends the works,
files progress reports and reports serious delays or losses, and asks for content changes; the authority
decides the changes, records changes made without approval and settles them afterwards (补办审批 or the
approved content restored).

Services are the only writers (keyword-only, one transaction, the permission checked on the project's
scope inside, a change record in the same transaction). The unit acts with ``APPLY`` on its own projects,
the authority with ``REVIEW``. The checks are decided by ``sanbu.policy.rules.funds.evaluate_c`` over
:class:`ConstructionFacts` built here from the rows (``construction_facts_many``: a fixed number of
queries for any number of projects).

Where the seeds give no number: a serious delay or loss counts as reported at once (及时报告, PRJ-C3) when
it is reported within :data:`REPORT_AT_ONCE_DAYS` calendar days of occurring (docs/construction-evaluation.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, text_problem
from sanbu.policy.decisions import Decision
from sanbu.policy.lifecycle_facts_f import ConstructionFacts
from sanbu.policy.lifecycle_facts_f import ProgressReport as ReportFact
from sanbu.policy.rules.funds import (
    PILOT_REPORT_CADENCE,
    REPORT_CADENCE,
    REPORT_GRACE_DAYS,
    Cadence,
    Period,
    cadence_of,
    due_periods,
    evaluate_c,
    finer,
    parse_period,
    period_of,
    report_status,
)
from sanbu.policy.rulesets import Ruleset

from . import steps
from .models import (
    APPLY,
    REVIEW,
    ChangeRequest,
    ChangeState,
    IncidentKind,
    IncidentReport,
    Lifecycle,
    ProgressReport,
    Project,
    ProjectState,
)

REPORT_AT_ONCE_DAYS = 5
"""PRJ-C3 "及时报告": a serious delay (工程严重逾期) or major loss (投资重大损失) counts as reported at once when
its report is dated no later than this many calendar days after it occurred. The seeds (002 篇三, the
construction duties) say "及时报告" without a number and no ruleset has a parameter for it; 5 calendar days
is the platform's choice (docs/construction-evaluation.md)."""

TEXT_LIMIT = 5000
NOTE_LIMIT = 1000
LIFECYCLE_FIELDS = [
    "responsible_person", "implementing_body", "supervisor_unit", "supervision_required",
    "supervisor_secret_qualified", "pilot", "started_on", "construction_ended_on", "goals_or_content_changed",
    "version",
]  # fmt: skip
CHANGE_FIELDS = [
    "project_id", "content", "reason", "state", "decided_by", "decision_note", "settled_by", "settled_note",
    "version",
]  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------------------


def approved_on(project: Project) -> dt.date:
    """The approval date: the local date of the approval decision."""
    decided = project.decided_at or project.created_at
    return timezone.localdate(decided)


def report_cadence(rs: Ruleset, pilot: bool) -> Cadence:
    """The cadence a project reports on: the ruleset's, or for a pilot the finer of it and the pilot
    cadence (as PRJ-C2 reads it)."""
    cadence = cadence_of(rs, REPORT_CADENCE)
    if pilot:
        cadence = finer(cadence, cadence_of(rs, PILOT_REPORT_CADENCE))
    return cadence


def _project(actor: Actor, project_id: int, action: str, doing: str,
             states: Sequence[str] = (ProjectState.APPROVED,)) -> tuple[Project, Lifecycle]:  # fmt: skip
    """The project (locked, permission checked, in one of ``states``) and its lifecycle record (locked)."""
    project = steps.locked(Project, project_id, actor, action)
    steps.require_state(project, states, doing)
    lc = steps.lifecycle_of(project)
    return project, Lifecycle.objects.select_for_update().get(pk=lc.pk)


def _life(lc: Lifecycle) -> dict[str, Any]:
    return audit.snapshot(lc, LIFECYCLE_FIELDS)


def _save(lc: Lifecycle) -> None:
    steps.bump(lc)
    lc.save()


def _date_problem(value: dt.date, field: str, label: str, *, earliest: dt.date | None, latest: dt.date,
                  earliest_label: str = "") -> FieldError | None:  # fmt: skip
    if earliest is not None and value < earliest:
        return FieldError(field, "too_early", f"{label}不能早于{earliest_label}（{earliest.isoformat()}）。")
    if value > latest:
        return FieldError(field, "in_future", f"{label}不能晚于今天（{latest.isoformat()}）。")
    return None


# --- responsibilities, start and end ----------------------------------------------------------------------


@transaction.atomic
def construction_update(*, actor: Actor, project_id: int, expected_version: int | None, responsible_person: str,
                        implementing_body: str, supervisor_unit: str, supervision_required: bool = True,
                        supervisor_secret_qualified: bool = False, pilot: bool = False) -> Lifecycle:  # fmt: skip
    """Name the 项目责任人, 项目实施机构 and 工程监理单位 (PRJ-C1), whether supervision applies, whether the 监理
    holds the secrecy qualification, and whether the project is a 信息惠民 pilot (PRJ-C2 cadence).
    ``expected_version`` is the lifecycle record's version. Blanks may be saved: PRJ-C1 reports them."""
    _, lc = _project(actor, project_id, APPLY, "填报建设实施责任")
    steps.check_version(lc, expected_version, "projects.lifecycle.changed")
    steps.raise_errors([
        text_problem(responsible_person, 50, "responsible_person", "项目责任人"),
        text_problem(implementing_body, 100, "implementing_body", "项目实施机构"),
        text_problem(supervisor_unit, 100, "supervisor_unit", "工程监理单位"),
    ])  # fmt: skip
    before = _life(lc)
    lc.responsible_person, lc.implementing_body = responsible_person.strip(), implementing_body.strip()
    lc.supervisor_unit, lc.supervision_required = supervisor_unit.strip(), bool(supervision_required)
    lc.supervisor_secret_qualified, lc.pilot = bool(supervisor_secret_qualified), bool(pilot)
    _save(lc)
    audit.record(actor=actor, action="projects.construction.update", obj=lc, before=before, after=_life(lc))
    return lc


@transaction.atomic
def construction_start(*, actor: Actor, project_id: int, started_on: dt.date, expected_version: int | None = None,
                       on: dt.date | None = None) -> Lifecycle:  # fmt: skip
    """Record the start of construction (开工, PRJ-F2): not before the approval date, not in the future, once."""
    today = on or steps.today()
    project, lc = _project(actor, project_id, APPLY, "登记开工")
    steps.check_version(lc, expected_version, "projects.lifecycle.changed")
    if lc.started_on is not None:
        raise Conflict(
            "projects.construction.already_started", f"该项目已登记于 {lc.started_on.isoformat()} 开工，不能重复登记。",
            started_on=lc.started_on.isoformat(),
        )  # fmt: skip
    steps.raise_errors([
        _date_problem(started_on, "started_on", "开工日期", earliest=approved_on(project), latest=today,
                      earliest_label="立项批复日期"),
    ])  # fmt: skip
    before = _life(lc)
    lc.started_on = started_on
    _save(lc)
    audit.record(actor=actor, action="projects.construction.start", obj=lc, before=before, after=_life(lc))
    return lc


@transaction.atomic
def construction_end(*, actor: Actor, project_id: int, ended_on: dt.date, expected_version: int | None = None,
                     on: dt.date | None = None) -> Lifecycle:  # fmt: skip
    """Record that construction finished (建设完成): after the start, not in the future, once. No progress
    report is due for a period that begins after this day (PRJ-C2)."""
    today = on or steps.today()
    _, lc = _project(actor, project_id, APPLY, "登记建设完成")
    steps.check_version(lc, expected_version, "projects.lifecycle.changed")
    if lc.started_on is None:
        raise Conflict("projects.construction.not_started", "该项目尚未登记开工，请先登记开工日期。")
    if lc.construction_ended_on is not None:
        raise Conflict(
            "projects.construction.already_ended",
            f"该项目已登记于 {lc.construction_ended_on.isoformat()} 建设完成，不能重复登记。",
        )
    steps.raise_errors([
        _date_problem(ended_on, "ended_on", "建设完成日期", earliest=lc.started_on, latest=today,
                      earliest_label="开工日期"),
    ])  # fmt: skip
    before = _life(lc)
    lc.construction_ended_on = ended_on
    _save(lc)
    audit.record(actor=actor, action="projects.construction.end", obj=lc, before=before, after=_life(lc))
    return lc


# --- progress reports -------------------------------------------------------------------------------------


def fileable_periods(project: Project, lc: Lifecycle, rs: Ruleset, today: dt.date) -> list[Period]:
    """The periods a report may be filed for on ``today``: every due period, and the current one unless it
    begins after construction ended."""
    cadence = report_cadence(rs, lc.pilot)
    start = approved_on(project)
    out = due_periods(cadence, start, today, lc.construction_ended_on)
    current = period_of(cadence, today)
    if (
        current.end >= start
        and (lc.construction_ended_on is None or current.start <= lc.construction_ended_on)
        and all(p.label != current.label for p in out)
    ):
        out.append(current)
    return out


@transaction.atomic
def progress_report_file(*, actor: Actor, project_id: int, period: str, progress: int, spent: int, content: str,
                         on: dt.date | None = None) -> ProgressReport:  # fmt: skip
    """File the progress report (建设进度报告, PRJ-C2) of one period: a due or the current period of the
    project's cadence, once per period; progress 0..100 and never below an earlier period's (nor above a
    later one's), the cumulative investment within the approved amount."""
    today = on or steps.today()
    project, lc = _project(actor, project_id, APPLY, "报送建设进度报告")
    rs = steps.ruleset_of(project)
    cadence = report_cadence(rs, lc.pilot)
    allowed = fileable_periods(project, lc, rs, today)
    errors: list[FieldError | None] = [
        text_problem(content, TEXT_LIMIT, "content", "进展情况", required=True)
    ]
    parsed = parse_period(period) if isinstance(period, str) else None
    label = ""
    if parsed is None or parsed[0] is not cadence:
        example = period_of(cadence, today).label
        errors.append(FieldError(
            "period", "invalid_period",
            f"报告期应按本项目的报送周期（{_CADENCE_WORDS[cadence]}）填写，如“{example}”。",
        ))  # fmt: skip
    else:
        label = parsed[1].label
        if all(p.label != label for p in allowed):
            listed = "、".join(p.label for p in allowed) or "暂无"
            start = approved_on(project)
            why = "尚未到期" if parsed[1].start > today else (
                "早于立项批复" if parsed[1].end < start else "晚于建设完成")  # fmt: skip
            errors.append(FieldError(
                "period", "not_due", f"{label} 期报告{why}，不能报送；当前可报送的报告期：{listed}。"
            ))  # fmt: skip
    ceiling = int(project.approved_amount if project.approved_amount is not None else project.amount)
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
        errors.append(FieldError("progress", "out_of_range", "形象进度应为 0 到 100 之间的整数（%）。"))
    if not isinstance(spent, int) or isinstance(spent, bool) or not 0 <= spent <= ceiling:
        errors.append(FieldError(
            "spent", "out_of_range", f"累计完成投资应为 0 到批复金额 {ceiling} 元之间的整数（单位：元）。"
        ))  # fmt: skip
    steps.raise_errors(errors)
    existing = ProgressReport.objects.filter(project=project, period=label).first()
    if existing is not None:
        raise Conflict(
            "projects.report.duplicate",
            f"{label} 期建设进度报告已于 {existing.filed_on.isoformat()} 报送，每期只报送一次。",
            period=label, report_id=existing.pk,
        )  # fmt: skip
    assert parsed is not None
    this = parsed[1]
    earlier: list[tuple[dt.date, str, int]] = []
    later: list[tuple[dt.date, str, int]] = []
    for other_label, other_progress in ProgressReport.objects.filter(project=project).values_list(
        "period", "progress"
    ):
        other = parse_period(other_label)
        if other is None:
            continue
        (earlier if other[1].start < this.start else later).append(
            (other[1].start, other[1].label, other_progress)
        )
    if earlier:
        _, prev_label, prev = max(earlier)
        if progress < prev:
            steps.raise_errors([FieldError(
                "progress", "below_previous", f"形象进度不能低于上一期（{prev_label}）报告的 {prev}%。"
            )])  # fmt: skip
    if later:
        _, next_label, nxt = min(later)
        if progress > nxt:
            steps.raise_errors([FieldError(
                "progress", "above_next", f"形象进度不能高于之后一期（{next_label}）已报送的 {nxt}%。"
            )])  # fmt: skip
    report = ProgressReport.objects.create(
        project=project, period=label, progress=progress, spent=spent, content=content.strip(),
        filed_on=today, filed_by=actor.username[:150],
    )  # fmt: skip
    audit.record(actor=actor, action="projects.progress_report.file", obj=report,
                 after=audit.snapshot(report, ["project_id", "period", "progress", "spent", "filed_on"]))  # fmt: skip
    return report


_CADENCE_WORDS = {
    Cadence.QUARTERLY: "每季度一期",
    Cadence.HALF_YEARLY: "每半年一期",
    Cadence.YEARLY: "每年一期",
}


# --- incidents --------------------------------------------------------------------------------------------


@transaction.atomic
def incident_report(*, actor: Actor, project_id: int, kind: str, occurred_on: dt.date, description: str,
                    on: dt.date | None = None) -> IncidentReport:  # fmt: skip
    """Report a serious delay (工程严重逾期) or a major loss (投资重大损失) (PRJ-C3), dated today (``on``)."""
    today = on or steps.today()
    project, _ = _project(actor, project_id, APPLY, "报告工程严重逾期或投资重大损失")
    errors: list[FieldError | None] = [
        text_problem(description, TEXT_LIMIT, "description", "情况说明", required=True),
        _date_problem(occurred_on, "occurred_on", "发生日期", earliest=approved_on(project), latest=today,
                      earliest_label="立项批复日期"),
    ]  # fmt: skip
    if kind not in IncidentKind.values:
        errors.append(FieldError("kind", "invalid_choice", "请选择情况类型：工程严重逾期或投资重大损失。"))
    steps.raise_errors(errors)
    incident = IncidentReport.objects.create(
        project=project, kind=kind, occurred_on=occurred_on, reported_on=today, description=description.strip(),
        created_by=actor.username[:150],
    )  # fmt: skip
    audit.record(actor=actor, action="projects.incident.report", obj=incident,
                 after=audit.snapshot(incident, ["project_id", "kind", "occurred_on", "reported_on"]))  # fmt: skip
    return incident


# --- content changes --------------------------------------------------------------------------------------


@transaction.atomic
def change_request(*, actor: Actor, project_id: int, content: str, reason: str) -> ChangeRequest:
    """Ask the authority to approve a change of construction content (PRJ-C4)."""
    project, _ = _project(actor, project_id, APPLY, "申请变更建设内容")
    steps.raise_errors([
        text_problem(content, TEXT_LIMIT, "content", "变更内容", required=True),
        text_problem(reason, TEXT_LIMIT, "reason", "变更理由", required=True),
    ])  # fmt: skip
    change = ChangeRequest.objects.create(
        project=project, content=content.strip(), reason=reason.strip(), requested_by=actor.username[:150]
    )
    audit.record(
        actor=actor, action="projects.change.request", obj=change, after=audit.snapshot(change, CHANGE_FIELDS)
    )
    return change


def _change_locked(actor: Actor, change_id: int, expected_version: int | None, state: ChangeState, only: str,
                   doing: str) -> tuple[Project, ChangeRequest]:  # fmt: skip
    """The authority's change row, locked after its project, at ``expected_version`` and in ``state`` (else
    a conflict saying the change ``only`` applies), the project still under construction."""
    found = ChangeRequest.objects.filter(pk=change_id).values_list("project_id", flat=True).first()
    if found is None:
        raise steps.missing("projects.change.not_found", change_id, "变更记录")
    project = steps.locked(Project, found, actor, REVIEW, code="projects.change.not_found", what="变更记录")
    change = ChangeRequest.objects.select_for_update().get(pk=change_id)
    steps.check_version(change, expected_version, "projects.change.changed")
    if change.state != state:
        raise Conflict(
            "projects.change.wrong_state", f"该变更当前为“{ChangeState(change.state).label}”，{only}。",
            state=change.state,
        )  # fmt: skip
    steps.require_state(project, (ProjectState.APPROVED,), doing)
    return project, change


def _change_done(actor: Actor, project: Project, change: ChangeRequest, before: dict[str, Any], action: str,
                 content_changed: bool) -> ChangeRequest:  # fmt: skip
    """Save the decided change; an approved (or ratified) one marks the content changed (PRJ-F3)."""
    steps.bump(change)
    change.save()
    if content_changed:
        lc = Lifecycle.objects.select_for_update().get(pk=steps.lifecycle_of(project).pk)
        if not lc.goals_or_content_changed:
            lc.goals_or_content_changed = True
            _save(lc)
    audit.record(actor=actor, action=action, obj=change, before=before,
                 after=audit.snapshot(change, CHANGE_FIELDS))  # fmt: skip
    return change


@transaction.atomic
def change_decide(*, actor: Actor, change_id: int, expected_version: int | None, approve: bool,
                  note: str) -> ChangeRequest:  # fmt: skip
    """The authority approves or refuses a pending change request (PRJ-C4); a refusal needs a reason. An
    approved change marks the project's goals or content as changed (PRJ-F3 reads it)."""
    project, change = _change_locked(actor, change_id, expected_version, ChangeState.PENDING,
                                     "只能审批待审批的申请", "审批变更申请")  # fmt: skip
    steps.raise_errors([text_problem(note, NOTE_LIMIT, "note", "审批意见", required=not approve)])
    before = audit.snapshot(change, CHANGE_FIELDS)
    change.state = ChangeState.APPROVED if approve else ChangeState.REJECTED
    change.decided_by, change.decided_at, change.decision_note = (
        actor.username[:150],
        timezone.now(),
        note.strip(),
    )
    return _change_done(actor, project, change, before, "projects.change.decide", content_changed=approve)


@transaction.atomic
def change_record_unapproved(*, actor: Actor, project_id: int, content: str, note: str) -> ChangeRequest:
    """The authority records a change of content made without approval (擅自变更, PRJ-C4 blocks on it)."""
    project, _ = _project(actor, project_id, REVIEW, "登记未经批准的变更")
    steps.raise_errors([
        text_problem(content, TEXT_LIMIT, "content", "变更内容", required=True),
        text_problem(note, NOTE_LIMIT, "note", "核查意见", required=True),
    ])  # fmt: skip
    now = timezone.now()
    change = ChangeRequest.objects.create(
        project=project, content=content.strip(), reason="", state=ChangeState.UNAPPROVED,
        requested_by=actor.username[:150], decided_by=actor.username[:150], decided_at=now,
        decision_note=note.strip(),
    )  # fmt: skip
    audit.record(actor=actor, action="projects.change.record_unapproved", obj=change,
                 after=audit.snapshot(change, CHANGE_FIELDS))  # fmt: skip
    return change


@transaction.atomic
def change_settle_unapproved(*, actor: Actor, change_id: int, expected_version: int | None, ratify: bool,
                             note: str) -> ChangeRequest:  # fmt: skip
    """Settle a change found made without approval, which PRJ-C4 blocks on, the two ways its remedy names:
    ``ratify`` (补办变更审批 under procurement rules and 向上变更; the content then counts as changed, as
    for an approved request, PRJ-F3) or the approved content restored (核查确认已恢复). The authority's
    note (文号 of the after-the-fact approval, or what was checked) is required; the finding stays."""
    project, change = _change_locked(actor, change_id, expected_version, ChangeState.UNAPPROVED,
                                     "只有未经批准擅自变更才需补办审批或恢复", "处理擅自变更")  # fmt: skip
    label = "补办审批意见（含批复文号）" if ratify else "恢复核查意见"
    steps.raise_errors([text_problem(note, NOTE_LIMIT, "note", label, required=True)])
    before = audit.snapshot(change, CHANGE_FIELDS)
    change.state = ChangeState.RATIFIED if ratify else ChangeState.RESTORED
    change.settled_by, change.settled_at, change.settled_note = (
        actor.username[:150],
        timezone.now(),
        note.strip(),
    )
    return _change_done(actor, project, change, before, "projects.change.settle", content_changed=ratify)


# --- facts ------------------------------------------------------------------------------------------------


def _ids(projects: Sequence[Project] | QuerySet[Project]) -> tuple[Any, QuerySet[Project]]:
    if isinstance(projects, QuerySet):
        return projects.values("pk"), Project.objects.filter(pk__in=projects.values("pk"))
    ids = [p.pk for p in projects]
    return ids, Project.objects.filter(pk__in=ids)


def construction_facts_many(projects: Sequence[Project] | QuerySet[Project],
                            today: dt.date) -> dict[int, ConstructionFacts]:  # fmt: skip
    """PRJ-C facts of the approved (or accepted) projects among ``projects``, in five queries (projects,
    lifecycles, reports, incidents, change counts). Other projects are absent from the result."""
    ids, qs = _ids(projects)
    rows = list(
        qs.filter(state__in=steps.AFTER_APPROVAL).values(
            "pk", "name", "unit__name", "decided_at", "created_at", "involves_secrets"
        )
    )
    life: dict[int, dict[str, Any]] = {
        r["project_id"]: dict(r)
        for r in Lifecycle.objects.filter(project_id__in=ids).values(
            "project_id", "responsible_person", "implementing_body", "supervisor_unit", "supervision_required",
            "supervisor_secret_qualified", "pilot", "construction_ended_on",
        )
    }  # fmt: skip
    reports: dict[int, list[ReportFact]] = defaultdict(list)
    for pid, period, filed_on in (
        ProgressReport.objects.filter(project_id__in=ids).order_by("project_id", "period")
        .values_list("project_id", "period", "filed_on")
    ):  # fmt: skip
        reports[pid].append(ReportFact(period, filed_on))
    incidents: dict[int, bool] = {}
    for pid, occurred, reported in IncidentReport.objects.filter(project_id__in=ids).values_list(
        "project_id", "occurred_on", "reported_on"
    ):
        at_once = (reported - occurred).days <= REPORT_AT_ONCE_DAYS
        incidents[pid] = incidents.get(pid, True) and at_once
    changes: dict[int, dict[str, int]] = defaultdict(dict)
    for pid, state, n in (
        ChangeRequest.objects.filter(project_id__in=ids, state__in=(ChangeState.PENDING, ChangeState.UNAPPROVED))
        .values("project_id", "state").annotate(n=Count("id")).values_list("project_id", "state", "n")
    ):  # fmt: skip
        changes[pid][state] = n
    out: dict[int, ConstructionFacts] = {}
    for r in rows:
        pid = r["pk"]
        lc: dict[str, Any] = life.get(pid, {})
        counted = changes.get(pid, {})
        out[pid] = ConstructionFacts(
            name=r["name"], unit=r["unit__name"] or "",
            approved_on=timezone.localdate(r["decided_at"] or r["created_at"]), today=today,
            responsible_person=lc.get("responsible_person", ""), implementing_body=lc.get("implementing_body", ""),
            supervisor_unit=lc.get("supervisor_unit", ""), supervision_required=lc.get("supervision_required", True),
            involves_secrets=r["involves_secrets"],
            supervisor_secret_qualified=lc.get("supervisor_secret_qualified", False), pilot=lc.get("pilot", False),
            construction_ended_on=lc.get("construction_ended_on"), reports=tuple(reports.get(pid, ())),
            serious_delay_or_loss=pid in incidents, reported_at_once=incidents.get(pid, False),
            pending_change_requests=counted.get(ChangeState.PENDING, 0),
            unapproved_content_changes=counted.get(ChangeState.UNAPPROVED, 0),
        )  # fmt: skip
    return out


def construction_facts(project: Project, today: dt.date) -> ConstructionFacts:
    """PRJ-C facts of one approved or accepted project (KeyError for a project not yet approved)."""
    return construction_facts_many([project], today)[project.pk]


def construction_decisions(project: Project, today: dt.date | None = None,
                           rs: Ruleset | None = None) -> list[Decision]:  # fmt: skip
    """PRJ-C1..C4 for the project under its jurisdiction's ruleset (or ``rs``, for simulation)."""
    return evaluate_c(construction_facts(project, today or steps.today()), rs or steps.ruleset_of(project))


# --- the report schedule (for the pages) ------------------------------------------------------------------


class ReportState(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    NOT_DUE = "not_due"


REPORT_STATE_LABELS = {
    ReportState.ON_TIME: "按时报送",
    ReportState.LATE: "逾期报送",
    ReportState.OVERDUE: "逾期未报",
    ReportState.NOT_DUE: "未到报送期限",
}


@dataclass(frozen=True)
class ScheduleRow:
    """One report period on the project's page: the period, the last day its report is on time, the day
    it was filed (None: not yet), and what that makes it."""

    period: str
    start: dt.date
    end: dt.date
    deadline: dt.date
    filed_on: dt.date | None
    status: ReportState

    @property
    def status_label(self) -> str:
        return REPORT_STATE_LABELS[self.status]

    @property
    def overdue(self) -> bool:
        return self.status is ReportState.OVERDUE


def report_schedule(
    project: Project, today: dt.date | None = None, rs: Ruleset | None = None
) -> list[ScheduleRow]:
    """Every due period of the project's cadence (from the approval period), and the current one, with its
    deadline, filing date and status, as PRJ-C2 sees them (``report_status`` of the rule module)."""
    day = today or steps.today()
    facts = construction_facts(project, day)
    rs = rs or steps.ruleset_of(project)
    cadence = report_cadence(rs, facts.pilot)
    grace = int(rs.value(REPORT_GRACE_DAYS))
    s = report_status(facts, cadence, grace)
    state: dict[str, tuple[dt.date, dt.date | None, ReportState]] = {}
    for group, status in ((s.on_time, ReportState.ON_TIME), (s.late, ReportState.LATE),
                          (s.missing, ReportState.OVERDUE), (s.awaiting, ReportState.NOT_DUE)):  # fmt: skip
        for x in group:
            state[x.label] = (x.deadline, x.filed_on, status)
    rows = []
    for p in s.due:
        deadline, filed, status = state[p.label]
        rows.append(ScheduleRow(p.label, p.start, p.end, deadline, filed, status))
    current = period_of(cadence, day)
    ended = facts.construction_ended_on
    if all(p.label != current.label for p in s.due) and (ended is None or current.start <= ended):
        filed = min((r.filed_on for r in facts.reports if r.filed_on is not None and _in(r.period, cadence, current)),
                    default=None)  # fmt: skip
        status = ReportState.ON_TIME if filed is not None else ReportState.NOT_DUE
        deadline = current.end + dt.timedelta(days=grace)
        rows.append(ScheduleRow(current.label, current.start, current.end, deadline, filed, status))
    return rows


def _in(label: str, cadence: Cadence, period: Period) -> bool:
    parsed = parse_period(label)
    return parsed is not None and parsed[0] is cadence and parsed[1].label == period.label
