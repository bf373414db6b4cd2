"""Exchange services for consumer apps and keys: the only code that writes them.

Each is keyword-only, takes the actor, runs in one transaction, checks ``exchange.app.manage`` on the
app's department inside (forbidden looks like missing), and writes its change record in the same
transaction. The plaintext of a key exists only in the ``IssuedKey`` returned by ``key_issue`` and
``key_rotate``: it is never stored, logged or put in a change record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sanbu.catalog.models import Resource, ResourceItem
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.calendar import work_calendar
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed, raise_if_blocked, text_problem
from sanbu.orgs.models import Department
from sanbu.orgs.rulesets import current as current_ruleset
from sanbu.policy.rules import exchange as exchange_rules
from sanbu.policy.rulesets import CONDITIONAL_ANSWER_DAYS, CONDITIONAL_STEPS, Parameter

from . import keys
from .models import (
    AppKey,
    AppStatus,
    ConsumerApp,
    Grant,
    RequestState,
    ShareRequest,
    ShareRequestStep,
    StepDecision,
    StepName,
)

MANAGE = "exchange.app.manage"
APP_NOT_FOUND = "exchange.app.not_found"
KEY_NOT_FOUND = "exchange.key.not_found"
MAX_GRACE_HOURS = 720  # 30 days: long enough to redeploy, short enough that a leaked key dies
APP_FIELDS = ["department_id", "name", "purpose", "system_name", "status", "disabled_at", "disabled_reason"]
# secret_hash is left out on purpose: change records carry no secret and nothing derived from one
KEY_FIELDS = [
    "app_id",
    "key_id",
    "created_at",
    "expires_at",
    "revoked_at",
    "revoked_reason",
    "replaced_by_id",
]


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its plaintext ``<key_id>.<secret>``: show it once, then let it go."""

    key: AppKey
    plaintext: str


# --- helpers ---------------------------------------------------------------------------------------


def _raise(code: str, message: str, errors: list[FieldError | None]) -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise ValidationFailed(code, message, errors=found)


def _department_for(actor: Actor, department_id: int | None) -> Department:
    dept_id = department_id or actor.department_id
    dept = Department.objects.filter(pk=dept_id).first() if dept_id else None
    if dept is None or not actor.can(MANAGE, dept.scope()):
        raise NotFound("orgs.department.not_found", "部门不存在或您无权为该部门登记应用。")
    return dept


def _locked_app(actor: Actor, app_id: int) -> ConsumerApp:
    app = ConsumerApp.objects.select_for_update().filter(pk=app_id).first()
    if app is None or not actor.can(MANAGE, app.scope()):
        raise NotFound(APP_NOT_FOUND, "应用不存在或您无权管理。", app_id=app_id)
    return app


def _locked_key(actor: Actor, app_key_id: int) -> AppKey:
    key = AppKey.objects.select_for_update().select_related("app").filter(pk=app_key_id).first()
    if key is None or not actor.can(MANAGE, key.app.scope()):
        raise NotFound(KEY_NOT_FOUND, "密钥不存在或您无权管理。", app_key_id=app_key_id)
    return key


def _require_active_app(app: ConsumerApp, doing: str) -> None:
    if app.status != AppStatus.ACTIVE:
        raise Conflict("exchange.app.disabled", f"应用“{app.name}”已停用，不能{doing}。", status=app.status)


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "exchange.key.invalid", "过期时间应晚于当前时间。",
            errors=[FieldError("expires_at", "in_past", "过期时间应晚于当前时间，或留空表示长期有效。")],
        )  # fmt: skip


def _key_snapshot(key: AppKey) -> dict[str, Any]:
    return audit.snapshot(key, KEY_FIELDS)


