"""Project facts for gates S (申报) and A (立项): frozen, typed, built by the apps from what the platform holds.

The apps turn rows into these facts in their own ``facts.py``; the command line reads them from JSON
(``from_json``), whose JSON Schema is generated from these dataclasses (``json_schema``), so the schema,
the parser and the rules cannot drift apart. Field by field: ``docs/policy-facts.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Union


class ProjectKind(StrEnum):
    NEW = "新建"
    REBUILD = "改建"
    EXPAND = "扩建"
    MIGRATE = "迁移"
    OM = "运维"
    SERVICE = "购买服务"


# Kinds that build or change a system (技术方案, cloud, cost rules apply); O&M and services do not.
BUILD_KINDS = frozenset({ProjectKind.NEW, ProjectKind.REBUILD, ProjectKind.EXPAND, ProjectKind.MIGRATE})
UPGRADE_KINDS = frozenset({ProjectKind.REBUILD, ProjectKind.EXPAND, ProjectKind.MIGRATE})


class ResourceState(StrEnum):
    MISSING = "missing"  # not in the catalog
    REGISTERED = "registered"
    MOUNTED = "mounted"
    PUBLISHED = "published"


class ProjectClass(StrEnum):
    """Jiangxi 第九条: which escalation threshold applies."""

    INFRASTRUCTURE = "infrastructure"
    CROSS_DEPARTMENT = "cross_department"
    CROSS_LEVEL = "cross_level"
    OTHER = "other"


class CentreOpinion(StrEnum):
    NONE = "none"
    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"


@dataclass(frozen=True)
class ResourceUse:
    """A catalog resource the project will use, with its state in the catalog (read, not declared)."""

    code: str
    state: ResourceState
    name: str = ""


@dataclass(frozen=True)
class SimilarProject:
    """Another application of the same unit, for split detection (PRJ-S5).

    ``similarity`` (0–1) may be given; otherwise it is computed from the texts (see ``rules.projects``).
    """

    name: str
    amount: int
    content: str = ""
    technical_route: str = ""
    similarity: float | None = None


@dataclass(frozen=True)
class UnitSystem:
    """One of the applying unit's information systems, from the inventory (SUP-1)."""

    name: str
    docked: bool  # derived by the inventory: provides published, mounted resources or called the gateway
    shares: bool = True  # provides at least one published resource, or is recorded as not needing to


@dataclass(frozen=True)
class ExpertReview:
    """The expert assessment (PRJ-A2): done or not, how many experts, how many from the secrecy pool."""

    assessed: bool
    experts: int = 0
    secrecy_experts: int = 0
    passed: bool | None = None  # the panel's conclusion once assessed: a majority agreed (None: not given)


@dataclass(frozen=True)
class ApprovalFacts:
    """Facts gate A reads beyond the application itself."""

    # PRJ-A1
    project_class: ProjectClass
    # PRJ-A2
    expert_review: ExpertReview
    # PRJ-A3 (002 篇三 第十七条, items 1–7)
    builds_machine_room_or_cloud: bool  # (1) 单独新建或扩建机房、数据中心、云平台、公共支撑、数据资源
    buys_server_hardware: bool  # (1) 新增采购非涉密服务器、存储设备、服务端网络设备
    leases_internet_line: bool  # (2) 单独租赁互联网出口线路
    private_network_not_merged: bool  # (2) 未整合到电子政务内网或外网的专网
    on_gov_cloud: bool  # (3) 部署（或迁移）到政务云
    uses_secure_reliable: bool  # (4) 应用安全可靠产品
    crypto_compliant: bool  # (5) 符合密码应用要求（密评）
    security_compliant: bool  # (5) 符合网络安全保密要求（等保）且无重大隐患
    goals_clear: bool  # (6) 需求和绩效目标明确
    internal_integrated: bool  # (6) 内部系统整合到位
    upgrades_unaccepted: bool  # (7) 原项目尚未竣工验收的升级改造
    # PRJ-A4
    central_or_provincial: bool = False
    integrates_systems: bool = False
    cross_boundary: bool = False  # 跨部门、跨层级、跨区域共建共享
    # PRJ-A5
    centre_opinion: CentreOpinion = CentreOpinion.NONE
    # PRJ-A6
    hardware_outside_cloud: bool = False
    hardware_outside_cloud_reason: str = ""
    design_life_years: int | None = None
    construction_months: int | None = None
    # PRJ-A3 (6) and PRJ-A7: the unit's systems in the inventory
    unit_systems: tuple[UnitSystem, ...] = ()
    # PRJ-A1: the joint review (联合评审) the joint-panel and province routes require has concluded in favour
    joint_review: bool = False


