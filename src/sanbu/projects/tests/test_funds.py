"""Gate F through the services: the annual plan (PRJ-F1, dynamic additions), the start deadline and the
recovery sweep (PRJ-F2, per ruleset), closing with the balance (PRJ-F3), post-subsidy funds (PRJ-F4), one
winner when two clerks pay the same tranche, and the ledger balancing under random operations."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, RuleBlocked, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_user
from sanbu.orgs import rulesets as org_rulesets
from sanbu.policy.calendar import add_months
from sanbu.policy.decisions import Outcome
from sanbu.policy.rules.funds import evaluate_f
from sanbu.policy.rulesets import Change, load
from sanbu.projects import funds, services, simulation, steps
from sanbu.projects.models import (
    AnnualPlan,
    EntryKind,
    ExpertAssignment,
    GateRecord,
    LedgerEntry,
    Lifecycle,
    PlanEntry,
    PlanState,
    Project,
    RecoveryNotice,
    Tranche,
    TrancheState,
)

from .support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

# one jurisdiction per ruleset that claims one (district claims none: checked on the facts below)
RULESETS = {"default": "110000", "jiangxi": "360100", "zibo": "370300", "yiyuan": "370323"}
TODAY = timezone.localdate()


@pytest.fixture
def w(db: Any) -> World:
    return world(prefix="f")


def planned(w: World, project: Project, *, issued: bool = True) -> AnnualPlan:
    """The project in the (new or existing) plan of this year of its jurisdiction, issued."""
    plan = AnnualPlan.objects.filter(jurisdiction_id=project.jurisdiction_id, year=TODAY.year).first()
    if plan is None:
        plan = funds.plan_create(actor=w.authority, jurisdiction=project.jurisdiction_id, year=TODAY.year)
    entry = funds.plan_add(actor=w.authority, plan_id=plan.pk, project_id=project.pk, amount=1000,
                           expected_version=None, basis="抄告单〔2026〕1号" if plan.state == PlanState.ISSUED else "")  # fmt: skip
    if entry.dynamic:
        funds.plan_addition_approve(actor=w.authority, entry_id=entry.pk, basis="抄告单〔2026〕1号")
    if issued and plan.state == PlanState.DRAFT:
        plan = funds.plan_issue(
            actor=w.authority, plan_id=plan.pk, expected_version=None, document_number="计划1号"
        )
    return plan


def backdate(project: Project, months: int) -> dt.date:
    """Approval moved ``months`` back (test setup); returns the approval date."""
    day = add_months(TODAY, -months)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    Project.objects.filter(pk=project.pk).update(decided_at=when)
    return day


def started(project: Project, on: dt.date | None) -> None:
    """Construction started (written by ``construction``; set directly here)."""
    lc = steps.lifecycle_of(project)
    Lifecycle.objects.filter(pk=lc.pk).update(started_on=on)


def pay(w: World, t: Tranche, **kw: Any) -> Tranche:
    return funds.tranche_pay(actor=w.finance, tranche_id=t.pk, expected_version=None, voucher="凭证1", **kw)[
        0
    ]


def schedule(w: World, p: Project, amount: int) -> Tranche:
    return funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=amount)


def approve(w: World, **over: Any) -> Project:
    """An approved project: draw, scores, the joint review (Jiangxi requires it), the centre's opinion."""
    p = w.submitted(**over)
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=None, size=5, seed="abc123")
    for a in ExpertAssignment.objects.filter(project=p, draw__current=True).select_related("expert__user"):
        services.expert_score(actor=actor_of(a.expert.user), assignment_id=a.pk, score=85,
                              conclusion="agree", opinion="方案可行，建议立项")  # fmt: skip
    services.joint_review_record(actor=w.authority, project_id=p.pk, expected_version=None, conclusion="agree",
                                 participants="大数据中心、发展改革、财政", note="同意")  # fmt: skip
    services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                   opinion="favourable", text="同意备案")  # fmt: skip
    return services.project_approve(actor=w.authority, project_id=p.pk, expected_version=None)[0]


def block_of(exc: pytest.ExceptionInfo[RuleBlocked], rule: str) -> Any:
    return next(d for d in exc.value.decisions if d.rule_id == rule)


# --- the plan ---------------------------------------------------------------------------------------------


