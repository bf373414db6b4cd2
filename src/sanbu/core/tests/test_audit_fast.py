"""The fast audit paths against their references.

- the canonical bytes built from a template (writing) and by the database (verifying) equal ``_content``;
- ``verify_chain`` over segments, in-process and in forked workers, names the same first problem as the
  reference ORM walk ``iter_problems``, for edits, deletions, reorderings and insertions anywhere;
- ``append_batch`` (the gateway's group commit) gives the chain ``record_many`` per entry gives.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanbu.core import audit, sm3
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.models import AuditHead, ChangeRecord

pytestmark = pytest.mark.django_db


# --- pure: canonical bytes --------------------------------------------------------------------------


def _json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False)
    )
    return st.recursive(
        scalars | text,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=5),
        max_leaves=12,
    )


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = _json_values(st.text(max_size=8))
json_docs = st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=6)
moments = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC))


def _record(**fields: Any) -> ChangeRecord:
    return ChangeRecord(**fields)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(min_value=1, max_value=2**62),
    created=moments,
    strings=st.lists(st.text(), min_size=9, max_size=9),
    before=json_docs,
    after=json_docs,
)
def test_template_equals_reference_content(
    seq: int, created: datetime, strings: list[str], before: Any, after: Any
) -> None:
    actor, dept, jur, action, otype, oid, orepr, request_id, prev = strings
    reference = audit._content(
        _record(
            seq=seq,
            created_at=created,
            actor_username=actor,
            actor_department=dept,
            jurisdiction=jur,
            action=action,
            object_type=otype,
            object_id=oid,
            object_repr=orepr,
            before=before,
            after=after,
            request_id=request_id,
            prev_hash=prev,
        )
    )
    fast = audit._canonical(
        seq=seq,
        created=created.strftime(audit.CREATED_FORMAT),
        actor=actor,
        department=dept,
        jurisdiction=jur,
        action=action,
        object_type=otype,
        object_id=oid,
        object_repr=orepr,
        before_json=audit._json_value(before),
        after_json=audit._json_value(after),
        request_id=request_id,
        prev_hash=prev,
    )
    assert fast == reference


@settings(max_examples=300, deadline=None)
@given(doc=json_docs)
def test_stored_json_text_gives_the_canonical_text(doc: Any) -> None:
    """As SQLite holds it (Django's json.dumps, or the canonical text) and as PostgreSQL's jsonb::text
    looks (other key order, spaces, no escaping): decoding and encoding again gives the canonical."""
    canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if doc is None:
        assert audit._json_value(doc) == "null"
        return
    reordered = dict(reversed(list(doc.items())))
    for stored in (json.dumps(doc), canonical, json.dumps(reordered, ensure_ascii=False)):
        assert audit._json_text(stored) == canonical
    assert audit._json_value(doc) == canonical


def _plain_reference(value: Any) -> Any:
    """``_plain`` as it was before its fast path (the definition)."""
    from django.db import models

    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain_reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain_reference(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


python_values = st.recursive(
    json_scalars | st.decimals(allow_nan=False) | st.dates() | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers() | st.booleans() | st.none(), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=python_values)
def test_plain_fast_path_equals_its_definition(value: Any) -> None:
    assert audit._plain(value) == _plain_reference(value)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000))
def test_sm3_implementations_agree(data: bytes) -> None:
    assert sm3.sm3_hex(data) == sm3.sm3_hex_cryptography(data)


def test_sm3_both_implementations_match_the_standard_vector() -> None:
    assert sm3.sm3_hex(b"abc") == sm3.ABC_VECTOR == sm3.sm3_hex_cryptography(b"abc")


# --- the database builds the same bytes --------------------------------------------------------------

# PostgreSQL text and jsonb cannot hold NUL
_db_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
_db_docs = st.none() | st.dictionaries(_db_text, _json_values(_db_text), max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    strings=st.lists(_db_text, min_size=6, max_size=6),
    before=_db_docs,
    after=_db_docs,
    whole_second=st.booleans(),
)
def test_honest_records_verify_without_the_reference(
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    strings: list[str],
    before: Any,
    after: Any,
    whole_second: bool,
) -> None:
    """Whatever a record holds, the bytes the database builds for it hash to its stored hash: the
    ORM reference is never needed for records written by this code."""
    username, uscc, jur, action, oid, orepr = strings
    now = audit.timezone.now()
    if whole_second:  # SQLite then stores "YYYY-MM-DD HH:MM:SS", without the fraction
        now = now.replace(microsecond=0)
    monkeypatch.setattr(audit.timezone, "now", lambda: now)

    def no_reference(alias: str, record_id: int) -> bool:
        raise AssertionError(f"the reference check was needed for record {record_id}")

    monkeypatch.setattr(audit, "_reference_ok", no_reference)
    actor = Actor(user_id=None, username=username, department_uscc=uscc, jurisdiction=jur, request_id=oid)
    change = audit.Change(action, "x.y", oid, orepr, before=before, after=after)
    with transaction.atomic():
        audit.record_many(actor=actor, changes=[change])
    assert audit.verify_chain() == (ChangeRecord.objects.count(), None)
    rec = ChangeRecord.objects.order_by("-seq").first()
    # Django reads back what _plain made of them
    assert rec is not None and (rec.before, rec.after) == (audit._plain(before), audit._plain(after))


# --- verify_chain against the reference walk ---------------------------------------------------------


def _entries(n: int, start: int = 0) -> list[tuple[Actor, audit.Change]]:
    """Gateway-like entries, each of its own app (actor) and request id."""
    out = []
    for i in range(start, start + n):
        actor = Actor(
            user_id=None,
            username=f"app:ak_{i % 7:04d}",
            department_uscc=f"11370300MB28{i % 5:05d}X",
            jurisdiction="370300" if i % 2 else "370303",
            request_id=f"req-{i:06d}",
        )
        after = {
            "app": i % 7,
            "app_key": f"ak_{i % 7:04d}",
            "items": ["XM", "GMSFHM"],
            "key_hash": f"{i:064x}",
            "filters": [],
            "rows": i % 3,
            "purpose": "办理社会保障卡业务时核验申请人身份信息" if i % 3 else "",
            "grant": None if i % 4 == 0 else i,
            "outcome": "granted",
            "status": 200,
        }
        out.append((actor, audit.Change("gateway.access", "catalog.resource", str(1000 + i), after=after)))
    return out


@pytest.fixture
def long_chain(db: Any) -> list[ChangeRecord]:
    with transaction.atomic():
        audit.append_batch(_entries(10))
        audit.record_many(
            actor=SYSTEM, changes=[audit.Change("orgs.department.create", "orgs.department", "7")]
        )
        audit.append_batch(_entries(9, start=10))
    records = list(ChangeRecord.objects.order_by("seq"))
    assert [r.seq for r in records] == list(range(1, 21))
    return records


def _reference() -> tuple[int, audit.ChainProblem | None]:
    return ChangeRecord.objects.count(), next(audit.iter_problems(), None)


def _check(segment_rows: int, workers: int = 1) -> audit.ChainProblem | None:
    fast = audit.verify_chain(workers=workers, segment_rows=segment_rows)
    assert fast == _reference()
    return fast[1]


def test_intact_long_chain_verifies_in_segments(long_chain: list[ChangeRecord]) -> None:
    for rows in (1, 3, 4, 7, 20, 100):
        assert audit.verify_chain(segment_rows=rows) == (20, None)
    assert _reference() == (20, None)


def test_edit_in_the_second_segment_is_named(long_chain: list[ChangeRecord]) -> None:
    victim = long_chain[5]  # seq 6: the second of four segments of 5
    ChangeRecord.objects.filter(pk=victim.pk).update(object_repr="改过的")
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 6 and problem.record_id == victim.pk
    assert "#6" in problem.message and "直接修改" in problem.message


def test_first_problem_wins_over_later_segments(long_chain: list[ChangeRecord]) -> None:
    ChangeRecord.objects.filter(seq=17).update(actor_username="mallory")
    ChangeRecord.objects.filter(seq=8).update(actor_username="mallory")
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 8


@pytest.mark.parametrize("seq", [5, 6, 10, 11, 1])
def test_deleted_record_at_a_segment_boundary(long_chain: list[ChangeRecord], seq: int) -> None:
    """Segments of 5: seq 5 ends the first, 6 starts the second."""
    ChangeRecord.objects.filter(seq=seq).delete()
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == seq and "删除" in problem.message


def test_deleted_whole_segment(long_chain: list[ChangeRecord]) -> None:
    ChangeRecord.objects.filter(seq__gte=6, seq__lte=10).delete()
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 6 and "下一条为 #11" in problem.message


def test_reordered_across_a_boundary(long_chain: list[ChangeRecord]) -> None:
    with transaction.atomic():
        ChangeRecord.objects.filter(seq=5).update(seq=-5)
        ChangeRecord.objects.filter(seq=6).update(seq=5)
        ChangeRecord.objects.filter(seq=-5).update(seq=6)
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 5


def test_moved_out_of_range_record(long_chain: list[ChangeRecord]) -> None:
    """A record moved before the start (seq 0) is found first, as the reference walk finds it."""
    ChangeRecord.objects.filter(seq=12).update(seq=0)
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 1 and "下一条为 #0" in problem.message


def test_inserted_record_is_detected(long_chain: list[ChangeRecord]) -> None:
    """A forged record slipped in at 11 (the others moved up) breaks the next link."""
    with transaction.atomic():
        for rec in reversed(long_chain[10:]):
            ChangeRecord.objects.filter(pk=rec.pk).update(seq=rec.seq + 1)
        forged = ChangeRecord(**{f: getattr(long_chain[9], f) for f in audit._FIELDS if f != "seq"})
        forged.seq, forged.prev_hash = 11, long_chain[9].hash
        forged.hash = audit.compute_hash(forged)
        forged.save()
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 12 and "前序哈希" in problem.message


def test_rewritten_hash_breaks_the_link_into_the_next_segment(long_chain: list[ChangeRecord]) -> None:
    rec = ChangeRecord.objects.get(seq=10)
    rec.action = "orgs.department.delete"
    rec.hash = audit.compute_hash(rec)
    rec.save()
    problem = _check(segment_rows=5)
    assert problem is not None and problem.seq == 11 and "前序哈希" in problem.message


def test_tail_problems(long_chain: list[ChangeRecord]) -> None:
    with transaction.atomic():
        ChangeRecord.objects.filter(seq=20).delete()
        problem = _check(segment_rows=5)
        assert problem is not None and "链尾应为 #20，实际为 #19" in problem.message
        transaction.set_rollback(True)
    # a record appended without moving the head
    with transaction.atomic():
        head = AuditHead.objects.get(pk=1)
        audit.append_batch(_entries(1, start=50))
        AuditHead.objects.filter(pk=1).update(last_seq=head.last_seq, last_hash=head.last_hash)
        problem = _check(segment_rows=5)
        assert problem is not None and "链尾应为 #20，实际为 #21" in problem.message
        transaction.set_rollback(True)


@pytest.mark.parametrize("chunk_rows", [3, 20_000])
def test_records_written_the_old_way_verify(
    db: Any, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    """Records stored with Django's default JSON text (before ``append_batch`` stored the canonical
    text) are read in pieces (small chunks: switching between the two ways of reading and back); a
    chain mixing both verifies, and an edit among them is still named."""
    monkeypatch.setattr(audit, "CHUNK_ROWS", chunk_rows)
    with transaction.atomic():
        head = audit._lock_head()
        rows = audit._chain(_entries(30), head, audit.timezone.now())
        ChangeRecord.objects.bulk_create(
            ChangeRecord(**dict(zip(audit._FIELDS, r[:14], strict=True))) for r in rows
        )
        AuditHead.objects.filter(pk=1).update(last_seq=rows[-1][0], last_hash=rows[-1][13])
        audit.append_batch(_entries(5, start=30))
    stored = ChangeRecord.objects.filter(seq=1).extra(select={"raw": '"after"'}).values_list("raw", flat=True)
    if connection.vendor == "sqlite":
        assert '": ' in stored[0]  # Django's spacing, not the canonical text
    for rows_per_segment in (4, 100):
        assert audit.verify_chain(segment_rows=rows_per_segment) == (35, None)
    ChangeRecord.objects.filter(seq=13).update(request_id="forged")
    assert _check(segment_rows=4) is not None and _check(segment_rows=4).seq == 13  # type: ignore[union-attr]


TAMPERS = ["edit", "edit_after", "edit_created", "delete", "swap", "rehash", "relink", "extra_tail"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tamper=st.sampled_from(TAMPERS),
    seq=st.integers(min_value=1, max_value=20),
    segment_rows=st.integers(min_value=1, max_value=25),
    pieces=st.booleans(),
)
def test_any_tampering_is_named_as_the_reference_names_it(
    long_chain: list[ChangeRecord],
    monkeypatch: pytest.MonkeyPatch,
    tamper: str,
    seq: int,
    segment_rows: int,
    pieces: bool,
) -> None:
    # both ways of reading SQLite rows (PostgreSQL rows are always read in pieces)
    monkeypatch.setitem(audit._FIRST_SHAPE, "sqlite", audit.PIECES if pieces else audit.WHOLE)
    with transaction.atomic():
        rows = ChangeRecord.objects.filter(seq=seq)
        rec = rows.get()
        if tamper == "edit":
            rows.update(object_id=rec.object_id + "0")
        elif tamper == "edit_after":
            rows.update(after={**(rec.after or {}), "rows": 999})
        elif tamper == "edit_created":  # the same instant, written another way
            with connection.cursor() as cur:
                cur.execute(
                    "UPDATE core_changerecord SET created_at = %s WHERE id = %s",
                    [rec.created_at.replace(microsecond=0), rec.pk],
                )
        elif tamper == "delete":
            rows.delete()
        elif tamper == "swap" and seq < 20:
            rows.update(seq=-1)
            ChangeRecord.objects.filter(seq=seq + 1).update(seq=seq)
            ChangeRecord.objects.filter(seq=-1).update(seq=seq + 1)
        elif tamper == "rehash":
            rec.object_repr = "改"
            rec.hash = audit.compute_hash(rec)
            rec.save()
        elif tamper == "relink":
            rows.update(prev_hash="f" * 64)
        elif tamper == "extra_tail":
            audit.append_batch(_entries(2, start=90))
            AuditHead.objects.filter(pk=1).update(last_seq=20, last_hash=long_chain[-1].hash)
        _check(segment_rows=segment_rows)
        transaction.set_rollback(True)


def test_records_appended_while_verifying_are_checked(
    long_chain: list[ChangeRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head read at the start bounds the segments; records committed meanwhile are walked after
    them and the head is read again, so a live gateway does not make the check fail."""
    original = audit._segment_results

    def appending(alias: str, segments: list[audit.Segment], workers: int) -> Iterator[audit.SegmentResult]:
        for i, result in enumerate(original(alias, segments, workers)):
            if i == 0:
                with transaction.atomic():
                    audit.append_batch(_entries(3, start=40))
            yield result

    monkeypatch.setattr(audit, "_segment_results", appending)
    assert audit.verify_chain(segment_rows=5) == (23, None)


