"""Re-encrypt field-encrypted datastore values under the current key (``SANBU_FIELD_KEYS``'s first).

Runs online: each batch is one short transaction, and readers accept every key id still listed in
``SANBU_FIELD_KEYS``, so rows not yet rotated stay readable. Idempotent: values already under the
current key are left alone, and a second run changes nothing. Remove an old key from the environment
only after a run reports 0 values left under it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from sanbu.core import fieldcrypt
from sanbu.datastore.models import DataRow


def rotate_batch(after_pk: int, batch: int, ring: fieldcrypt.Keyring) -> tuple[int | None, int, int, int]:
    """Rotate the ``batch`` rows after primary key ``after_pk``, in one transaction.

    Returns (last primary key seen or ``None`` when no rows are left, rows scanned, rows updated,
    values re-encrypted).
    """
    with transaction.atomic(using="datastore"):
        rows = list(
            DataRow.objects.select_for_update()
            .filter(pk__gt=after_pk)
            .order_by("pk")
            .only("pk", "data")[:batch]
        )
        if not rows:
            return None, 0, 0, 0
        changed: list[DataRow] = []
        values = 0
        for row in rows:
            if not isinstance(row.data, dict):
                continue
            data = dict(row.data)
            touched = False
            for name, value in data.items():
                if fieldcrypt.needs_rotation(value, ring):
                    data[name] = fieldcrypt.encrypt(fieldcrypt.decrypt(value), key_id=ring.current_id)
                    values += 1
                    touched = True
            if touched:
                row.data = data
                changed.append(row)
        if changed:
            DataRow.objects.bulk_update(changed, ["data"])
    return rows[-1].pk, len(rows), len(changed), values


def rotate_all(batch: int = 1000, progress: Any = None) -> tuple[int, int, int]:
    """Rotate every row; returns (rows scanned, rows updated, values re-encrypted)."""
    ring = fieldcrypt.keyring()
    last = 0
    scanned = updated = values = 0
    while True:
        pk, rows_seen, rows_changed, values_changed = rotate_batch(last, batch, ring)
        if pk is None:
            break
        scanned += rows_seen
        updated += rows_changed
        values += values_changed
        last = pk
        if progress is not None:
            progress(scanned, updated, values)
    return scanned, updated, values


class Command(BaseCommand):
    help = "Re-encrypt SM4 field values not under the current key of SANBU_FIELD_KEYS (online, in batches)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(1, int(options["batch"]))
        ring = fieldcrypt.keyring()
        self.stdout.write(f"当前密钥：{ring.current_id}；可读密钥：{', '.join(ring.keys)}；每批 {batch} 行")

        def progress(scanned: int, updated: int, values: int) -> None:
            self.stdout.write(f"  已扫描 {scanned} 行，更新 {updated} 行，重新加密 {values} 个值")

        scanned, updated, values = rotate_all(batch, progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"密钥轮换完成：扫描 {scanned} 行，更新 {updated} 行，重新加密 {values} 个值（当前密钥 {ring.current_id}）。"
            )
        )
