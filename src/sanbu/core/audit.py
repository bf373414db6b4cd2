"""The audit chain: change records written by services in their own transaction.

Each record's hash covers its content and the previous record's hash (SM3). The tip lives in
``AuditHead``, locked by every writer, so seq numbers are gapless and the chain is linear even with
many worker processes. ``verify_chain`` recomputes everything and names the first record that fails.

The hashed content of a record is the canonical JSON of ``_content`` (sorted keys, no spaces, UTF-8).
``_content`` is the reference; writing and verifying build exactly the same bytes with one string
template (``_canonical``) and a reused C JSON encoder, and verifying reads rows with a raw cursor in
chunks, in several processes over seq ranges when asked (docs/audit.md has the figures).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _json_string
from typing import Any

from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from .actor import Actor
from .models import AuditHead, ChangeRecord
from .sm3 import sm3_hex

GENESIS = "0" * 64
CREATED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
FAST_VENDORS = ("sqlite", "postgresql")  # the databases with a fast path (raw SQL below)


def _plain(value: Any) -> Any:
    t = type(value)
    if t is str or t is int or t is bool or value is None:  # the common cases first, without calls
        return value
    if t is dict:
        out = {}
        for k, v in value.items():
            tv = type(v)
            out[k if type(k) is str else str(k)] = (
                v if tv is str or tv is int or tv is bool or v is None else _plain(v)
            )
        return out
    if t is list:
        return [v if type(v) is str or type(v) is int else _plain(v) for v in value]
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
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


# --- the canonical content ----------------------------------------------------------------------------


def _content(rec: ChangeRecord) -> bytes:
    """The reference definition of what a record's hash covers (format v1, unchanged since the start)."""
    created = rec.created_at.astimezone(UTC).strftime(CREATED_FORMAT)
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


# The body of ``_content`` with its keys in sorted order; every %s is an already encoded JSON value.
_TEMPLATE = (
    '{"action":%s,"actor":%s,"after":%s,"before":%s,"created_at":%s,"department":%s,"jurisdiction":%s,'
    '"object_id":%s,"object_repr":%s,"object_type":%s,"prev_hash":%s,"request_id":%s,"seq":%d}'
)


def _make_value_encoder() -> Callable[[Any], str]:
    """``json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` for nested values,
    with the C encoder built once instead of per call (the same C code ``json.dumps`` runs)."""
    from json.encoder import c_make_encoder  # type: ignore[attr-defined]

    reference = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return reference.encode
    # markers=None: no cycle check; values come from JSON text or _plain, which cannot hold cycles
    chunks = c_make_encoder(None, reference.default, _json_string, None, ":", ",", True, False, True)

    def encode(value: Any) -> str:
        if value is None:
            return "null"
        return "".join(chunks(value, 0))

    return encode


_json_value = _make_value_encoder()
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner json.loads runs


def _canonical(
    *,
    seq: int,
    created: str,
    actor: str,
    department: str,
    jurisdiction: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before_json: str,
    after_json: str,
    request_id: str,
    prev_hash: str,
) -> bytes:
    """The bytes ``_content`` gives, from field values (``before_json``/``after_json`` already encoded
    by ``_json_value``, ``created`` already in ``CREATED_FORMAT``)."""
    if type(seq) is not int:  # bool or an int subclass would format differently
        raise TypeError("seq must be an int")
    s = _json_string
    return (
        _TEMPLATE
        % (
            s(action),
            s(actor),
            after_json,
            before_json,
            s(created),
            s(department),
            s(jurisdiction),
            s(object_id),
            s(object_repr),
            s(object_type),
            s(prev_hash),
            s(request_id),
            seq,
        )
    ).encode()


def _json_text(text: str | None) -> str:
    """The canonical JSON of a stored JSON document (SQLite text, PostgreSQL ``jsonb::text``)."""
    if text is None:
        return "null"
    value, end = _scan_json(text, 0)
    if end != len(text):  # json.loads would skip whitespace or fail: let the reference decide
        raise ValueError("not a bare JSON document")
    return _json_value(value)


