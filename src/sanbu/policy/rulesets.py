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

Jurisdictions own their rules: a ruleset lists the GB/T 2260 codes it applies to (``jurisdictions:
["370300"]``, not inherited by children). :func:`ruleset_for` picks the ruleset claiming a code or its
nearest ancestor (370323 → 370300 → 370000), else ``default``; a code claimed by two rulesets is an error.

The files are the baseline shipped under version control. The platform adds *versions*: lists of
:class:`Change` (a parameter's new value or a rule switch, each with its citation). :func:`check_change`
says what is wrong with a change (a parameter must exist and keep its JSON shape, so the rules that read
it keep working; a rule switch names a rule id; the citation is filled in), :func:`overlay` lays changes
over a ruleset, and ``load(name, versions)`` lays each level's published versions over that level's file,
so a child inherits what its parent's versions changed unless it overrides it itself. Every parameter and
switch says where it was set (``origin``: the ruleset; ``version``: 0 for its file, else the version).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from itertools import pairwise
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
# Read by the value checks below (the rules name them in ``rules/projects.py``).
_REVIEW_TIERS = "projects.review_tiers"
_APPLICATION_DEADLINE = "projects.application_deadline"
_EVALUATION_WINDOW = "projects.evaluation_window_months"
_SPLIT_SIMILARITY = "projects.split_similarity"
_CADENCES = ("projects.report_cadence", "projects.pilot_report_cadence")
CADENCE_VALUES = ("quarterly", "half-yearly", "yearly")
_ACCEPTANCE_PANEL = "projects.acceptance_panel"
# The review routes a tier may name (``rules.projects.ROUTES`` has their labels).
TIER_ROUTES = ("self_review", "expert_panel", "joint_panel")
STEP_NAMES = ("accept", "approve")

_CODE = re.compile(r"^[0-9]{6}$")
RULE_ID = re.compile(r"^(PRJ-[A-Z][0-9]{1,2}|(CAT|EX|SUP)-[0-9]{1,2})$")
PARAMETER = "parameter"
RULE = "rule"


@dataclass(frozen=True)
class Parameter:
    """A parameter's value and citation; ``origin`` (the ruleset) and ``version`` (0: its file) say where
    it was set and are not part of equality."""

    value: Any
    citation: str
    origin: str = field(default="", compare=False)
    version: int = field(default=0, compare=False)


class RulesetError(ValueError):
    """A ruleset file that is missing or malformed."""


@dataclass(frozen=True)
class RuleSwitch:
    enabled: bool
    citation: str
    origin: str = field(default="", compare=False)
    version: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Ruleset:
    """A jurisdiction's merged ruleset: its chain of names (itself first), parameters and rule switches,
    the jurisdiction codes it claims, the last of its own versions laid over it (0: the files alone) and
    the changes of published versions that no longer fit the files (``ignored``, in words)."""

    name: str
    title: str
    parent: str | None
    parameters: dict[str, Parameter] = field(default_factory=dict)
    rules: dict[str, RuleSwitch] = field(default_factory=dict)
    chain: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    version: int = 0
    ignored: tuple[str, ...] = ()

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


def load(
    name: str = "default",
    versions: Mapping[str, Sequence[Version]] | None = None,
    shapes: Shapes | None = None,
) -> Ruleset:
    """Ruleset ``name`` merged over its parents (the parent's parameters, then the child's overrides).

    ``versions`` maps a ruleset of the chain to its published versions, in order: each level's versions
    are laid over that level's file before the child's file. A change that no longer fits (the files
    changed since it was published) is skipped and told in ``ignored``. ``shapes``: see
    :func:`check_change`."""
    chain = _chain(name)
    params: dict[str, Parameter] = {}
    switches: dict[str, RuleSwitch] = {}
    ignored: list[str] = []
    own = 0
    for n, data in reversed(chain):
        params.update(_parameters(n, data.get("parameters"), required=data.get("parent") is None))
        switches.update(_switches(n, data.get("rules")))
        for v in (versions or {}).get(n, ()):
            level = Ruleset(name=n, title=n, parent=None, parameters=params, rules=switches)
            for change in v.changes:
                problems = check_change(level, change, shapes)
                if problems:
                    ignored.append(
                        f"规则集“{n}”第 {v.number} 版对 {change.key} 的修改已忽略：{problems[0].message}"
                    )
                else:
                    level = _apply(level, change, n, v.number)
            params, switches = dict(level.parameters), dict(level.rules)
            own = v.number if n == name else own
    top = chain[0][1]
    return Ruleset(
        name=name,
        title=str(top.get("title") or name),
        parent=top.get("parent"),
        parameters=params,
        rules=switches,
        chain=tuple(n for n, _ in chain),
        jurisdictions=_jurisdictions(name, top.get("jurisdictions")),
        version=own,
        ignored=tuple(ignored),
    )


def _chain(name: str) -> list[tuple[str, Any]]:
    """The documents of ``name`` and its ancestors, ``name`` first."""
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
    return chain


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
        out[str(rule_id)] = RuleSwitch(spec["enabled"], citation, origin=name)
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
        out[str(key)] = Parameter(value=spec["value"], citation=citation, origin=name)
    return out


def _jurisdictions(name: str, codes: Any) -> tuple[str, ...]:
    if codes is None:
        return ()
    if not isinstance(codes, list) or not all(
        isinstance(c, str | int) and not isinstance(c, bool) and _CODE.fullmatch(str(c)) for c in codes
    ):
        raise RulesetError(
            f'规则集“{name}”的 jurisdictions 应为 6 位行政区划代码（GB/T 2260）的列表，如 ["370300"]。'
        )
    return tuple(dict.fromkeys(str(c) for c in codes))


# --- which ruleset a jurisdiction follows --------------------------------------------------------------


def ancestors(code: str) -> list[str]:
    """A GB/T 2260 code and the codes above it, nearest first: 370323 → 370323, 370300, 370000."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise RulesetError(f"行政区划代码“{code}”无效：应为 6 位数字（GB/T 2260）。")
    return list(dict.fromkeys([code, code[:4] + "00", code[:2] + "0000"]))


def jurisdiction_claims(rulesets: Iterable[Ruleset] | None = None) -> dict[str, str]:
    """Jurisdiction code → the ruleset that claims it (of ``rulesets``, by default every shipped one).
    A code claimed by two rulesets is a :class:`RulesetError`: which one applies would be a guess."""
    out: dict[str, str] = {}
    for rs in available() if rulesets is None else rulesets:
        for code in rs.jurisdictions:
            if code in out:
                raise RulesetError(
                    f"行政区划 {code} 同时列在规则集“{out[code]}”和“{rs.name}”的 jurisdictions 中，"
                    "请只保留一处。"
                )
            out[code] = rs.name
    return out


def ruleset_for(code: str, rulesets: Iterable[Ruleset] | None = None) -> str:
    """The name of the ruleset that applies to jurisdiction ``code``: the one claiming the code or its
    nearest ancestor, else ``default``."""
    claims = jurisdiction_claims(rulesets)
    return next((claims[c] for c in ancestors(code) if c in claims), "default")


# --- versions: changes laid over a ruleset -------------------------------------------------------------

MAX_VALUE_CHARS = 20000


@dataclass(frozen=True)
class Change:
    """One change of a version: a parameter's new value (``kind="parameter"``) or a rule switched on or
    off (``kind="rule"``, ``new`` true/false), with its citation. ``old`` is the value it replaced when
    it was written, for the history; it is never checked."""

    kind: str
    key: str
    new: Any
    citation: str
    old: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "citation": self.citation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            kind=str(data.get("kind") or ""),
            key=str(data.get("key") or ""),
            new=data.get("new"),
            citation=str(data.get("citation") or ""),
            old=data.get("old"),
        )


@dataclass(frozen=True)
class Version:
    """A published version of one ruleset: its number (1, 2, …) and its changes in order."""

    number: int
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ChangeProblem:
    """What is wrong with a change: the field (``kind``, ``key``, ``new``, ``citation``), a stable code
    and a Chinese message naming the parameter and what to fix."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class Shapes:
    """The non-null values each parameter takes in the shipped files, and the parameters some file leaves
    null: what a parameter that is now null (or an empty list) may become, and which may become null."""

    examples: Mapping[str, tuple[Any, ...]]
    nullable: frozenset[str]


def shipped_shapes(rulesets: Iterable[Ruleset] | None = None) -> Shapes:
    examples: dict[str, list[Any]] = {}
    nullable: set[str] = set()
    for rs in available() if rulesets is None else rulesets:
        for key, p in rs.parameters.items():
            if p.value is None:
                nullable.add(key)
            elif p.value not in examples.setdefault(key, []):
                examples[key].append(p.value)
    return Shapes({k: tuple(v) for k, v in examples.items()}, frozenset(nullable))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _keys(keys: Iterable[Any]) -> str:
    return "、".join(str(k) for k in keys)


def shape_problem(old: Any, new: Any, path: str) -> str | None:
    """Why ``new`` does not have the JSON shape of ``old`` (None when it does): the same type (an integer
    stays an integer, never a boolean; a decimal may be given as an integer), an object the same keys
    with values of the same shape, a list items each shaped like one of the old items."""
    if isinstance(old, bool):
        return None if isinstance(new, bool) else f"{path} 应为 true 或 false，当前为 {_show(new)}。"
    if isinstance(old, int | float):
        if (
            isinstance(new, bool)
            or not isinstance(new, int | float)
            or (isinstance(old, int) and isinstance(new, float))
        ):
            return (
                f"{path} 应为{'整数' if isinstance(old, int) else '数字'}（如 {old}），当前为 {_show(new)}。"
            )
        if not math.isfinite(new):
            return f"{path} 应为有限的数字，当前为 {_show(new)}。"
        return None
    if isinstance(old, str):
        return None if isinstance(new, str) else f"{path} 应为文字，当前为 {_show(new)}。"
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return f"{path} 应为含 {_keys(old)} 的对象，当前为 {_show(new)}。"
        missing = [k for k in old if k not in new]
        extra = [k for k in new if k not in old]
        if missing or extra:
            parts = [f"缺少 {_keys(missing)}"] if missing else []
            parts += [f"多出 {_keys(extra)}"] if extra else []
            return f"{path} 的键应与原值相同（{_keys(old)}）：{'，'.join(parts)}。"
        for key, value in old.items():
            problem = shape_problem(value, new[key], f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(old, list):
        if not isinstance(new, list):
            return f"{path} 应为列表，当前为 {_show(new)}。"
        for i, item in enumerate(new):
            problems = [shape_problem(o, item, f"{path}[{i}]") for o in old]
            if problems and all(problems):
                return problems[0]
        return None
    if old is None:
        return None if new is None else f"{path} 应为空（null），当前为 {_show(new)}。"
    return f"{path} 的当前值不是 JSON 值，只能在规则集文件中修改。"


def _negative(value: Any, path: str) -> str | None:
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := _negative(v, f"{path}.{k}"))), None)
    if isinstance(value, list):
        return next((p for i, v in enumerate(value) if (p := _negative(v, f"{path}[{i}]"))), None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return f"{path} 不能为负数，当前为 {value}。"
    return None


def _value_problem(key: str, new: Any) -> tuple[str, str] | None:
    """Checks beyond the shape, for the parameters whose rules need them (``new`` has the right shape)."""
    negative = _negative(new, key)
    if negative:
        return "out_of_range", negative
    if key == _REVIEW_TIERS:
        froms = [t["from"] for t in new]
        if not new:
            return "out_of_range", f"{key} 至少要有一档（通常从 from: 0 开始）。"
        if any(b <= a for a, b in pairwise(froms)):
            return "order", f"{key} 各档的起点金额 from（元）须从小到大排列且不重复，当前为 {froms}。"
        bad = [t["route"] for t in new if t["route"] not in TIER_ROUTES]
        if bad:
            return "invalid_choice", (
                f"{key} 的 route 应为 self_review（自行审查）、expert_panel（专家论证）、"
                f"joint_panel（联合评审）之一，不能是 {_keys(bad)}。"
            )
    elif key == CONDITIONAL_STEPS:
        if not new or len(set(new)) != len(new) or any(s not in STEP_NAMES for s in new):
            return "invalid_choice", (
                f"{key} 应为 accept（平台受理）、approve（提供部门审核）组成的非空列表，不重复，"
                f"当前为 {_show(new)}。"
            )
    elif key == _APPLICATION_DEADLINE:
        try:
            dt.date(2023, new["month"], new["day"])
        except ValueError:
            return (
                "out_of_range",
                f"{key} 不是有效的日期（month 为 1–12，day 为该月中的一天），当前为 {_show(new)}。",
            )
    elif key == _EVALUATION_WINDOW:
        if len(new) != 2 or new[0] > new[1]:
            return "out_of_range", f"{key} 应为 [起, 止] 两个月数且起不大于止，当前为 {_show(new)}。"
    elif key == _SPLIT_SIMILARITY and new > 1:
        return "out_of_range", f"{key} 应在 0 到 1 之间，当前为 {new}。"
    elif key in _CADENCES and new not in CADENCE_VALUES:
        return (
            "invalid_choice",
            f"{key} 应为 quarterly（每季度）、half-yearly（每半年）或 yearly（每年），当前为 {_show(new)}。",
        )
    elif key == _ACCEPTANCE_PANEL:
        if (
            new["third_party_denominator"] <= 0
            or new["third_party_numerator"] > new["third_party_denominator"]
        ):
            return (
                "out_of_range",
                f"{key} 的第三方专家比例应为不大于 1 的分数（分母大于 0），当前为 {_show(new)}。",
            )
        if new["min_members"] < 1 or new["min_members_large"] < new["min_members"]:
            return (
                "out_of_range",
                f"{key} 的最少人数应至少 1 人，较大项目不少于一般项目，当前为 {_show(new)}。",
            )
    return None


def _parameter_problem(key: str, old: Any, new: Any, shapes: Shapes | None) -> tuple[str, str] | None:
    size = len(json.dumps(new, ensure_ascii=False, default=str))
    if size > MAX_VALUE_CHARS:
        return "too_long", f"{key} 的新值过长（{size} 个字符），不能超过 {MAX_VALUE_CHARS} 个字符。"
    if new is None:
        if old is None or key in (shapes or shipped_shapes()).nullable:
            return None
        return "shape", f"{key} 不能设为空（null）：请填写与当前值同样格式的值，当前值为 {_show(old)}。"
    refs = [old]
    if old is None or old == []:
        refs = list((shapes or shipped_shapes()).examples.get(key, ())) or refs
    if old is None and refs == [None]:
        return "shape", f"{key} 目前为空，且没有可参照的格式：请在规则集文件中设置它的值。"
    problems = [shape_problem(ref, new, key) for ref in refs]
    if all(problems):
        return "shape", f"{problems[0]}请按原有格式填写。"
    return _value_problem(key, new)


def check_change(base: Ruleset, change: Change, shapes: Shapes | None = None) -> list[ChangeProblem]:
    """Everything wrong with ``change`` laid over ``base`` (empty when it fits): a parameter must exist in
    ``base`` and keep its JSON shape (:func:`shape_problem`, plus the ordering and ranges its rules need);
    a parameter that is null may take the shape it has in another shipped ruleset, and become null only
    where some shipped ruleset leaves it null (``shapes``, by default read from the files); a rule switch
    names a rule id (PRJ-A7, CAT-1, EX-5, SUP-1) and is true or false; the citation is filled in."""
    problems: list[ChangeProblem] = []
    label = change.key or "该修改"
    if change.kind == PARAMETER:
        if change.key not in base.parameters:
            problems.append(ChangeProblem(
                "key", "unknown_parameter",
                f"规则集“{base.name}”没有参数 {label}：只能修改已有的参数，新增参数须修改规则集文件。",
            ))  # fmt: skip
        else:
            found = _parameter_problem(change.key, base.parameters[change.key].value, change.new, shapes)
            if found:
                problems.append(ChangeProblem("new", *found))
    elif change.kind == RULE:
        if not RULE_ID.fullmatch(change.key):
            problems.append(ChangeProblem(
                "key", "unknown_rule", f"规则编号“{change.key}”无效：应为 PRJ-A7、CAT-1、EX-5、SUP-1 这样的编号。"
            ))  # fmt: skip
        elif not isinstance(change.new, bool):
            problems.append(ChangeProblem(
                "new", "shape", f"规则 {change.key} 的开关应为 true（启用）或 false（停用），当前为 {_show(change.new)}。"
            ))  # fmt: skip
    else:
        problems.append(ChangeProblem(
            "kind", "invalid_kind",
            f"{label} 的修改类型应为 parameter（参数）或 rule（规则开关），当前为 {_show(change.kind)}。",
        ))  # fmt: skip
    if not (isinstance(change.citation, str) and change.citation.strip()):
        problems.append(
            ChangeProblem("citation", "required", f"请填写 {label} 的修改依据（文件名称、文号及条款）。")
        )
    return problems


def _apply(rs: Ruleset, change: Change, origin: str, version: int) -> Ruleset:
    citation = change.citation.strip()
    if change.kind == PARAMETER:
        param = Parameter(change.new, citation, origin=origin, version=version)
        return replace(rs, parameters={**rs.parameters, change.key: param})
    switch = RuleSwitch(change.new, citation, origin=origin, version=version)
    return replace(rs, rules={**rs.rules, change.key: switch})


def overlay(base: Ruleset, changes: Iterable[Change], version: int, shapes: Shapes | None = None) -> Ruleset:
    """``base`` with ``changes`` laid over it in order, as its version ``version``: each changed parameter
    or switch carries its change's citation and the version. A change that does not fit is a
    :class:`RulesetError` with every problem in words."""
    rs = base
    for change in changes:
        problems = check_change(rs, change, shapes)
        if problems:
            raise RulesetError("；".join(p.message for p in problems))
        rs = _apply(rs, change, base.name, version)
    return replace(rs, version=version)