def test_plan_is_once_per_year_and_takes_only_approved_projects_within_the_amount(w: World) -> None:
    plan = funds.plan_create(actor=w.authority, jurisdiction="370300", year=TODAY.year)
    with pytest.raises(Conflict) as exc:
        funds.plan_create(actor=w.authority, jurisdiction="370300", year=TODAY.year)
    assert exc.value.code == "projects.plan.exists"
    with pytest.raises(NotFound):
        funds.plan_create(actor=w.finance, jurisdiction="370300", year=TODAY.year + 1)
    draft = w.submitted(name="未立项项目")
    with pytest.raises(Conflict) as exc:
        funds.plan_add(
            actor=w.authority, plan_id=plan.pk, project_id=draft.pk, amount=10, expected_version=None
        )
    assert exc.value.code == "projects.project.wrong_state"
    p = approve(w, amount=1_000_000)
    # another year's plan already holds 600,000 of the 1,000,000 approved
    other = funds.plan_create(actor=w.authority, jurisdiction="370300", year=TODAY.year + 1)
    funds.plan_add(
        actor=w.authority, plan_id=other.pk, project_id=p.pk, amount=600_000, expected_version=None
    )
    with pytest.raises(ValidationFailed) as bad:
        funds.plan_add(
            actor=w.authority, plan_id=plan.pk, project_id=p.pk, amount=400_001, expected_version=1
        )
    assert bad.value.errors[0].field == "amount" and "400000" in bad.value.errors[0].message
    with pytest.raises(Conflict) as exc:
        funds.plan_issue(
            actor=w.authority, plan_id=plan.pk, expected_version=1, document_number="淄计〔2026〕1号"
        )
    assert exc.value.code == "projects.plan.empty"
    entry = funds.plan_add(
        actor=w.authority, plan_id=plan.pk, project_id=p.pk, amount=400_000, expected_version=1
    )
    assert not entry.dynamic
    with pytest.raises(Conflict) as exc:  # the clerk saw version 1; the plan is at 2 now
        funds.plan_issue(
            actor=w.authority, plan_id=plan.pk, expected_version=1, document_number="淄计〔2026〕1号"
        )
    assert exc.value.code == "projects.plan.changed"
    plan = funds.plan_issue(
        actor=w.authority, plan_id=plan.pk, expected_version=2, document_number="淄计〔2026〕1号"
    )
    assert plan.state == PlanState.ISSUED and plan.document_number == "淄计〔2026〕1号"
    assert ChangeRecord.objects.filter(action__startswith="projects.plan.").count() == 5
    # after issue: a dynamic addition needs a basis and its own approval
    late = approve(w, name="动态新增项目")
    with pytest.raises(ValidationFailed) as bad:
        funds.plan_add(
            actor=w.authority, plan_id=plan.pk, project_id=late.pk, amount=10, expected_version=None
        )
    assert bad.value.errors[0].field == "basis"
    added = funds.plan_add(actor=w.authority, plan_id=plan.pk, project_id=late.pk, amount=10,
                           expected_version=None, basis="抄告单〔2026〕7号")  # fmt: skip
    assert added.dynamic and added.addition_approved_at is None
    with pytest.raises(Conflict):
        funds.plan_addition_approve(actor=w.authority, entry_id=entry.pk, basis="x")  # not dynamic
    assert [p.pk for p in funds.plan_list(actor=w.finance)] == [other.pk, plan.pk]
    assert funds.plan_get(actor=w.finance, plan_id=plan.pk).entries.count() == 2
    elsewhere = actor_of(make_user("f_fin_jx", roles=("finance",), jurisdiction="360000"))
    assert funds.plan_list(actor=elsewhere) == []
    with pytest.raises(NotFound):
        funds.plan_get(actor=elsewhere, plan_id=plan.pk)