# --- writing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    action: str
    object_type: str
    object_id: str
    object_repr: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    jurisdiction: str = ""  # the object's; the actor's when empty


@dataclass(frozen=True)
class Appended:
    """What one append did: records ``first_seq``..``last_seq``; ``last_hash`` is the new tip."""

    first_seq: int
    last_seq: int
    last_hash: str

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1


def _head_sql(conn: BaseDatabaseWrapper) -> tuple[str, str]:
    table = conn.ops.quote_name(AuditHead._meta.db_table)
    lock = (
        " FOR UPDATE" if conn.features.has_select_for_update else ""
    )  # SQLite: the write lock of BEGIN IMMEDIATE
    return (
        f"SELECT last_seq, last_hash FROM {table} WHERE id = 1{lock}",
        f"UPDATE {table} SET last_seq = %s, last_hash = %s WHERE id = 1",
    )


def _lock_head() -> AuditHead:
    """The chain's tip, locked until the transaction ends (raw SQL: it is on every write's path)."""
    conn = transaction.get_connection(router.db_for_write(AuditHead))
    with conn.cursor() as cursor:
        cursor.execute(_head_sql(conn)[0])
        row = cursor.fetchone()
    if row is None:
        AuditHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS)
        return _lock_head()
    return AuditHead(pk=1, last_seq=int(row[0]), last_hash=str(row[1]))


def _save_head(head: AuditHead) -> None:
    conn = transaction.get_connection(router.db_for_write(AuditHead))
    with conn.cursor() as cursor:
        cursor.execute(_head_sql(conn)[1], [head.last_seq, head.last_hash])


_FIELDS = (
    "seq",
    "created_at",
    "actor_username",
    "actor_department",
    "jurisdiction",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
    "prev_hash",
    "hash",
)


def _chain(items: Sequence[tuple[Actor, Change]], head: AuditHead, now: datetime) -> list[tuple[Any, ...]]:
    """The rows that append ``items`` after ``head``, hashed: ``_FIELDS`` in order, then the canonical
    JSON text of ``before`` and ``after``."""
    created = now.astimezone(UTC).strftime(CREATED_FORMAT)
    rows = []
    seq, prev = head.last_seq, head.last_hash
    for actor, ch in items:
        seq += 1
        username = actor.username[:150]
        jurisdiction = (ch.jurisdiction or actor.jurisdiction)[:6]
        object_id = str(ch.object_id)[:64]
        object_repr = ch.object_repr[:200]
        before = _plain(ch.before) if ch.before is not None else None
        after = _plain(ch.after) if ch.after is not None else None
        before_json, after_json = _json_value(before), _json_value(after)
        digest = sm3_hex(
            _canonical(
                seq=seq,
                created=created,
                actor=username,
                department=actor.department_uscc,
                jurisdiction=jurisdiction,
                action=ch.action,
                object_type=ch.object_type,
                object_id=object_id,
                object_repr=object_repr,
                before_json=before_json,
                after_json=after_json,
                request_id=actor.request_id,
                prev_hash=prev,
            )
        )
        rows.append(
            (
                seq,
                now,
                username,
                actor.department_uscc,
                jurisdiction,
                ch.action,
                ch.object_type,
                object_id,
                object_repr,
                before,
                after,
                actor.request_id,
                prev,
                digest,
                before_json,
                after_json,
            )
        )
        prev = digest
    return rows


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit records are written inside the service's transaction")


INSERT_ROWS = 500  # rows per INSERT statement (14 parameters each)