# --- forked workers ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_workers_name_the_first_problem() -> None:
    """Real worker processes on their own connections (the rows are committed)."""
    with transaction.atomic():
        audit.append_batch(_entries(40))
    try:
        assert audit.verify_chain(workers=2, segment_rows=7) == (40, None)
        victim = ChangeRecord.objects.get(seq=12)  # the second segment
        ChangeRecord.objects.filter(pk=victim.pk).update(actor_username="mallory")
        ChangeRecord.objects.filter(seq=30).delete()  # a later one must not win
        count, problem = audit.verify_chain(workers=2, segment_rows=7)
        assert (count, problem) == _reference()
        assert problem is not None and problem.seq == 12 and problem.record_id == victim.pk
        ChangeRecord.objects.filter(pk=victim.pk).delete()  # now a gap at 12
        problem = audit.verify_chain(workers=2, segment_rows=6)[1]  # 12 ends the second segment
        assert problem is not None and problem.seq == 12 and "删除" in problem.message
        assert connection.is_usable()  # the workers did not touch the parent's connection
    finally:
        ChangeRecord.objects.all().delete()
        AuditHead.objects.all().delete()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_stopped_early_leave_no_process_behind() -> None:
    """A problem in the first segment stops the walk; the workers still running are killed, not
    waited on (multiprocessing.Pool's terminate could wait forever here)."""
    with transaction.atomic():
        audit.append_batch(_entries(60))
    try:
        ChangeRecord.objects.filter(seq=2).update(actor_username="mallory")
        problem = audit.verify_chain(workers=2, segment_rows=5)[1]
        assert problem is not None and problem.seq == 2
        assert multiprocessing.active_children() == []
    finally:
        ChangeRecord.objects.all().delete()
        AuditHead.objects.all().delete()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("how", ["dies", "raises"])