@pytest.mark.parametrize("name", list(RULESETS))
def test_f1_not_in_the_plan_blocks_payment_and_an_approved_dynamic_addition_allows_it(name: str) -> None:
    w = world(RULESETS[name], prefix=f"p{name[:2]}")
    p = approve(w, amount=500_000)
    assert steps.ruleset_of(p).name == name
    t = schedule(w, p, 200_000)
    before = (LedgerEntry.objects.count(), GateRecord.objects.filter(gate="F").count())
    with pytest.raises(RuleBlocked) as exc:
        pay(w, t)
    assert block_of(exc, "PRJ-F1").fact.name == "in_annual_plan"
    assert (LedgerEntry.objects.count(), GateRecord.objects.filter(gate="F").count()) == before
    assert Tranche.objects.get(pk=t.pk).state == TrancheState.SCHEDULED
    # a plan issued without it, then the project added dynamically: still blocked until approved
    other = approve(w, name="计划内项目")
    plan = planned(w, other)
    entry = funds.plan_add(actor=w.authority, plan_id=plan.pk, project_id=p.pk, amount=500_000,
                           expected_version=None, basis="会议纪要〔2026〕3号")  # fmt: skip
    with pytest.raises(RuleBlocked):
        pay(w, t)
    funds.plan_addition_approve(actor=w.authority, entry_id=entry.pk, basis="抄告单〔2026〕9号")
    paid, warnings = funds.tranche_pay(
        actor=w.finance, tranche_id=t.pk, expected_version=t.version, voucher="V-1"
    )
    assert paid.state == TrancheState.PAID and paid.paid_on == TODAY and warnings == []
    assert LedgerEntry.objects.get(tranche=t).amount == 200_000
    record = GateRecord.objects.get(project=p, gate="F")
    assert record.ruleset == name and record.facts["dynamic_addition_approved"] is True
    assert record.facts["requested"] == 200_000
    # PRJ-F1's ceiling: scheduling beyond the approved amount is refused
    with pytest.raises(ValidationFailed):
        schedule(w, p, 300_001)
    assert funds.ledger_summary(p) == {"approved": 500_000, "scheduled": 0, "paid": 200_000, "recovered": 0,
                                       "returned": 0, "net": 200_000, "frozen": 0, "remaining": 300_000}  # fmt: skip


def test_the_district_ruleset_decides_gate_f_like_the_default_on_the_same_facts(w: World) -> None:
    p = approve(
        w,
    )
    f = funds.funds_facts(p, TODAY, requested=100)
    for day, outcome in ((TODAY, Outcome.BLOCK), (add_months(TODAY, 7), Outcome.BLOCK)):
        ds = {d.rule_id: d for d in evaluate_f(funds.funds_facts(p, day, 100), load("district"))}
        assert ds["PRJ-F1"].outcome is outcome
    assert [d.outcome for d in evaluate_f(f, load("district"))] == [
        d.outcome for d in evaluate_f(f, load("default"))
    ]


# --- PRJ-F2: the start deadline and the sweep --------------------------------------------------------------


@pytest.mark.parametrize("name", list(RULESETS))
def test_f2_sweep_notices_recovers_and_freezes_once_after_the_rulesets_deadline(name: str) -> None:
    code = RULESETS[name]
    w = world(code, prefix=f"s{name[:2]}")
    p = approve(w, amount=900_000)
    planned(w, p)
    approved_on = backdate(p, 0)
    months = int(steps.ruleset_of(p).value("projects.start_within_months"))
    deadline = add_months(approved_on, months)
    paid = pay(w, schedule(w, p, 300_000))  # paid while the deadline has not passed
    rest = schedule(w, p, 400_000)
    assert funds.recovery_sweep(actor=w.finance, jurisdiction=code, on=deadline) == []
    notices = funds.recovery_sweep(actor=w.finance, jurisdiction=code, on=deadline + dt.timedelta(days=1))
    assert len(notices) == 1
    n = notices[0]
    assert n.rule == "PRJ-F2" and n.number.startswith(f"收回〔{deadline.year}〕") and n.number.endswith("号")
    assert (n.frozen_amount, n.recover_amount) == (400_000, 300_000)
    assert n.decisions and any(d["rule_id"] == "PRJ-F2" and d["outcome"] == "block" for d in n.decisions)
    assert Lifecycle.objects.get(project=p).funds_frozen
    assert Tranche.objects.get(pk=rest.pk).state == TrancheState.FROZEN
    assert Tranche.objects.get(pk=paid.pk).state == TrancheState.PAID
    assert funds.ledger_summary(p)["net"] == 0 and funds.ledger_summary(p)["frozen"] == 400_000
    with pytest.raises(Conflict) as exc:
        pay(w, rest)
    assert exc.value.code == "projects.funds.frozen"
    with pytest.raises(Conflict):
        schedule(w, p, 1)
    # idempotent
    assert funds.recovery_sweep(actor=w.finance, jurisdiction=code, on=deadline + dt.timedelta(days=40)) == []
    assert RecoveryNotice.objects.filter(project=p).count() == 1