def _rows_per_insert(conn: BaseDatabaseWrapper) -> int:
    """``INSERT_ROWS``, or fewer where the database takes fewer bound parameters per statement."""
    limit = conn.features.max_query_params or 65535
    if conn.vendor == "sqlite":  # Django assumes 999; SQLite >= 3.32 takes 32766, and says so
        getlimit = getattr(conn.connection, "getlimit", None)
        if getlimit is not None:
            import sqlite3

            limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(INSERT_ROWS, limit // len(_FIELDS)))


def _append(
    items: Sequence[tuple[Actor, Change]], *, returning: bool
) -> tuple[list[tuple[Any, ...]], dict[int, int]]:
    """Lock the head, hash the records and insert them with multi-row INSERTs, no model instances.
    Returns the rows (see ``_chain``) and, when ``returning``, the id of each seq."""
    _require_transaction()
    head = _lock_head()
    now = timezone.now()
    rows = _chain(items, head, now)
    conn = transaction.get_connection(router.db_for_write(ChangeRecord))
    ops = conn.ops
    created = ops.adapt_datetimefield_value(now)

    def stored(value: Any, text: str) -> Any:
        """The JSON as written: the canonical text computed for the hash (the same JSON value Django
        would store; on SQLite the text the verifier hashes without decoding it)."""
        if value is None:
            return None
        return text if conn.vendor in FAST_VENDORS else ops.adapt_json_value(value, None)

    json_slot = "%s::jsonb" if conn.vendor == "postgresql" else "%s"
    slots = ["%s"] * len(_FIELDS)
    slots[_FIELDS.index("before")] = slots[_FIELDS.index("after")] = json_slot
    row_slots = "({})".format(", ".join(slots))
    into = "INSERT INTO {} ({}) VALUES ".format(
        ops.quote_name(ChangeRecord._meta.db_table), ", ".join(ops.quote_name(f) for f in _FIELDS)
    )
    returning = returning and conn.features.can_return_rows_from_bulk_insert
    ids: dict[int, int] = {}
    with conn.cursor() as cursor:
        per_insert = _rows_per_insert(conn)
        for start in range(0, len(rows), per_insert):
            part = rows[start : start + per_insert]
            params = [
                value
                for row in part
                for value in (
                    row[0],
                    created,
                    *row[2:9],
                    stored(row[9], row[14]),
                    stored(row[10], row[15]),
                    *row[11:14],
                )
            ]
            sql = into + ", ".join([row_slots] * len(part))
            cursor.execute(sql + " RETURNING seq, id" if returning else sql, params)
            if returning:
                ids.update(cursor.fetchall())
    head.last_seq, head.last_hash = rows[-1][0], rows[-1][13]
    _save_head(head)
    return rows, ids


def record_many(*, actor: Actor, changes: Iterable[Change]) -> list[ChangeRecord]:
    """Append changes to the chain; must run inside the caller's transaction."""
    items = [(actor, ch) for ch in changes]
    if not items:
        _require_transaction()
        return []
    rows, ids = _append(items, returning=True)
    alias = router.db_for_write(ChangeRecord)
    if len(ids) < len(rows):  # pragma: no cover - a database without INSERT ... RETURNING
        ids = dict(
            ChangeRecord.objects.using(alias)
            .filter(seq__gte=rows[0][0], seq__lte=rows[-1][0])
            .values_list("seq", "id")
        )
    records = []
    for row in rows:
        rec = ChangeRecord(id=ids[row[0]], **dict(zip(_FIELDS, row[:14], strict=True)))
        rec._state.adding, rec._state.db = False, alias
        records.append(rec)
    return records


def append_batch(items: Iterable[tuple[Actor, Change]]) -> Appended | None:
    """Append records of possibly different actors (the gateway's group commit): one head lock, one
    multi-row insert, no model instances. The chain is the one ``record_many`` per item would give,
    with one ``created_at`` for the batch. Must run inside the caller's transaction: the records are
    durable when it commits."""
    batch = list(items)
    if not batch:
        _require_transaction()
        return None
    rows, _ = _append(batch, returning=False)
    return Appended(first_seq=rows[0][0], last_seq=rows[-1][0], last_hash=rows[-1][13])


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


# --- verifying ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    record_id: int | None
    message: str


def _gap(expected_seq: int, record_id: int, seq: Any) -> ChainProblem:
    return ChainProblem(
        expected_seq, record_id, f"缺少序号 {expected_seq} 的记录（下一条为 #{seq}），记录被删除或重排"
    )


def _bad_link(seq: int, record_id: int) -> ChainProblem:
    return ChainProblem(seq, record_id, f"记录 #{seq} 的前序哈希与上一条记录不符，记录被删除、插入或重排")


def _bad_content(seq: int, record_id: int) -> ChainProblem:
    return ChainProblem(seq, record_id, f"记录 #{seq} 的内容与其 SM3 哈希不符，记录被直接修改")


def _bad_tail(head_seq: int, last_seq: int) -> ChainProblem:
    return ChainProblem(
        last_seq + 1, None, f"链尾应为 #{head_seq}，实际为 #{last_seq}：末尾的记录被删除或修改"
    )


def iter_problems() -> Iterator[ChainProblem]:
    """The reference walk through the ORM, one record at a time (slow; ``verify_chain`` is the fast one
    and the tests hold the two to the same answers)."""
    expected_seq, prev = 1, GENESIS
    for rec in ChangeRecord.objects.order_by("seq", "id").iterator(chunk_size=2000):
        if rec.seq != expected_seq:
            yield _gap(expected_seq, rec.pk, rec.seq)
            return
        if rec.prev_hash != prev:
            yield _bad_link(rec.seq, rec.pk)
            return
        if compute_hash(rec) != rec.hash:
            yield _bad_content(rec.seq, rec.pk)
            return
        prev = rec.hash
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev):
        yield _bad_tail(head.last_seq, last_seq)