def _new_key(app: ConsumerApp, actor: Actor, expires_at: datetime | None, now: datetime) -> IssuedKey:
    secret = keys.new_secret()
    for _ in range(8):  # 32-bit ids: a clash is rare, and simply drawn again
        key_id = keys.new_key_id()
        if AppKey.objects.filter(key_id=key_id).exists():
            continue
        try:
            with transaction.atomic():
                key = AppKey.objects.create(
                    app=app, key_id=key_id, secret_hash=keys.secret_hash(key_id, secret), created_at=now,
                    created_by=actor.username[:150], expires_at=expires_at,
                )  # fmt: skip
        except IntegrityError:
            continue
        return IssuedKey(key=key, plaintext=f"{key_id}.{secret}")
    raise Conflict("exchange.key.id_exhausted", "生成密钥标识失败，请重试。")


# --- apps ------------------------------------------------------------------------------------------


@transaction.atomic
def app_register(
    *, actor: Actor, name: str, purpose: str = "", system_name: str = "", department_id: int | None = None
) -> ConsumerApp:
    """Register a system of the department that will call the platform."""
    dept = _department_for(actor, department_id)
    name, purpose, system_name = name.strip(), purpose.strip(), system_name.strip()
    errors = [
        text_problem(name, 64, "name", "应用名称", required=True),
        text_problem(purpose, 300, "purpose", "用途说明"),
        text_problem(system_name, 100, "system_name", "所属信息系统"),
    ]
    if name and ConsumerApp.objects.filter(department=dept, name=name).exists():
        errors.append(FieldError("name", "duplicate", f"{dept.name}已登记名为“{name}”的应用，请更换名称。"))
    _raise("exchange.app.invalid", "应用信息填写有误，请按提示逐项修改。", errors)
    app = ConsumerApp(
        department=dept, jurisdiction_id=dept.jurisdiction_id, name=name, purpose=purpose,
        system_name=system_name, created_by=actor.username[:150],
    )  # fmt: skip
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError as exc:
        raise Conflict("exchange.app.duplicate", "同名应用已存在，请刷新后重试。") from exc
    audit.record(actor=actor, action="exchange.app.register", obj=app, after=audit.snapshot(app, APP_FIELDS))
    return app


@transaction.atomic
def app_disable(*, actor: Actor, app_id: int, reason: str = "") -> ConsumerApp:
    """Stop an app: from this moment none of its keys authenticate (they stay listed, as they were)."""
    app = _locked_app(actor, app_id)
    _require_active_app(app, "再次停用")
    reason = reason.strip()
    _raise("exchange.app.invalid", "停用原因填写有误。", [text_problem(reason, 200, "reason", "停用原因")])
    before = audit.snapshot(app, APP_FIELDS)
    app.status = AppStatus.DISABLED
    app.disabled_at = timezone.now()
    app.disabled_reason = reason
    app.save(update_fields=["status", "disabled_at", "disabled_reason"])
    audit.record(
        actor=actor,
        action="exchange.app.disable",
        obj=app,
        before=before,
        after=audit.snapshot(app, APP_FIELDS),
    )
    return app


# --- keys ------------------------------------------------------------------------------------------


@transaction.atomic
def key_issue(*, actor: Actor, app_id: int, expires_at: datetime | None = None) -> IssuedKey:
    """A new key for the app; its plaintext is in the result and nowhere else."""
    app = _locked_app(actor, app_id)
    _require_active_app(app, "签发密钥")
    now = timezone.now()
    _check_expiry(expires_at, now)
    issued = _new_key(app, actor, expires_at, now)
    audit.record(actor=actor, action="exchange.key.issue", obj=issued.key, after=_key_snapshot(issued.key))
    return issued


