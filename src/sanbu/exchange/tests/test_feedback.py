"""数据异议: only a grant holder objects; the key is never stored; answers, corrections, closure, counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sanbu.core.identifiers import make_citizen_id
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_user
from sanbu.exchange import feedback, services
from sanbu.exchange.gateway import key_hash
from sanbu.exchange.models import Grant, Objection, ObjectionState
from sanbu.orgs.models import Notice

from .needs_support import NeedWorld, grant_on, need_world

pytestmark = pytest.mark.django_db(databases="__all__")

SH = ZoneInfo("Asia/Shanghai")
BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH)
PID = make_citizen_id("370303", dt.date(1985, 3, 1), 11)


@pytest.fixture
def w(db: Any) -> NeedWorld:
    return need_world()


@pytest.fixture
def grant(w: NeedWorld) -> Grant:
    return grant_on(w.civil_steward, w.people, "公民身份号码", "姓名")


def at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    monkeypatch.setattr(feedback, "_now", lambda: when)


def submit(w: NeedWorld, **over: Any) -> Objection:
    kwargs: dict[str, Any] = dict(
        actor=w.civil_consumer, resource_id=w.people.pk, item_id=w.people.items.get(name="姓名").pk,
        record_key=PID, description="姓名与户口簿不一致", evidence="户口簿复印件（民政窗口留存）",
        expected_value="张晓明",
    )  # fmt: skip
    kwargs.update(over)
    return feedback.objection_submit(**kwargs)


def actions(obj: Objection) -> list[str]:
    return list(
        ChangeRecord.objects.filter(object_type="exchange.objection", object_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_submit_keeps_only_hash_and_masked_key_and_counts_working_days(
    w: NeedWorld, grant: Grant, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, BEFORE_NATIONAL_DAY)
    obj = submit(w)
    assert obj.state == ObjectionState.OPEN and obj.grant_id == grant.pk
    assert obj.provider_department_id == w.police.pk and obj.consumer_department_id == w.civil.pk
    assert obj.record_key_hash == key_hash(PID) and obj.record_key_masked == PID[:4] + "*" * 10 + PID[-4:]
    # 5 working days from Tue 29 Sep 2026 across 国庆: 30 Sep, 8, 9, 10 (Sat, make-up), 12 Oct
    assert obj.due_date == dt.date(2026, 10, 12)
    record = ChangeRecord.objects.get(object_type="exchange.objection")
    assert record.action == "exchange.objection.submit"
    assert PID not in json.dumps(record.after, ensure_ascii=False)
    assert not any(PID in str(v) for v in Objection.objects.values().get())
    notice = Notice.objects.get(department=w.police)
    assert (
        notice.title == "数据异议待核实：人口基本信息"
        and "2026-10-12" in notice.body
        and PID not in notice.body
    )


def test_only_a_department_with_a_grant_may_object(w: NeedWorld, grant: Grant) -> None:
    with pytest.raises(NotFound) as exc:  # 民政局 holds no grant on 市场主体登记信息
        submit(w, resource_id=w.companies.pk, item_id=None)
    assert exc.value.code == "exchange.grant.not_found"
    with pytest.raises(NotFound):  # 公安局 has no grant on its own resource
        submit(w, actor=w.police_steward)
    nobody = actor_of(make_user("nobody", department=w.civil))
    with pytest.raises(NotFound):
        submit(w, actor=nobody)
    assert not Objection.objects.exists()


def test_having_held_a_revoked_grant_is_enough(w: NeedWorld, grant: Grant) -> None:
    services.grant_revoke(actor=SYSTEM, grant_id=grant.pk, reason="到期前收回")
    assert submit(w).grant_id == grant.pk


def test_submit_refusals(w: NeedWorld, grant: Grant) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(w, description=" ", evidence="")
    assert {e.field for e in exc.value.errors} == {"description", "evidence"}
    with pytest.raises(ValidationFailed) as exc:  # 出生日期 is an item of the resource but not granted
        submit(w, item_id=w.people.items.get(name="出生日期").pk)
    assert exc.value.errors[0].code == "not_granted"
    with pytest.raises(ValidationFailed) as exc:
        submit(w, item_id=None, record_key="")
    assert exc.value.errors[0].code == "required"
    assert not Objection.objects.exists()


def test_answer_data_is_right_then_confirm(w: NeedWorld, grant: Grant) -> None:
    obj = submit(w)
    with pytest.raises(NotFound):  # the consumer cannot answer its own objection
        feedback.objection_answer(
            actor=w.civil_steward, objection_id=obj.pk, expected_version=1, corrected=False, answer="x"
        )
    with pytest.raises(ValidationFailed):
        feedback.objection_answer(
            actor=w.police_steward, objection_id=obj.pk, expected_version=1, corrected=False, answer=""
        )
    with pytest.raises(Conflict) as exc:
        feedback.objection_confirm(actor=w.civil_consumer, objection_id=obj.pk, expected_version=1)
    assert exc.value.code == "exchange.objection.not_answered"
    obj = feedback.objection_answer(
        actor=w.police_steward, objection_id=obj.pk, expected_version=1, corrected=False,
        answer="经核对户籍底册，登记姓名无误；户口簿为旧版",
    )  # fmt: skip
    assert obj.state == ObjectionState.ANSWERED and obj.answered_by == "police_steward" and obj.version == 2
    assert Notice.objects.filter(department=w.civil).get().title == "数据异议已答复（核实数据无误）"
    with pytest.raises(Conflict):  # answered already
        feedback.objection_answer(
            actor=w.police_steward, objection_id=obj.pk, expected_version=2, corrected=True, answer="x"
        )
    with pytest.raises(NotFound):  # the provider cannot confirm for the consumer
        feedback.objection_confirm(actor=w.police_steward, objection_id=obj.pk, expected_version=2)
    with pytest.raises(Conflict):
        feedback.objection_confirm(actor=w.civil_consumer, objection_id=obj.pk, expected_version=1)
    obj = feedback.objection_confirm(
        actor=w.civil_consumer, objection_id=obj.pk, expected_version=2, note="认可"
    )
    assert obj.state == ObjectionState.CLOSED and obj.closed_at is not None
    assert actions(obj) == [
        "exchange.objection.submit",
        "exchange.objection.answer",
        "exchange.objection.confirm",
    ]
    assert Notice.objects.filter(department=w.police, title="数据异议已确认办结").exists()


def test_corrected(w: NeedWorld, grant: Grant) -> None:
    obj = submit(w)
    obj = feedback.objection_answer(
        actor=w.police_steward,
        objection_id=obj.pk,
        expected_version=1,
        corrected=True,
        answer="已按户口簿更正姓名",
    )
    assert obj.state == ObjectionState.CORRECTED
    assert "已更正" in Notice.objects.get(department=w.civil).title


def test_visibility_overdue_and_counts(w: NeedWorld, grant: Grant, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, BEFORE_NATIONAL_DAY)
    late = submit(w)
    on_time = submit(w, record_key="", description="出生日期格式错误")
    assert list(feedback.objection_list(actor=w.police_steward, side="queue")) == [late, on_time]
    assert list(feedback.objection_list(actor=w.civil_consumer, side="mine")) == [on_time, late]
    assert list(feedback.objection_list(actor=w.health_steward)) == []
    with pytest.raises(NotFound):
        feedback.objection_get(actor=w.health_steward, objection_id=late.pk)
    at(monkeypatch, dt.datetime(2026, 10, 9, 9, tzinfo=SH))
    feedback.objection_answer(
        actor=w.police_steward, objection_id=on_time.pk, expected_version=1, corrected=True, answer="已更正"
    )
    today = dt.date(2026, 10, 13)
    assert late.is_overdue_on(today) and not late.is_overdue_on(dt.date(2026, 10, 12))
    assert list(feedback.objection_list(actor=w.authority, overdue=True, today=today)) == [late]
    (counts,) = feedback.objection_counts(actor=w.authority, today=today)
    assert counts.department_id == w.police.pk and counts.total == 2
    assert counts.by_state == {"open": 1, "answered": 0, "corrected": 1, "closed": 0}
    assert (counts.answered_on_time, counts.answered_late, counts.open_on_time, counts.open_overdue) == (
        1,
        0,
        0,
        1,
    )
    at(monkeypatch, dt.datetime(2026, 10, 14, 9, tzinfo=SH))
    feedback.objection_answer(
        actor=w.police_steward, objection_id=late.pk, expected_version=1, corrected=False, answer="无误"
    )
    (counts,) = feedback.objection_counts(actor=w.authority, department_id=w.police.pk, today=today)
    assert (counts.answered_on_time, counts.answered_late, counts.open_overdue) == (1, 1, 0)
    nobody = actor_of(make_user("nobody", department=w.civil))
    with pytest.raises(PermissionDenied):
        feedback.objection_counts(actor=nobody)


def test_api_submit_answer_confirm(w: NeedWorld, grant: Grant) -> None:
    consumer, provider = Client(), Client()
    consumer.force_login(w.users["civil_consumer"])
    provider.force_login(w.users["police_steward"])
    body = {"resource_id": w.people.pk, "record_key": PID, "description": "姓名有误", "evidence": "户口簿"}
    r = consumer.post("/api/exchange/objections", body, content_type="application/json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["record_key_masked"].startswith("3703") and PID not in r.content.decode()
    url = f"/api/exchange/objections/{data['id']}"
    r = provider.post(
        url + "/answer", {"version": 1, "corrected": True, "answer": ""}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "exchange.objection.invalid"
    r = provider.post(
        url + "/answer",
        {"version": 1, "corrected": True, "answer": "已更正"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "corrected"
    r = consumer.post(url + "/confirm", {"version": 1}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "exchange.objection.changed"
    r = consumer.post(url + "/confirm", {"version": 2}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    body["resource_id"] = w.companies.pk
    r = consumer.post("/api/exchange/objections", body, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "exchange.grant.not_found"
