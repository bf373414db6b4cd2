"""Interface lifecycle (EX-5): every transition and refusal, the notices, the gateway's ``resolve``,
the API and the pages."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.calendar import add_working_days
from sanbu.core.errors import Conflict, NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import interfaces, services
from sanbu.exchange.interfaces import (
    ALL_ITEMS,
    deprecation_headers,
    gone_message,
    interface_deprecate,
    interface_release,
    interface_retire,
    resolve,
    unknown_message,
)
from sanbu.exchange.models import Grant, InterfaceState, InterfaceVersion
from sanbu.orgs.models import Notice
from sanbu.policy.rulesets import INTERFACE_SUNSET_NOTICE_DAYS, load_ruleset

from .sharing import item_ids, published_resource

pytestmark = pytest.mark.django_db(databases="__all__")

PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2030, 12, 31)}


def earliest() -> dt.date:
    days = int(load_ruleset()[INTERFACE_SUNSET_NOTICE_DAYS].value)
    return add_working_days(timezone.localdate(), days).date


@dataclass
class World:
    provider: Actor
    resource: Resource
    holders: list[Any]  # departments with an active grant
    revoked: Any  # a department whose grant was revoked
    bystander: Any  # a department with no grant
    grants: list[Grant]


def _grant(resource: Resource, dept: Any, name: str) -> Grant:
    app = services.app_register(actor=SYSTEM, name=name, department_id=dept.pk)
    req = services.request_submit(
        actor=SYSTEM, app_id=app.pk, resource_id=resource.pk, item_ids=item_ids(resource, "姓名"),
        purpose="核验", legal_basis="职责", period_start=PERIOD["period_start"], period_end=PERIOD["period_end"],
    )  # fmt: skip
    return Grant.objects.get(request=req)


@pytest.fixture
def world(dept: Any, steward: Any) -> World:
    resource = published_resource(dept, "人口基本信息", share_type="unconditional")
    a, b = make_department("淄博市民政局"), make_department("淄博市人社局")
    revoked, bystander = make_department("淄博市医保局"), make_department("淄博市教育局")
    grants = [_grant(resource, a, "救助系统"), _grant(resource, b, "社保系统")]
    old = _grant(resource, revoked, "医保系统")
    services.grant_revoke(actor=SYSTEM, grant_id=old.pk, reason="停用")
    return World(actor_of(steward), resource, [a, b], revoked, bystander, grants)


def two_versions(w: World) -> tuple[InterfaceVersion, InterfaceVersion]:
    v1 = interface_release(actor=w.provider, resource_id=w.resource.pk, note="首版")
    v2 = interface_release(actor=w.provider, resource_id=w.resource.pk, note="第二版")
    return v1, v2


# --- release ---------------------------------------------------------------------------------------


def test_release_snapshots_item_names_and_numbers_versions(world: World) -> None:
    before = ChangeRecord.objects.count()
    v1 = interface_release(
        actor=world.provider, resource_id=world.resource.pk, note="首版", expected_latest=0
    )
    assert (v1.number, v1.state, v1.note) == (1, InterfaceState.ACTIVE, "首版")
    assert v1.item_names == ["公民身份号码", "姓名", "婚姻状况"]
    v2 = interface_release(actor=world.provider, resource_id=world.resource.pk, expected_latest=1)
    assert v2.number == 2
    records = list(ChangeRecord.objects.filter(seq__gt=before).order_by("seq"))
    assert [r.action for r in records] == ["exchange.interface.release"] * 2
    assert records[0].jurisdiction == world.resource.jurisdiction_id
    assert (records[0].after or {})["item_names"] == v1.item_names


def test_release_leaves_out_items_never_shared(dept: Any, steward: Any) -> None:
    resource = published_resource(dept, "婚姻信息", share_type="unconditional", item_share_type="none")
    v = interface_release(actor=actor_of(steward), resource_id=resource.pk)
    assert v.item_names == ["公民身份号码", "姓名"]


def test_release_needs_a_published_mounted_resource(dept: Any, steward: Any) -> None:
    draft = published_resource(dept, "未发布资源", publish=False)
    with pytest.raises(Conflict) as exc:
        interface_release(actor=actor_of(steward), resource_id=draft.pk)
    assert exc.value.code == "exchange.interface.not_shared"
    assert not InterfaceVersion.objects.exists()


def test_release_by_another_department_looks_missing(world: World) -> None:
    other = actor_of(make_user("o_steward", department=world.bystander, roles=("steward",)))
    consumer = actor_of(make_user("o_consumer", department=world.holders[0], roles=("consumer",)))
    before = ChangeRecord.objects.count()
    for actor in (other, consumer):
        with pytest.raises(NotFound) as exc:
            interface_release(actor=actor, resource_id=world.resource.pk)
        assert exc.value.code == "catalog.resource.not_found"
    assert not InterfaceVersion.objects.exists()
    assert ChangeRecord.objects.count() == before


def test_authority_in_the_jurisdiction_may_not_manage_interfaces(
    world: World, authority_actor: Actor
) -> None:
    """The role table gives exchange.interface.manage to the provider's stewards only."""
    with pytest.raises(NotFound):
        interface_release(actor=authority_actor, resource_id=world.resource.pk)


