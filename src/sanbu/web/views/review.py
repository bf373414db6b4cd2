"""The authority's review queue: approve, or send back with the reason, row by row (htmx) or by plain POST."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sanbu.catalog import selectors, services
from sanbu.core.errors import NotFound, SanbuError

from .common import Pager, actor_of, error_view, int_or_none, is_htmx


def _queue_page(
    request: HttpRequest, *, row_errors: dict[int, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    queue = selectors.review_queue(actor=actor).annotate(item_count=Count("items"))
    pager = Pager.from_request(request, queue.count())
    rows = list(queue[pager.offset : pager.offset + pager.size])
    row_errors = row_errors or {}
    shown = {r.pk for r in rows}
    # an error about a resource no longer in the queue (another reviewer decided first) goes on top
    elsewhere = [
        (selectors.resource_get(actor=actor, resource_id=pk), err)
        for pk, err in row_errors.items()
        if pk not in shown
    ]
    ctx = {
        "rows": rows,
        "pager": pager,
        "row_errors": row_errors,
        "elsewhere": elsewhere,
        "posted": request.POST,
    }
    return render(request, "catalog/review.html", ctx, status=status)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not actor_of(request).may("catalog.resource.review"):
        raise Http404("您无权审核目录。")
    return _queue_page(request)


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or send back one resource; the revision posted must still be current."""
    actor = actor_of(request)
    approve = request.POST.get("decision") == "approve"
    version = int_or_none(request.POST.get("version"))
    try:
        result = services.resource_review(
            actor=actor,
            resource_id=pk,
            expected_version=version,
            approve=approve,
            note=request.POST.get("note", ""),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        err = error_view(exc)
        if is_htmx(request):
            resource = selectors.resource_get(actor=actor, resource_id=pk)
            ctx = {"r": resource, "row_error": err, "posted": request.POST, "version": version}
            return render(request, "catalog/_review_row.html", ctx, status=exc.status)
        return _queue_page(request, row_errors={pk: err}, status=exc.status)
    done = "审核通过" if approve else "已退回"
    if is_htmx(request):
        ctx = {"r": result.resource, "done": done, "warnings": result.warnings}
        return render(request, "catalog/_review_row.html", ctx)
    from django.contrib import messages

    messages.success(request, f"“{result.resource.name}”{done}。")
    for d in result.warnings:
        messages.warning(request, f"提示（{d.rule_id}）：{d.reason}。{d.remedy}")
    return redirect("review-queue")
