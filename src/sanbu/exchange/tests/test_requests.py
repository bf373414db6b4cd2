"""Share requests and grants: every transition, each refusal with its cited rule, deadlines, revocation."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sanbu.catalog.models import Resource
from sanbu.core.actor import Actor
from sanbu.core.audit import verify_chain
from sanbu.core.errors import Conflict, NotFound, RuleBlocked, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import selectors, services
from sanbu.exchange.models import ConsumerApp, Grant, RequestState, ShareRequest
from sanbu.policy.rulesets import CONDITIONAL_STEPS, Parameter

from .sharing import item_ids, published_resource

pytestmark = pytest.mark.django_db(databases="__all__")

SH = ZoneInfo("Asia/Shanghai")
PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2030, 12, 31)}


@pytest.fixture
def consumer_dept() -> Any:
    return make_department("淄博市民政局")


@pytest.fixture
def consumer(consumer_dept: Any) -> Actor:
    return actor_of(make_user("c_consumer", department=consumer_dept, roles=("consumer",)))


@pytest.fixture
def consumer_steward(consumer_dept: Any) -> Actor:
    return actor_of(make_user("c_steward", department=consumer_dept, roles=("steward",)))


@pytest.fixture
def app(consumer_steward: Actor) -> ConsumerApp:
    return services.app_register(actor=consumer_steward, name="婚姻登记系统")


@pytest.fixture
def conditional(dept: Any) -> Resource:
    return published_resource(dept, "人口基本信息")


@pytest.fixture
def unconditional(dept: Any) -> Resource:
    return published_resource(dept, "户籍人口名单", share_type="unconditional")


def submit(actor: Actor, app: ConsumerApp, resource: Resource, *names: str, **over: Any) -> ShareRequest:
    kwargs: dict[str, Any] = dict(
        app_id=app.pk, resource_id=resource.pk, item_ids=item_ids(resource, *(names or ("公民身份号码", "姓名"))),
        purpose="婚姻登记时核验当事人身份", legal_basis="《婚姻登记条例》第七条", **PERIOD,
    )  # fmt: skip
    kwargs.update(over)
    return services.request_submit(actor=actor, **kwargs)


def at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    monkeypatch.setattr(services, "_now", lambda: when)


def actions() -> list[str]:
    return list(ChangeRecord.objects.order_by("seq").values_list("action", flat=True))


def rule_ids(exc: pytest.ExceptionInfo[RuleBlocked]) -> list[str]:
    return [d.rule_id for d in exc.value.decisions]


# --- submit -----------------------------------------------------------------------------------------


def test_unconditional_request_is_granted_at_once(
    consumer: Actor, app: ConsumerApp, unconditional: Resource
) -> None:
    req = submit(consumer, app, unconditional)
    assert req.state == RequestState.GRANTED and req.answered_at is not None
    assert req.steps == [] and req.current_step == "" and req.due_date is None
    grant = Grant.objects.get(request=req)
    assert grant.app == app and grant.resource == unconditional and grant.expires_on == PERIOD["period_end"]
    assert {i.name for i in grant.items.all()} == {"公民身份号码", "姓名"}
    # masking is kept as each item's rule: nobody lifted it
    by_name = {i.name: grant.masking[str(i.pk)] for i in grant.items.all()}
    assert by_name == {"公民身份号码": "id_number", "姓名": "name"}
    assert [h.step for h in req.history.all()] == ["submit", "grant"]
    assert actions()[-2:] == ["exchange.grant.create", "exchange.request.submit"]
    assert verify_chain()[1] is None


def test_a_conditional_item_sends_an_unconditional_resource_to_review(
    consumer: Actor, app: ConsumerApp, dept: Any
) -> None:
    mixed = published_resource(dept, "混合资源", share_type="unconditional", item_share_type="conditional")
    assert submit(consumer, app, mixed, "姓名").state == RequestState.GRANTED
    req = submit(consumer, app, mixed, "姓名", "婚姻状况")
    assert req.state == RequestState.PENDING and req.current_step == "accept"
    assert not Grant.objects.filter(request=req).exists()


def test_conditional_request_waits_at_the_first_configured_step(
    consumer: Actor, app: ConsumerApp, conditional: Resource, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, dt.datetime(2026, 9, 30, 10, tzinfo=SH))
    req = submit(consumer, app, conditional)
    assert req.state == RequestState.PENDING
    assert req.steps == ["accept", "approve"] and req.current_step == "accept"
    assert req.round == 1 and req.version == 1 and req.provider_department_id == conditional.department_id
    # 10 working days after 2026-09-30: the National Day week is skipped, Saturday 10-10 is worked
    assert req.due_date == dt.date(2026, 10, 20) and req.due_provisional is False
    assert actions()[-1] == "exchange.request.submit"
    record = ChangeRecord.objects.get(action="exchange.request.submit")
    assert record.after is not None and record.after["due_date"] == "2026-10-20"


def test_deadline_in_an_unconfirmed_year_is_provisional(
    consumer: Actor, app: ConsumerApp, conditional: Resource, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, dt.datetime(2027, 3, 1, 9, tzinfo=SH))
    req = submit(consumer, app, conditional)
    assert req.due_date == dt.date(2027, 3, 15) and req.due_provisional is True


def test_no_share_items_cannot_be_requested(consumer: Actor, app: ConsumerApp, dept: Any) -> None:
    r = published_resource(dept, "含不予共享项", item_share_type="none")
    with pytest.raises(RuleBlocked) as exc:
        submit(consumer, app, r, "姓名", "婚姻状况")
    assert rule_ids(exc) == ["CAT-5"] and exc.value.code == "rule.CAT-5"
    assert "婚姻状况" in exc.value.message and not ShareRequest.objects.exists()


def test_only_shared_resources_can_be_requested(
    consumer_steward: Actor, app: ConsumerApp, consumer_dept: Any
) -> None:
    unpublished = published_resource(consumer_dept, "未发布资源", publish=False)
    with pytest.raises(RuleBlocked) as exc:
        submit(consumer_steward, app, unpublished)
    assert rule_ids(exc) == ["CAT-4"]


def test_an_unpublished_resource_of_another_department_looks_missing(
    consumer: Actor, app: ConsumerApp, dept: Any
) -> None:
    hidden = published_resource(dept, "他部门未发布", publish=False)
    with pytest.raises(NotFound):
        submit(consumer, app, hidden)


def test_secret_resource_needs_the_consumer_sides_approval(
    consumer: Actor, app: ConsumerApp, dept: Any
) -> None:
    secret = published_resource(dept, "涉密资源", secrecy="secret")
    with pytest.raises(RuleBlocked) as exc:
        submit(consumer, app, secret)
    assert rule_ids(exc) == ["CAT-6"]
    req = submit(consumer, app, secret, consumer_approval="民政局保密办审批〔2026〕3号")
    assert req.state == RequestState.PENDING and req.consumer_approval.startswith("民政局")


def test_secret_resource_is_not_granted_without_the_providers_approval(
    consumer: Actor, app: ConsumerApp, dept: Any, authority_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ruleset whose only step is the authority's 受理 cannot grant 涉密 data: the provider never signed."""
    from sanbu.core.actor import SYSTEM
    from sanbu.orgs import rulesets
    from sanbu.policy.rulesets import Change

    secret = published_resource(dept, "涉密资源", secrecy="secret")
    draft = rulesets.ruleset_draft(actor=SYSTEM, name=rulesets.ruleset_name_for(secret.jurisdiction_id),
                                   changes=[Change("parameter", CONDITIONAL_STEPS, ["accept"], "测试规则集：仅受理")])  # fmt: skip
    rulesets.ruleset_publish(actor=SYSTEM, version_id=draft.pk)
    req = submit(consumer, app, secret, consumer_approval="备案 1 号")
    assert req.steps == ["accept"]
    with pytest.raises(RuleBlocked) as exc:
        services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    assert rule_ids(exc) == ["CAT-6"] and "提供方" in exc.value.message
    assert ShareRequest.objects.get(pk=req.pk).state == RequestState.PENDING


