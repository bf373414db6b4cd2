"""Exchange services for consumer apps and keys: the only code that writes them.

Each is keyword-only, takes the actor, runs in one transaction, checks ``exchange.app.manage`` on the
app's department inside (forbidden looks like missing), and writes its change record in the same
transaction. The plaintext of a key exists only in the ``IssuedKey`` returned by ``key_issue`` and
``key_rotate``: it is never stored, logged or put in a change record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from sanbu.orgs.models import Department

from . import keys
from .models import AppKey, AppStatus, ConsumerApp

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


def _text_problem(
    value: str, limit: int, field: str, label: str, required: bool = False
) -> FieldError | None:
    if "\x00" in value:
        return FieldError(field, "invalid_character", f"{label}含有空字符（NUL），请删除后重新填写。")
    if required and not value.strip():
        return FieldError(field, "required", f"请填写{label}。")
    if len(value.strip()) > limit:
        return FieldError(field, "too_long", f"{label}不超过 {limit} 字，当前 {len(value.strip())} 字。")
    return None


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
        _text_problem(name, 64, "name", "应用名称", required=True),
        _text_problem(purpose, 300, "purpose", "用途说明"),
        _text_problem(system_name, 100, "system_name", "所属信息系统"),
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
    _raise("exchange.app.invalid", "停用原因填写有误。", [_text_problem(reason, 200, "reason", "停用原因")])
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
        [_text_problem(reason, 200, "reason", "吊销原因", required=True)],
    )  # fmt: skip
    before = _key_snapshot(key)
    key.revoked_at, key.revoked_reason, key.revoked_by = timezone.now(), reason, actor.username[:150]
    key.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    audit.record(actor=actor, action="exchange.key.revoke", obj=key, before=before, after=_key_snapshot(key))
    return key
