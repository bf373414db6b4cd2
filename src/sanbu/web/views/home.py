"""Login, the dashboard by role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sanbu.catalog import selectors
from sanbu.catalog.models import MountKind, ResourceState
from sanbu.catalog.selectors import ResourceFilters

from ..forms import LoginForm
from .common import actor_of


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _state_counts(qs: Any) -> list[dict[str, Any]]:
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("id")))
    return [{"state": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in ResourceState]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    ctx: dict[str, Any] = {"is_steward": False, "is_authority": False}
    if actor.has_role("steward") and actor.department_id:
        mine = selectors.resource_list(
            actor=actor, filters=ResourceFilters(department_id=actor.department_id)
        )
        ctx["is_steward"] = True
        ctx["my_counts"] = _state_counts(mine)
        ctx["my_total"] = mine.count()
        ctx["todo"] = [
            (
                _("待提交审核"),
                _("提交审核"),
                list(mine.filter(state__in=[ResourceState.DRAFT, ResourceState.REJECTED])[:6]),
            ),
            (_("待挂接数据"), _("挂接数据"), list(mine.filter(state=ResourceState.APPROVED)[:6])),
            (_("待发布"), _("发布"), list(mine.filter(state=ResourceState.MOUNTED)[:6])),
        ]
        ctx["my_recent"] = list(mine[:8])
    if actor.may("catalog.resource.review"):
        queue = selectors.review_queue(actor=actor)
        conflicts = selectors.conflict_list(actor=actor)
        ctx["is_authority"] = True
        ctx["queue_count"] = queue.count()
        ctx["queue_head"] = list(queue[:6])
        ctx["conflict_count"] = conflicts.count()
        ctx["conflict_head"] = list(conflicts[:5])
        everything = selectors.resource_list(actor=actor)
        ctx["all_counts"] = _state_counts(everything)
        ctx["shared_count"] = (
            everything.filter(state=ResourceState.PUBLISHED).exclude(mount_kind=MountKind.NONE).count()
        )
    if not ctx["is_steward"] and not ctx["is_authority"] and actor.may("catalog.browse"):
        published = selectors.resource_list(
            actor=actor, filters=ResourceFilters(state=ResourceState.PUBLISHED)
        )
        ctx["published_count"] = published.count()
        ctx["latest"] = list(published.order_by("-published_at", "-id")[:10])
    return render(request, "web/home.html", ctx)