@transaction.atomic
def key_rotate(
    *, actor: Actor, app_key_id: int, grace_hours: int = 0, expires_at: datetime | None = None
) -> IssuedKey:
    """Issue a new key and retire the old one: at once (``grace_hours=0``, revoked) or after the grace
    period, during which both work so the caller can redeploy."""
    old = _locked_key(actor, app_key_id)
    app = ConsumerApp.objects.select_for_update().get(pk=old.app_id)
    _require_active_app(app, "轮换密钥")
    now = timezone.now()
    if old.status_at(now) != "active":
        raise Conflict(
            "exchange.key.inactive",
            f"密钥 {old.key_id} 当前为“{old.status_at(now).label}”，只能轮换有效的密钥；如需新密钥请直接签发。",
            status=str(old.status_at(now)),
        )
    if not isinstance(grace_hours, int) or not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise ValidationFailed(
            "exchange.key.invalid", "宽限期填写有误。",
            errors=[FieldError("grace_hours", "out_of_range", f"宽限期应为 0 到 {MAX_GRACE_HOURS} 小时，0 表示旧密钥立即失效。")],
        )  # fmt: skip
    _check_expiry(expires_at, now)
    before = _key_snapshot(old)
    issued = _new_key(app, actor, expires_at, now)
    old.replaced_by = issued.key
    if grace_hours == 0:
        old.revoked_at, old.revoked_reason, old.revoked_by = now, "已轮换", actor.username[:150]
    else:
        until = now + timedelta(hours=grace_hours)
        old.expires_at = min(old.expires_at, until) if old.expires_at else until
    old.save(update_fields=["replaced_by", "revoked_at", "revoked_reason", "revoked_by", "expires_at"])
    audit.record(actor=actor, action="exchange.key.issue", obj=issued.key, after=_key_snapshot(issued.key))
    audit.record(
        actor=actor, action="exchange.key.rotate", obj=old, before=before,
        after={**_key_snapshot(old), "grace_hours": grace_hours, "new_key_id": issued.key.key_id},
    )  # fmt: skip
    return issued


@transaction.atomic
def key_revoke(*, actor: Actor, app_key_id: int, reason: str) -> AppKey:
    """Revoke a key now (a leak, a decommissioned system); the next call with it is refused."""
    key = _locked_key(actor, app_key_id)
    if key.revoked_at is not None:
        raise Conflict(
            "exchange.key.revoked", f"密钥 {key.key_id} 已于 {key.revoked_at:%Y-%m-%d %H:%M} 吊销。"
        )
    reason = reason.strip()
    _raise(
        "exchange.key.invalid", "吊销密钥须说明原因。",
        [text_problem(reason, 200, "reason", "吊销原因", required=True)],
    )  # fmt: skip
    before = _key_snapshot(key)
    key.revoked_at, key.revoked_reason, key.revoked_by = timezone.now(), reason, actor.username[:150]
    key.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    audit.record(actor=actor, action="exchange.key.revoke", obj=key, before=before, after=_key_snapshot(key))
    return key


# --- share requests and grants (EX-2, CAT-4/5/6) ---------------------------------------------------
#
# A request is submitted by the consumer department for one of its apps. Requests for unconditionally
# shared items only are granted at once; the others follow the ruleset's steps (by default: the
# authority accepts 受理, the provider approves) within a working-day deadline. Each step is one service
# below: permission inside (forbidden looks like missing), the version compared under a row lock, the
# rules asked, the step recorded on the request and in the audit chain in the same transaction.

SUBMIT = "exchange.request.submit"
STEP_ACTIONS = {StepName.ACCEPT: "exchange.request.accept", StepName.APPROVE: "exchange.request.approve"}
REVOKE = "exchange.grant.revoke"
REQUEST_NOT_FOUND = "exchange.request.not_found"
GRANT_NOT_FOUND = "exchange.grant.not_found"
REQUEST_FIELDS = [
    "consumer_department_id", "app_id", "resource_id", "provider_department_id", "purpose", "legal_basis",
    "period_start", "period_end", "consumer_approval", "state", "steps", "current_step", "masking_lifted",
    "round", "parent_id", "received_at", "due_date", "due_provisional", "answered_at", "refusal_reason",
    "version",
]  # fmt: skip
GRANT_FIELDS = [
    "app_id", "resource_id", "consumer_department_id", "provider_department_id", "masking", "request_id",
    "granted_at", "expires_on", "revoked_at", "revoked_by", "revoked_reason",
]  # fmt: skip


