"""Sharing rules (EX-2, CAT-4/5/6) and the ruleset loader: pure, cited, every branch."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.rules import exchange as rules
from sanbu.policy.rulesets import (
    CONDITIONAL_ANSWER_DAYS,
    CONDITIONAL_STEPS,
    Parameter,
    RulesetError,
    load_ruleset,
    parse_ruleset,
)
from sanbu.policy.sources import SOURCES, source_of

OPEN = rules.RequestedItem(1, "姓名", "unconditional")
COND = rules.RequestedItem(2, "户籍地址", "conditional")
NONE = rules.RequestedItem(3, "宗教信仰", "none")


def facts(**over: Any) -> rules.RequestFacts:
    base = rules.RequestFacts(
        resource_code="R1", resource_state="published", mounted=True, secrecy="non_secret", items=(OPEN,),
        consumer_department_id=2, provider_department_id=1,
    )  # fmt: skip
    return dataclasses.replace(base, **over)


def blocking(decisions: list[Decision]) -> list[str]:
    return [d.rule_id for d in decisions if d.blocks]


def test_every_ex_rule_has_a_source() -> None:
    for n in range(1, 9):
        assert SOURCES[f"EX-{n}"]
    assert "按需共享" in source_of("EX-2")


def test_unconditional_items_only_are_granted_without_review() -> None:
    assert rules.is_unconditional(facts())
    assert not rules.is_unconditional(facts(items=(OPEN, COND)))
    assert not rules.is_unconditional(facts(items=()))
    assert not rules.is_unconditional(facts(secrecy="secret"))


def test_a_clean_request_passes_every_gate() -> None:
    assert blocking(rules.can_submit(facts())) == []
    assert blocking(rules.can_approve(1, facts())) == []
    assert blocking(rules.can_grant(facts())) == []


@pytest.mark.parametrize("over", [{"resource_state": "mounted"}, {"mounted": False}])
def test_only_published_mounted_resources_are_shared(over: dict[str, object]) -> None:
    d = rules.resource_shared(facts(**over))
    assert d.blocks and d.rule_id == "CAT-4" and d.source == source_of("CAT-4")
    assert d.fact is not None and d.fact.name == "resource_state"


def test_no_share_items_cite_cat5() -> None:
    d = rules.items_shareable(facts(items=(OPEN, NONE)))
    assert d.blocks and d.rule_id == "CAT-5" and "宗教信仰" in d.reason
    assert d.fact is not None and d.fact.value == ["宗教信仰"]
    assert blocking(rules.can_grant(facts(items=(NONE,)))) == ["CAT-5"]


def test_a_request_names_items() -> None:
    d = rules.items_shareable(facts(items=()))
    assert d.blocks and d.rule_id == "EX-2"


def test_secret_needs_the_consumer_side_at_submit() -> None:
    d = rules.secret_consumer_side(facts(secrecy="secret"))
    assert d.blocks and d.rule_id == "CAT-6"
    assert not rules.secret_consumer_side(
        facts(secrecy="secret", consumer_approval="保密办 2026-1 号")
    ).blocks


@pytest.mark.parametrize(
    ("approval", "provider", "missing"),
    [("", False, ["使用方", "提供方"]), ("备案 1 号", False, ["提供方"]), ("", True, ["使用方"])],
)
def test_secret_needs_both_sides_at_grant(approval: str, provider: bool, missing: list[str]) -> None:
    d = rules.secret_both_sides(
        facts(secrecy="secret", consumer_approval=approval, provider_approved=provider)
    )
    assert d.blocks and d.rule_id == "CAT-6" and d.fact is not None and d.fact.value == missing


def test_secret_with_both_sides_is_granted() -> None:
    d = rules.secret_both_sides(
        facts(secrecy="secret", consumer_approval="备案 1 号", provider_approved=True)
    )
    assert d.outcome is Outcome.ALLOW


def test_nobody_approves_their_own_departments_request() -> None:
    d = rules.not_own_department(2, facts())
    assert d.blocks and d.rule_id == "EX-2" and d.remedy
    assert not rules.not_own_department(None, facts()).blocks
    assert blocking(rules.can_approve(2, facts())) == ["EX-2"]


# --- rulesets ---------------------------------------------------------------------------------------


def test_default_ruleset_has_the_national_deadline_and_steps() -> None:
    rs = load_ruleset()
    assert rs[CONDITIONAL_ANSWER_DAYS].value == 10
    assert "国发〔2016〕51号" in rs[CONDITIONAL_ANSWER_DAYS].citation
    assert rs[CONDITIONAL_STEPS].value == ["accept", "approve"]
    assert all(p.citation for p in rs.values())


@pytest.mark.parametrize("name", ["../etc/passwd", "Default", ""])
def test_bad_ruleset_names_are_refused(name: str) -> None:
    with pytest.raises(RulesetError, match="无效"):
        load_ruleset(name)


def test_missing_ruleset() -> None:
    with pytest.raises(RulesetError, match="不存在"):
        load_ruleset("nowhere")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "parameters"),
        ({"parameters": {}}, "parameters"),
        ({"parameters": {"x": 1}}, "value"),
        ({"parameters": {"x": {"citation": "c"}}}, "value"),
        ({"parameters": {"x": {"value": 1}}}, "citation"),
        ({"parameters": {"x": {"value": 1, "citation": "  "}}}, "citation"),
    ],
)
def test_malformed_rulesets_are_refused(data: object, message: str) -> None:
    with pytest.raises(RulesetError, match=message):
        parse_ruleset("t", data)


def test_parse_keeps_value_and_citation() -> None:
    assert parse_ruleset("t", {"parameters": {"x": {"value": [1], "citation": " 依据 "}}}) == {
        "x": Parameter([1], "依据")
    }