def test_two_stewards_releasing_at_once_one_conflict(world: World) -> None:
    interface_release(actor=world.provider, resource_id=world.resource.pk, expected_latest=0)
    with pytest.raises(Conflict) as exc:
        interface_release(actor=world.provider, resource_id=world.resource.pk, expected_latest=0)
    assert exc.value.code == "exchange.interface.changed"
    assert exc.value.details == {"current": 1, "expected": 0}
    assert InterfaceVersion.objects.count() == 1


def test_release_note_is_checked(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        interface_release(actor=world.provider, resource_id=world.resource.pk, note="x" * 501)
    assert exc.value.errors[0].field == "note"


# --- deprecate -------------------------------------------------------------------------------------


def test_deprecate_names_the_successor_and_notifies_every_grant_holder(world: World) -> None:
    v1, v2 = two_versions(world)
    sunset = earliest()
    done = interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=sunset, expected_latest=2)
    assert done.state == InterfaceState.DEPRECATED
    assert (done.sunset_on, done.successor_id, done.deprecated_by) == (sunset, v2.pk, "steward")
    notices = list(Notice.objects.order_by("department_id"))
    assert {n.department_id for n in notices} == {d.pk for d in world.holders}
    for n in notices:
        assert n.kind == "exchange.interface.deprecated"
        assert "v1" in n.title and f"{sunset:%Y-%m-%d}" in n.title and "v2" in n.title
        assert "version=2" in n.body
        assert n.link == f"/exchange/resources/{world.resource.pk}/interfaces/"
    record = ChangeRecord.objects.filter(action="exchange.interface.deprecate").get()
    before, after = record.before or {}, record.after or {}
    assert before["state"] == "active" and after["state"] == "deprecated"
    assert after["successor_number"] == 2
    assert after["notified_departments"] == sorted(d.pk for d in world.holders)


def test_sunset_too_soon_is_refused_citing_the_parameter(world: World) -> None:
    v1, _ = two_versions(world)
    param = load_ruleset()[INTERFACE_SUNSET_NOTICE_DAYS]
    with pytest.raises(ValidationFailed) as exc:
        interface_deprecate(
            actor=world.provider, version_id=v1.pk, sunset_on=earliest() - dt.timedelta(days=1)
        )
    err = exc.value
    assert err.code == "exchange.interface.sunset_too_soon"
    assert INTERFACE_SUNSET_NOTICE_DAYS in err.message and param.citation in err.message
    assert err.details["parameter"] == INTERFACE_SUNSET_NOTICE_DAYS
    assert err.details["earliest"] == earliest().isoformat()
    assert [e.field for e in err.errors] == ["sunset_on"]
    v1.refresh_from_db()
    assert v1.state == InterfaceState.ACTIVE and v1.sunset_on is None
    assert not Notice.objects.exists()


