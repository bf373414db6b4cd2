"""Policy simulation: a draft that switches on PRJ-A7 for 淄博 would newly block a project whose unit has a
system not docked; the page shows it with the money, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import NotFound
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import PASSWORD, actor_of, make_user
from sanbu.inventory import services as inventory
from sanbu.inventory.services import SystemData
from sanbu.orgs import rulesets
from sanbu.policy.decisions import Outcome
from sanbu.policy.rulesets import RULE, Change
from sanbu.projects import services
from sanbu.projects.models import ExpertAssignment, Project
from sanbu.projects.simulation import simulate

from .support import world

pytestmark = pytest.mark.django_db(databases="__all__")


def _ready(**over: Any) -> tuple[Any, Project]:
    w = world()
    inventory.system_register(actor=SYSTEM, department_id=w.unit.pk, data=SystemData(name="未对接的系统"))
    p = w.submitted(**over)
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=None, size=3, seed="51")
    for a in ExpertAssignment.objects.filter(project=p):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=80,
                              conclusion="agree", opinion="同意")  # fmt: skip
    services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                   opinion="favourable", text="同意")  # fmt: skip
    return w, Project.objects.get(pk=p.pk)


def test_a_draft_switching_on_a7_would_newly_block_and_says_how_much(db: Any) -> None:
    w, p = _ready()
    assert not any(d.blocks for d in services.decisions(p, "A"))  # zibo today: PRJ-A7 is off
    draft = rulesets.ruleset_draft(actor=SYSTEM, name="zibo", changes=[
        Change(RULE, "PRJ-A7", True, "模拟：淄博拟对未对接系统的单位不审批新项目")])  # fmt: skip
    before = ChangeRecord.objects.count()
    result = simulate(actor=w.authority, version_id=draft.pk)
    assert ChangeRecord.objects.count() == before  # a simulation writes nothing
    assert result.projects == 1 and len(result.differences) == 1
    diff = result.differences[0]
    assert diff.key == p.pk and diff.blocked_after and not diff.blocked_before
    assert [(c.rule_id, c.before, c.after) for c in diff.changes] == [("PRJ-A7", None, Outcome.BLOCK)]
    assert result.summary["newly_blocked"] == 1 and result.summary["newly_blocked_amount"] == p.amount
    # the rule is still off until the draft is published
    assert not any(d.blocks for d in services.decisions(p, "A"))

    client = Client()
    assert client.login(username="w_auth", password=PASSWORD)
    page = client.get(f"/policy/versions/{draft.pk}/simulate/").content.decode()
    assert p.name in page and "新增不通过" in page and "PRJ-A7" in page and "不适用 → 不通过" in page


def test_a_version_nobody_may_see_is_404(db: Any) -> None:
    w, _ = _ready()
    draft = rulesets.ruleset_draft(actor=SYSTEM, name="zibo", changes=[
        Change(RULE, "PRJ-A7", True, "模拟")])  # fmt: skip
    unit_user = actor_of(make_user("sim_unit", department=w.unit, roles=("project_unit",)))
    with pytest.raises(NotFound):
        simulate(actor=unit_user, version_id=draft.pk)


def test_a_parent_draft_is_simulated_for_the_child_ruleset_and_gate_f_too(db: Any) -> None:
    """A 淄博 draft shortening the start deadline to 3 months newly blocks (PRJ-F2) a 沂源 project approved
    four months ago and not started: 沂源's ruleset is rebuilt over the changed parent."""
    from datetime import timedelta

    from django.utils import timezone

    w = world(jurisdiction="370323", prefix="yy")
    p = w.approved()
    Project.objects.filter(pk=p.pk).update(decided_at=timezone.now() - timedelta(days=125))
    draft = rulesets.ruleset_draft(actor=SYSTEM, name="zibo", changes=[
        Change("parameter", "projects.start_within_months", 3, "模拟：开工期限缩短为 3 个月")])  # fmt: skip
    result = simulate(actor=SYSTEM, version_id=draft.pk)
    assert result.rulesets == ("yiyuan", "zibo")
    diff = next(d for d in result.differences if d.key == p.pk)
    assert ("PRJ-F2", Outcome.ALLOW, Outcome.BLOCK) in [(c.rule_id, c.before, c.after) for c in diff.changes]
    assert diff.blocked_after and diff.amount == p.approved_amount


def test_switching_on_o2_shows_the_undocked_systems_and_their_om_budget(db: Any) -> None:
    from sanbu.projects import operations

    w = world()
    bare = inventory.system_register(
        actor=SYSTEM, department_id=w.unit.pk, data=SystemData(name="未对接的系统")
    )
    year = __import__("datetime").date.today().year
    operations.operations_request(actor=SYSTEM, system_id=bare.pk, year=year, requested_budget=80_000)
    draft = rulesets.ruleset_draft(actor=SYSTEM, name="zibo", changes=[
        Change(RULE, "PRJ-O2", True, "模拟：未对接共享平台的系统不安排运维经费")])  # fmt: skip
    result = simulate(actor=SYSTEM, version_id=draft.pk)
    diff = next(d for d in result.system_differences if d.key == bare.pk)
    assert [(c.rule_id, c.after) for c in diff.changes] == [("PRJ-O2", Outcome.BLOCK)]
    assert diff.amount == 80_000 and result.system_summary is not None
    assert w.system.pk not in {d.key for d in result.system_differences}  # docked: O2 changes nothing

    client = Client()
    assert client.login(username="w_auth", password=PASSWORD)
    page = client.get(f"/policy/versions/{draft.pk}/simulate/").content.decode()
    assert "未对接的系统" in page and "新增不符合" in page and "PRJ-O2" in page and "80,000" in page
