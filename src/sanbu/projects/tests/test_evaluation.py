"""Evaluation after acceptance (PRJ-E1..E3) through the services and the facts built from the rows: the
self-evaluation window on each ruleset (overdue blocks, early or late warns), the key evaluation and its
grade, rectification problems and their consequences, deliverables and the contract's IP clause, wrong
state refused with nothing written, permissions, and batch facts in a fixed number of queries.

Accepted projects are made by setting the state and the acceptance date directly (test setup only: the
acceptance services are built elsewhere)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanbu.core.errors import Conflict, NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_user
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.rules.acceptance import DELIVERABLES
from sanbu.policy.rulesets import Ruleset, load
from sanbu.projects import evaluation as e
from sanbu.projects import steps
from sanbu.projects.models import Deliverable, Lifecycle, Problem, Project

from .support import World, world
from .test_construction import approve

pytestmark = pytest.mark.django_db(databases="__all__")

CODES = {"default": "110000", "jiangxi": "360100", "zibo": "370300", "yiyuan": "370323", "district": "370300"}
TODAY = dt.date(2026, 3, 20)


def accepted(w: World, accepted_on: dt.date, **over: Any) -> Project:
    p = approve(w, **over)
    Project.objects.filter(pk=p.pk).update(state="accepted")  # test setup only
    lc = steps.lifecycle_of(p)
    Lifecycle.objects.filter(pk=lc.pk).update(accepted_on=accepted_on)
    p.refresh_from_db()
    return p


def rule(ds: list[Decision], rule_id: str) -> Decision:
    return next(d for d in ds if d.rule_id == rule_id)


def counts() -> tuple[int, ...]:
    return Problem.objects.count(), Deliverable.objects.count(), ChangeRecord.objects.count()


@pytest.fixture
def w(db: Any) -> World:
    return world(prefix="e")


@pytest.fixture
def p(w: World) -> Project:
    return accepted(w, dt.date(2025, 9, 1))  # window 2026-03-01 .. 2026-09-01: TODAY is inside


@pytest.mark.parametrize("name", list(CODES))
def test_e1_window_and_e3_deliverables_on_each_ruleset(name: str) -> None:
    w = world(CODES[name], prefix=f"v{name[:2]}")
    rs: Ruleset | None = load("district") if name == "district" else None
    if rs is None:
        assert steps.ruleset_of(Project(jurisdiction_id=CODES[name])).name == name
    late = accepted(w, dt.date(2025, 1, 15))  # window ended 2026-01-15
    early = accepted(w, dt.date(2026, 1, 10), name="教育资源平台二期")  # window starts 2026-07-10
    window = (rs or steps.ruleset_of(late)).value("projects.evaluation_window_months")
    assert window == [6, 12]
    e1 = rule(e.evaluation_decisions(late, TODAY, rs), "PRJ-E1")
    assert e1.outcome is Outcome.BLOCK and e1.extra["window"] == ["2025-07-15", "2026-01-15"]
    assert rule(e.evaluation_decisions(early, TODAY, rs), "PRJ-E1").outcome is Outcome.ALLOW  # not due yet
    e.self_evaluation_file(actor=w.applicant, project_id=late.pk, report="自评报告：效果良好", on=TODAY)
    e.self_evaluation_file(actor=w.applicant, project_id=early.pk, report="自评报告", on=TODAY)
    for project, word in ((late, "晚于"), (early, "早于")):
        d = rule(e.evaluation_decisions(project, TODAY, rs), "PRJ-E1")
        assert d.outcome is Outcome.WARN and word in d.reason
    e3 = rule(e.evaluation_decisions(late, TODAY, rs), "PRJ-E3")
    assert e3.outcome is Outcome.BLOCK and e3.fact is not None and e3.fact.name == "contract_assigns_ip"
    assert e3.extra["parameters"][0]["value"] == list(DELIVERABLES)  # the same five kinds everywhere
    e.contract_ip_record(actor=w.applicant, project_id=late.pk, assigns=True)
    for kind in list(DELIVERABLES)[:-1]:
        e.deliverable_register(actor=w.applicant, project_id=late.pk, kind=kind, on=TODAY)
    e3 = rule(e.evaluation_decisions(late, TODAY, rs), "PRJ-E3")
    assert e3.outcome is Outcome.BLOCK and e3.fact is not None and e3.fact.value == ["interfaces"]
    e.deliverable_register(
        actor=w.applicant, project_id=late.pk, kind="interfaces", description="接口清单", on=TODAY
    )
    assert rule(e.evaluation_decisions(late, TODAY, rs), "PRJ-E3").outcome is Outcome.ALLOW


def test_self_evaluation_in_the_window_once(w: World, p: Project) -> None:
    assert rule(e.evaluation_decisions(p, TODAY), "PRJ-E1").outcome is Outcome.ALLOW
    with pytest.raises(ValidationFailed):
        e.self_evaluation_file(actor=w.applicant, project_id=p.pk, report="  ", on=TODAY)
    with pytest.raises(ValidationFailed) as v:  # before acceptance
        e.self_evaluation_file(actor=w.applicant, project_id=p.pk, report="报告", on=dt.date(2025, 8, 1))
    assert v.value.errors[0].code == "too_early"
    lc = e.self_evaluation_file(actor=w.applicant, project_id=p.pk, report="报告", on=TODAY)
    assert lc.self_evaluation_filed_on == TODAY
    d = rule(e.evaluation_decisions(p, TODAY), "PRJ-E1")
    assert d.outcome is Outcome.ALLOW and d.reason == "已按期报送绩效自评报告"
    with pytest.raises(Conflict) as c:
        e.self_evaluation_file(actor=w.applicant, project_id=p.pk, report="再报", on=TODAY)
    assert c.value.code == "projects.evaluation.already_filed"


def test_key_evaluation_grade_problems_and_consequences(w: World, p: Project) -> None:
    deadline = dt.date(2026, 4, 30)
    with pytest.raises(Conflict) as c:  # not selected yet
        e.key_evaluation_grade(actor=w.authority, project_id=p.pk, grade="合格", on=TODAY)
    assert c.value.code == "projects.evaluation.not_selected"
    with pytest.raises(NotFound):  # the unit does not select itself
        e.key_evaluation_select(actor=w.applicant, project_id=p.pk, selected=True)
    e.key_evaluation_select(actor=w.authority, project_id=p.pk, selected=True)
    before = counts()
    with pytest.raises(ValidationFailed) as v:
        e.key_evaluation_grade(actor=w.authority, project_id=p.pk, grade="差", on=TODAY,
                               problems=[("", deadline), ("ok", TODAY - dt.timedelta(days=1))])  # fmt: skip
    assert {x.field for x in v.value.errors} == {"grade", "problems[0].text", "problems[1].deadline"}
    assert counts() == before and Lifecycle.objects.get(project=p).key_evaluation_grade == ""
    e.key_evaluation_grade(actor=w.authority, project_id=p.pk, grade="不合格", on=TODAY,
                           problems=[("数据接口未开放", deadline), ("安全加固未完成", deadline)])  # fmt: skip
    assert Problem.objects.filter(project=p, deadline=deadline).count() == 2
    ds = e.evaluation_decisions(p, TODAY)
    e1, e2 = rule(ds, "PRJ-E1"), rule(ds, "PRJ-E2")
    assert e1.outcome is Outcome.WARN and "不合格" in e1.reason and "key_evaluation_dimensions" in e1.extra
    assert e2.outcome is Outcome.ALLOW and len(e2.extra["pending"]) == 2
    assert e.consequences(p, TODAY) is None
    with pytest.raises(Conflict):
        e.key_evaluation_select(actor=w.authority, project_id=p.pk, selected=False)
    after = deadline + dt.timedelta(days=1)
    e2 = rule(e.evaluation_decisions(p, after), "PRJ-E2")
    assert e2.outcome is Outcome.BLOCK
    cons = e.consequences(p, after)
    assert cons is not None and "终止项目" in cons.measures and len(cons.overdue) == 2
    first, second = Problem.objects.filter(project=p).order_by("id")
    with pytest.raises(NotFound):  # the unit cannot confirm its own rectification
        e.problem_fixed(actor=w.applicant, problem_id=first.pk, on=after)
    e.problem_fixed(actor=w.authority, problem_id=first.pk, on=after)
    with pytest.raises(Conflict):
        e.problem_fixed(actor=w.authority, problem_id=first.pk, on=after)
    cons = e.consequences(p, after)
    assert cons is not None and [x["text"] for x in cons.overdue] == ["安全加固未完成"]
    e.problem_fixed(actor=w.authority, problem_id=second.pk, on=after)
    assert rule(e.evaluation_decisions(p, after), "PRJ-E2").outcome is Outcome.ALLOW
    extra = e.problem_add(
        actor=w.authority, project_id=p.pk, text="运维监管发现日志缺失", deadline=after, on=TODAY
    )
    assert e.consequences(p, after + dt.timedelta(days=1)) is not None and extra.fixed_on is None


def test_deliverables_once_per_kind_and_known_kinds_only(w: World, p: Project) -> None:
    e.deliverable_register(actor=w.applicant, project_id=p.pk, kind="source_code", on=TODAY)
    before = counts()
    with pytest.raises(Conflict) as c:
        e.deliverable_register(actor=w.applicant, project_id=p.pk, kind="source_code", on=TODAY)
    assert c.value.code == "projects.deliverable.duplicate" and "源代码" in c.value.message
    with pytest.raises(ValidationFailed):
        e.deliverable_register(actor=w.applicant, project_id=p.pk, kind="photos", on=TODAY)
    assert counts() == before
    other = actor_of(make_user("e_other", department=w.provider, roles=("project_unit",)))
    with pytest.raises(NotFound):
        e.deliverable_register(actor=other, project_id=p.pk, kind="design", on=TODAY)
    assert e.evaluation_facts(p, TODAY).deliverables_registered == ("source_code",)


def test_a_project_not_accepted_is_refused_with_nothing_written_and_absent_from_facts(
    w: World, p: Project
) -> None:
    q = approve(w, name="教育资源平台三期")
    before = counts()
    lc_before = Lifecycle.objects.filter(project=q).values_list("version", flat=True).first()
    calls = [
        lambda: e.self_evaluation_file(actor=w.applicant, project_id=q.pk, report="报告", on=TODAY),
        lambda: e.key_evaluation_select(actor=w.authority, project_id=q.pk, selected=True),
        lambda: e.key_evaluation_grade(actor=w.authority, project_id=q.pk, grade="合格", on=TODAY),
        lambda: e.problem_add(actor=w.authority, project_id=q.pk, text="x", deadline=TODAY, on=TODAY),
    ]
    for call in calls:
        with pytest.raises(Conflict) as c:
            call()
        assert c.value.code == "projects.project.wrong_state"
    assert counts() == before
    assert Lifecycle.objects.filter(project=q).values_list("version", flat=True).first() == lc_before
    assert set(e.evaluation_facts_many([p, q], TODAY)) == {p.pk}
    assert e.consequences(q, TODAY) is None
    # accepted in state but with no acceptance date: refused too
    Project.objects.filter(pk=q.pk).update(state="accepted")
    with pytest.raises(Conflict) as c:
        e.self_evaluation_file(actor=w.applicant, project_id=q.pk, report="报告", on=TODAY)
    assert c.value.code == "projects.evaluation.not_accepted"


def test_facts_for_many_projects_take_a_fixed_number_of_queries(w: World, p: Project) -> None:
    q = accepted(w, dt.date(2025, 10, 1), name="教育资源平台二期")
    e.problem_add(actor=w.authority, project_id=q.pk, text="整改", deadline=TODAY, on=TODAY)
    e.deliverable_register(actor=w.applicant, project_id=p.pk, kind="design", on=TODAY)
    with CaptureQueriesContext(connection) as one:
        e.evaluation_facts_many([p], TODAY)
    with CaptureQueriesContext(connection) as two:
        many = e.evaluation_facts_many(Project.objects.filter(pk__in=[p.pk, q.pk]), TODAY)
    assert len(one) == len(two) <= 3
    assert many[p.pk] == e.evaluation_facts(p, TODAY) and many[p.pk].deliverables_registered == ("design",)
    assert [x.text for x in many[q.pk].problems] == ["整改"] and many[q.pk].accepted_on == dt.date(
        2025, 10, 1
    )
