"""Construction (PRJ-C1..C4) through the services and the facts built from the rows: named roles, start and
end, progress reports on each ruleset's cadence (overdue marks, periods not yet due refused, one report per
period), incidents reported at once or late, content changes, wrong state refused with nothing written,
batch facts in a fixed number of queries, and a property: the facts carry exactly the filed periods."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanbu.core.errors import Conflict, NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_user
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.rulesets import Ruleset, load
from sanbu.projects import construction as c
from sanbu.projects import services, steps
from sanbu.projects.models import (
    ChangeRequest,
    ChangeState,
    ExpertAssignment,
    IncidentReport,
    Lifecycle,
    ProgressReport,
    Project,
)

from .support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

# one jurisdiction per ruleset that claims one; district claims none and is passed as ``rs``
CODES = {"default": "110000", "jiangxi": "360100", "zibo": "370300", "yiyuan": "370323", "district": "370300"}
# (the report due before TODAY that is overdue, a period not yet due, the current period, a wrong label)
CADENCE = {
    "default": ("2025-H2", "2026-H2", "2026-H1", "2025"),
    "district": ("2025-H2", "2026-H2", "2026-H1", "2025-Q3"),
    "jiangxi": ("2025", "2027", "2026", "2025-H2"),
    "zibo": ("2025-H2", "2026-H2", "2026-H1", "2025"),
    "yiyuan": ("2025-H2", "2026-H2", "2026-H1", "2025"),
}
APPROVED = dt.date(2025, 2, 10)
TODAY = dt.date(2026, 3, 20)


def approve(w: World, **over: Any) -> Project:
    """An approved project (draw, scores, joint review, centre opinion, gate A), approval moved to APPROVED."""
    p = w.submitted(**over)
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=None, size=5, seed="abc123")
    for a in ExpertAssignment.objects.filter(project=p, draw__current=True):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=85,
                              conclusion="agree", opinion="方案可行，建议立项")  # fmt: skip
    services.joint_review_record(actor=w.authority, project_id=p.pk, expected_version=None, conclusion="agree",
                                 participants="大数据中心、发展改革、财政", note="同意")  # fmt: skip
    services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                   opinion="favourable", text="同意备案")  # fmt: skip
    p = services.project_approve(actor=w.authority, project_id=p.pk, expected_version=None)[0]
    when = timezone.make_aware(dt.datetime.combine(APPROVED, dt.time(10)))
    Project.objects.filter(pk=p.pk).update(decided_at=when)  # test setup: a known approval date
    p.refresh_from_db()
    return p


def rule(ds: list[Decision], rule_id: str) -> Decision:
    return next(d for d in ds if d.rule_id == rule_id)


def name_roles(w: World, p: Project, **over: Any) -> Lifecycle:
    kw: dict[str, Any] = {"responsible_person": "张三", "implementing_body": "市教育信息中心",
                          "supervisor_unit": "山东某监理公司", **over}  # fmt: skip
    return c.construction_update(actor=w.applicant, project_id=p.pk, expected_version=None, **kw)


def counts() -> tuple[int, ...]:
    return (ProgressReport.objects.count(), IncidentReport.objects.count(), ChangeRequest.objects.count(),
            ChangeRecord.objects.count())  # fmt: skip


@pytest.fixture
def w(db: Any) -> World:
    return world(prefix="c")


@pytest.fixture
def p(w: World) -> Project:
    return approve(w)


def file(
    w: World, p: Project, period: str, progress: int = 10, spent: int = 0, on: dt.date = TODAY
) -> ProgressReport:
    return c.progress_report_file(actor=w.applicant, project_id=p.pk, period=period, progress=progress,
                                  spent=spent, content="按计划推进", on=on)  # fmt: skip


# --- PRJ-C1 ----------------------------------------------------------------------------------------------


def test_c1_roles_named_supervision_and_secrecy_qualification(w: World, p: Project) -> None:
    c1 = rule(c.construction_decisions(p, TODAY), "PRJ-C1")
    assert c1.outcome is Outcome.BLOCK and c1.fact is not None
    assert c1.fact.value == ["responsible_person", "implementing_body", "supervisor_unit"]
    lc = name_roles(w, p, supervisor_unit="")
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C1").fact.value == ["supervisor_unit"]  # type: ignore[union-attr]
    lc = name_roles(w, p, supervisor_unit="", supervision_required=False)
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C1").outcome is Outcome.ALLOW
    stale = lc.version - 1
    with pytest.raises(Conflict) as e:
        c.construction_update(actor=w.applicant, project_id=p.pk, expected_version=stale, responsible_person="李四",
                              implementing_body="x", supervisor_unit="y")  # fmt: skip
    assert e.value.code == "projects.lifecycle.changed"
    with pytest.raises(ValidationFailed) as v:
        name_roles(w, p, responsible_person="张" * 51)
    assert [x.field for x in v.value.errors] == ["responsible_person"]
    assert Lifecycle.objects.get(project=p).responsible_person == "张三"
    Project.objects.filter(pk=p.pk).update(involves_secrets=True)
    name_roles(w, p)
    c1 = rule(c.construction_decisions(p, TODAY), "PRJ-C1")
    assert c1.outcome is Outcome.BLOCK and "涉密" in c1.reason
    name_roles(w, p, supervisor_secret_qualified=True)
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C1").outcome is Outcome.ALLOW


def test_start_and_end_are_bounded_by_approval_and_today_and_recorded_once(w: World, p: Project) -> None:
    with pytest.raises(ValidationFailed) as v:
        c.construction_start(
            actor=w.applicant, project_id=p.pk, started_on=APPROVED - dt.timedelta(days=1), on=TODAY
        )
    assert v.value.errors[0].code == "too_early"
    with pytest.raises(ValidationFailed) as v:
        c.construction_start(
            actor=w.applicant, project_id=p.pk, started_on=TODAY + dt.timedelta(days=1), on=TODAY
        )
    assert v.value.errors[0].code == "in_future"
    with pytest.raises(Conflict):
        c.construction_end(actor=w.applicant, project_id=p.pk, ended_on=TODAY, on=TODAY)
    lc = c.construction_start(actor=w.applicant, project_id=p.pk, started_on=dt.date(2025, 3, 1), on=TODAY)
    assert Lifecycle.objects.get(pk=lc.pk).started_on == dt.date(2025, 3, 1)
    with pytest.raises(Conflict) as e:
        c.construction_start(actor=w.applicant, project_id=p.pk, started_on=dt.date(2025, 3, 2), on=TODAY)
    assert e.value.code == "projects.construction.already_started"
    with pytest.raises(ValidationFailed):
        c.construction_end(actor=w.applicant, project_id=p.pk, ended_on=dt.date(2025, 2, 28), on=TODAY)
    c.construction_end(actor=w.applicant, project_id=p.pk, ended_on=dt.date(2025, 5, 31), on=TODAY)
    # ended in 2025-H1: only 2025-H1 is due; the periods after it cannot be filed
    facts = c.construction_facts(p, TODAY)
    assert facts.construction_ended_on == dt.date(2025, 5, 31)
    assert [r.period for r in c.report_schedule(p, TODAY)] == ["2025-H1"]
    with pytest.raises(ValidationFailed) as v:
        file(w, p, "2025-H2")
    assert v.value.errors[0].code == "not_due"
    assert ChangeRecord.objects.filter(action="projects.construction.start").count() == 1


# --- PRJ-C2 on each ruleset ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CODES))
def test_c2_cadence_overdue_marks_and_periods_not_yet_due(name: str) -> None:
    w = world(CODES[name], prefix=f"r{name[:2]}")
    p = approve(w)
    rs: Ruleset | None = load("district") if name == "district" else None
    if name == "district":  # district claims no jurisdiction; simulate it on a Zibo project
        steps_rs = load("district")
    else:
        steps_rs = steps.ruleset_of(p)
        assert steps_rs.name == name
    overdue, future, current, wrong = CADENCE[name]
    c2 = rule(c.construction_decisions(p, TODAY, rs), "PRJ-C2")
    assert c2.outcome is Outcome.WARN and overdue in c2.fact.value  # type: ignore[union-attr]
    assert c2.extra["cadence"] == ("yearly" if name == "jiangxi" else "half-yearly")
    schedule = c.report_schedule(p, TODAY, rs)
    marks = {r.period: r.status for r in schedule}
    assert marks[overdue] is c.ReportState.OVERDUE and schedule[-1].period == current
    assert overdue in [r.period for r in schedule if r.overdue and r.status_label == "逾期未报"]
    assert marks[current] is c.ReportState.NOT_DUE and future not in marks
    if name != "district":  # filing follows the jurisdiction's own ruleset
        before = counts()
        for label, code in ((future, "not_due"), (wrong, "invalid_period"), ("2024-H1", "invalid_period")):
            with pytest.raises(ValidationFailed) as v:
                file(w, p, label)
            assert v.value.errors[0].code in (code, "not_due")
        assert counts() == before
        for label in [r.period for r in schedule]:
            file(w, p, label)
        after = rule(c.construction_decisions(p, TODAY, rs), "PRJ-C2")
        assert after.outcome is Outcome.ALLOW and overdue in [x["period"] for x in after.extra["late"]]
        assert {r.period: r.status for r in c.report_schedule(p, TODAY)}[overdue] is c.ReportState.LATE
        assert {r.period: r.status for r in c.report_schedule(p, TODAY)}[current] is c.ReportState.ON_TIME
    # a pilot reports quarterly everywhere (the finer cadence)
    name_roles(w, p, pilot=True)
    pilot = rule(c.construction_decisions(p, TODAY, steps_rs), "PRJ-C2")
    assert pilot.extra["cadence"] == "quarterly" and "2025-Q4" in pilot.fact.value  # type: ignore[union-attr]
    if name != "district":
        file(w, p, "2025-Q4")
        assert "2025-Q4" not in rule(c.construction_decisions(p, TODAY), "PRJ-C2").fact.value  # type: ignore[union-attr]


def test_progress_is_validated_and_one_report_per_period(w: World, p: Project) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as v:
        c.progress_report_file(actor=w.applicant, project_id=p.pk, period="2025-H1", progress=101,
                               spent=p.approved_amount + 1, content="", on=TODAY)  # type: ignore[operator]  # fmt: skip
    assert {e.field for e in v.value.errors} == {"progress", "spent", "content"}
    assert counts() == before
    file(w, p, "2025-H1", progress=40, spent=100_000)
    with pytest.raises(ValidationFailed) as v:
        file(w, p, "2025-H2", progress=30)
    assert v.value.errors[0].code == "below_previous" and "40%" in v.value.errors[0].message
    file(w, p, "2025-H2", progress=60)
    with pytest.raises(Conflict) as e:
        file(w, p, "2025-h2 ", progress=70)  # the same period, written differently
    assert e.value.code == "projects.report.duplicate" and "2025-H2" in e.value.message
    assert ProgressReport.objects.filter(project=p).count() == 2
    assert [r.period for r in c.construction_facts(p, TODAY).reports] == ["2025-H1", "2025-H2"]


def test_another_unit_cannot_file_and_a_project_not_approved_is_refused_with_nothing_written(
    w: World, p: Project
) -> None:
    other = actor_of(make_user("c_other", department=w.provider, roles=("project_unit",)))
    with pytest.raises(NotFound):
        c.progress_report_file(actor=other, project_id=p.pk, period="2025-H1", progress=1, spent=0,
                               content="x", on=TODAY)  # fmt: skip
    draft = services.project_create(actor=w.applicant, data=w.data(name="另一个项目"))
    before = counts()
    calls = [
        lambda: file(w, draft, "2025-H1"),
        lambda: name_roles(w, draft),
        lambda: c.incident_report(actor=w.applicant, project_id=draft.pk, kind="delay", occurred_on=TODAY,
                                  description="x", on=TODAY),
        lambda: c.change_request(actor=w.applicant, project_id=draft.pk, content="x", reason="y"),
        lambda: c.change_record_unapproved(actor=w.authority, project_id=draft.pk, content="x", note="y"),
        lambda: c.construction_start(actor=w.applicant, project_id=draft.pk, started_on=TODAY, on=TODAY),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(Conflict) as e:
            call()
        assert e.value.code == "projects.project.wrong_state"
    assert counts() == before
    assert draft.pk not in c.construction_facts_many([draft, p], TODAY)


# --- PRJ-C3, PRJ-C4 ----------------------------------------------------------------------------------------


def test_c3_serious_delay_must_be_reported_within_the_days(w: World, p: Project) -> None:
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C3").reason == ""
    occurred = TODAY - dt.timedelta(days=c.REPORT_AT_ONCE_DAYS)
    c.incident_report(actor=w.applicant, project_id=p.pk, kind="delay", occurred_on=occurred,
                      description="关键设备延迟交付三个月", on=TODAY)  # fmt: skip
    f = c.construction_facts(p, TODAY)
    assert f.serious_delay_or_loss and f.reported_at_once
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C3").outcome is Outcome.ALLOW
    with pytest.raises(ValidationFailed) as v:
        c.incident_report(
            actor=w.applicant, project_id=p.pk, kind="fire", occurred_on=TODAY, description="x", on=TODAY
        )
    assert v.value.errors[0].field == "kind"
    c.incident_report(actor=w.applicant, project_id=p.pk, kind="loss", occurred_on=occurred - dt.timedelta(days=1),
                      description="合同纠纷造成损失", on=TODAY)  # fmt: skip
    c3 = rule(c.construction_decisions(p, TODAY), "PRJ-C3")
    assert c3.outcome is Outcome.BLOCK and c3.fact is not None and c3.fact.name == "reported_at_once"


def test_c4_change_requests_are_reviewed_and_unapproved_changes_block(w: World, p: Project) -> None:
    req = c.change_request(actor=w.applicant, project_id=p.pk, content="增加移动端", reason="用户需求")
    c4 = rule(c.construction_decisions(p, TODAY), "PRJ-C4")
    assert c4.outcome is Outcome.NEEDS_REVIEW and c4.fact is not None and c4.fact.value == 1
    with pytest.raises(NotFound):  # the unit does not decide its own change
        c.change_decide(actor=w.applicant, change_id=req.pk, expected_version=None, approve=True, note="")
    with pytest.raises(ValidationFailed):  # a refusal needs a reason
        c.change_decide(actor=w.authority, change_id=req.pk, expected_version=None, approve=False, note="")
    with pytest.raises(Conflict):
        c.change_decide(
            actor=w.authority, change_id=req.pk, expected_version=req.version + 1, approve=True, note=""
        )
    assert not Lifecycle.objects.get(project=p).goals_or_content_changed
    done = c.change_decide(actor=w.authority, change_id=req.pk, expected_version=req.version, approve=True,
                           note="同意")  # fmt: skip
    assert done.state == ChangeState.APPROVED and Lifecycle.objects.get(project=p).goals_or_content_changed
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C4").outcome is Outcome.ALLOW
    with pytest.raises(Conflict) as e:
        c.change_decide(
            actor=w.authority, change_id=req.pk, expected_version=None, approve=False, note="不同意"
        )
    assert e.value.code == "projects.change.wrong_state"
    c.change_record_unapproved(
        actor=w.authority, project_id=p.pk, content="擅自取消数据接口", note="检查发现"
    )
    c4 = rule(c.construction_decisions(p, TODAY), "PRJ-C4")
    assert c4.outcome is Outcome.BLOCK and c4.fact is not None and c4.fact.value == 1
    with pytest.raises(NotFound):
        c.change_record_unapproved(actor=w.applicant, project_id=p.pk, content="x", note="y")


@pytest.mark.parametrize("ratify", [True, False])
def test_c4_an_unapproved_change_is_settled_by_ratifying_or_restoring(
    w: World, p: Project, ratify: bool
) -> None:
    found = c.change_record_unapproved(actor=w.authority, project_id=p.pk, content="擅自取消数据接口",
                                       note="检查发现")  # fmt: skip
    c4 = rule(c.construction_decisions(p, TODAY), "PRJ-C4")
    assert c4.outcome is Outcome.BLOCK and "补办变更审批" in c4.remedy
    before = ChangeRecord.objects.count()
    with pytest.raises(NotFound):  # the unit cannot clear its own finding
        c.change_settle_unapproved(actor=w.applicant, change_id=found.pk, expected_version=None, ratify=ratify,
                                   note="x")  # fmt: skip
    with pytest.raises(ValidationFailed) as v:  # the basis is required
        c.change_settle_unapproved(actor=w.authority, change_id=found.pk, expected_version=None, ratify=ratify,
                                   note=" ")  # fmt: skip
    assert v.value.errors[0].field == "note"
    with pytest.raises(Conflict):
        c.change_settle_unapproved(actor=w.authority, change_id=found.pk, expected_version=found.version + 1,
                                   ratify=ratify, note="x")  # fmt: skip
    assert (
        ChangeRecord.objects.count() == before
        and ChangeRequest.objects.get(pk=found.pk).state == "unapproved"
    )
    note = "市数据局〔2026〕12号补办变更批复" if ratify else "现场核查：数据接口已恢复"
    settled = c.change_settle_unapproved(actor=w.authority, change_id=found.pk, expected_version=found.version,
                                         ratify=ratify, note=note)  # fmt: skip
    assert settled.state == (ChangeState.RATIFIED if ratify else ChangeState.RESTORED)
    assert settled.settled_note == note and settled.decision_note == "检查发现"  # the finding stays
    assert rule(c.construction_decisions(p, TODAY), "PRJ-C4").outcome is Outcome.ALLOW
    assert Lifecycle.objects.get(project=p).goals_or_content_changed is ratify  # PRJ-F3 reads it
    record = ChangeRecord.objects.filter(action="projects.change.settle").latest("seq")
    assert record.before is not None and record.before["state"] == "unapproved"
    with pytest.raises(Conflict) as e:  # once
        c.change_settle_unapproved(actor=w.authority, change_id=found.pk, expected_version=None, ratify=ratify,
                                   note="x")  # fmt: skip
    assert e.value.code == "projects.change.wrong_state"


# --- facts ------------------------------------------------------------------------------------------------


def test_facts_for_many_projects_take_a_fixed_number_of_queries(w: World, p: Project) -> None:
    q = approve(w, name="教育资源平台二期")
    file(w, p, "2025-H1")
    c.incident_report(
        actor=w.applicant, project_id=q.pk, kind="delay", occurred_on=TODAY, description="x", on=TODAY
    )
    c.change_request(actor=w.applicant, project_id=q.pk, content="x", reason="y")
    with CaptureQueriesContext(connection) as one:
        c.construction_facts_many([p], TODAY)
    with CaptureQueriesContext(connection) as two:
        many = c.construction_facts_many(Project.objects.filter(pk__in=[p.pk, q.pk]), TODAY)
    assert len(one) == len(two) <= 5
    assert many[p.pk] == c.construction_facts(p, TODAY) and many[q.pk].pending_change_requests == 1
    assert many[q.pk].serious_delay_or_loss and not many[p.pk].serious_delay_or_loss


PERIODS = ["2025-H1", "2025-H2", "2026-H1"]  # all due or current on any day of 2026 up to TODAY


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.lists(st.sampled_from(PERIODS), unique=True),
       days=st.lists(st.integers(0, (TODAY - dt.date(2026, 1, 1)).days), min_size=3, max_size=3))  # fmt: skip
def test_facts_report_exactly_the_filed_periods(
    w: World, p: Project, chosen: list[str], days: list[int]
) -> None:
    ProgressReport.objects.filter(project=p).delete()
    filed: dict[str, dt.date] = {}
    for i, label in enumerate(sorted(chosen)):
        on = dt.date(2026, 1, 1) + dt.timedelta(days=days[i])
        file(w, p, label, progress=10 * (i + 1), on=on)
        filed[label] = on
    facts = c.construction_facts(p, TODAY)
    assert {r.period: r.filed_on for r in facts.reports} == filed
    schedule = c.report_schedule(p, TODAY)
    assert {r.period: r.filed_on for r in schedule if r.filed_on is not None} == filed
    assert {r.period for r in schedule if r.status is c.ReportState.OVERDUE} == {"2025-H1", "2025-H2"} - set(
        filed
    )
