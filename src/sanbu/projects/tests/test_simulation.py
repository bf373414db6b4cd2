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
