"""generate_base_data (一号通行, CAT-8): valid identifiers, real places, published and mounted resources,
encrypted personal items found through the blind index, reruns replacing the mount."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from sanbu.catalog.models import MountKind, Resource, ResourceMount, ResourceState, ShareType
from sanbu.core import fieldcrypt, places
from sanbu.core.audit import verify_chain
from sanbu.core.identifiers import check_citizen_id, check_uscc
from sanbu.core.models import ChangeRecord
from sanbu.datastore import loading
from sanbu.datastore.lookup import find_rows
from sanbu.datastore.models import DataRow
from sanbu.demo import basedata

db = pytest.mark.django_db(databases="__all__")
ZIBO = basedata.counties_of("370300")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


# --- the generators (no database) -----------------------------------------------------------------


def test_counties_are_current_zibo_codes() -> None:
    codes = [c.code for c in ZIBO]
    assert codes == ["370302", "370303", "370304", "370305", "370306", "370321", "370322", "370323"]
    assert ZIBO[1].prefix == "山东省淄博市张店区"
    assert [c.code for c in basedata.counties_of("370323")] == ["370323"]
    assert len(basedata.counties_of("370000")) > 100  # a province: all its counties
    with pytest.raises(basedata.BaseDataError):
        basedata.counties_of("379999")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63), start=st.integers(min_value=0, max_value=10**6))
def test_generated_identifiers_pass_their_check_digits(seed: int, start: int) -> None:
    persons = basedata.PersonMaker(seed, ZIBO, 2 * 10**6)
    orgs = basedata.OrgMaker(seed, ZIBO, 2 * 10**6)
    licences = basedata.LicenceMaker(seed, persons, 2 * 10**6)
    for i in range(start, start + 40):
        p = persons(i)
        check = check_citizen_id(p.id)
        assert check.ok and not check.warnings, (p.id, check)
        assert places.exists(p.id[:6]) and p.county == p.id[:6] and p.id.startswith("3703")
        assert p.birth.replace("-", "") == p.id[6:14]
        assert p.gender == ("1" if int(p.id[16]) % 2 else "2")
        assert date.fromisoformat(p.birth) <= date.today()
        assert re.fullmatch(r"1\d{10}", p.phone)
        assert p.hukou.startswith("山东省淄博市") and p.address.startswith("山东省淄博市")
        o = orgs(i)
        check = check_uscc(o.uscc)
        assert check.ok and not check.warnings, (o.uscc, check)
        assert places.exists(o.uscc[2:8]) and o.county == o.uscc[2:8]
        lc = licences(i)
        assert check_citizen_id(lc.holder_id).ok and places.exists(lc.county)
        assert lc.expires is None or lc.expires > lc.issued


def test_identifiers_are_unique_and_deterministic() -> None:
    persons = basedata.PersonMaker(7, ZIBO, 50_000)
    ids = [persons(i).id for i in range(50_000)]
    assert len(set(ids)) == len(ids)
    orgs = basedata.OrgMaker(7, ZIBO, 20_000)
    codes = [orgs(i).uscc for i in range(20_000)]
    assert len(set(codes)) == len(codes)
    # same seed, same records; another seed, other records
    assert [basedata.person_row(basedata.PersonMaker(7, ZIBO, 50_000)(i)) for i in range(50)] == [
        basedata.person_row(persons(i)) for i in range(50)
    ]
    other = basedata.PersonMaker(8, ZIBO, 50_000)
    assert sum(other(i).id == ids[i] for i in range(1000)) < 5
    licences = basedata.LicenceMaker(7, persons, 50_000)
    numbers = [licences(k).number for k in range(5000)]
    assert len(set(numbers)) == len(numbers)
    holder = licences(3)
    assert holder.holder_id in set(ids)


def test_too_many_persons_for_the_place_is_refused() -> None:
    one = basedata.counties_of("370323")
    with pytest.raises(basedata.BaseDataError):
        basedata.PersonMaker(1, one, 10**9)


# --- the fast encoders ------------------------------------------------------------------------------


def test_fast_encryptor_and_blind_indexer_match_the_reference() -> None:
    encrypt = fieldcrypt.encryptor()
    token = encrypt("山东省淄博市张店区人民路1号")
    assert token.startswith("sm4:demo:") and fieldcrypt.decrypt(token) == "山东省淄博市张店区人民路1号"
    assert encrypt("x") != encrypt("x")
    index = fieldcrypt.blind_indexer()
    assert index(" 370303198001010012 ") == fieldcrypt.blind_index("370303198001010012")


def test_row_encoder_stores_like_store_rows() -> None:
    protected = {"公民身份号码", "姓名"}
    encode = loading.row_encoder(key_name="公民身份号码", protected=protected)
    row = {"公民身份号码": "11010519491231002X", "姓名": "张三", "性别": "1", "有效期": None}
    key, text, _ = encode(row)
    assert key == loading.stored_key("11010519491231002X", protected=True)
    import json

    stored = json.loads(text)
    assert stored["公民身份号码"].startswith("sm4:") and stored["性别"] == "1" and stored["有效期"] is None
    assert loading.read_row(stored) == row
    plain_key, _, _ = loading.row_encoder(key_name="代码", protected=set())({"代码": " 91110000600037341L "})
    assert plain_key == "91110000600037341L"


# --- the command on a demo database -----------------------------------------------------------------


def generate(**opts: Any) -> str:
    out = StringIO()
    call_command("generate_base_data", stdout=out, **opts)
    return out.getvalue()


@pytest.fixture
def demo() -> None:
    call_command("load_demo", stdout=StringIO())


def _resources() -> dict[str, Resource]:
    names = {r.input.name: r.kind for r in basedata.BASE_RESOURCES}
    return {names[r.name]: r for r in Resource.objects.filter(name__in=names)}


@db
def test_generate_registers_mounts_and_publishes(
    demo: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    records_before = ChangeRecord.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        output = generate(persons=300, orgs=80, licences=120, seed=11)
    assert "人口" in output and "完成：共 500 行" in output

    res = _resources()
    assert set(res) == {"persons", "orgs", "licences"}
    persons, orgs, licences = res["persons"], res["orgs"], res["licences"]
    assert persons.department.name == "淄博市公安局" and orgs.department.name == "淄博市市场监督管理局"
    assert licences.department.name == "淄博市大数据局"
    assert (persons.share_type, orgs.share_type, licences.share_type) == (
        ShareType.CONDITIONAL, ShareType.UNCONDITIONAL, ShareType.CONDITIONAL,
    )  # fmt: skip
    for r, count in ((persons, 300), (orgs, 80), (licences, 120)):
        assert (
            r.state == ResourceState.PUBLISHED and r.mount_kind == MountKind.ROWS and r.published_version == 1
        )
        assert r.catalog_class == "1" and r.code.startswith("1")
        mount = ResourceMount.objects.get(resource=r, is_current=True)
        assert mount.row_count == count
        assert DataRow.objects.filter(resource_id=r.pk, mount_id=mount.pk).count() == count
        assert all(i.element is not None for i in r.items.all() if i.name != "住所")
    person_items = {i.name: i for i in persons.items.select_related("element")}
    id_item = person_items["公民身份号码"]
    assert id_item.is_key and id_item.element is not None and id_item.element.identifier == "DE00001"

    # personal items stored as ciphertext, the key column holding the blind index
    mount = ResourceMount.objects.get(resource=persons, is_current=True)
    stored = DataRow.objects.filter(mount_id=mount.pk).order_by("row_no").first()
    assert stored is not None
    for name in ("公民身份号码", "姓名", "户籍地址", "现住址", "移动电话号码"):
        assert stored.data[name].startswith("sm4:"), name
    assert not stored.data["出生日期"].startswith("sm4:") and places.exists(stored.data["行政区划代码"])
    assert HEX64.match(stored.key)
    person = loading.read_row(stored.data)
    assert check_citizen_id(person["公民身份号码"]).ok
    assert stored.key == fieldcrypt.blind_index(person["公民身份号码"])

    # one number, one lookup (一号通行)
    found = find_rows(persons.pk, mount.pk, person["公民身份号码"].lower())
    assert found == [person]
    assert find_rows(persons.pk, mount.pk, "11010519491231002X") == []

    org_mount = ResourceMount.objects.get(resource=orgs, is_current=True)
    org_row = DataRow.objects.filter(mount_id=org_mount.pk).first()
    assert org_row is not None and org_row.key == org_row.data["统一社会信用代码"]  # 一般数据: in clear
    assert check_uscc(org_row.key).ok and org_row.key[2:6] == "3703"
    assert find_rows(orgs.pk, org_mount.pk, org_row.key) == [org_row.data]

    lic_mount = ResourceMount.objects.get(resource=licences, is_current=True)
    lic = DataRow.objects.filter(mount_id=lic_mount.pk).first()
    assert lic is not None and lic.data["持证人公民身份号码"].startswith("sm4:")
    assert lic.data["持证人姓名"].startswith("sm4:") and lic.key == lic.data["证照编号"]

    # one change record per mount (not per row), the chain intact
    mounts = ChangeRecord.objects.filter(action="catalog.resource.mount_rows", seq__gt=records_before)
    assert mounts.count() == 3
    assert ChangeRecord.objects.count() - records_before < 40
    count, problem = verify_chain()
    assert problem is None and count > 0


@db
def test_rerun_replaces_the_mount(demo: None, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        generate(persons=50, orgs=10, licences=0, seed=1)
    first = _resources()
    old_mount = ResourceMount.objects.get(resource=first["persons"], is_current=True)
    with django_capture_on_commit_callbacks(execute=True):
        output = generate(persons=70, orgs=10, licences=0, seed=2)
    assert f"替换了挂接 {old_mount.pk}" in output
    second = _resources()
    assert {k: r.pk for k, r in second.items()} == {k: r.pk for k, r in first.items()}
    assert "licences" not in second  # 0 means: not generated
    persons = second["persons"]
    assert persons.state == ResourceState.PUBLISHED and persons.published_version == 1
    new_mount = ResourceMount.objects.get(resource=persons, is_current=True)
    assert new_mount.pk != old_mount.pk and new_mount.row_count == 70
    old_mount.refresh_from_db()
    assert not old_mount.is_current
    assert not DataRow.objects.filter(mount_id=old_mount.pk).exists()  # dropped once the new one committed
    assert DataRow.objects.filter(resource_id=persons.pk).count() == 70
    assert Resource.objects.filter(name="全员人口基础信息").count() == 1


@db
def test_a_failed_load_leaves_the_current_mount_alone(
    demo: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        generate(persons=30, orgs=0, licences=0)
    persons = _resources()["persons"]
    current = ResourceMount.objects.get(resource=persons, is_current=True)
    mounts = ResourceMount.objects.count()

    def broken() -> Iterator[dict[str, Any]]:
        maker = basedata.PersonMaker(3, ZIBO, 100)
        for i in range(25):
            yield basedata.person_row(maker(i))
        raise RuntimeError("disk full")

    p = basedata.providers([basedata.PERSONS])
    with pytest.raises(RuntimeError):
        basedata.mount_generated(
            actor=p.stewards["gaj"], resource_id=persons.pk, rows=broken(), label="test", batch_size=10
        )
    assert ResourceMount.objects.count() == mounts
    assert ResourceMount.objects.get(resource=persons, is_current=True).pk == current.pk
    assert DataRow.objects.filter(resource_id=persons.pk).count() == 30


@db
def test_without_the_demo_it_says_to_load_it_first() -> None:
    with pytest.raises(CommandError) as exc:
        generate(persons=10, orgs=0, licences=0)
    assert exc.value.returncode == 2
    assert "load_demo" in str(exc.value) and "淄博市公安局" in str(exc.value)
    assert not Resource.objects.exists() and not DataRow.objects.exists()


@db
def test_bad_options_exit_with_code_2(demo: None) -> None:
    for opts in ({"jurisdiction": "379999"}, {"persons": -1}, {"persons": 0, "licences": 5}):
        with pytest.raises(CommandError) as exc:
            generate(**opts)
        assert exc.value.returncode == 2, opts
    assert not Resource.objects.filter(name="全员人口基础信息").exists()


@db
@override_settings(SANBU_DEMO=False)
def test_refused_outside_demo_settings() -> None:
    with pytest.raises(CommandError) as exc:
        generate(persons=10)
    assert exc.value.returncode == 2 and "SANBU_DEMO" in str(exc.value)


@db
def test_statistics_after_a_bulk_load_make_key_lookups_use_the_key_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connections

    conn = connections["datastore"]
    if conn.vendor != "sqlite":
        pytest.skip("SQLite planner check")
    maker = basedata.PersonMaker(5, ZIBO, 3000)
    loading.store_rows_bulk(
        resource_id=1, mount_id=1, rows=(basedata.person_row(maker(i)) for i in range(3000)),
        key_name="公民身份号码", protected={"公民身份号码"}, batch_size=1000,
    )  # fmt: skip
    monkeypatch.setattr(conn, "in_atomic_block", False)  # the test's transaction is rolled back anyway
    loading.refresh_statistics("datastore")
    monkeypatch.undo()
    query = DataRow.objects.filter(resource_id=1, mount_id=1, key="x" * 64).order_by("row_no")
    plan = query.explain()
    assert "(resource_id=? AND key=?)" in plan, plan
