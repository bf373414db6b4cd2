"""The audit chain: change records written by services in their own transaction.

Each record's hash covers its content and the previous record's hash (SM3). The tip lives in
``AuditHead``, locked by every writer, so seq numbers are gapless and the chain is linear even with
many worker processes. ``verify_chain`` recomputes everything and names the first record that fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .actor import Actor
from .models import AuditHead, ChangeRecord
from .sm3 import sm3_hex

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of the model's concrete fields (foreign keys by id)."""
    names = list(fields) if fields is not None else [f.attname for f in obj._meta.concrete_fields]
    return {name: _plain(getattr(obj, name)) for name in names}


def _content(rec: ChangeRecord) -> bytes:
    created = rec.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "seq": rec.seq,
        "created_at": created,
        "actor": rec.actor_username,
        "department": rec.actor_department,
        "jurisdiction": rec.jurisdiction,
        "action": rec.action,
        "object_type": rec.object_type,
        "object_id": rec.object_id,
        "object_repr": rec.object_repr,
        "before": rec.before,
        "after": rec.after,
        "request_id": rec.request_id,
        "prev_hash": rec.prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(rec: ChangeRecord) -> str:
    return sm3_hex(_content(rec))


@dataclass(frozen=True)
class Change:
    action: str
    object_type: str
    object_id: str
    object_repr: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    jurisdiction: str = ""  # the object's; the actor's when empty


def _lock_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def record_many(*, actor: Actor, changes: Iterable[Change]) -> list[ChangeRecord]:
    """Append changes to the chain; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit records are written inside the service's transaction")
    items = list(changes)
    if not items:
        return []
    head = _lock_head()
    now = timezone.now()
    records = []
    seq, prev = head.last_seq, head.last_hash
    for ch in items:
        seq += 1
        rec = ChangeRecord(
            seq=seq,
            created_at=now,
            actor_username=actor.username[:150],
            actor_department=actor.department_uscc,
            jurisdiction=(ch.jurisdiction or actor.jurisdiction)[:6],
            action=ch.action,
            object_type=ch.object_type,
            object_id=str(ch.object_id)[:64],
            object_repr=ch.object_repr[:200],
            before=_plain(ch.before) if ch.before is not None else None,
            after=_plain(ch.after) if ch.after is not None else None,
            request_id=actor.request_id,
            prev_hash=prev,
        )
        rec.hash = compute_hash(rec)
        prev = rec.hash
        records.append(rec)
    ChangeRecord.objects.bulk_create(records, batch_size=500)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return records


def record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ChangeRecord:
    scope = getattr(obj, "scope", None)
    change = Change(
        jurisdiction=scope().jurisdiction if callable(scope) else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj),
        before=before,
        after=after if after is not None else snapshot(obj),
    )
    return record_many(actor=actor, changes=[change])[0]


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    record_id: int | None
    message: str


def iter_problems() -> Iterator[ChainProblem]:
    expected_seq, prev = 1, GENESIS
    for rec in ChangeRecord.objects.order_by("seq", "id").iterator(chunk_size=2000):
        if rec.seq != expected_seq:
            yield ChainProblem(
                expected_seq,
                rec.pk,
                f"缺少序号 {expected_seq} 的记录（下一条为 #{rec.seq}），记录被删除或重排",
            )
            return
        if rec.prev_hash != prev:
            yield ChainProblem(
                rec.seq, rec.pk, f"记录 #{rec.seq} 的前序哈希与上一条记录不符，记录被删除、插入或重排"
            )
            return
        if compute_hash(rec) != rec.hash:
            yield ChainProblem(rec.seq, rec.pk, f"记录 #{rec.seq} 的内容与其 SM3 哈希不符，记录被直接修改")
            return
        prev = rec.hash
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev):
        yield ChainProblem(
            last_seq + 1, None, f"链尾应为 #{head.last_seq}，实际为 #{last_seq}：末尾的记录被删除或修改"
        )


def verify_chain() -> tuple[int, ChainProblem | None]:
    count = ChangeRecord.objects.count()
    problem = next(iter_problems(), None)
    return count, problem