def test_the_ruleset_sets_the_notice_period(world: World) -> None:
    """A published version of the provider's jurisdiction's ruleset shortens the notice period."""
    from sanbu.orgs import rulesets
    from sanbu.policy.rulesets import Change

    v1, _ = two_versions(world)
    code = Resource.objects.get(pk=v1.resource_id).jurisdiction_id
    draft = rulesets.ruleset_draft(actor=SYSTEM, name=rulesets.ruleset_name_for(code), changes=[
        Change("parameter", INTERFACE_SUNSET_NOTICE_DAYS, 3, "某市规则：提前 3 个工作日通知")])  # fmt: skip
    rulesets.ruleset_publish(actor=SYSTEM, version_id=draft.pk)
    sunset = add_working_days(timezone.localdate(), 3).date
    assert sunset < earliest()
    done = interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=sunset)
    assert done.sunset_on == sunset


def test_deprecate_needs_a_newer_active_successor(world: World) -> None:
    v1 = interface_release(actor=world.provider, resource_id=world.resource.pk)
    with pytest.raises(Conflict) as exc:
        interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=earliest())
    assert exc.value.code == "exchange.interface.no_successor"
    v2 = interface_release(actor=world.provider, resource_id=world.resource.pk)
    with pytest.raises(Conflict) as exc:  # the newest cannot be deprecated in favour of an older one
        interface_deprecate(actor=world.provider, version_id=v2.pk, sunset_on=earliest())
    assert exc.value.code == "exchange.interface.no_successor"
    assert not Notice.objects.exists()


def test_deprecating_twice_is_a_conflict(world: World) -> None:
    v1, _ = two_versions(world)
    interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=earliest())
    with pytest.raises(Conflict) as exc:
        interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=earliest())
    assert exc.value.code == "exchange.interface.not_active"
    assert Notice.objects.count() == 2  # the first deprecation's only


def test_deprecate_after_a_new_release_is_a_version_conflict(world: World) -> None:
    v1, _ = two_versions(world)
    interface_release(actor=world.provider, resource_id=world.resource.pk)  # v3, released meanwhile
    with pytest.raises(Conflict) as exc:
        interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=earliest(), expected_latest=2)
    assert exc.value.code == "exchange.interface.changed"
    assert InterfaceVersion.objects.get(pk=v1.pk).state == InterfaceState.ACTIVE


def test_deprecate_by_another_department_looks_missing(world: World) -> None:
    v1, _ = two_versions(world)
    other = actor_of(make_user("x_steward", department=world.bystander, roles=("steward",)))
    before = ChangeRecord.objects.count()
    with pytest.raises(NotFound) as exc:
        interface_deprecate(actor=other, version_id=v1.pk, sunset_on=earliest())
    assert exc.value.code == "exchange.interface.not_found"
    with pytest.raises(NotFound):
        interface_deprecate(actor=world.provider, version_id=999999, sunset_on=earliest())
    assert ChangeRecord.objects.count() == before and not Notice.objects.exists()


# --- retire ----------------------------------------------------------------------------------------


def test_retire_refused_while_grants_are_active_before_sunset(world: World) -> None:
    v1, _ = two_versions(world)
    with pytest.raises(Conflict) as exc:
        interface_retire(actor=world.provider, version_id=v1.pk)
    assert exc.value.code == "exchange.interface.in_use"
    assert "先弃用" in exc.value.message
    interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=earliest())
    with pytest.raises(Conflict) as exc:
        interface_retire(actor=world.provider, version_id=v1.pk)
    assert exc.value.code == "exchange.interface.in_use"
    assert f"{earliest():%Y-%m-%d}" in exc.value.message


