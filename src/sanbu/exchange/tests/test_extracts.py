"""Bulk extracts: CSV and Parquet, granted items only, masked per grant, incremental by watermark,
authorized like the records endpoint, recorded in the audit chain before any data."""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.test import Client

from sanbu.catalog import services as catalog
from sanbu.core.actor import SYSTEM
from sanbu.core.audit import verify_chain
from sanbu.core.models import ChangeRecord
from sanbu.datastore.models import DataRow
from sanbu.exchange import accesslog, extracts, gateway, ratelimit, services

from .gateway_world import GRANTED, World, build, mounted_resource, person_id, rows_csv

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def sync_log() -> Any:
    accesslog.set_sync(True)
    ratelimit.reset()
    gateway.clear_caches()
    yield
    accesslog.set_sync(False)


@pytest.fixture
def world(db: Any) -> World:
    return build(n=12)


def get(world: World | None, resource_id: Any, token: str | None = None, **params: str) -> Any:
    headers = {}
    token = token if token is not None else (world.key if world is not None else None)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client().get(f"/gateway/v1/resources/{resource_id}/extract", params, headers=headers)


def body(r: Any) -> bytes:
    return b"".join(r.streaming_content)


def csv_rows(r: Any) -> list[list[str]]:
    raw = body(r)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def extracts_recorded() -> list[dict[str, Any]]:
    return [
        rec.after
        for rec in ChangeRecord.objects.filter(action="gateway.extract").order_by("seq")
        if rec.after is not None
    ]


def masked_id(pid: str) -> str:
    return pid[:4] + "*" * 10 + pid[-4:]


