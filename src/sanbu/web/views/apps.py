"""应用与密钥: a department registers the systems (apps) that call the platform and manages their keys.

A new key is rendered straight into the response that created it (never through a redirect, the
session or a message), with ``Cache-Control: no-store``: once the page is left it cannot be shown again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound, SanbuError
from sanbu.exchange import selectors, services
from sanbu.exchange.models import AppStatus, ConsumerApp, KeyStatus
from sanbu.exchange.services import MANAGE, IssuedKey
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import department_list

from .common import ErrorView, Pager, actor_of, error_view, int_or_none, is_htmx

VIEW = "exchange.app.view"
EXPIRY_CHOICES = [("", "长期有效"), ("30", "30 天"), ("90", "90 天"), ("180", "180 天"), ("365", "365 天")]
GRACE_CHOICES = [("0", "旧密钥立即失效"), ("1", "旧密钥再用 1 小时"), ("24", "旧密钥再用 24 小时"),
                 ("72", "旧密钥再用 3 天"), ("168", "旧密钥再用 7 天")]  # fmt: skip


def _require_view(actor: Actor) -> None:
    if not actor.may(VIEW):
        raise Http404("您无权查看应用与密钥。")


def _departments_for(actor: Actor) -> list[Department] | None:
    """Departments to choose from when the actor manages apps beyond its own department."""
    if not actor.is_superuser and not actor.jurisdictions_for(MANAGE):
        return None
    return [d for d in department_list(actor=actor) if actor.can(MANAGE, d.scope())]


def _get_app(actor: Actor, pk: int) -> ConsumerApp:
    try:
        return selectors.app_get(actor=actor, app_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


# --- the list and registration ---------------------------------------------------------------------


def _list_page(request: HttpRequest, ctx: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("status", "")
    state = state if state in AppStatus.values else ""
    qs = selectors.app_list(actor=actor, status=state)
    pager = Pager.from_request(request, qs.count())
    departments = _departments_for(actor)
    page = {
        "apps": list(qs[pager.offset : pager.offset + pager.size]),
        "pager": pager,
        "status": state,
        "can_register": actor.may(MANAGE),
        "departments": departments,
        "many_departments": actor.is_superuser or bool(actor.jurisdictions_for(VIEW)),
        "posted": request.POST,
        **(ctx or {}),
    }
    return render(request, "exchange/apps.html", page, status=status)


@login_required
def app_list(request: HttpRequest) -> HttpResponse:
    """GET: the apps the actor may see. POST: register an app (stewards)."""
    actor = actor_of(request)
    _require_view(actor)
    if request.method != "POST":
        return _list_page(request)
    if not actor.may(MANAGE):
        raise Http404("您无权登记应用。")
    department_id = (
        int_or_none(request.POST.get("department")) if _departments_for(actor) is not None else None
    )
    try:
        app = services.app_register(
            actor=actor, name=request.POST.get("name", ""), purpose=request.POST.get("purpose", ""),
            system_name=request.POST.get("system_name", ""), department_id=department_id,
        )  # fmt: skip
    except SanbuError as exc:
        return _list_page(request, {"error": error_view(exc)}, status=exc.status)
    messages.success(request, f"已登记应用“{app.name}”。下一步：签发密钥，配置到调用方系统。")
    return redirect("exchange-app", pk=app.pk)


# --- one app and its keys --------------------------------------------------------------------------


def _keys_context(actor: Actor, app: ConsumerApp) -> dict[str, Any]:
    now = timezone.now()
    keys = [(k, k.status_at(now)) for k in selectors.key_list(actor=actor, app_id=app.pk)]
    return {
        "app": app,
        "keys": keys,
        "usable_count": sum(1 for _, st in keys if st in (KeyStatus.ACTIVE, KeyStatus.EXPIRING)),
        "can_manage": actor.can(MANAGE, app.scope()),
        "expiry_choices": EXPIRY_CHOICES,
        "grace_choices": GRACE_CHOICES,
    }


def _detail(
    request: HttpRequest,
    app: ConsumerApp,
    *,
    issued: IssuedKey | None = None,
    error: ErrorView | None = None,
    error_key: int | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The app page, or only its keys panel for htmx; with the new key when one was just made."""
    actor = actor_of(request)
    app = _get_app(actor, app.pk)  # fresh counts and status after a change
    ctx = {**_keys_context(actor, app), "issued": issued, "error": error, "error_key": error_key,
           "notice": notice, "posted": request.POST}  # fmt: skip
    template = "exchange/_keys.html" if is_htmx(request) else "exchange/app_detail.html"
    response = render(request, template, ctx, status=status)
    return _no_store(response) if issued is not None else response


@login_required
def app_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    return _detail(request, _get_app(actor, pk))


@login_required
@require_POST
def app_disable(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        app = services.app_disable(actor=actor, app_id=pk, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        messages.error(request, exc.message)
        return redirect("exchange-app", pk=pk)
    messages.success(request, f"应用“{app.name}”已停用，其全部密钥已失效。")
    return redirect("exchange-app", pk=pk)


def _expires_at(value: str | None) -> tuple[Any, str]:
    """The chosen validity as a datetime (None: no expiry), or an error message."""
    if not value:
        return None, ""
    if value not in {v for v, _ in EXPIRY_CHOICES}:
        return None, "请选择有效期。"
    return timezone.now() + timedelta(days=int(value)), ""


@login_required
@require_POST
def key_issue(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    app = _get_app(actor, pk)
    expires_at, problem = _expires_at(request.POST.get("expires"))
    if problem:
        messages.error(request, problem)
        return redirect("exchange-app", pk=pk)
    try:
        issued = services.key_issue(actor=actor, app_id=pk, expires_at=expires_at)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _detail(request, app, error=error_view(exc), status=exc.status)
    return _detail(request, app, issued=issued, status=201 if is_htmx(request) else 200)


@login_required
@require_POST
def key_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        key = selectors.key_get(actor=actor, app_key_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    grace = request.POST.get("grace", "0")
    grace_hours = int(grace) if grace in {v for v, _ in GRACE_CHOICES} else -1
    try:
        issued = services.key_rotate(actor=actor, app_key_id=pk, grace_hours=grace_hours)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _detail(request, key.app, error=error_view(exc), error_key=pk, status=exc.status)
    return _detail(request, key.app, issued=issued, status=201 if is_htmx(request) else 200)


@login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        key = selectors.key_get(actor=actor, app_key_id=pk)
        revoked = services.key_revoke(actor=actor, app_key_id=pk, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _detail(request, key.app, error=error_view(exc), error_key=pk, status=exc.status)
    done = f"密钥 {revoked.key_id} 已吊销，立即失效。"
    if is_htmx(request):
        return _detail(request, key.app, notice=done)
    messages.success(request, done)
    return redirect("exchange-app", pk=key.app_id)
