"""What a system consumes (its apps' grants), the docked filter on a list, and the docking labels."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import NotFound
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services as exchange_services
from sanbu.exchange.models import Grant, UsageDay
from sanbu.exchange.tests.sharing import item_ids, published_resource
from sanbu.inventory import selectors, services
from sanbu.inventory.models import InformationSystem, Network, SystemStatus
from sanbu.inventory.services import SystemData

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def env(db: Any) -> dict[str, Any]:
    dept = make_department("淄博市民政局")
    other = make_department("淄博市公安局")
    steward = actor_of(make_user("c_steward", department=dept, roles=("steward",)))
    return {
        "dept": dept,
        "other": other,
        "steward": steward,
        "other_steward": actor_of(make_user("c_other", department=other, roles=("steward",))),
        "authority": actor_of(make_user("c_auth", department=other, roles=("authority",))),
        "resource": published_resource(other, "户籍人口信息", share_type="unconditional"),
        "second": published_resource(other, "居民身份证信息", share_type="unconditional"),
    }


def _grant(env: dict[str, Any], app_id: int, resource: Any, actor: Any = None) -> Grant:
    today = timezone.localdate()
    req = exchange_services.request_submit(
        actor=actor or env["steward"], app_id=app_id, resource_id=resource.pk,
        item_ids=item_ids(resource, "公民身份号码", "姓名"), purpose="低保审核时核验身份",
        legal_basis="《政务数据共享条例》", period_start=today, period_end=today + timedelta(days=365),
    )  # fmt: skip
    return Grant.objects.get(request=req)


def test_consumes_lists_the_grants_of_apps_named_after_the_system(env: dict[str, Any]) -> None:
    system = services.system_register(actor=env["steward"], data=SystemData(name="社会救助系统"))
    app = exchange_services.app_register(actor=env["steward"], name="救助核验", system_name="社会救助系统")
    unrelated = exchange_services.app_register(actor=env["steward"], name="其他应用", system_name="别的系统")
    active = _grant(env, app.pk, env["resource"])
    revoked = _grant(env, app.pk, env["second"])
    exchange_services.grant_revoke(actor=SYSTEM, grant_id=revoked.pk, reason="用途已结束")
    _grant(env, unrelated.pk, env["resource"])
    # a same-named app of another department does not count for this department's system
    twin = exchange_services.app_register(actor=env["other_steward"], name="同名", system_name="社会救助系统")
    _grant(
        env, twin.pk, published_resource(env["dept"], "婚姻登记信息", "unconditional"), env["other_steward"]
    )

    consumed = selectors.system_consumes(
        actor=env["steward"], system_id=system.pk, today=timezone.localdate()
    )
    assert [(c.grant_id, c.state, c.state_label) for c in consumed] == [
        (active.pk, "active", "有效"),
        (revoked.pk, "revoked", "已撤销"),
    ]
    first = consumed[0]
    assert first.resource_name == "户籍人口信息" and first.provider == env["other"].name
    assert first.app_name == "救助核验" and first.items == ("公民身份号码", "姓名")

    Grant.objects.filter(pk=active.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    states = [c.state for c in selectors.consumes(system, timezone.localdate())]
    assert states == ["expired", "revoked"]


def test_consumes_is_scoped_to_the_actor(env: dict[str, Any]) -> None:
    system = services.system_register(actor=env["steward"], data=SystemData(name="社会救助系统"))
    with pytest.raises(NotFound):
        selectors.system_consumes(actor=env["other_steward"], system_id=system.pk, today=timezone.localdate())
    assert (
        selectors.system_consumes(actor=env["authority"], system_id=system.pk, today=timezone.localdate())
        == []
    )


def test_docked_filter_agrees_with_docked_many(env: dict[str, Any]) -> None:
    today = timezone.localdate()
    own = published_resource(env["dept"], "低保对象信息")
    by_resource = services.system_register(
        actor=env["steward"], data=SystemData(name="甲", provides=(own.pk,))
    )
    by_gateway = services.system_register(actor=env["steward"], data=SystemData(name="乙"))
    services.system_register(actor=env["steward"], data=SystemData(name="丙", network=Network.INTERNET))
    app = exchange_services.app_register(actor=env["steward"], name="乙应用", system_name="乙")
    UsageDay.objects.create(resource_id=env["resource"].pk, app=app, day=today - timedelta(days=3), calls=7)
    UsageDay.objects.create(resource_id=env["second"].pk, app=app, day=today, calls=5)

    docked = selectors.system_list(actor=env["steward"], docked=True, today=today)
    undocked = selectors.system_list(actor=env["steward"], docked=False, today=today)
    assert {s.name for s in docked} == {"甲", "乙"}
    assert [s.name for s in undocked] == ["丙"]
    everything = list(selectors.system_list(actor=env["steward"]))
    computed = selectors.docked_many(everything, today)
    assert {s.pk for s in everything if computed[s.pk].docked} == {s.pk for s in docked}

    d = computed[by_resource.pk]
    assert d.label == "提供已发布资源：低保对象信息" and d.resource_id == own.pk
    g = computed[by_gateway.pk]
    assert g.label == "近 90 天调用网关 12 次" and g.calls == 12 and g.window_days == 90
    assert computed[next(s.pk for s in everything if s.name == "丙")].label == "未对接"
    apps = selectors.system_apps(by_gateway, today)
    assert [(a.name, a.calls, a.last_day) for a in apps] == [("乙应用", 12, today)]
    # outside the window the filter and the label agree again
    later = today + timedelta(days=91)
    assert [s.name for s in selectors.system_list(actor=env["steward"], docked=True, today=later)] == ["甲"]
    assert selectors.docked(by_gateway, later).label == "未对接"


def test_list_filters(env: dict[str, Any]) -> None:
    services.system_register(
        actor=env["steward"],
        data=SystemData(name="养老服务平台", purpose="居家养老补贴", network=Network.INTERNET),
    )
    services.system_register(
        actor=env["steward"],
        data=SystemData(
            name="婚姻登记系统", status=SystemStatus.BUILDING, built_by_project="婚姻登记改造项目"
        ),
    )
    services.system_register(actor=env["other_steward"], data=SystemData(name="人口系统"))

    def names(actor: Any = None, **kw: Any) -> list[str]:
        return [s.name for s in selectors.system_list(actor=actor or env["authority"], **kw)]

    assert names(q="养老") == ["养老服务平台"]
    assert names(q="改造") == ["婚姻登记系统"]
    assert set(names(q="民政")) == {"婚姻登记系统", "养老服务平台"}  # by department name
    assert names(network=Network.INTERNET) == ["养老服务平台"]
    assert names(status=SystemStatus.BUILDING) == ["婚姻登记系统"]
    assert names(department_id=env["other"].pk) == ["人口系统"]
    assert names(env["other_steward"]) == ["人口系统"]
    assert InformationSystem.objects.count() == 3


def test_window_parameter_comes_with_its_citation() -> None:
    window = selectors.docking_window()
    assert window.value == selectors.docking_window_days() == 90
    assert "SUP-1" in window.citation


def test_consumes_uses_the_given_day(env: dict[str, Any]) -> None:
    system = services.system_register(actor=env["steward"], data=SystemData(name="社会救助系统"))
    app = exchange_services.app_register(actor=env["steward"], name="救助核验", system_name=system.name)
    grant = _grant(env, app.pk, env["resource"])
    Grant.objects.filter(pk=grant.pk).update(expires_on=date(2030, 1, 1))
    assert selectors.consumes(system, date(2029, 12, 31))[0].state == "active"
    assert selectors.consumes(system, date(2030, 1, 2))[0].state == "expired"
