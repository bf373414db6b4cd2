"""供需对接: every transition and refusal, deadlines in working days, notices and change records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sanbu.catalog import services as catalog
from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import needs
from sanbu.exchange.models import DataNeed, NeedOutcome, NeedState
from sanbu.orgs.models import Notice

from .needs_support import NeedWorld, item, need_world, resource

pytestmark = pytest.mark.django_db(databases="__all__")

SH = ZoneInfo("Asia/Shanghai")
BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH)


@pytest.fixture
def w(db: Any) -> NeedWorld:
    return need_world()


def at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    monkeypatch.setattr(needs, "_now", lambda: when)


def post(w: NeedWorld, *items: str, title: str = "低保申请人身份核验", **over: Any) -> DataNeed:
    kwargs: dict[str, Any] = dict(
        actor=w.civil_consumer, title=title, description="审核低保申请时核对申请人身份",
        desired_items=list(items or ("身份证号", "姓名")), purpose="社会救助审核",
    )  # fmt: skip
    kwargs.update(over)
    return needs.need_post(**kwargs)


def routed(w: NeedWorld, monkeypatch: pytest.MonkeyPatch | None = None) -> DataNeed:
    """A need nobody's catalog covers, routed automatically to 卫健委 (authority of 死亡日期)."""
    if monkeypatch is not None:
        at(monkeypatch, BEFORE_NATIONAL_DAY)
    return post(w, "死亡日期", title="死亡人员名单")


