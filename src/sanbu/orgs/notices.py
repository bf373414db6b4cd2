"""Notices to departments (站内通知), written by services inside their own transaction.

``notify`` is internal: the calling service has already checked the actor's permission for the step that
causes the notice; a notice carries no data beyond its title and body (never a key value or a record).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound

from .models import Notice


def notify(*, department_ids: Iterable[int], kind: str, title: str, body: str = "", link: str = "") -> int:
    """One notice per distinct department; returns how many were written."""
    rows = [
        Notice(department_id=d, kind=kind, title=title[:200], body=body[:1000], link=link[:300])
        for d in sorted(set(department_ids))
    ]
    Notice.objects.bulk_create(rows)
    return len(rows)


def notices_for(*, actor: Actor, unread_only: bool = False) -> QuerySet[Notice]:
    """The notices of the actor's own department (a notice is for the department, not a role)."""
    if actor.department_id is None:
        return Notice.objects.none()
    qs = Notice.objects.filter(department_id=actor.department_id)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notice_mark_read(*, actor: Actor, notice_id: int) -> Notice:
    notice = notices_for(actor=actor).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("orgs.notice.not_found", "通知不存在。")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.read_by = actor.username
        notice.save(update_fields=["read_at", "read_by"])
    return notice
