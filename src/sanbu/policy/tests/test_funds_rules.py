"""Gate F (PRJ-F1..F4) and the construction checks (PRJ-C1..C4): every rule id on each ruleset, the
start deadline and month ends, the tranche ledger and report periods (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.calendar import add_months
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.facts import FactsError, from_json, json_schema
from sanbu.policy.lifecycle_facts_f import (
    FACTS,
    ConstructionFacts,
    FundingMode,
    FundsFacts,
    ProgressReport,
    Tranche,
)
from sanbu.policy.rules import funds as r
from sanbu.policy.rules.funds import Cadence, evaluate_c, evaluate_f
from sanbu.policy.rulesets import PARAMETER, RULE, Change, Parameter, Ruleset, RulesetError, load, overlay
from sanbu.policy.sources import source_of

RULESETS = ["default", "district", "jiangxi", "zibo", "yiyuan"]
APPROVED = dt.date(2025, 3, 10)
TODAY = dt.date(2026, 7, 20)


def funds(**kw: Any) -> FundsFacts:
    base: dict[str, Any] = dict(
        name="区社保数据分析系统", unit="区人社局", amount=1_000_000, approved_on=APPROVED, today=TODAY,
        plan_year=2025, in_annual_plan=True, started_on=dt.date(2025, 5, 1),
        tranches=(Tranche(1, 300_000, dt.date(2025, 5, 10)), Tranche(2, 300_000, None)), requested=300_000,
    )  # fmt: skip
    base.update(kw)
    return FundsFacts(**base)


# Reports every ruleset's cadence accepts: quarterly, half-yearly and yearly labels, all filed on time.
ALL_REPORTS = tuple(
    ProgressReport(p.label, p.end) for cadence in Cadence for p in r.due_periods(cadence, APPROVED, TODAY)
)


def construction(**kw: Any) -> ConstructionFacts:
    base: dict[str, Any] = dict(
        name="区社保数据分析系统", unit="区人社局", approved_on=APPROVED, today=TODAY,
        responsible_person="张三", implementing_body="区人社局信息中心", supervisor_unit="某监理公司",
        reports=ALL_REPORTS,
    )  # fmt: skip
    base.update(kw)
    return ConstructionFacts(**base)


def with_params(name: str, **values: Any) -> Ruleset:
    changes = [Change(PARAMETER, f"projects.{k}", v, "测试") for k, v in values.items()]
    return overlay(load(name), changes, 1)


def decision(rule_id: str, d: list[Decision]) -> Decision:
    return next(x for x in d if x.rule_id == rule_id)


@pytest.mark.parametrize("ruleset", RULESETS)
def test_a_clean_project_passes_gate_f_and_construction_checks(ruleset: str) -> None:
    f = evaluate_f(funds(), load(ruleset))
    c = evaluate_c(construction(), load(ruleset))
    assert [d.rule_id for d in f] == ["PRJ-F1", "PRJ-F2", "PRJ-F3", "PRJ-F4"]
    assert [d.rule_id for d in c] == ["PRJ-C1", "PRJ-C2", "PRJ-C3", "PRJ-C4"]
    for d in f + c:
        assert d.outcome is Outcome.ALLOW, d
        assert d.source == source_of(d.rule_id) != "POLICY.md"


# --- one allow and one failing case per rule, on every ruleset --------------------------------------------

FAILING: list[tuple[str, str, dict[str, Any], Outcome]] = [
    ("F", "PRJ-F1", {"in_annual_plan": False}, Outcome.BLOCK),
    ("F", "PRJ-F1", {"requested": 700_001}, Outcome.BLOCK),
    ("F", "PRJ-F1", {"tranches": (Tranche(1, 1_000_001, dt.date(2025, 5, 1)),), "requested": 0}, Outcome.BLOCK),
    ("F", "PRJ-F2", {"started_on": None}, Outcome.BLOCK),
    ("F", "PRJ-F2", {"started_on": dt.date(2025, 9, 11)}, Outcome.NEEDS_REVIEW),
    ("F", "PRJ-F3", {"closing": True, "balance": 50_000, "returned": 10_000}, Outcome.BLOCK),
    ("F", "PRJ-F3", {"closing": True, "balance": 50_000, "goals_or_content_changed": True}, Outcome.NEEDS_REVIEW),
    ("F", "PRJ-F4", {"funding_mode": FundingMode.POST_SUBSIDY, "evaluation_passed": False}, Outcome.BLOCK),
    ("F", "PRJ-F4", {"funding_mode": FundingMode.POST_SUBSIDY}, Outcome.BLOCK),
    ("C", "PRJ-C1", {"responsible_person": " "}, Outcome.BLOCK),
    ("C", "PRJ-C1", {"supervisor_unit": ""}, Outcome.BLOCK),
    ("C", "PRJ-C1", {"involves_secrets": True}, Outcome.BLOCK),
    ("C", "PRJ-C2", {"reports": ()}, Outcome.WARN),
    ("C", "PRJ-C3", {"serious_delay_or_loss": True}, Outcome.BLOCK),
    ("C", "PRJ-C4", {"unapproved_content_changes": 1, "pending_change_requests": 1}, Outcome.BLOCK),
    ("C", "PRJ-C4", {"pending_change_requests": 2}, Outcome.NEEDS_REVIEW),
]  # fmt: skip

ALLOWED: list[tuple[str, str, dict[str, Any]]] = [
    ("F", "PRJ-F1", {"in_annual_plan": False, "dynamic_addition_approved": True}),
    ("F", "PRJ-F1", {"requested": 700_000}),
    ("F", "PRJ-F2", {"started_on": None, "today": dt.date(2025, 9, 10)}),
    ("F", "PRJ-F2", {"started_on": None, "force_majeure": "洪灾致机房无法施工"}),
    ("F", "PRJ-F2", {"started_on": dt.date(2025, 10, 1), "force_majeure": "疫情封控"}),
    ("F", "PRJ-F3", {"closing": True, "balance": 50_000, "returned": 50_000}),
    ("F", "PRJ-F3", {"closing": True, "balance": 0}),
    ("F", "PRJ-F3", {"closing": False, "balance": 50_000}),
    ("F", "PRJ-F4", {"funding_mode": FundingMode.POST_SUBSIDY, "evaluation_passed": True}),
    ("F", "PRJ-F4", {"funding_mode": FundingMode.POST_SUBSIDY, "requested": 0}),
    ("F", "PRJ-F4", {"funding_mode": FundingMode.POST_SUBSIDY, "requested_startup": True}),
    ("C", "PRJ-C1", {"supervisor_unit": "", "supervision_required": False}),
    ("C", "PRJ-C1", {"involves_secrets": True, "supervisor_secret_qualified": True}),
    ("C", "PRJ-C1", {"involves_secrets": True, "supervision_required": False, "supervisor_unit": ""}),
    ("C", "PRJ-C2", {"reports": (), "approved_on": dt.date(2026, 7, 1)}),
    ("C", "PRJ-C3", {"serious_delay_or_loss": True, "reported_at_once": True}),
    ("C", "PRJ-C4", {}),
]  # fmt: skip


def _evaluate(gate: str, change: dict[str, Any], ruleset: str) -> list[Decision]:
    if gate == "F":
        return evaluate_f(funds(**change), load(ruleset))
    return evaluate_c(construction(**change), load(ruleset))


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize(("gate", "rule_id", "change", "outcome"), FAILING)
def test_each_rule_fails_for_its_fact(
    ruleset: str, gate: str, rule_id: str, change: dict[str, Any], outcome: Outcome
) -> None:
    d = decision(rule_id, _evaluate(gate, change, ruleset))
    assert d.outcome is outcome, d
    assert d.reason and d.remedy and d.fact is not None and d.source == source_of(rule_id)
    assert d.as_dict()["rule_id"] == rule_id


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize(("gate", "rule_id", "change"), ALLOWED)
def test_each_rule_allows_when_its_fact_holds(
    ruleset: str, gate: str, rule_id: str, change: dict[str, Any]
) -> None:
    d = decision(rule_id, _evaluate(gate, change, ruleset))
    assert d.outcome is Outcome.ALLOW, d
    assert d.fact is None and d.source == source_of(rule_id)


def test_every_rule_id_is_tested_and_has_a_source() -> None:
    ids = {rule.id for rule in (*r.GATE_F, *r.CHECKS_C)}
    assert ids == {f"PRJ-F{i}" for i in range(1, 5)} | {f"PRJ-C{i}" for i in range(1, 5)}
    assert {x[1] for x in FAILING} == ids == {x[1] for x in ALLOWED}
    assert "第二十九条" in source_of("PRJ-F2") and "003 十" in source_of("PRJ-F4")


@pytest.mark.parametrize("gate", ["F", "C"])
def test_a_ruleset_can_switch_a_rule_off(gate: str) -> None:
    rule_id = "PRJ-F3" if gate == "F" else "PRJ-C2"
    rs = overlay(load("zibo"), [Change(RULE, rule_id, False, "测试")], 1)
    decisions = evaluate_f(funds(), rs) if gate == "F" else evaluate_c(construction(), rs)
    assert rule_id not in {d.rule_id for d in decisions} and len(decisions) == 3


# --- PRJ-F1: plan and ledger ------------------------------------------------------------------------------


def test_f1_reports_the_ledger_and_names_the_plan_year() -> None:
    rs = load("district")
    d = r.funds_follow_plan(funds(), rs)
    assert d.extra["ledger"] == {
        "approved": 1_000_000,
        "paid": 300_000,
        "remaining": 700_000,
        "requested": 300_000,
    }
    assert "2025" in d.reason
    assert (
        "动态新增"
        in r.funds_follow_plan(funds(in_annual_plan=False, dynamic_addition_approved=True), rs).reason
    )
    blocked = r.funds_follow_plan(funds(in_annual_plan=False, plan_year=2026), rs)
    assert blocked.fact is not None and blocked.fact.name == "in_annual_plan" and "2026" in blocked.reason
    over = r.funds_follow_plan(funds(requested=700_001), rs)
    assert over.extra["ledger"]["remaining"] == 700_000 and "700000" in over.remedy
    # scheduled (unpaid) tranches are not paid
    assert r.paid_total(funds(tranches=(Tranche(1, 5, None), Tranche(2, 7, dt.date(2025, 1, 1))))) == 7


@given(
    amount=st.integers(min_value=0, max_value=10_000_000),
    requests=st.lists(st.integers(min_value=0, max_value=12_000_000), max_size=25),
)
def test_ledger_never_pays_more_than_approved(amount: int, requests: list[int]) -> None:
    rs = load("default")
    tranches: tuple[Tranche, ...] = ()
    for i, request in enumerate(requests):
        f = funds(amount=amount, tranches=tranches, requested=request)
        d = r.funds_follow_plan(f, rs)
        remaining = amount - r.paid_total(f)
        assert (d.outcome is Outcome.ALLOW) == (request <= remaining)
        if d.outcome is Outcome.ALLOW and request:
            tranches = (*tranches, Tranche(i + 1, request, dt.date(2025, 6, 1)))
        assert sum(t.amount for t in tranches) <= amount


@pytest.mark.parametrize(
    ("field", "kw"),
    [("amount", {"amount": -1}), ("requested", {"requested": -5}), ("balance", {"balance": -1}),
     ("returned", {"returned": -1}), ("tranches[1].amount", {"tranches": (Tranche(1, 5), Tranche(2, -5))})],
)  # fmt: skip
def test_negative_amounts_are_refused(field: str, kw: dict[str, Any]) -> None:
    with pytest.raises(FactsError) as e:
        evaluate_f(funds(**kw), load("default"))
    assert e.value.field == field


@pytest.mark.parametrize("name", ["pending_change_requests", "unapproved_content_changes"])
def test_negative_counts_are_refused(name: str) -> None:
    with pytest.raises(FactsError) as e:
        evaluate_c(construction(**{name: -1}), load("default"))
    assert e.value.field == name


# --- PRJ-F2: start deadline, boundaries and month ends --------------------------------------------------


@pytest.mark.parametrize("ruleset", RULESETS)
def test_f2_start_exactly_n_months_after_approval_is_in_time(ruleset: str) -> None:
    rs = load(ruleset)
    deadline = dt.date(2025, 9, 10)
    on_time = r.started_in_time(funds(started_on=deadline), rs)
    assert on_time.outcome is Outcome.ALLOW and on_time.extra["start_deadline"] == "2025-09-10"
    late = r.started_in_time(funds(started_on=deadline + dt.timedelta(days=1)), rs)
    assert late.outcome is Outcome.NEEDS_REVIEW
    waiting = r.started_in_time(funds(started_on=None, today=deadline), rs)
    assert waiting.outcome is Outcome.ALLOW and "2025-09-10" in waiting.reason
    blocked = r.started_in_time(funds(started_on=None, today=deadline + dt.timedelta(days=1)), rs)
    assert blocked.outcome is Outcome.BLOCK
    assert blocked.extra["recover"] == 300_000 and blocked.extra["freeze"] == 700_000
    param = blocked.extra["parameters"][0]
    assert (
        param["name"] == r.START_WITHIN_MONTHS and param["value"] == 6 and "第二十九条" in param["citation"]
    )


@pytest.mark.parametrize(
    ("approved", "deadline"),
    [
        (dt.date(2025, 8, 31), dt.date(2026, 2, 28)),
        (dt.date(2023, 8, 31), dt.date(2024, 2, 29)),  # leap year
        (dt.date(2025, 12, 31), dt.date(2026, 6, 30)),
        (dt.date(2025, 7, 31), dt.date(2026, 1, 31)),
        (dt.date(2024, 2, 29), dt.date(2024, 8, 29)),
    ],
)
def test_f2_month_end_approvals(approved: dt.date, deadline: dt.date) -> None:
    rs = load("jiangxi")
    f = funds(approved_on=approved, started_on=deadline)
    assert r.started_in_time(f, rs).outcome is Outcome.ALLOW
    assert r.started_in_time(f, rs).extra["start_deadline"] == deadline.isoformat()
    late = dataclasses.replace(f, started_on=deadline + dt.timedelta(days=1))
    assert r.started_in_time(late, rs).outcome is Outcome.NEEDS_REVIEW


def test_f2_reads_the_ruleset_months_and_force_majeure_must_say_something() -> None:
    rs = with_params("district", start_within_months=3)
    assert r.started_in_time(funds(started_on=dt.date(2025, 6, 11)), rs).outcome is Outcome.NEEDS_REVIEW
    assert r.started_in_time(funds(started_on=dt.date(2025, 6, 10)), rs).outcome is Outcome.ALLOW
    blank = r.started_in_time(funds(started_on=None, force_majeure="  "), load("default"))
    assert blank.outcome is Outcome.BLOCK and blank.fact is not None and blank.fact.value is None
    excused = r.started_in_time(funds(started_on=None, force_majeure="地震"), load("default"))
    assert "地震" in excused.reason


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)), st.integers(-240, 240))
def test_add_months(day: dt.date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    if moved.day < day.day:  # clamped to the month's last day
        assert (moved + dt.timedelta(days=1)).day == 1
    if day.day <= 28:
        assert add_months(moved, -months) == day


# --- PRJ-F3 and PRJ-F4 ------------------------------------------------------------------------------------


def test_f3_amount_to_return() -> None:
    rs = load("jiangxi")
    d = r.balance_returned(funds(closing=True, balance=50_000, returned=10_000), rs)
    assert d.extra["to_return"] == 40_000 and "40000" in d.remedy
    assert "已退回" in r.balance_returned(funds(closing=True, balance=5, returned=5), rs).reason
    review = r.balance_returned(funds(closing=True, balance=5, goals_or_content_changed=True), rs)
    assert review.extra["to_return"] == 5


def test_f4_failed_evaluation_recovers_up_to_what_was_paid() -> None:
    rs = load("default")
    post = funds(funding_mode=FundingMode.POST_SUBSIDY, requested=0)
    failed = r.post_subsidy(dataclasses.replace(post, evaluation_passed=False), rs)
    assert failed.outcome is Outcome.BLOCK and failed.extra["recover_up_to"] == 300_000
    waiting = r.post_subsidy(dataclasses.replace(post, requested=100), rs)
    assert waiting.outcome is Outcome.BLOCK and waiting.fact is not None and waiting.fact.value is None
    assert r.post_subsidy(funds(evaluation_passed=False), rs).outcome is Outcome.ALLOW  # tranche mode


# --- PRJ-C1, C3, C4 ---------------------------------------------------------------------------------------


def test_c1_names_the_missing_roles() -> None:
    d = r.responsibilities_named(construction(responsible_person="", implementing_body=""), load("default"))
    assert d.fact is not None and d.fact.value == ["responsible_person", "implementing_body"]
    assert "项目责任人" in d.reason and "项目实施机构" in d.reason
    secret = r.responsibilities_named(construction(involves_secrets=True), load("default"))
    assert secret.fact is not None and secret.fact.name == "supervisor_secret_qualified"


def test_c3_and_c4_reasons() -> None:
    rs = load("district")
    assert (
        "已及时报告"
        in r.serious_problems_reported(
            construction(serious_delay_or_loss=True, reported_at_once=True), rs
        ).reason
    )
    d = r.content_changes_approved(construction(unapproved_content_changes=2), rs)
    assert d.fact is not None and d.fact.value == 2 and "向上变更" in d.remedy


# --- PRJ-C2: report periods -------------------------------------------------------------------------------

CADENCES = {"default": Cadence.HALF_YEARLY, "district": Cadence.HALF_YEARLY, "jiangxi": Cadence.YEARLY,
            "zibo": Cadence.HALF_YEARLY, "yiyuan": Cadence.HALF_YEARLY}  # fmt: skip


@pytest.mark.parametrize("ruleset", RULESETS)
def test_c2_cadence_per_ruleset_and_pilots_quarterly(ruleset: str) -> None:
    rs = load(ruleset)
    assert r.cadence_of(rs, r.REPORT_CADENCE) is CADENCES[ruleset]
    assert r.cadence_of(rs, r.PILOT_REPORT_CADENCE) is Cadence.QUARTERLY
    assert rs.value(r.REPORT_GRACE_DAYS) == 15 and "15" in rs.param(r.REPORT_GRACE_DAYS).citation
    d = r.reports_filed(construction(reports=()), rs)
    assert d.extra["cadence"] == CADENCES[ruleset].value
    assert [p["name"] for p in d.extra["parameters"]] == [r.REPORT_CADENCE, r.REPORT_GRACE_DAYS]
    pilot = r.reports_filed(construction(reports=(), pilot=True), rs)
    assert pilot.extra["cadence"] == "quarterly"
    assert pilot.extra["due"] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert [p["name"] for p in pilot.extra["parameters"]][1] == r.PILOT_REPORT_CADENCE


def test_c2_half_yearly_due_periods_missing_late_and_awaiting() -> None:
    rs = load("district")
    reports = (
        ProgressReport("2025-H1", dt.date(2025, 7, 15)),  # the last day of grace: on time
        ProgressReport("2025-h2 ", dt.date(2026, 1, 16)),  # a day late
        ProgressReport("2025-H2", None),  # a draft does not count
        ProgressReport("2025", dt.date(2025, 12, 1)),  # a yearly label does not fill a half-year
        ProgressReport("季度报告", dt.date(2025, 12, 1)),  # not a period
    )
    d = r.reports_filed(construction(reports=reports, today=dt.date(2026, 7, 15)), rs)
    assert d.outcome is Outcome.ALLOW  # 2026-H1 is due but still within grace
    assert d.extra["due"] == ["2025-H1", "2025-H2", "2026-H1"]
    assert d.extra["late"] == [{"period": "2025-H2", "deadline": "2026-01-15", "filed_on": "2026-01-16"}]
    assert d.extra["awaiting"] == [{"period": "2026-H1", "deadline": "2026-07-15"}]
    assert "逾期报送" in d.reason
    overdue = r.reports_filed(construction(reports=reports, today=dt.date(2026, 7, 16)), rs)
    assert overdue.outcome is Outcome.WARN
    assert overdue.fact is not None and overdue.fact.value == ["2026-H1"]
    assert overdue.extra["missing"] == [{"period": "2026-H1", "deadline": "2026-07-15"}]
    assert "2026-07-15" in overdue.reason and "15" in overdue.remedy


def test_c2_earliest_filing_counts_and_yearly_jiangxi() -> None:
    rs = load("jiangxi")
    reports = (ProgressReport("2025", dt.date(2026, 2, 1)), ProgressReport("2025", dt.date(2025, 12, 20)))
    d = r.reports_filed(construction(reports=reports), rs)
    assert d.outcome is Outcome.ALLOW and d.extra["due"] == ["2025"] and d.extra["late"] == []
    assert r.reports_filed(construction(reports=()), rs).extra["missing"] == [
        {"period": "2025", "deadline": "2026-01-15"}
    ]


def test_c2_no_reports_due_after_construction_ended() -> None:
    rs = load("default")
    ended = construction(reports=(), construction_ended_on=dt.date(2025, 6, 30))
    assert r.reports_filed(ended, rs).extra["due"] == ["2025-H1"]
    assert r.reports_filed(dataclasses.replace(ended, construction_ended_on=dt.date(2025, 7, 1)),
                           rs).extra["due"] == ["2025-H1", "2025-H2"]  # fmt: skip


@pytest.mark.parametrize(
    ("approved", "today", "due"),
    [
        (dt.date(2026, 6, 30), dt.date(2026, 6, 30), []),  # the period ends today: not yet due
        (dt.date(2026, 6, 30), dt.date(2026, 7, 1), ["2026-H1"]),
        (dt.date(2026, 7, 1), dt.date(2027, 1, 1), ["2026-H2"]),
        (dt.date(2026, 12, 31), dt.date(2026, 12, 31), []),
        (dt.date(2026, 12, 31), dt.date(2027, 1, 1), ["2026-H2"]),
    ],
)
def test_half_year_boundaries_june_30_and_december_31(
    approved: dt.date, today: dt.date, due: list[str]
) -> None:
    assert [p.label for p in r.due_periods(Cadence.HALF_YEARLY, approved, today)] == due


def test_an_unknown_cadence_is_a_ruleset_error() -> None:
    with pytest.raises(RulesetError, match="quarterly"):  # a version cannot set it
        with_params("zibo", report_cadence="monthly")
    base = load("zibo")
    bad = Parameter("monthly", "测试：文件里写错的周期")
    rs = dataclasses.replace(base, parameters={**base.parameters, "projects.report_cadence": bad})
    with pytest.raises(RulesetError, match="report_cadence"):  # nor does a file slip through at decision time
        r.reports_filed(construction(), rs)
    assert r.reports_filed(construction(), with_params("zibo", report_cadence="quarterly")).extra[
        "cadence"
    ] == ("quarterly")
    # a pilot takes the finer of the two: quarterly local beats a yearly pilot cadence
    rs = with_params("district", report_cadence="quarterly", pilot_report_cadence="yearly")
    assert r.reports_filed(construction(pilot=True), rs).extra["cadence"] == "quarterly"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2026", (Cadence.YEARLY, dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        (" 2026-h2", (Cadence.HALF_YEARLY, dt.date(2026, 7, 1), dt.date(2026, 12, 31))),
        ("2026-Q3", (Cadence.QUARTERLY, dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
        ("2024-Q1", (Cadence.QUARTERLY, dt.date(2024, 1, 1), dt.date(2024, 3, 31))),
        ("2026-H3", None), ("2026-Q5", None), ("0000", None), ("2026H1", None), ("", None),
    ],
)  # fmt: skip
def test_parse_period(label: str, expected: tuple[Cadence, dt.date, dt.date] | None) -> None:
    parsed = r.parse_period(label)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None and (parsed[0], parsed[1].start, parsed[1].end) == expected


DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
PERIOD_ENDS = {Cadence.QUARTERLY: {(3, 31), (6, 30), (9, 30), (12, 31)},
               Cadence.HALF_YEARLY: {(6, 30), (12, 31)}, Cadence.YEARLY: {(12, 31)}}  # fmt: skip


@given(st.sampled_from(list(Cadence)), DATES, DATES, st.none() | DATES)
def test_due_periods(cadence: Cadence, approved: dt.date, today: dt.date, ended: dt.date | None) -> None:
    due = r.due_periods(cadence, approved, today, ended)
    for p in due:
        assert p.end < today  # every due period ended before today
        assert (p.end.month, p.end.day) in PERIOD_ENDS[cadence]  # cadence boundaries
        assert ended is None or p.start <= ended
        parsed = r.parse_period(p.label)
        assert parsed == (cadence, p)  # labels round-trip
        assert r.period_of(cadence, p.start) == p == r.period_of(cadence, p.end)
    for a, b in itertools.pairwise(due):
        assert b.start == a.end + dt.timedelta(days=1)  # consecutive, no gap or overlap
    if due:
        assert due[0].start <= approved <= due[0].end  # from the period containing the approval
    # complete: the next period has not ended yet, or began after construction ended
    following = (
        r.period_of(cadence, due[-1].end + dt.timedelta(days=1)) if due else r.period_of(cadence, approved)
    )
    assert following.end >= today or (ended is not None and following.start > ended)


@given(st.sampled_from(list(Cadence)), DATES)
def test_period_of_contains_the_day(cadence: Cadence, day: dt.date) -> None:
    p = r.period_of(cadence, day)
    assert p.start <= day <= p.end and p.start.day == 1
    assert (p.end + dt.timedelta(days=1)).day == 1
    assert (
        r.finer(cadence, Cadence.YEARLY) is cadence
        and r.finer(Cadence.QUARTERLY, cadence) is Cadence.QUARTERLY
    )


@given(
    st.sampled_from(list(Cadence)),
    st.integers(0, 60),
    st.lists(st.tuples(st.integers(0, 40), st.none() | st.integers(-30, 400)), max_size=12),
    st.integers(0, 1500),
)
def test_report_status_partitions_the_due_periods(
    cadence: Cadence, grace: int, filings: list[tuple[int, int | None]], days: int
) -> None:
    today = APPROVED + dt.timedelta(days=days)
    periods = r.due_periods(cadence, APPROVED, today) or [r.period_of(cadence, APPROVED)]
    reports = tuple(
        ProgressReport(periods[i % len(periods)].label,
                       None if off is None else periods[i % len(periods)].end + dt.timedelta(days=off))
        for i, off in filings
    )  # fmt: skip
    s = r.report_status(construction(reports=reports, today=today), cadence, grace)
    groups = [s.on_time, s.late, s.missing, s.awaiting]
    labels = [x.label for g in groups for x in g]
    assert sorted(labels) == sorted(p.label for p in s.due)
    assert all(x.filed_on is not None and x.filed_on <= x.deadline for x in s.on_time)
    assert all(x.filed_on is not None and x.filed_on > x.deadline for x in s.late)
    assert all(x.filed_on is None and today > x.deadline for x in s.missing)
    assert all(x.filed_on is None and today <= x.deadline for x in s.awaiting)


# --- facts: schema and JSON -------------------------------------------------------------------------------


def test_facts_schema_and_json_round_trip() -> None:
    assert set(FACTS) == {"F", "C"}
    schema = json_schema(FACTS["F"])
    assert schema["properties"]["funding_mode"] == {"enum": ["tranche", "post_subsidy"], "default": "tranche"}
    assert set(schema["required"]) == {
        "name",
        "unit",
        "amount",
        "approved_on",
        "today",
        "plan_year",
        "in_annual_plan",
    }
    tranche = schema["properties"]["tranches"]["items"]
    assert tranche["required"] == ["number", "amount"]
    f = from_json(
        {"name": "a", "unit": "b", "amount": 10, "approved_on": "2025-08-31", "today": "2026-03-01",
         "plan_year": 2025, "in_annual_plan": True, "funding_mode": "post_subsidy", "evaluation_passed": None,
         "tranches": [{"number": 1, "amount": 4, "paid_on": "2025-09-01"}]},
        FundsFacts,
    )  # fmt: skip
    assert f.funding_mode is FundingMode.POST_SUBSIDY and f.tranches[0].paid_on == dt.date(2025, 9, 1)
    c = from_json({"name": "a", "unit": "b", "approved_on": "2025-01-01", "today": "2026-01-01",
                   "reports": [{"period": "2025-H1", "filed_on": "2025-06-20"}]}, ConstructionFacts)  # fmt: skip
    assert c.reports == (ProgressReport("2025-H1", dt.date(2025, 6, 20)),)
    assert json_schema(ConstructionFacts)["properties"]["construction_ended_on"]["anyOf"][1] == {
        "type": "null"
    }
    with pytest.raises(FactsError) as e:
        from_json({"name": "a", "unit": "b", "approved_on": "2025-01-01", "today": "x"}, ConstructionFacts)
    assert e.value.field == "today"
