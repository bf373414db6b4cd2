"""Catalog services: register → submit → review → mount → publish → offline, with rules, locks and 一数一源."""

from __future__ import annotations

import io
import threading
from datetime import date
from typing import Any

import pytest
from django.db import connections
from hypothesis import given
from hypothesis import strategies as st

from sanbu.catalog import codes, selectors, services
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import DataElement, ElementConflict, Resource, ResourceState, ResourceVersion
from sanbu.catalog.versions import diff_snapshots
from sanbu.core.actor import SYSTEM
from sanbu.core.audit import verify_chain
from sanbu.core.errors import Conflict, NotFound, RuleBlocked, ValidationFailed
from sanbu.core.identifiers import make_citizen_id
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.datastore.models import DataRow

pytestmark = pytest.mark.django_db(databases="__all__")


def person_resource(name: str = "常住人口基本信息", **over: Any) -> ResourceInput:
    data: dict[str, Any] = dict(
        name=name, catalog_class="1", subclass="人口", summary="全市常住人口的基本信息", format="database",
        share_type="conditional", share_condition="仅限办理政务服务事项使用", share_method="api",
        update_cycle="daily", data_grade="important",
        items=[
            ItemInput(name="公民身份号码", data_type="C", length=18, element="公民身份号码", is_key=True,
                      is_authoritative=True, masking="id_number"),
            ItemInput(name="姓名", data_type="C", length=50, element="DE00002", masking="name"),
            ItemInput(name="出生日期", data_type="D", element="出生日期"),
            ItemInput(name="人数", data_type="I"),
        ],
    )  # fmt: skip
    data.update(over)
    return ResourceInput(**data)


def rows(n: int = 3, bad_row: int | None = None) -> io.BytesIO:
    lines = ["公民身份号码,姓名,出生日期,人数"]
    for i in range(n):
        number = make_citizen_id("370303", date(1980, 1, 1 + i), 21 + i)
        if i == bad_row:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        lines.append(f"{number},居民{i},1980-01-{1 + i:02d},{i}")
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def test_full_lifecycle(steward_actor: Any, authority_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    assert r.state == ResourceState.DRAFT and codes.parse(r.code) is not None
    assert r.code.startswith("101000370300/")
    r = services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=r.version).resource
    r = services.resource_review(
        actor=authority_actor, resource_id=r.pk, expected_version=r.version, approve=True
    ).resource
    assert r.state == ResourceState.APPROVED
    r = services.resource_mount_rows(
        actor=steward_actor, resource_id=r.pk, expected_version=r.version, file=rows(5), filename="p.csv"
    ).resource
    assert r.state == ResourceState.MOUNTED and DataRow.objects.filter(resource_id=r.pk).count() == 5
    assert not r.is_shared
    result = services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=r.version)
    r = result.resource
    assert r.state == ResourceState.PUBLISHED and r.is_shared and r.published_version == 1
    assert Resource.objects.shared().filter(pk=r.pk).exists()
    version = ResourceVersion.objects.get(resource=r, number=1)
    assert [i["name"] for i in version.snapshot["items"]] == ["公民身份号码", "姓名", "出生日期", "人数"]
    r = services.resource_offline(
        actor=steward_actor, resource_id=r.pk, expected_version=r.version, reason="停止维护"
    ).resource
    assert r.state == ResourceState.OFFLINE and not Resource.objects.shared().filter(pk=r.pk).exists()
    actions = list(
        ChangeRecord.objects.filter(object_id=str(r.pk), object_type="catalog.resource").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "catalog.resource.register", "catalog.resource.submit", "catalog.resource.approve",
        "catalog.resource.mount_rows", "catalog.resource.publish", "catalog.resource.offline",
    ]  # fmt: skip
    assert verify_chain()[1] is None


