"""The one Ninja API object's error mapping and authentication."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import SessionAuth

from .actor import Actor
from .errors import NotAuthenticated, PermissionDenied, SanbuError


class ActorSessionAuth(SessionAuth):
    """Session login; the actor must hold at least one role to use the API."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if not user:
            return None
        actor: Actor = request.actor  # type: ignore[attr-defined]
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
        body = {"code": "request.invalid", "message": "请求参数不符合要求，请按 errors 逐项修改。", "details": {}, "errors": errors}
        return api.create_response(request, body, status=400)
