"""Gates S and A (PRJ-S1..S6, PRJ-A1..A7): every rule id on each ruleset, every branch, tier boundaries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.decisions import Outcome
from sanbu.policy.facts import (
    ApprovalFacts,
    CentreOpinion,
    ExpertReview,
    FactsError,
    ProjectClass,
    ProjectFacts,
    ProjectKind,
    ResourceState,
    ResourceUse,
    SimilarProject,
    UnitSystem,
)
from sanbu.policy.rules import projects as r
from sanbu.policy.rules.projects import Gate, GateNotImplemented, evaluate
from sanbu.policy.rulesets import load

RULESETS = ["default", "district", "jiangxi", "zibo", "yiyuan"]
ALL = ["name", "unit", "tasks", "place", "basis_necessity", "performance_goals", "implementation_method",
       "intensive_needs", "sharing_analysis", "security_protection", "classified_protection",
       "crypto_application", "secure_reliable", "party_meeting", "funding_source", "om_plan"]  # fmt: skip


def approval(**kw: Any) -> ApprovalFacts:
    base: dict[str, Any] = dict(
        project_class=ProjectClass.OTHER, expert_review=ExpertReview(True, 5, 0),
        builds_machine_room_or_cloud=False, buys_server_hardware=False, leases_internet_line=False,
        private_network_not_merged=False, on_gov_cloud=True, uses_secure_reliable=True, crypto_compliant=True,
        security_compliant=True, goals_clear=True, internal_integrated=True, upgrades_unaccepted=False,
        centre_opinion=CentreOpinion.FAVOURABLE, unit_systems=(UnitSystem("社保卡系统", docked=True),),
        joint_review=True,
    )  # fmt: skip
    base.update(kw)
    return ApprovalFacts(**base)


def facts(**kw: Any) -> ProjectFacts:
    base: dict[str, Any] = dict(
        name="区社保数据分析系统", unit="区人社局", kind=ProjectKind.NEW, amount=1_500_000,
        application_date=dt.date(2026, 6, 1), plan_year=2027, materials=tuple(ALL),
        uses=(ResourceUse("307021/1", ResourceState.PUBLISHED, "人口基础信息"),), provides=("社保参保信息",),
        approval=approval(),
    )  # fmt: skip
    base.update(kw)
    return ProjectFacts(**base)


def outcomes(gate: str, p: ProjectFacts, ruleset: str) -> dict[str, Outcome]:
    return {d.rule_id: d.outcome for d in evaluate(gate, p, load(ruleset))}


@pytest.mark.parametrize("ruleset", RULESETS)
def test_a_clean_project_passes_both_gates_on_every_ruleset(ruleset: str) -> None:
    s = evaluate(Gate.S, facts(), load(ruleset))
    assert [d.rule_id for d in s] == [f"PRJ-S{i}" for i in range(1, 7)]
    a = evaluate("A", facts(), load(ruleset))
    expected = [f"PRJ-A{i}" for i in range(1, 7)] + (["PRJ-A7"] if ruleset == "yiyuan" else [])
    assert [d.rule_id for d in a] == expected
    assert all(d.outcome is Outcome.ALLOW and d.source for d in s + a)


# --- one failing case per rule, on every ruleset --------------------------------------------------------

BLOCKING: list[tuple[str, str, dict[str, Any], Outcome]] = [
    ("S", "PRJ-S1", {"started_before_approval": True}, Outcome.BLOCK),
    ("S", "PRJ-S2", {"uses": (), "provides": ()}, Outcome.BLOCK),
    ("S", "PRJ-S2", {"uses": (), "provides": (), "kind": ProjectKind.EXPAND}, Outcome.WARN),
    ("S", "PRJ-S2", {"uses": (ResourceUse("x", ResourceState.MISSING),)}, Outcome.BLOCK),
    ("S", "PRJ-S2", {"uses": (ResourceUse("x", ResourceState.MOUNTED),)}, Outcome.WARN),
    ("S", "PRJ-S3", {"materials": ("name",)}, Outcome.BLOCK),
    ("S", "PRJ-S4", {"application_date": dt.date(2026, 12, 1)}, Outcome.BLOCK),
    ("S", "PRJ-S4", {"application_date": dt.date(2026, 12, 1), "dynamic_addition": True}, Outcome.NEEDS_REVIEW),
    ("S", "PRJ-S5", {"library_entry_date": dt.date(2024, 5, 31)}, Outcome.BLOCK),
    ("S", "PRJ-S6", {"category": "视频会议"}, Outcome.BLOCK),
    ("S", "PRJ-S6", {"name": "区政府门户网站改版"}, Outcome.WARN),
    ("A", "PRJ-A2", {"approval": approval(expert_review=ExpertReview(False))}, Outcome.BLOCK),
    ("A", "PRJ-A2", {"involves_secrets": True, "approval": approval(expert_review=ExpertReview(True, 5, 1))},
     Outcome.BLOCK),
    ("A", "PRJ-A3", {"approval": approval(on_gov_cloud=False)}, Outcome.BLOCK),
    ("A", "PRJ-A5", {"approval": approval(centre_opinion=CentreOpinion.NONE)}, Outcome.BLOCK),
    ("A", "PRJ-A5", {"approval": approval(centre_opinion=CentreOpinion.UNFAVOURABLE)}, Outcome.BLOCK),
    ("A", "PRJ-A6", {"approval": approval(hardware_outside_cloud=True)}, Outcome.BLOCK),
    ("A", "PRJ-A6", {"approval": approval(design_life_years=5)}, Outcome.WARN),
    ("A", "PRJ-A6", {"approval": approval(construction_months=13)}, Outcome.WARN),
]  # fmt: skip


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize(("gate", "rule_id", "change", "outcome"), BLOCKING)
def test_each_rule_fails_for_its_fact(
    ruleset: str, gate: str, rule_id: str, change: dict[str, Any], outcome: Outcome
) -> None:
    decisions = {d.rule_id: d for d in evaluate(gate, facts(**change), load(ruleset))}
    d = decisions[rule_id]
    assert d.outcome is outcome, d
    assert d.reason and d.remedy and d.fact is not None and d.source
    assert d.as_dict()["rule_id"] == rule_id


def test_a7_only_where_the_ruleset_enables_it() -> None:
    p = facts(approval=approval(unit_systems=(UnitSystem("旧审批系统", docked=False), UnitSystem("b", True))))
    assert outcomes("A", p, "yiyuan")["PRJ-A7"] is Outcome.BLOCK
    d = evaluate("A", p, load("yiyuan"))[-1]
    assert d.fact is not None and d.fact.value == ["旧审批系统"] and "001" in d.source
    for name in ("default", "district", "jiangxi", "zibo"):
        assert "PRJ-A7" not in outcomes("A", p, name)
    assert outcomes("A", dataclasses.replace(p, kind=ProjectKind.OM), "yiyuan")["PRJ-A7"] is Outcome.ALLOW


# --- gate S details -------------------------------------------------------------------------------------


def test_s2_lists_unpublished_uses_as_needs_and_services_need_no_sharing() -> None:
    p = facts(uses=(ResourceUse("a", ResourceState.REGISTERED), ResourceUse("b", ResourceState.PUBLISHED)))
    d = r.declares_sharing(p, load("default"))
    assert d.extra["needs"] == ["a"]
    for kind in (ProjectKind.OM, ProjectKind.SERVICE):
        assert (
            r.declares_sharing(facts(kind=kind, uses=(), provides=()), load("default")).outcome
            is Outcome.ALLOW
        )
    assert r.declares_sharing(facts(uses=(), provides=("x",)), load("default")).outcome is Outcome.ALLOW


def test_s3_om_projects_need_the_om_plan_not_the_technical_plan() -> None:
    om = ("name", "unit", "tasks", "place", "basis_necessity", "performance_goals", "implementation_method",
          "party_meeting", "funding_source")  # fmt: skip
    rs = load("default")
    d = r.has_materials(facts(kind=ProjectKind.OM, materials=om), rs)
    assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.value == ["om_plan"]
    assert "运维实施方案" in d.reason
    assert (
        r.has_materials(facts(kind=ProjectKind.OM, materials=(*om, "om_plan")), rs).outcome is Outcome.ALLOW
    )


@pytest.mark.parametrize(
    ("ruleset", "last_day"), [("jiangxi", dt.date(2026, 6, 30)), ("district", dt.date(2026, 8, 31))]
)
def test_s4_window_ends_on_the_ruleset_deadline_inclusive(ruleset: str, last_day: dt.date) -> None:
    rs = load(ruleset)
    assert r.within_window(facts(application_date=last_day), rs).outcome is Outcome.ALLOW
    late = r.within_window(facts(application_date=last_day + dt.timedelta(days=1)), rs)
    assert late.outcome is Outcome.BLOCK and late.extra["deadline"] == last_day.isoformat()
    assert late.extra["parameters"][0]["citation"] == rs.param(r.APPLICATION_DEADLINE).citation


def test_s5_library_entry_valid_two_years_including_29_february() -> None:
    rs = load("jiangxi")
    entry = dt.date(2024, 2, 29)
    assert r.library_and_splitting(facts(library_entry_date=entry, application_date=dt.date(2026, 2, 28)),
                                   rs).outcome is Outcome.ALLOW  # fmt: skip
    assert r.library_and_splitting(facts(library_entry_date=entry, application_date=dt.date(2026, 3, 1)),
                                   rs).outcome is Outcome.BLOCK  # fmt: skip


def test_s5_split_detection_by_similarity_and_tier() -> None:
    rs = load("district")
    sibling = SimilarProject(
        "区社保数据分析系统二期", 600_000, content="社保数据分析", technical_route="政务云微服务"
    )
    p = facts(content="社保数据分析", technical_route="政务云 微服务", similar_projects=(sibling,))
    d = r.library_and_splitting(p, rs)  # 1.5M + 0.6M = 2.1M crosses 2,000,000
    assert d.outcome is Outcome.NEEDS_REVIEW and d.extra["total"] == 2_100_000
    # same sum, but not similar enough
    far = dataclasses.replace(sibling, similarity=0.5)
    assert r.library_and_splitting(facts(similar_projects=(far,)), rs).outcome is Outcome.ALLOW
    # similar, but the sum stays in the tier
    small = dataclasses.replace(sibling, amount=100_000, similarity=0.95)
    warned = r.library_and_splitting(facts(similar_projects=(small,)), rs)
    assert warned.outcome is Outcome.WARN and warned.extra["total"] == 1_600_000
    assert warned.fact is not None and warned.fact.value[0]["similarity"] == 0.95 and "拆分" in warned.reason
    # no shared texts at all: similarity 0
    assert r.similarity(facts(name=" "), SimilarProject("", 1)) == 0.0
    assert r.similarity(p, sibling) > 0.8


@given(st.text(max_size=12), st.text(max_size=12))
def test_similarity_is_symmetric_and_ignores_whitespace(a: str, b: str) -> None:
    p = facts(name=a or "x", content=b, technical_route="政务云")
    other = SimilarProject(b or "y", 1, content=a, technical_route="政 务 云")
    mirrored = facts(name=b or "y", content=a, technical_route="政务云")
    assert 0.0 <= r.similarity(p, other) <= 1.0
    assert abs(r.similarity(p, other) - r.similarity(mirrored, SimilarProject(a or "x", 1, content=b,
                                                                            technical_route="政务云"))) < 1e-9  # fmt: skip


WORDS = st.text(alphabet="学籍数据分析平台系统一二期政务云 ", max_size=10)


@given(WORDS, WORDS, st.lists(st.tuples(WORDS, WORDS, WORDS, st.none() | st.floats(0, 1)), max_size=6),
       st.floats(min_value=0.5, max_value=1))  # fmt: skip
def test_screening_names_finds_exactly_the_similar_siblings(
    name: str, content: str, siblings: list[tuple[str, str, str, float | None]], threshold: float
) -> None:
    p = facts(name=name, content=content, technical_route="政务云",
              similar_projects=tuple(SimilarProject(n, 1, c, t, g) for n, c, t, g in siblings))  # fmt: skip
    found = [(s.name, round(score, 9)) for s, score in r._similar_siblings(p, threshold)]
    brute = [
        (s.name, round(r.similarity(p, s), 9)) for s in p.similar_projects if r.similarity(p, s) >= threshold
    ]
    assert found == brute


def test_s5_split_crossing_the_jiangxi_province_threshold() -> None:
    rs = load("jiangxi")
    assert r.tier_boundaries(rs) == [5_000_000, 10_000_000]
    twin = SimilarProject("x", 3_000_000, similarity=1.0)
    p = facts(amount=3_000_000, similar_projects=(twin,))
    assert r.library_and_splitting(p, rs).outcome is Outcome.NEEDS_REVIEW


def test_s6_unified_build_of_an_eight_kind_project_is_allowed_and_plain_names_pass() -> None:
    rs = load("zibo")
    assert r.not_separately_built(facts(category="政府网站", unified_build=True), rs).outcome is Outcome.ALLOW
    d = r.not_separately_built(facts(name="全区协同办公OA平台"), rs)
    assert d.outcome is Outcome.WARN and d.extra["hint"] == "协同办公"
    assert "000" in d.extra["parameters"][0]["citation"]


# --- gate A details -------------------------------------------------------------------------------------


def route(amount: int, ruleset: str, **kw: Any) -> str:
    return r.review_route(facts(amount=amount, **kw), load(ruleset))


@given(st.integers(min_value=0, max_value=50_000_000))
def test_district_tiers_are_inclusive_at_200000_and_2000000(amount: int) -> None:
    expected = "self_review" if amount < 200_000 else "expert_panel" if amount < 2_000_000 else "joint_panel"
    assert route(amount, "district") == expected


@given(
    st.sampled_from([199_999, 200_000, 200_001, 1_999_999, 2_000_000, 2_000_001]),
    st.sampled_from(list(ProjectKind)),
)
def test_district_boundaries_exactly(amount: int, kind: ProjectKind) -> None:
    expected = {199_999: "self_review", 200_000: "expert_panel", 200_001: "expert_panel",
                1_999_999: "expert_panel", 2_000_000: "joint_panel", 2_000_001: "joint_panel"}[amount]  # fmt: skip
    d = r.route_by_amount(facts(amount=amount, kind=kind), load("district"))
    assert d.extra["route"] == expected and d.outcome is Outcome.ALLOW and str(amount) in d.reason


@given(st.integers(min_value=0, max_value=30_000_000), st.sampled_from(list(ProjectClass)),
       st.sampled_from(list(ProjectKind)))  # fmt: skip
def test_jiangxi_province_escalation(amount: int, cls: ProjectClass, kind: ProjectKind) -> None:
    got = route(amount, "jiangxi", kind=kind, approval=approval(project_class=cls))
    if cls is not ProjectClass.OTHER:
        province = amount >= 10_000_000
    else:
        province = kind is not ProjectKind.OM and amount >= 5_000_000
    assert got == ("province" if province else "joint_panel")


@pytest.mark.parametrize("amount", [2_000_000, 30_000_000])
def test_a1_joint_and_province_routes_block_until_the_joint_review_agrees(amount: int) -> None:
    rs = load("jiangxi")
    waiting = r.route_by_amount(facts(amount=amount, approval=approval(joint_review=False)), rs)
    assert (
        waiting.outcome is Outcome.BLOCK and waiting.fact is not None and waiting.fact.name == "joint_review"
    )
    assert waiting.extra["route"] in ("joint_panel", "province") and "联合评审" in waiting.remedy
    done = r.route_by_amount(facts(amount=amount, approval=approval(joint_review=True)), rs)
    assert done.outcome is Outcome.ALLOW and done.extra["route"] == waiting.extra["route"]


def test_a1_expert_panel_route_needs_no_joint_review() -> None:
    d = r.route_by_amount(facts(amount=500_000, approval=approval(joint_review=False)), load("district"))
    assert d.outcome is Outcome.ALLOW and d.extra["route"] == "expert_panel"


def test_a2_a_panel_that_did_not_agree_blocks() -> None:
    d = r.expert_assessment(facts(approval=approval(expert_review=ExpertReview(True, 5, 0, passed=False))),
                            load("default"))  # fmt: skip
    assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.name == "expert_review.passed"
    ok = r.expert_assessment(facts(approval=approval(expert_review=ExpertReview(True, 5, 0, passed=True))),
                             load("default"))  # fmt: skip
    assert ok.outcome is Outcome.ALLOW


def test_default_routes_everything_to_experts() -> None:
    assert route(1, "default") == route(10**9, "yiyuan") == "expert_panel"


def test_a2_self_review_needs_no_experts_unless_secret() -> None:
    rs = load("district")
    small = facts(amount=100_000, approval=approval(expert_review=ExpertReview(False)))
    assert r.expert_assessment(small, rs).outcome is Outcome.ALLOW
    secret = dataclasses.replace(small, involves_secrets=True)
    assert r.expert_assessment(secret, rs).outcome is Outcome.BLOCK
    ok = facts(involves_secrets=True, approval=approval(expert_review=ExpertReview(True, 5, 2)))
    assert r.expert_assessment(ok, rs).outcome is Outcome.ALLOW


def test_a3_lists_every_failed_item() -> None:
    a = approval(builds_machine_room_or_cloud=True, buys_server_hardware=True, leases_internet_line=True,
                 private_network_not_merged=True, on_gov_cloud=False, uses_secure_reliable=False,
                 crypto_compliant=False, security_compliant=False, goals_clear=False, internal_integrated=False,
                 upgrades_unaccepted=True, unit_systems=(UnitSystem("孤岛系统", True, shares=False),))  # fmt: skip
    d = r.not_supported(facts(kind=ProjectKind.REBUILD, approval=a), load("default"))
    assert d.outcome is Outcome.BLOCK and len(d.extra["items"]) == 12
    assert d.fact is not None and d.fact.name == "builds_machine_room_or_cloud"
    assert "不迁移到政务云" in d.reason and "(七)" in d.reason
    only_sharing = approval(unit_systems=(UnitSystem("孤岛系统", True, shares=False),))
    d = r.not_supported(facts(approval=only_sharing), load("default"))
    assert d.fact is not None and d.fact.value == ["孤岛系统"]
    # secret projects may build their own rooms and stay off the cloud; O&M is not an upgrade
    secret = approval(builds_machine_room_or_cloud=True, buys_server_hardware=True, on_gov_cloud=False)
    assert (
        r.not_supported(facts(involves_secrets=True, approval=secret), load("default")).outcome
        is Outcome.ALLOW
    )
    om = approval(upgrades_unaccepted=True, on_gov_cloud=False, uses_secure_reliable=False)
    assert r.not_supported(facts(kind=ProjectKind.OM, approval=om), load("default")).outcome is Outcome.ALLOW
    new_unaccepted = approval(upgrades_unaccepted=True)
    assert r.not_supported(facts(approval=new_unaccepted), load("default")).outcome is Outcome.ALLOW


def test_a4_priority_flags() -> None:
    d = r.priority(facts(approval=approval(central_or_provincial=True, cross_boundary=True)), load("jiangxi"))
    assert d.outcome is Outcome.ALLOW and d.extra["priority"] == [
        "中央或省部署的重大项目",
        "跨部门、跨层级、跨区域共建共享",
    ]
    assert d.as_dict()["extra"]["priority"]


def test_a6_only_for_building_projects_and_reasons_count() -> None:
    rs = load("district")
    bad = approval(hardware_outside_cloud=True, design_life_years=3, construction_months=24)
    assert r.cost_checks(facts(kind=ProjectKind.SERVICE, approval=bad), rs).outcome is Outcome.ALLOW
    reasoned = approval(hardware_outside_cloud=True, hardware_outside_cloud_reason="涉及专用采集终端",
                        design_life_years=6, construction_months=12)  # fmt: skip
    assert r.cost_checks(facts(approval=reasoned), rs).outcome is Outcome.ALLOW


# --- evaluate -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gate", ["F", "K", "O"])
def test_project_rules_send_other_gates_to_the_dispatcher(gate: str) -> None:
    with pytest.raises(GateNotImplemented, match=r"sanbu\.policy\.gates"):
        evaluate(gate, facts(), load("default"))


def test_gate_a_needs_approval_facts() -> None:
    with pytest.raises(FactsError) as e:
        evaluate("A", facts(approval=None), load("default"))
    assert e.value.field == "approval"
