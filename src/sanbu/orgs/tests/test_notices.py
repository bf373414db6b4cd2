"""Notices to departments: written once per department, read only by that department, marked read;
the API, the notices page and the unread badge in the navigation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sanbu.core.errors import NotFound
from sanbu.core.testing import actor_of, make_user
from sanbu.orgs.models import Notice
from sanbu.orgs.notices import notice_mark_read, notices_for, notify

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def depts(dept: Any, other_dept: Any) -> tuple[Any, Any]:
    return dept, other_dept


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_notify_writes_one_notice_per_distinct_department(depts: tuple[Any, Any]) -> None:
    a, b = depts
    n = notify(department_ids=[b.pk, a.pk, b.pk], kind="test", title="标" * 300, body="内容", link="/x/")
    assert n == 2
    rows = list(Notice.objects.order_by("department_id"))
    assert [r.department_id for r in rows] == sorted([a.pk, b.pk])
    assert all(len(r.title) == 200 and r.read_at is None for r in rows)
    assert notify(department_ids=[], kind="test", title="无人") == 0


def test_each_department_reads_its_own(depts: tuple[Any, Any]) -> None:
    a, b = depts
    notify(department_ids=[a.pk], kind="test", title="给公安局")
    notify(department_ids=[b.pk], kind="test", title="给市场监管局")
    actor_a = actor_of(make_user("n_a", department=a, roles=("consumer",)))
    assert [n.title for n in notices_for(actor=actor_a)] == ["给公安局"]
    no_dept = actor_of(make_user("n_none", roles=("auditor",)))
    assert list(notices_for(actor=no_dept)) == []


def test_mark_read_once_and_only_in_the_department(depts: tuple[Any, Any]) -> None:
    a, b = depts
    notify(department_ids=[a.pk, b.pk], kind="test", title="通知")
    mine = Notice.objects.get(department=a)
    theirs = Notice.objects.get(department=b)
    first = actor_of(make_user("n_first", department=a, roles=("steward",)))
    second = actor_of(make_user("n_second", department=a, roles=("consumer",)))
    assert notices_for(actor=first, unread_only=True).count() == 1
    read = notice_mark_read(actor=first, notice_id=mine.pk)
    assert read.read_at is not None and read.read_by == "n_first"
    again = notice_mark_read(actor=second, notice_id=mine.pk)
    assert again.read_by == "n_first" and again.read_at == read.read_at
    assert notices_for(actor=second, unread_only=True).count() == 0
    with pytest.raises(NotFound) as exc:
        notice_mark_read(actor=first, notice_id=theirs.pk)
    assert exc.value.code == "orgs.notice.not_found"
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_notices_api(depts: tuple[Any, Any]) -> None:
    a, b = depts
    notify(department_ids=[a.pk], kind="test", title="一")
    notify(department_ids=[a.pk], kind="test", title="二")
    notify(department_ids=[b.pk], kind="test", title="别人的")
    c = client_for(make_user("api_a", department=a, roles=("consumer",)))
    listed = c.get("/api/orgs/notices").json()
    assert [n["title"] for n in listed] == ["二", "一"]
    first = listed[1]["id"]
    read = c.post(f"/api/orgs/notices/{first}/read", json.dumps({}), content_type="application/json")
    assert read.status_code == 200 and read.json()["read_by"] == "api_a"
    assert [n["title"] for n in c.get("/api/orgs/notices", {"unread": "true"}).json()] == ["二"]
    other = Notice.objects.get(department=b).pk
    refused = c.post(f"/api/orgs/notices/{other}/read", json.dumps({}), content_type="application/json")
    assert refused.status_code == 404 and refused.json()["code"] == "orgs.notice.not_found"


def test_notices_page_badge_and_mark_read(depts: tuple[Any, Any]) -> None:
    a, b = depts
    notify(department_ids=[a.pk], kind="test", title="接口停用通知", body="请改用 v2", link="/catalog/")
    notify(department_ids=[a.pk], kind="test", title="另一条")
    notify(department_ids=[b.pk], kind="test", title="别人的")
    c = client_for(make_user("page_a", department=a, roles=("consumer",)))
    home = c.get("/").content.decode()
    assert 'href="/notices/">通知<span class="count">2</span>' in home
    page = c.get("/notices/").content.decode()
    assert "接口停用通知" in page and "请改用 v2" in page and "别人的" not in page and "2 条未读" in page
    target = Notice.objects.get(title="另一条")
    done = c.post(f"/notices/{target.pk}/read/", {"next": "/notices/?unread=1"})
    assert done.status_code == 302 and done["Location"] == "/notices/?unread=1"
    assert "另一条" not in c.get("/notices/?unread=1").content.decode()
    linked = Notice.objects.get(title="接口停用通知")
    opened = c.post(f"/notices/{linked.pk}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == "/catalog/"
    assert 'class="count"' not in c.get("/").content.decode().split('href="/notices/"')[1][:40]
    assert c.post(f"/notices/{Notice.objects.get(title='别人的').pk}/read/").status_code == 404
    assert c.get("/notices/").status_code == 200


def test_a_notice_never_links_off_site(depts: tuple[Any, Any]) -> None:
    a, _ = depts
    notify(department_ids=[a.pk], kind="test", title="外链", link="https://evil.example/")
    c = client_for(make_user("page_x", department=a, roles=("consumer",)))
    n = Notice.objects.get()
    response = c.post(f"/notices/{n.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/notices/"


def test_deprecation_notices_reach_the_holders_pages(depts: tuple[Any, Any]) -> None:
    """End to end with the interface lifecycle: the consumer sees the notice in the nav and on the page."""
    import datetime as dt

    from django.utils import timezone

    from sanbu.core.actor import SYSTEM
    from sanbu.core.calendar import add_working_days
    from sanbu.exchange import interfaces, services
    from sanbu.exchange.tests.sharing import item_ids, published_resource

    provider, consumer = depts
    resource = published_resource(provider, "人口基本信息", share_type="unconditional")
    app = services.app_register(actor=SYSTEM, name="核验系统", department_id=consumer.pk)
    services.request_submit(
        actor=SYSTEM, app_id=app.pk, resource_id=resource.pk, item_ids=item_ids(resource, "姓名"), purpose="核验",
        legal_basis="职责", period_start=dt.date(2026, 1, 1), period_end=dt.date(2030, 1, 1),
    )  # fmt: skip
    steward = actor_of(make_user("dn_steward", department=provider, roles=("steward",)))
    v1 = interfaces.interface_release(actor=steward, resource_id=resource.pk)
    interfaces.interface_release(actor=steward, resource_id=resource.pk)
    sunset = add_working_days(timezone.localdate(), 30).date
    interfaces.interface_deprecate(actor=steward, version_id=v1.pk, sunset_on=sunset)
    c = client_for(make_user("dn_consumer", department=consumer, roles=("consumer",)))
    page = c.get("/notices/").content.decode()
    assert "人口基本信息 v1" in page and f"{sunset:%Y-%m-%d}" in page and "请改用 v2" in page
    assert 'href="/notices/">通知<span class="count">1</span>' in c.get("/").content.decode()
    assert not Notice.objects.filter(department=provider).exists()
