"""Exchange JSON API for consumer apps and keys: schema in, one service or selector, schema out.

A response carrying a new key is marked ``Cache-Control: no-store`` so no proxy or browser keeps it.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sanbu.core.actor import request_actor
from sanbu.core.api import MAX_ID, IdPath

from . import feedback, interfaces, needs, schemas, selectors, services, usage
from .models import AppStatus, RequestState
from .schemas import (
    ExchangeAppDisableIn,
    ExchangeAppIn,
    ExchangeAppOut,
    ExchangeApproveIn,
    ExchangeGrantOut,
    ExchangeGrantRevokeIn,
    ExchangeIssuedKeyOut,
    ExchangeKeyIssueIn,
    ExchangeKeyOut,
    ExchangeKeyRevokeIn,
    ExchangeKeyRotateIn,
    ExchangeRefuseIn,
    ExchangeRequestIn,
    ExchangeRequestOut,
    ExchangeResubmitIn,
    ExchangeStepIn,
)

router = Router(tags=["exchange"])


class ExchangeAppQuery(Schema):
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: AppStatus | None = None


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"


@router.get("/apps", response=list[ExchangeAppOut], summary="应用列表（本部门或本辖区）")
def list_apps(request: HttpRequest, query: Query[ExchangeAppQuery]) -> list[ExchangeAppOut]:
    apps = selectors.app_list(
        actor=request_actor(request), department_id=query.department_id, status=query.status or ""
    )
    return [ExchangeAppOut.of(a) for a in apps[:1000]]


@router.post("/apps", response={201: ExchangeAppOut}, summary="登记应用")
def register_app(request: HttpRequest, body: ExchangeAppIn) -> Status[ExchangeAppOut]:
    actor = request_actor(request)
    app = services.app_register(
        actor=actor, name=body.name, purpose=body.purpose, system_name=body.system_name,
        department_id=body.department_id,
    )  # fmt: skip
    return Status(201, ExchangeAppOut.of(selectors.app_get(actor=actor, app_id=app.pk)))


@router.get("/apps/{app_id}", response=ExchangeAppOut, summary="应用详情")
def get_app(request: HttpRequest, app_id: IdPath) -> ExchangeAppOut:
    return ExchangeAppOut.of(selectors.app_get(actor=request_actor(request), app_id=app_id))


@router.post("/apps/{app_id}/disable", response=ExchangeAppOut, summary="停用应用（其全部密钥立即失效）")
def disable_app(request: HttpRequest, app_id: IdPath, body: ExchangeAppDisableIn) -> ExchangeAppOut:
    actor = request_actor(request)
    services.app_disable(actor=actor, app_id=app_id, reason=body.reason)
    return ExchangeAppOut.of(selectors.app_get(actor=actor, app_id=app_id))


@router.get("/apps/{app_id}/keys", response=list[ExchangeKeyOut], summary="应用的密钥（不含密钥内容）")
def list_keys(request: HttpRequest, app_id: IdPath) -> list[ExchangeKeyOut]:
    return [ExchangeKeyOut.of(k) for k in selectors.key_list(actor=request_actor(request), app_id=app_id)]


@router.post(
    "/apps/{app_id}/keys", response={201: ExchangeIssuedKeyOut}, summary="签发密钥（完整密钥只显示一次）"
)
def issue_key(
    request: HttpRequest, response: HttpResponse, app_id: IdPath, body: ExchangeKeyIssueIn
) -> Status[ExchangeIssuedKeyOut]:
    issued = services.key_issue(actor=request_actor(request), app_id=app_id, expires_at=body.expires_at)
    _no_store(response)
    return Status(
        201, ExchangeIssuedKeyOut(key=ExchangeKeyOut.of(issued.key), api_key=issued.plaintext, previous=None)
    )


@router.post(
    "/keys/{app_key_id}/rotate", response={201: ExchangeIssuedKeyOut}, summary="轮换密钥（新密钥只显示一次）"
)
def rotate_key(
    request: HttpRequest, response: HttpResponse, app_key_id: IdPath, body: ExchangeKeyRotateIn
) -> Status[ExchangeIssuedKeyOut]:
    actor = request_actor(request)
    issued = services.key_rotate(
        actor=actor, app_key_id=app_key_id, grace_hours=body.grace_hours, expires_at=body.expires_at
    )
    _no_store(response)
    previous = selectors.key_get(actor=actor, app_key_id=app_key_id)
    return Status(
        201,
        ExchangeIssuedKeyOut(
            key=ExchangeKeyOut.of(issued.key), api_key=issued.plaintext, previous=ExchangeKeyOut.of(previous)
        ),
    )


@router.post("/keys/{app_key_id}/revoke", response=ExchangeKeyOut, summary="吊销密钥（立即生效）")
def revoke_key(request: HttpRequest, app_key_id: IdPath, body: ExchangeKeyRevokeIn) -> ExchangeKeyOut:
    key = services.key_revoke(actor=request_actor(request), app_key_id=app_key_id, reason=body.reason)
    return ExchangeKeyOut.of(key)


# --- share requests and grants ---------------------------------------------------------------------

LIST_LIMIT = 1000


class ExchangeRequestQuery(Schema):
    state: RequestState | None = None


class ExchangeGrantQuery(Schema):
    app_id: int | None = Field(None, ge=1, le=MAX_ID)
    active: bool | None = None


def _request_out(request: HttpRequest, request_id: int) -> ExchangeRequestOut:
    return ExchangeRequestOut.of(selectors.request_get(actor=request_actor(request), request_id=request_id))


def _requests_out(qs: Any) -> list[ExchangeRequestOut]:
    return [ExchangeRequestOut.of(r) for r in qs.prefetch_related("items", "history")[:LIST_LIMIT]]


@router.post("/requests", response={201: ExchangeRequestOut}, summary="提交共享申请（无条件共享的立即授权）")
def submit_request(request: HttpRequest, body: ExchangeRequestIn) -> Status[ExchangeRequestOut]:
    req = services.request_submit(
        actor=request_actor(request), app_id=body.app_id, resource_id=body.resource_id, item_ids=body.item_ids,
        purpose=body.purpose, legal_basis=body.legal_basis, period_start=body.period_start,
        period_end=body.period_end, consumer_approval=body.consumer_approval,
    )  # fmt: skip
    return Status(201, _request_out(request, req.pk))


@router.get("/requests", response=list[ExchangeRequestOut], summary="本部门提出的共享申请")
def list_my_requests(request: HttpRequest, query: Query[ExchangeRequestQuery]) -> list[ExchangeRequestOut]:
    return _requests_out(selectors.request_mine(actor=request_actor(request), state=query.state or ""))


@router.get(
    "/requests/inbox", response=list[ExchangeRequestOut], summary="待我办理的共享申请（期限近的在前）"
)
def list_inbox(request: HttpRequest) -> list[ExchangeRequestOut]:
    return _requests_out(selectors.request_inbox(actor=request_actor(request)))


@router.get("/requests/overdue", response=list[ExchangeRequestOut], summary="超期未答复的共享申请（督办）")
def list_overdue(request: HttpRequest) -> list[ExchangeRequestOut]:
    return _requests_out(selectors.request_overdue(actor=request_actor(request)))


@router.get("/requests/{request_id}", response=ExchangeRequestOut, summary="共享申请详情")
def get_request(request: HttpRequest, request_id: IdPath) -> ExchangeRequestOut:
    return _request_out(request, request_id)


@router.post(
    "/requests/{request_id}/accept", response=ExchangeRequestOut, summary="受理共享申请（平台管理部门）"
)
def accept_request(request: HttpRequest, request_id: IdPath, body: ExchangeStepIn) -> ExchangeRequestOut:
    services.request_accept(
        actor=request_actor(request), request_id=request_id, expected_version=body.version, note=body.note
    )
    return _request_out(request, request_id)


@router.post(
    "/requests/{request_id}/approve", response=ExchangeRequestOut, summary="同意共享申请（提供部门）"
)
def approve_request(request: HttpRequest, request_id: IdPath, body: ExchangeApproveIn) -> ExchangeRequestOut:
    services.request_approve(
        actor=request_actor(request), request_id=request_id, expected_version=body.version, note=body.note,
        lift_masking_item_ids=body.lift_masking_item_ids,
    )  # fmt: skip
    return _request_out(request, request_id)


@router.post(
    "/requests/{request_id}/refuse", response=ExchangeRequestOut, summary="拒绝共享申请（须说明理由）"
)
def refuse_request(request: HttpRequest, request_id: IdPath, body: ExchangeRefuseIn) -> ExchangeRequestOut:
    services.request_refuse(
        actor=request_actor(request), request_id=request_id, expected_version=body.version, reason=body.reason
    )
    return _request_out(request, request_id)


@router.post(
    "/requests/{request_id}/resubmit",
    response={201: ExchangeRequestOut},
    summary="修改被拒绝的申请并重新提交",
)
def resubmit_request(
    request: HttpRequest, request_id: IdPath, body: ExchangeResubmitIn
) -> Status[ExchangeRequestOut]:
    new = services.request_resubmit(
        actor=request_actor(request), request_id=request_id, expected_version=body.version,
        item_ids=body.item_ids, purpose=body.purpose, legal_basis=body.legal_basis,
        period_start=body.period_start, period_end=body.period_end, consumer_approval=body.consumer_approval,
    )  # fmt: skip
    return Status(201, _request_out(request, new.pk))


@router.get("/grants", response=list[ExchangeGrantOut], summary="共享授权列表")
def list_grants(request: HttpRequest, query: Query[ExchangeGrantQuery]) -> list[ExchangeGrantOut]:
    grants = selectors.grant_list(actor=request_actor(request), app_id=query.app_id, active=query.active)
    return [ExchangeGrantOut.of(g) for g in grants.prefetch_related("items")[:LIST_LIMIT]]


@router.post("/grants/{grant_id}/revoke", response=ExchangeGrantOut, summary="撤销授权（立即生效）")
def revoke_grant(request: HttpRequest, grant_id: IdPath, body: ExchangeGrantRevokeIn) -> ExchangeGrantOut:
    actor = request_actor(request)
    services.grant_revoke(actor=actor, grant_id=grant_id, reason=body.reason)
    return ExchangeGrantOut.of(selectors.grant_get(actor=actor, grant_id=grant_id))


# --- 供需对接: data needs (EX-3) ---------------------------------------------------------------------

NeedSide = Literal["mine", "queue", "all"]


class ExchangeNeedQuery(Schema):
    side: NeedSide = Field("all", description="mine 本部门提出的 / queue 转交本部门待答复的 / all 可见的全部")
    state: Literal["open", "routed", "matched", "closed"] | None = None
    overdue: bool = Field(False, description="只看超期未答复的（已转交）")


def _need_out(request: HttpRequest, need_id: int) -> schemas.ExchangeNeedOut:
    return schemas.ExchangeNeedOut.of(needs.need_get(actor=request_actor(request), need_id=need_id))


@router.get("/needs", response=list[schemas.ExchangeNeedOut], summary="数据需求列表")
def list_needs(request: HttpRequest, query: Query[ExchangeNeedQuery]) -> list[schemas.ExchangeNeedOut]:
    qs = needs.need_list(
        actor=request_actor(request), side="" if query.side == "all" else query.side, state=query.state or "",
        overdue=query.overdue,
    )  # fmt: skip
    return [schemas.ExchangeNeedOut.of(n) for n in qs[:LIST_LIMIT]]


@router.post("/needs", response={201: schemas.ExchangeNeedOut}, summary="提出数据需求（平台即时推荐资源）")
def post_need(request: HttpRequest, body: schemas.ExchangeNeedIn) -> Status[schemas.ExchangeNeedOut]:
    need = needs.need_post(
        actor=request_actor(request), title=body.title, description=body.description,
        desired_items=list(body.desired_items), purpose=body.purpose, department_id=body.department_id,
    )  # fmt: skip
    return Status(201, _need_out(request, need.pk))


@router.get("/needs/{need_id}", response=schemas.ExchangeNeedOut, summary="数据需求详情")
def get_need(request: HttpRequest, need_id: IdPath) -> schemas.ExchangeNeedOut:
    return _need_out(request, need_id)


@router.post("/needs/{need_id}/rematch", response=schemas.ExchangeNeedOut, summary="按当前目录重新匹配")
def rematch_need(
    request: HttpRequest, need_id: IdPath, body: schemas.ExchangeNeedVersionIn
) -> schemas.ExchangeNeedOut:
    needs.need_rematch(actor=request_actor(request), need_id=need_id, expected_version=body.version)
    return _need_out(request, need_id)


@router.post(
    "/needs/{need_id}/route", response=schemas.ExchangeNeedOut, summary="转交提供部门（平台管理部门）"
)
def route_need(
    request: HttpRequest, need_id: IdPath, body: schemas.ExchangeNeedRouteIn
) -> schemas.ExchangeNeedOut:
    needs.need_route(
        actor=request_actor(request), need_id=need_id, expected_version=body.version,
        provider_department_id=body.provider_department_id, note=body.note,
    )  # fmt: skip
    return _need_out(request, need_id)


@router.post("/needs/{need_id}/answer", response=schemas.ExchangeNeedOut, summary="答复数据需求（提供部门）")
def answer_need(
    request: HttpRequest, need_id: IdPath, body: schemas.ExchangeNeedAnswerIn
) -> schemas.ExchangeNeedOut:
    needs.need_answer(
        actor=request_actor(request), need_id=need_id, expected_version=body.version,
        can_provide=body.can_provide, reply=body.reply, resource_id=body.resource_id,
    )  # fmt: skip
    return _need_out(request, need_id)


@router.post("/needs/{need_id}/accept", response=schemas.ExchangeNeedOut, summary="采纳推荐资源")
def accept_need(
    request: HttpRequest, need_id: IdPath, body: schemas.ExchangeNeedAcceptIn
) -> schemas.ExchangeNeedOut:
    needs.need_accept(
        actor=request_actor(request),
        need_id=need_id,
        expected_version=body.version,
        resource_id=body.resource_id,
    )
    return _need_out(request, need_id)


@router.post("/needs/{need_id}/withdraw", response=schemas.ExchangeNeedOut, summary="撤回数据需求")
def withdraw_need(
    request: HttpRequest, need_id: IdPath, body: schemas.ExchangeNeedWithdrawIn
) -> schemas.ExchangeNeedOut:
    needs.need_withdraw(
        actor=request_actor(request), need_id=need_id, expected_version=body.version, reason=body.reason
    )
    return _need_out(request, need_id)


# --- 数据异议: objections to shared data (EX-4) -----------------------------------------------------------


class ExchangeObjectionQuery(Schema):
    side: NeedSide = Field("all", description="mine 本部门提出的 / queue 本部门待答复的 / all 可见的全部")
    state: Literal["open", "answered", "corrected", "closed"] | None = None
    overdue: bool = Field(False, description="只看超期未答复的")


def _objection_out(request: HttpRequest, objection_id: int) -> schemas.ExchangeObjectionOut:
    obj = feedback.objection_get(actor=request_actor(request), objection_id=objection_id)
    return schemas.ExchangeObjectionOut.of(obj)


@router.get("/objections", response=list[schemas.ExchangeObjectionOut], summary="数据异议列表")
def list_objections(
    request: HttpRequest, query: Query[ExchangeObjectionQuery]
) -> list[schemas.ExchangeObjectionOut]:
    qs = feedback.objection_list(
        actor=request_actor(request), side="" if query.side == "all" else query.side, state=query.state or "",
        overdue=query.overdue,
    )  # fmt: skip
    return [schemas.ExchangeObjectionOut.of(o) for o in qs[:LIST_LIMIT]]


@router.post(
    "/objections", response={201: schemas.ExchangeObjectionOut}, summary="对共享数据提出异议（须获得过授权）"
)
def submit_objection(
    request: HttpRequest, body: schemas.ExchangeObjectionIn
) -> Status[schemas.ExchangeObjectionOut]:
    obj = feedback.objection_submit(
        actor=request_actor(request), resource_id=body.resource_id, item_id=body.item_id,
        record_key=body.record_key, description=body.description, evidence=body.evidence,
        expected_value=body.expected_value, department_id=body.department_id,
    )  # fmt: skip
    return Status(201, _objection_out(request, obj.pk))


@router.get("/objections/{objection_id}", response=schemas.ExchangeObjectionOut, summary="数据异议详情")
def get_objection(request: HttpRequest, objection_id: IdPath) -> schemas.ExchangeObjectionOut:
    return _objection_out(request, objection_id)


@router.post(
    "/objections/{objection_id}/answer", response=schemas.ExchangeObjectionOut,
    summary="答复数据异议：数据无误或已更正（提供部门）",
)  # fmt: skip
def answer_objection(
    request: HttpRequest, objection_id: IdPath, body: schemas.ExchangeObjectionAnswerIn
) -> schemas.ExchangeObjectionOut:
    feedback.objection_answer(
        actor=request_actor(request), objection_id=objection_id, expected_version=body.version,
        corrected=body.corrected, answer=body.answer,
    )  # fmt: skip
    return _objection_out(request, objection_id)


@router.post(
    "/objections/{objection_id}/confirm", response=schemas.ExchangeObjectionOut, summary="确认答复，异议办结"
)
def confirm_objection(
    request: HttpRequest, objection_id: IdPath, body: schemas.ExchangeObjectionConfirmIn
) -> schemas.ExchangeObjectionOut:
    feedback.objection_confirm(
        actor=request_actor(request), objection_id=objection_id, expected_version=body.version, note=body.note
    )
    return _objection_out(request, objection_id)


# --- interface lifecycle (EX-5) and usage ----------------------------------------------------------


def _interface_out(v: interfaces.InterfaceVersion) -> schemas.ExchangeInterfaceOut:
    return schemas.ExchangeInterfaceOut(
        id=v.pk, resource_id=v.resource_id, number=v.number, item_names=list(v.item_names), note=v.note,
        state=interfaces.state_today(v), released_at=v.released_at, released_by=v.released_by,
        deprecated_at=v.deprecated_at, deprecated_by=v.deprecated_by, sunset_on=v.sunset_on,
        successor=v.successor.number if v.successor is not None else None,
    )  # fmt: skip


@router.get(
    "/resources/{resource_id}/interfaces", response=list[schemas.ExchangeInterfaceOut],
    summary="资源的接口版本（新版本在前）",
)  # fmt: skip
def list_interfaces(request: HttpRequest, resource_id: IdPath) -> list[schemas.ExchangeInterfaceOut]:
    versions = interfaces.interface_list(actor=request_actor(request), resource_id=resource_id)
    return [_interface_out(v) for v in versions]


@router.post(
    "/resources/{resource_id}/interfaces", response={201: schemas.ExchangeInterfaceOut},
    summary="发布接口新版本（以资源当前信息项为准）",
)  # fmt: skip
def release_interface(
    request: HttpRequest, resource_id: IdPath, body: schemas.ExchangeInterfaceReleaseIn
) -> Status[schemas.ExchangeInterfaceOut]:
    version = interfaces.interface_release(
        actor=request_actor(request), resource_id=resource_id, note=body.note, expected_latest=body.latest
    )
    return Status(201, _interface_out(version))


@router.post(
    "/interfaces/{version_id}/deprecate", response=schemas.ExchangeInterfaceOut,
    summary="弃用接口版本（设定停用日期，通知持有授权的使用部门）",
)  # fmt: skip
def deprecate_interface(
    request: HttpRequest, version_id: IdPath, body: schemas.ExchangeInterfaceDeprecateIn
) -> schemas.ExchangeInterfaceOut:
    version = interfaces.interface_deprecate(
        actor=request_actor(request), version_id=version_id, sunset_on=body.sunset_on,
        expected_latest=body.latest,
    )  # fmt: skip
    return _interface_out(version)


@router.post(
    "/interfaces/{version_id}/retire", response=schemas.ExchangeInterfaceOut,
    summary="停用接口版本（停用日期之后，或无有效授权时）",
)  # fmt: skip
def retire_interface(
    request: HttpRequest, version_id: IdPath, body: schemas.ExchangeInterfaceRetireIn
) -> schemas.ExchangeInterfaceOut:
    version = interfaces.interface_retire(actor=request_actor(request), version_id=version_id, note=body.note)
    return _interface_out(version)


@router.get(
    "/resources/{resource_id}/usage", response=schemas.ExchangeUsageOut,
    summary="资源的调用情况（按日、按使用部门和应用）",
)  # fmt: skip
def resource_usage(
    request: HttpRequest, resource_id: IdPath, query: Query[schemas.ExchangeUsageQuery]
) -> schemas.ExchangeUsageOut:
    report = usage.resource_usage(
        actor=request_actor(request), resource_id=resource_id, start=query.start, end=query.end
    )
    r = report.resource
    return schemas.ExchangeUsageOut(
        resource=schemas.ExchangeResourceRef(id=r.pk, code=r.code, name=r.name), start=report.start,
        end=report.end, calls=report.calls, answered=report.answered, rows=report.rows,
        days=[schemas.ExchangeUsageDayOut(day=d.day, calls=d.calls, answered=d.answered, rows=d.rows)
              for d in report.days],
        apps=[
            schemas.ExchangeUsageAppOut(
                app=schemas.ExchangeRef(id=a.app_id, name=a.app_name),
                consumer_department=schemas.ExchangeRef(id=a.department_id, name=a.department_name),
                calls=a.calls, answered=a.answered, rows=a.rows, first_day=a.first_day, last_day=a.last_day,
            )
            for a in report.apps
        ],
        departments=[
            schemas.ExchangeUsageDepartmentOut(
                department=schemas.ExchangeRef(id=d.department_id, name=d.department_name), apps=d.apps,
                calls=d.calls, answered=d.answered, rows=d.rows,
            )
            for d in report.departments
        ],
    )  # fmt: skip
