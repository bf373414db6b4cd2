"""The demo's projects: every state of the application and review, the expert pool with recusal, and
the projects held at a gate really blocked there by the rule named, for the reason the platform knows."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sanbu.core.audit import verify_chain
from sanbu.demo.projects_data import BLOCKED, DEMO_EXPERT, SPLIT
from sanbu.exchange.models import DataNeed
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import actor_for_user
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.rules.projects import SPLIT_SIMILARITY, similarity, tier_boundaries
from sanbu.projects import facts, selectors, services
from sanbu.projects.models import Expert, ExpertAssignment, Project, ProjectState

pytestmark = pytest.mark.django_db(databases="__all__")


def blocking(decisions: list[Decision]) -> dict[str, Decision]:
    return {d.rule_id: d for d in decisions if d.outcome is Outcome.BLOCK}


def test_demo_projects_cover_every_state_and_block_for_real_reasons() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "信息化项目：专家库 15 名（保密专家 3 名）" in out.getvalue() and "未能立项" not in out.getvalue()

    states = set(Project.objects.values_list("state", flat=True))
    assert set(ProjectState.values) - {ProjectState.ACCEPTED} <= states
    approved = Project.objects.filter(state=ProjectState.APPROVED)
    assert approved and all(p.approval_number.startswith("信息化立项〔") for p in approved)
    assert all(p.decision_note for p in Project.objects.filter(state__in=["rejected", "withdrawn"]))
    in_review = Project.objects.get(state=ProjectState.IN_REVIEW, involves_secrets=False)
    scored = [a.scored_at is not None for a in selectors.panel(in_review)]
    assert any(scored) and not all(scored)  # some scores in, the panel still open
    secret = Project.objects.get(state=ProjectState.IN_REVIEW, involves_secrets=True)
    assert sum(a.secrecy for a in selectors.panel(secret)) >= 2
    jyj = Department.objects.get(name="淄博市教育局")
    assert {p.unit_id for p in Project.objects.all()} > {jyj.pk} and Project.objects.filter(
        unit=jyj
    ).count() >= 5

    # The pool: universities, carriers, testing bodies; 3 in the secrecy pool; one of 教育局, recused there.
    pool = Expert.objects.filter(jurisdiction_id="370300")
    assert (
        pool.count() == 15
        and pool.filter(secrecy=True).count() == 3
        and pool.exclude(conflicts=None).exists()
    )
    insider = pool.get(department=jyj)
    jyj_draws = [d for p in Project.objects.filter(unit=jyj) for d in p.draws.all()]
    assert jyj_draws and all(insider.pk in [x["expert"] for x in d.excluded] for d in jyj_draws)
    # The demo account ``expert`` is one of them, with an open review task and scored ones.
    expert = Expert.objects.get(user__username=DEMO_EXPERT)
    assert expert.user is not None
    actor = actor_for_user(expert.user)
    assert selectors.assignments_for(actor=actor, open_only=True).exists()
    assert ExpertAssignment.objects.filter(expert=expert, scored_at__isnull=False).exists()

    # Held at gate S: no sharing needs (新建); next year after the deadline without 动态新增.
    s2 = Project.objects.get(name=BLOCKED["PRJ-S2"])
    assert s2.state == ProjectState.DRAFT and s2.kind == "新建"
    d = blocking(services.decisions(s2, "S"))["PRJ-S2"]
    assert d.fact is not None and d.fact.name == "declared_sharing"
    applicant = actor_for_user(get_user_model().objects.get(username="project_unit"))
    errors, s, _ = services.check(actor=applicant, data=facts.data_of(s2), project_id=s2.pk)  # the live check
    assert not errors and set(blocking(s)) == {"PRJ-S2"} and s2.unit_id == applicant.department_id
    s4 = Project.objects.get(name=BLOCKED["PRJ-S4"])
    assert s4.state == ProjectState.DRAFT and not s4.dynamic_addition
    assert set(blocking(services.decisions(s4, "S"))) == {"PRJ-S4"}

    # Held at gate A after review: the inventory says the system's 密评 failed; 沂源 units not docked.
    a3 = Project.objects.get(name=BLOCKED["PRJ-A3"])
    assert a3.state == ProjectState.REVIEWED and a3.kind == "改建" and a3.centre_opinion == "favourable"
    d = blocking(services.decisions(a3, "A"))["PRJ-A3"]
    assert "crypto_compliant" in {i["fact"] for i in d.extra["items"]}
    assert a3.systems.get().mipin_status == "failed"
    a7 = Project.objects.get(name=BLOCKED["PRJ-A7"])
    assert a7.state == ProjectState.REVIEWED and a7.jurisdiction_id == "370323"
    d = blocking(services.decisions(a7, "A"))["PRJ-A7"]
    assert d.fact is not None and d.fact.value and "PRJ-A2" not in blocking(services.decisions(a7, "A"))

    # Nothing else is held where it should not be: submitted and approved ones pass gate S.
    for p in Project.objects.exclude(name__in=BLOCKED.values()).exclude(state=ProjectState.WITHDRAWN):
        assert not blocking(services.decisions(p, "S")), p.name
    for p in approved:
        assert not blocking(services.decisions(p, "A")), p.name

    # Split detection: the draft sees its similar sibling; PRJ-S5 flags it where the ruleset has tiers.
    draft, sibling = (Project.objects.get(name=n) for n in SPLIT)
    f = services.project_facts(draft)
    rs = services.ruleset_for(draft.jurisdiction_id)
    similar = [o.name for o in f.similar_projects if similarity(f, o) >= rs.value(SPLIT_SIMILARITY)]
    assert similar == [sibling.name] and sibling.state in (ProjectState.DRAFT, ProjectState.SUBMITTED)
    s5 = next(d for d in services.decisions(draft, "S") if d.rule_id == "PRJ-S5")
    assert s5.outcome is (Outcome.NEEDS_REVIEW if tier_boundaries(rs) else Outcome.WARN)

    # Submitting turned an unpublished resource into a 供需对接 need; the audit chain holds.
    assert DataNeed.objects.filter(projects__project__unit=jyj).exists()
    assert verify_chain()[1] is None