def test_f2_force_majeure_or_a_start_keeps_the_funds_and_a_sweep_elsewhere_is_not_allowed(w: World) -> None:
    a, b, c = (approve(w, name=f"项目{i}") for i in range(3))
    for p in (a, b, c):
        backdate(p, 8)
    started(b, add_months(TODAY, -5))
    with pytest.raises(ValidationFailed):
        funds.force_majeure_record(actor=w.authority, project_id=c.pk, reason="  ")
    funds.force_majeure_record(actor=w.authority, project_id=c.pk, reason="2026年7月特大洪涝灾害")
    with pytest.raises(NotFound):
        funds.force_majeure_record(actor=w.finance, project_id=a.pk, reason="x")
    with pytest.raises(NotFound):
        funds.recovery_sweep(actor=w.finance, jurisdiction="360000")
    notices = funds.recovery_sweep(actor=w.finance, jurisdiction="370300")
    assert [n.project_id for n in notices] == [a.pk]
    assert notices[0].recover_amount == 0  # nothing was paid: no recovery entry
    assert not LedgerEntry.objects.filter(project=a).exists()


def test_f2_a_freeze_is_lifted_only_once_force_majeure_is_recognised(w: World) -> None:
    p = approve(w, amount=900_000)
    planned(w, p)
    backdate(p, 8)
    frozen = schedule(w, p, 400_000)
    with pytest.raises(Conflict) as c:  # nothing frozen yet
        funds.freeze_lift(actor=w.finance, project_id=p.pk, reason="x")
    assert c.value.code == "projects.funds.not_frozen"
    (notice,) = funds.recovery_sweep(actor=w.finance, jurisdiction="370300")
    before = (_state(p), ChangeRecord.objects.count())
    with pytest.raises(RuleBlocked) as exc:  # PRJ-F2 still applies: the block names it and what lifts it
        funds.freeze_lift(actor=w.finance, project_id=p.pk, reason="项目单位申诉")
    f2 = block_of(exc, "PRJ-F2")
    assert f2.fact is not None and f2.remedy and "不可抗力" in f2.remedy + f2.reason
    with pytest.raises(NotFound):  # the unit does not lift its own freeze
        funds.freeze_lift(actor=w.applicant, project_id=p.pk, reason="x")
    with pytest.raises(ValidationFailed):
        funds.freeze_lift(actor=w.finance, project_id=p.pk, reason=" ")
    assert (_state(p), ChangeRecord.objects.count()) == before
    funds.force_majeure_record(actor=w.authority, project_id=p.pk, reason="2026年7月特大洪涝灾害，复核认定")
    lifted, _ = funds.freeze_lift(actor=w.finance, project_id=p.pk, reason="经复核认定不可抗力，解除冻结")
    assert lifted.pk == notice.pk and lifted.lifted_on == TODAY and lifted.lift_reason.startswith("经复核")
    lc = Lifecycle.objects.get(project=p)
    assert not lc.funds_frozen and Tranche.objects.get(pk=frozen.pk).state == TrancheState.SCHEDULED
    assert ChangeRecord.objects.filter(action="projects.funds.freeze_lift").count() == 1
    assert GateRecord.objects.filter(project=p, gate="F").latest("pk").decisions
    started(p, TODAY)
    assert pay(w, Tranche.objects.get(pk=frozen.pk)).state == TrancheState.PAID  # funds flow again
    with pytest.raises(Conflict):  # once
        funds.freeze_lift(actor=w.finance, project_id=p.pk, reason="x")
    assert funds.recovery_sweep(actor=w.finance, jurisdiction="370300") == []  # not noticed twice


def test_f2_the_deadline_follows_a_published_ruleset_version(db: Any) -> None:
    """Zibo shortens the start deadline to 3 months: its projects (and Yiyuan's, which inherit) are
    noticed after 4 months, Jiangxi's are not."""
    zibo, jiangxi = world("370300", prefix="rz"), world("360100", prefix="rj")
    yiyuan = world("370323", prefix="ry")
    projects = {name: approve(wd) for name, wd in (("zibo", zibo), ("jiangxi", jiangxi), ("yiyuan", yiyuan))}
    for p in projects.values():
        backdate(p, 4)
    v = org_rulesets.ruleset_draft(actor=zibo.authority, name="zibo", changes=[
        Change("parameter", "projects.start_within_months", 3, "淄政办〔2026〕5号 批复后三个月内开工"),
    ])  # fmt: skip
    org_rulesets.ruleset_publish(actor=zibo.authority, version_id=v.pk)
    assert int(steps.ruleset_of(projects["yiyuan"]).value("projects.start_within_months")) == 3
    noticed = [n.project_id for n in funds.recovery_sweep(actor=SYSTEM, jurisdiction="370300")]
    assert sorted(noticed) == sorted([projects["zibo"].pk, projects["yiyuan"].pk])
    assert funds.recovery_sweep(actor=SYSTEM, jurisdiction="360000") == []
    f2 = next(d for d in funds.funds_decisions(projects["zibo"]) if d.rule_id == "PRJ-F2")
    assert f2.outcome is Outcome.BLOCK and f2.extra["parameters"][0]["value"] == 3


