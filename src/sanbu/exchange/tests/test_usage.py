"""Usage counting (``count_calls``, one upsert per key, on SQLite and PostgreSQL), the scoped usage
selectors, the usage API and pages, and the grant pages (revocation with reason and confirmation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.errors import NotFound, ValidationFailed
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services, usage
from sanbu.exchange.models import ConsumerApp, Grant, UsageDay
from sanbu.exchange.usage import count_calls

from .sharing import item_ids, published_resource

pytestmark = pytest.mark.django_db(databases="__all__")

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


@dataclass
class World:
    resource: Resource
    other_resource: Resource
    app_a: ConsumerApp
    app_b: ConsumerApp
    consumer_dept: Any
    provider_dept: Any


@pytest.fixture
def world(dept: Any, other_dept: Any) -> World:
    r1 = published_resource(dept, "人口基本信息", share_type="unconditional")
    r2 = published_resource(other_dept, "市场主体登记信息", share_type="unconditional")
    consumer = make_department("淄博市民政局")
    a = services.app_register(actor=SYSTEM, name="救助系统", department_id=consumer.pk)
    b = services.app_register(actor=SYSTEM, name="养老系统", department_id=consumer.pk)
    return World(r1, r2, a, b, consumer, dept)


def counters() -> dict[tuple[int, int, dt.date], tuple[int, int, int]]:
    return {(u.resource_id, u.app_id, u.day): (u.calls, u.answered, u.rows) for u in UsageDay.objects.all()}


# --- count_calls -----------------------------------------------------------------------------------


def test_count_calls_accumulates_across_calls(world: World, django_assert_num_queries: Any) -> None:
    r, a, b = world.resource.pk, world.app_a.pk, world.app_b.pk
    batch = [(r, a, D1, True, 5), (r, a, D1, True, 1), (r, a, D1, False, 0), (r, b, D1, True, 2),
             (r, a, D2, False, 0)]  # fmt: skip
    with transaction.atomic(), django_assert_num_queries(3):  # one statement per distinct key
        count_calls(batch)
    assert counters() == {(r, a, D1): (3, 2, 6), (r, b, D1): (1, 1, 2), (r, a, D2): (1, 0, 0)}
    with transaction.atomic():
        count_calls(batch)
        count_calls([(world.other_resource.pk, a, D1, True, 7)])
    assert counters() == {
        (r, a, D1): (6, 4, 12), (r, b, D1): (2, 2, 4), (r, a, D2): (2, 0, 0),
        (world.other_resource.pk, a, D1): (1, 1, 7),
    }  # fmt: skip
    assert UsageDay.objects.count() == 4


def test_count_calls_with_nothing_writes_nothing(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        count_calls([])


def test_count_calls_rolls_back_with_the_callers_transaction(world: World) -> None:
    r, a = world.resource.pk, world.app_a.pk
    count_calls([(r, a, D1, True, 1)])
    with pytest.raises(RuntimeError), transaction.atomic():
        count_calls([(r, a, D1, True, 1), (r, a, D2, True, 1)])
        raise RuntimeError("the access-log batch failed")
    assert counters() == {(r, a, D1): (1, 1, 1)}


def test_count_calls_runs_on_this_database(world: World) -> None:
    """The same upsert on SQLite and PostgreSQL (CI runs both): big counts and many keys."""
    r = world.resource.pk
    rows = [(r, world.app_a.pk, D1 + dt.timedelta(days=i % 40), i % 3 != 0, 100) for i in range(400)]
    with transaction.atomic():
        count_calls(rows)
        count_calls(rows)
    totals = UsageDay.objects.filter(resource_id=r)
    assert totals.count() == 40
    assert sum(u.calls for u in totals) == 800
    assert sum(u.rows for u in totals) == 80000


# --- selectors -------------------------------------------------------------------------------------


@pytest.fixture
def counted(world: World) -> World:
    today = timezone.localdate()
    r, a, b = world.resource.pk, world.app_a.pk, world.app_b.pk
    with transaction.atomic():
        count_calls(
            [(r, a, today, True, 3)] * 4 + [(r, b, today, False, 0)] + [(r, a, today - dt.timedelta(days=2), True, 1)]
            + [(r, a, today - dt.timedelta(days=100), True, 1)] + [(world.other_resource.pk, a, today, True, 9)]
        )  # fmt: skip
    return world


def test_usage_by_day_fills_every_day(counted: World, steward_actor: Actor) -> None:
    today = timezone.localdate()
    days = usage.usage_by_day(actor=steward_actor, resource_id=counted.resource.pk)
    assert len(days) == 30 and days[0].day == today - dt.timedelta(days=29) and days[-1].day == today
    assert (days[-1].calls, days[-1].answered, days[-1].rows, days[-1].refused) == (5, 4, 12, 1)
    assert days[-3].calls == 1 and sum(d.calls for d in days) == 6
    longer = usage.usage_by_day(
        actor=steward_actor, resource_id=counted.resource.pk, start=today - dt.timedelta(days=120), end=today
    )
    assert sum(d.calls for d in longer) == 7 and len(longer) == 121


def test_usage_by_app_and_department(counted: World, steward_actor: Actor) -> None:
    apps = usage.usage_by_app(actor=steward_actor, resource_id=counted.resource.pk)
    assert [(a.app_name, a.calls, a.answered) for a in apps] == [("救助系统", 5, 5), ("养老系统", 1, 0)]
    assert {a.department_name for a in apps} == {"淄博市民政局"}
    report = usage.resource_usage(actor=steward_actor, resource_id=counted.resource.pk)
    assert [(d.department_name, d.apps, d.calls) for d in report.departments] == [("淄博市民政局", 2, 6)]
    assert (report.calls, report.answered, report.refused, report.peak) == (6, 5, 1, 5)


def test_usage_is_visible_to_the_provider_and_the_authority_only(
    counted: World, authority_actor: Actor
) -> None:
    r = counted.resource.pk
    assert usage.resource_usage(actor=authority_actor, resource_id=r).calls == 6
    auditor = actor_of(make_user("u_auditor", department=counted.provider_dept, roles=("auditor",)))
    assert usage.resource_usage(actor=auditor, resource_id=r).calls == 6
    jinan = make_department("济南市大数据局", jurisdiction="370100")
    outsiders = [
        actor_of(make_user("u_jinan", department=jinan, roles=("authority",), jurisdiction="370100")),
        actor_of(make_user("u_other", department=counted.consumer_dept, roles=("steward",))),
        actor_of(make_user("u_consumer", department=counted.consumer_dept, roles=("consumer",))),
        actor_of(make_user("u_norole", department=counted.provider_dept)),
    ]
    for actor in outsiders:
        for fn in (usage.resource_usage, usage.usage_by_day, usage.usage_by_app):
            with pytest.raises(NotFound) as exc:
                fn(actor=actor, resource_id=r)
            assert exc.value.code == "catalog.resource.not_found"
    with pytest.raises(NotFound):
        usage.resource_usage(actor=authority_actor, resource_id=999999)


def test_usage_period_is_checked(counted: World, steward_actor: Actor) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as exc:
        usage.resource_usage(
            actor=steward_actor,
            resource_id=counted.resource.pk,
            start=today,
            end=today - dt.timedelta(days=1),
        )
    assert exc.value.errors[0].code == "after_end"
    with pytest.raises(ValidationFailed) as exc:
        usage.usage_by_day(
            actor=steward_actor, resource_id=counted.resource.pk, start=today - dt.timedelta(days=400)
        )
    assert exc.value.errors[0].code == "too_long"


def test_usage_overview_is_scoped(counted: World, steward_actor: Actor, authority_actor: Actor) -> None:
    mine = usage.usage_overview(actor=steward_actor)
    assert [(t.resource.pk, t.calls) for t in mine] == [(counted.resource.pk, 6)]
    everything = {t.resource.pk: t.calls for t in usage.usage_overview(actor=authority_actor)}
    assert everything == {counted.resource.pk: 6, counted.other_resource.pk: 1}
    consumer = actor_of(make_user("o_consumer", department=counted.consumer_dept, roles=("consumer",)))
    assert usage.usage_overview(actor=consumer) == []


# --- API and pages ---------------------------------------------------------------------------------


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_usage_api(counted: World, steward: Any) -> None:
    c = client_for(steward)
    body = c.get(f"/api/exchange/resources/{counted.resource.pk}/usage").json()
    assert (body["calls"], body["answered"], len(body["days"])) == (6, 5, 30)
    assert body["apps"][0]["app"]["name"] == "救助系统" and body["departments"][0]["calls"] == 6
    start = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    narrow = c.get(f"/api/exchange/resources/{counted.resource.pk}/usage", {"start": start}).json()
    assert len(narrow["days"]) == 3 and narrow["calls"] == 6
    bad = c.get(
        f"/api/exchange/resources/{counted.resource.pk}/usage", {"start": "2030-01-01", "end": "2029-01-01"}
    )
    assert bad.status_code == 400
    assert c.get(f"/api/exchange/resources/{counted.other_resource.pk}/usage").status_code == 404


def test_usage_pages(counted: World, steward: Any) -> None:
    c = client_for(steward)
    assert "调用统计" in c.get("/").content.decode()
    page = c.get(f"/exchange/resources/{counted.resource.pk}/usage/").content.decode()
    assert "<svg" in page and "<rect" in page and "救助系统" in page and "淄博市民政局" in page
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "?days=90" in page
    quarter = c.get(f"/exchange/resources/{counted.resource.pk}/usage/?days=90").content.decode()
    assert quarter.count("<tr") > 90
    bad = c.get(f"/exchange/resources/{counted.resource.pk}/usage/?start=2030-01-01&end=2029-01-01")
    assert bad.status_code == 200 and "开始日期不能晚于结束日期" in bad.content.decode()
    assert c.get(f"/exchange/resources/{counted.other_resource.pk}/usage/").status_code == 404
    index = c.get("/exchange/usage/").content.decode()
    assert "人口基本信息" in index and "市场主体登记信息" not in index
    consumer = make_user("p_consumer", department=counted.consumer_dept, roles=("consumer",))
    assert client_for(consumer).get("/exchange/usage/").status_code == 404


def _granted(resource: Resource, app: ConsumerApp) -> Grant:
    req = services.request_submit(
        actor=SYSTEM, app_id=app.pk, resource_id=resource.pk, item_ids=item_ids(resource, "姓名"),
        purpose="核验", legal_basis="职责", period_start=dt.date(2026, 1, 1), period_end=dt.date(2030, 12, 31),
    )  # fmt: skip
    return Grant.objects.get(request=req)


def test_grants_page_revokes_with_reason_and_confirmation(world: World, steward: Any) -> None:
    grant = _granted(world.resource, world.app_a)
    foreign = _granted(world.other_resource, world.app_b)
    c = client_for(steward)
    page = c.get("/exchange/grants/").content.decode()
    assert f'id="grant-{grant.pk}"' in page and f'id="grant-{foreign.pk}"' not in page
    url = f"/exchange/grants/{grant.pk}/revoke/"
    unconfirmed = c.post(url, {"reason": "超范围使用"})
    assert unconfirmed.status_code == 400 and "请勾选确认" in unconfirmed.content.decode()
    no_reason = c.post(url, {"reason": " ", "confirm": "1"})
    assert no_reason.status_code == 400 and "撤销原因" in no_reason.content.decode()
    assert Grant.objects.get(pk=grant.pk).revoked_at is None
    assert (
        c.post(f"/exchange/grants/{foreign.pk}/revoke/", {"reason": "x", "confirm": "1"}).status_code == 404
    )
    done = c.post(url, {"reason": "超范围使用", "confirm": "1"})
    assert done.status_code == 302
    revoked = Grant.objects.get(pk=grant.pk)
    assert revoked.revoked_reason == "超范围使用" and revoked.revoked_by == "steward"
    assert not revoked.is_active_on(timezone.now())
    assert f'id="grant-{grant.pk}"' not in c.get("/exchange/grants/").content.decode()
    assert "已撤销" in c.get("/exchange/grants/?state=inactive").content.decode()


def test_revoke_from_the_request_page(world: World, steward: Any, authority: Any) -> None:
    grant = _granted(world.resource, world.app_a)
    detail = f"/exchange/requests/{grant.request_id}/"
    c = client_for(authority)
    assert 'id="grant-revoke"' in c.get(detail).content.decode()
    consumer = make_user("r_consumer", department=world.consumer_dept, roles=("consumer",))
    assert 'id="grant-revoke"' not in client_for(consumer).get(detail).content.decode()
    again = c.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": "", "confirm": "1", "next": detail})
    assert again.status_code == 302 and again["Location"] == detail
    assert Grant.objects.get(pk=grant.pk).revoked_at is None
    done = c.post(
        f"/exchange/grants/{grant.pk}/revoke/", {"reason": "业务停止", "confirm": "1", "next": detail}
    )
    assert done.status_code == 302 and done["Location"] == detail
    assert Grant.objects.get(pk=grant.pk).revoked_by == "authority"
    outside = c.post(
        f"/exchange/grants/{grant.pk}/revoke/",
        {"reason": "x", "confirm": "1", "next": "https://evil.example/"},
    )
    assert outside.status_code == 409  # already revoked: shown on the grants page, never sent off-site
