"""Jurisdiction → ruleset mapping, and platform versions laid over the files: shape checks, overlay, load."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy import rulesets
from sanbu.policy.rules.projects import ROUTES
from sanbu.policy.rulesets import (
    Change,
    Parameter,
    Ruleset,
    RulesetError,
    Shapes,
    Version,
    ancestors,
    available,
    check_change,
    jurisdiction_claims,
    load,
    overlay,
    ruleset_for,
    shape_problem,
    shipped_shapes,
)

# --- jurisdictions -------------------------------------------------------------------------------------


def test_shipped_rulesets_claim_their_jurisdictions() -> None:
    claims = jurisdiction_claims()
    assert claims == {"370300": "zibo", "370323": "yiyuan", "360000": "jiangxi"}
    assert load("district").jurisdictions == () and load("default").jurisdictions == ()
    # not inherited: yiyuan's parent zibo claims 370300, yiyuan only its own county
    assert load("yiyuan").jurisdictions == ("370323",)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("370323", "yiyuan"),  # its own
        ("370303", "zibo"),  # 张店区 → 淄博市
        ("370300", "zibo"),
        ("370000", "default"),  # 山东省: nobody claims the province
        ("360100", "jiangxi"),  # 南昌市 → 江西省
        ("360121", "jiangxi"),  # 南昌县 → 南昌市 → 江西省
        ("110101", "default"),
    ],
)
def test_ruleset_for_takes_the_nearest_claiming_ancestor(code: str, expected: str) -> None:
    assert ruleset_for(code) == expected


def test_ancestors_nearest_first() -> None:
    assert ancestors("370323") == ["370323", "370300", "370000"]
    assert ancestors("370300") == ["370300", "370000"]
    assert ancestors("370000") == ["370000"]
    assert ancestors("370020") == ["370020", "370000"]


@pytest.mark.parametrize("code", ["37032", "3703231", "37a300", "", 370300])
def test_a_malformed_code_is_an_error(code: Any) -> None:
    with pytest.raises(RulesetError, match="6 位数字"):
        ancestors(code)


def _rs(name: str, *codes: str) -> Ruleset:
    return Ruleset(name=name, title=name, parent=None, jurisdictions=codes)


def test_a_code_claimed_twice_is_refused() -> None:
    with pytest.raises(RulesetError, match="行政区划 370300 同时列在规则集“a”和“b”"):
        ruleset_for("370303", [_rs("a", "370300"), _rs("b", "370300")])
    assert ruleset_for("370303", [_rs("a", "370000"), _rs("b", "370300")]) == "b"
    assert ruleset_for("370103", [_rs("a", "370000"), _rs("b", "370300")]) == "a"


def _fake(monkeypatch: pytest.MonkeyPatch, docs: dict[str, Any]) -> None:
    monkeypatch.setattr(rulesets, "_read", lambda name: docs[name])


P = {"x": {"value": 1, "citation": "c"}}


@pytest.mark.parametrize("codes", ["370300", [True], ["37030"], [None], [{"a": 1}]])
def test_malformed_jurisdictions_are_refused(monkeypatch: pytest.MonkeyPatch, codes: Any) -> None:
    _fake(monkeypatch, {"a": {"parameters": P, "jurisdictions": codes}})
    with pytest.raises(RulesetError, match="jurisdictions 应为 6 位行政区划代码"):
        load("a")


def test_unquoted_and_repeated_codes_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, {"a": {"parameters": P, "jurisdictions": [370300, "370300", "370323"]}})
    assert load("a").jurisdictions == ("370300", "370323")


# --- the shape check -----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_every_value_has_its_own_shape(value: Any) -> None:
    assert shape_problem(value, value, "p") is None


def _refill(value: Any, data: st.DataObject) -> Any:
    """The same structure with fresh leaves of the same types (a list may also grow or shrink)."""
    if isinstance(value, bool):
        return data.draw(st.booleans())
    if isinstance(value, int):
        return data.draw(st.integers())
    if isinstance(value, float):
        return data.draw(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
    if isinstance(value, str):
        return data.draw(st.text(max_size=5))
    if isinstance(value, dict):
        return {k: _refill(v, data) for k, v in value.items()}
    if isinstance(value, list):
        if not value:
            return data.draw(st.lists(json_values, max_size=3))  # nothing to compare with: anything goes
        picks = data.draw(st.lists(st.sampled_from(value), max_size=5))
        return [_refill(v, data) for v in picks]
    return None


@given(json_values, st.data())
def test_fresh_leaves_of_the_same_types_keep_the_shape(value: Any, data: st.DataObject) -> None:
    assert shape_problem(value, _refill(value, data), "p") is None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


@given(json_values, json_values)
def test_another_kind_at_the_top_is_always_named(old: Any, new: Any) -> None:
    if _kind(old) != _kind(new):
        problem = shape_problem(old, new, "projects.x")
        assert problem is not None and problem.startswith("projects.x")


@given(st.dictionaries(st.text(max_size=3), st.integers(), min_size=1), st.text(max_size=3), st.integers())
def test_an_object_keeps_exactly_its_keys(old: dict[str, int], key: str, value: int) -> None:
    grown = {**old, key: value}
    assert (shape_problem(old, grown, "p") is None) == (key in old)
    shrunk = dict(list(old.items())[1:])
    assert shape_problem(old, shrunk, "p") is not None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (True, 1, "p 应为 true 或 false，当前为 1"),
        (3, True, "p 应为整数（如 3），当前为 true"),
        (3, "3", "应为整数"),
        (3, 3.5, "应为整数"),
        (0.8, "高", "p 应为数字（如 0.8）"),
        (0.8, math.inf, "应为有限的数字"),
        ("a", 1, "p 应为文字"),
        ({"a": 1}, [1], "p 应为含 a 的对象"),
        ({"a": 1, "b": 2}, {"a": 1}, "p 的键应与原值相同（a、b）：缺少 b"),
        ({"a": 1}, {"a": 1, "c": 2}, "多出 c"),
        ({"a": 1}, {"c": 2}, "缺少 a，多出 c"),
        ({"a": {"b": 1}}, {"a": {"b": "x"}}, "p.a.b 应为整数"),
        ([1, 2], {"a": 1}, "p 应为列表"),
        ([{"from": 0}], [{"from": 0}, {"from": "20万"}], "p[1].from 应为整数"),
        (None, 1, "p 应为空（null）"),
        (dt.date(2024, 1, 1), 1, "p 的当前值不是 JSON 值"),
    ],
)
def test_shape_problems_name_the_path_and_what_to_give(old: Any, new: Any, message: str) -> None:
    problem = shape_problem(old, new, "p")
    assert problem is not None and message in problem


def test_shapes_that_fit() -> None:
    assert shape_problem(0.8, 1, "p") is None  # a decimal may be given as a whole number
    assert shape_problem([], ["anything", 1], "p") is None
    assert shape_problem([1, "a"], ["b", 2], "p") is None  # each item like one of the old items
    assert shape_problem(None, None, "p") is None


def test_long_values_are_shortened_in_messages() -> None:
    problem = shape_problem(1, "字" * 100, "p")
    assert problem is not None and problem.endswith("…。")


# --- check_change --------------------------------------------------------------------------------------

DEFAULT = load("default")
DISTRICT = load("district")
TIERS = "projects.review_tiers"


def _param(key: str, new: Any, citation: str = "某文件 第三条", base: Ruleset = DISTRICT) -> list[str]:
    return [p.message for p in check_change(base, Change("parameter", key, new, citation))]


def test_the_tier_routes_are_known_routes() -> None:
    assert set(rulesets.TIER_ROUTES) <= set(ROUTES)


def test_a_well_formed_change_has_no_problem() -> None:
    tiers = [{"from": 0, "route": "self_review"}, {"from": 300000, "route": "expert_panel"}]
    assert _param(TIERS, tiers) == []
    assert _param("exchange.conditional_answer_days", 7) == []
    assert _param("projects.application_deadline", {"month": 2, "day": 28}) == []
    assert _param("projects.evaluation_window_months", [3, 12]) == []
    assert _param("projects.split_similarity", 1) == []
    assert _param("projects.report_cadence", "quarterly") == []
    panel = {"min_members": 5, "min_members_large": 7, "odd": True, "third_party_numerator": 3,
             "third_party_denominator": 4}  # fmt: skip
    assert _param("projects.acceptance_panel", panel) == []
    assert _param("exchange.conditional_steps", ["approve"]) == []
    kinds = {**DEFAULT.value("projects.separate_kinds"), "政府网站": ["网站", "门户", "政务新媒体"]}
    assert _param("projects.separate_kinds", kinds) == []
    assert check_change(DEFAULT, Change("rule", "PRJ-A7", True, "001 三(一)")) == []


@pytest.mark.parametrize(
    ("key", "new", "message"),
    [
        ("nope.days", 3, "规则集“district”没有参数 nope.days"),
        (
            "exchange.conditional_answer_days",
            "十",
            'exchange.conditional_answer_days 应为整数（如 10），当前为 "十"。请按原有格式填写',
        ),
        ("exchange.conditional_answer_days", -1, "exchange.conditional_answer_days 不能为负数，当前为 -1"),
        ("exchange.conditional_answer_days", "x" * 30000, "新值过长"),
        (TIERS, [], "至少要有一档"),
        (
            TIERS,
            [{"from": 0, "route": "self_review"}, {"from": 0, "route": "expert_panel"}],
            "从小到大排列且不重复，当前为 [0, 0]",
        ),
        (TIERS, [{"from": 5, "route": "self_review"}, {"from": 1, "route": "expert_panel"}], "从小到大"),
        (TIERS, [{"from": 0, "route": "mayor"}], "不能是 mayor"),
        (
            TIERS,
            [{"from": 0, "route": "self_review", "note": "x"}],
            "projects.review_tiers[0] 的键应与原值相同",
        ),
        (TIERS, [{"from": -5, "route": "self_review"}], "projects.review_tiers[0].from 不能为负数"),
        ("exchange.conditional_steps", [], "非空列表"),
        ("exchange.conditional_steps", ["accept", "accept"], "不重复"),
        ("exchange.conditional_steps", ["sign"], "accept（平台受理）"),
        ("projects.application_deadline", {"month": 2, "day": 29}, "不是有效的日期"),
        ("projects.application_deadline", {"month": 13, "day": 1}, "不是有效的日期"),
        ("projects.evaluation_window_months", [6], "两个月数"),
        ("projects.evaluation_window_months", [12, 6], "起不大于止"),
        ("projects.split_similarity", 1.5, "应在 0 到 1 之间"),
        ("projects.report_cadence", "monthly", "quarterly（每季度）"),
        (
            "projects.acceptance_panel",
            {
                "min_members": 3,
                "min_members_large": 5,
                "odd": True,
                "third_party_numerator": 2,
                "third_party_denominator": 0,
            },
            "分母大于 0",
        ),
        (
            "projects.acceptance_panel",
            {
                "min_members": 5,
                "min_members_large": 3,
                "odd": True,
                "third_party_numerator": 2,
                "third_party_denominator": 3,
            },
            "较大项目不少于",
        ),
        ("projects.separate_kinds", {"通用硬件": ["服务器"]}, "缺少 业务专网"),
        ("projects.min_secrecy_experts", None, "不能设为空（null）"),
    ],
)
def test_parameter_problems_say_what_to_fix(key: str, new: Any, message: str) -> None:
    problems = _param(key, new)
    assert len(problems) == 1 and message in problems[0], problems


def test_null_parameters_take_a_shape_from_another_ruleset() -> None:
    escalation = "projects.province_escalation"
    assert DEFAULT.value(escalation) is None
    assert _param(escalation, {"infrastructure": 20000000, "other": 8000000}, base=DEFAULT) == []
    assert "应为含 infrastructure、other 的对象" in _param(escalation, 5000000, base=DEFAULT)[0]
    assert _param(escalation, None, base=DEFAULT) == []
    # jiangxi may drop its escalation: the national default leaves it null
    assert _param(escalation, None, base=load("jiangxi")) == []


def test_a_null_or_empty_parameter_without_any_example() -> None:
    base = Ruleset("a", "a", None, parameters={"x": Parameter(None, "c"), "y": Parameter([], "c")})
    shapes = Shapes(examples={}, nullable=frozenset())
    assert "没有可参照的格式" in check_change(base, Change("parameter", "x", 1, "c"), shapes)[0].message
    assert check_change(base, Change("parameter", "x", None, "c"), shapes) == []
    assert check_change(base, Change("parameter", "y", [1, "a"], "c"), shapes) == []
    with_examples = Shapes(examples={"y": ([1, 2],)}, nullable=frozenset({"y"}))
    assert (
        "y[1] 应为整数"
        in check_change(base, Change("parameter", "y", [1, "a"], "c"), with_examples)[0].message
    )
    assert check_change(base, Change("parameter", "y", None, "c"), with_examples) == []


def test_shipped_shapes() -> None:
    shapes = shipped_shapes()
    assert "projects.province_escalation" in shapes.nullable
    assert {"infrastructure": 10000000, "other": 5000000} in shapes.examples["projects.province_escalation"]
    assert shapes.examples["exchange.conditional_answer_days"] == (10,)
    assert shipped_shapes([]) == Shapes({}, frozenset())


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (Change("rule", "PRJ-A", True, "c"), "key", "规则编号“PRJ-A”无效"),
        (Change("rule", "prj-a7", True, "c"), "key", "无效"),
        (Change("rule", "PRJ-A7\n", True, "c"), "key", "无效"),
        (Change("rule", "PRJ-A7", "yes", "c"), "new", "规则 PRJ-A7 的开关应为 true（启用）或 false（停用）"),
        (
            Change("switch", "PRJ-A7", True, "c"),
            "kind",
            "PRJ-A7 的修改类型应为 parameter（参数）或 rule（规则开关）",
        ),
        (
            Change("parameter", "exchange.need_answer_days", 5, "  "),
            "citation",
            "请填写 exchange.need_answer_days 的修改依据",
        ),
        (Change("parameter", "", 5, None), "citation", "请填写 该修改 的修改依据"),  # type: ignore[arg-type]
    ],
)
def test_change_problems(change: Change, field: str, message: str) -> None:
    problems = check_change(DEFAULT, change)
    assert problems and problems[-1].field == field and message in problems[-1].message, problems


def test_switches_of_every_family_are_accepted() -> None:
    for rule_id in ("PRJ-S2", "PRJ-O12", "CAT-1", "EX-5", "SUP-4"):
        assert check_change(DEFAULT, Change("rule", rule_id, False, "c")) == []


def test_change_round_trips_through_a_dict() -> None:
    change = Change("parameter", TIERS, [{"from": 0, "route": "self_review"}], "c", old=[])
    assert Change.from_dict(change.as_dict()) == change
    assert Change.from_dict({}) == Change("", "", None, "")


# --- overlay and load with versions -------------------------------------------------------------------


def test_overlay_gives_a_new_version_citing_each_change() -> None:
    base = load("zibo")
    changes = [
        Change("parameter", "exchange.conditional_answer_days", 7, "  淄政办发〔2025〕1号 第五条 "),
        Change("rule", "PRJ-A7", True, "淄政办发〔2025〕1号 第六条"),
    ]
    new = overlay(base, changes, 3)
    assert new.version == 3 and base.version == 0
    p = new.param("exchange.conditional_answer_days")
    assert (p.value, p.citation, p.origin, p.version) == (7, "淄政办发〔2025〕1号 第五条", "zibo", 3)
    assert new.enabled("PRJ-A7") and not base.enabled("PRJ-A7")
    assert new.rules["PRJ-A7"].version == 3 and new.rules["PRJ-A7"].origin == "zibo"
    untouched = new.param("exchange.need_answer_days")
    assert untouched.origin == "default" and untouched.version == 0
    assert new.jurisdictions == ("370300",) and new.chain == base.chain


def test_overlay_refuses_a_change_that_does_not_fit() -> None:
    with pytest.raises(RulesetError, match=r"应为整数.*请填写 exchange.need_answer_days 的修改依据"):
        overlay(load("zibo"), [Change("parameter", "exchange.need_answer_days", "五", "")], 1)


def test_load_lays_each_levels_versions_over_its_file() -> None:
    days = "exchange.need_answer_days"
    versions = {
        "default": [Version(1, (Change("parameter", days, 15, "国家 v1"),))],
        "zibo": [
            Version(1, (Change("parameter", days, 8, "淄博 v1"),)),
            Version(2, (Change("rule", "PRJ-A7", True, "淄博 v2"), Change("parameter", days, "八", "坏"))),
        ],
    }
    assert load("jiangxi", versions).param(days) == Parameter(15, "国家 v1")
    zibo = load("zibo", versions)
    assert zibo.version == 2 and zibo.param(days).value == 8 and zibo.param(days).version == 1
    assert zibo.ignored == (
        "规则集“zibo”第 2 版对 exchange.need_answer_days 的修改已忽略：exchange.need_answer_days 应为整数（如 8），"
        '当前为 "八"。请按原有格式填写。',
    )
    yiyuan = load("yiyuan", versions)
    # the parent's versions reach the child; the child's own file still wins for what it sets
    assert yiyuan.param(days).value == 8 and yiyuan.version == 0
    assert yiyuan.enabled("PRJ-A7") and yiyuan.rules["PRJ-A7"].origin == "yiyuan"
    assert load("zibo", {}, shapes=shipped_shapes()) == load("zibo")


def test_available_rulesets_have_file_provenance() -> None:
    for rs in available():
        assert all(p.version == 0 and p.origin in rs.chain for p in rs.parameters.values())
        assert all(s.version == 0 and s.origin in rs.chain for s in rs.rules.values())
