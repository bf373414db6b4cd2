"""Projects from application to approval: gates S and A decided from platform facts, the draw, scores,
the joint review, the centre's opinion, approval with its decisions, one winner when two approve at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, RuleBlocked, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange.models import DataNeed
from sanbu.inventory import services as inventory
from sanbu.inventory.services import SystemData
from sanbu.projects import services
from sanbu.projects.models import ExpertAssignment, GateRecord, Project, ProjectState

from .support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def w(db: Any) -> World:
    return world()


def score_all(w: World, project: Project, conclusion: str = "agree") -> None:
    for a in ExpertAssignment.objects.filter(project=project, draw__current=True):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=85,
                              conclusion=conclusion, opinion="方案可行，建议立项")  # fmt: skip


def reviewed(w: World, **over: Any) -> Project:
    p = w.submitted(**over)
    services.expert_draw(
        actor=w.authority, project_id=p.pk, expected_version=p.version, size=5, seed="abc123"
    )
    score_all(w, p)
    return Project.objects.get(pk=p.pk)


def test_bad_application_is_refused_field_by_field_and_nothing_is_saved(w: World) -> None:
    other_system = inventory.system_register(
        actor=SYSTEM, department_id=w.provider.pk, data=SystemData(name="外单位系统")
    )
    with pytest.raises(ValidationFailed) as exc:
        services.project_create(actor=w.applicant, data=w.data(
            name=" ", kind="翻新", amount=0, uses=(w.published.pk, 999_999), provides=(w.published.pk,),
            systems=(other_system.pk,),
        ))  # fmt: skip
    fields = {e.field for e in exc.value.errors}
    assert {"name", "kind", "amount", "uses", "provides", "systems"} <= fields
    assert all(e.message for e in exc.value.errors)
    assert Project.objects.count() == 0 and not ChangeRecord.objects.filter(
        action__startswith="projects.project"
    )


def test_a_new_system_without_sharing_is_blocked_then_fixed_and_submitted(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data(uses=(), provides=()))
    with pytest.raises(RuleBlocked) as exc:
        services.project_submit(actor=w.applicant, project_id=p.pk, expected_version=p.version)
    d = exc.value.decisions[0]
    assert exc.value.code == "rule.PRJ-S2" and d.fact is not None and d.fact.name == "declared_sharing"
    assert d.remedy and "000" in d.source
    p.refresh_from_db()
    assert p.state == ProjectState.DRAFT and p.version == 1 and not GateRecord.objects.exists()
    services.project_update(actor=w.applicant, project_id=p.pk, expected_version=1,
                            data=w.data(uses=(w.published.pk, w.unpublished.pk)))  # fmt: skip
    p, warnings = services.project_submit(actor=w.applicant, project_id=p.pk, expected_version=2)
    assert p.state == ProjectState.SUBMITTED and p.route == "expert_panel" and p.ruleset == "zibo"
    assert [x.rule_id for x in warnings] == ["PRJ-S2"]  # the unpublished resource becomes a need
    need = DataNeed.objects.get(projects__project=p)
    assert need.routed_to_id == w.provider.pk and need.department_id == w.unit.pk
    record = GateRecord.objects.get(project=p, gate="S")
    assert [x["rule_id"] for x in record.decisions] == [f"PRJ-S{i}" for i in range(1, 7)]


def test_a_draw_is_reproducible_recuses_and_respects_the_secrecy_minimum(w: World) -> None:
    p = w.submitted(involves_secrets=True)
    d1 = services.expert_draw(
        actor=w.authority, project_id=p.pk, expected_version=p.version, size=5, seed="5eed"
    )
    panel1 = sorted(d1.assignments.values_list("expert_id", flat=True))
    unit_expert = w.experts[0]
    assert unit_expert.pk not in panel1 and unit_expert.pk in [x["expert"] for x in d1.excluded]
    assert d1.assignments.filter(secrecy=True).count() >= 2
    p.refresh_from_db()
    with pytest.raises(ValidationFailed):  # a redraw needs its reason
        services.expert_draw(
            actor=w.authority, project_id=p.pk, expected_version=p.version, size=5, seed="5eed"
        )
    d2 = services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=p.version, size=5, seed="5eed",
                              reason="一名专家临时无法参会")  # fmt: skip
    assert sorted(d2.assignments.values_list("expert_id", flat=True)) == panel1
    rec = ChangeRecord.objects.filter(action="projects.expert.draw").order_by("-seq").first()
    assert rec is not None and rec.after is not None
    assert rec.after["seed"] == "5eed" and sorted(rec.after["panel"]) == panel1


def test_too_small_a_pool_is_refused_with_how_to_fix(w: World) -> None:
    p = w.submitted()
    with pytest.raises(ValidationFailed) as exc:
        services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=p.version, size=9)
    assert exc.value.code == "projects.draw.pool" and "充实专家库" in exc.value.message
    assert Project.objects.get(pk=p.pk).state == ProjectState.SUBMITTED


def test_only_the_drawn_expert_scores_and_the_last_score_completes_the_review(w: World) -> None:
    p = w.submitted()
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=p.version, size=3, seed="1")
    drawn = list(ExpertAssignment.objects.filter(project=p))
    outsider = next(e for e in w.experts if e.pk not in {a.expert_id for a in drawn})
    with pytest.raises(NotFound):
        services.expert_score(actor=w.expert_actors[outsider.pk], assignment_id=drawn[0].pk, score=80,
                              conclusion="agree", opinion="同意")  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.expert_score(actor=w.expert_actors[drawn[0].expert_id], assignment_id=drawn[0].pk, score=101,
                              conclusion="maybe", opinion=" ")  # fmt: skip
    assert {e.field for e in exc.value.errors} == {"score", "conclusion", "opinion"}
    score_all(w, p)
    assert Project.objects.get(pk=p.pk).state == ProjectState.REVIEWED
    with pytest.raises(Conflict):
        services.expert_score(actor=w.expert_actors[drawn[0].expert_id], assignment_id=drawn[0].pk, score=80,
                              conclusion="agree", opinion="再次")  # fmt: skip


def test_approval_needs_the_centre_opinion_then_issues_a_number_and_records_gate_a(w: World) -> None:
    p = reviewed(w)
    with pytest.raises(RuleBlocked) as exc:
        services.project_approve(actor=w.authority, project_id=p.pk, expected_version=p.version)
    assert [d.rule_id for d in exc.value.decisions] == ["PRJ-A5"]
    assert Project.objects.get(pk=p.pk).state == ProjectState.REVIEWED
    p = services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=p.version,
                                       opinion="favourable", text="同意备案")  # fmt: skip
    p, _ = services.project_approve(
        actor=w.authority, project_id=p.pk, expected_version=p.version, note="同意立项"
    )
    assert p.state == ProjectState.APPROVED and p.approval_number.startswith("信息化立项〔")
    assert p.approved_amount == p.amount
    record = GateRecord.objects.get(project=p, gate="A")
    assert [d["rule_id"] for d in record.decisions] == [f"PRJ-A{i}" for i in range(1, 7)]
    actions = list(ChangeRecord.objects.filter(object_type="projects.project", object_id=str(p.pk))
                   .order_by("seq").values_list("action", flat=True))  # fmt: skip
    assert actions[0] == "projects.project.create" and actions[-1] == "projects.project.approve"
    assert {"projects.project.submit", "projects.expert.draw", "projects.expert.score",
            "projects.project.reviewed", "projects.project.centre_opinion"} <= set(actions)  # fmt: skip


def test_a_panel_that_disagrees_blocks_approval(w: World) -> None:
    p = w.submitted()
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=p.version, size=3, seed="2")
    score_all(w, p, conclusion="disagree")
    p = services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                       opinion="favourable", text="同意备案")  # fmt: skip
    with pytest.raises(RuleBlocked) as exc:
        services.project_approve(actor=w.authority, project_id=p.pk, expected_version=p.version)
    assert exc.value.code == "rule.PRJ-A2"


def test_upgrade_of_a_system_with_failed_mipin_is_not_supported(w: World) -> None:
    inventory.system_update(actor=SYSTEM, system_id=w.system.pk, expected_version=None,
                            data=SystemData(name=w.system.name, provides=(w.own.pk,), on_gov_cloud=True,
                                            dengbao_level=3, mipin_status="failed"))  # fmt: skip
    p = reviewed(w, kind="改建", systems=(w.system.pk,))
    p = services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                       opinion="favourable", text="同意")  # fmt: skip
    with pytest.raises(RuleBlocked) as exc:
        services.project_approve(actor=w.authority, project_id=p.pk, expected_version=p.version)
    d = exc.value.decisions[0]
    assert d.rule_id == "PRJ-A3" and d.fact is not None and d.fact.name == "crypto_compliant"


def test_similar_projects_of_one_unit_crossing_a_tier_are_flagged(db: Any) -> None:
    """Jiangxi sends 5,000,000 and above to the province: two similar halves of 3,000,000 need review;
    under zibo (no tiers) the same pair is only a warning."""
    from sanbu.policy.decisions import Outcome

    def second_half(w: World) -> Any:
        w.submitted(
            name="学籍数据分析平台一期", amount=3_000_000, content="学籍数据分析", technical_route="政务云"
        )
        _, s, _ = services.check(actor=w.applicant, data=w.data(
            name="学籍数据分析平台二期", amount=3_000_000, content="学籍数据分析", technical_route="政务云"))  # fmt: skip
        return next(d for d in s if d.rule_id == "PRJ-S5")

    crossing = second_half(world("360100", prefix="jx"))
    assert crossing.outcome is Outcome.NEEDS_REVIEW and crossing.extra["total"] == 6_000_000
    assert crossing.fact is not None and crossing.fact.value[0]["name"] == "学籍数据分析平台一期"
    assert "002 篇三 第八条" in crossing.source
    assert second_half(world("370300", prefix="zb")).outcome is Outcome.WARN


def test_yiyuan_blocks_a_new_project_while_a_unit_system_is_not_docked(db: Any) -> None:
    w = world("370323", prefix="y")
    inventory.system_register(actor=SYSTEM, department_id=w.unit.pk, data=SystemData(name="y资助管理系统"))
    p = reviewed(w)
    p = services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                       opinion="favourable", text="同意")  # fmt: skip
    with pytest.raises(RuleBlocked) as exc:
        services.project_approve(actor=w.authority, project_id=p.pk, expected_version=p.version)
    d = exc.value.decisions[-1]
    assert d.rule_id == "PRJ-A7" and d.fact is not None and d.fact.value == ["y资助管理系统"]
    assert "001" in d.source


def test_another_units_applicant_cannot_see_or_touch_the_project(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data())
    stranger_dept = make_department("其他局")
    stranger = actor_of(make_user("stranger_unit", department=stranger_dept, roles=("project_unit",)))
    with pytest.raises(NotFound):
        services.project_submit(actor=stranger, project_id=p.pk, expected_version=None)
    with pytest.raises(NotFound):
        services.project_approve(actor=w.applicant, project_id=p.pk, expected_version=None)
    assert not Project.objects.visible_to(stranger).filter(pk=p.pk).exists()
    assert Project.objects.visible_to(w.authority).filter(pk=p.pk).exists()


@pytest.mark.django_db(databases="__all__", transaction=True, serialized_rollback=True)
def test_two_approvals_at_once_give_one_success_and_one_conflict() -> None:
    w = world(prefix="c")
    p = reviewed(w)
    p = services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                       opinion="favourable", text="同意")  # fmt: skip
    second = actor_of(make_user("c_auth2", department=w.provider, roles=("authority",)))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(actor: Any) -> None:
        barrier.wait()
        try:
            services.project_approve(actor=actor, project_id=p.pk, expected_version=p.version)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(a,)) for a in (w.authority, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) in (["ok", "projects.project.changed"], ["ok", "projects.project.wrong_state"])
    assert ChangeRecord.objects.filter(action="projects.project.approve", object_id=str(p.pk)).count() == 1
    assert GateRecord.objects.filter(project=p, gate="A").count() == 1


def test_facts_in_batches_equal_the_facts_of_each_project(w: World) -> None:
    from django.utils import timezone

    from sanbu.projects import facts

    other = world(prefix="b")
    made = [w.submitted(name=f"项目{i}", amount=100_000 * (i + 1)) for i in range(3)]
    made += [other.submitted(name="另一单位项目")]
    today = timezone.localdate()
    batched: dict[int, Any] = {}
    chunks = list(facts.facts_in_batches(Project.objects.all(), today, batch=2))
    assert len(chunks) == 2  # whole units: w's three projects, then the other unit's one
    assert [len(c) for c in chunks] == [3, 1]
    for chunk in chunks:
        batched.update(chunk)
    assert set(batched) == {p.pk for p in made}
    for p in made:
        assert batched[p.pk] == facts.facts_for([p], today)[p.pk]
    assert {s.name for s in batched[made[0].pk].similar_projects} == {"项目1", "项目2"}


def approvable(w: World, **over: Any) -> Project:
    p = reviewed(w, **over)
    return services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                          opinion="favourable", text="同意")  # fmt: skip


def test_approval_numbers_count_up_within_the_jurisdiction_and_year(w: World) -> None:
    first = approvable(w, name="一号项目", content="甲", technical_route="甲")
    second = approvable(w, name="完全不同的二号", content="乙", technical_route="乙")
    a = services.project_approve(actor=w.authority, project_id=first.pk, expected_version=None)[0]
    b = services.project_approve(actor=w.authority, project_id=second.pk, expected_version=None)[0]
    year = a.decided_at.astimezone().year if a.decided_at else 0
    assert a.approval_number == f"信息化立项〔{year}〕1号" and b.approval_number == f"信息化立项〔{year}〕2号"


def test_the_application_date_is_the_local_date_of_submission(w: World) -> None:
    import datetime as dt

    from django.utils import timezone

    from sanbu.projects import facts

    p = w.submitted()
    # 1 July 07:00 in Beijing is still 30 June in UTC: the window is judged on the local date
    Project.objects.filter(pk=p.pk).update(submitted_at=dt.datetime(2026, 6, 30, 23, 0, tzinfo=dt.UTC))
    p.refresh_from_db()
    assert facts.facts_for([p], timezone.localdate())[p.pk].application_date == dt.date(2026, 7, 1)


def test_drafts_are_not_siblings_for_split_detection(w: World) -> None:
    draft = services.project_create(actor=w.applicant, data=w.data(name="学籍分析平台"))
    _, s, _ = services.check(actor=w.applicant, data=w.data(name="学籍分析平台"))
    assert next(d for d in s if d.rule_id == "PRJ-S5").outcome.value == "allow"
    services.project_submit(actor=w.applicant, project_id=draft.pk, expected_version=None)
    _, s, _ = services.check(actor=w.applicant, data=w.data(name="学籍分析平台"))
    assert next(d for d in s if d.rule_id == "PRJ-S5").outcome.value in ("warn", "needs-review")


def test_an_offline_resource_cannot_be_declared(w: World) -> None:
    from sanbu.catalog import services as catalog

    catalog.resource_offline(actor=SYSTEM, resource_id=w.published.pk, expected_version=None, reason="停用")
    with pytest.raises(ValidationFailed) as exc:
        services.project_create(actor=w.applicant, data=w.data())
    assert [e.field for e in exc.value.errors] == ["uses"] and "已下线" in exc.value.errors[0].message


def test_joint_review_waits_for_the_expert_assessment(w: World) -> None:
    p = w.submitted()
    with pytest.raises(Conflict) as exc:
        services.joint_review_record(actor=w.authority, project_id=p.pk, expected_version=None, conclusion="agree",
                                     participants="发改、财政", note="同意")  # fmt: skip
    assert exc.value.code == "projects.project.wrong_state" and "专家论证完成后" in exc.value.message


def test_a_returned_project_is_a_draft_again_and_its_old_panel_cannot_score(w: World) -> None:
    p = w.submitted()
    d = services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=None, size=3, seed="7")
    a = d.assignments.first()
    assert a is not None
    p = services.project_return(actor=w.authority, project_id=p.pk, expected_version=None, reason="补充材料")
    assert p.state == ProjectState.DRAFT and p.route == "" and p.submitted_at is None
    with pytest.raises(Conflict):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=80,
                              conclusion="agree", opinion="同意")  # fmt: skip
    again, _ = services.project_submit(actor=w.applicant, project_id=p.pk, expected_version=p.version)
    assert again.state == ProjectState.SUBMITTED
    assert ChangeRecord.objects.filter(action="projects.project.return", object_id=str(p.pk)).count() == 1