def test_full_csv_extract_is_masked_and_granted_items_only(world: World) -> None:
    r = get(world, world.resource.pk, format="csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = csv_rows(r)
    assert rows[0] == GRANTED  # header: item names, 婚姻状况 not granted
    assert len(rows) == 13 and r["X-Sanbu-Rows"] == "12"
    for i, row in enumerate(rows[1:]):
        rec = dict(zip(rows[0], row, strict=True))
        pid = person_id(i)
        assert rec["公民身份号码"] == masked_id(pid)
        assert rec["姓名"].startswith("张") and set(rec["姓名"][1:]) == {"*"}
        assert rec["手机号码"] == f"1380000{i:04d}"  # masking lifted by the approver
        assert rec["住址"].startswith("山东省淄博市张店区") and rec["住址"].endswith("*")
        assert "已婚" not in row
    # the same values as the records endpoint gives
    one = (
        Client()
        .get(
            f"/gateway/v1/resources/{world.resource.pk}/records",
            {"key": person_id(3)},
            headers={"Authorization": f"Bearer {world.key}"},
        )
        .json()["records"][0]
    )
    assert dict(zip(rows[0], rows[4], strict=True)) == one
    mount = int(r["X-Sanbu-Mount"])
    last = DataRow.objects.filter(mount_id=mount).order_by("-id").values_list("id", flat=True)[0]
    assert r["X-Sanbu-Watermark"] == f"{mount}-{last}"


def test_parquet_extract_has_the_same_masked_contents(world: World) -> None:
    r = get(world, world.resource.pk, format="parquet")
    assert r.status_code == 200
    table = pq.read_table(io.BytesIO(body(r)))
    assert table.column_names == GRANTED and table.num_rows == 12
    got = table.to_pylist()
    assert got[2]["公民身份号码"] == masked_id(person_id(2))
    assert got[2]["手机号码"] == "13800000002" and got[2]["姓名"].startswith("张")
    assert table.schema.metadata[b"sanbu.watermark"].decode() == r["X-Sanbu-Watermark"]
    csv_values = [dict(zip(GRANTED, row, strict=True)) for row in csv_rows(get(world, world.resource.pk))[1:]]
    assert got == csv_values


def test_incremental_extract_returns_only_rows_after_the_watermark(world: World) -> None:
    first = get(world, world.resource.pk)
    mark = first["X-Sanbu-Watermark"]
    assert len(csv_rows(first)) == 13
    # nothing new since: an empty extract, same watermark
    again = get(world, world.resource.pk, since=mark)
    assert again.status_code == 200 and csv_rows(again) == [GRANTED] and again["X-Sanbu-Watermark"] == mark
    # rows 5.. of the mount are "after" a watermark at row 4
    mount = int(mark.split("-")[0])
    ids = list(DataRow.objects.filter(mount_id=mount).order_by("id").values_list("id", flat=True))
    part = get(world, world.resource.pk, since=f"{mount}-{ids[4]}", format="parquet")
    table = pq.read_table(io.BytesIO(body(part)))
    assert table.num_rows == 7 and part["X-Sanbu-Rows"] == "7"
    assert table.column("公民身份号码").to_pylist() == [masked_id(person_id(i)) for i in range(5, 12)]
    assert part["X-Sanbu-Watermark"] == mark
    rec = extracts_recorded()[-1]
    assert rec["since"] == f"{mount}-{ids[4]}" and rec["upto"] == mark and rec["rows"] == 7
    assert rec["format"] == "parquet"


def test_after_a_remount_an_incremental_extract_says_take_a_full_one(world: World) -> None:
    mark = get(world, world.resource.pk)["X-Sanbu-Watermark"]
    catalog.resource_mount_rows(
        actor=SYSTEM,
        resource_id=world.resource.pk,
        expected_version=None,
        file=rows_csv(3),
        filename="v2.csv",
    )
    r = get(world, world.resource.pk, since=mark)
    assert r.status_code == 409 and r.json()["code"] == "gateway.extract.remounted"
    assert r["X-Sanbu-Mount"] != mark.split("-")[0]
    assert extracts_recorded()[-1]["outcome"] == "gateway.extract.remounted"
    full = get(world, world.resource.pk)
    assert full.status_code == 200 and len(csv_rows(full)) == 4
    assert full["X-Sanbu-Watermark"].startswith(r["X-Sanbu-Mount"] + "-")


def test_extract_is_recorded_before_data_with_row_count(world: World) -> None:
    r = get(world, world.resource.pk, format="csv")
    # the record is committed when the view returns, before the stream is consumed
    [rec] = extracts_recorded()
    assert rec["outcome"] == "granted" and rec["status"] == 200 and rec["rows"] == 12
    assert rec["app"] == world.app.pk and rec["grant"] == world.grant.pk and rec["items"] == GRANTED
    assert rec["format"] == "csv" and rec["since"] == "" and rec["upto"] == r["X-Sanbu-Watermark"]
    assert rec["resource"] == world.resource.pk
    body(r)
    count, problem = verify_chain()
    assert problem is None and count > 0


def test_log_failure_sends_no_data(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(entries: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(accesslog, "write_batch", broken)
    r = get(world, world.resource.pk)
    assert r.status_code == 503 and r.json()["code"] == "gateway.log_unavailable"


def test_revoked_grant_gets_the_same_404_as_unknown(world: World) -> None:
    unknown = get(world, 987654)
    services.grant_revoke(actor=SYSTEM, grant_id=world.grant.pk, reason="用途已结束")
    revoked = get(world, world.resource.pk)
    other = mounted_resource(world.provider, "法人基本信息", n=2)
    not_granted = get(world, other.pk)
    assert unknown.status_code == revoked.status_code == not_granted.status_code == 404
    assert unknown.content == revoked.content == not_granted.content
    outcomes = [(a["outcome"], a["status"], a["rows"]) for a in extracts_recorded()]
    assert outcomes == [("gateway.not_found", 404, 0)] * 3


def test_revoked_key_is_refused_at_once_and_recorded(world: World) -> None:
    assert get(world, world.resource.pk).status_code == 200
    services.key_revoke(actor=world.consumer_actor, app_key_id=world.key_pk, reason="泄露")
    r = get(world, world.resource.pk)
    assert r.status_code == 401 and r.json()["code"] == "gateway.auth.invalid"
    assert extracts_recorded()[-1]["outcome"] == "gateway.auth.invalid"
    r = get(None, world.resource.pk)
    assert r.status_code == 401 and r.json()["code"] == "gateway.auth.missing"
    assert extracts_recorded()[-1]["outcome"] == "gateway.auth.missing"


@pytest.mark.parametrize(
    "params",
    [{"format": "xlsx"}, {"since": "abc"}, {"since": "1"}, {"key": "x"}, {"姓名": "张三"}],
)
def test_bad_extract_requests_are_refused_and_recorded(world: World, params: dict[str, str]) -> None:
    r = get(world, world.resource.pk, **params)
    assert r.status_code == 400 and r.json()["code"] == "gateway.bad_request"
    assert extracts_recorded()[-1]["outcome"] == "gateway.bad_request"


def test_extract_counts_against_the_rate_limit(db: Any) -> None:
    world = build(n=2, rate_limit=2)
    assert [get(world, world.resource.pk).status_code for _ in range(2)] == [200, 200]
    r = get(world, world.resource.pk)
    assert r.status_code == 429 and r.json()["code"] == "gateway.rate_limited"
    assert extracts_recorded()[-1]["outcome"] == "gateway.rate_limited"


def test_encrypted_resource_extract_is_decrypted_then_masked(db: Any) -> None:
    world = build(n=3, data_grade="important")
    rows = csv_rows(get(world, world.resource.pk))
    assert [r[0] for r in rows[1:]] == [masked_id(person_id(i)) for i in range(3)]
    assert [r[2] for r in rows[1:]] == [f"1380000{i:04d}" for i in range(3)]
    assert not any(v.startswith("sm4") for r in rows for v in r)


def test_watermark_round_trip() -> None:
    assert str(extracts.Watermark.parse("12-345")) == "12-345"
    assert extracts.Watermark.parse("12") is None and extracts.Watermark.parse("-1-2") is None


# --- built from the rows' masked views ------------------------------------------------------------------


def _unlift(world: World) -> None:
    """Make the grant mask every item by its own rule (no lift): the extract can use the masked views."""
    from sanbu.exchange.models import Grant

    grant = Grant.objects.get(pk=world.grant.pk)
    grant.masking = {str(i.pk): i.masking for i in world.resource.items.all()}
    grant.save(update_fields=["masking"])
    gateway.clear_caches()


def _both_paths(world: World, monkeypatch: pytest.MonkeyPatch, **params: str) -> tuple[bytes, bytes]:
    from_views = body(get(world, world.resource.pk, **params))
    with monkeypatch.context() as m:
        m.setattr(extracts, "view_columns", lambda *a: None)
        per_value = body(get(world, world.resource.pk, **params))
    return from_views, per_value


@pytest.mark.parametrize("grade", ["general", "important"])
def test_extract_from_views_equals_the_per_value_path(
    db: Any, grade: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(n=7, data_grade=grade)
    _unlift(world)
    access_view: list[Any] = []
    real = extracts.view_columns

    def spy(*a: Any) -> Any:
        access_view.append(real(*a))
        return access_view[-1]

    monkeypatch.setattr(extracts, "view_columns", spy)
    csv_view, csv_plain = _both_paths(world, monkeypatch)
    assert access_view[0] == [0, 1, 2, 3]  # the views were used
    assert csv_view == csv_plain
    rows = list(csv.reader(io.StringIO(csv_view.decode("utf-8-sig"))))
    assert rows[3][2] == "138****0002" and rows[3][0] == masked_id(person_id(2))
    pq_view, pq_plain = _both_paths(world, monkeypatch, format="parquet")
    assert pq.read_table(io.BytesIO(pq_view)).to_pylist() == pq.read_table(io.BytesIO(pq_plain)).to_pylist()


def test_views_never_hold_a_protected_value_in_the_clear(db: Any) -> None:
    world = build(n=3, data_grade="important")
    for row in DataRow.objects.filter(resource_id=world.resource.pk):
        assert person_id(row.row_no - 1) not in row.view
        assert "13800000" not in row.view and "人民西路" not in row.view
        assert "sm4:" not in row.view


def test_a_subset_of_items_is_picked_from_the_views(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanbu.exchange.models import Grant

    _unlift(world)
    grant = Grant.objects.get(pk=world.grant.pk)
    grant.items.set(world.resource.items.filter(name__in=["姓名", "住址"]))
    gateway.clear_caches()
    csv_view, csv_plain = _both_paths(world, monkeypatch)
    assert csv_view == csv_plain
    assert csv_view.decode("utf-8-sig").splitlines()[0] == "姓名,住址"
    pq_view, pq_plain = _both_paths(world, monkeypatch, format="parquet")
    assert pq.read_table(io.BytesIO(pq_view)).to_pylist() == pq.read_table(io.BytesIO(pq_plain)).to_pylist()


def test_views_made_under_other_rules_are_not_used(world: World) -> None:
    _unlift(world)
    # the provider tightens 住址 to full masking after the mount: the stored views are stale
    world.resource.items.filter(name="住址").update(masking="full")
    from sanbu.catalog.models import Resource

    Resource.objects.filter(pk=world.resource.pk).update(version=world.resource.version + 1)
    from sanbu.exchange.models import Grant

    grant = Grant.objects.get(pk=world.grant.pk)
    grant.masking = {str(i.pk): i.masking for i in world.resource.items.all()}
    grant.save(update_fields=["masking"])
    gateway.clear_caches()
    rows = csv_rows(get(world, world.resource.pk))
    assert {r[3] for r in rows[1:]} == {"******"}
