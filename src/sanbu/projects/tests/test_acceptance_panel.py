"""The acceptance panel online (验收小组, PRJ-K4): the authority appoints experts from the jurisdiction's pool
(recusal of the unit's own staff and declared conflicts), the composition feeds gate K, each appointed expert
submits a conclusion once, and the acceptance decision waits for the panel and refuses when half disagree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_user
from sanbu.policy.decisions import Decision, Outcome
from sanbu.projects import acceptance, services, steps
from sanbu.projects.models import AcceptanceReview, Expert, GateRecord, Lifecycle, Project, ProjectState
from sanbu.projects.tests.support import World, world
from sanbu.projects.tests.test_acceptance import ALL, approved, by_rule

pytestmark = pytest.mark.django_db(databases="__all__")

TODAY = steps.today()
ZIBO = "370300"


def insiders(w: World, n: int, prefix: str) -> list[Expert]:
    """``n`` experts of the pool who are not third-party (e.g. staff of other government bodies)."""
    out = []
    for i in range(n):
        user = make_user(f"{prefix}_insider{i}", roles=("expert",), jurisdiction=ZIBO)
        e = services.expert_register(actor=SYSTEM, jurisdiction=ZIBO, name=f"体制内专家{i}", employer="市政务服务中心",
                                     specialties=["软件工程"], third_party=False, user_id=user.pk)  # fmt: skip
        w.expert_actors[e.pk] = actor_of(user)
        out.append(e)
    return out


def ready(w: World, p: Project) -> None:
    """Trial run, the unit's file, the authority's confirmation and the application: only the panel is left."""
    acceptance.trial_run_start(actor=w.applicant, project_id=p.pk, started_on=TODAY - timedelta(days=60))
    acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=None,
                                  final_inspection_done=True, dengbao_tested=True, materials=ALL)  # fmt: skip
    acceptance.sharing_confirm(actor=w.authority, project_id=p.pk, expected_version=None)
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)


def lc_of(p: Project) -> Lifecycle:
    return Lifecycle.objects.get(project=p)


def review_of(p: Project, e: Expert) -> AcceptanceReview:
    return AcceptanceReview.objects.get(project=p, expert=e)


def submit(
    w: World, p: Project, e: Expert, conclusion: str = "agree", opinion: str = "系统运行稳定，同意通过验收"
) -> None:
    acceptance.acceptance_review(actor=w.expert_actors[e.pk], review_id=review_of(p, e).pk, conclusion=conclusion,
                                 opinion=opinion)  # fmt: skip


def records(action: str) -> list[ChangeRecord]:
    return list(ChangeRecord.objects.filter(action=action).order_by("seq"))


def decide(w: World, p: Project) -> tuple[Project, list[Decision]]:
    return acceptance.acceptance_decide(actor=w.authority, project_id=p.pk, expected_version=None,
                                        opinion="验收小组一致同意通过验收")  # fmt: skip


def test_appointing_recused_or_unknown_experts_names_each_and_writes_nothing() -> None:
    w = world(ZIBO, "r")
    p = approved(w, ZIBO)
    staff = w.experts[0]  # the unit's own staff (support: expert 0 works at the unit)
    user = make_user("r_conflicted", roles=("expert",), jurisdiction=ZIBO)
    conflicted = services.expert_register(actor=SYSTEM, jurisdiction=ZIBO, name="回避专家", employer="某咨询公司",
                                          specialties=["软件工程"], conflicts=[w.unit.pk], user_id=user.pk)  # fmt: skip
    retired = w.experts[7]
    services.expert_set_active(actor=SYSTEM, expert_id=retired.pk, active=False, reason="退休")
    elsewhere = services.expert_register(actor=SYSTEM, jurisdiction="360000", name="外省专家", employer="南昌大学",
                                         specialties=["软件工程"])  # fmt: skip
    lc = steps.lifecycle_of(p)
    version, changes = lc.version, ChangeRecord.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expected_version=version,
                                 expert_ids=[staff.pk, conflicted.pk, w.experts[1].pk, retired.pk, elsewhere.pk])  # fmt: skip
    errors = {(e.field, e.code): e.message for e in exc.value.errors}
    messages = [e.message for e in exc.value.errors]
    assert all(e.field == "expert_ids" for e in exc.value.errors)
    assert any(staff.name in m and "本单位人员" in m for m in messages), messages
    assert any("回避专家" in m and "利益冲突" in m for m in messages), messages
    assert (
        str(retired.pk) in errors[("expert_ids", "not_in_pool")]
        and str(elsewhere.pk) in errors[("expert_ids", "not_in_pool")]
    )
    assert not any(w.experts[1].name + "（" in m for m in messages)  # the eligible one is not named
    with pytest.raises(ValidationFailed) as empty:
        acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[])
    assert empty.value.errors[0].code == "required"
    lc = lc_of(p)
    assert AcceptanceReview.objects.count() == 0 and lc.version == version and lc.panel_members == 0
    assert ChangeRecord.objects.count() == changes
    # a stale version, the unit or an expert: refused, nothing written
    with pytest.raises(Conflict):
        acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expected_version=version - 1,
                                 expert_ids=[w.experts[1].pk])  # fmt: skip
    for actor in (w.applicant, w.expert_actors[w.experts[1].pk]):
        with pytest.raises(NotFound):
            acceptance.panel_appoint(actor=actor, project_id=p.pk, expert_ids=[w.experts[1].pk])
    assert AcceptanceReview.objects.count() == 0 and ChangeRecord.objects.count() == changes


def test_the_appointed_composition_feeds_prj_k4_and_a_reappointment_replaces_it() -> None:
    w = world(ZIBO, "k")
    p = approved(w, ZIBO)
    inside = insiders(w, 2, "k")
    acceptance.panel_appoint(
        actor=w.authority, project_id=p.pk, expert_ids=[*(e.pk for e in inside), w.experts[1].pk]
    )
    lc = lc_of(p)
    assert (lc.panel_members, lc.panel_third_party) == (3, 1)
    assert (
        "体制内专家0（市政务服务中心）" in lc.panel_names
        and "专家1（山东理工大学，第三方）" in lc.panel_names
    )
    assert sorted(AcceptanceReview.objects.filter(project=p).values_list("third_party", flat=True)) == [
        False, False, True,
    ]  # fmt: skip
    k4 = by_rule(acceptance.acceptance_decisions(p, TODAY))["PRJ-K4"]
    assert k4.outcome is Outcome.BLOCK and k4.fact.value == {"members": 3, "third_party": 1, "large": False}
    # three third-party experts instead: the two-thirds rule holds; the earlier appointments are gone
    third = [w.experts[i] for i in (1, 3, 4)]
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expected_version=lc.version,
                             expert_ids=[e.pk for e in third])  # fmt: skip
    lc = lc_of(p)
    assert (lc.panel_members, lc.panel_third_party) == (3, 3)
    assert set(AcceptanceReview.objects.filter(project=p).values_list("expert_id", flat=True)) == {
        e.pk for e in third
    }
    assert by_rule(acceptance.acceptance_decisions(p, TODAY))["PRJ-K4"].outcome is Outcome.ALLOW
    appointed = records("projects.acceptance.panel_appoint")
    assert len(appointed) == 2 and appointed[-1].actor_username == w.authority.username
    assert appointed[-1].before is not None and appointed[-1].after is not None
    assert sorted(appointed[-1].before["appointed"]) == sorted(e.pk for e in [*inside, w.experts[1]])
    assert appointed[-1].after["appointed"] == [e.pk for e in third]
    assert appointed[-1].after["panel_third_party"] == 3
    # the experts see their own tasks; the replaced one does not
    assert [r.project_id for r in acceptance.acceptance_tasks(actor=w.expert_actors[third[0].pk])] == [p.pk]
    assert acceptance.acceptance_tasks(actor=w.expert_actors[inside[0].pk]) == []
    with pytest.raises(PermissionDenied):
        acceptance.acceptance_tasks(actor=w.applicant)


def test_only_the_appointed_expert_reviews_and_only_once() -> None:
    w = world(ZIBO, "o")
    p = approved(w, ZIBO)
    panel = [w.experts[i] for i in (1, 3, 4)]
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[e.pk for e in panel])
    r = review_of(p, panel[0])
    for actor in (w.expert_actors[panel[1].pk], w.expert_actors[w.experts[6].pk], w.authority, w.applicant):
        with pytest.raises(NotFound):
            acceptance.acceptance_review(actor=actor, review_id=r.pk, conclusion="agree", opinion="同意")
        with pytest.raises(NotFound):
            acceptance.acceptance_task_get(actor=actor, review_id=r.pk)
    mine: Actor = w.expert_actors[panel[0].pk]
    assert acceptance.acceptance_task_get(actor=mine, review_id=r.pk).pk == r.pk
    with pytest.raises(ValidationFailed) as exc:
        acceptance.acceptance_review(actor=mine, review_id=r.pk, conclusion="revise", opinion="")
    assert {e.field for e in exc.value.errors} == {"conclusion", "opinion"}
    with pytest.raises(ValidationFailed) as long:
        acceptance.acceptance_review(actor=mine, review_id=r.pk, conclusion="agree", opinion="长" * 2001)
    assert [e.field for e in long.value.errors] == ["opinion"]
    assert review_of(p, panel[0]).reviewed_at is None and not records("projects.acceptance.review")
    done = acceptance.acceptance_review(
        actor=mine, review_id=r.pk, conclusion="disagree", opinion="  数据未共享  "
    )
    assert done.conclusion == "disagree" and done.opinion == "数据未共享" and done.reviewed_at is not None
    with pytest.raises(Conflict) as again:
        acceptance.acceptance_review(actor=mine, review_id=r.pk, conclusion="agree", opinion="改为同意")
    assert again.value.code == "projects.acceptance_review.submitted"
    assert review_of(p, panel[0]).conclusion == "disagree"
    reviewed = records("projects.acceptance.review")
    assert len(reviewed) == 1 and reviewed[0].after == {
        "review": r.pk, "expert": panel[0].pk, "conclusion": "disagree", "third_party": True,
    }  # fmt: skip
    # someone reviewed: the panel can no longer be replaced
    with pytest.raises(Conflict) as replace:
        acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[w.experts[6].pk])
    assert replace.value.code == "projects.acceptance.panel_reviewed"
    assert AcceptanceReview.objects.filter(project=p).count() == 3
    # nor overwritten by numbers recorded by hand
    with pytest.raises(Conflict) as offline:
        acceptance.panel_record(actor=w.authority, project_id=p.pk, members=5, third_party=5, names="另组")
    assert offline.value.code == "projects.acceptance.panel_appointed" and lc_of(p).panel_members == 3
    # an appointed expert sees the project (its detail page), one who is not does not
    assert Project.objects.visible_to(mine).filter(pk=p.pk).exists()
    drawn = set(p.assignments.values_list("expert_id", flat=True)) | {e.pk for e in panel}
    stranger = next(e for e in w.experts if e.pk not in drawn)
    assert not Project.objects.visible_to(w.expert_actors[stranger.pk]).filter(pk=p.pk).exists()


def test_the_decision_waits_for_the_panel_and_refuses_when_half_disagree() -> None:
    w = world(ZIBO, "d")
    p = approved(w, ZIBO)
    ready(w, p)
    panel = [w.experts[i] for i in (1, 3, 4, 6)]
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[e.pk for e in panel])
    version, changes = Project.objects.get(pk=p.pk).version, ChangeRecord.objects.count()
    with pytest.raises(Conflict) as pending:
        decide(w, p)
    assert (
        pending.value.code == "projects.acceptance.panel_pending"
        and "4 名专家未提交" in pending.value.message
    )
    submit(w, p, panel[0])
    submit(w, p, panel[1], "disagree", "共享资源未挂接")
    with pytest.raises(Conflict) as still:
        decide(w, p)
    assert still.value.code == "projects.acceptance.panel_pending" and "还有 2 名" in still.value.message
    submit(w, p, panel[2])
    submit(w, p, panel[3], "disagree", "试运行记录不全")
    changes += 4  # the four reviews
    with pytest.raises(Conflict) as half:
        decide(w, p)
    assert half.value.code == "projects.acceptance.panel_disagrees" and "2 名不同意" in half.value.message
    after = Project.objects.get(pk=p.pk)
    assert after.state == ProjectState.APPROVED and after.version == version
    assert (
        ChangeRecord.objects.count() == changes
        and not GateRecord.objects.filter(project=p, gate="K").exists()
    )


def test_the_decision_passes_when_the_whole_panel_agrees() -> None:
    w = world(ZIBO, "a")
    p = approved(w, ZIBO)
    ready(w, p)
    panel = [w.experts[i] for i in (1, 3, 4)]
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[e.pk for e in panel])
    for e in panel:
        submit(w, p, e)
    project, warnings = decide(w, p)
    assert project.state == ProjectState.ACCEPTED and warnings == []
    k = GateRecord.objects.get(project=p, gate="K")
    assert k.facts["panel"] == {"members": 3, "third_party": 3}
    accepted = records("projects.project.accept")
    assert len(accepted) == 1 and accepted[0].after is not None
    assert [x["expert"] for x in accepted[0].after["panel_reviews"]] == [e.pk for e in panel]
    assert {x["conclusion"] for x in accepted[0].after["panel_reviews"]} == {"agree"}
    # accepted: no more reviews or appointments
    with pytest.raises(Conflict):
        acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[w.experts[6].pk])


def test_a_panel_held_offline_keeps_the_recorded_composition() -> None:
    w = world(ZIBO, "f")
    p = approved(w, ZIBO)
    ready(w, p)
    acceptance.panel_record(actor=w.authority, project_id=p.pk, members=3, third_party=2, names="甲、乙、丙")
    project, _ = decide(w, p)
    assert project.state == ProjectState.ACCEPTED and not AcceptanceReview.objects.filter(project=p).exists()