def test_invalid_input_lists_every_problem_and_writes_nothing(steward_actor: Any) -> None:
    before = (Resource.objects.count(), ChangeRecord.objects.count())
    data = person_resource(name="", share_condition="", format="光盘", code="9999/1")
    data.items.append(ItemInput(name="姓名", data_type="Z", element="不存在的数据元"))
    with pytest.raises(ValidationFailed) as info:
        services.resource_register(actor=steward_actor, data=data)
    fields = {e.field for e in info.value.errors}
    assert {
        "name",
        "share_condition",
        "format",
        "code",
        "items[5].name",
        "items[5].data_type",
        "items[5].element",
    } <= fields
    assert all(e.message for e in info.value.errors)
    assert (Resource.objects.count(), ChangeRecord.objects.count()) == before


def test_given_code_is_validated_and_kept(steward_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource(code="101000370300/000777"))
    assert r.code == "101000370300/000777"
    with pytest.raises(ValidationFailed) as info:
        services.resource_register(
            actor=steward_actor, data=person_resource(name="另一个", code="201000370300/000001")
        )
    assert "资源分类" in info.value.errors[0].message


def test_generated_codes_are_unique_and_sequential(steward_actor: Any) -> None:
    made = [
        services.resource_register(actor=steward_actor, data=person_resource(name=f"人口{i}")).code
        for i in range(3)
    ]
    assert len(set(made)) == 3
    assert [m.split("/")[1] for m in made] == ["000001", "000002", "000003"]


def test_reject_needs_reason_and_resubmit_works(steward_actor: Any, authority_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    r = services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None).resource
    with pytest.raises(ValidationFailed):
        services.resource_review(
            actor=authority_actor, resource_id=r.pk, expected_version=None, approve=False
        )
    r = services.resource_review(
        actor=authority_actor, resource_id=r.pk, expected_version=None, approve=False, note="摘要过于简单"
    ).resource
    assert r.state == ResourceState.REJECTED and r.review_note == "摘要过于简单"
    r = services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None).resource
    assert r.state == ResourceState.SUBMITTED


def test_wrong_transition_is_a_conflict_and_changes_nothing(steward_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    with pytest.raises(Conflict) as info:
        services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=r.version)
    assert info.value.code == "catalog.resource.state" and "已注册" in info.value.message
    assert Resource.objects.get(pk=r.pk).state == ResourceState.DRAFT


def test_stale_version_is_a_conflict(steward_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=r.version)
    with pytest.raises(Conflict) as info:
        services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=r.version)
    assert info.value.code == "catalog.resource.changed"


def test_publish_without_mount_is_blocked_by_cat4(steward_actor: Any, authority_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    with pytest.raises(RuleBlocked) as info:
        services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=None)
    decision = info.value.decisions[0]
    assert decision.rule_id == "CAT-4" and decision.fact is not None and decision.fact.name == "mounted"
    assert "篇四" in decision.source and decision.remedy
    assert info.value.as_dict()["decisions"][0]["rule_id"] == "CAT-4"


