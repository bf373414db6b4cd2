"""API schemas of consumer apps and keys, named ``Exchange…`` so the OpenAPI document stays unambiguous."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from .models import AppKey, ConsumerApp
from .services import MAX_GRACE_HOURS

ONCE = "完整密钥只在此次响应中出现一次，平台只保存其哈希，无法再次查看：请立即妥善保存到调用方系统的配置中。"


class ExchangeAppIn(Schema):
    name: str = Field(description="应用名称，部门内唯一")
    purpose: str = Field("", description="用途说明")
    system_name: str = Field("", description="所属信息系统（暂为文字，系统清单上线后关联）")
    department_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="所属部门；留空为当前用户所在部门"
    )


class ExchangeAppDisableIn(Schema):
    reason: str = Field("", description="停用原因")


class ExchangeAppOut(Schema):
    id: int
    department_id: int
    department_name: str
    name: str
    purpose: str
    system_name: str
    status: str
    usable_keys: int = Field(description="未吊销且未过期的密钥数")
    created_at: datetime
    created_by: str
    disabled_at: datetime | None
    disabled_reason: str

    @staticmethod
    def of(app: ConsumerApp) -> ExchangeAppOut:
        usable = getattr(app, "usable_keys", None)
        if usable is None:
            usable = sum(1 for k in app.keys.all() if k.is_usable)
        return ExchangeAppOut(
            id=app.pk, department_id=app.department_id, department_name=app.department.name, name=app.name,
            purpose=app.purpose, system_name=app.system_name, status=app.status, usable_keys=usable,
            created_at=app.created_at, created_by=app.created_by, disabled_at=app.disabled_at,
            disabled_reason=app.disabled_reason,
        )  # fmt: skip


class ExchangeKeyOut(Schema):
    """A key as listed: its public id and dates, never its secret or hash."""

    id: int
    app_id: int
    key_id: str = Field(description="公开的密钥标识，如 sk_7f3a9c2e")
    status: str = Field(description="active 有效 / expiring 轮换宽限期 / expired 已过期 / revoked 已吊销")
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str
    replaced_by: str | None = Field(description="轮换后的新密钥标识")
    last_used_at: datetime | None

    @staticmethod
    def of(key: AppKey) -> ExchangeKeyOut:
        return ExchangeKeyOut(
            id=key.pk, app_id=key.app_id, key_id=key.key_id, status=key.status_at(timezone.now()),
            created_at=key.created_at, created_by=key.created_by, expires_at=key.expires_at,
            revoked_at=key.revoked_at, revoked_reason=key.revoked_reason,
            replaced_by=key.replaced_by.key_id if key.replaced_by else None, last_used_at=key.last_used_at,
        )  # fmt: skip


class ExchangeKeyIssueIn(Schema):
    expires_at: datetime | None = Field(None, description="过期时间；留空为长期有效")


class ExchangeKeyRotateIn(Schema):
    grace_hours: int = Field(
        0, ge=0, le=MAX_GRACE_HOURS, description="旧密钥的宽限期（小时）；0 表示旧密钥立即吊销"
    )
    expires_at: datetime | None = Field(None, description="新密钥的过期时间；留空为长期有效")


class ExchangeKeyRevokeIn(Schema):
    reason: str = Field(description="吊销原因（必填）")


class ExchangeIssuedKeyOut(Schema):
    key: ExchangeKeyOut
    api_key: str = Field(description="完整密钥 <key_id>.<secret>，只返回这一次")
    notice: str = ONCE
    previous: ExchangeKeyOut | None = Field(None, description="轮换时：被替换的旧密钥")