def test_a_worker_that_dies_or_fails_is_an_error_not_a_wait(
    how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction.atomic():
        audit.append_batch(_entries(20))
    original = audit._check_segment

    def broken(alias: str, segment: audit.Segment, expected: int, prev: str | None) -> audit.SegmentResult:
        if segment.after == 7:  # the second segment, in a worker
            if how == "dies":
                os._exit(3)
            raise ValueError("磁盘已满")
        return original(alias, segment, expected, prev)

    monkeypatch.setattr(audit, "_check_segment", broken)
    try:
        with pytest.raises(RuntimeError) as caught:
            audit.verify_chain(workers=2, segment_rows=7)
        expected = "退出码 3" if how == "dies" else "ValueError: 磁盘已满"
        assert expected in str(caught.value) and "14" in str(caught.value)
        assert multiprocessing.active_children() == []
    finally:
        ChangeRecord.objects.all().delete()
        AuditHead.objects.all().delete()


# --- writing -----------------------------------------------------------------------------------------


def test_batch_append_gives_the_chain_of_one_by_one(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    now = audit.timezone.now()
    monkeypatch.setattr(audit.timezone, "now", lambda: now)
    entries = _entries(25)

    def build(batch: bool) -> list[tuple[Any, ...]]:
        with transaction.atomic():
            if batch:
                appended = audit.append_batch(entries)
                assert appended is not None and appended.count == 25
            else:
                for actor, change in entries:
                    audit.record_many(actor=actor, changes=[change])
            chain = list(ChangeRecord.objects.order_by("seq").values_list(*audit._FIELDS))
            assert audit.verify_chain() == (25, None)
            transaction.set_rollback(True)
        return chain

    batched, one_by_one = build(batch=True), build(batch=False)
    assert [r[0] for r in batched] == list(range(1, 26))
    assert batched == one_by_one
    assert len({r[2] for r in batched}) == 7  # the entries' own actors, not one for the batch


def test_record_many_returns_saved_records(db: Any) -> None:
    with transaction.atomic():
        records = audit.record_many(actor=SYSTEM, changes=[c for _, c in _entries(3)])
    stored = {r.pk: r for r in ChangeRecord.objects.all()}
    assert [r.pk for r in records] == sorted(stored)
    for rec in records:
        assert not rec._state.adding
        assert (rec.seq, rec.hash, rec.after) == (
            stored[rec.pk].seq,
            stored[rec.pk].hash,
            stored[rec.pk].after,
        )


def test_accesslog_batch_takes_one_lock_and_one_insert(db: Any) -> None:
    from sanbu.exchange import accesslog

    entries = [accesslog.Entry(actor=a, change=c) for a, c in _entries(60)]
    with CaptureQueriesContext(connection) as queries:
        accesslog.write_batch(entries)
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("INSERT INTO" in s and "core_changerecord" in s for s in sql) == 1
    assert sum("core_audithead" in s for s in sql) == 2  # lock (read) and move the head
    assert list(ChangeRecord.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert len(set(ChangeRecord.objects.values_list("request_id", flat=True))) == 60
    assert audit.verify_chain() == (60, None)


def test_command_prints_the_rate(long_chain: list[ChangeRecord], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("verify_audit", "--workers", "1")
    out = capsys.readouterr().out
    assert out.startswith("审计链完好：20 条记录，哈希链连续。（用时 ") and "每秒" in out
