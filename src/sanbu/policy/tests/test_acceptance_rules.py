"""Gate K (PRJ-K1..K5), gate O (PRJ-O1..O3) and the evaluation checks (PRJ-E1..E3): every rule id on each
ruleset, PRJ-O2 only where enabled, a promised resource unpublished after approval, panel boundaries,
month arithmetic and the date windows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.calendar import add_months, whole_months
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.facts import FactsError, ResourceState, from_json, json_schema
from sanbu.policy.lifecycle_facts_k import (
    FACTS,
    AcceptanceFacts,
    AcceptancePanel,
    EvaluationFacts,
    Grade,
    OperationsFacts,
    Problem,
    PromisedResource,
)
from sanbu.policy.rules import acceptance as r
from sanbu.policy.rules.acceptance import evaluate_e, evaluate_k, evaluate_o
from sanbu.policy.rulesets import Parameter, Ruleset, RulesetError, RuleSwitch, load

RULESETS = ["default", "district", "jiangxi", "zibo", "yiyuan"]
TRIAL = {"default": 1, "district": 1, "jiangxi": 6, "zibo": 1, "yiyuan": 1}
START = dt.date(2025, 1, 31)
ACCEPTED = dt.date(2025, 3, 31)
POPULATION = PromisedResource("307021/1", "人口基础信息", ResourceState.PUBLISHED, mounted=True)
SOCIAL = PromisedResource("307021/2", "社保参保信息", ResourceState.PUBLISHED, mounted=True)
ALL_MATERIALS = tuple(r.MATERIALS)
ALL_DELIVERABLES = tuple(r.DELIVERABLES)


def acc(ruleset: str = "default", **kw: Any) -> AcceptanceFacts:
    """Facts that pass gate K on ``ruleset``: applied the day after the trial run's minimum ends."""
    applied = add_months(START, TRIAL[ruleset]) + dt.timedelta(days=1)
    base: dict[str, Any] = dict(
        name="区社保数据分析系统", unit="区人社局", amount=1_500_000, trial_run_started=START,
        today=applied + dt.timedelta(days=5), applied_on=applied, final_inspection_done=True,
        system_docked=True, system_can_share=True, sharing_confirmed=True, panel=AcceptancePanel(3, 2),
        dengbao_tested=True, promised=(POPULATION, SOCIAL), materials=ALL_MATERIALS,
    )  # fmt: skip
    base.update(kw)
    return AcceptanceFacts(**base)


def ops(**kw: Any) -> OperationsFacts:
    base: dict[str, Any] = dict(
        name="社保数据分析系统", unit="区人社局", year=2026, shares_as_required=True, crypto_compliant=True,
        security_compliant=True, major_hazards=False, on_extranet=True, on_gov_cloud=True, docked=True,
        requested_budget=105_000, last_budget=100_000, workload_change=0.0, last_evaluation=Grade.GOOD,
        resources=(POPULATION,),
    )  # fmt: skip
    base.update(kw)
    return OperationsFacts(**base)


def ev(**kw: Any) -> EvaluationFacts:
    base: dict[str, Any] = dict(
        name="区社保数据分析系统", unit="区人社局", accepted_on=ACCEPTED, today=dt.date(2025, 12, 1),
        key_evaluation=False, contract_assigns_ip=True, self_evaluation_filed_on=dt.date(2025, 11, 20),
        deliverables_registered=ALL_DELIVERABLES,
    )  # fmt: skip
    base.update(kw)
    return EvaluationFacts(**base)


def by_id(decisions: list[Decision]) -> dict[str, Decision]:
    return {d.rule_id: d for d in decisions}


def explained(d: Decision, rule_id: str) -> None:
    """A failing decision says which rule, why, which fact, what to do, and where the rule comes from."""
    assert d.rule_id == rule_id and d.reason and d.remedy and d.fact is not None
    assert d.source and d.source != "POLICY.md"
    json.dumps(d.as_dict(), ensure_ascii=False)


@pytest.mark.parametrize("ruleset", RULESETS)
def test_clean_facts_pass_every_rule_on_every_ruleset(ruleset: str) -> None:
    rs = load(ruleset)
    k, o, e = evaluate_k(acc(ruleset), rs), evaluate_o(ops(), rs), evaluate_e(ev(), rs)
    assert [d.rule_id for d in k] == [f"PRJ-K{i}" for i in range(1, 6)]
    assert [d.rule_id for d in o] == ["PRJ-O1", *(["PRJ-O2"] if ruleset == "yiyuan" else []), "PRJ-O3"]
    assert [d.rule_id for d in e] == ["PRJ-E1", "PRJ-E2", "PRJ-E3"]
    assert all(d.outcome is Outcome.ALLOW and d.source != "POLICY.md" for d in k + o + e), k + o + e