# --- PRJ-F3: closing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RULESETS))
def test_f3_closing_with_the_balance_kept_is_blocked_and_returning_it_closes(name: str) -> None:
    w = world(RULESETS[name], prefix=f"c{name[:2]}")
    p = approve(w, amount=800_000)
    planned(w, p)
    started(p, TODAY)
    pay(w, schedule(w, p, 500_000))
    left = schedule(w, p, 100_000)
    lc = Lifecycle.objects.get(project=p)
    with pytest.raises(RuleBlocked) as exc:
        funds.funds_close(actor=w.finance, project_id=p.pk, expected_version=lc.version, balance=80_000,
                          returned=30_000, goals_or_content_changed=False)  # fmt: skip
    assert block_of(exc, "PRJ-F3").extra["to_return"] == 50_000
    assert not LedgerEntry.objects.filter(kind=EntryKind.RETURN).exists()
    assert Lifecycle.objects.get(project=p).closed_on is None
    with pytest.raises(ValidationFailed):  # more than was paid
        funds.funds_close(actor=w.finance, project_id=p.pk, expected_version=lc.version, balance=500_001,
                          returned=0, goals_or_content_changed=False)  # fmt: skip
    lc, warnings = funds.funds_close(actor=w.finance, project_id=p.pk, expected_version=lc.version, balance=80_000,
                                     returned=80_000, goals_or_content_changed=False)  # fmt: skip
    assert lc.closed_on == TODAY and lc.balance == 80_000 and warnings == []
    assert Tranche.objects.get(pk=left.pk).state == TrancheState.CANCELLED
    s = funds.ledger_summary(p)
    assert (s["paid"], s["returned"], s["net"]) == (500_000, 80_000, 420_000)
    with pytest.raises(Conflict) as c:
        funds.funds_close(actor=w.finance, project_id=p.pk, expected_version=None, balance=0, returned=0,
                          goals_or_content_changed=False)  # fmt: skip
    assert c.value.code == "projects.funds.closed"


def test_f3_changed_goals_leave_the_balance_to_finance(w: World) -> None:
    p = approve(
        w,
    )
    planned(w, p)
    started(p, TODAY)
    pay(w, schedule(w, p, 100_000))
    lc, warnings = funds.funds_close(actor=w.finance, project_id=p.pk, expected_version=None, balance=40_000,
                                     returned=0, goals_or_content_changed=True)  # fmt: skip
    assert [d.rule_id for d in warnings] == ["PRJ-F3"] and warnings[0].outcome is Outcome.NEEDS_REVIEW
    assert lc.goals_or_content_changed and GateRecord.objects.filter(project=p, gate="F").count() == 2


