"""API schemas of consumer apps and keys, named ``Exchange…`` so the OpenAPI document stays unambiguous."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from .models import AppKey, ConsumerApp, Grant, ShareRequest
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


# --- share requests and grants ---------------------------------------------------------------------

MAX_ID = 2**63 - 1
ItemIds = list[Annotated[int, Field(ge=1, le=MAX_ID)]]


class ExchangeRequestIn(Schema):
    app_id: int = Field(ge=1, le=MAX_ID, description="以哪个应用调用（须为本部门应用）")
    resource_id: int = Field(ge=1, le=MAX_ID, description="申请的目录资源（须已挂接并发布）")
    item_ids: ItemIds = Field(min_length=1, max_length=500, description="申请的信息项")
    purpose: str = Field(description="用途（办理什么业务）")
    legal_basis: str = Field(description="申请依据（法律法规、政策文件或职责）")
    period_start: date
    period_end: date
    consumer_approval: str = Field("", description="涉密资源：使用方的审批或备案（文号、审批人）")


class ExchangeStepIn(Schema):
    version: int | None = Field(None, ge=1, description="办理时看到的版本号；不一致时返回 409")
    note: str = Field("", description="办理意见")


class ExchangeApproveIn(ExchangeStepIn):
    lift_masking_item_ids: ItemIds = Field(
        default_factory=list, max_length=500, description="逐项明确取消脱敏的信息项；默认全部按信息项规则脱敏"
    )


class ExchangeRefuseIn(Schema):
    version: int | None = Field(None, ge=1)
    reason: str = Field(description="拒绝理由（必填，申请方可据此修改后重新提交）")


class ExchangeResubmitIn(Schema):
    version: int | None = Field(None, ge=1)
    item_ids: ItemIds | None = Field(None, min_length=1, max_length=500, description="留空沿用上一轮")
    purpose: str | None = None
    legal_basis: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    consumer_approval: str | None = None


class ExchangeGrantRevokeIn(Schema):
    reason: str = Field(description="撤销原因（必填）")


class ExchangeRef(Schema):
    id: int
    name: str


class ExchangeResourceRef(Schema):
    id: int
    code: str
    name: str


class ExchangeItemRef(Schema):
    id: int
    name: str
    masking: str = Field(description="该信息项的脱敏方式（授权中为实际采用的方式）")


class ExchangeStepOut(Schema):
    step: str
    actor: str
    decision: str
    note: str
    at: datetime


class ExchangeRequestOut(Schema):
    id: int
    state: str = Field(
        description="pending 办理中 / granted 已同意 / refused 已拒绝 / resubmitted 已修改重提"
    )
    round: int
    parent_id: int | None
    consumer_department: ExchangeRef
    provider_department: ExchangeRef
    app: ExchangeRef
    resource: ExchangeResourceRef
    items: list[ExchangeItemRef]
    purpose: str
    legal_basis: str
    period_start: date
    period_end: date
    consumer_approval: str
    steps: list[str]
    current_step: str
    received_at: datetime
    due_date: date | None
    due_provisional: bool = Field(description="期限所在年份的节假日安排尚未确认，期限为暂定")
    overdue: bool
    answered_at: datetime | None
    refusal_reason: str
    grant_id: int | None
    version: int
    history: list[ExchangeStepOut]

    @staticmethod
    def of(req: ShareRequest) -> ExchangeRequestOut:
        grant = Grant.objects.filter(request=req).values_list("pk", flat=True).first()
        return ExchangeRequestOut(
            id=req.pk, state=req.state, round=req.round, parent_id=req.parent_id,
            consumer_department=ExchangeRef(id=req.consumer_department_id, name=req.consumer_department.name),
            provider_department=ExchangeRef(id=req.provider_department_id, name=req.provider_department.name),
            app=ExchangeRef(id=req.app_id, name=req.app.name),
            resource=ExchangeResourceRef(id=req.resource_id, code=req.resource.code, name=req.resource.name),
            items=[ExchangeItemRef(id=i.pk, name=i.name, masking=i.masking) for i in req.items.all()],
            purpose=req.purpose, legal_basis=req.legal_basis, period_start=req.period_start,
            period_end=req.period_end, consumer_approval=req.consumer_approval, steps=list(req.steps),
            current_step=req.current_step, received_at=req.received_at, due_date=req.due_date,
            due_provisional=req.due_provisional, overdue=req.is_overdue_on(timezone.localdate()),
            answered_at=req.answered_at, refusal_reason=req.refusal_reason, grant_id=grant, version=req.version,
            history=[
                ExchangeStepOut(step=h.step, actor=h.actor, decision=h.decision, note=h.note, at=h.at)
                for h in req.history.all()
            ],
        )  # fmt: skip


class ExchangeGrantOut(Schema):
    id: int
    app: ExchangeRef
    consumer_department: ExchangeRef
    resource: ExchangeResourceRef
    items: list[ExchangeItemRef]
    request_id: int
    granted_at: datetime
    expires_on: date | None
    active: bool
    revoked_at: datetime | None
    revoked_by: str
    revoked_reason: str

    @staticmethod
    def of(grant: Grant) -> ExchangeGrantOut:
        return ExchangeGrantOut(
            id=grant.pk, app=ExchangeRef(id=grant.app_id, name=grant.app.name),
            consumer_department=ExchangeRef(id=grant.consumer_department_id, name=grant.consumer_department.name),
            resource=ExchangeResourceRef(id=grant.resource_id, code=grant.resource.code, name=grant.resource.name),
            items=[
                ExchangeItemRef(id=i.pk, name=i.name, masking=grant.masking.get(str(i.pk), i.masking))
                for i in grant.items.all()
            ],
            request_id=grant.request_id, granted_at=grant.granted_at, expires_on=grant.expires_on,
            active=grant.is_active_on(timezone.now()), revoked_at=grant.revoked_at, revoked_by=grant.revoked_by,
            revoked_reason=grant.revoked_reason,
        )  # fmt: skip