def test_facts_kinds_and_rule_tuples() -> None:
    assert {"K": AcceptanceFacts, "O": OperationsFacts, "E": EvaluationFacts} == FACTS
    assert [x.id for x in r.GATE_K] == [f"PRJ-K{i}" for i in range(1, 6)]
    assert [x.id for x in r.GATE_O] == ["PRJ-O1", "PRJ-O2", "PRJ-O3"]
    assert [x.id for x in r.CHECKS_E] == ["PRJ-E1", "PRJ-E2", "PRJ-E3"]


# --- one failing case per rule, on every ruleset --------------------------------------------------------

Change = Callable[[str], Any]
LATE = dt.date(2027, 6, 1)  # beyond every ruleset's application due date

FAILING: list[tuple[str, str, Change, Outcome]] = [
    ("K", "PRJ-K1", lambda n: acc(n, trial_run_normal=False), Outcome.BLOCK),
    ("K", "PRJ-K1", lambda n: acc(n, trial_run_ended=START + dt.timedelta(days=20)), Outcome.BLOCK),
    ("K", "PRJ-K1", lambda n: acc(n, applied_on=START + dt.timedelta(days=20)), Outcome.BLOCK),
    ("K", "PRJ-K1", lambda n: acc(n, applied_on=LATE, today=LATE), Outcome.BLOCK),
    ("K", "PRJ-K1", lambda n: acc(n, applied_on=None, today=LATE), Outcome.WARN),
    ("K", "PRJ-K2", lambda n: acc(n, promised=(dataclasses.replace(POPULATION, state=ResourceState.MOUNTED),)),
     Outcome.BLOCK),
    ("K", "PRJ-K2", lambda n: acc(n, system_docked=False), Outcome.BLOCK),
    ("K", "PRJ-K2", lambda n: acc(n, system_can_share=False), Outcome.BLOCK),
    ("K", "PRJ-K2", lambda n: acc(n, sharing_confirmed=False), Outcome.BLOCK),
    ("K", "PRJ-K3", lambda n: acc(n, materials=ALL_MATERIALS[1:]), Outcome.BLOCK),
    ("K", "PRJ-K4", lambda n: acc(n, panel=AcceptancePanel(2, 2)), Outcome.BLOCK),
    ("K", "PRJ-K4", lambda n: acc(n, accepted_on=ACCEPTED, today=dt.date(2025, 6, 1)), Outcome.WARN),
    ("K", "PRJ-K5", lambda n: acc(n, dengbao_tested=False), Outcome.BLOCK),
    ("O", "PRJ-O1", lambda n: ops(shares_as_required=False), Outcome.BLOCK),
    ("O", "PRJ-O1", lambda n: ops(collects_again=("公民身份号码",)), Outcome.BLOCK),
    ("O", "PRJ-O1", lambda n: ops(major_hazards=True), Outcome.BLOCK),
    ("O", "PRJ-O1", lambda n: ops(on_gov_cloud=False), Outcome.BLOCK),
    ("O", "PRJ-O3", lambda n: ops(last_evaluation=Grade.FAIL), Outcome.NEEDS_REVIEW),
    ("O", "PRJ-O3", lambda n: ops(requested_budget=200_000), Outcome.NEEDS_REVIEW),
    ("O", "PRJ-O3", lambda n: ops(last_evaluation=None), Outcome.WARN),
    ("E", "PRJ-E1", lambda n: ev(self_evaluation_filed_on=None, today=dt.date(2026, 4, 1)), Outcome.BLOCK),
    ("E", "PRJ-E1", lambda n: ev(self_evaluation_filed_on=dt.date(2025, 5, 1)), Outcome.WARN),
    ("E", "PRJ-E1", lambda n: ev(key_evaluation=True, key_evaluation_grade=Grade.FAIL), Outcome.WARN),
    ("E", "PRJ-E2", lambda n: ev(problems=(Problem("接口未脱敏", dt.date(2025, 11, 1)),)), Outcome.BLOCK),
    ("E", "PRJ-E3", lambda n: ev(deliverables_registered=("design",)), Outcome.BLOCK),
    ("E", "PRJ-E3", lambda n: ev(contract_assigns_ip=False), Outcome.BLOCK),
]  # fmt: skip
EVALUATE: dict[str, Callable[[Any, Ruleset], list[Decision]]] = {
    "K": evaluate_k,
    "O": evaluate_o,
    "E": evaluate_e,
}


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize(("gate", "rule_id", "change", "outcome"), FAILING)
def test_each_rule_fails_for_its_fact(
    ruleset: str, gate: str, rule_id: str, change: Change, outcome: Outcome
) -> None:
    decisions = by_id(EVALUATE[gate](change(ruleset), load(ruleset)))
    d = decisions[rule_id]
    assert d.outcome is outcome, d
    explained(d, rule_id)
    others = [x for x in decisions.values() if x.rule_id != rule_id]
    assert all(x.outcome is Outcome.ALLOW for x in others), others


