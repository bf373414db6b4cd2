"""Key lookups in mounted data, through the blind index when the key item is stored encrypted."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections

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


# --- the gateway's hot path: a key plan computed once per resource revision, raw reads ----------------


@dataclass(frozen=True)
class KeyPlan:
    """How a resource's key values are turned into what ``DataRow.key`` holds (see ``lookup_key``),
    prepared once from the items so a call does not recompute which items are key and protected."""

    item: Any | None
    protected: bool
    protected_names: frozenset[str]

    def stored(self, key_value: Any) -> str | None:
        if self.item is None:
            return None
        value, problem = loading.convert(self.item, key_value)
        if problem or value is None:
            value = str(key_value if key_value is not None else "").strip()
        return loading.stored_key(value, protected=self.protected)


def key_plan(items: Sequence[Any], data_grade: str) -> KeyPlan:
    key = loading.key_item(items)
    protected = frozenset(loading.protected_items(items, data_grade))
    return KeyPlan(item=key, protected=key is not None and key.name in protected, protected_names=protected)


def _table() -> str:
    return connections["datastore"].ops.quote_name(DataRow._meta.db_table)


def _as_dict(data: Any) -> dict[str, Any]:
    return json.loads(data) if isinstance(data, (str, bytes)) else data


def rows_by_stored_key(
    resource_id: int, mount_id: int, stored: str, *, decrypt: bool
) -> list[dict[str, Any]]:
    """``find_rows`` for a key already in stored form, with one raw query (no model instances)."""
    if not stored:
        return []
    with connections["datastore"].cursor() as cursor:
        cursor.execute(
            f"SELECT data FROM {_table()} WHERE resource_id = %s AND key = %s AND mount_id = %s ORDER BY row_no",
            [resource_id, stored, mount_id],
        )
        datas = [_as_dict(r[0]) for r in cursor.fetchall()]
    return [loading.read_row(d) for d in datas] if decrypt else datas


def mount_bounds(mount_id: int) -> tuple[int, int]:
    """The smallest and largest ``DataRow.id`` of a mount (0, 0 when it holds no rows)."""
    with connections["datastore"].cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {_table()} WHERE mount_id = %s", [mount_id])
        row = cursor.fetchone()
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def iter_row_chunks(
    mount_id: int, *, after: int, upto: int, chunk: int = 5000
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """The rows of a mount with ``after < id <= upto`` in id order, ``chunk`` at a time (keyset paging:
    each chunk is its own short query, so memory stays flat and no cursor is held open between chunks).
    Values are returned as stored (protected ones still encrypted)."""
    sql = f"SELECT id, data FROM {_table()} WHERE mount_id = %s AND id > %s AND id <= %s ORDER BY id LIMIT %s"
    last = after
    while last < upto:
        with connections["datastore"].cursor() as cursor:
            cursor.execute(sql, [mount_id, last, upto, chunk])
            rows = [(int(i), _as_dict(d)) for i, d in cursor.fetchall()]
        if not rows:
            return
        yield rows
        last = rows[-1][0]
        if len(rows) < chunk:
            return


def iter_view_chunks(mount_id: int, *, after: int, upto: int, chunk: int = 20_000) -> Iterator[list[str]]:
    """The masked views (``DataRow.view``) of a mount's rows with ``after < id <= upto`` in id order,
    ``chunk`` at a time, by keyset paging like ``iter_row_chunks``."""
    sql = f"SELECT id, view FROM {_table()} WHERE mount_id = %s AND id > %s AND id <= %s ORDER BY id LIMIT %s"
    last = after
    while last < upto:
        with connections["datastore"].cursor() as cursor:
            cursor.execute(sql, [mount_id, last, upto, chunk])
            rows = cursor.fetchall()
        if not rows:
            return
        yield [v for _, v in rows]
        last = int(rows[-1][0])
        if len(rows) < chunk:
            return


def first_view(mount_id: int, *, after: int, upto: int) -> str | None:
    """The masked view of the first row in the range (None when the range is empty)."""
    with connections["datastore"].cursor() as cursor:
        cursor.execute(
            f"SELECT view FROM {_table()} WHERE mount_id = %s AND id > %s AND id <= %s ORDER BY id LIMIT 1",
            [mount_id, after, upto],
        )
        row = cursor.fetchone()
    return str(row[0]) if row else None


def count_rows(mount_id: int, *, after: int, upto: int) -> int:
    with connections["datastore"].cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {_table()} WHERE mount_id = %s AND id > %s AND id <= %s",
            [mount_id, after, upto],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0