# --- PRJ-F4: post-subsidy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RULESETS))
def test_f4_post_subsidy_pays_after_a_passed_evaluation_and_recovers_on_failure(name: str) -> None:
    w = world(RULESETS[name], prefix=f"e{name[:2]}")
    good, bad = approve(w, name="后补助甲"), approve(w, name="后补助乙")
    for p in (good, bad):
        planned(w, p)
        started(p, TODAY)
        funds.funding_mode_set(actor=w.authority, project_id=p.pk, mode="post_subsidy")
    with pytest.raises(NotFound):
        funds.funding_mode_set(actor=w.finance, project_id=good.pk, mode="tranche")
    t = schedule(w, good, 300_000)
    with pytest.raises(RuleBlocked) as exc:
        pay(w, t)
    assert block_of(exc, "PRJ-F4").fact.name == "evaluation_passed"
    with pytest.raises(Conflict) as c:  # not failed: nothing to recover under PRJ-F4
        funds.recovery_issue(actor=w.finance, project_id=good.pk)
    assert c.value.code == "projects.funds.no_recovery_due"
    Lifecycle.objects.filter(project=good).update(key_evaluation_grade="良好")
    assert pay(w, t).state == TrancheState.PAID
    with pytest.raises(Conflict) as c:
        funds.funding_mode_set(actor=w.authority, project_id=good.pk, mode="tranche")
    assert c.value.code == "projects.funds.already_paid"
    # the other passed first, was paid, then its key evaluation failed: recover all or part
    Lifecycle.objects.filter(project=bad).update(key_evaluation_grade="合格")
    pay(w, schedule(w, bad, 200_000))
    more = schedule(w, bad, 100_000)
    Lifecycle.objects.filter(project=bad).update(key_evaluation_grade="不合格")
    with pytest.raises(RuleBlocked) as exc:
        pay(w, more)
    assert block_of(exc, "PRJ-F4").extra["recover_up_to"] == 200_000
    with pytest.raises(ValidationFailed):
        funds.recovery_issue(actor=w.finance, project_id=bad.pk, amount=200_001)
    part = funds.recovery_issue(actor=w.finance, project_id=bad.pk, amount=50_000)
    rest = funds.recovery_issue(actor=w.finance, project_id=bad.pk)
    assert (part.recover_amount, rest.recover_amount) == (50_000, 150_000) and part.number != rest.number
    assert funds.ledger_summary(bad)["net"] == 0 and funds.ledger_summary(bad)["recovered"] == 200_000
    with pytest.raises(Conflict) as c:
        funds.recovery_issue(actor=w.finance, project_id=bad.pk)
    assert c.value.code == "projects.funds.nothing_to_recover"


def test_f4_startup_funds_are_paid_before_the_evaluation_and_recovered_on_failure(w: World) -> None:
    """003 十: 启动资金 for a pilot before its 考核验收, only part of the funds; a failed evaluation recovers
    what was paid, start-up funds included."""
    plain, pilot = approve(w, name="按进度拨付项目"), approve(w, name="后补助试点")
    for p in (plain, pilot):
        planned(w, p)
        started(p, TODAY)
    with pytest.raises(ValidationFailed) as v:  # start-up funds are a post-subsidy notion
        funds.tranche_schedule(actor=w.finance, project_id=plain.pk, amount=100_000, startup=True)
    assert [(e.field, e.code) for e in v.value.errors] == [("startup", "not_post_subsidy")]
    assert not Tranche.objects.filter(project=plain).exists()
    funds.funding_mode_set(actor=w.authority, project_id=pilot.pk, mode="post_subsidy")
    approved = pilot.approved_amount or pilot.amount
    with pytest.raises(ValidationFailed) as v:  # the whole amount is not "part of" it
        funds.tranche_schedule(actor=w.finance, project_id=pilot.pk, amount=approved, startup=True)
    assert [(e.field, e.code) for e in v.value.errors] == [("startup", "too_large")]
    assert "少于批复金额" in v.value.errors[0].message
    start = funds.tranche_schedule(actor=w.finance, project_id=pilot.pk, amount=300_000, startup=True,
                                   purpose="试点启动资金")  # fmt: skip
    reward = schedule(w, pilot, 200_000)
    assert simulation._next_tranches([pilot.pk]) == ({pilot.pk: 300_000}, {pilot.pk})  # what simulation asks
    paid, _ = funds.tranche_pay(actor=w.finance, tranche_id=start.pk, expected_version=None, voucher="Q1")
    assert paid.state == TrancheState.PAID and paid.startup
    f4 = GateRecord.objects.filter(project=pilot, gate="F").latest("pk").decisions
    assert any(d["rule_id"] == "PRJ-F4" and "启动资金" in d["reason"] for d in f4)
    with pytest.raises(RuleBlocked) as exc:  # the rest waits for the evaluation
        pay(w, reward)
    assert block_of(exc, "PRJ-F4").fact.name == "evaluation_passed"
    Lifecycle.objects.filter(project=pilot).update(key_evaluation_grade="不合格")
    notice = funds.recovery_issue(actor=w.finance, project_id=pilot.pk)
    assert notice.recover_amount == 300_000 and funds.ledger_summary(pilot)["net"] == 0


def test_startup_tranches_become_plain_when_the_project_is_paid_by_progress(w: World) -> None:
    p = approve(w)
    planned(w, p)
    funds.funding_mode_set(actor=w.authority, project_id=p.pk, mode="post_subsidy")
    t = funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=100_000, startup=True)
    funds.funding_mode_set(actor=w.authority, project_id=p.pk, mode="tranche")
    t.refresh_from_db()
    assert not t.startup
    after = ChangeRecord.objects.filter(action="projects.funds.mode").latest("seq").after
    assert after is not None and after["startup_tranches_made_plain"] == 1


