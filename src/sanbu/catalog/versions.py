"""Differences between two frozen versions of a resource (shown in the UI and the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Resource

FIELD_LABELS = {
    f.name: str(f.verbose_name) for f in Resource._meta.get_fields() if hasattr(f, "verbose_name")
}
FIELD_LABELS.update({"department": "提供方代码", "department_name": "信息资源提供方"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class VersionDiff:
    old_number: int
    new_number: int
    fields: list[FieldChange] = field(default_factory=list)
    items_added: list[str] = field(default_factory=list)
    items_removed: list[str] = field(default_factory=list)
    items_changed: list[tuple[str, list[FieldChange]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.items_added or self.items_removed or self.items_changed)


def _changes(old: dict[str, Any], new: dict[str, Any], labels: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(k, labels.get(k, k), old.get(k), new.get(k))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


ITEM_LABELS = {
    "data_type": "数据类型", "length": "数据长度", "is_key": "是否主键", "is_authoritative": "是否权威来源",
    "share_type": "共享类型", "share_condition": "共享条件", "masking": "脱敏方式", "element": "引用数据元",
}  # fmt: skip


def diff_snapshots(
    old: dict[str, Any], new: dict[str, Any], old_number: int = 0, new_number: int = 0
) -> VersionDiff:
    result = VersionDiff(old_number, new_number)
    meta_old = {k: v for k, v in old.items() if k != "items"}
    meta_new = {k: v for k, v in new.items() if k != "items"}
    result.fields = _changes(meta_old, meta_new, FIELD_LABELS)
    items_old = {i["name"]: i for i in old.get("items", [])}
    items_new = {i["name"]: i for i in new.get("items", [])}
    result.items_added = [n for n in items_new if n not in items_old]
    result.items_removed = [n for n in items_old if n not in items_new]
    for name in items_new:
        if name in items_old:
            changes = _changes(items_old[name], items_new[name], ITEM_LABELS)
            if changes:
                result.items_changed.append((name, changes))
    return result
