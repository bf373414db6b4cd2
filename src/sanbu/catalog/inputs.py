"""Typed inputs for registering a resource, shared by the form, the API and the Excel import,
and the one validation every path runs (so the three cannot drift apart)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from functools import cache
from typing import Any

from django.db import models

from sanbu.core.errors import FieldError, decision_text, text_problem
from sanbu.policy.rules.catalog import ResourceFacts, share_attribute

from . import codes
from .models import (
    CatalogClass,
    DataGrade,
    DataType,
    Masking,
    ResourceFormat,
    Secrecy,
    ShareMethod,
    ShareType,
    UpdateCycle,
)


@dataclass
class ItemInput:
    name: str
    data_type: str
    length: int | None = None
    element: str = ""  # name, synonym or identifier of a data element
    is_key: bool = False
    is_authoritative: bool = False
    share_type: str = ""
    share_condition: str = ""
    masking: str = Masking.NONE


@dataclass
class ResourceInput:
    name: str
    catalog_class: str
    subclass: str
    summary: str
    format: str
    share_type: str
    share_method: str
    update_cycle: str
    code: str = ""
    share_condition: str = ""
    no_share_basis: str = ""
    open_to_public: bool = False
    open_condition: str = ""
    release_date: date | None = None
    secrecy: str = Secrecy.NON_SECRET
    data_grade: str = DataGrade.GENERAL
    source_system: str = ""
    related_codes: str = ""
    items: list[ItemInput] = field(default_factory=list)


@cache
def _values(choices: type) -> frozenset[str]:
    return frozenset(choices.values)  # type: ignore[attr-defined]


def _choice(value: str, choices: type, label: str, field_name: str, errors: list[FieldError]) -> None:
    if value not in _values(choices):
        allowed = "、".join(str(lbl) for lbl in choices.labels)  # type: ignore[attr-defined]
        errors.append(
            FieldError(field_name, "invalid_choice", f"{label}“{value}”不是可选值，可选：{allowed}。")
        )


MAX_ITEM_LENGTH = 1_000_000


def text_errors(
    obj: Any, model: type[models.Model], prefix: str = "", skip: frozenset[str] = frozenset()
) -> list[FieldError]:
    """Every text field of ``obj`` within its model column's length, and free of NUL characters."""
    errors: list[FieldError] = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if not isinstance(value, str) or f.name in skip:
            continue
        try:
            column = model._meta.get_field(f.name)
        except Exception:
            column = None
        label = str(getattr(column, "verbose_name", f.name))
        problem = text_problem(value, getattr(column, "max_length", None), f"{prefix}{f.name}", label)
        if problem:
            errors.append(problem)
    return errors


def validate_resource(data: ResourceInput) -> list[FieldError]:
    """Field-level checks of one resource and its items (uniqueness across rows is the caller's)."""
    from .models import Resource, ResourceItem

    errors: list[FieldError] = text_errors(data, Resource, skip=frozenset({"name", "summary"}))
    if not data.name.strip():
        errors.append(FieldError("name", "required", "信息资源名称为必填项。"))
    elif len(data.name) > 50:
        errors.append(FieldError("name", "too_long", f"信息资源名称不超过 50 字，当前 {len(data.name)} 字。"))
    if not data.summary.strip():
        errors.append(FieldError("summary", "required", "信息资源摘要为必填项。"))
    elif len(data.summary) > 256:
        errors.append(
            FieldError("summary", "too_long", f"信息资源摘要不超过 256 字，当前 {len(data.summary)} 字。")
        )
    if not data.subclass.strip():
        errors.append(FieldError("subclass", "required", "资源子类为必填项，如 人口、法人单位、电子证照。"))
    _choice(data.catalog_class, CatalogClass, "资源分类", "catalog_class", errors)
    _choice(data.format, ResourceFormat, "资源格式", "format", errors)
    _choice(data.share_type, ShareType, "共享类型", "share_type", errors)
    _choice(data.share_method, ShareMethod, "共享方式", "share_method", errors)
    _choice(data.update_cycle, UpdateCycle, "更新周期", "update_cycle", errors)
    _choice(data.secrecy, Secrecy, "涉密属性", "secrecy", errors)
    _choice(data.data_grade, DataGrade, "数据级别", "data_grade", errors)
    cat5 = share_attribute(
        ResourceFacts(code=data.code, share_type=data.share_type, share_condition=data.share_condition,
                      no_share_basis=data.no_share_basis, secrecy=data.secrecy, data_grade=data.data_grade,
                      mounted=False, state="draft")
    )  # fmt: skip
    if cat5.blocks and cat5.fact is not None:
        errors.append(FieldError(cat5.fact.name, "rule.CAT-5", decision_text(cat5)))
    if data.code.strip() and data.catalog_class in CatalogClass.values:
        problem = codes.check(data.code.strip(), data.catalog_class, data.subclass)
        if problem:
            errors.append(FieldError("code", "invalid", problem))
    for code in filter(None, (c.strip() for c in data.related_codes.split(";"))):
        if codes.parse(code) is None:
            errors.append(FieldError("related_codes", "invalid", f"关联资源代码“{code}”格式不正确。"))
    seen: set[str] = set()
    for idx, item in enumerate(data.items, start=1):
        where = f"items[{idx}]"
        if not item.name.strip():
            errors.append(FieldError(f"{where}.name", "required", "信息项名称为必填项。"))
        elif item.name in seen:
            errors.append(FieldError(f"{where}.name", "duplicate", f"信息项“{item.name}”在同一资源中重复。"))
        seen.add(item.name)
        _choice(item.data_type, DataType, "数据类型", f"{where}.data_type", errors)
        errors += text_errors(item, ResourceItem, prefix=f"{where}.")
        if item.length is not None and not 0 < item.length <= MAX_ITEM_LENGTH:
            errors.append(
                FieldError(f"{where}.length", "invalid", f"数据长度应为 1 到 {MAX_ITEM_LENGTH} 之间的整数。")
            )
        if item.share_type:
            _choice(item.share_type, ShareType, "信息项共享类型", f"{where}.share_type", errors)
            if (
                item.share_type == ShareType.CONDITIONAL
                and not (item.share_condition or data.share_condition).strip()
            ):
                errors.append(
                    FieldError(f"{where}.share_condition", "required", "信息项为有条件共享时须填写共享条件。")
                )
        _choice(item.masking, Masking, "脱敏方式", f"{where}.masking", errors)
    return errors
