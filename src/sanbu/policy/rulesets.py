"""Rulesets: the parameters rules and services read (deadlines, approval steps), each with its citation.

A ruleset is a YAML file in ``sanbu/policy/rulesets/`` named ``<name>.yaml``::

    name: default
    title: 国家默认规则
    parameters:
      exchange.conditional_answer_days:
        value: 10
        citation: 国发〔2016〕51号 …

``load_ruleset(name)`` returns ``{parameter name: Parameter(value, citation)}``. Every parameter must
carry a non-empty citation, so whatever a parameter decides can be shown with where it comes from. This
is the minimal form: per-jurisdiction rulesets (a city overriding the national default) build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Parameter:
    value: Any
    citation: str


class RulesetError(ValueError):
    """A ruleset file that is missing or malformed."""


def load_ruleset(name: str = "default") -> dict[str, Parameter]:
    """The parameters of ruleset ``name``, each with its citation."""
    if not _NAME.match(name):
        raise RulesetError(f"规则集名称“{name}”无效：只能使用小写字母、数字、下划线和连字符。")
    path = resources.files("sanbu.policy").joinpath(f"rulesets/{name}.yaml")
    if not path.is_file():
        raise RulesetError(f"规则集“{name}”不存在。")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_ruleset(name, data)


def parse_ruleset(name: str, data: Any) -> dict[str, Parameter]:
    """Validate a loaded YAML document: every parameter has a value and a citation."""
    params = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(params, dict) or not params:
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