def _now() -> datetime:
    """The service clock (one seam for tests that need a given day of receipt)."""
    return timezone.now()


def _request_snapshot(req: ShareRequest) -> dict[str, Any]:
    return {**audit.snapshot(req, REQUEST_FIELDS), "item_ids": sorted(i.pk for i in req.items.all())}


def _grant_snapshot(grant: Grant) -> dict[str, Any]:
    return {**audit.snapshot(grant, GRANT_FIELDS), "item_ids": sorted(i.pk for i in grant.items.all())}


def _request_facts(
    resource: Resource, items: list[ResourceItem], consumer_department_id: int, consumer_approval: str,
    provider_approved: bool = False,
) -> exchange_rules.RequestFacts:  # fmt: skip
    return exchange_rules.RequestFacts(
        resource_code=resource.code, resource_state=resource.state, mounted=resource.mount_kind != "",
        secrecy=resource.secrecy,
        items=tuple(
            exchange_rules.RequestedItem(id=i.pk, name=i.name, share_type=i.share_type or resource.share_type)
            for i in items
        ),
        consumer_department_id=consumer_department_id, provider_department_id=resource.department_id,
        consumer_approval=consumer_approval, provider_approved=provider_approved,
    )  # fmt: skip


def _facts_of(req: ShareRequest, provider_approved: bool = False) -> exchange_rules.RequestFacts:
    resource = Resource.objects.get(pk=req.resource_id)
    items = list(req.items.all())
    return _request_facts(
        resource, items, req.consumer_department_id, req.consumer_approval, provider_approved
    )


def _configured_steps(ruleset: dict[str, Parameter]) -> list[str]:
    steps = [str(s) for s in ruleset[CONDITIONAL_STEPS].value]
    unknown = [s for s in steps if s not in STEP_ACTIONS]
    if not steps or unknown:
        raise ValueError(f"{CONDITIONAL_STEPS} 配置有误：须为 accept、approve 组成的非空列表，当前为 {steps}")
    return steps


def _locked_request(actor: Actor, request_id: int) -> ShareRequest:
    req = ShareRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None:
        raise NotFound(REQUEST_NOT_FOUND, "共享申请不存在或您无权办理。", request_id=request_id)
    return req


def _check_version(req: ShareRequest, expected_version: int | None) -> None:
    if expected_version is not None and req.version != expected_version:
        raise Conflict(
            "exchange.request.changed", "该申请已被他人办理或修改，请刷新后再操作。",
            current=req.version, expected=expected_version,
        )  # fmt: skip


def _step_for(actor: Actor, req: ShareRequest, step: str) -> None:
    """The actor holds the action of ``step`` (refusing: of the current step) on the provider's side,
    else the request looks missing; the request must be pending at that step, else 409."""
    step = step or req.current_step
    allowed = [s for s, action in STEP_ACTIONS.items() if actor.can(action, req.scope())]
    if not allowed or (step and step not in allowed):
        raise NotFound(REQUEST_NOT_FOUND, "共享申请不存在或您无权办理。", request_id=req.pk)
    if req.state != RequestState.PENDING:
        raise Conflict(
            "exchange.request.answered",
            f"该申请已{RequestState(req.state).label}，不能再办理。",
            state=req.state,
        )
    if req.current_step != step:
        raise Conflict(
            "exchange.request.wrong_step",
            f"该申请当前环节为“{StepName(req.current_step).label}”，不能执行“{StepName(step).label}”。",
            current_step=req.current_step,
        )


def _text(
    value: str, limit: int, field: str, label: str, required: bool = False
) -> tuple[str, FieldError | None]:
    value = value.strip()
    return value, text_problem(value, limit, field, label, required=required)


def _add_step(req: ShareRequest, actor: Actor, step: str, decision: str, note: str = "") -> None:
    ShareRequestStep.objects.create(
        request=req, step=step, actor=actor.username[:150], actor_department_id=actor.department_id,
        decision=decision, note=note[:500], at=_now(),
    )  # fmt: skip