@dataclass(frozen=True)
class ProjectFacts:
    """One project application. Gate S reads the top level; gate A also reads ``approval``."""

    name: str
    unit: str
    kind: ProjectKind
    amount: int  # yuan
    application_date: dt.date
    plan_year: int  # the year the project is planned for
    category: str = "其他"  # one of the eight PRJ-S6 kinds, or 其他
    content: str = ""
    technical_route: str = ""
    involves_secrets: bool = False
    started_before_approval: bool = False  # PRJ-S1
    uses: tuple[ResourceUse, ...] = ()  # PRJ-S2
    provides: tuple[str, ...] = ()  # PRJ-S2: names or codes of resources the project will provide
    materials: tuple[str, ...] = ()  # PRJ-S3: keys present (see required_materials)
    dynamic_addition: bool = False  # PRJ-S4: applied for as a dynamic addition (动态新增)
    library_entry_date: dt.date | None = None  # PRJ-S5: entry into the project library, if any
    unified_build: bool = False  # PRJ-S6: built by the authority as the jurisdiction's unified system
    similar_projects: tuple[SimilarProject, ...] = ()  # PRJ-S5
    approval: ApprovalFacts | None = None


class FactsError(ValueError):
    """Facts that do not match the schema; ``field`` is the dotted path of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}：{message}" if field else message)
        self.field = field
        self.message = message


# --- JSON Schema and parsing, both from the dataclasses -----------------------------------------------


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(tp: Any) -> Any | None:
    """The inner type of ``X | None``, else None."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0]
    return None


def _schema(tp: Any) -> dict[str, Any]:
    inner = _optional(tp)
    if inner is not None:
        return {"anyOf": [_schema(inner), {"type": "null"}]}
    if typing.get_origin(tp) is tuple:
        return {"type": "array", "items": _schema(typing.get_args(tp)[0])}
    if dataclasses.is_dataclass(tp):
        return json_schema(tp, top=False)  # type: ignore[arg-type]
    if isinstance(tp, type) and issubclass(tp, Enum):
        return {"enum": [m.value for m in tp]}
    simple: dict[Any, dict[str, Any]] = {
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        float: {"type": "number"},
        str: {"type": "string"},
        dt.date: {"type": "string", "format": "date"},
    }
    return simple[tp]


def json_schema(cls: type = ProjectFacts, *, top: bool = True) -> dict[str, Any]:
    """The JSON Schema of ``cls`` (a facts dataclass), generated from its fields."""
    hints = _hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        props[f.name] = _schema(hints[f.name])
        if f.default is dataclasses.MISSING:  # no field uses default_factory
            required.append(f.name)
        else:
            default = f.default
            props[f.name]["default"] = default.value if isinstance(default, Enum) else default
    out: dict[str, Any] = {"type": "object", "title": cls.__name__, "properties": props,
                           "required": required, "additionalProperties": False}  # fmt: skip
    if top:
        out = {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}
    return out


def _parse(tp: Any, value: Any, path: str) -> Any:
    inner = _optional(tp)
    if inner is not None:
        return None if value is None else _parse(inner, value, path)
    if typing.get_origin(tp) is tuple:
        if not isinstance(value, list):
            raise FactsError(path, "应为数组")
        item = typing.get_args(tp)[0]
        return tuple(_parse(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        return from_json(value, tp, path)  # type: ignore[arg-type]
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = "、".join(str(m.value) for m in tp)
            raise FactsError(path, f"取值“{value}”无效，应为：{allowed}") from None
    if tp is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise FactsError(path, f"日期“{value}”无效，应为 YYYY-MM-DD") from None
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        names = {bool: "布尔值（true/false）", int: "整数", float: "数字", str: "字符串"}
        raise FactsError(path, f"应为{names[tp]}")
    return value


def from_json(data: Any, cls: type = ProjectFacts, path: str = "") -> Any:
    """Build ``cls`` from decoded JSON, checking it against the schema; errors name the field."""
    if not isinstance(data, dict):
        raise FactsError(path or "(根)", "应为对象")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise FactsError(where, "未知字段")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        where = f"{path}.{name}" if path else name
        if name not in data:
            if f.default is dataclasses.MISSING:
                raise FactsError(where, "缺少必填字段")
            continue
        kwargs[name] = _parse(hints[name], data[name], where)
    return cls(**kwargs)
