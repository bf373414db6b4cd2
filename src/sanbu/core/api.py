"""The one Ninja API object's error mapping and authentication."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Schema
from ninja import Path as PathParam
from ninja import Query as QueryParam
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from .actor import Actor, request_actor
from .audit import verify_chain
from .errors import NotAuthenticated, PermissionDenied, SanbuError
from .models import ChangeRecord

MAX_ID = 2**63 - 1
# Ids in paths and queries: bounded, so an absurd number is a 400 with field errors, never a DB overflow.
IdPath = Annotated[int, PathParam(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, QueryParam(None, ge=1, le=MAX_ID)]


class ActorSessionAuth(SessionAuth):
    """Session login; the actor must hold at least one role to use the API."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if not user:
            return None
        actor = request_actor(request)
        if not actor.has_any_role:
            raise PermissionDenied("auth.no_role", "您的账号尚未分配任何角色，请联系平台管理员。")
        return user


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(SanbuError)
    def sanbu_error(request: HttpRequest, exc: SanbuError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, NotAuthenticated().as_dict(), status=401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if "CSRF" in message:
            body = {
                "code": "auth.csrf",
                "message": "请求缺少有效的 CSRF 令牌：请刷新页面后重试，或在请求头 X-CSRFToken 中携带令牌。",
                "details": {},
            }
        else:
            body = {"code": f"http.{exc.status_code}", "message": message, "details": {}}
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or "body",
                "code": e.get("type", "invalid"),
                "message": e.get("msg", ""),
            }
            for e in exc.errors
        ]
        body = {
            "code": "request.invalid",
            "message": "请求参数不符合要求，请按 errors 逐项修改。",
            "details": {},
            "errors": errors,
        }
        return api.create_response(request, body, status=400)


# --- the audit chain, for auditors and the authority --------------------------------------------------

router = Router(tags=["audit"])


class AuditVerifyOut(Schema):
    ok: bool
    records: int
    first_bad_seq: int | None
    message: str


class AuditRecordOut(Schema):
    seq: int
    created_at: datetime
    actor: str
    department: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any
    after: Any
    request_id: str
    hash: str


def _require_audit(request: HttpRequest) -> Actor:
    actor = request_actor(request)
    if not actor.may("audit.view"):
        raise PermissionDenied("audit.forbidden", "只有审计人员和平台管理员可以查看审计日志。")
    return actor


@router.get("/verify", response=AuditVerifyOut, summary="校验审计哈希链")
def verify(request: HttpRequest) -> AuditVerifyOut:
    _require_audit(request)
    count, problem = verify_chain()
    return AuditVerifyOut(
        ok=problem is None,
        records=count,
        first_bad_seq=problem.seq if problem else None,
        message=problem.message if problem else "审计链完好",
    )


@router.get("/records", response=list[AuditRecordOut], summary="变更记录")
def records(
    request: HttpRequest, object_type: str = "", object_id: str = "", limit: int = 100
) -> list[AuditRecordOut]:
    _require_audit(request)
    qs = ChangeRecord.objects.order_by("-seq")
    actor = request_actor(request)
    if not actor.is_superuser:
        scope = Q(pk__in=[])
        for prefix in actor.jurisdictions_for("audit.view"):
            scope |= Q(jurisdiction__startswith=prefix)
        qs = qs.filter(scope)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return [
        AuditRecordOut(
            seq=r.seq,
            created_at=r.created_at,
            actor=r.actor_username,
            department=r.actor_department,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            object_repr=r.object_repr,
            before=r.before,
            after=r.after,
            request_id=r.request_id,
            hash=r.hash,
        )
        for r in qs[: max(1, min(limit, 1000))]
    ]
