"""Indicator formulas: small arithmetic expressions over named facts, parsed once and evaluated safely.

A formula is a Python expression restricted to numbers, fact names, ``+ - * /``, unary minus,
parentheses and the functions below; anything else (attributes, subscripts, comparisons, lambdas, other
calls) is refused when the tree is loaded, naming the formula and what was found. A fact may be ``None``
(not measured this month, e.g. no third-party score entered); any arithmetic on ``None`` is ``None``, and
so is a division by zero or a result that is not a finite number (an overflow): the indicator is then not
scored and its weight goes to its scored siblings.

- ``ratio(a, b)``: a / b, ``None`` when b is 0 (nothing to measure: no obligation is neither met nor missed);
- ``inverse(a, b)``: 1 − a / b, ``None`` when b is 0 (a share of something bad);
- ``clamp(x)``: x limited to [0, 1];
- ``per(x, target)``: x / target limited to [0, 1] (e.g. consumers served against a target of 3);
- ``penalty(x, step)``: 1 − x·step limited to [0, 1] (each open conflict costs ``step``);
- ``score(x)``: a 0–100 score entered by people (third-party evaluation, public feedback) as 0–1;
- ``min(…)``, ``max(…)``.

The value of a leaf is its formula limited to [0, 1], times 100.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Number = float | None


class FormulaError(ValueError):
    """A formula that is not allowed, or names a fact that does not exist."""


def _finite(x: float | None) -> Number:
    """``x``, or ``None`` when it is not a finite number (an overflow is not measured either)."""
    return x if x is not None and math.isfinite(x) else None


def _none_safe(fn: Callable[..., float]) -> Callable[..., Number]:
    def wrapped(*args: Number) -> Number:
        if any(a is None for a in args):
            return None
        try:
            return _finite(fn(*args))
        except (ZeroDivisionError, OverflowError):
            return None

    return wrapped


def _limit(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


FUNCTIONS: dict[str, tuple[Callable[..., Number], int | None]] = {  # name → (function, arity; None: any ≥ 1)
    "ratio": (_none_safe(lambda a, b: a / b), 2),
    "inverse": (_none_safe(lambda a, b: 1 - a / b), 2),
    "clamp": (_none_safe(_limit), 1),
    "per": (_none_safe(lambda x, t: _limit(x / t)), 2),
    "penalty": (_none_safe(lambda x, step: _limit(1 - x * step)), 2),
    "score": (_none_safe(lambda x: _limit(x / 100)), 1),
    "min": (_none_safe(lambda *xs: min(xs)), None),  # min(x) of one argument is x
    "max": (_none_safe(lambda *xs: max(xs)), None),
}
_OPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text and the facts it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]

    def __call__(self, facts: Mapping[str, Number]) -> Number:
        return _eval(self.tree.body, facts)


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if isinstance(node, ast.Expression):
        _check(node.body, text, names)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"公式“{text}”只能使用数字常量，不能使用 {node.value!r}")
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        _check(node.left, text, names)
        _check(node.right, text, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, text, names)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        arity = FUNCTIONS[node.func.id][1]
        if node.keywords or (arity is not None and len(node.args) != arity) or not node.args:
            raise FormulaError(f"公式“{text}”中 {node.func.id}() 的参数个数不对")
        for arg in node.args:
            _check(arg, text, names)
    else:
        raise FormulaError(f"公式“{text}”含有不允许的写法：{ast.dump(node)[:60]}")


def parse(text: str, known: frozenset[str] | set[str] | None = None) -> Formula:
    """The formula ``text``, checked; ``known``: the fact names it may read (an unknown name is an error)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"公式“{text}”无法解析：{exc.msg}") from None
    names: set[str] = set()
    _check(tree, text, names)
    if known is not None and names - set(known):
        raise FormulaError(f"公式“{text}”引用了未知的事实：{'、'.join(sorted(names - set(known)))}")
    return Formula(text, tree, frozenset(names))


def _eval(node: ast.AST, facts: Mapping[str, Number]) -> Number:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # checked by parse
        return float(node.value)
    if isinstance(node, ast.Name):
        value: Any = facts.get(node.id)
        return None if value is None else _finite(float(value))
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, facts)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, facts), _eval(node.right, facts)
        if left is None or right is None:
            return None
        try:
            return _finite(_OPS[type(node.op)](left, right))
        except (ZeroDivisionError, OverflowError):
            return None
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id][0](*(_eval(a, facts) for a in node.args))
