"""API schemas of consumer apps and keys, named ``Exchange…`` so the OpenAPI document stays unambiguous."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from .models import AppKey, ConsumerApp, DataNeed, Grant, Objection, ShareRequest
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


# --- 供需对接: data needs (EX-3) and 数据异议: objections (EX-4) -----------------------------------------


class ExchangeNeedIn(Schema):
    title: str = Field(description="需求名称")
    description: str = Field(description="需求描述（用业务语言说明需要什么数据）")
    desired_items: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=50, description="所需信息项名称，如“公民身份号码”“婚姻状况”"
    )
    purpose: str = Field("", description="用途")
    department_id: int | None = Field(None, ge=1, le=MAX_ID, description="需求部门；留空为当前用户所在部门")


class ExchangeNeedVersionIn(Schema):
    version: int | None = Field(None, ge=1, description="办理时看到的版本号；不一致时返回 409")


class ExchangeNeedRouteIn(ExchangeNeedVersionIn):
    provider_department_id: int = Field(
        ge=1, le=MAX_ID, description="转交的提供部门（所需数据元的权威来源部门）"
    )
    note: str = Field("", description="转交说明")


class ExchangeNeedAnswerIn(ExchangeNeedVersionIn):
    can_provide: bool = Field(description="true 承诺编目提供；false 无法提供")
    reply: str = Field(description="承诺时写明将提供的资源和预计时间；无法提供时写明理由（必填）")
    resource_id: int | None = Field(None, ge=1, le=MAX_ID, description="承诺提供时：本部门已登记的资源")


class ExchangeNeedAcceptIn(ExchangeNeedVersionIn):
    resource_id: int = Field(ge=1, le=MAX_ID, description="采纳的推荐资源")


class ExchangeNeedWithdrawIn(ExchangeNeedVersionIn):
    reason: str = Field(description="撤回原因（必填）")


class ExchangeNeedProposalOut(Schema):
    resource_id: int
    resource_name: str
    department_name: str
    score: int = Field(description="匹配度 0–100")
    reasons: list[str]
    covered: list[str] = Field(description="覆盖的所需信息项")


class ExchangeNeedOut(Schema):
    id: int
    state: str = Field(description="open 待对接 / routed 已转提供部门 / matched 已匹配资源 / closed 已办结")
    outcome: str = Field(description="satisfied / will_provide / cannot_provide / withdrawn；未办结为空")
    department: ExchangeRef
    title: str
    description: str
    desired_items: list[str]
    purpose: str
    proposals: list[ExchangeNeedProposalOut]
    routed_to: ExchangeRef | None
    routed_at: datetime | None
    due_date: date | None
    due_provisional: bool
    overdue: bool
    matched_resource: ExchangeResourceRef | None
    reply: str
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    version: int

    @staticmethod
    def of(need: DataNeed) -> ExchangeNeedOut:
        res = need.matched_resource
        return ExchangeNeedOut(
            id=need.pk, state=need.state, outcome=need.outcome,
            department=ExchangeRef(id=need.department_id, name=need.department.name), title=need.title,
            description=need.description, desired_items=[str(i) for i in need.desired_items],
            purpose=need.purpose,
            proposals=[
                ExchangeNeedProposalOut(
                    resource_id=int(p.get("resource", 0)), resource_name=str(p.get("name", "")),
                    department_name=str(p.get("department_name", "")), score=int(p.get("score", 0)),
                    reasons=[str(r) for r in p.get("reasons", [])], covered=[str(c) for c in p.get("covered", [])],
                )
                for p in need.proposals
            ],
            routed_to=ExchangeRef(id=need.routed_to.pk, name=need.routed_to.name) if need.routed_to else None,
            routed_at=need.routed_at, due_date=need.due_date, due_provisional=need.due_provisional,
            overdue=need.is_overdue_on(timezone.localdate()),
            matched_resource=ExchangeResourceRef(id=res.pk, code=res.code, name=res.name) if res else None,
            reply=need.reply, created_at=need.created_at, created_by=need.created_by, closed_at=need.closed_at,
            version=need.version,
        )  # fmt: skip


class ExchangeObjectionIn(Schema):
    resource_id: int = Field(ge=1, le=MAX_ID, description="有异议的资源（本部门须获得过该资源的授权）")
    item_id: int | None = Field(None, ge=1, le=MAX_ID, description="有问题的信息项（须在授权范围内）")
    record_key: str = Field(
        "", max_length=64, description="记录的主键值（如公民身份号码）；平台只保存其哈希和脱敏形式"
    )
    description: str = Field(description="问题描述")
    evidence: str = Field(description="佐证材料（文书、证照编号等）")
    expected_value: str = Field("", description="应为")
    department_id: int | None = Field(None, ge=1, le=MAX_ID, description="提出部门；留空为当前用户所在部门")


class ExchangeObjectionAnswerIn(Schema):
    version: int | None = Field(None, ge=1)
    corrected: bool = Field(description="true 已更正；false 经核实数据无误")
    answer: str = Field(description="更正情况或数据无误的理由（必填）")


class ExchangeObjectionConfirmIn(Schema):
    version: int | None = Field(None, ge=1)
    note: str = Field("", description="确认意见")


class ExchangeObjectionOut(Schema):
    id: int
    state: str = Field(
        description="open 待核实 / answered 已答复（数据无误）/ corrected 已更正 / closed 已确认办结"
    )
    resource: ExchangeResourceRef
    item: ExchangeRef | None
    grant_id: int | None
    consumer_department: ExchangeRef
    provider_department: ExchangeRef
    record_key_masked: str = Field(description="记录主键的脱敏形式（平台不保存原值）")
    description: str
    evidence: str
    expected_value: str
    received_at: datetime
    due_date: date | None
    due_provisional: bool
    overdue: bool
    answer: str
    answered_at: datetime | None
    answered_by: str
    closed_at: datetime | None
    version: int

    @staticmethod
    def of(obj: Objection) -> ExchangeObjectionOut:
        return ExchangeObjectionOut(
            id=obj.pk, state=obj.state,
            resource=ExchangeResourceRef(id=obj.resource_id, code=obj.resource.code, name=obj.resource.name),
            item=ExchangeRef(id=obj.item.pk, name=obj.item.name) if obj.item else None, grant_id=obj.grant_id,
            consumer_department=ExchangeRef(id=obj.consumer_department_id, name=obj.consumer_department.name),
            provider_department=ExchangeRef(id=obj.provider_department_id, name=obj.provider_department.name),
            record_key_masked=obj.record_key_masked, description=obj.description, evidence=obj.evidence,
            expected_value=obj.expected_value, received_at=obj.received_at, due_date=obj.due_date,
            due_provisional=obj.due_provisional, overdue=obj.is_overdue_on(timezone.localdate()),
            answer=obj.answer, answered_at=obj.answered_at, answered_by=obj.answered_by, closed_at=obj.closed_at,
            version=obj.version,
        )  # fmt: skip


# --- interface lifecycle (EX-5) and usage ----------------------------------------------------------


class ExchangeInterfaceOut(Schema):
    id: int
    resource_id: int
    number: int = Field(description="版本号：调用时以 version=N 指定，不带 version 调用最新的未停用版本")
    item_names: list[str] = Field(description="该版本提供的信息项")
    note: str
    state: str = Field(
        description="active 在用 / deprecated 已弃用（待停用）/ retired 已停用（停用日期已过的弃用版本亦为 retired）"
    )
    released_at: datetime
    released_by: str
    deprecated_at: datetime | None
    deprecated_by: str
    sunset_on: date | None = Field(description="停用日期：当日仍应答，次日起返回 410")
    successor: int | None = Field(description="替代版本号")


class ExchangeInterfaceReleaseIn(Schema):
    note: str = Field("", description="版本说明（变化内容）")
    latest: int | None = Field(
        None, ge=0, le=2**31 - 1, description="发布时看到的最新版本号（尚无版本为 0）；已被他人变更时返回 409"
    )


class ExchangeInterfaceDeprecateIn(Schema):
    sunset_on: date = Field(
        description="停用日期：须在规则集参数 exchange.interface_sunset_notice_days 个工作日之后"
    )
    latest: int | None = Field(
        None, ge=0, le=2**31 - 1, description="操作时看到的最新版本号；有新版本发布时返回 409"
    )


class ExchangeInterfaceRetireIn(Schema):
    note: str = Field("", description="停用说明")


class ExchangeUsageDayOut(Schema):
    day: date
    calls: int
    answered: int = Field(description="成功应答的调用次数")
    rows: int = Field(description="返回的记录条数")


class ExchangeUsageAppOut(Schema):
    app: ExchangeRef
    consumer_department: ExchangeRef
    calls: int
    answered: int
    rows: int
    first_day: date
    last_day: date


class ExchangeUsageDepartmentOut(Schema):
    department: ExchangeRef
    apps: int
    calls: int
    answered: int
    rows: int


class ExchangeUsageOut(Schema):
    resource: ExchangeResourceRef
    start: date
    end: date
    calls: int
    answered: int
    rows: int
    days: list[ExchangeUsageDayOut] = Field(description="统计期间的每一天（无调用为 0），由早到晚")
    apps: list[ExchangeUsageAppOut] = Field(description="按应用，调用多的在前")
    departments: list[ExchangeUsageDepartmentOut] = Field(description="按使用部门，调用多的在前")


class ExchangeUsageQuery(Schema):
    start: date | None = Field(None, description="统计开始日期；默认结束日期前 29 天")
    end: date | None = Field(None, description="统计结束日期；默认今天。期间最长 366 天")