def test_o2_only_where_the_ruleset_enables_it() -> None:
    undocked = ops(docked=False)
    d = by_id(evaluate_o(undocked, load("yiyuan")))["PRJ-O2"]
    assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.name == "docked" and "001" in d.source
    explained(d, "PRJ-O2")
    assert by_id(evaluate_o(ops(), load("yiyuan")))["PRJ-O2"].outcome is Outcome.ALLOW
    for name in ("default", "district", "jiangxi", "zibo"):
        assert "PRJ-O2" not in by_id(evaluate_o(undocked, load(name)))
        assert not load(name).enabled("PRJ-O2")


def test_a_rule_switched_off_is_not_run() -> None:
    base = load("default")
    rs = dataclasses.replace(base, rules={**base.rules, "PRJ-K5": RuleSwitch(False, "试点")})
    assert "PRJ-K5" not in by_id(evaluate_k(acc(dengbao_tested=False), rs))


# --- a promised resource unpublished after approval -----------------------------------------------------


@pytest.mark.parametrize("ruleset", RULESETS)
def test_a_resource_unpublished_after_approval_fails_k2_and_the_om_gate(ruleset: str) -> None:
    """Published when the project was approved (S2 passed), withdrawn to 'registered' since: the
    authority's earlier confirmation does not save it, K2 blocks naming it, and as an O&M system O1 blocks
    (and O2 too where enabled: the inventory no longer counts the system as docked)."""
    withdrawn = dataclasses.replace(SOCIAL, state=ResourceState.REGISTERED)
    rs = load(ruleset)
    k2 = by_id(evaluate_k(acc(ruleset, promised=(POPULATION, withdrawn), sharing_confirmed=True), rs))[
        "PRJ-K2"
    ]
    assert k2.outcome is Outcome.BLOCK and k2.fact is not None and k2.fact.name == "promised.failing"
    assert k2.fact.value == [{"code": "307021/2", "name": "社保参保信息", "problem": "仅注册，未发布"}]
    assert "社保参保信息（仅注册，未发布）" in k2.reason and "不安排运维经费" in k2.reason
    o = by_id(evaluate_o(ops(resources=(POPULATION, withdrawn), docked=False), rs))
    assert o["PRJ-O1"].outcome is Outcome.BLOCK and o["PRJ-O1"].fact is not None
    assert o["PRJ-O1"].fact.name == "resources.failing" and "社保参保信息" in o["PRJ-O1"].reason
    assert o["PRJ-O1"].extra["items"] == [
        {"item": "(一)", "reason": "应提供的 1 项资源未发布或未挂接：社保参保信息（仅注册，未发布）",
         "fact": "resources.failing"}
    ]  # fmt: skip
    if ruleset == "yiyuan":
        assert o["PRJ-O2"].outcome is Outcome.BLOCK
    else:
        assert "PRJ-O2" not in o


def test_k2_names_every_problem_and_every_resource_state() -> None:
    promised = (
        PromisedResource("a", "", ResourceState.MISSING, mounted=False),
        PromisedResource("b", "法人库", ResourceState.MOUNTED, mounted=True),
        PromisedResource("c", "证照库", ResourceState.PUBLISHED, mounted=False),
        POPULATION,
    )
    d = r.sharing_confirmed(
        acc(promised=promised, system_docked=False, system_can_share=False, sharing_confirmed=False),
        load("zibo"),
    )
    assert d.outcome is Outcome.BLOCK
    assert [f["problem"] for f in d.extra["failing"]] == [
        "不在目录中",
        "已挂接，未发布",
        "已发布但未挂接数据或接口",
    ]
    assert "a（不在目录中）" in d.reason  # no name: the code
    assert [i["fact"] for i in d.extra["items"]] == [
        "promised.failing", "system_docked", "system_can_share", "sharing_confirmed"
    ]  # fmt: skip
    only_confirmation = r.sharing_confirmed(acc(sharing_confirmed=False), load("default"))
    assert only_confirmation.fact is not None and only_confirmation.fact.name == "sharing_confirmed"
    assert "2 项资源均已发布" in r.sharing_confirmed(acc(), load("default")).reason


# --- PRJ-K1: trial run, final inspection, timely application --------------------------------------------


def test_k1_final_inspection_only_where_the_ruleset_requires_it() -> None:
    for name in RULESETS:
        d = r.trial_run(acc(name, final_inspection_done=False), load(name))
        if name == "jiangxi":
            assert (
                d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.name == "final_inspection_done"
            )
            assert "第三十条" in d.extra["parameters"][2]["citation"]
        else:
            assert d.outcome is Outcome.ALLOW


