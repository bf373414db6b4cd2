"""The demo's project lifecycle: every state after approval reached through the services (plan, funds,
construction, acceptance, evaluation, O&M), each held or passed for the reason the platform knows, and
loading again changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sanbu.catalog.models import Resource, ResourceState
from sanbu.core.actor import Actor, Scope
from sanbu.core.audit import verify_chain
from sanbu.core.errors import RuleBlocked
from sanbu.core.models import ChangeRecord
from sanbu.demo.data import DEPARTMENTS
from sanbu.demo.project_lifecycle_data import (
    ACCEPTED,
    BLOCKED_K2,
    DYNAMIC,
    GRADED_FAIL,
    LIFECYCLE,
    NOT_STARTED,
    ON_TRACK,
    OVERDUE,
    POST_SUBSIDY_FAILED,
    STAGE_LABELS,
    load_project_lifecycle,
)
from sanbu.orgs.selectors import actor_for_user
from sanbu.policy.calendar import add_months
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.rules.acceptance import DELIVERABLES
from sanbu.projects import acceptance, construction, evaluation, funds, operations, services, steps
from sanbu.projects.models import (
    FUNDS_MANAGE,
    ChangeState,
    GateRecord,
    Lifecycle,
    PlanEntry,
    PlanState,
    Project,
    ProjectState,
    RecoveryNotice,
    Tranche,
    TrancheState,
)

pytestmark = pytest.mark.django_db(databases="__all__")


def actor(username: str) -> Actor:
    return actor_for_user(get_user_model().objects.get(username=username))


def blocking(decisions: list[Decision]) -> dict[str, Decision]:
    return {d.rule_id: d for d in decisions if d.outcome is Outcome.BLOCK}


def staged() -> dict[str, Project]:
    """The project in each stage."""
    out: dict[str, Project] = {}
    for spec in LIFECYCLE:
        found = Project.objects.filter(name=spec.project.name, state__in=steps.AFTER_APPROVAL).first()
        if found is not None:
            out.setdefault(spec.stage, found)
    return out


def test_specs_cover_every_stage_with_a_promise_and_a_system() -> None:
    keys = {d.key: d for d in DEPARTMENTS}
    assert {s.stage for s in LIFECYCLE} == set(STAGE_LABELS)
    specs = [s.project for s in LIFECYCLE]
    assert all(len(x.provides) == 1 and x.system and x.dept in keys for x in specs)
    assert len({x.dept for x in specs}) == len(specs)  # different units
    assert all(s.accepted_months < s.approved_months for s in LIFECYCLE if s.accepted_months)


def test_demo_lifecycle_reaches_every_state_after_approval() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "项目建设与验收：" in text and "未能立项" not in text
    lifecycle = text[text.index("项目建设与验收：") :].split("\n演示账号")[0]
    assert "注意：" not in lifecycle, lifecycle  # every stage was reached
    today = steps.today()
    p = staged()
    assert set(p) == set(STAGE_LABELS), set(STAGE_LABELS) - set(p)
    finance = actor("finance")
    assert finance.can(FUNDS_MANAGE, Scope(jurisdiction="370300"))

    # 1. On track: in this year's issued plan, tranche 1 paid and 2 scheduled, named, started, reports on time.
    on_track = p[ON_TRACK]
    entry = PlanEntry.objects.select_related("plan").get(project=on_track)
    assert (
        entry.plan.year == today.year and entry.plan.state == PlanState.ISSUED and entry.plan.document_number
    )
    assert not entry.dynamic
    assert list(on_track.tranches.order_by("number").values_list("state", flat=True)) == [
        TrancheState.PAID, TrancheState.SCHEDULED,
    ]  # fmt: skip
    lc = Lifecycle.objects.get(project=on_track)
    assert lc.started_on and lc.responsible_person and lc.implementing_body and lc.supervisor_unit
    schedule = construction.report_schedule(on_track)
    assert schedule and not any(r.overdue for r in schedule)
    assert all(r.filed_on for r in schedule if r.status is not construction.ReportState.NOT_DUE)
    assert not blocking(construction.construction_decisions(on_track))
    assert not blocking(funds.funds_decisions(on_track, requested=0))

    # 2. An overdue progress report and a pending change request.
    overdue = p[OVERDUE]
    assert any(r.overdue for r in construction.report_schedule(overdue))
    c2 = next(d for d in construction.construction_decisions(overdue) if d.rule_id == "PRJ-C2")
    assert c2.outcome is not Outcome.ALLOW
    assert overdue.change_requests.filter(state=ChangeState.PENDING).exists()

    # 3. Never started 7 months after approval: a recovery notice, its scheduled tranche frozen.
    idle = p[NOT_STARTED]
    notice = RecoveryNotice.objects.get(project=idle, rule="PRJ-F2")
    assert (
        Lifecycle.objects.get(project=idle).funds_frozen
        and Lifecycle.objects.get(project=idle).started_on is None
    )
    frozen = list(idle.tranches.values_list("state", "amount"))
    assert frozen and all(state == TrancheState.FROZEN for state, _ in frozen)
    assert notice.frozen_amount == sum(a for _, a in frozen)
    assert funds.recovery_sweep(actor=finance, jurisdiction="370300") == []  # the sweep runs daily: once only

    # 4. A dynamic addition awaiting approval: its payment is held by PRJ-F1 and nothing is written.
    dynamic = p[DYNAMIC]
    entry = PlanEntry.objects.get(project=dynamic)
    assert entry.dynamic and entry.addition_basis and entry.addition_approved_at is None
    tranche = dynamic.tranches.get(state=TrancheState.SCHEDULED)
    with pytest.raises(RuleBlocked) as exc:
        funds.tranche_pay(actor=finance, tranche_id=tranche.pk, expected_version=None, voucher="演示")
    assert "PRJ-F1" in blocking(exc.value.decisions)
    assert dynamic.tranches.get(pk=tranche.pk).state == TrancheState.SCHEDULED

    # 5. Applied for acceptance, but the promised resource went offline: the confirmation is refused (PRJ-K2).
    k2 = p[BLOCKED_K2]
    lc = Lifecycle.objects.get(project=k2)
    assert lc.trial_run_ended and lc.trial_run_normal and lc.applied_on and lc.confirmation is None
    promised = Resource.objects.get(pk=k2.resources.get(direction="provide").resource_id)
    assert promised.state == ResourceState.OFFLINE
    with pytest.raises(RuleBlocked) as exc:
        acceptance.sharing_confirm(actor=actor("admin_dsj"), project_id=k2.pk, expected_version=None)
    d = blocking(exc.value.decisions)["PRJ-K2"]
    assert [f["name"] for f in d.extra["failing"]] == [promised.name]
    assert Lifecycle.objects.get(project=k2).confirmation is None

    # 6. Accepted about eight months ago with everything on record.
    done = p[ACCEPTED]
    lc = Lifecycle.objects.get(project=done)
    assert done.state == ProjectState.ACCEPTED and lc.confirmation and lc.confirmation["resources"]
    assert lc.accepted_on == add_months(today, -8)
    assert (lc.panel_members, lc.panel_third_party) == (5, 4)
    assert lc.report_filed_on and lc.self_evaluation_filed_on and lc.contract_assigns_ip
    assert set(done.deliverables.values_list("kind", flat=True)) == set(DELIVERABLES)
    assert GateRecord.objects.filter(project=done, gate="K").exists()
    assert not blocking(evaluation.evaluation_decisions(done))

    # 7. Graded 不合格 with a problem past its deadline (PRJ-E2); a failed post-subsidy project recovered (F4).
    failed = p[GRADED_FAIL]
    lc = Lifecycle.objects.get(project=failed)
    assert lc.key_evaluation and lc.key_evaluation_grade == "不合格"
    assert "PRJ-E2" in blocking(evaluation.evaluation_decisions(failed))
    consequences = evaluation.consequences(failed)
    assert consequences is not None and len(consequences.overdue) == 1
    subsidy = p[POST_SUBSIDY_FAILED]
    assert Lifecycle.objects.get(project=subsidy).funding_mode == "post_subsidy"
    recovered = RecoveryNotice.objects.get(project=subsidy, rule="PRJ-F4")
    summary = funds.ledger_summary(subsidy)
    assert recovered.recover_amount == summary["recovered"] == summary["paid"] > 0 and summary["net"] == 0
    startup = Tranche.objects.get(project=subsidy, startup=True)  # paid before the evaluation, recovered too
    assert startup.state == "paid" and summary["paid"] > startup.amount > 0

    # O&M: the list has eligible and ineligible systems; 沂源县's undocked ones fail PRJ-O2.
    city = operations.eligibility_list(actor=actor("admin_dsj"), jurisdiction="370300", year=today.year)
    assert {r.eligible for r in city} == {True, False}
    assert any(r.requested_budget > 0 and r.eligible for r in city)
    assert any(r.requested_budget > 0 and r.eligible is False for r in city)
    county = operations.eligibility_list(actor=actor("yy_admin"), jurisdiction="370323", year=today.year)
    assert county and all(r.eligible is not None for r in county)
    assert any("PRJ-O2" in {f["rule_id"] for f in r.failed} for r in county)

    # Approved projects still pass gate A and every project gate S (as test_projects_data expects).
    for project in Project.objects.filter(pk__in=[x.pk for x in p.values()]):
        assert not blocking(services.decisions(project, "S")), project.name
        if project.state == ProjectState.APPROVED:
            assert not blocking(services.decisions(project, "A")), project.name

    # Loading again changes nothing; the audit chain holds.
    changes = ChangeRecord.objects.count()
    assert "跳过" in load_project_lifecycle()
    assert ChangeRecord.objects.count() == changes
    assert verify_chain()[1] is None
