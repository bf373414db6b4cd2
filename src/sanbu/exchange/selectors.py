"""Reads of apps and keys, restricted to what the actor may see. Missing and forbidden both answer 404."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound

from .models import AppKey, ConsumerApp, Grant, RequestState, ShareRequest


def app_list(*, actor: Actor, department_id: int | None = None, status: str = "") -> QuerySet[ConsumerApp]:
    """Apps the actor may view, each with ``usable_keys``: keys neither revoked nor expired."""
    now = timezone.now()
    usable = Q(keys__revoked_at__isnull=True) & (
        Q(keys__expires_at__isnull=True) | Q(keys__expires_at__gt=now)
    )
    qs = (
        ConsumerApp.objects.visible_to(actor)
        .select_related("department")
        .annotate(usable_keys=Count("keys", filter=usable))
    )
    if department_id:
        qs = qs.filter(department_id=department_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("department__name", "name", "id")


def app_get(*, actor: Actor, app_id: int) -> ConsumerApp:
    app = app_list(actor=actor).filter(pk=app_id).first()
    if app is None:
        raise NotFound("exchange.app.not_found", "应用不存在或您无权查看。", app_id=app_id)
    return app


def key_list(*, actor: Actor, app_id: int) -> list[AppKey]:
    """The app's keys, newest first (no secret is ever kept, so none can be listed)."""
    app = app_get(actor=actor, app_id=app_id)
    keys = list(AppKey.objects.filter(app=app).select_related("replaced_by").order_by("-created_at", "-id"))
    for key in keys:
        key.app = app
    return keys


def key_get(*, actor: Actor, app_key_id: int) -> AppKey:
    key = AppKey.objects.filter(pk=app_key_id, app__in=ConsumerApp.objects.visible_to(actor)).first()
    if key is None:
        raise NotFound("exchange.key.not_found", "密钥不存在或您无权查看。", app_key_id=app_key_id)
    return key


# --- share requests and grants ---------------------------------------------------------------------

VIEW = "exchange.request.view"
STEP_ACTIONS = {"accept": "exchange.request.accept", "approve": "exchange.request.approve"}


def _requests(actor: Actor) -> QuerySet[ShareRequest]:
    return ShareRequest.objects.visible_to(actor).select_related(
        "consumer_department", "provider_department", "app", "resource"
    )


def request_mine(*, actor: Actor, state: str = "") -> QuerySet[ShareRequest]:
    """Requests made by the actor's departments (as consumer)."""
    qs = _requests(actor)
    if not actor.is_superuser:
        qs = qs.filter(consumer_department_id__in=actor.departments_for(VIEW))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-received_at", "-id")


def request_inbox(*, actor: Actor) -> QuerySet[ShareRequest]:
    """Pending requests waiting on a step the actor acts on (as provider or authority), due first."""
    if actor.is_superuser:
        waiting = Q(state=RequestState.PENDING)
    else:
        waiting = Q(pk__in=[])
        for step, action in STEP_ACTIONS.items():
            at_step = Q(pk__in=[])
            for prefix in actor.jurisdictions_for(action):
                at_step |= Q(jurisdiction__code__startswith=prefix)
            departments = actor.departments_for(action)
            if departments:
                at_step |= Q(provider_department_id__in=departments)
            waiting |= Q(current_step=step) & at_step
        waiting &= Q(state=RequestState.PENDING)
    return _requests(actor).filter(waiting).order_by("due_date", "received_at", "id")


def request_overdue(*, actor: Actor, today: date | None = None) -> QuerySet[ShareRequest]:
    """Unanswered requests past their deadline (escalated to the authority, who sees its jurisdiction's)."""
    today = today or timezone.localdate()
    return (
        _requests(actor)
        .filter(state=RequestState.PENDING, answered_at__isnull=True, due_date__lt=today)
        .order_by("due_date", "id")
    )


def request_get(*, actor: Actor, request_id: int) -> ShareRequest:
    req = _requests(actor).filter(pk=request_id).first()
    if req is None:
        raise NotFound("exchange.request.not_found", "共享申请不存在或您无权查看。", request_id=request_id)
    return req


def grant_list(*, actor: Actor, app_id: int | None = None, active: bool | None = None) -> QuerySet[Grant]:
    qs = Grant.objects.visible_to(actor).select_related("app", "resource", "consumer_department")
    if app_id:
        qs = qs.filter(app_id=app_id)
    if active is not None:
        live = Grant.objects.active_on(timezone.now()).values("pk")
        qs = qs.filter(pk__in=live) if active else qs.exclude(pk__in=live)
    return qs.order_by("-granted_at", "-id")


def grant_get(*, actor: Actor, grant_id: int) -> Grant:
    grant = grant_list(actor=actor).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("exchange.grant.not_found", "授权不存在或您无权查看。", grant_id=grant_id)
    return grant
