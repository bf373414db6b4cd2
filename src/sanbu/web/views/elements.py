"""The data element standard: elements, 一数一源 conflicts, 重复采集 flags and link suggestions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sanbu.catalog import selectors, services
from sanbu.catalog.models import ResourceItem
from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound, SanbuError
from sanbu.policy.sources import source_of

from .common import Pager, actor_of, error_view, int_or_none


def _require_view(actor: Actor) -> None:
    if not actor.may("catalog.element.view"):
        raise Http404("您无权查看数据元标准。")


def _own_department(actor: Actor) -> int | None:
    """Flags and suggestions: the authority sees all of its jurisdiction, a steward its own department."""
    if actor.may("catalog.conflict.resolve"):
        return None
    return actor.department_id or -1


def _tabs(actor: Actor, active: str) -> dict[str, Any]:
    return {
        "tab": active,
        "conflict_count": selectors.conflict_list(actor=actor).count(),
        "can_resolve": actor.may("catalog.conflict.resolve"),
        "can_link": actor.may("catalog.resource.edit"),
    }


@login_required
def element_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    q = request.GET.get("q", "").strip()[:50]
    qs = selectors.element_list(actor=actor, q=q)
    pager = Pager.from_request(request, qs.count(), size=30)
    ctx = {
        "q": q,
        "elements": list(qs[pager.offset : pager.offset + pager.size]),
        "pager": pager,
        **_tabs(actor, "list"),
    }
    return render(request, "catalog/elements.html", ctx)


@login_required
def element_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    try:
        element = selectors.element_get(actor=actor, element_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    visible = selectors.resource_list(actor=actor).values("pk")
    items = (
        ResourceItem.objects.filter(element_id=element.pk, resource__in=visible)
        .select_related("resource__department")
        .order_by("resource__department__name", "resource__name")[:200]
    )
    conflicts = [c for c in selectors.conflict_list(actor=actor, state="") if c.element_id == element.pk]
    ctx = {"element": element, "items": list(items), "conflicts": conflicts, **_tabs(actor, "list")}
    return render(request, "catalog/element_detail.html", ctx)


def _conflicts_page(
    request: HttpRequest, *, errors: dict[int, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "open")
    state = state if state in ("open", "resolved") else "open"
    qs = selectors.conflict_list(actor=actor, state=state)
    pager = Pager.from_request(request, qs.count())
    ctx = {
        "conflicts": list(qs[pager.offset : pager.offset + pager.size]),
        "pager": pager,
        "state": state,
        "errors": errors or {},
        "posted": request.POST,
        **_tabs(actor, "conflicts"),
    }
    return render(request, "catalog/conflicts.html", ctx, status=status)


@login_required
def conflicts(request: HttpRequest) -> HttpResponse:
    _require_view(actor_of(request))
    return _conflicts_page(request)


@login_required
@require_POST
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    winner = int_or_none(request.POST.get("winner"))
    try:
        conflict = services.conflict_resolve(
            actor=actor, conflict_id=pk, winner_department_id=winner or 0, note=request.POST.get("note", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _conflicts_page(request, errors={pk: error_view(exc)}, status=exc.status)
    assert conflict.winner is not None
    messages.success(request, f"已确定“{conflict.element.name}”的权威来源为{conflict.winner.name}。")
    return redirect("element-conflicts")


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    rows = selectors.duplicate_collections(actor=actor, department_id=_own_department(actor))
    pager = Pager.from_request(request, len(rows), size=50)
    ctx = {
        "rows": rows[pager.offset : pager.offset + pager.size],
        "pager": pager,
        "cat2_source": source_of("CAT-2"),
        **_tabs(actor, "duplicates"),
    }
    return render(request, "catalog/duplicates.html", ctx)


@login_required
def links(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    rows = selectors.link_suggestions(actor=actor, department_id=_own_department(actor), limit=300)
    pager = Pager.from_request(request, len(rows), size=50)
    ctx = {"rows": rows[pager.offset : pager.offset + pager.size], "pager": pager, **_tabs(actor, "links")}
    return render(request, "catalog/links.html", ctx)


@login_required
@require_POST
def item_link(request: HttpRequest, item_id: int) -> HttpResponse:
    actor = actor_of(request)
    element_id = int_or_none(request.POST.get("element")) or 0
    try:
        item = services.item_link_element(actor=actor, item_id=item_id, element_id=element_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        messages.error(request, exc.message)
        return redirect("element-links")
    assert item.element is not None
    messages.success(request, f"已将信息项“{item.name}”关联到数据元“{item.element.name}”。")
    return redirect("element-links")