MAX_SEQ = 2**63 - 1
SEGMENT_ROWS = 250_000  # records one worker checks per task, at most
MIN_SEGMENT_ROWS = 50_000  # and at least (fewer are not worth a process)
CHUNK_ROWS = 20_000  # records fetched per query
SQLITE_MMAP_BYTES = 2**30


@dataclass(frozen=True)
class Segment:
    """Records with ``after < seq <= upto`` (no lower bound when ``after`` is None)."""

    after: int | None
    upto: int


@dataclass(frozen=True)
class SegmentResult:
    count: int  # records checked and found good
    first: tuple[int, int, str] | None  # (seq, id, prev_hash) of the segment's first record
    last: tuple[int, str] | None  # (seq, hash) of its last good record
    problem: ChainProblem | None


def _content_sql(vendor: str) -> tuple[str, str]:
    """SQL for the canonical text before ``after`` and after ``before`` (the database quotes the strings;
    SQLite's ``json_quote`` and PostgreSQL's ``to_json`` give what Python's ``encode_basestring`` gives,
    and wherever one would not, the hash does not match and the record goes to the next check)."""
    if vendor == "sqlite":
        quote = "json_quote({})".format
        # the canonical created_at from the stored "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC, ASCII); any
        # other text gives null, which never matches
        created = (
            "CASE WHEN substr(created_at, 11, 1) = ' ' THEN"
            " CASE length(CAST(created_at AS BLOB))"
            " WHEN 26 THEN substr(created_at, 1, 10) || 'T' || substr(created_at, 12, 15) || 'Z'"
            " WHEN 19 THEN substr(created_at, 1, 10) || 'T' || substr(created_at, 12, 8) || '.000000Z'"
            " END END"
        )
        seq = "seq"
    else:
        quote = "to_json(({})::text)::text".format
        created = """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        seq = "seq::text"
    head = (
        f"""'{{"action":' || {quote("action")} || ',"actor":' || {quote("actor_username")} || ',"after":'"""
    )
    tail = " || ".join(
        [
            f"""',"created_at":' || {quote(created)}""",
            f"""',"department":' || {quote("actor_department")}""",
            f"""',"jurisdiction":' || {quote("jurisdiction")}""",
            f"""',"object_id":' || {quote("object_id")}""",
            f"""',"object_repr":' || {quote("object_repr")}""",
            f"""',"object_type":' || {quote("object_type")}""",
            f"""',"prev_hash":' || {quote("prev_hash")}""",
            f"""',"request_id":' || {quote("request_id")}""",
            f"""',"seq":' || {seq} || '}}'""",
        ]
    )
    return head, tail


WHOLE, PIECES = "whole", "pieces"
_FIRST_SHAPE = {"sqlite": WHOLE, "postgresql": PIECES}  # how a segment is read at first


def _select_sql(vendor: str, shape: str, where: str) -> str:
    """Rows as (id, seq, prev_hash, hash, ...): for ``PIECES`` the text before ``after``, ``after``,
    ``before`` and the text after ``before``; for ``WHOLE`` (SQLite) first the candidate content as
    bytes, with the stored ``after`` text as it is, when ``before`` is null, and the pieces otherwise.
    ``where``: "first" (seq <= %s), "next" (seq > %s AND seq <= %s) or "id" (id = %s)."""
    head, tail = _content_sql(vendor)
    if shape == WHOLE:  # the pieces too, where there is a "before" (which is decoded and encoded)
        columns = (
            f"""CASE WHEN "before" IS NULL THEN CAST({head} || coalesce("after", 'null')"""
            f""" || ',"before":null' || {tail} AS BLOB) END,"""
            f""" CASE WHEN "before" IS NOT NULL THEN {head} END,"""
            f""" CASE WHEN "before" IS NOT NULL THEN "after" END, "before","""
            f""" CASE WHEN "before" IS NOT NULL THEN {tail} END"""
        )
    elif vendor == "sqlite":
        columns = f'{head}, "after", "before", {tail}'
    else:
        columns = f'{head}, "after"::text, "before"::text, {tail}'
    condition = {"first": "seq <= %s", "next": "seq > %s AND seq <= %s", "id": "id = %s"}[where]
    limit = "" if where == "id" else f" ORDER BY seq LIMIT {CHUNK_ROWS}"
    table = ChangeRecord._meta.db_table
    return f'SELECT id, seq, prev_hash, hash, {columns} FROM "{table}" WHERE {condition}{limit}'


def _pieces_ok(head: str, after: str | None, before: str | None, tail: str, digest: str, raw: bool) -> bool:
    """Whether the content from its pieces hashes to ``digest``: with the stored ``after`` text as it is
    when ``raw`` (and it does not look like Django's default spacing), then decoded and encoded again."""
    try:
        b = ',"before":null' if before is None else ',"before":' + _json_text(before)
        if after is None:
            return sm3_hex((head + "null" + b + tail).encode()) == digest
        if raw and '": ' not in after and sm3_hex((head + after + b + tail).encode()) == digest:
            return True
        return sm3_hex((head + _json_text(after) + b + tail).encode()) == digest
    except Exception:  # a NULL piece, JSON that does not decode: the reference decides
        return False


def _reference_ok(alias: str, record_id: int) -> bool:
    """The reference check of one record, through the ORM, when the fast content did not match (an
    edited record, or stored values in a shape the fast path does not take)."""
    try:
        rec = ChangeRecord.objects.using(alias).filter(pk=record_id).first()
        return rec is not None and compute_hash(rec) == rec.hash
    except Exception:  # a value the ORM cannot read back is as bad as a wrong hash
        return False


class _Walk:
    """The state of a walk through one segment."""

    def __init__(self, expected_seq: int, prev: str | None) -> None:
        self.expected_seq = expected_seq
        self.prev = prev
        self.count = 0
        self.first: tuple[int, int, str] | None = None
        self.problem: ChainProblem | None = None
        self.misses = 0  # records whose first try did not match (in the last chunk)

    def result(self) -> SegmentResult:
        last = None if self.count == 0 or self.prev is None else (self.expected_seq - 1, self.prev)
        return SegmentResult(self.count, self.first, last, self.problem)


def _walk_whole(walk: _Walk, rows: list[tuple[Any, ...]], cursor: Any, alias: str, vendor: str) -> None:
    expected, prev, count, misses, digest_of = walk.expected_seq, walk.prev, walk.count, 0, sm3_hex
    if walk.first is None and rows:
        walk.first = (rows[0][1], rows[0][0], rows[0][2])
    try:
        for rid, seq, link, h, content, head, after, before, tail in rows:
            if seq != expected:
                walk.problem = _gap(expected, rid, seq)
                return
            if prev is not None and link != prev:
                walk.problem = _bad_link(seq, rid)
                return
            if content is not None:
                good = digest_of(content) == h
                if not good:  # the stored after text is not the canonical one: decode it
                    misses += 1
                    cursor.execute(_select_sql(vendor, PIECES, "id"), [rid])
                    p = cursor.fetchone()
                    good = p is not None and _pieces_ok(p[4], p[5], p[6], p[7], h, raw=False)
            else:
                good = _pieces_ok(head, after, before, tail, h, raw=True)
            if not good and not _reference_ok(alias, rid):
                walk.problem = _bad_content(seq, rid)
                return
            prev = h
            expected += 1
            count += 1
    finally:
        walk.expected_seq, walk.prev, walk.count, walk.misses = expected, prev, count, misses


def _walk_pieces(walk: _Walk, rows: list[tuple[Any, ...]], alias: str, raw: bool) -> None:
    expected, prev, count, misses = walk.expected_seq, walk.prev, walk.count, 0
    if walk.first is None and rows:
        walk.first = (rows[0][1], rows[0][0], rows[0][2])
    try:
        for rid, seq, link, h, head, after, before, tail in rows:
            if seq != expected:
                walk.problem = _gap(expected, rid, seq)
                return
            if prev is not None and link != prev:
                walk.problem = _bad_link(seq, rid)
                return
            if after is not None and '": ' in after:
                misses += 1  # not the canonical text
            if not _pieces_ok(head, after, before, tail, h, raw) and not _reference_ok(alias, rid):
                walk.problem = _bad_content(seq, rid)
                return
            prev = h
            expected += 1
            count += 1
    finally:
        walk.expected_seq, walk.prev, walk.count, walk.misses = expected, prev, count, misses


@contextlib.contextmanager
def _sqlite_mmap(cursor: Any, vendor: str) -> Iterator[None]:
    """Read SQLite pages through mmap while walking (about 10 % less CPU than read() copies)."""
    if vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA mmap_size")
    before = cursor.fetchone()[0]
    cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA mmap_size = {int(before)}")


def _check_segment(alias: str, segment: Segment, expected_seq: int, prev: str | None) -> SegmentResult:
    """Walk one segment as ``iter_problems`` walks the chain, from ``expected_seq`` and ``prev`` (None:
    the first record's link is checked by the caller, who knows the previous segment's last hash).

    On SQLite a record is first hashed from one column the database builds with the stored ``after``
    text as it is (``append_batch`` and ``record_many`` store the canonical text); chunks where that
    mostly misses (older records stored with Django's default JSON spacing) are read in pieces and
    ``after`` is decoded and encoded again, as always on PostgreSQL, whose jsonb text is never the
    canonical one. What still does not match goes through the ORM and ``compute_hash``. A match at
    any step is a match of ``_content``: JSON values delimit themselves, so equal bytes mean equal
    fields (docs/audit.md)."""
    conn = connections[alias]
    vendor = conn.vendor
    walk = _Walk(expected_seq, prev)
    shape = _FIRST_SHAPE.get(vendor, PIECES)
    after_seq = segment.after
    with conn.cursor() as cursor, _sqlite_mmap(cursor, vendor):
        while walk.problem is None:
            where = "first" if after_seq is None else "next"
            params = [segment.upto] if after_seq is None else [after_seq, segment.upto]
            cursor.execute(_select_sql(vendor, shape, where), params)
            rows = cursor.fetchall()
            if not rows:
                break
            if shape == WHOLE:
                _walk_whole(walk, rows, cursor, alias, vendor)
                if walk.misses * 20 > len(rows):  # over 5 %: read the next chunk in pieces
                    shape = PIECES
            else:
                _walk_pieces(walk, rows, alias, raw=vendor == "sqlite")
                if vendor == "sqlite" and walk.misses * 20 < len(rows):  # mostly canonical again
                    shape = WHOLE
            if len(rows) < CHUNK_ROWS:
                break
            after_seq = rows[-1][1]
    return walk.result()


def plan_segments(limit: int, segment_rows: int) -> list[Segment]:
    """Seq ranges of ``segment_rows`` up to ``limit``; the first has no lower bound."""
    if limit <= segment_rows:
        return [Segment(None, limit)]
    bounds = [*range(segment_rows, limit, segment_rows), limit]
    return [Segment(None, bounds[0]), *(Segment(a, b) for a, b in itertools.pairwise(bounds))]


def _start(segment: Segment) -> tuple[int, str | None]:
    return (1, GENESIS) if segment.after is None else (segment.after + 1, None)


# In a worker process: the parent's connection wrapper, kept referenced so it is never closed from here.
_inherited: list[Any] = []

# How long the parent waits between looks at a worker that has not answered yet.
_WORKER_POLL_SECONDS = 0.5


def _worker_main(alias: str, settings_dict: dict[str, Any], segment: Segment, answer: Any) -> None:
    """A forked worker: its own connection, one segment, the result (or the error) sent back."""
    from django.db.utils import load_backend

    _inherited.append(connections[alias])
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(dict(settings_dict), alias)
    connections[alias] = wrapper
    try:
        try:
            expected, prev = _start(segment)
            message: tuple[str, Any] = ("ok", _check_segment(alias, segment, expected, prev))
        except BaseException as exc:  # the parent raises it: a worker must never die silently
            message = ("error", f"{type(exc).__name__}: {exc}")
        answer.send(message)
    finally:
        answer.close()
        wrapper.close()


def _worker_answer(process: Any, answer: Any, segment: Segment) -> SegmentResult:
    """The worker's result; a worker that died or failed is an error naming its segment, never a wait."""
    where = f"审计链校验的工作进程（记录 {(segment.after or 0) + 1} 至 {segment.upto}）"
    while not answer.poll(_WORKER_POLL_SECONDS) and process.is_alive():
        pass
    message: tuple[str, Any] = ("died", None)
    with contextlib.suppress(EOFError):  # EOF: it exited without a word
        if answer.poll(0):
            message = answer.recv()
    kind, value = message
    if kind == "died":
        process.join(_WORKER_POLL_SECONDS)
        raise RuntimeError(f"{where}未返回结果即退出（退出码 {process.exitcode}）")
    if kind == "error":
        raise RuntimeError(f"{where}出错：{value}")
    assert isinstance(value, SegmentResult)
    return value


def _can_fork(conn: BaseDatabaseWrapper) -> bool:
    if conn.in_atomic_block:  # other connections would not see this transaction's rows
        return False
    if conn.vendor == "sqlite" and getattr(conn, "is_in_memory_db", lambda: False)():
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _segment_results(
    alias: str, segments: list[Segment], workers: int
) -> Generator[SegmentResult, None, None]:
    """Results in seq order. With workers, up to ``workers`` forked processes run at once, one per
    segment, each answering on its own pipe; when the caller stops early (a problem found) or anything
    fails, the ones still running are killed. No ``multiprocessing.Pool``: its ``terminate`` can wait
    forever on a worker holding the task queue's lock, and it never notices a worker that died."""
    conn = connections[alias]
    if workers <= 1 or len(segments) <= 1 or not _can_fork(conn):
        for segment in segments:
            yield _check_segment(alias, segment, *_start(segment))
        return
    ctx = multiprocessing.get_context("fork")
    settings_dict = dict(conn.settings_dict)
    pending = iter(segments)
    running: collections.deque[tuple[Any, Any, Segment]] = collections.deque()

    def start(segment: Segment) -> None:
        answer, sender = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_worker_main, args=(alias, settings_dict, segment, sender), daemon=True)
        process.start()
        sender.close()  # the parent keeps only its end, so a dead worker reads as EOF
        running.append((process, answer, segment))

    try:
        for segment in itertools.islice(pending, workers):
            start(segment)
        while running:
            process, answer, segment = running[0]
            result = _worker_answer(process, answer, segment)
            running.popleft()
            answer.close()
            process.join()
            following = next(pending, None)
            if following is not None:
                start(following)
            yield result
    finally:
        for process, _answer, _segment in running:
            process.kill()
        for process, answer, _segment in running:
            process.join()
            answer.close()