def test_k1_jiangxi_needs_six_months_and_the_district_one() -> None:
    applied = dt.date(2025, 7, 30)  # 5 months and 30 days after 31 January
    jx = r.trial_run(acc("jiangxi", applied_on=applied), load("jiangxi"))
    assert jx.outcome is Outcome.BLOCK and jx.fact is not None and jx.fact.value == 5
    assert jx.extra["earliest"] == "2025-07-31" and "2025-07-31 起方可申请" in jx.reason
    assert (
        r.trial_run(acc("jiangxi", applied_on=dt.date(2025, 7, 31)), load("jiangxi")).outcome is Outcome.ALLOW
    )
    district = r.trial_run(acc("district", applied_on=dt.date(2025, 2, 28)), load("district"))
    assert district.outcome is Outcome.ALLOW and district.extra["due"] == "2025-05-31"  # 1 + 3 months


def test_k1_a_trial_run_that_ended_early_or_still_runs() -> None:
    rs = load("default")
    ended_early = acc(trial_run_ended=dt.date(2025, 2, 27), applied_on=dt.date(2025, 3, 10))
    assert r.trial_run(ended_early, rs).outcome is Outcome.BLOCK
    still_running = acc(trial_run_ended=dt.date(2025, 9, 1), applied_on=dt.date(2025, 3, 10))
    assert r.trial_run(still_running, rs).outcome is Outcome.ALLOW  # ran until the application
    not_applied = acc(applied_on=None, today=dt.date(2025, 2, 20))
    d = r.trial_run(not_applied, rs)
    assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.value == 0
    assert r.trial_run(acc(applied_on=None, today=dt.date(2025, 3, 1)), rs).outcome is Outcome.ALLOW


def test_k1_late_application_with_a_written_extension_request() -> None:
    rs = load("default")
    late = acc(applied_on=LATE, today=LATE, extension_requested=True)
    d = r.trial_run(late, rs)
    assert d.outcome is Outcome.ALLOW and "已书面提出延期申请" in d.reason
    assert [p["name"] for p in d.extra["parameters"]] == [r.TRIAL_RUN_MONTHS, r.APPLY_WITHIN_MONTHS,
                                                          r.FINAL_INSPECTION_REQUIRED]  # fmt: skip
    blocked = r.trial_run(acc(applied_on=dt.date(2025, 6, 1)), rs)  # due 31 May
    assert blocked.outcome is Outcome.BLOCK and "晚于按期申请的期限 2025-05-31" in blocked.reason
    assert r.trial_run(acc(applied_on=dt.date(2025, 5, 31)), rs).outcome is Outcome.ALLOW


@given(
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    offset=st.integers(0, 400),
    extension=st.booleans(),
    ruleset=st.sampled_from(RULESETS),
)
def test_k1_window(start: dt.date, offset: int, extension: bool, ruleset: str) -> None:
    rs = load(ruleset)
    applied = start + dt.timedelta(days=offset)
    d = r.trial_run(acc(ruleset, trial_run_started=start, applied_on=applied, today=applied,
                        extension_requested=extension), rs)  # fmt: skip
    months = TRIAL[ruleset]
    if applied < add_months(start, months):
        assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.name == "trial_run_months"
        assert d.fact.value == whole_months(start, applied) < months
    elif applied > add_months(start, months + 3) and not extension:
        assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.name == "extension_requested"
    else:
        assert d.outcome is Outcome.ALLOW


# --- PRJ-K3, K5 -----------------------------------------------------------------------------------------


def test_k3_lists_the_missing_materials_in_words() -> None:
    d = r.acceptance_materials(acc(materials=("construction_summary",)), load("jiangxi"))
    assert d.outcome is Outcome.BLOCK and d.fact is not None and len(d.fact.value) == 10
    assert "数据共享情况确认书" in d.reason and "档案专项验收情况" in d.reason
    assert "第三十条" in d.extra["parameters"][0]["citation"]


def test_k5_names_the_test_secret_systems_need() -> None:
    plain = r.protection_tested(acc(dengbao_tested=False), load("yiyuan"))
    secret = r.protection_tested(acc(dengbao_tested=False, involves_secrets=True), load("yiyuan"))
    assert "等级保护测评" in plain.reason and "分级保护测评" in secret.reason and "五(四)" in plain.source


# --- PRJ-K4: panel and report ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "third_party", "large", "ok"),
    [
        (2, 2, False, False),  # too few
        (3, 2, False, True),  # 2 of 3 is exactly two thirds
        (3, 1, False, False),
        (4, 4, False, False),  # even
        (5, 4, False, True),
        (5, 3, False, False),  # 3 of 5 < 2/3
        (6, 4, False, False),  # two thirds exactly, but even
        (9, 6, False, True),  # exactly two thirds
        (9, 5, False, False),
        (3, 3, True, False),  # large: at least 5
        (4, 3, True, False),
        (5, 4, True, True),
        (6, 6, True, False),
        (7, 5, True, True),
    ],
)
@pytest.mark.parametrize("ruleset", RULESETS)
def test_k4_panel_boundaries(ruleset: str, members: int, third_party: int, large: bool, ok: bool) -> None:
    d = r.panel_and_report(acc(panel=AcceptancePanel(members, third_party), large=large), load(ruleset))
    assert d.outcome is (Outcome.ALLOW if ok else Outcome.BLOCK), d
    if not ok:
        explained(d, "PRJ-K4")
        assert d.fact is not None and d.fact.value == {"members": members, "third_party": third_party,
                                                       "large": large}  # fmt: skip
        assert "002 篇二 四(二)" in d.extra["parameters"][0]["citation"]