def test_bad_rows_mount_nothing(steward_actor: Any, authority_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    with pytest.raises(ValidationFailed) as info:
        services.resource_mount_rows(
            actor=steward_actor,
            resource_id=r.pk,
            expected_version=None,
            file=rows(4, bad_row=2),
            filename="p.csv",
        )
    assert [e.field for e in info.value.errors] == ["CSV!4"]
    assert "校验位" in info.value.errors[0].message
    assert DataRow.objects.filter(resource_id=r.pk).count() == 0
    assert Resource.objects.get(pk=r.pk).state == ResourceState.APPROVED


def test_mount_xlsx_with_type_errors(steward_actor: Any, authority_actor: Any) -> None:
    import openpyxl

    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据"
    ws.append(["公民身份号码", "姓名", "出生日期", "人数"])
    ws.append([make_citizen_id("370303", date(1990, 1, 1), 1), "张三", date(1990, 1, 1), 3])
    ws.append([make_citizen_id("370303", date(1990, 1, 2), 2), "李四", "1990-13-01", "三"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    with pytest.raises(ValidationFailed) as info:
        services.resource_mount_rows(
            actor=steward_actor, resource_id=r.pk, expected_version=None, file=buf, filename="p.xlsx"
        )
    assert [e.field for e in info.value.errors] == ["数据!3", "数据!3"]
    assert "出生日期" in info.value.errors[0].message and "人数" in info.value.errors[1].message


def test_interface_mount(steward_actor: Any, authority_actor: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    with pytest.raises(ValidationFailed):
        services.resource_mount_interface(
            actor=steward_actor, resource_id=r.pk, expected_version=None, url="ftp://x"
        )
    r = services.resource_mount_interface(
        actor=steward_actor, resource_id=r.pk, expected_version=None, url="https://data.zibo.gov.cn/api/rk",
        params=[{"name": "sfzh"}],
    ).resource  # fmt: skip
    assert r.state == ResourceState.MOUNTED and r.mount_kind == "interface"


def test_other_department_cannot_touch(steward_actor: Any, other_dept: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    other = actor_of(make_user("other_steward", department=other_dept, roles=("steward",)))
    with pytest.raises(NotFound):
        services.resource_submit(actor=other, resource_id=r.pk, expected_version=None)
    with pytest.raises(NotFound):
        selectors.resource_get(actor=other, resource_id=r.pk)
    assert not selectors.resource_list(actor=other).filter(pk=r.pk).exists()


def test_published_resources_are_visible_to_consumers(steward_actor: Any, other_dept: Any) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=SYSTEM, resource_id=r.pk, expected_version=None, approve=True)
    services.resource_mount_rows(
        actor=steward_actor, resource_id=r.pk, expected_version=None, file=rows(), filename="p.csv"
    )
    services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=None)
    consumer = actor_of(make_user("consumer1", department=other_dept, roles=("consumer",)))
    assert selectors.resource_get(actor=consumer, resource_id=r.pk).pk == r.pk


def test_edit_after_publish_returns_to_draft_and_versions_diff(
    steward_actor: Any, authority_actor: Any
) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    services.resource_mount_rows(
        actor=steward_actor, resource_id=r.pk, expected_version=None, file=rows(), filename="p.csv"
    )
    r = services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=None).resource
    changed = person_resource(summary="全市常住人口基本信息（含流动人口）")
    changed.items = [*changed.items[:3], ItemInput(name="民族", data_type="C", length=2, element="民族")]
    r = services.resource_update(
        actor=steward_actor, resource_id=r.pk, expected_version=r.version, data=changed
    )
    assert r.state == ResourceState.DRAFT
    assert r.mount_kind == ""  # the items changed: rows checked against the old ones no longer mount it
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    remount = io.BytesIO(
        f"公民身份号码,姓名,出生日期,民族\n{make_citizen_id('370303', date(1980, 1, 1), 21)},居民,1980-01-01,01\n".encode()
    )
    services.resource_mount_rows(
        actor=steward_actor, resource_id=r.pk, expected_version=None, file=remount, filename="p.csv"
    )
    r = services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=None).resource
    assert r.published_version == 2
    v1, v2 = (ResourceVersion.objects.get(resource=r, number=n).snapshot for n in (1, 2))
    diff = diff_snapshots(v1, v2, 1, 2)
    assert [f.field for f in diff.fields] == ["summary"]
    assert diff.items_added == ["民族"] and diff.items_removed == ["人数"]
    # unchanged update is a no-op: no version bump, no change record
    count = ChangeRecord.objects.count()
    same = services.resource_update(
        actor=steward_actor, resource_id=r.pk, expected_version=r.version, data=changed
    )
    assert same.version == r.version and ChangeRecord.objects.count() == count


def test_one_source_conflict_and_resolution(
    steward_actor: Any, dept: Any, other_dept: Any, authority_actor: Any
) -> None:
    services.resource_register(actor=steward_actor, data=person_resource())
    element = DataElement.objects.get(name="公民身份号码")
    assert element.authority_id == dept.pk
    other = actor_of(make_user("mz_steward", department=other_dept, roles=("steward",)))
    services.resource_register(actor=other, data=person_resource(name="低保对象信息"))
    conflict = ElementConflict.objects.get(element=element, state="open")
    assert conflict.incumbent_id == dept.pk and conflict.claimant_id == other_dept.pk
    with pytest.raises(ValidationFailed):
        services.conflict_resolve(
            actor=authority_actor, conflict_id=conflict.pk, winner_department_id=99999, note="x"
        )
    services.conflict_resolve(
        actor=authority_actor, conflict_id=conflict.pk, winner_department_id=dept.pk, note="公安为法定来源"
    )
    with pytest.raises(Conflict):
        services.conflict_resolve(
            actor=authority_actor, conflict_id=conflict.pk, winner_department_id=dept.pk, note="again"
        )
    assert DataElement.objects.get(pk=element.pk).authority_id == dept.pk


def test_duplicate_collection_and_link_suggestions(steward_actor: Any, other_dept: Any) -> None:
    source = services.resource_register(actor=steward_actor, data=person_resource())
    other = actor_of(make_user("rs_steward", department=other_dept, roles=("steward",)))
    data = person_resource(name="参保人员信息", catalog_class="3", subclass="社会保障", items=[
        ItemInput(name="社保卡号", data_type="C", is_key=True),
        ItemInput(name="公民身份号码", data_type="C", element="公民身份号码"),
        ItemInput(name="手机号码", data_type="C"),
        ItemInput(name="出身日期", data_type="D"),
    ])  # fmt: skip
    mine = services.resource_register(actor=other, data=data)
    flags = selectors.duplicate_collections(actor=SYSTEM, department_id=other_dept.pk)
    assert [(f.item_name, f.element_name) for f in flags] == [("公民身份号码", "公民身份号码")]
    assert (
        flags[0].suggested_resource_name == ""
    )  # the source's resource is not shared yet: nothing to suggest
    services.resource_submit(actor=steward_actor, resource_id=source.pk, expected_version=None)
    services.resource_review(actor=SYSTEM, resource_id=source.pk, expected_version=None, approve=True)
    services.resource_mount_rows(
        actor=steward_actor, resource_id=source.pk, expected_version=None, file=rows(), filename="p.csv"
    )
    services.resource_publish(actor=steward_actor, resource_id=source.pk, expected_version=None)
    flags = selectors.duplicate_collections(actor=SYSTEM, department_id=other_dept.pk)
    assert flags[0].suggested_resource_name == "常住人口基本信息"
    suggestions = {
        (s.item_name, s.element_name)
        for s in selectors.link_suggestions(actor=SYSTEM, department_id=other_dept.pk)
    }
    assert ("手机号码", "移动电话号码") in suggestions and ("出身日期", "出生日期") in suggestions
    assert all(
        s.resource_id == mine.pk
        for s in selectors.link_suggestions(actor=SYSTEM, department_id=other_dept.pk)
    )


@pytest.mark.django_db(databases="__all__", transaction=True, serialized_rollback=True)
def test_two_reviewers_at_once_one_success_one_conflict() -> None:
    dept = make_department("并发测试部门")
    steward = actor_of(make_user("cc_steward", department=dept, roles=("steward",)))
    r = services.resource_register(actor=steward, data=person_resource())
    r = services.resource_submit(actor=steward, resource_id=r.pk, expected_version=None).resource
    reviewers = [actor_of(make_user(f"cc_auth{i}", roles=("authority",))) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(actor: Any) -> None:
        barrier.wait()
        try:
            services.resource_review(actor=actor, resource_id=r.pk, expected_version=r.version, approve=True)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=review, args=(a,)) for a in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["catalog.resource.changed", "ok"] or sorted(outcomes) == [
        "catalog.resource.state",
        "ok",
    ]
    assert ChangeRecord.objects.filter(action="catalog.resource.approve", object_id=str(r.pk)).count() == 1


@given(cls=st.sampled_from(["1", "2", "3"]), division=st.sampled_from(["370300", "370323", "110105"]),
       seq=st.integers(1, 999_999))  # fmt: skip
def test_generated_codes_parse_and_check(cls: str, division: str, seq: int) -> None:
    subclass = {"1": "人口", "2": "社会保障", "3": "业务数据"}[cls]
    code = codes.compose(codes.prefix_for(cls, subclass, division), seq)
    parsed = codes.parse(code)
    assert parsed is not None and parsed.catalog_class == cls and int(parsed.sequence) == seq
    assert codes.check(code, cls, subclass) is None


@given(st.text(max_size=40))
def test_any_text_code_gets_an_answer(text: str) -> None:
    problem = codes.check(text, "1", "人口")
    assert problem is None or "信息资源代码" in problem


def test_real_example_code_parses() -> None:
    parsed = codes.parse("3070211760000002004006/000033")
    assert (
        parsed is not None
        and parsed.catalog_class == "3"
        and parsed.item == "07"
        and parsed.category == "021"
    )


def test_items_keep_their_ids_across_edits_and_imports(steward_actor: Any, steward: Any) -> None:
    """Grants and links refer to items: an edit or a re-import must not renumber unchanged items."""
    import openpyxl

    from sanbu.catalog.excel import catalog_export, catalog_import

    r = services.resource_register(actor=steward_actor, data=person_resource())
    ids = dict(r.items.values_list("name", "id"))
    changed = person_resource(summary="新的摘要")
    changed.items = [
        *changed.items[:2],
        ItemInput(name="民族", data_type="C", element="民族"),
        changed.items[2],
    ]
    services.resource_update(actor=steward_actor, resource_id=r.pk, expected_version=None, data=changed)
    after = dict(r.items.values_list("name", "id"))
    assert {n: after[n] for n in ("公民身份号码", "姓名", "出生日期")} == {
        n: ids[n] for n in ("公民身份号码", "姓名", "出生日期")
    }
    assert (
        "人数" not in after and list(r.items.order_by("position").values_list("name", flat=True))[2] == "民族"
    )

    out = io.BytesIO()
    catalog_export(actor=steward_actor, department_id=r.department_id, stream=out)
    out.seek(0)
    wb = openpyxl.load_workbook(out)
    wb["资源"]["G2"] = "导入修改后的摘要"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    report = catalog_import(actor=steward_actor, file=buf)
    assert report.errors == [] and report.updated == 1
    assert dict(r.items.values_list("name", "id")) == after
    assert Resource.objects.get(pk=r.pk).summary == "导入修改后的摘要"


def test_import_refuses_when_a_resource_changed_meanwhile(steward_actor: Any, monkeypatch: Any) -> None:
    """Lock and compare on import: an edit landing between planning and writing wins, nothing is written."""
    import openpyxl
    from django.db.models import F

    from sanbu.catalog import importing
    from sanbu.catalog.excel import catalog_export, catalog_import

    r = services.resource_register(actor=steward_actor, data=person_resource())
    out = io.BytesIO()
    catalog_export(actor=steward_actor, department_id=r.department_id, stream=out)
    out.seek(0)
    wb = openpyxl.load_workbook(out)
    wb["资源"]["G2"] = "导入修改后的摘要"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    real_plan = importing._plan

    def plan_then_someone_edits(*args: Any, **kwargs: Any) -> Any:
        steps = real_plan(*args, **kwargs)
        Resource.objects.filter(pk=r.pk).update(version=F("version") + 1)
        return steps

    monkeypatch.setattr(importing, "_plan", plan_then_someone_edits)
    records = ChangeRecord.objects.count()
    report = catalog_import(actor=steward_actor, file=buf)
    assert [e.code for e in report.errors] == ["import.changed"] and "常住人口基本信息" in report.errors[
        0
    ].message
    assert Resource.objects.get(pk=r.pk).summary == "全市常住人口的基本信息"
    assert ChangeRecord.objects.count() == records


def test_changing_items_unmounts_rows(
    steward_actor: Any, authority_actor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    services.resource_mount_rows(
        actor=steward_actor, resource_id=r.pk, expected_version=None, file=rows(), filename="p.csv"
    )
    assert DataRow.objects.filter(resource_id=r.pk).count() == 3
    summary_only = person_resource(summary="只改摘要")
    r = services.resource_update(
        actor=steward_actor, resource_id=r.pk, expected_version=None, data=summary_only
    )
    assert r.mount_kind == "rows"
    new_items = person_resource(summary="只改摘要")
    new_items.items[3] = ItemInput(name="人数", data_type="C", length=2)
    with django_capture_on_commit_callbacks(execute=True):
        r = services.resource_update(
            actor=steward_actor, resource_id=r.pk, expected_version=None, data=new_items
        )
    assert r.mount_kind == "" and DataRow.objects.filter(resource_id=r.pk).count() == 0
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    r = services.resource_review(
        actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True
    ).resource
    assert r.state == ResourceState.APPROVED  # must be mounted again against the new items


def test_remount_replaces_rows_only_after_commit(
    steward_actor: Any, authority_actor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    services.resource_mount_rows(
        actor=steward_actor, resource_id=r.pk, expected_version=None, file=rows(3), filename="p.csv"
    )
    first = set(DataRow.objects.filter(resource_id=r.pk).values_list("mount_id", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.resource_mount_rows(
            actor=steward_actor, resource_id=r.pk, expected_version=None, file=rows(5), filename="p.csv"
        )
    assert DataRow.objects.filter(resource_id=r.pk).count() == 8  # old rows still served until commit
    for callback in callbacks:
        callback()
    current = Resource.objects.get(pk=r.pk).mounts.get(is_current=True)
    assert set(DataRow.objects.filter(resource_id=r.pk).values_list("mount_id", flat=True)) == {current.pk}
    assert current.pk not in first and DataRow.objects.filter(resource_id=r.pk).count() == 5


def test_damaged_xlsx_mount_is_an_error_not_a_crash(steward_actor: Any, authority_actor: Any) -> None:
    import openpyxl

    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["公民身份号码", "姓名", "出生日期", "人数"])
    for i in range(2000):
        ws.append([make_citizen_id("370303", date(1990, 1, 1), i % 1000), f"居民{i}", "1990-01-01", i])
    buf = io.BytesIO()
    wb.save(buf)
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]  # cut the sheet in half
            out.writestr(info, data)
    damaged.seek(0)
    with pytest.raises(ValidationFailed) as exc:
        services.resource_mount_rows(
            actor=steward_actor, resource_id=r.pk, expected_version=None, file=damaged, filename="d.xlsx"
        )
    assert any(e.code == "mount.file_damaged" for e in exc.value.errors)
    assert DataRow.objects.filter(resource_id=r.pk).count() == 0


def test_once_published_stays_visible_during_revision(
    steward_actor: Any, authority_actor: Any, other_dept: Any
) -> None:
    r = services.resource_register(actor=steward_actor, data=person_resource())
    services.resource_submit(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_review(actor=authority_actor, resource_id=r.pk, expected_version=None, approve=True)
    services.resource_mount_interface(
        actor=steward_actor, resource_id=r.pk, expected_version=None, url="https://a.gov.cn/x"
    )
    services.resource_publish(actor=steward_actor, resource_id=r.pk, expected_version=None)
    services.resource_update(
        actor=steward_actor, resource_id=r.pk, expected_version=None, data=person_resource(summary="修订中")
    )
    consumer = actor_of(make_user("rev_consumer", department=other_dept, roles=("consumer",)))
    assert selectors.resource_get(actor=consumer, resource_id=r.pk).state == ResourceState.DRAFT
    assert [v.number for v in selectors.resource_versions(actor=consumer, resource_id=r.pk)] == [1]
    assert not Resource.objects.shared().filter(pk=r.pk).exists()
