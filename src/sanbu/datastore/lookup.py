"""Key lookups in mounted data, through the blind index when the key item is stored encrypted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import loading
from .models import DataRow


def _resource_items(resource_id: int) -> tuple[list[Any], str]:
    from sanbu.catalog.models import Resource

    resource = Resource.objects.only("id", "data_grade").get(pk=resource_id)
    items = list(resource.items.select_related("element").order_by("position", "id"))
    return items, resource.data_grade


def lookup_key(items: Sequence[Any], data_grade: str, key_value: Any) -> str | None:
    """What ``DataRow.key`` holds for ``key_value``: normalized like a mount, blind-indexed if protected.

    ``None`` when the resource has no key item.
    """
    key = loading.key_item(items)
    if key is None:
        return None
    value, problem = loading.convert(key, key_value)
    if problem or value is None:  # not a valid key: look it up as given (it will match nothing stored)
        value = str(key_value if key_value is not None else "").strip()
    protected = key.name in loading.protected_items(items, data_grade)
    return loading.stored_key(value, protected=protected)


def find_rows(
    resource_id: int,
    mount_id: int,
    key_value: Any,
    *,
    items: Sequence[Any] | None = None,
    data_grade: str | None = None,
) -> list[dict[str, Any]]:
    """The decrypted records of a mount whose key item equals ``key_value`` (in row order).

    ``items`` and ``data_grade`` of the resource may be passed by a caller that has them loaded (the
    gateway); otherwise they are read from the catalog.
    """
    if items is None or data_grade is None:
        items, data_grade = _resource_items(resource_id)
    stored = lookup_key(items, data_grade, key_value)
    if not stored:
        return []
    datas = (
        DataRow.objects.filter(resource_id=resource_id, mount_id=mount_id, key=stored)
        .order_by("row_no")
        .values_list("data", flat=True)
    )
    return [loading.read_row(data) for data in datas]