def test_k4_large_follows_the_amount_inclusive_unless_given() -> None:
    rs = load("district")
    panel = AcceptancePanel(3, 2)
    assert r.panel_and_report(acc(amount=1_999_999, panel=panel), rs).outcome is Outcome.ALLOW
    d = r.panel_and_report(acc(amount=2_000_000, panel=panel), rs)
    assert d.outcome is Outcome.BLOCK and d.extra["large"] is True and "较大项目应不少于 5 人" in d.reason
    assert "5 人的单数" in d.remedy
    assert r.panel_and_report(acc(amount=2_000_000, panel=panel, large=False), rs).outcome is Outcome.ALLOW
    assert r.is_large(acc(amount=1, large=True), rs)


@given(
    members=st.integers(0, 31),
    data=st.data(),
    large=st.booleans(),
)
def test_k4_panel_composition(members: int, data: st.DataObject, large: bool) -> None:
    third_party = data.draw(st.integers(0, members))
    problems = r.panel_problems(members, third_party, large, load("default").value(r.ACCEPTANCE_PANEL))
    ok = members >= (5 if large else 3) and members % 2 == 1 and 3 * third_party >= 2 * members
    assert (problems == []) is ok
    if 3 * third_party < 2 * members:
        needed = -(-2 * members // 3)
        assert (
            any(f"至少 {needed} 人" in p for p in problems) and needed * 3 >= 2 * members > (needed - 1) * 3
        )


def test_k4_panel_spec_without_odd_and_with_a_bad_share() -> None:
    spec = {"min_members": 3, "min_members_large": 5, "odd": False, "third_party_numerator": 1,
            "third_party_denominator": 2}  # fmt: skip
    assert r.panel_problems(4, 2, False, spec) == []
    with pytest.raises(RulesetError, match="third_party_denominator"):
        r.panel_problems(3, 2, False, {**spec, "third_party_denominator": 0})


def test_k4_report_filed_within_one_month_of_acceptance() -> None:
    rs = load("district")
    due = dt.date(2025, 4, 30)  # 31 March + 1 month, clamped
    on_time = acc(accepted_on=ACCEPTED, report_filed_on=due, today=dt.date(2025, 9, 1))
    d = r.panel_and_report(on_time, rs)
    assert d.outcome is Outcome.ALLOW and d.extra["report_due"] == "2025-04-30"
    assert d.extra["parameters"][0]["name"] == r.REPORT_FILING_MONTHS
    late = r.panel_and_report(dataclasses.replace(on_time, report_filed_on=due + dt.timedelta(days=1)), rs)
    assert late.outcome is Outcome.WARN and late.fact is not None and late.fact.value == "2025-05-01"
    assert "今后" in late.remedy
    waiting = r.panel_and_report(acc(accepted_on=ACCEPTED, today=due), rs)
    assert waiting.outcome is Outcome.ALLOW
    overdue = r.panel_and_report(acc(accepted_on=ACCEPTED, today=due + dt.timedelta(days=1)), rs)
    assert overdue.outcome is Outcome.WARN and overdue.fact is not None and overdue.fact.value is None
    assert "至今未报送备案" in overdue.reason and overdue.remedy.startswith("立即")


@given(accepted=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), offset=st.integers(0, 80))
def test_k4_report_window(accepted: dt.date, offset: int) -> None:
    filed = accepted + dt.timedelta(days=offset)
    d = r.panel_and_report(acc(accepted_on=accepted, report_filed_on=filed, today=filed), load("default"))
    assert d.outcome is (Outcome.ALLOW if filed <= add_months(accepted, 1) else Outcome.WARN)


def test_panel_facts_are_checked() -> None:
    with pytest.raises(FactsError) as e:
        AcceptancePanel(3, 4)
    assert e.value.field == "panel.third_party"
    with pytest.raises(FactsError) as e:
        AcceptancePanel(-1, 0)
    assert e.value.field == "panel.members"
    with pytest.raises(FactsError):
        AcceptancePanel(3, -1)


# --- gate O ---------------------------------------------------------------------------------------------


