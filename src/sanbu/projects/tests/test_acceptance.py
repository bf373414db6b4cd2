"""Gate K (竣工验收, PRJ-K1..K5) through the acceptance services and facts, on the rulesets whose parameters
differ (trial run months and 终验 in Jiangxi; the district template through an explicit ruleset)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sanbu.catalog import services as catalog
from sanbu.catalog.models import MountKind
from sanbu.catalog.models import ResourceState as CatalogState
from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, RuleBlocked, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.inventory import services as inventory
from sanbu.inventory.services import SystemData
from sanbu.policy.decisions import Outcome
from sanbu.policy.facts import ResourceState
from sanbu.policy.rules.acceptance import MATERIALS
from sanbu.policy.rulesets import load
from sanbu.projects import acceptance, operations, services, steps
from sanbu.projects.models import ExpertAssignment, GateRecord, Lifecycle, Project, ProjectState
from sanbu.projects.tests.support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

TODAY = steps.today()
ALL = [m for m in MATERIALS if m != "sharing_confirmation"]
DEFAULT, ZIBO, YIYUAN, JIANGXI = "110000", "370300", "370323", "360000"


def approved(w: World, code: str, **over: Any) -> Project:
    """An approved project affecting ``w.system``, approved 400 days ago (so trial runs can start earlier)."""
    over = {"systems": (w.system.pk,), "kind": "改建", **over}
    p = w.submitted(**over)
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=None, size=5, seed="abc123")
    for a in ExpertAssignment.objects.filter(project=p, draw__current=True):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=85,
                              conclusion="agree", opinion="方案可行，建议立项")  # fmt: skip
    services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                   opinion="favourable", text="同意备案")  # fmt: skip
    if code.startswith("36"):  # Jiangxi: every project goes to the joint review (PRJ-A1)
        services.joint_review_record(actor=w.authority, project_id=p.pk, expected_version=None, conclusion="agree",
                                     participants="发展改革委、财政厅", note="同意")  # fmt: skip
    services.project_approve(actor=w.authority, project_id=p.pk, expected_version=None)
    Project.objects.filter(pk=p.pk).update(decided_at=timezone.now() - timedelta(days=400))
    return Project.objects.get(pk=p.pk)


def lc_of(p: Project) -> Lifecycle:
    return Lifecycle.objects.get(project=p)


def prepare(w: World, p: Project, *, started: date, materials: list[str] | None = None, dengbao: bool = True,
            final: bool = True, panel: tuple[int, int] = (3, 2), confirm: bool = True) -> Lifecycle:  # fmt: skip
    """Trial run from ``started``, the unit's file, the panel and (unless told) the authority's confirmation."""
    acceptance.trial_run_start(actor=w.applicant, project_id=p.pk, started_on=started)
    acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=None, dengbao_tested=dengbao,
                                  final_inspection_done=final, materials=ALL if materials is None else materials)  # fmt: skip
    acceptance.panel_record(actor=w.authority, project_id=p.pk, members=panel[0], third_party=panel[1],
                            names="张三、李四、王五")  # fmt: skip
    if confirm:
        acceptance.sharing_confirm(actor=w.authority, project_id=p.pk, expected_version=None)
    return lc_of(p)


def offline(r: Any) -> None:
    catalog.resource_offline(actor=SYSTEM, resource_id=r.pk, expected_version=None, reason="数据质量整改")


def republish(r: Any) -> None:
    catalog.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None)


def by_rule(ds: list[Any]) -> dict[str, Any]:
    return {d.rule_id: d for d in ds}


def blocked(exc: pytest.ExceptionInfo[RuleBlocked]) -> dict[str, Any]:
    return {d.rule_id: d for d in exc.value.decisions}


def test_a_project_through_acceptance_is_accepted_recorded_and_its_report_filing_watched() -> None:
    w = world(ZIBO, "a")
    p = approved(w, ZIBO)
    lc = prepare(w, p, started=TODAY - timedelta(days=60))
    assert "sharing_confirmation" in lc.materials and lc.confirmed_by == w.authority.username
    lc, k1 = acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    assert lc.applied_on == TODAY and [d.outcome for d in k1] == [Outcome.ALLOW]
    project, warnings = acceptance.acceptance_decide(
        actor=w.authority, project_id=p.pk, expected_version=p.version, opinion="同意通过竣工验收"
    )
    assert project.state == ProjectState.ACCEPTED and project.version == p.version + 1 and warnings == []
    lc = lc_of(p)
    assert lc.accepted_on == TODAY and lc.acceptance_opinion == "同意通过竣工验收"
    record = GateRecord.objects.get(project=p, gate="K")
    assert [d["rule_id"] for d in record.decisions] == ["PRJ-K1", "PRJ-K2", "PRJ-K3", "PRJ-K4", "PRJ-K5"]
    assert record.ruleset == "zibo" and record.facts["accepted_on"] == TODAY.isoformat()
    assert ChangeRecord.objects.filter(action="projects.project.accept", object_id=str(p.pk)).count() == 1
    # PRJ-K4: the report is due within one month; filed 40 days later it warns, with the due date
    late = TODAY + timedelta(days=40)
    acceptance.report_file(actor=w.authority, project_id=p.pk, on=late)
    k4 = by_rule(acceptance.acceptance_decisions(project, late))["PRJ-K4"]
    assert k4.outcome is Outcome.WARN and k4.extra["report_due"] <= late.isoformat()
    acceptance.report_file(actor=w.authority, project_id=p.pk, on=TODAY + timedelta(days=10))
    assert by_rule(acceptance.acceptance_decisions(project, late))["PRJ-K4"].outcome is Outcome.ALLOW
    with pytest.raises(Conflict):  # accepted once: no second decision
        acceptance.acceptance_decide(
            actor=w.authority, project_id=p.pk, expected_version=None, opinion="再次验收"
        )


@pytest.mark.parametrize("code, months", [(DEFAULT, 1), (ZIBO, 1), (YIYUAN, 1), (JIANGXI, 6)])
def test_prj_k1_trial_run_months_follow_the_jurisdictions_ruleset(code: str, months: int) -> None:
    w = world(code, "t")
    p = approved(w, code)
    prepare(w, p, started=TODAY - timedelta(days=75), confirm=False)
    before = lc_of(p).version
    if months > 2:
        with pytest.raises(RuleBlocked) as exc:
            acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
        k1 = blocked(exc)["PRJ-K1"]
        assert k1.fact.name == "trial_run_months" and k1.fact.value == 2
        assert {x["name"]: x["value"] for x in k1.extra["parameters"]}["projects.trial_run_months"] == 6
        lc = lc_of(p)
        assert lc.applied_on is None and lc.version == before
    else:
        lc, k1 = acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
        assert lc.applied_on == TODAY and k1[0].outcome is Outcome.ALLOW


def test_prj_k1_district_and_jiangxi_rulesets_through_the_decisions() -> None:
    w = world(DEFAULT, "d")
    p = approved(w, DEFAULT)
    prepare(w, p, started=TODAY - timedelta(days=75), confirm=False)
    for name, outcome in (("default", Outcome.ALLOW), ("district", Outcome.ALLOW), ("zibo", Outcome.ALLOW),
                          ("yiyuan", Outcome.ALLOW), ("jiangxi", Outcome.BLOCK)):  # fmt: skip
        k1 = by_rule(acceptance.acceptance_decisions(p, TODAY, ruleset=load(name)))["PRJ-K1"]
        assert k1.outcome is outcome, name


def test_prj_k1_jiangxi_needs_the_final_inspection() -> None:
    w = world(JIANGXI, "j")
    p = approved(w, JIANGXI)
    prepare(w, p, started=TODAY - timedelta(days=200), final=False, confirm=False)
    with pytest.raises(RuleBlocked) as exc:
        acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    assert blocked(exc)["PRJ-K1"].fact.name == "final_inspection_done"
    assert lc_of(p).applied_on is None
    # the default ruleset has no 终验: the same facts pass there
    elsewhere = by_rule(acceptance.acceptance_decisions(p, TODAY, ruleset=load("default")))["PRJ-K1"]
    assert elsewhere.outcome is Outcome.WARN and elsewhere.fact.name == "extension_requested"  # late, no more
    lc = lc_of(p)
    acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=lc.version,
                                  final_inspection_done=True, dengbao_tested=True, materials=ALL)  # fmt: skip
    lc, _ = acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    assert lc.applied_on == TODAY


def test_prj_k1_a_late_application_needs_a_written_extension_and_refusal_writes_nothing() -> None:
    w = world(DEFAULT, "l")
    p = approved(w, DEFAULT)
    prepare(w, p, started=TODAY - timedelta(days=200), confirm=False)
    # not applied yet and past the due date: a warning (the unit can still ask for an extension)
    k1 = by_rule(acceptance.acceptance_decisions(p, TODAY))["PRJ-K1"]
    assert k1.outcome is Outcome.WARN and k1.extra["due"] < TODAY.isoformat()
    version, records = lc_of(p).version, ChangeRecord.objects.count()
    with pytest.raises(RuleBlocked) as exc:
        acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    assert blocked(exc)["PRJ-K1"].fact.name == "extension_requested"
    assert (
        lc_of(p).version == version
        and lc_of(p).applied_on is None
        and ChangeRecord.objects.count() == records
    )
    lc, k1s = acceptance.acceptance_apply(
        actor=w.applicant, project_id=p.pk, extension_reason="等保测评排期延后"
    )
    assert (
        lc.extension_reason == "等保测评排期延后"
        and k1s[0].outcome is Outcome.ALLOW
        and "延期" in k1s[0].reason
    )
    with pytest.raises(Conflict):
        acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)


def test_prj_k1_an_abnormal_trial_run_blocks_the_application() -> None:
    w = world(ZIBO, "b")
    p = approved(w, ZIBO)
    started = TODAY - timedelta(days=60)
    prepare(w, p, started=started, confirm=False)
    acceptance.trial_run_end(
        actor=w.applicant, project_id=p.pk, ended_on=started + timedelta(days=40), normal=False
    )
    with pytest.raises(RuleBlocked) as exc:
        acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    assert blocked(exc)["PRJ-K1"].fact.name == "trial_run_normal"
    with pytest.raises(ValidationFailed):  # the end cannot precede the start
        acceptance.trial_run_end(actor=w.applicant, project_id=p.pk, ended_on=started - timedelta(days=1))
    assert lc_of(p).trial_run_normal is False


def test_prj_k2_an_unpublished_promise_fails_confirmation_decision_and_om_until_republished() -> None:
    w = world(ZIBO, "u")
    p = approved(w, ZIBO)
    prepare(w, p, started=TODAY - timedelta(days=60), confirm=False)
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    offline(w.own)  # after approval, the promised resource is taken offline
    lc = lc_of(p)
    with pytest.raises(RuleBlocked) as exc:
        acceptance.sharing_confirm(actor=w.authority, project_id=p.pk, expected_version=lc.version)
    k2 = blocked(exc)["PRJ-K2"]
    assert [f["code"] for f in k2.extra["failing"]] == [w.own.code]
    # its system provided only that resource: no longer docked, no longer sharing
    assert {i["fact"] for i in k2.extra["items"]} == {"promised.failing", "system_docked", "system_can_share"}
    assert "发布" in k2.remedy
    after = lc_of(p)
    assert after.confirmation is None and after.version == lc.version
    assert "sharing_confirmation" not in after.materials
    # the O&M check of its system fails PRJ-O1 for the same resource
    [row] = operations.operations_check(actor=w.authority, jurisdiction=ZIBO, year=TODAY.year + 1)
    o1 = {d["rule_id"]: d for d in row.decisions}["PRJ-O1"]
    assert row.eligible is False and o1["outcome"] == "block"
    assert "resources.failing" in {i["fact"] for i in o1["extra"]["items"]}
    # published again: the confirmation goes through and freezes the facts of that day
    republish(w.own)
    lc = acceptance.sharing_confirm(actor=w.authority, project_id=p.pk, expected_version=lc.version)
    snap = lc.confirmation
    assert snap is not None and snap["date"] == TODAY.isoformat() and snap["ruleset"] == "zibo"
    assert [(r["code"], r["state"], r["mounted"]) for r in snap["resources"]] == [
        (w.own.code, "published", True)
    ]
    assert [(s["name"], s["docked"]) for s in snap["systems"]] == [(w.system.name, True)]
    assert snap["decisions"][0]["rule_id"] == "PRJ-K2" and snap["decisions"][0]["outcome"] == "allow"
    assert "sharing_confirmation" in lc.materials
    # unpublished after the confirmation: the snapshot stays, the decision reads the catalog now
    offline(w.own)
    assert lc_of(p).confirmation == snap
    project = Project.objects.get(pk=p.pk)
    with pytest.raises(RuleBlocked) as exc:
        acceptance.acceptance_decide(
            actor=w.authority, project_id=p.pk, expected_version=project.version, opinion="同意"
        )
    assert set(blocked(exc)) == {"PRJ-K2"}
    assert blocked(exc)["PRJ-K2"].extra["failing"][0]["code"] == w.own.code
    still = Project.objects.get(pk=p.pk)
    assert still.state == ProjectState.APPROVED and still.version == project.version
    assert not GateRecord.objects.filter(project=p, gate="K").exists() and lc_of(p).accepted_on is None
    republish(w.own)
    accepted, _ = acceptance.acceptance_decide(actor=w.authority, project_id=p.pk, expected_version=project.version,
                                               opinion="同意")  # fmt: skip
    assert accepted.state == ProjectState.ACCEPTED


def test_prj_k2_without_the_authoritys_confirmation_the_decision_blocks() -> None:
    w = world(ZIBO, "c")
    p = approved(w, ZIBO)
    # the unit cannot tick the confirmation itself
    prepare(w, p, started=TODAY - timedelta(days=60), materials=[*ALL, "sharing_confirmation"], confirm=False)
    assert "sharing_confirmation" not in lc_of(p).materials
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    with pytest.raises(RuleBlocked) as exc:
        acceptance.acceptance_decide(
            actor=w.authority, project_id=p.pk, expected_version=None, opinion="同意"
        )
    decisions = blocked(exc)
    assert decisions["PRJ-K2"].fact.name == "sharing_confirmed"
    assert decisions["PRJ-K3"].fact.value == ["sharing_confirmation"]


def test_prj_k3_missing_materials_block_and_unknown_keys_are_refused() -> None:
    w = world(ZIBO, "m")
    p = approved(w, ZIBO)
    prepare(w, p, started=TODAY - timedelta(days=60), materials=[m for m in ALL if m != "third_party_audit"])
    version = lc_of(p).version
    with pytest.raises(ValidationFailed) as exc:
        acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=version,
                                      final_inspection_done=True, dengbao_tested=True, materials=["bogus"])  # fmt: skip
    assert exc.value.errors[0].field == "materials"
    with pytest.raises(Conflict):  # a stale version
        acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=version - 1,
                                      final_inspection_done=True, dengbao_tested=True, materials=ALL)  # fmt: skip
    assert lc_of(p).version == version
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    with pytest.raises(RuleBlocked) as blocked_exc:
        acceptance.acceptance_decide(
            actor=w.authority, project_id=p.pk, expected_version=None, opinion="同意"
        )
    assert set(blocked(blocked_exc)) == {"PRJ-K3"}
    assert blocked(blocked_exc)["PRJ-K3"].fact.value == ["third_party_audit"]


def test_prj_k4_panel_size_oddness_and_third_party_share_large_or_not() -> None:
    w = world(ZIBO, "p")
    small, large = approved(w, ZIBO), approved(w, ZIBO, name="教育大数据中心", amount=2_500_000)
    cases = [(small, 3, 2, Outcome.ALLOW), (small, 4, 3, Outcome.BLOCK), (small, 3, 1, Outcome.BLOCK),
             (large, 3, 3, Outcome.BLOCK), (large, 5, 4, Outcome.ALLOW), (large, 5, 3, Outcome.BLOCK)]  # fmt: skip
    for p, members, third, outcome in cases:
        acceptance.panel_record(
            actor=w.authority, project_id=p.pk, members=members, third_party=third, names="专家组"
        )
        k4 = by_rule(acceptance.acceptance_decisions(p, TODAY))["PRJ-K4"]
        assert k4.outcome is outcome, (p.name, members, third)
    lc = lc_of(large)
    with pytest.raises(ValidationFailed) as exc:
        acceptance.panel_record(
            actor=w.authority, project_id=large.pk, members=3, third_party=4, names="专家组"
        )
    assert exc.value.errors[0].field == "third_party"
    assert lc_of(large).version == lc.version and lc_of(large).panel_members == 5


def test_prj_k5_the_security_test_is_required() -> None:
    w = world(YIYUAN, "s")
    p = approved(w, YIYUAN)
    prepare(w, p, started=TODAY - timedelta(days=60), dengbao=False)
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    with pytest.raises(RuleBlocked) as exc:
        acceptance.acceptance_decide(
            actor=w.authority, project_id=p.pk, expected_version=None, opinion="同意"
        )
    assert set(blocked(exc)) == {"PRJ-K5"} and blocked(exc)["PRJ-K5"].fact.name == "dengbao_tested"


def test_each_party_acts_only_in_its_role() -> None:
    w = world(ZIBO, "r")
    other = world(DEFAULT, "o")
    p = approved(w, ZIBO)
    with pytest.raises(NotFound):
        acceptance.trial_run_start(actor=w.authority, project_id=p.pk, started_on=TODAY)
    with pytest.raises(NotFound):
        acceptance.sharing_confirm(actor=w.applicant, project_id=p.pk, expected_version=None)
    with pytest.raises(NotFound):
        acceptance.panel_record(
            actor=other.authority, project_id=p.pk, members=3, third_party=2, names="专家组"
        )
    with pytest.raises(NotFound):
        acceptance.trial_run_start(actor=other.applicant, project_id=p.pk, started_on=TODAY)
    with pytest.raises(Conflict):  # no trial run, no application
        acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    with pytest.raises(ValidationFailed):  # not before the approval, not in the future
        acceptance.trial_run_start(actor=w.applicant, project_id=p.pk, started_on=TODAY + timedelta(days=1))
    assert not Lifecycle.objects.filter(project=p, trial_run_started__isnull=False).exists()


def test_facts_of_many_projects_take_a_fixed_number_of_queries_and_resolve_new_resources() -> None:
    w = world(ZIBO, "f")
    first = approved(w, ZIBO)
    more = [approved(w, ZIBO, name=f"项目{i}", provides_new=("f新建资源",)) for i in range(2)]
    acceptance.trial_run_start(actor=w.applicant, project_id=first.pk, started_on=TODAY - timedelta(days=10))
    with CaptureQueriesContext(connection) as one:
        acceptance.acceptance_facts_many([first], TODAY)
    with CaptureQueriesContext(connection) as three:
        facts = acceptance.acceptance_facts_many([first, *more], TODAY)
    assert len(three) <= len(one) + 1  # + the lookup of the new resources by name
    assert facts[first.pk].trial_run_started == TODAY - timedelta(days=10)
    assert facts[more[0].pk].trial_run_started == TODAY  # not started: judged as starting today
    check = acceptance.sharing_check(more[0], TODAY)
    new = [r for r in check.resources if r.name == "f新建资源"]
    assert [(c.label, c.ok) for c in check][-1] == (f"系统：{w.system.name}", True)
    assert [(r.state, r.resource_id) for r in new] == [(ResourceState.MISSING, None)]
    k2 = by_rule(acceptance.acceptance_decisions(more[0], TODAY))["PRJ-K2"]
    assert "f新建资源" in [f["name"] for f in k2.extra["failing"]]
    # a system the inventory records as built by the project counts as its system too
    built = inventory.system_register(actor=SYSTEM, department_id=w.unit.pk,
                                      data=SystemData(name="f新系统", built_by_project="项目1"))  # fmt: skip
    systems = acceptance.sharing_check(more[1], TODAY).systems
    assert [(s.system_id, s.docked) for s in systems] == [(w.system.pk, True), (built.pk, False)]
    assert acceptance.acceptance_facts(more[1], TODAY).system_docked is False


@given(
    state=st.sampled_from([*CatalogState.values, None]),
    mount=st.sampled_from(MountKind.values),
)
def test_only_published_and_mounted_resources_count_as_shared(state: str | None, mount: str) -> None:
    check = acceptance.promised_check(1, "c", "n", state, mount, "")
    assert check.shared == (state == CatalogState.PUBLISHED and mount != MountKind.NONE)
    assert (check.state is ResourceState.MISSING) == (state is None)