def _grant(actor: Actor, req: ShareRequest, provider_approved: bool) -> Grant:
    """Close a request with a grant: the rules are asked once more (CAT-4/5/6) on the current catalog."""
    raise_if_blocked(exchange_rules.can_grant(_facts_of(req, provider_approved)))
    now = _now()
    items = list(req.items.all())
    lifted = {int(i) for i in req.masking_lifted}
    grant = Grant.objects.create(
        app_id=req.app_id, resource_id=req.resource_id, consumer_department_id=req.consumer_department_id,
        provider_department_id=req.provider_department_id, jurisdiction_id=req.jurisdiction_id,
        masking={str(i.pk): ("none" if i.pk in lifted else i.masking) for i in items},
        request=req, granted_at=now, expires_on=req.period_end,
    )  # fmt: skip
    grant.items.set(items)
    req.state, req.current_step, req.answered_at = RequestState.GRANTED, "", now
    _add_step(req, actor, StepName.GRANT, StepDecision.DONE)
    audit.record(actor=actor, action="exchange.grant.create", obj=grant, after=_grant_snapshot(grant))
    return grant


def _open_request(
    *, actor: Actor, app: ConsumerApp, resource: Resource, item_ids: list[int], purpose: str, legal_basis: str,
    period_start: date, period_end: date, consumer_approval: str, parent: ShareRequest | None, ruleset: str | None,
) -> ShareRequest:  # fmt: skip
    """Validate and record a request (a first submission or a new round); grant it at once if EX-2 says so."""
    now = _now()
    today = timezone.localdate(now)
    purpose, e1 = _text(purpose, 500, "purpose", "用途", required=True)
    legal_basis, e2 = _text(legal_basis, 500, "legal_basis", "申请依据", required=True)
    consumer_approval, e3 = _text(consumer_approval, 300, "consumer_approval", "使用方审批或备案")
    errors = [e1, e2, e3]
    ids = sorted(set(item_ids))
    items = list(ResourceItem.objects.filter(resource=resource, pk__in=ids).order_by("position", "id"))
    if len(items) != len(ids):
        unknown = sorted(set(ids) - {i.pk for i in items})
        errors.append(FieldError("item_ids", "unknown", f"信息项 {unknown} 不属于资源“{resource.name}”。"))
    if period_end < period_start:
        errors.append(FieldError("period_end", "before_start", "使用期限止不能早于起始日期。"))
    elif period_end < today:
        errors.append(FieldError("period_end", "in_past", "使用期限止不能早于今天。"))
    _raise("exchange.request.invalid", "共享申请填写有误，请按提示逐项修改。", errors)
    facts = _request_facts(resource, items, app.department_id, consumer_approval)
    raise_if_blocked(exchange_rules.can_submit(facts))
    req = ShareRequest.objects.create(
        consumer_department_id=app.department_id, app=app, resource=resource,
        provider_department_id=resource.department_id, jurisdiction_id=resource.jurisdiction_id,
        purpose=purpose, legal_basis=legal_basis, period_start=period_start, period_end=period_end,
        consumer_approval=consumer_approval, round=(parent.round + 1) if parent else 1, parent=parent,
        received_at=now, submitted_by=actor.username[:150],
    )  # fmt: skip
    req.items.set(items)
    _add_step(req, actor, StepName.SUBMIT, StepDecision.DONE, f"第 {req.round} 轮")
    if exchange_rules.is_unconditional(facts):
        req.steps = []
        _grant(actor, req, provider_approved=False)
    else:
        params = current_ruleset(ruleset or resource.jurisdiction_id).parameters
        req.steps = _configured_steps(params)
        req.current_step = req.steps[0]
        deadline = work_calendar().add_working_days(today, int(params[CONDITIONAL_ANSWER_DAYS].value))
        req.due_date, req.due_provisional = deadline.date, deadline.provisional
    req.save()
    audit.record(actor=actor, action="exchange.request.submit", obj=req, after=_request_snapshot(req))
    return req


