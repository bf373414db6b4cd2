"""Per-jurisdiction rulesets: inheritance, overrides, rule switches, citations, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy import rulesets
from sanbu.policy.rulesets import Parameter, RulesetError, available, load, load_ruleset

NAMES = ["default", "district", "jiangxi", "zibo", "yiyuan"]


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_ruleset_loads_with_citations(name: str) -> None:
    rs = load(name)
    assert rs.parameters == load_ruleset(name)
    assert rs.chain[0] == name and rs.chain[-1] == "default"
    assert all(p.citation for p in rs.parameters.values())
    assert all(s.citation for s in rs.rules.values())
    # the child has every parameter of the national default
    assert set(load_ruleset("default")) <= set(rs.parameters)


def test_available_lists_them_with_parent_and_title() -> None:
    found = {r.name: r for r in available()}
    assert set(NAMES) <= set(found)
    assert found["yiyuan"].parent == "zibo" and found["zibo"].parent == "default"
    assert found["default"].parent is None and found["jiangxi"].title.startswith("江西")


def test_district_tiers_and_jiangxi_parameters_cite_their_seed() -> None:
    district = load("district")
    assert [t["from"] for t in district.value("projects.review_tiers")] == [0, 200000, 2000000]
    assert "20万" in district.param("projects.review_tiers").citation
    jx = load("jiangxi")
    assert jx.value("projects.province_escalation") == {"infrastructure": 10000000, "other": 5000000}
    assert jx.value("projects.application_deadline") == {"month": 6, "day": 30}
    assert jx.value("projects.trial_run_months") == 6
    assert jx.value("projects.evaluation_window_months") == [6, 12]
    assert all("赣府厅发〔2023〕12号" in jx.param(k).citation for k in (
        "projects.province_escalation", "projects.application_deadline", "projects.trial_run_months"))  # fmt: skip
    # not overridden: inherited from the national default with its own citation
    assert jx.param("exchange.conditional_answer_days") == load("default").param(
        "exchange.conditional_answer_days"
    )


def test_yiyuan_enables_local_rules_the_others_do_not() -> None:
    assert load("yiyuan").enabled("PRJ-A7") and load("yiyuan").enabled("PRJ-O2")
    assert "001" in load("yiyuan").rules["PRJ-A7"].citation
    for name in ("default", "district", "jiangxi", "zibo"):
        assert not load(name).enabled("PRJ-A7")
    assert load("default").enabled("PRJ-S2")  # a rule no ruleset names is on


def test_missing_parameter_is_an_error() -> None:
    with pytest.raises(RulesetError, match="缺少参数 nope"):
        load("default").value("nope")


def _fake(monkeypatch: pytest.MonkeyPatch, docs: dict[str, Any]) -> None:
    def read(name: str) -> Any:
        if name not in docs:
            raise RulesetError(f"规则集“{name}”不存在。")
        return docs[name]

    monkeypatch.setattr(rulesets, "_read", read)


P = {"x": {"value": 1, "citation": "c"}}


@pytest.mark.parametrize(
    ("docs", "message"),
    [
        ({"a": {"parent": "b", "parameters": P}, "b": {"parent": "a", "parameters": P}}, "循环：a → b → a"),
        ({"a": {"parent": "a"}}, "循环"),
        ({"a": {"parent": "gone"}}, "不存在"),
        ({"a": ["not", "a", "mapping"]}, "格式无效"),
        ({"a": {"parent": 3}}, "parent"),
        ({"a": {"parameters": {}}}, "parameters"),
        ({"a": {"parent": "b", "parameters": []}, "b": {"parameters": P}}, "parameters"),
        ({"a": {"parameters": P, "rules": ["PRJ-A7"]}}, "rules"),
        ({"a": {"parameters": P, "rules": {"PRJ-A7": {"enabled": "yes", "citation": "c"}}}}, "enabled"),
        ({"a": {"parameters": P, "rules": {"PRJ-A7": True}}}, "enabled"),
        ({"a": {"parameters": P, "rules": {"PRJ-A7": {"enabled": True}}}}, "citation"),
    ],
)
def test_malformed_chains_are_refused(
    monkeypatch: pytest.MonkeyPatch, docs: dict[str, Any], message: str
) -> None:
    _fake(monkeypatch, docs)
    with pytest.raises(RulesetError, match=message):
        load("a")


def test_title_defaults_to_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, {"a": {"parameters": P}})
    rs = load("a")
    assert rs.title == "a" and rs.parent is None and rs.rules == {}


keys = st.sampled_from(["p1", "p2", "p3", "p4"])
params = st.dictionaries(keys, st.integers(), min_size=1)


@given(parent=params, child=st.dictionaries(keys, st.integers()), grand=st.dictionaries(keys, st.integers()),
       switch=st.booleans())  # fmt: skip
def test_inheritance_child_wins_and_parent_rest_is_kept(
    parent: dict[str, int], child: dict[str, int], grand: dict[str, int], switch: bool
) -> None:
    def doc(values: dict[str, int], who: str, parent_name: str | None, rules: Any = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "parameters": {k: {"value": v, "citation": f"{who}:{k}"} for k, v in values.items()}
        }
        if parent_name:
            d["parent"] = parent_name
        if rules is not None:
            d["rules"] = rules
        return d

    docs = {
        "root": doc(parent, "root", None, {"R": {"enabled": not switch, "citation": "root"}}),
        "mid": doc(child, "mid", "root"),
        "leaf": doc(grand, "leaf", "mid", {"R": {"enabled": switch, "citation": "leaf"}}),
    }
    with pytest.MonkeyPatch.context() as mp:
        _fake(mp, docs)
        merged = load("leaf")
    assert merged.chain == ("leaf", "mid", "root")
    for k in set(parent) | set(child) | set(grand):
        who = "leaf" if k in grand else "mid" if k in child else "root"
        value = {"leaf": grand, "mid": child, "root": parent}[who][k]
        assert merged.parameters[k] == Parameter(value, f"{who}:{k}")
    assert set(merged.parameters) == set(parent) | set(child) | set(grand)
    assert merged.enabled("R") is switch