def test_bad_ruleset_steps_fail_loudly(
    consumer: Actor, app: ConsumerApp, conditional: Resource, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from sanbu.policy.rulesets import load

    base = load()
    broken = dataclasses.replace(
        base, parameters={**base.parameters, CONDITIONAL_STEPS: Parameter(["sign"], "测试")}
    )
    monkeypatch.setattr(services, "current_ruleset", lambda name: broken)
    with pytest.raises(ValueError, match="accept"):
        submit(consumer, app, conditional)


def test_invalid_submissions_name_each_field(
    consumer: Actor, app: ConsumerApp, conditional: Resource, unconditional: Resource
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(
            consumer, app, conditional, purpose=" ", legal_basis="",
            item_ids=item_ids(unconditional), period_start=dt.date(2027, 1, 2), period_end=dt.date(2027, 1, 1),
        )  # fmt: skip
    assert {e.field for e in exc.value.errors} == {"purpose", "legal_basis", "item_ids", "period_end"}
    with pytest.raises(ValidationFailed) as exc:
        submit(consumer, app, conditional, period_start=dt.date(2020, 1, 1), period_end=dt.date(2020, 2, 1))
    assert [e.code for e in exc.value.errors] == ["in_past"]


def test_only_own_department_apps_and_active_ones(
    consumer: Actor, steward_actor: Actor, app: ConsumerApp, consumer_steward: Actor, conditional: Resource
) -> None:
    with pytest.raises(NotFound):
        submit(steward_actor, app, conditional)  # the provider's steward cannot use the consumer's app
    services.app_disable(actor=consumer_steward, app_id=app.pk, reason="下线")
    with pytest.raises(Conflict):
        submit(consumer, app, conditional)


# --- steps ------------------------------------------------------------------------------------------


def test_accept_then_approve_grants_with_explicit_masking_lifts(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    req = submit(consumer, app, conditional)
    req = services.request_accept(
        actor=authority_actor, request_id=req.pk, expected_version=1, note="材料齐全"
    )
    assert req.current_step == "approve" and req.version == 2 and req.state == RequestState.PENDING
    name_id = item_ids(conditional, "姓名")
    req = services.request_approve(
        actor=steward_actor, request_id=req.pk, expected_version=2, note="同意", lift_masking_item_ids=name_id
    )
    assert req.state == RequestState.GRANTED and req.current_step == "" and req.answered_at is not None
    grant = Grant.objects.get(request=req)
    assert grant.masking == {
        str(name_id[0]): "none",
        str(item_ids(conditional, "公民身份号码")[0]): "id_number",
    }
    assert [h.step for h in req.history.all()] == ["submit", "accept", "approve", "grant"]
    assert [h.decision for h in req.history.all()] == ["done", "done", "approved", "done"]
    assert actions()[-4:] == [
        "exchange.request.submit", "exchange.request.accept", "exchange.grant.create", "exchange.request.approve"
    ]  # fmt: skip
    assert verify_chain()[1] is None


def test_masking_lifts_must_name_requested_items(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    req = submit(consumer, app, conditional, "姓名")
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=None)
    with pytest.raises(ValidationFailed) as exc:
        services.request_approve(
            actor=steward_actor, request_id=req.pk, expected_version=None,
            lift_masking_item_ids=item_ids(conditional, "公民身份号码"),
        )  # fmt: skip
    assert exc.value.errors[0].field == "lift_masking_item_ids"


def test_steps_are_taken_in_order_by_those_who_may(
    consumer: Actor, consumer_steward: Actor, app: ConsumerApp, conditional: Resource,
    authority_actor: Actor, steward_actor: Actor,
) -> None:  # fmt: skip
    req = submit(consumer, app, conditional)
    with pytest.raises(Conflict) as exc:  # the provider may approve, but not before the 受理
        services.request_approve(actor=steward_actor, request_id=req.pk, expected_version=1)
    assert exc.value.code == "exchange.request.wrong_step"
    for actor in (consumer, consumer_steward, steward_actor):  # nobody else accepts
        with pytest.raises(NotFound):
            services.request_accept(actor=actor, request_id=req.pk, expected_version=1)
    with pytest.raises(NotFound):
        services.request_accept(actor=authority_actor, request_id=10**9, expected_version=1)
    with pytest.raises(Conflict) as exc:
        services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=7)
    assert exc.value.code == "exchange.request.changed"
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    with pytest.raises(NotFound):  # the consumer's own steward is not the provider
        services.request_approve(actor=consumer_steward, request_id=req.pk, expected_version=2)


def test_authority_of_another_jurisdiction_cannot_accept(
    consumer: Actor, app: ConsumerApp, conditional: Resource
) -> None:
    req = submit(consumer, app, conditional)
    jinan = actor_of(make_user("jinan_auth", department=make_department("济南市大数据局", "370100"),
                               roles=("authority",), jurisdiction="370100"))  # fmt: skip
    with pytest.raises(NotFound):
        services.request_accept(actor=jinan, request_id=req.pk, expected_version=1)


def test_nobody_approves_their_own_departments_request(
    steward_actor: Actor, conditional: Resource, authority_actor: Actor, dept: Any
) -> None:
    own_app = services.app_register(actor=steward_actor, name="本部门应用")
    req = submit(steward_actor, own_app, conditional)
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    with pytest.raises(RuleBlocked) as exc:
        services.request_approve(actor=steward_actor, request_id=req.pk, expected_version=2)
    assert rule_ids(exc) == ["EX-2"]
    with pytest.raises(RuleBlocked):
        services.request_refuse(actor=steward_actor, request_id=req.pk, expected_version=2, reason="不同意")
    assert ShareRequest.objects.get(pk=req.pk).state == RequestState.PENDING


def test_two_approvers_at_once_one_wins(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor,
    dept: Any,
) -> None:  # fmt: skip
    second = actor_of(make_user("steward2", department=dept, roles=("steward",)))
    req = submit(consumer, app, conditional)
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    seen = ShareRequest.objects.get(pk=req.pk).version  # both opened the page at version 2
    services.request_approve(actor=steward_actor, request_id=req.pk, expected_version=seen)
    with pytest.raises(Conflict):
        services.request_approve(actor=second, request_id=req.pk, expected_version=seen)
    with pytest.raises(Conflict):
        services.request_refuse(actor=second, request_id=req.pk, expected_version=seen, reason="晚了")
    assert Grant.objects.filter(request=req).count() == 1


def test_a_stale_version_is_refused_even_at_the_right_step(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    req = submit(consumer, app, conditional)
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    with pytest.raises(Conflict) as exc:
        services.request_approve(actor=steward_actor, request_id=req.pk, expected_version=1)
    assert exc.value.code == "exchange.request.changed" and exc.value.details["current"] == 2


# --- refuse and resubmit ----------------------------------------------------------------------------


def test_refusal_needs_a_reason_and_closes_the_request(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    req = submit(consumer, app, conditional)
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    with pytest.raises(ValidationFailed) as exc:
        services.request_refuse(actor=steward_actor, request_id=req.pk, expected_version=2, reason="  ")
    assert exc.value.errors[0].field == "reason"
    req = services.request_refuse(
        actor=steward_actor, request_id=req.pk, expected_version=2, reason="用途与所申请信息项不符"
    )
    assert req.state == RequestState.REFUSED and req.refusal_reason == "用途与所申请信息项不符"
    assert req.answered_at is not None and req.current_step == "" and req.version == 3
    assert [h.step for h in req.history.all()][-1] == "refuse"
    assert actions()[-1] == "exchange.request.refuse"
    with pytest.raises(Conflict) as exc2:
        services.request_approve(actor=steward_actor, request_id=req.pk, expected_version=3)
    assert exc2.value.code == "exchange.request.answered"


def test_authority_may_refuse_at_acceptance(consumer: Actor, app: ConsumerApp, conditional: Resource,
                                            authority_actor: Actor) -> None:  # fmt: skip
    req = submit(consumer, app, conditional)
    req = services.request_refuse(
        actor=authority_actor, request_id=req.pk, expected_version=1, reason="材料不全"
    )
    assert req.state == RequestState.REFUSED


def test_a_refused_request_is_amended_as_a_new_round(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    old = submit(consumer, app, conditional)
    services.request_refuse(actor=authority_actor, request_id=old.pk, expected_version=1, reason="请缩小范围")
    with pytest.raises(NotFound):  # the provider cannot resubmit for the consumer
        services.request_resubmit(actor=steward_actor, request_id=old.pk, expected_version=2)
    with pytest.raises(Conflict):
        services.request_resubmit(actor=consumer, request_id=old.pk, expected_version=1)
    new = services.request_resubmit(
        actor=consumer, request_id=old.pk, expected_version=2, item_ids=item_ids(conditional, "姓名"),
        purpose="仅核对姓名",
    )  # fmt: skip
    old.refresh_from_db()
    assert old.state == RequestState.RESUBMITTED and old.version == 3
    assert new.round == 2 and new.parent_id == old.pk and new.state == RequestState.PENDING
    assert new.purpose == "仅核对姓名" and new.legal_basis == old.legal_basis
    assert [i.name for i in new.items.all()] == ["姓名"]
    assert actions()[-2:] == ["exchange.request.submit", "exchange.request.resubmitted"]
    with pytest.raises(Conflict) as exc:  # only a refused request is resubmitted
        services.request_resubmit(actor=consumer, request_id=new.pk, expected_version=None)
    assert exc.value.code == "exchange.request.not_refused"
    with pytest.raises(NotFound):
        services.request_resubmit(actor=consumer, request_id=10**9, expected_version=None)


# --- grants -----------------------------------------------------------------------------------------


def test_revocation_takes_effect_at_once(
    consumer: Actor, app: ConsumerApp, unconditional: Resource, steward_actor: Actor, authority_actor: Actor
) -> None:
    grant = Grant.objects.get(request=submit(consumer, app, unconditional))
    assert [g.pk for g in selectors.grant_list(actor=consumer, active=True)] == [grant.pk]
    with pytest.raises(NotFound):  # the consumer does not revoke
        services.grant_revoke(actor=consumer, grant_id=grant.pk, reason="不用了")
    with pytest.raises(ValidationFailed):
        services.grant_revoke(actor=steward_actor, grant_id=grant.pk, reason="")
    revoked = services.grant_revoke(actor=steward_actor, grant_id=grant.pk, reason="超范围使用")
    assert revoked.revoked_at is not None and revoked.revoked_by == "steward"
    assert not Grant.objects.get(pk=grant.pk).is_active_on(revoked.revoked_at)
    assert list(selectors.grant_list(actor=consumer, active=True)) == []
    assert [g.pk for g in selectors.grant_list(actor=consumer, active=False)] == [grant.pk]
    with pytest.raises(Conflict):
        services.grant_revoke(actor=authority_actor, grant_id=grant.pk, reason="再次撤销")
    assert actions()[-1] == "exchange.grant.revoke"


def test_authority_may_revoke(consumer: Actor, app: ConsumerApp, unconditional: Resource,
                              authority_actor: Actor) -> None:  # fmt: skip
    grant = Grant.objects.get(request=submit(consumer, app, unconditional))
    assert services.grant_revoke(actor=authority_actor, grant_id=grant.pk, reason="督查发现问题").revoked_at
    assert selectors.grant_get(actor=authority_actor, grant_id=grant.pk).pk == grant.pk
    with pytest.raises(NotFound):
        selectors.grant_get(actor=authority_actor, grant_id=10**9)


# --- lists, overdue ---------------------------------------------------------------------------------


def test_lists_by_side(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    req = submit(consumer, app, conditional)
    assert [r.pk for r in selectors.request_mine(actor=consumer)] == [req.pk]
    assert list(selectors.request_mine(actor=consumer, state="granted")) == []
    assert list(selectors.request_mine(actor=steward_actor)) == []
    assert [r.pk for r in selectors.request_inbox(actor=authority_actor)] == [req.pk]
    assert list(selectors.request_inbox(actor=steward_actor)) == []
    assert list(selectors.request_inbox(actor=consumer)) == []
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    assert list(selectors.request_inbox(actor=authority_actor)) == []
    assert [r.pk for r in selectors.request_inbox(actor=steward_actor)] == [req.pk]
    assert selectors.request_get(actor=steward_actor, request_id=req.pk).pk == req.pk
    outsider = actor_of(make_user("outsider", department=make_department("淄博市教育局"), roles=("steward",)))
    with pytest.raises(NotFound):
        selectors.request_get(actor=outsider, request_id=req.pk)


def test_overdue_requests_escalate_to_the_authority(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor
) -> None:
    late = submit(consumer, app, conditional)
    on_time = submit(consumer, app, conditional)
    answered = submit(consumer, app, conditional)
    services.request_refuse(
        actor=authority_actor, request_id=answered.pk, expected_version=1, reason="重复申请"
    )
    ShareRequest.objects.filter(pk__in=[late.pk, answered.pk]).update(due_date=dt.date(2026, 1, 5))
    today = dt.date(2026, 1, 6)
    assert [r.pk for r in selectors.request_overdue(actor=authority_actor, today=today)] == [late.pk]
    assert ShareRequest.objects.get(pk=late.pk).is_overdue_on(today)
    assert not ShareRequest.objects.get(pk=on_time.pk).is_overdue_on(today)
    assert not ShareRequest.objects.get(pk=answered.pk).is_overdue_on(today)
    jinan = actor_of(make_user("jinan_auth", department=make_department("济南市大数据局", "370100"),
                               roles=("authority",), jurisdiction="370100"))  # fmt: skip
    assert list(selectors.request_overdue(actor=jinan, today=today)) == []
    assert [r.pk for r in selectors.request_overdue(actor=authority_actor)] == [late.pk]


# --- API --------------------------------------------------------------------------------------------


def _client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body, default=str), content_type="application/json")


def test_api_flow_and_rule_answers(
    consumer: Actor, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward_actor: Actor,
    dept: Any,
) -> None:  # fmt: skip
    c = _client("c_consumer")
    body = {"app_id": app.pk, "resource_id": conditional.pk, "item_ids": item_ids(conditional, "姓名"),
            "purpose": "核验", "legal_basis": "职责", **PERIOD}  # fmt: skip
    created = _post(c, "/api/exchange/requests", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "pending" and data["current_step"] == "accept" and data["due_date"]
    assert data["resource"]["id"] == conditional.pk and data["items"][0]["masking"] == "name"
    rid = data["id"]
    r = _post(_client("authority"), f"/api/exchange/requests/{rid}/accept", {"version": 1})
    assert r.status_code == 200 and r.json()["current_step"] == "approve"
    r = _post(_client("steward"), f"/api/exchange/requests/{rid}/approve", {"version": 1})
    assert r.status_code == 409 and r.json()["code"] == "exchange.request.changed"
    r = _post(_client("steward"), f"/api/exchange/requests/{rid}/approve", {"version": 2})
    assert r.status_code == 200 and r.json()["state"] == "granted" and r.json()["grant_id"]
    grants = c.get("/api/exchange/grants").json()
    assert [g["request_id"] for g in grants] == [rid] and grants[0]["active"] is True
    nope = published_resource(dept, "不予共享项资源", item_share_type="none")
    r = _post(
        c, "/api/exchange/requests", {**body, "resource_id": nope.pk, "item_ids": item_ids(nope, "婚姻状况")}
    )
    assert r.status_code == 422 and r.json()["decisions"][0]["rule_id"] == "CAT-5"
    assert r.json()["decisions"][0]["source"]