@transaction.atomic
def request_submit(
    *, actor: Actor, app_id: int, resource_id: int, item_ids: list[int], purpose: str, legal_basis: str,
    period_start: date, period_end: date, consumer_approval: str = "", ruleset: str | None = None,
) -> ShareRequest:  # fmt: skip
    """A consumer department asks, for one of its apps, for items of a published resource (EX-2)."""
    app = ConsumerApp.objects.select_for_update().filter(pk=app_id).first()
    if app is None or not actor.can(SUBMIT, app.scope()):
        raise NotFound(APP_NOT_FOUND, "应用不存在或您无权以该应用申请共享。", app_id=app_id)
    _require_active_app(app, "申请共享")
    resource = Resource.objects.visible_to(actor).filter(pk=resource_id).first()
    if resource is None:
        raise NotFound("catalog.resource.not_found", "资源不存在或您无权查看。", resource_id=resource_id)
    return _open_request(
        actor=actor, app=app, resource=resource, item_ids=item_ids, purpose=purpose, legal_basis=legal_basis,
        period_start=period_start, period_end=period_end, consumer_approval=consumer_approval, parent=None,
        ruleset=ruleset,
    )  # fmt: skip


def _sign_step(
    actor: Actor, req: ShareRequest, step: str, note: str, lift_masking_item_ids: list[int] | None = None
) -> ShareRequest:
    note, problem = _text(note, 500, "note", "办理意见")
    _raise("exchange.request.invalid", "办理意见填写有误。", [problem])
    raise_if_blocked(exchange_rules.can_approve(actor.department_id, _facts_of(req)))
    before = _request_snapshot(req)
    if lift_masking_item_ids:
        requested = {i.pk for i in req.items.all()}
        stray = sorted(set(lift_masking_item_ids) - requested)
        if stray:
            raise ValidationFailed(
                "exchange.request.invalid", "取消脱敏的信息项须是本次申请的信息项。",
                errors=[FieldError("lift_masking_item_ids", "unknown", f"信息项 {stray} 不在本申请中。")],
            )  # fmt: skip
        req.masking_lifted = sorted(set(req.masking_lifted) | set(lift_masking_item_ids))
    _add_step(
        req, actor, step, StepDecision.APPROVED if step == StepName.APPROVE else StepDecision.DONE, note
    )
    req.step_index += 1
    req.version += 1
    if req.step_index >= len(req.steps):
        signed = set(req.history.filter(decision=StepDecision.APPROVED).values_list("step", flat=True))
        _grant(actor, req, provider_approved=StepName.APPROVE in signed)
    else:
        req.current_step = req.steps[req.step_index]
    req.save()
    audit.record(
        actor=actor, action=f"exchange.request.{step}", obj=req, before=before, after=_request_snapshot(req)
    )
    return req


@transaction.atomic
def request_accept(
    *, actor: Actor, request_id: int, expected_version: int | None, note: str = ""
) -> ShareRequest:
    """The platform authority accepts (受理) a conditional request and passes it to the next step."""
    req = _locked_request(actor, request_id)
    _step_for(actor, req, StepName.ACCEPT)
    _check_version(req, expected_version)
    return _sign_step(actor, req, StepName.ACCEPT, note)


@transaction.atomic
def request_approve(
    *, actor: Actor, request_id: int, expected_version: int | None, note: str = "",
    lift_masking_item_ids: list[int] | None = None,
) -> ShareRequest:  # fmt: skip
    """The provider department approves; the last step creates the grant. Masking stays on every item
    unless the approver lifts it explicitly, item by item."""
    req = _locked_request(actor, request_id)
    _step_for(actor, req, StepName.APPROVE)
    _check_version(req, expected_version)
    return _sign_step(actor, req, StepName.APPROVE, note, lift_masking_item_ids)


