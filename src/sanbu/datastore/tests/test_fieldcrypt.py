"""SM4 field encryption, the SM3 blind index, encrypted mounts, lookups and key rotation (CAT-7)."""

from __future__ import annotations

import base64
import io
import json
from datetime import date
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connections

from sanbu.catalog import services
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.core import fieldcrypt
from sanbu.core.identifiers import make_citizen_id
from sanbu.datastore import loading
from sanbu.datastore.lookup import find_rows
from sanbu.datastore.management.commands.rotate_field_keys import rotate_batch
from sanbu.datastore.models import DataRow

K1 = "k1:" + "11" * 16
K2 = "k2:" + "22" * 16


# --- the primitive and the token format --------------------------------------------------------


def test_sm4_standard_vector() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert fieldcrypt.sm4_ecb_block(key, key).hex() == "681edf34d206965e86b3e94f536e4246"


def test_gcm_is_available_here() -> None:
    assert fieldcrypt.GCM_AVAILABLE  # OpenSSL 3 in this environment; CBC+HMAC-SM3 is the fallback


@pytest.mark.parametrize("gcm", [True, False])
def test_round_trip(settings: Any, gcm: bool) -> None:
    for text in ("370303198001010012", "张三", "山东省淄博市张店区人民西路1号", ""):
        token = fieldcrypt.encrypt(text, gcm=gcm)
        assert token.startswith("sm4:demo:" if gcm else "sm4cbc:demo:")
        assert text == "" or text not in token
        assert fieldcrypt.is_encrypted(token) and fieldcrypt.decrypt(token) == text
        assert loading.read_value(token) == text
    assert fieldcrypt.encrypt("x", gcm=gcm) != fieldcrypt.encrypt("x", gcm=gcm)  # random nonce/IV


def test_plain_values_pass_through() -> None:
    for value in ("abc", "sm4:not a token", 3, None, True, 1.5):
        assert loading.read_value(value) == value


@pytest.mark.parametrize("gcm", [True, False])
def test_tampering_is_detected(gcm: bool) -> None:
    token = fieldcrypt.encrypt("370303198001010012", gcm=gcm)
    prefix, kid, b64 = token.split(":")
    blob = bytearray(base64.b64decode(b64))
    for pos in (0, len(blob) // 2, len(blob) - 1):  # nonce/IV, body, tag
        bad = bytearray(blob)
        bad[pos] ^= 0x01
        with pytest.raises(fieldcrypt.TamperedValue):
            fieldcrypt.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(bad)).decode()}")
    with pytest.raises(fieldcrypt.TamperedValue):
        fieldcrypt.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(blob[:-3])).decode()}")


def test_relabelling_to_another_key_is_detected(monkeypatch: Any) -> None:
    monkeypatch.setenv("SANBU_FIELD_KEYS", f"{K1},{K2}")
    token = fieldcrypt.encrypt("13812348000")
    assert token.startswith("sm4:k1:")
    with pytest.raises(fieldcrypt.TamperedValue):
        fieldcrypt.decrypt(token.replace("sm4:k1:", "sm4:k2:"))


def test_unknown_key_id(monkeypatch: Any) -> None:
    monkeypatch.setenv("SANBU_FIELD_KEYS", K1)
    token = fieldcrypt.encrypt("张三")
    monkeypatch.setenv("SANBU_FIELD_KEYS", K2)
    with pytest.raises(fieldcrypt.UnknownKeyId, match="k1"):
        fieldcrypt.decrypt(token)
    with pytest.raises(fieldcrypt.UnknownKeyId):
        fieldcrypt.encrypt("x", key_id="nope")