def test_o1_lists_every_failed_item_and_secret_systems_need_no_cloud() -> None:
    worst = ops(shares_as_required=False, collects_again=("公民身份号码", "统一社会信用代码"),
                crypto_compliant=False, security_compliant=False, major_hazards=True, on_extranet=False,
                on_gov_cloud=False, resources=(dataclasses.replace(POPULATION, mounted=False),))  # fmt: skip
    d = r.om_conditions(worst, load("jiangxi"))
    assert d.outcome is Outcome.BLOCK and len(d.extra["items"]) == 8
    assert d.fact is not None and d.fact.name == "shares_as_required"
    assert "第三十七条(三)非涉密系统未依托政务云承载" in d.reason and "2026 年度不安排运维经费" in d.reason
    secret = ops(involves_secrets=True, on_extranet=False, on_gov_cloud=False)
    assert r.om_conditions(secret, load("jiangxi")).outcome is Outcome.ALLOW
    again = r.om_conditions(ops(collects_again=("公民身份号码",)), load("zibo"))
    assert again.fact is not None and again.fact.value == ["公民身份号码"] and "重复采集" in again.reason


def test_o3_budget_follows_workload_evaluation_and_supervision() -> None:
    rs = load("default")
    first = r.om_budget(ops(last_budget=None, last_evaluation=None, requested_budget=10**9), rs)
    assert first.outcome is Outcome.ALLOW and "首年" in first.reason
    # 100,000 × 1.2 × 1.1 = 132,000 exactly, inclusive
    grown = ops(workload_change=0.2, requested_budget=132_000)
    d = r.om_budget(grown, rs)
    assert d.outcome is Outcome.ALLOW and d.extra["ceiling"] == 132_000 and "132000" in d.reason
    over = r.om_budget(dataclasses.replace(grown, requested_budget=132_001), rs)
    assert over.outcome is Outcome.NEEDS_REVIEW and over.fact is not None and over.fact.value == 132_001
    assert "+20%" in over.reason and "10%" in over.reason and "上限 132000 元" in over.reason
    assert over.extra["parameters"][0]["name"] == r.OM_BUDGET_TOLERANCE
    shrinking = r.om_budget(ops(workload_change=-0.5, requested_budget=60_000), rs)
    assert shrinking.outcome is Outcome.NEEDS_REVIEW and shrinking.extra["ceiling"] == 55_000
    gone = r.om_budget(ops(workload_change=-1.5, requested_budget=1), rs)
    assert gone.extra["ceiling"] == 0 and gone.outcome is Outcome.NEEDS_REVIEW
    failed = r.om_budget(ops(last_evaluation=Grade.FAIL, requested_budget=50_000), rs)
    assert failed.outcome is Outcome.NEEDS_REVIEW and "不合格" in failed.reason
    assert failed.fact is not None and failed.fact.value == "不合格"
    issues = r.om_budget(ops(last_budget=None, supervision_issues=("巡检记录缺失",)), rs)
    assert issues.outcome is Outcome.NEEDS_REVIEW and issues.fact is not None
    assert issues.fact.name == "supervision_issues" and "ceiling" not in issues.extra
    no_grade = r.om_budget(ops(last_evaluation=None), rs)
    assert no_grade.outcome is Outcome.WARN and no_grade.fact is not None and no_grade.fact.value is None


@given(
    last=st.integers(0, 10**8),
    change=st.none() | st.floats(-2, 3, allow_nan=False, allow_infinity=False),
    requested=st.integers(0, 10**9),
)
def test_o3_ceiling_is_exact(last: int, change: float | None, requested: int) -> None:
    ceiling = r.budget_ceiling(last, change, 0.1)
    expected = max(Fraction(0), Fraction(last) * (1 + Fraction(str(change or 0.0))) * Fraction(11, 10))
    assert ceiling == expected >= 0
    d = r.om_budget(ops(last_budget=last, workload_change=change, requested_budget=requested), load("zibo"))
    assert (d.outcome is Outcome.NEEDS_REVIEW) is (requested > ceiling)


def test_operations_facts_refuse_a_workload_change_that_is_not_a_number() -> None:
    with pytest.raises(FactsError) as e:
        ops(workload_change=float("nan"))
    assert e.value.field == "workload_change"


# --- evaluation (PRJ-E) ---------------------------------------------------------------------------------


def test_e1_window_six_to_twelve_months_with_month_end_clamping() -> None:
    rs = load("jiangxi")
    accepted = dt.date(2024, 8, 31)  # + 6 → 28 Feb 2025, + 12 → 31 Aug 2025
    d = r.self_evaluation(ev(accepted_on=accepted, self_evaluation_filed_on=dt.date(2025, 2, 28)), rs)
    assert d.outcome is Outcome.ALLOW and d.extra["window"] == ["2025-02-28", "2025-08-31"]
    assert "赣府厅发〔2023〕12号" in d.extra["parameters"][0]["citation"]
    early = r.self_evaluation(ev(accepted_on=accepted, self_evaluation_filed_on=dt.date(2025, 2, 27)), rs)
    assert early.outcome is Outcome.WARN and "早于" in early.reason and "补充" in early.remedy
    late = r.self_evaluation(ev(accepted_on=accepted, self_evaluation_filed_on=dt.date(2025, 9, 1)), rs)
    assert late.outcome is Outcome.WARN and "晚于" in late.reason and late.remedy.startswith("今后")
    pending = r.self_evaluation(
        ev(accepted_on=accepted, self_evaluation_filed_on=None, today=dt.date(2025, 8, 31)), rs
    )
    assert pending.outcome is Outcome.ALLOW and "应在验收后 6 至 12 个月" in pending.reason
    overdue = r.self_evaluation(
        ev(accepted_on=accepted, self_evaluation_filed_on=None, today=dt.date(2025, 9, 1)), rs
    )
    assert overdue.outcome is Outcome.BLOCK and overdue.fact is not None and overdue.fact.value is None