def test_retire_after_sunset_tells_the_holders(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    v1, _ = two_versions(world)
    sunset = earliest()
    interface_deprecate(actor=world.provider, version_id=v1.pk, sunset_on=sunset)
    monkeypatch.setattr(interfaces, "_today", lambda: sunset)  # the sunset day itself: still answering
    with pytest.raises(Conflict):
        interface_retire(actor=world.provider, version_id=v1.pk)
    monkeypatch.setattr(interfaces, "_today", lambda: sunset + dt.timedelta(days=1))
    done = interface_retire(actor=world.provider, version_id=v1.pk, note="到期停用")
    assert done.state == InterfaceState.RETIRED
    retired = Notice.objects.filter(kind="exchange.interface.retired")
    assert {n.department_id for n in retired} == {d.pk for d in world.holders}
    record = ChangeRecord.objects.filter(action="exchange.interface.retire").get()
    after = record.after or {}
    assert after["after_sunset"] is True and after["note"] == "到期停用"


def test_retire_at_once_when_nobody_holds_a_grant(world: World) -> None:
    _v1, v2 = two_versions(world)
    for g in world.grants:
        services.grant_revoke(actor=SYSTEM, grant_id=g.pk, reason="业务停止")
    done = interface_retire(actor=world.provider, version_id=v2.pk)
    assert done.state == InterfaceState.RETIRED and done.sunset_on is None
    assert not Notice.objects.exists()
    with pytest.raises(Conflict) as exc:
        interface_retire(actor=world.provider, version_id=v2.pk)
    assert exc.value.code == "exchange.interface.retired"


def test_retire_by_another_department_looks_missing(world: World) -> None:
    v1, _ = two_versions(world)
    for g in world.grants:
        services.grant_revoke(actor=SYSTEM, grant_id=g.pk, reason="业务停止")
    other = actor_of(make_user("r_steward", department=world.holders[0], roles=("steward",)))
    with pytest.raises(NotFound):
        interface_retire(actor=other, version_id=v1.pk)
    assert InterfaceVersion.objects.get(pk=v1.pk).state == InterfaceState.ACTIVE


def test_deprecate_refuses_a_version_past_its_sunset(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _v1, v2 = two_versions(world)
    v3 = interface_release(actor=world.provider, resource_id=world.resource.pk)
    interface_deprecate(actor=world.provider, version_id=v2.pk, sunset_on=earliest())
    monkeypatch.setattr(interfaces, "_today", lambda: earliest() + dt.timedelta(days=1))
    with pytest.raises(Conflict) as exc:
        interface_deprecate(
            actor=world.provider, version_id=v2.pk, sunset_on=earliest() + dt.timedelta(days=90)
        )
    assert exc.value.code == "exchange.interface.not_active"
    assert v3.number == 3


# --- resolve ---------------------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 1)


def make(resource: Resource, number: int, **fields: Any) -> InterfaceVersion:
    return InterfaceVersion.objects.create(
        resource=resource, number=number, item_names=fields.pop("items", [f"项{number}"]), released_by="t",
        **fields,
    )  # fmt: skip


@pytest.fixture
def res(dept: Any) -> Resource:
    return published_resource(dept, "解析测试资源")


def test_resolve_without_versions_serves_all_items(res: Resource) -> None:
    assert resolve(res.pk, None, TODAY) == ALL_ITEMS
    assert resolve(res.pk, "", TODAY) == ALL_ITEMS
    assert ALL_ITEMS.item_names is None and ALL_ITEMS.version is None
    check = resolve(res.pk, "1", TODAY)
    assert check.unknown and not check.gone and check.version is None


@pytest.mark.parametrize("raw", ["abc", "1.5", "-1", "v2", "٣", "1 2", "9999999999", "+1", "0x1"])
def test_resolve_non_integer_is_unknown_without_a_query(
    res: Resource, raw: str, django_assert_num_queries: Any
) -> None:
    make(res, 1)
    with django_assert_num_queries(0):
        check = resolve(res.pk, raw, TODAY)
    assert check.unknown and not check.gone and check.item_names is None


def test_resolve_default_is_the_newest_not_retired(res: Resource, django_assert_num_queries: Any) -> None:
    make(res, 1, items=["姓名"])
    make(res, 2, items=["姓名", "性别"])
    make(res, 3, state=InterfaceState.RETIRED)
    with django_assert_num_queries(1):
        check = resolve(res.pk, None, TODAY)
    assert check.version == 2 and check.item_names == frozenset({"姓名", "性别"})
    assert not (check.gone or check.unknown or check.deprecated)
    assert check.successor is None and check.sunset_on is None
    assert resolve(res.pk, " ", TODAY).version == 2


def test_resolve_pinned_active(res: Resource) -> None:
    make(res, 1, items=["姓名"])
    make(res, 2)
    check = resolve(res.pk, "1", TODAY)
    assert (check.version, check.item_names, check.gone, check.unknown) == (
        1,
        frozenset({"姓名"}),
        False,
        False,
    )
    assert resolve(res.pk, " 01 ", TODAY).version == 1


def test_resolve_deprecated_carries_sunset_and_successor(res: Resource) -> None:
    at = timezone.now()
    v2 = make(res, 2)
    make(res, 1, state=InterfaceState.DEPRECATED, sunset_on=TODAY, successor=v2, deprecated_at=at)
    check = resolve(res.pk, "1", TODAY)  # the sunset day itself: still answering
    assert check.deprecated and not check.gone
    assert (check.version, check.sunset_on, check.successor, check.deprecated_at) == (1, TODAY, 2, at)
    headers = deprecation_headers(check, f"/gateway/v1/resources/{res.pk}/records")
    assert headers["Deprecation"] == f"@{int(at.timestamp())}"
    assert headers["Sunset"] == "Tue, 01 Dec 2026 16:00:00 GMT"  # 2026-12-02 00:00 in Asia/Shanghai
    assert headers["Link"] == f'</gateway/v1/resources/{res.pk}/records?version=2>; rel="successor-version"'
    assert deprecation_headers(resolve(res.pk, "2", TODAY), "/x") == {}


def test_resolve_after_sunset_is_gone_naming_the_successor(res: Resource) -> None:
    v2 = make(res, 2)
    make(res, 1, state=InterfaceState.DEPRECATED, sunset_on=TODAY, successor=v2)
    check = resolve(res.pk, "1", TODAY + dt.timedelta(days=1))
    assert check.gone and not check.unknown and (check.version, check.successor) == (1, 2)
    message = gone_message(check)
    assert "v1" in message and "v2" in message and "version=2" in message and "2026-12-01" in message
    assert resolve(res.pk, None, TODAY + dt.timedelta(days=1)).version == 2


def test_resolve_retired_by_state_before_its_sunset(res: Resource) -> None:
    make(res, 2)
    make(res, 1, state=InterfaceState.RETIRED)
    check = resolve(res.pk, "1", TODAY)
    assert check.gone and check.successor == 2 and check.sunset_on is None
    assert "已停用" in gone_message(check) and "v2" in gone_message(check)


def test_resolve_successor_retired_falls_back_to_the_newest_live(res: Resource) -> None:
    make(res, 3)
    v2 = make(res, 2, state=InterfaceState.RETIRED)
    make(res, 1, state=InterfaceState.DEPRECATED, sunset_on=TODAY, successor=v2)
    assert resolve(res.pk, "1", TODAY).successor == 3
    assert resolve(res.pk, "2", TODAY).successor == 3


def test_resolve_unknown_number_suggests_the_newest(res: Resource) -> None:
    make(res, 1)
    make(res, 2)
    check = resolve(res.pk, "7", TODAY)
    assert check.unknown and not check.gone and check.version is None and check.successor == 2
    assert "“7”" in unknown_message("7", check) and "v2" in unknown_message("7", check)
    assert resolve(res.pk, "0", TODAY).unknown


def test_resolve_all_retired(res: Resource) -> None:
    make(res, 1, state=InterfaceState.RETIRED)
    make(res, 2, state=InterfaceState.DEPRECATED, sunset_on=TODAY - dt.timedelta(days=1))
    check = resolve(res.pk, None, TODAY)
    assert check.gone and check.version == 2 and check.successor is None
    assert "联系提供部门" in gone_message(check)
    assert resolve(res.pk, "1", TODAY).successor is None


def test_resolve_is_per_resource(res: Resource, dept: Any) -> None:
    other = published_resource(dept, "另一资源")
    make(other, 1, items=["别的"])
    assert resolve(res.pk, None, TODAY) == ALL_ITEMS
    assert resolve(res.pk, "1", TODAY).unknown


# --- API and pages ---------------------------------------------------------------------------------


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c: Client, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, json.dumps(body), content_type="application/json")


def test_api_release_deprecate_retire(world: World, steward: Any) -> None:
    c = client_for(steward)
    base = f"/api/exchange/resources/{world.resource.pk}/interfaces"
    assert c.get(base).json() == []
    r1 = post(c, base, {"note": "首版", "latest": 0})
    assert r1.status_code == 201 and r1.json()["number"] == 1
    assert post(c, base, {"latest": 0}).status_code == 409
    assert post(c, base, {"latest": 1}).status_code == 201
    v1 = r1.json()["id"]
    soon = post(c, f"/api/exchange/interfaces/{v1}/deprecate", {"sunset_on": f"{timezone.localdate()}"})
    assert soon.status_code == 400
    assert soon.json()["code"] == "exchange.interface.sunset_too_soon"
    assert soon.json()["errors"][0]["field"] == "sunset_on"
    ok = post(c, f"/api/exchange/interfaces/{v1}/deprecate", {"sunset_on": f"{earliest()}", "latest": 2})
    assert ok.status_code == 200, ok.content
    assert (ok.json()["state"], ok.json()["successor"]) == ("deprecated", 2)
    busy = post(c, f"/api/exchange/interfaces/{v1}/retire", {"note": ""})
    assert busy.status_code == 409 and busy.json()["code"] == "exchange.interface.in_use"
    listed = c.get(base).json()
    assert [v["number"] for v in listed] == [2, 1] and listed[1]["sunset_on"] == f"{earliest()}"


def test_interfaces_page_for_the_provider_and_for_a_consumer(world: World, steward: Any) -> None:
    c = client_for(steward)
    url = f"/exchange/resources/{world.resource.pk}/interfaces/"
    page = c.get(url).content.decode()
    assert "尚未发布接口版本" in page and "发布 v1" in page and INTERFACE_SUNSET_NOTICE_DAYS in page
    response = c.post(url, {"note": "首版", "latest": "0"})
    assert response.status_code == 302
    stale = c.post(url, {"note": "重复", "latest": "0"})
    assert stale.status_code == 409 and "已被他人变更" in stale.content.decode()
    c.post(url, {"latest": "1"})
    v1 = InterfaceVersion.objects.get(resource=world.resource, number=1)
    too_soon = c.post(f"/exchange/interfaces/{v1.pk}/deprecate/", {"sunset_on": f"{timezone.localdate()}"})
    assert too_soon.status_code == 400 and "太近" in too_soon.content.decode()
    done = c.post(f"/exchange/interfaces/{v1.pk}/deprecate/", {"sunset_on": f"{earliest()}", "latest": "2"})
    assert done.status_code == 302
    page = c.get(url).content.decode()
    assert "已弃用" in page and "替代版本 v2" in page
    busy = c.post(f"/exchange/interfaces/{v1.pk}/retire/", {"note": ""})
    assert busy.status_code == 409 and "不能立即停用" in busy.content.decode()

    consumer = make_user("i_consumer", department=world.holders[0], roles=("consumer",))
    seen = client_for(consumer).get(url).content.decode()
    assert "v2" in seen and "deprecate-form" not in seen and "立即停用" not in seen
    assert client_for(consumer).post(url, {"latest": "2"}).status_code == 404
    assert client_for(consumer).post(f"/exchange/interfaces/{v1.pk}/retire/", {}).status_code == 404


def test_resource_detail_links_to_interfaces_usage_and_grants(world: World, steward: Any) -> None:
    page = client_for(steward).get(f"/catalog/resources/{world.resource.pk}/").content.decode()
    assert 'id="link-interfaces"' in page and 'id="link-usage"' in page and 'id="link-grants"' in page
    consumer = make_user("d_consumer", department=world.holders[0], roles=("consumer",))
    seen = client_for(consumer).get(f"/catalog/resources/{world.resource.pk}/").content.decode()
    assert 'id="link-interfaces"' in seen and 'id="link-usage"' not in seen and 'id="link-grants"' not in seen
