"""Reads of apps and keys, restricted to what the actor may see. Missing and forbidden both answer 404."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound

from .models import AppKey, ConsumerApp


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