# --- access, facts ------------------------------------------------------------------------------------------


def test_finance_of_another_jurisdiction_sees_and_touches_nothing(w: World) -> None:
    p = approve(
        w,
    )
    planned(w, p)
    t = schedule(w, p, 100)
    outsider = actor_of(make_user("f_fin_out", roles=("finance",), jurisdiction="360000"))
    for call in (
        lambda: funds.tranche_schedule(actor=outsider, project_id=p.pk, amount=1),
        lambda: funds.tranche_pay(actor=outsider, tranche_id=t.pk, expected_version=None, voucher="v"),
        lambda: funds.tranche_pay(actor=w.finance, tranche_id=999_999, expected_version=None, voucher="v"),
        lambda: funds.project_funds(actor=outsider, project_id=p.pk),
        lambda: funds.tranche_schedule(actor=w.applicant, project_id=p.pk, amount=1),
    ):
        with pytest.raises(NotFound):
            call()
    view = funds.project_funds(actor=w.applicant, project_id=p.pk)  # the unit sees its own project's funds
    assert [x.pk for x in view.tranches] == [t.pk] and view.summary["scheduled"] == 100
    assert {d.rule_id for d in view.decisions} == {"PRJ-F1", "PRJ-F2", "PRJ-F3", "PRJ-F4"}
    assert all(not d.blocks for d in view.decisions)


def test_facts_in_one_batch_equal_each_projects_facts_in_constant_queries(
    w: World, django_assert_max_num_queries: Any
) -> None:
    made = [approve(w, name=f"项目{i}") for i in range(3)]
    planned(w, made[0])
    pay(w, schedule(w, made[0], 1000))
    schedule(w, made[1], 7)
    started(made[2], TODAY)
    with django_assert_max_num_queries(5):
        many = funds.funds_facts_many(Project.objects.filter(pk__in=[p.pk for p in made]), TODAY)
    with django_assert_max_num_queries(5):
        funds.funds_facts_many(made, TODAY, {made[1].pk: 7})
    for p in made:
        assert many[p.pk] == funds.funds_facts(p, TODAY)
    assert many[made[0].pk].in_annual_plan and many[made[0].pk].tranches[0].paid_on == TODAY
    assert many[made[1].pk].tranches[0].paid_on is None and not many[made[1].pk].in_annual_plan
    assert many[made[2].pk].started_on == TODAY


# --- two clerks at once -------------------------------------------------------------------------------------


@pytest.mark.django_db(databases="__all__", transaction=True, serialized_rollback=True)
def test_two_clerks_paying_one_tranche_give_one_payment_and_one_conflict() -> None:
    w = world(prefix="t")
    p = approve(
        w,
    )
    planned(w, p)
    t = schedule(w, p, 100_000)
    second = actor_of(make_user("t_fin2", roles=("finance",)))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay_once(actor: Any, voucher: str) -> None:
        barrier.wait()
        try:
            funds.tranche_pay(actor=actor, tranche_id=t.pk, expected_version=t.version, voucher=voucher)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay_once, args=a) for a in ((w.finance, "V-A"), (second, "V-B"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(outcomes) in (["ok", "projects.tranche.changed"], ["ok", "projects.tranche.paid"])
    assert LedgerEntry.objects.filter(tranche=t, kind=EntryKind.PAYMENT).count() == 1
    assert GateRecord.objects.filter(project=p, gate="F").count() == 1
    assert ChangeRecord.objects.filter(action="projects.tranche.pay").count() == 1


# --- the ledger under random operations --------------------------------------------------------------------

APPROVED = 1000
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("schedule"), st.integers(1, 700)),
        st.tuples(st.just("startup"), st.integers(1, 700)),
        st.tuples(st.just("pay"), st.integers(0, 5)),
        st.tuples(st.just("pay"), st.integers(0, 5)),
        st.tuples(st.just("sweep"), st.just(0)),
        # balance and returned in per cent of the net paid (above 100: more than was paid, refused)
        st.tuples(st.just("close"), st.integers(0, 110), st.integers(0, 100), st.booleans()),
        st.tuples(st.just("recover"), st.integers(1, 110)),
        st.tuples(st.just("fail"), st.just(0)),
    ),
    max_size=10,
)