def actions(need: DataNeed) -> list[str]:
    return list(
        ChangeRecord.objects.filter(object_type="exchange.dataneed", object_id=str(need.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def notices(dept: Any) -> list[str]:
    return list(Notice.objects.filter(department=dept).order_by("id").values_list("title", flat=True))


# --- posting ---------------------------------------------------------------------------------------


def test_post_covered_need_stays_open_with_ranked_proposals(w: NeedWorld) -> None:
    need = post(w)
    assert need.state == NeedState.OPEN and need.routed_to is None and need.version == 1
    assert need.proposals[0]["resource"] == w.people.pk
    assert need.proposals[0]["covered"] == ["身份证号", "姓名"]
    assert all(p["resource"] != w.draft.pk for p in need.proposals)
    assert actions(need) == ["exchange.need.post"]
    assert notices(w.police) == [] and notices(w.civil) == []


def test_post_uncovered_need_routes_to_the_element_authority_with_a_working_day_deadline(
    w: NeedWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    need = routed(w, monkeypatch)
    assert need.state == NeedState.ROUTED and need.routed_to_id == w.health.pk
    # received Tue 29 Sep 2026: 国庆/中秋 1–7 Oct off, Sat 10 Oct a make-up working day → 10 working days
    assert need.due_date == dt.date(2026, 10, 19) and not need.due_provisional
    assert actions(need) == ["exchange.need.post", "exchange.need.route"]
    route = ChangeRecord.objects.get(object_type="exchange.dataneed", action="exchange.need.route")
    assert route.after is not None and route.before is not None
    assert route.after["automatic"] is True and route.before["state"] == "open"
    assert notices(w.health) == ["数据需求待答复：死亡人员名单"]
    assert notices(w.civil) == ["数据需求已转交：死亡人员名单"]
    assert "2026-10-19" in Notice.objects.get(department=w.health).body


def test_post_with_no_clear_provider_waits_for_the_authority(w: NeedWorld) -> None:
    need = post(w, "死亡日期", "车牌号", "身份证号", title="综合信息")
    assert need.state == NeedState.OPEN and need.routed_to is None  # 卫健委 and 公安局 both named


def test_post_refusals(w: NeedWorld) -> None:
    with pytest.raises(ValidationFailed) as exc:
        post(w, "", " ", title=" ", description="")
    assert exc.value.code == "exchange.need.invalid"
    assert {e.field for e in exc.value.errors} == {"title", "description", "desired_items"}
    with pytest.raises(NotFound):  # another department's name
        post(w, department_id=w.police.pk)
    nobody = actor_of(make_user("nobody", department=w.civil))
    with pytest.raises(NotFound):
        post(w, actor=nobody)
    assert not DataNeed.objects.exists()


# --- rematch -----------------------------------------------------------------------------------------


def test_rematch_sees_a_newly_published_resource_and_compares_versions(w: NeedWorld) -> None:
    need = post(w, "婚姻登记日期", title="婚姻登记记录")
    assert all(p["name"] != "婚姻登记信息" for p in need.proposals)
    resource(w.police, "婚姻登记信息", [item("婚姻登记日期"), item("公民身份号码", "公民身份号码")])
    with pytest.raises(Conflict) as exc:
        needs.need_rematch(actor=w.civil_consumer, need_id=need.pk, expected_version=99)
    assert exc.value.code == "exchange.need.changed"
    need = needs.need_rematch(actor=w.civil_consumer, need_id=need.pk, expected_version=1)
    assert need.proposals[0]["name"] == "婚姻登记信息" and need.version == 2
    assert actions(need)[-1] == "exchange.need.rematch"
    with pytest.raises(NotFound):
        needs.need_rematch(actor=w.police_steward, need_id=need.pk, expected_version=2)


# --- routing by the authority ----------------------------------------------------------------------


def test_authority_routes_an_open_need(w: NeedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    need = post(w, "车牌号", title="车辆登记")
    at(monkeypatch, BEFORE_NATIONAL_DAY)
    with pytest.raises(NotFound):  # a consumer may not route
        needs.need_route(
            actor=w.civil_consumer, need_id=need.pk, expected_version=1, provider_department_id=w.police.pk
        )
    with pytest.raises(ValidationFailed) as exc:
        needs.need_route(
            actor=w.authority, need_id=need.pk, expected_version=1, provider_department_id=w.civil.pk
        )
    assert exc.value.errors[0].code == "self"
    need = needs.need_route(
        actor=w.authority, need_id=need.pk, expected_version=1, provider_department_id=w.police.pk,
        note="车辆登记由公安交管部门采集",
    )  # fmt: skip
    assert need.state == NeedState.ROUTED and need.routed_to_id == w.police.pk and need.version == 2
    assert need.due_date == dt.date(2026, 10, 19)
    assert notices(w.police) == ["数据需求待答复：车辆登记"]
    assert actions(need) == ["exchange.need.post", "exchange.need.route"]
    with pytest.raises(Conflict):
        needs.need_route(
            actor=w.authority, need_id=need.pk, expected_version=1, provider_department_id=w.health.pk
        )


def test_authority_of_another_jurisdiction_cannot_route(w: NeedWorld) -> None:
    need = post(w, "车牌号", title="车辆登记")
    jinan = make_department("济南市大数据局", jurisdiction="370100")
    other = actor_of(
        make_user("jinan_authority", department=jinan, roles=("authority",), jurisdiction="370100")
    )
    with pytest.raises(NotFound):
        needs.need_route(actor=other, need_id=need.pk, expected_version=1, provider_department_id=w.police.pk)
    with pytest.raises(NotFound):
        needs.need_get(actor=other, need_id=need.pk)


# --- the provider's answer -------------------------------------------------------------------------


def test_provider_cannot_provide_needs_a_reason(w: NeedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    need = routed(w, monkeypatch)
    with pytest.raises(ValidationFailed) as exc:
        needs.need_answer(
            actor=w.health_steward, need_id=need.pk, expected_version=1, can_provide=False, reply=" "
        )
    assert exc.value.errors[0].field == "reply"
    with pytest.raises(NotFound):  # not the routed provider
        needs.need_answer(
            actor=w.police_steward, need_id=need.pk, expected_version=1, can_provide=False, reply="x"
        )
    with pytest.raises(Conflict):
        needs.need_answer(
            actor=w.health_steward, need_id=need.pk, expected_version=5, can_provide=False, reply="x"
        )
    need = needs.need_answer(
        actor=w.health_steward, need_id=need.pk, expected_version=1, can_provide=False,
        reply="死亡医学证明由医疗机构纸质出具，尚未电子化",
    )  # fmt: skip
    assert need.state == NeedState.CLOSED and need.outcome == NeedOutcome.CANNOT_PROVIDE
    assert need.closed_at is not None and need.version == 2
    assert notices(w.civil)[-1] == "数据需求已答复：死亡人员名单"
    assert "尚未电子化" in Notice.objects.filter(department=w.civil).order_by("id").last().body  # type: ignore[union-attr]
    assert actions(need)[-1] == "exchange.need.answer"
    with pytest.raises(Conflict) as exc2:
        needs.need_answer(
            actor=w.health_steward, need_id=need.pk, expected_version=2, can_provide=True, reply="x"
        )
    assert exc2.value.code == "exchange.need.wrong_state"


def test_provider_promises_a_registered_resource(w: NeedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    need = routed(w, monkeypatch)
    with pytest.raises(ValidationFailed):  # not the provider's resource
        needs.need_answer(
            actor=w.health_steward, need_id=need.pk, expected_version=1, can_provide=True, reply="下月编目",
            resource_id=w.people.pk,
        )  # fmt: skip
    planned = resource(w.health, "死亡医学证明信息", [item("死亡日期", "死亡日期")], state="draft")
    need = needs.need_answer(
        actor=w.health_steward, need_id=need.pk, expected_version=1, can_provide=True,
        reply="已登记资源，审核发布后即可申请", resource_id=planned.pk,
    )  # fmt: skip
    assert need.outcome == NeedOutcome.WILL_PROVIDE and need.matched_resource_id == planned.pk


def test_an_open_need_cannot_be_answered(w: NeedWorld) -> None:
    need = post(w)
    with pytest.raises(NotFound):
        needs.need_answer(
            actor=w.police_steward, need_id=need.pk, expected_version=1, can_provide=True, reply="x"
        )


# --- accept and withdraw ---------------------------------------------------------------------------


def test_accept_a_proposal(w: NeedWorld) -> None:
    need = post(w)
    with pytest.raises(ValidationFailed) as exc:
        needs.need_accept(actor=w.civil_consumer, need_id=need.pk, expected_version=1, resource_id=w.draft.pk)
    assert exc.value.errors[0].code == "not_proposed"
    with pytest.raises(NotFound):
        needs.need_accept(
            actor=w.police_steward, need_id=need.pk, expected_version=1, resource_id=w.people.pk
        )
    need = needs.need_accept(
        actor=w.civil_steward, need_id=need.pk, expected_version=1, resource_id=w.people.pk
    )
    assert need.state == NeedState.MATCHED and need.outcome == NeedOutcome.SATISFIED
    assert need.matched_resource_id == w.people.pk and need.closed_at is not None
    assert actions(need) == ["exchange.need.post", "exchange.need.accept"]
    with pytest.raises(Conflict):
        needs.need_withdraw(actor=w.civil_consumer, need_id=need.pk, expected_version=2, reason="x")


def test_accept_while_routed_tells_the_provider_and_refuses_an_offline_resource(
    w: NeedWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    need = post(w, "出生日期", "死亡日期", title="出生和死亡")
    assert need.state == NeedState.ROUTED and need.routed_to_id == w.health.pk
    proposed = [p["resource"] for p in need.proposals]
    assert w.births.pk in proposed
    catalog.resource_offline(actor=SYSTEM, resource_id=w.people.pk, expected_version=None, reason="更新")
    if w.people.pk in proposed:
        with pytest.raises(Conflict) as exc:
            needs.need_accept(
                actor=w.civil_consumer, need_id=need.pk, expected_version=1, resource_id=w.people.pk
            )
        assert exc.value.code == "exchange.need.resource_unavailable"
    need = needs.need_accept(
        actor=w.civil_consumer, need_id=need.pk, expected_version=1, resource_id=w.births.pk
    )
    assert notices(w.health)[-1] == "数据需求已由目录资源满足：出生和死亡"


def test_withdraw_needs_a_reason(w: NeedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    need = routed(w, monkeypatch)
    with pytest.raises(ValidationFailed):
        needs.need_withdraw(actor=w.civil_consumer, need_id=need.pk, expected_version=1, reason="")
    with pytest.raises(NotFound):
        needs.need_withdraw(actor=w.health_steward, need_id=need.pk, expected_version=1, reason="x")
    need = needs.need_withdraw(actor=w.civil_consumer, need_id=need.pk, expected_version=1, reason="业务调整")
    assert need.state == NeedState.CLOSED and need.outcome == NeedOutcome.WITHDRAWN
    assert notices(w.health)[-1] == "数据需求已撤回：死亡人员名单"


# --- selectors: queue, overdue, counts, visibility --------------------------------------------------


def test_queue_overdue_and_counts(w: NeedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    late = routed(w, monkeypatch)
    mine = post(w)
    queue = list(needs.need_list(actor=w.health_steward, side="queue"))
    assert queue == [late]
    assert list(needs.need_list(actor=w.civil_consumer, side="mine")) == [mine, late]
    assert mine not in needs.need_list(actor=w.health_steward)
    with pytest.raises(NotFound):
        needs.need_get(actor=w.health_steward, need_id=mine.pk)
    assert late.is_overdue_on(dt.date(2026, 10, 20)) and not late.is_overdue_on(dt.date(2026, 10, 19))
    overdue = needs.need_list(actor=w.authority, overdue=True, today=dt.date(2026, 10, 20))
    assert list(overdue) == [late]
    assert list(needs.need_list(actor=w.authority, overdue=True, today=dt.date(2026, 10, 19))) == []
    counts = {c.department_id: c for c in needs.need_counts(actor=w.authority, today=dt.date(2026, 10, 20))}
    assert counts[w.civil.pk].posted == {"open": 1, "routed": 1}
    assert counts[w.health.pk].routed == 1 and counts[w.health.pk].open_overdue == 1
    at(monkeypatch, dt.datetime(2026, 10, 21, 9, tzinfo=SH))  # answered two days late
    needs.need_answer(
        actor=w.health_steward, need_id=late.pk, expected_version=1, can_provide=False, reply="无"
    )
    counts = {c.department_id: c for c in needs.need_counts(actor=w.authority, today=dt.date(2026, 10, 21))}
    assert counts[w.health.pk].answered_late == 1 and counts[w.health.pk].open_overdue == 0
    nobody = actor_of(make_user("nobody", department=w.civil))
    with pytest.raises(PermissionDenied):
        needs.need_list(actor=nobody)


# --- API -------------------------------------------------------------------------------------------


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_api_post_accept_and_errors(w: NeedWorld) -> None:
    c = client_for(w.users["civil_consumer"])
    body = {"title": "身份核验", "description": "核对身份", "desired_items": ["身份证号"], "purpose": "救助"}
    r = c.post("/api/exchange/needs", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["state"] == "open" and data["proposals"][0]["resource_id"] == w.people.pk
    url = f"/api/exchange/needs/{data['id']}"
    r = c.post(url + "/accept", {"version": 7, "resource_id": w.people.pk}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "exchange.need.changed" and r.json()["message"]
    r = c.post(url + "/withdraw", {"version": 1, "reason": ""}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "exchange.need.invalid"
    r = c.post(url + "/accept", {"version": 1, "resource_id": w.people.pk}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "matched"
    assert r.json()["matched_resource"]["id"] == w.people.pk
    police = client_for(w.users["police_steward"])
    assert police.get(url).status_code == 404


# --- pages -----------------------------------------------------------------------------------------


def test_pages_escape_user_text_and_show_deadlines(w: NeedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    need = routed(w, monkeypatch)
    evil = post(w, title="<script>alert(1)</script>核验")
    consumer = client_for(w.users["civil_consumer"])
    page = consumer.get("/exchange/needs/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;核验" in page and "<script>alert(1)" not in page
    detail = consumer.get(f"/exchange/needs/{evil.pk}/").content.decode()
    assert "人口基本信息" in detail and "采纳" in detail and "<script>alert(1)" not in detail
    live = consumer.get("/exchange/needs/proposals/", {"title": "身份", "desired_items": "身份证号、姓名"})
    assert "人口基本信息" in live.content.decode()
    r = consumer.post("/exchange/needs/", {"title": "", "desired_items": "", "description": ""})
    assert r.status_code == 400 and "请填写需求名称" in r.content.decode()
    r = consumer.post(f"/exchange/needs/{evil.pk}/accept/", {"version": 9, "resource": w.people.pk})
    assert r.status_code == 409 and "已被他人办理或修改" in r.content.decode()
    provider = client_for(w.users["health_steward"])
    queue = provider.get("/exchange/queue/").content.decode()
    assert "死亡人员名单" in queue and "2026-10-19" in queue
    assert provider.get(f"/exchange/needs/{evil.pk}/").status_code == 404
    r = provider.post(
        f"/exchange/needs/{need.pk}/answer/", {"version": 1, "can_provide": "0", "reply": "无此数据"}
    )
    assert r.status_code == 302
    authority = client_for(w.users["authority"])
    ledger = authority.get("/exchange/ledger/").content.decode()
    assert 'id="ledger-needs"' in ledger and 'id="ledger-objections"' in ledger
    assert f"/exchange/needs/{evil.pk}/" in ledger  # open, waiting to be routed
