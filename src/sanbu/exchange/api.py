"""Exchange JSON API for consumer apps and keys: schema in, one service or selector, schema out.

A response carrying a new key is marked ``Cache-Control: no-store`` so no proxy or browser keeps it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sanbu.core.actor import request_actor
from sanbu.core.api import MAX_ID, IdPath

from . import selectors, services
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