def test_e1_key_evaluation_dimensions_and_a_failed_result() -> None:
    rs = load("default")
    d = r.self_evaluation(ev(key_evaluation=True, key_evaluation_grade=Grade.PASS), rs)
    assert d.outcome is Outcome.ALLOW and d.extra["key_evaluation_dimensions"][0] == "应用效果"
    assert "key_evaluation_dimensions" not in r.self_evaluation(ev(), rs).extra
    failed = r.self_evaluation(ev(key_evaluation=True, key_evaluation_grade=Grade.FAIL), rs)
    assert failed.outcome is Outcome.WARN and "PRJ-E2" in failed.remedy


@given(accepted=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), offset=st.integers(0, 500),
       filed=st.booleans(), ruleset=st.sampled_from(RULESETS))  # fmt: skip
def test_e1_window(accepted: dt.date, offset: int, filed: bool, ruleset: str) -> None:
    day = accepted + dt.timedelta(days=offset)
    facts = ev(accepted_on=accepted, today=day, self_evaluation_filed_on=day if filed else None)
    d = r.self_evaluation(facts, load(ruleset))
    start, end = add_months(accepted, 6), add_months(accepted, 12)
    if filed:
        assert d.outcome is (Outcome.ALLOW if start <= day <= end else Outcome.WARN)
    else:
        assert d.outcome is (Outcome.BLOCK if day > end else Outcome.ALLOW)


def test_e2_overdue_unfixed_problems_block_with_the_consequences() -> None:
    rs = load("jiangxi")
    deadline = dt.date(2025, 12, 1)
    problems = (Problem("接口未脱敏", deadline), Problem("档案不全", dt.date(2025, 10, 1), fixed=True),
                Problem("等保整改", dt.date(2026, 1, 31)))  # fmt: skip
    on_deadline = r.rectification(ev(problems=problems, today=deadline), rs)
    assert on_deadline.outcome is Outcome.ALLOW and len(on_deadline.extra["pending"]) == 2
    d = r.rectification(ev(problems=problems, today=deadline + dt.timedelta(days=1)), rs)
    assert d.outcome is Outcome.BLOCK and d.fact is not None
    assert d.fact.value == [{"text": "接口未脱敏", "deadline": "2025-12-01"}]
    assert d.extra["consequences"] == ["通报批评", "暂缓安排建设或资金计划", "暂停项目建设", "终止项目"]
    assert (
        "通报批评、暂缓安排建设或资金计划、暂停项目建设，直至终止项目" in d.reason
        and "第四十一条" in d.source
    )
    assert r.rectification(ev(problems=(problems[1],)), rs).reason == ""


def test_e3_lists_both_problems() -> None:
    d = r.deliverables(
        ev(contract_assigns_ip=False, deliverables_registered=("design", "data")), load("default")
    )
    assert d.outcome is Outcome.BLOCK and d.fact is not None and d.fact.name == "contract_assigns_ip"
    assert "源代码、测试文档、数据接口" in d.reason and "第三十一条" in d.extra["parameters"][0]["citation"]


# --- months ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 3, 31), -1, dt.date(2025, 2, 28)),
        (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),
        (dt.date(2025, 5, 15), 0, dt.date(2025, 5, 15)),
    ],
)
def test_add_months_examples(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


DATES = st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31))