@transaction.atomic
def request_refuse(
    *, actor: Actor, request_id: int, expected_version: int | None, reason: str
) -> ShareRequest:
    """Whoever acts on the current step refuses, with a reason the consumer sees (and may answer by
    resubmitting)."""
    req = _locked_request(actor, request_id)
    _step_for(actor, req, "")
    _check_version(req, expected_version)
    reason, problem = _text(reason, 500, "reason", "拒绝理由", required=True)
    _raise("exchange.request.invalid", "拒绝共享申请须说明理由。", [problem])
    raise_if_blocked([exchange_rules.not_own_department(actor.department_id, _facts_of(req))])
    before = _request_snapshot(req)
    _add_step(req, actor, StepName.REFUSE, StepDecision.REFUSED, reason)
    req.state, req.current_step, req.refusal_reason = RequestState.REFUSED, "", reason
    req.answered_at = _now()
    req.version += 1
    req.save()
    audit.record(
        actor=actor, action="exchange.request.refuse", obj=req, before=before, after=_request_snapshot(req)
    )
    return req


@transaction.atomic
def request_resubmit(
    *, actor: Actor, request_id: int, expected_version: int | None, item_ids: list[int] | None = None,
    purpose: str | None = None, legal_basis: str | None = None, period_start: date | None = None,
    period_end: date | None = None, consumer_approval: str | None = None, ruleset: str | None = None,
) -> ShareRequest:  # fmt: skip
    """A refused request, amended, as a new round linked to the old one (which is closed as resubmitted)."""
    old = _locked_request(actor, request_id)
    app = ConsumerApp.objects.select_for_update().get(pk=old.app_id)
    if not actor.can(SUBMIT, app.scope()):
        raise NotFound(REQUEST_NOT_FOUND, "共享申请不存在或您无权办理。", request_id=request_id)
    if old.state != RequestState.REFUSED:
        raise Conflict(
            "exchange.request.not_refused", f"只有被拒绝的申请可以修改后重新提交，该申请为“{RequestState(old.state).label}”。",
            state=old.state,
        )  # fmt: skip
    _check_version(old, expected_version)
    _require_active_app(app, "申请共享")
    before = _request_snapshot(old)
    new = _open_request(
        actor=actor, app=app, resource=Resource.objects.get(pk=old.resource_id),
        item_ids=item_ids if item_ids is not None else [i.pk for i in old.items.all()],
        purpose=old.purpose if purpose is None else purpose,
        legal_basis=old.legal_basis if legal_basis is None else legal_basis,
        period_start=period_start or old.period_start, period_end=period_end or old.period_end,
        consumer_approval=old.consumer_approval if consumer_approval is None else consumer_approval,
        parent=old, ruleset=ruleset,
    )  # fmt: skip
    old.state = RequestState.RESUBMITTED
    old.version += 1
    old.save(update_fields=["state", "version"])
    audit.record(
        actor=actor,
        action="exchange.request.resubmitted",
        obj=old,
        before=before,
        after=_request_snapshot(old),
    )
    return new


@transaction.atomic
def grant_revoke(*, actor: Actor, grant_id: int, reason: str) -> Grant:
    """The provider or the authority revokes a grant; from this moment the app reads nothing under it."""
    grant = Grant.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None or not actor.can(REVOKE, grant.scope()):
        raise NotFound(GRANT_NOT_FOUND, "授权不存在或您无权撤销。", grant_id=grant_id)
    if grant.revoked_at is not None:
        raise Conflict("exchange.grant.revoked", f"该授权已于 {grant.revoked_at:%Y-%m-%d %H:%M} 撤销。")
    reason, problem = _text(reason, 500, "reason", "撤销原因", required=True)
    _raise("exchange.grant.invalid", "撤销授权须说明原因。", [problem])
    before = _grant_snapshot(grant)
    grant.revoked_at, grant.revoked_by, grant.revoked_reason = _now(), actor.username[:150], reason
    grant.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit.record(
        actor=actor, action="exchange.grant.revoke", obj=grant, before=before, after=_grant_snapshot(grant)
    )
    return grant
