"""Indicator formulas: every function's value, ``None`` for what cannot be measured, and refused syntax."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanbu.scoring import trees
from sanbu.scoring.formula import FUNCTIONS, FormulaError, parse
from sanbu.scoring.vocabulary import FACT_NAMES

KNOWN = frozenset(FACT_NAMES)


def ev(text: str, **facts: float | None) -> float | None:
    return parse(text, set(facts) | {"a", "b", "x"})(facts)


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("ratio(a, b)", {"a": 3, "b": 4}, 0.75),
        ("ratio(a, b)", {"a": 5, "b": 4}, 1.25),  # not limited: the leaf limits it
        ("inverse(a, b)", {"a": 1, "b": 4}, 0.75),
        ("inverse(a, b)", {"a": 0, "b": 4}, 1.0),
        ("clamp(x)", {"x": -0.5}, 0.0),
        ("clamp(x)", {"x": 0.4}, 0.4),
        ("clamp(x)", {"x": 7}, 1.0),
        ("per(x, 3)", {"x": 2}, 2 / 3),
        ("per(x, 3)", {"x": 5}, 1.0),  # 3 or more is full
        ("per(x, 1000)", {"x": 250}, 0.25),
        ("penalty(x, 0.2)", {"x": 0}, 1.0),
        ("penalty(x, 0.2)", {"x": 2}, 0.6),
        ("penalty(x, 0.2)", {"x": 9}, 0.0),  # never below 0
        ("score(x)", {"x": 87.5}, 0.875),
        ("score(x)", {"x": 120}, 1.0),
        ("min(a, b, 0.5)", {"a": 0.7, "b": 0.9}, 0.5),
        ("max(a, b)", {"a": 0.7, "b": 0.9}, 0.9),
        ("min(a)", {"a": 0.3}, 0.3),
        ("(a + b) * 2 - b / 4", {"a": 1, "b": 2}, 5.5),
        ("-a + +b", {"a": 1, "b": 3}, 2.0),
        ("0.5 * ratio(a, b) + 0.5 * per(x, 2)", {"a": 1, "b": 2, "x": 1}, 0.5),
    ],
)
def test_function_values(text: str, facts: dict[str, float], expected: float) -> None:
    value = ev(text, **facts)
    assert value is not None and value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("ratio(a, b)", {"a": 3, "b": 0}),  # no obligation: not measured, not full marks
        ("inverse(a, b)", {"a": 0, "b": 0}),
        ("per(x, 0)", {"x": 3}),
        ("a / b", {"a": 1, "b": 0}),
        ("a / (b - b)", {"a": 1, "b": 2}),
        ("ratio(a, b) + 1", {"a": 1, "b": 0}),  # None propagates through arithmetic
    ],
)
def test_division_by_zero_is_none(text: str, facts: dict[str, float]) -> None:
    assert ev(text, **facts) is None


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_none_propagates_through_every_function(name: str) -> None:
    arity = FUNCTIONS[name][1] or 2
    args = ", ".join(["a", *(["b"] * (arity - 1))])
    assert ev(f"{name}({args})", a=None, b=2) is None
    if arity > 1:
        assert ev(f"{name}({args})", a=2, b=None) is None
    assert ev("a + b", a=None, b=1) is None
    assert ev("-a", a=None) is None
    assert ev("a", a=None) is None
    assert ev("a") is None  # a fact not given at all reads as not measured


def test_names_are_collected_and_constants_are_floats() -> None:
    f = parse("ratio(requests_on_time, requests_due) * 2", KNOWN)
    assert f.names == frozenset({"requests_on_time", "requests_due"})
    assert parse("3", KNOWN)({}) == 3.0 and isinstance(parse("3", KNOWN)({}), float)
    assert parse("  ratio(calls, calls)  ", KNOWN)({"calls": 4}) == 1.0  # surrounding blanks are allowed


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("calls.real", "不允许"),  # attribute access
        ("calls[0]", "不允许"),  # subscript
        ("calls > 3", "不允许"),  # comparison
        ("calls if calls else 0", "不允许"),  # conditional
        ("lambda: calls", "不允许"),
        ("__import__('os')", "不允许"),  # any other call
        ("open(calls)", "不允许"),
        ("calls ** 2", "不允许"),  # power is not one of + - * /
        ("calls % 2", "不允许"),
        ("not calls", "不允许"),
        ("[calls]", "不允许"),
        ("ratio(a=calls, b=consumers)", "参数个数"),  # keyword arguments
        ("ratio(calls)", "参数个数"),  # wrong arity
        ("ratio(calls, consumers, calls)", "参数个数"),
        ("clamp(calls, calls)", "参数个数"),
        ("min()", "参数个数"),
        ("'calls'", "数字常量"),  # string constants
        ("True", "数字常量"),
        ("None", "数字常量"),
        ("ratio(calls, ", "无法解析"),
        ("calls = 1", "无法解析"),
        ("ratio(calls, unknown_fact)", "未知的事实"),
        ("salary", "未知的事实"),
    ],
)
def test_refused_syntax_names_the_formula_in_chinese(text: str, words: str) -> None:
    with pytest.raises(FormulaError) as exc:
        parse(text, KNOWN)
    message = str(exc.value)
    assert words in message
    assert message.startswith("公式“")  # names the formula
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_unknown_names_are_allowed_only_without_a_vocabulary() -> None:
    assert parse("salary * 2", None)({"salary": 2}) == 4.0
    with pytest.raises(FormulaError, match="salary"):
        parse("salary * 2", {"calls"})


def _formulas() -> list[trees.Node]:
    return [n for name in trees.available() for n in trees.load(name).nodes() if n.formula is not None]


FACT_VALUE = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))
FACTS = st.fixed_dictionaries({k: FACT_VALUE for k in sorted(FACT_NAMES)})


@settings(max_examples=300, deadline=None)
@given(FACTS)
def test_every_shipped_formula_gives_none_or_a_finite_number(facts: dict[str, float | None]) -> None:
    for node in _formulas():
        assert node.formula is not None
        value = node.formula(facts)
        assert value is None or math.isfinite(value), (node.key, node.formula.text, value)


@settings(max_examples=200, deadline=None)
@given(FACTS)
def test_every_leaf_scores_within_0_and_100(facts: dict[str, float | None]) -> None:
    for name in trees.available():
        for key, ns in trees.score(trees.load(name), facts).items():
            assert ns.score is None or 0 <= ns.score <= 100, (name, key, ns.score)
            assert ns.score is not None or ns.share == 0


def test_overflow_is_not_scored_rather_than_infinite() -> None:
    f = parse("ratio(calls, consumers)", KNOWN)
    assert f({"calls": 1e308, "consumers": 1e-10}) is None
    assert parse("calls * calls - calls * calls", KNOWN)({"calls": 1e200}) is None