@given(DATES, st.integers(-120, 120))
def test_add_months_moves_the_month_and_clamps_the_day(day: dt.date, months: int) -> None:
    out = add_months(day, months)
    assert (out.year * 12 + out.month) - (day.year * 12 + day.month) == months
    nxt = dt.date(out.year + out.month // 12, out.month % 12 + 1, 1)
    last_day = (nxt - dt.timedelta(days=1)).day
    assert out.day == min(day.day, last_day)
    assert (out >= day) is (months >= 0) or months == 0


@given(DATES, DATES, st.integers(0, 60))
def test_add_months_is_monotone(a: dt.date, b: dt.date, months: int) -> None:
    lo, hi = sorted((a, b))
    assert add_months(lo, months) <= add_months(hi, months)
    assert add_months(lo, months) <= add_months(lo, months + 1)


@given(DATES, DATES)
def test_whole_months_is_the_largest_k(start: dt.date, end: dt.date) -> None:
    k = whole_months(start, end)
    if end < start:
        assert k == 0
    else:
        assert add_months(start, k) <= end < add_months(start, k + 1)


# --- facts from JSON ------------------------------------------------------------------------------------

DOCS: dict[str, dict[str, Any]] = {
    "K": {"name": "x", "unit": "u", "amount": 1, "trial_run_started": "2025-01-31", "today": "2025-03-01",
          "final_inspection_done": True, "system_docked": True, "system_can_share": True,
          "sharing_confirmed": True, "panel": {"members": 3, "third_party": 2}, "dengbao_tested": True,
          "large": None, "promised": [{"code": "a", "name": "人口", "state": "registered", "mounted": False}]},
    "O": {"name": "x", "unit": "u", "year": 2026, "shares_as_required": True, "crypto_compliant": True,
          "security_compliant": True, "major_hazards": False, "on_extranet": True, "on_gov_cloud": True,
          "docked": True, "requested_budget": 1, "workload_change": 1, "last_evaluation": "不合格"},
    "E": {"name": "x", "unit": "u", "accepted_on": "2025-03-31", "today": "2025-12-01", "key_evaluation": True,
          "contract_assigns_ip": True, "problems": [{"text": "t", "deadline": "2025-12-31"}]},
}  # fmt: skip


@pytest.mark.parametrize("kind", ["K", "O", "E"])
def test_facts_parse_from_json_against_their_generated_schema(kind: str) -> None:
    cls = FACTS[kind]
    schema = json_schema(cls)
    json.dumps(schema, ensure_ascii=False)
    assert set(schema["required"]) <= set(DOCS[kind]) and schema["title"] == cls.__name__
    facts = from_json(DOCS[kind], cls)
    assert isinstance(facts, cls) and EVALUATE[kind](facts, load("default"))


def test_parsed_values_have_their_types_and_bad_ones_name_the_field() -> None:
    k = from_json(DOCS["K"], AcceptanceFacts)
    assert k.panel == AcceptancePanel(3, 2) and k.promised[0].state is ResourceState.REGISTERED
    assert k.trial_run_started == dt.date(2025, 1, 31) and k.applied_on is None and k.large is None
    o = from_json(DOCS["O"], OperationsFacts)
    assert o.last_evaluation is Grade.FAIL and isinstance(o.workload_change, float)
    with pytest.raises(FactsError) as e:
        from_json({**DOCS["O"], "last_evaluation": "差"}, OperationsFacts)
    assert e.value.field == "last_evaluation"
    with pytest.raises(FactsError) as e:
        from_json({**DOCS["K"], "panel": {"members": 3, "third_party": 5}}, AcceptanceFacts)
    assert e.value.field == "panel.third_party"


# --- the parameters -------------------------------------------------------------------------------------

READ = [r.TRIAL_RUN_MONTHS, r.APPLY_WITHIN_MONTHS, r.FINAL_INSPECTION_REQUIRED, r.ACCEPTANCE_MATERIALS,
        r.LARGE_PROJECT_AMOUNT, r.ACCEPTANCE_PANEL, r.REPORT_FILING_MONTHS, r.OM_BUDGET_TOLERANCE,
        r.EVALUATION_WINDOW_MONTHS, r.REQUIRED_DELIVERABLES]  # fmt: skip


@pytest.mark.parametrize("ruleset", RULESETS)
def test_every_parameter_read_is_in_every_ruleset_with_a_citation(ruleset: str) -> None:
    rs = load(ruleset)
    for key in READ:
        assert rs.param(key).citation
    assert set(rs.value(r.ACCEPTANCE_MATERIALS)) <= set(r.MATERIALS)
    assert set(rs.value(r.REQUIRED_DELIVERABLES)) <= set(r.DELIVERABLES)
    assert rs.value(r.FINAL_INSPECTION_REQUIRED) is (ruleset == "jiangxi")
    assert rs.value(r.TRIAL_RUN_MONTHS) == TRIAL[ruleset]


def test_a_ruleset_may_change_the_parameters() -> None:
    base = load("district")
    params = {**base.parameters, r.REPORT_FILING_MONTHS: Parameter(2, "试点"),
              r.OM_BUDGET_TOLERANCE: Parameter(0, "从严")}  # fmt: skip
    rs: Ruleset = dataclasses.replace(base, parameters=params)
    filed = acc(accepted_on=ACCEPTED, report_filed_on=dt.date(2025, 5, 31), today=dt.date(2025, 9, 1))
    assert r.panel_and_report(filed, rs).outcome is Outcome.ALLOW
    assert r.panel_and_report(filed, base).outcome is Outcome.WARN
    assert r.om_budget(ops(requested_budget=100_001), rs).outcome is Outcome.NEEDS_REVIEW