def test_keys_are_required_without_demo(settings: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("SANBU_FIELD_KEYS", raising=False)
    monkeypatch.delenv("SANBU_BLIND_KEY", raising=False)
    assert fieldcrypt.keyring().current_id == "demo"  # test settings have SANBU_DEMO on
    settings.SANBU_DEMO = False
    with pytest.raises(ImproperlyConfigured, match="SANBU_FIELD_KEYS"):
        fieldcrypt.keyring()
    with pytest.raises(ImproperlyConfigured, match="SANBU_BLIND_KEY"):
        fieldcrypt.blind_index("x")
    monkeypatch.setenv("SANBU_FIELD_KEYS", K1)
    monkeypatch.setenv("SANBU_BLIND_KEY", "ab" * 32)
    assert fieldcrypt.keyring().current_id == "k1" and len(fieldcrypt.blind_index("x")) == 64


@pytest.mark.parametrize(
    "spec", ["k1", "k1:abcd", "k1:" + "zz" * 16, "bad id:" + "11" * 16, f"{K1},{K1}", " , "]
)
def test_malformed_keys_are_refused(spec: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        fieldcrypt.parse_keys(spec)


def test_blind_index_is_keyed_and_deterministic(monkeypatch: Any) -> None:
    a = fieldcrypt.blind_index("370303198001010012")
    assert a == fieldcrypt.blind_index(" 370303198001010012 ") and len(a) == 64
    assert a != fieldcrypt.blind_index("370303198001010013")
    monkeypatch.setenv("SANBU_BLIND_KEY", "cd" * 32)
    assert fieldcrypt.blind_index("370303198001010012") != a


# --- which items are protected ----------------------------------------------------------------


def _item(name: str, element: str | None = None, masking: str = "none", is_key: bool = False) -> Any:
    el = SimpleNamespace(identifier=element) if element else None
    return SimpleNamespace(name=name, element=el, masking=masking, is_key=is_key)


def test_protected_items() -> None:
    items = [
        _item("证件号", "DE00001", is_key=True), _item("姓名", "DE00002"), _item("户籍地址", "DE00006"),
        _item("住址", "DE00007"), _item("手机", "DE00008"), _item("身份证号"), _item("联系电话", masking="mobile"),
        _item("单位地址", masking="address"), _item("人数"), _item("备注", masking="full"),
    ]  # fmt: skip
    expected = {"证件号", "姓名", "户籍地址", "住址", "手机", "身份证号", "联系电话", "单位地址"}
    assert loading.protected_items(items, "important") == expected
    assert loading.protected_items(items, "core") == expected
    assert loading.protected_items(items, "general") == set()


# --- mounting, lookups and rotation through the datastore -------------------------------------


def _resource(grade: str) -> ResourceInput:
    return ResourceInput(
        name=f"人口联系信息（{grade}）", catalog_class="1", subclass="人口", summary="常住人口联系信息",
        format="database", share_type="conditional", share_condition="仅限办理政务服务事项使用",
        share_method="api", update_cycle="daily", data_grade=grade,
        items=[
            ItemInput(name="公民身份号码", data_type="C", length=18, element="公民身份号码", is_key=True,
                      is_authoritative=True, masking="id_number"),
            ItemInput(name="姓名", data_type="C", length=50, element="DE00002", masking="name"),
            ItemInput(name="手机", data_type="C", length=11, masking="mobile"),
            ItemInput(name="人数", data_type="I"),
        ],
    )  # fmt: skip


def _ids(n: int) -> list[str]:
    ids = [make_citizen_id("370303", date(1980, 1, 1 + i), 21 + i) for i in range(n)]
    if not any(i.endswith("X") for i in ids):  # make sure one ends in X to test lower-case lookups
        ids[0] = make_citizen_id("110105", date(1949, 12, 31), 2)
    return ids


def _mount(steward: Any, authority: Any, grade: str, ids: list[str]) -> tuple[int, int]:
    r = services.resource_register(actor=steward, data=_resource(grade))
    services.resource_submit(actor=steward, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority, resource_id=r.pk, expected_version=None, approve=True)
    lines = ["公民身份号码,姓名,手机,人数"]
    lines += [f"{number},居民{i},1381234{i:04d},{i}" for i, number in enumerate(ids)]
    r = services.resource_mount_rows(
        actor=steward, resource_id=r.pk, expected_version=None,
        file=io.BytesIO(("\n".join(lines) + "\n").encode()), filename="p.csv",
    ).resource  # fmt: skip
    return r.pk, r.mounts.get(is_current=True).pk


def _raw_json(resource_id: int) -> list[tuple[str, str]]:
    with connections["datastore"].cursor() as cursor:
        cursor.execute(
            f"SELECT key, CAST(data AS TEXT) FROM {DataRow._meta.db_table} WHERE resource_id = %s",
            [resource_id],
        )
        return [(str(k), str(d)) for k, d in cursor.fetchall()]


@pytest.mark.django_db(databases="__all__")
def test_important_resource_stores_no_plaintext_yet_finds_by_id(
    steward_actor: Any, authority_actor: Any
) -> None:
    ids = _ids(4)
    rid, mid = _mount(steward_actor, authority_actor, "important", ids)
    raw = _raw_json(rid)
    assert len(raw) == 4
    for key, text in raw:
        assert all(number not in key and number not in text for number in ids) and len(key) == 64
        data = json.loads(text)  # the raw JSON as the database holds it
        assert all(str(data[n]).startswith("sm4:demo:") for n in ("公民身份号码", "姓名", "手机"))
        assert "1381234" not in text and isinstance(data["人数"], int)  # unprotected items stay as they are
    for i, number in enumerate(ids):
        found = find_rows(rid, mid, number)
        assert found == [{"公民身份号码": number, "姓名": f"居民{i}", "手机": f"1381234{i:04d}", "人数": i}]
    x_id = next(n for n in ids if n.endswith("X"))
    assert len(find_rows(rid, mid, x_id.lower())) == 1  # normalized like a mount
    assert find_rows(rid, mid, "370303198001019999") == [] and find_rows(rid, mid, "") == []


@pytest.mark.django_db(databases="__all__")
def test_general_resource_stays_plaintext(steward_actor: Any, authority_actor: Any) -> None:
    ids = _ids(2)
    rid, mid = _mount(steward_actor, authority_actor, "general", ids)
    raw = _raw_json(rid)
    assert sorted(k for k, _ in raw) == sorted(ids) and all("sm4:" not in d for _, d in raw)
    assert find_rows(rid, mid, ids[1])[0]["姓名"] == "居民1"


@pytest.mark.django_db(databases="__all__")
def test_rotation_reencrypts_and_old_key_stays_readable(
    steward_actor: Any, authority_actor: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SANBU_FIELD_KEYS", K1)
    ids = _ids(5)
    rid, mid = _mount(steward_actor, authority_actor, "core", ids)
    assert all('"sm4:k1:' in d for _, d in _raw_json(rid))

    monkeypatch.setenv("SANBU_FIELD_KEYS", f"{K2},{K1}")  # new current key, old one still listed
    ring = fieldcrypt.keyring()
    first = DataRow.objects.filter(resource_id=rid).order_by("pk").first()
    assert first is not None
    _last, scanned, updated, values = rotate_batch(first.pk - 1, 2, ring)  # part way through
    assert (scanned, updated, values) == (2, 2, 6)
    raws = [d for _, d in _raw_json(rid)]
    assert any("sm4:k2:" in d for d in raws) and any("sm4:k1:" in d for d in raws)
    for i, number in enumerate(ids):  # readers accept both keys mid-rotation
        assert find_rows(rid, mid, number)[0]["姓名"] == f"居民{i}"

    out = StringIO()
    call_command("rotate_field_keys", "--batch", "2", stdout=out)
    assert "重新加密 9 个值" in out.getvalue()
    assert all("sm4:k1:" not in d for _, d in _raw_json(rid))

    out = StringIO()
    call_command("rotate_field_keys", stdout=out)  # idempotent
    assert "更新 0 行，重新加密 0 个值" in out.getvalue()

    monkeypatch.setenv("SANBU_FIELD_KEYS", K2)  # the old key can go once rotation is complete
    assert [find_rows(rid, mid, n)[0]["公民身份号码"] for n in ids] == ids
