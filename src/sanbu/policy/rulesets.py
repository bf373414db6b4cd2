"""Rulesets: the parameters rules and services read (deadlines, approval steps), each with its citation.

A ruleset is a YAML file in ``sanbu/policy/rulesets/`` named ``<name>.yaml``::

    name: default
    title: 国家默认规则
    parameters:
      exchange.conditional_answer_days:
        value: 10
        citation: 国发〔2016〕51号 …

``load_ruleset(name)`` returns ``{parameter name: Parameter(value, citation)}``. Every parameter must
carry a non-empty citation, so whatever a parameter decides can be shown with where it comes from.

Jurisdictions inherit: a ruleset may name a ``parent`` (``yiyuan`` → ``zibo`` → ``default``); its
parameters are the parent's, merged, with its own overriding. A ruleset may also switch rules that the
seeds make local on or off, each with its citation::

    rules:
      PRJ-A7: {enabled: true, citation: 001 三(一) …}

``load(name)`` returns the merged :class:`Ruleset` (parameters and rule switches); a rule not named in
any ruleset of the chain is enabled. A cycle of parents, a missing parent, or a parameter without a
citation is a :class:`RulesetError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# Parameter names the platform reads (so a typo in code or YAML fails loudly, not silently).
CONDITIONAL_ANSWER_DAYS = "exchange.conditional_answer_days"
CONDITIONAL_STEPS = "exchange.conditional_steps"
INTERFACE_SUNSET_NOTICE_DAYS = "exchange.interface_sunset_notice_days"
NEED_ANSWER_DAYS = "exchange.need_answer_days"
OBJECTION_ANSWER_DAYS = "exchange.objection_answer_days"
DOCKING_WINDOW_DAYS = "inventory.docking_window_days"


@dataclass(frozen=True)
class Parameter:
    value: Any
    citation: str


class RulesetError(ValueError):
    """A ruleset file that is missing or malformed."""


@dataclass(frozen=True)
class RuleSwitch:
    enabled: bool
    citation: str


@dataclass(frozen=True)
class Ruleset:
    """A jurisdiction's merged ruleset: its chain of names (itself first), parameters and rule switches."""

    name: str
    title: str
    parent: str | None
    parameters: dict[str, Parameter] = field(default_factory=dict)
    rules: dict[str, RuleSwitch] = field(default_factory=dict)
    chain: tuple[str, ...] = ()

    def enabled(self, rule_id: str) -> bool:
        switch = self.rules.get(rule_id)
        return switch is None or switch.enabled

    def param(self, key: str) -> Parameter:
        try:
            return self.parameters[key]
        except KeyError:
            raise RulesetError(f"规则集“{self.name}”缺少参数 {key}。") from None

    def value(self, key: str) -> Any:
        return self.param(key).value


def _read(name: str) -> Any:
    if not _NAME.match(name):
        raise RulesetError(f"规则集名称“{name}”无效：只能使用小写字母、数字、下划线和连字符。")
    path = resources.files("sanbu.policy").joinpath(f"rulesets/{name}.yaml")
    if not path.is_file():
        raise RulesetError(f"规则集“{name}”不存在。")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load(name: str = "default") -> Ruleset:
    """Ruleset ``name`` merged over its parents (the parent's parameters, then the child's overrides)."""
    chain: list[tuple[str, Any]] = []
    current: str | None = name
    while current is not None:
        if current in (n for n, _ in chain):
            path = " → ".join([*(n for n, _ in chain), current])
            raise RulesetError(f"规则集继承出现循环：{path}。")
        data = _read(current)
        if not isinstance(data, dict):
            raise RulesetError(f"规则集“{current}”格式无效。")
        chain.append((current, data))
        parent = data.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise RulesetError(f"规则集“{current}”的 parent 必须是规则集名称。")
        current = parent
    params: dict[str, Parameter] = {}
    switches: dict[str, RuleSwitch] = {}
    for n, data in reversed(chain):
        params.update(_parameters(n, data.get("parameters"), required=data.get("parent") is None))
        switches.update(_switches(n, data.get("rules")))
    top = chain[0][1]
    return Ruleset(
        name=name,
        title=str(top.get("title") or name),
        parent=top.get("parent"),
        parameters=params,
        rules=switches,
        chain=tuple(n for n, _ in chain),
    )


def load_ruleset(name: str = "default") -> dict[str, Parameter]:
    """The parameters of ruleset ``name`` (merged over its parents), each with its citation."""
    return load(name).parameters


def available() -> list[Ruleset]:
    """Every ruleset shipped in ``rulesets/``, by name."""
    folder = resources.files("sanbu.policy").joinpath("rulesets")
    names = sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
    return [load(n) for n in names]


def _switches(name: str, rules: Any) -> dict[str, RuleSwitch]:
    if rules is None:
        return {}
    if not isinstance(rules, dict):
        raise RulesetError(f"规则集“{name}”的 rules 必须是“规则编号: {{enabled, citation}}”。")
    out: dict[str, RuleSwitch] = {}
    for rule_id, spec in rules.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("enabled"), bool):
            raise RulesetError(f"规则集“{name}”的规则 {rule_id} 缺少 enabled（true/false）。")
        citation = str(spec.get("citation") or "").strip()
        if not citation:
            raise RulesetError(f"规则集“{name}”的规则 {rule_id} 缺少依据（citation）。")
        out[str(rule_id)] = RuleSwitch(spec["enabled"], citation)
    return out


def parse_ruleset(name: str, data: Any) -> dict[str, Parameter]:
    """Validate a loaded YAML document: every parameter has a value and a citation."""
    return _parameters(name, data.get("parameters") if isinstance(data, dict) else None, required=True)


def _parameters(name: str, params: Any, *, required: bool) -> dict[str, Parameter]:
    if params is None and not required:
        return {}
    if not isinstance(params, dict) or (required and not params):
        raise RulesetError(f"规则集“{name}”没有 parameters。")
    out: dict[str, Parameter] = {}
    for key, spec in params.items():
        if not isinstance(spec, dict) or "value" not in spec:
            raise RulesetError(f"规则集“{name}”的参数 {key} 缺少 value。")
        citation = str(spec.get("citation") or "").strip()
        if not citation:
            raise RulesetError(f"规则集“{name}”的参数 {key} 缺少依据（citation）。")
        out[str(key)] = Parameter(value=spec["value"], citation=citation)
    return out