def _read_head(alias: str) -> tuple[int, str] | None:
    head = AuditHead.objects.using(alias).filter(pk=1).values_list("last_seq", "last_hash").first()
    return None if head is None else (head[0], head[1])


def verify_chain(*, workers: int = 1, segment_rows: int | None = None) -> tuple[int, ChainProblem | None]:
    """Check the whole chain; (records checked, the first problem or None).

    Gives the same first problem as ``iter_problems``. With ``workers`` > 1 the seq ranges of
    ``segment_rows`` records (by default about four per worker, 50,000 to 250,000) are checked in that
    many forked processes, each on its own connection, and joined in seq order: a segment's first
    record must follow the previous segment's last. Inside a transaction, whose rows other
    connections cannot see, the segments are checked in this process. Records appended while it runs
    are checked too, up to the head read at the end.
    """
    alias = router.db_for_read(ChangeRecord)
    if connections[alias].vendor not in FAST_VENDORS:  # pragma: no cover - the reference walk
        return ChangeRecord.objects.using(alias).count(), next(iter_problems(), None)
    head = _read_head(alias)
    if head is not None:
        limit = head[0]
    else:
        limit = ChangeRecord.objects.using(alias).aggregate(m=models.Max("seq"))["m"] or 0
    if segment_rows is None:  # about four segments per worker, so that a slow one does not hold all
        segment_rows = min(SEGMENT_ROWS, max(MIN_SEGMENT_ROWS, -(-limit // (4 * max(1, workers)))))
    segments = plan_segments(limit, max(1, segment_rows))
    expected, prev, count = 1, GENESIS, 0
    problem: ChainProblem | None = None
    results = _segment_results(alias, segments, workers)
    try:
        for result in results:
            if result.first is None:
                continue
            seq, rid, link = result.first
            if seq != expected:
                problem = _gap(expected, rid, seq)
            elif link != prev:
                problem = _bad_link(seq, rid)
            else:
                problem = result.problem
            if problem is not None:
                break
            assert result.last is not None
            count += result.count
            expected, prev = result.last[0] + 1, result.last[1]
    finally:
        results.close()  # stops the workers when a problem was found early
    if problem is None:
        # The tail: records past the head read at the start (appended since, or not chained at all),
        # then the head itself; a head that moved on meanwhile is followed a few times.
        for _ in range(3):
            tail = _check_segment(alias, Segment(expected - 1, MAX_SEQ), expected, prev)
            if tail.problem is not None:
                problem = tail.problem
                break
            if tail.last is not None:
                count += tail.count
                expected, prev = tail.last[0] + 1, tail.last[1]
            head = _read_head(alias)
            if head is None or head == (expected - 1, prev) or head[0] < expected:
                break
        if problem is None and head is not None and head != (expected - 1, prev):
            problem = _bad_tail(head[0], expected - 1)
    if problem is not None:
        count = ChangeRecord.objects.using(alias).count()
    return count, problem


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
