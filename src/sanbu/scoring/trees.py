"""Indicator trees as data (``scoring/trees/*.yaml``): weights, formulas over the named facts of
``vocabulary``, a citation for every node and what to do when it scores low.

A tree may name a ``parent`` and override weights (``weights: {key: weight}``); each ruleset says which
tree its departments are scored on (parameter ``scoring.tree``); the 篇六 dimensions tree is offered
beside it. ``score(tree, facts)`` is pure: a leaf is its formula limited to [0, 1] × 100; an inner node is
the weighted mean of its scored children, a child that could not be scored this month (no obligation,
nothing entered) giving its weight to its scored siblings; the root is the department's score.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import yaml

from .formula import Formula, FormulaError, Number, parse
from .vocabulary import FACT_NAMES


class TreeError(ValueError):
    """A tree file that cannot be used; the message says which node and why."""


@dataclass(frozen=True)
class Node:
    key: str
    name: str
    weight: float
    citation: str
    formula: Formula | None = None
    remedy: str = ""
    children: tuple[Node, ...] = ()

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Tree:
    name: str
    title: str
    citation: str
    root: Node

    def nodes(self) -> list[Node]:
        return list(self.root.walk())

    def node(self, key: str) -> Node:
        for n in self.root.walk():
            if n.key == key:
                return n
        raise KeyError(key)


@dataclass(frozen=True)
class NodeScore:
    key: str
    score: float | None  # 0–100; None: not scored this month
    weight: float  # the node's weight among its siblings (as written)
    share: float  # its share of the department's score after redistribution (0–1; 0 when not scored)
    inputs: dict[str, Number] = field(default_factory=dict)  # the facts a leaf read


def _node(data: Any, path: str) -> Node:
    if not isinstance(data, Mapping):
        raise TreeError(f"{path}：应为一个指标")
    key, name = str(data.get("key") or ""), str(data.get("name") or "")
    where = f"{path}/{key or '?'}"
    if not key or not name:
        raise TreeError(f"{where}：缺少 key 或 name")
    if not str(data.get("citation") or "").strip():
        raise TreeError(f"{where}：缺少依据（citation）")
    weight = data.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise TreeError(f"{where}：权重应为正数")
    children = tuple(_node(c, where) for c in data.get("children") or ())
    text = data.get("formula")
    if bool(children) == bool(text):
        raise TreeError(f"{where}：应有公式（末级指标）或下级指标，二者只能有一个")
    try:
        formula = parse(str(text), set(FACT_NAMES)) if text else None
    except FormulaError as exc:
        raise TreeError(f"{where}：{exc}") from None
    return Node(key, name, float(weight), str(data["citation"]).strip(), formula,
                str(data.get("remedy") or "").strip(), children)  # fmt: skip


def _reweigh(node: Node, weights: Mapping[str, Any]) -> Node:
    children = tuple(_reweigh(c, weights) for c in node.children)
    weight = weights.get(node.key, node.weight)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise TreeError(f"{node.key}：权重应为正数")
    return replace(node, weight=float(weight), children=children)


def _read(name: str) -> Any:
    path = resources.files("sanbu.scoring").joinpath(f"trees/{name}.yaml")
    if not path.is_file():
        raise TreeError(f"没有名为“{name}”的指标体系")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def load(name: str) -> Tree:
    """Tree ``name`` with its parent's nodes and its own weights; errors name the node."""
    data = _read(name)
    if not isinstance(data, Mapping):
        raise TreeError(f"{name}：文件应为一个指标体系（YAML 映射）")
    if data.get("parent"):
        base = load(str(data["parent"]))
        known = {n.key for n in base.nodes()}
        unknown = set(data.get("weights") or {}) - known
        if unknown:
            raise TreeError(f"{name}：要调整权重的指标不存在：{'、'.join(sorted(unknown))}")
        root = _reweigh(base.root, data.get("weights") or {})
    else:
        root = _node(data.get("root"), name)
    keys = [n.key for n in root.walk()]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise TreeError(f"{name}：指标 key 重复：{'、'.join(repeated)}")
    return Tree(name, str(data.get("title") or name), str(data.get("citation") or ""), root)


def available() -> list[str]:
    folder = resources.files("sanbu.scoring").joinpath("trees")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def score(tree: Tree, facts: Mapping[str, Number]) -> dict[str, NodeScore]:
    """Every node's score for one department's facts."""
    out: dict[str, NodeScore] = {}

    def visit(node: Node, share: float) -> float | None:
        if node.formula is not None:
            raw = node.formula(facts)
            value = None if raw is None else round(max(0.0, min(1.0, raw)) * 100, 4)
            inputs = {n: facts.get(n) for n in sorted(node.formula.names)}
            out[node.key] = NodeScore(
                node.key, value, node.weight, share if value is not None else 0.0, inputs
            )
            return value
        scored: list[tuple[Node, float]] = []
        # first pass: which children score at all (a child's share depends on its scored siblings)
        probe = {c.key: _probe(c, facts) for c in node.children}
        live = sum(c.weight for c in node.children if probe[c.key])
        for c in node.children:
            child_share = share * c.weight / live if probe[c.key] and live else 0.0
            value = visit(c, child_share)
            if value is not None:
                scored.append((c, value))
        result = (
            round(sum(c.weight * v for c, v in scored) / sum(c.weight for c, _ in scored), 4)
            if scored
            else None
        )
        out[node.key] = NodeScore(node.key, result, node.weight, share if result is not None else 0.0)
        return result

    visit(tree.root, 1.0)
    return out


def _probe(node: Node, facts: Mapping[str, Number]) -> bool:
    """Whether the node scores at all for these facts."""
    if node.formula is not None:
        return node.formula(facts) is not None
    return any(_probe(c, facts) for c in node.children)