def _state(p: Project) -> tuple[Any, ...]:
    return (
        tuple(Tranche.objects.filter(project=p).order_by("pk").values_list("pk", "state", "paid_on", "version")),
        LedgerEntry.objects.filter(project=p).count(), RecoveryNotice.objects.filter(project=p).count(),
        GateRecord.objects.filter(project=p).count(), ChangeRecord.objects.count(),
        tuple(Lifecycle.objects.filter(project=p).values_list("version", "funds_frozen", "closed_on")),
    )  # fmt: skip


def _check_ledger(p: Project) -> None:
    sums = {k: 0 for k in EntryKind.values}
    for kind, amount in LedgerEntry.objects.filter(project=p).values_list("kind", "amount"):
        sums[kind] += amount
    s = funds.ledger_summary(p)
    assert sums["payment"] - sums["recovery"] - sums["return"] == s["net"]
    assert 0 <= s["net"] <= s["approved"] == APPROVED
    assert s["paid"] + s["scheduled"] <= APPROVED
    payments = dict(LedgerEntry.objects.filter(project=p, kind="payment").values_list("tranche_id", "amount"))
    assert LedgerEntry.objects.filter(project=p, kind="payment").count() == len(payments)  # once per tranche
    for t in Tranche.objects.filter(project=p):
        assert (t.state == TrancheState.PAID) == (t.pk in payments) == (t.paid_on is not None)
        if t.pk in payments:
            assert payments[t.pk] == t.amount


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(["tranche", "tranche", "post_subsidy"]), passed=st.booleans(),
    late=st.sampled_from([False, False, True]), ops=OPS,
)  # fmt: skip
def test_the_ledger_always_balances_and_refused_operations_change_nothing(
    base: tuple[World, Project], mode: str, passed: bool, late: bool, ops: list[tuple[Any, ...]]
) -> None:
    w, template = base
    p = _copy(template)
    if mode == "post_subsidy":
        funds.funding_mode_set(actor=w.authority, project_id=p.pk, mode=mode)
    Lifecycle.objects.filter(project=p).update(key_evaluation_grade="合格" if passed else "")
    if late:
        backdate(p, 7)
    else:
        started(p, TODAY)
    for op in ops:
        before = _state(p)
        tranches = list(Tranche.objects.filter(project=p).order_by("number"))
        try:
            if op[0] in ("schedule", "startup"):
                funds.tranche_schedule(
                    actor=w.finance, project_id=p.pk, amount=op[1], startup=op[0] == "startup"
                )
            elif op[0] == "pay":
                if not tranches:
                    continue
                t = tranches[op[1] % len(tranches)]
                funds.tranche_pay(actor=w.finance, tranche_id=t.pk, expected_version=t.version, voucher="V")
            elif op[0] == "sweep":
                funds.recovery_sweep(actor=w.finance, jurisdiction=p.jurisdiction_id)
            elif op[0] == "close":
                balance = funds.ledger_summary(p)["net"] * op[1] // 100
                funds.funds_close(actor=w.finance, project_id=p.pk, expected_version=None, balance=balance,
                                  returned=balance * op[2] // 100, goals_or_content_changed=op[3])  # fmt: skip
            elif op[0] == "recover":
                amount = max(1, funds.ledger_summary(p)["net"] * op[1] // 100)
                funds.recovery_issue(actor=w.finance, project_id=p.pk, amount=amount)
            else:
                Lifecycle.objects.filter(project=p).update(key_evaluation_grade="不合格")
                continue
        except (Conflict, RuleBlocked, ValidationFailed):
            assert _state(p) == before
        _check_ledger(p)


_copies = iter(range(1, 10**6))


def _copy(template: Project) -> Project:
    """A fresh approved project in the plan: a copy of the template's row (fast), with its plan entry."""
    p = Project.objects.get(pk=template.pk)
    n = next(_copies)
    p.pk, p.id, p.approval_number, p.name, p.version = (
        None,
        None,
        f"{template.approval_number}-{n}",
        f"副本{n}",
        1,
    )
    p.approved_amount = APPROVED
    p.save()
    plan = PlanEntry.objects.get(project=template).plan
    PlanEntry.objects.create(plan=plan, project=p, amount=APPROVED, added_by="test")
    return p


@pytest.fixture
def base(w: World) -> tuple[World, Project]:
    p = approve(w, amount=APPROVED)
    planned(w, p)
    return w, p
