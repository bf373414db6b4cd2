"""Exchange JSON API for consumer apps and keys: schema in, one service or selector, schema out.

A response carrying a new key is marked ``Cache-Control: no-store`` so no proxy or browser keeps it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sanbu.core.actor import request_actor
from sanbu.core.api import MAX_ID, IdPath

from . import selectors, services
from .models import AppStatus
from .schemas import (
    ExchangeAppDisableIn,
    ExchangeAppIn,
    ExchangeAppOut,
    ExchangeIssuedKeyOut,
    ExchangeKeyIssueIn,
    ExchangeKeyOut,
    ExchangeKeyRevokeIn,
    ExchangeKeyRotateIn,
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
