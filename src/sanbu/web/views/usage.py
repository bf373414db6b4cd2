"""调用统计、接口版本、授权管理与通知 pages.

- a resource's usage (calls per day as an inline SVG bar chart, the table, per consumer department and
  app) for the provider's stewards and the authority, and an overview of their resources;
- a resource's interface versions (EX-5), visible to whoever sees the resource, with the release,
  deprecate and retire forms for the provider;
- the grants the provider or the authority may revoke, revoked from the page (reason and confirmation
  required, effective at once through ``exchange.services.grant_revoke``);
- the department's notices, marked read one by one.

Every POST calls the same services as the API; their errors are shown in place.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sanbu.catalog import selectors as catalog_selectors
from sanbu.catalog.models import Resource
from sanbu.core.actor import Actor
from sanbu.core.calendar import add_working_days
from sanbu.core.errors import FieldError, NotFound, SanbuError, ValidationFailed
from sanbu.exchange import interfaces, selectors, services, usage
from sanbu.exchange.models import Grant, InterfaceState, InterfaceVersion
from sanbu.orgs import notices
from sanbu.orgs.rulesets import current as current_ruleset
from sanbu.policy.rulesets import INTERFACE_SUNSET_NOTICE_DAYS

from .common import ErrorView, Pager, actor_of, error_view, int_or_none

REVOKE = services.REVOKE
PERIODS = [(7, "近 7 天"), (30, "近 30 天"), (90, "近 90 天"), (180, "近半年"), (365, "近一年")]
CHART_W, CHART_H = 1000, 160
STATE_BADGE = {
    InterfaceState.ACTIVE: "state-published",
    InterfaceState.DEPRECATED: "state-submitted",
    InterfaceState.RETIRED: "state-offline",
}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _safe_next(request: HttpRequest, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


# --- usage ---------------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[date, date, int | None]:
    """The period from ``?days=N`` (one of PERIODS) or ``?start=&end=`` (default: the last 30 days)."""
    today = timezone.localdate()
    g = request.GET
    start, end = _date(g.get("start")), _date(g.get("end"))
    if start or end:
        end = end or today
        return start or end - timedelta(days=usage.DEFAULT_DAYS - 1), end, None
    days = int_or_none(g.get("days"))
    days = days if days in {d for d, _ in PERIODS} else usage.DEFAULT_DAYS
    return today - timedelta(days=days - 1), today, days


def _chart(days: list[usage.DayUsage]) -> dict[str, Any]:
    """Bars for an inline SVG (no script, nothing external): answered below, refused stacked above."""
    n = max(len(days), 1)
    peak = max((d.calls for d in days), default=0)
    scale = CHART_H / peak if peak else 0.0
    step = CHART_W / n
    gap = min(step * 0.15, 2.0)
    label_every = max(1, -(-n // 10))
    bars, labels = [], []
    for i, d in enumerate(days):
        x = i * step + gap
        h_ok = d.answered * scale
        h_bad = d.refused * scale
        bars.append({
            "x": f"{x:.1f}", "w": f"{max(step - 2 * gap, 0.5):.1f}",
            "ok_y": f"{CHART_H - h_ok:.1f}", "ok_h": f"{h_ok:.1f}",
            "bad_y": f"{CHART_H - h_ok - h_bad:.1f}", "bad_h": f"{h_bad:.1f}", "d": d,
        })  # fmt: skip
        if i % label_every == 0:
            labels.append({"x": f"{x:.1f}", "text": f"{d.day:%m-%d}"})
    return {"bars": bars, "labels": labels, "peak": peak, "w": CHART_W, "h": CHART_H, "h_all": CHART_H + 20}


@login_required
def usage_index(request: HttpRequest) -> HttpResponse:
    """The resources whose usage the actor may see, with their calls in the period."""
    actor = actor_of(request)
    if not actor.may(usage.VIEW):
        raise Http404("您无权查看调用统计。")
    start, end, days = _period(request)
    error: ErrorView | None = None
    try:
        totals = usage.usage_overview(actor=actor, start=start, end=end)
    except ValidationFailed as exc:
        error = error_view(exc)
        start, end, days = (
            timezone.localdate() - timedelta(days=usage.DEFAULT_DAYS - 1),
            timezone.localdate(),
            30,
        )
        totals = usage.usage_overview(actor=actor, start=start, end=end)
    pager = Pager.from_request(request, len(totals))
    ctx = {
        "rows": totals[pager.offset : pager.offset + pager.size],
        "pager": pager,
        "start": start,
        "end": end,
        "days": days,
        "periods": PERIODS,
        "error": error,
        "called": sum(1 for t in totals if t.calls),
        "total_calls": sum(t.calls for t in totals),
    }
    return render(request, "exchange/usage/index.html", ctx)


@login_required
def resource_usage(request: HttpRequest, pk: int) -> HttpResponse:
    """A resource's calls per day (chart and table) and per consumer department and app."""
    actor = actor_of(request)
    start, end, days = _period(request)
    error: ErrorView | None = None
    try:
        try:
            report = usage.resource_usage(actor=actor, resource_id=pk, start=start, end=end)
        except ValidationFailed as exc:
            error = error_view(exc)
            days = usage.DEFAULT_DAYS
            report = usage.resource_usage(actor=actor, resource_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    ctx = {
        "r": report.resource,
        "report": report,
        "chart": _chart(report.days),
        "days_desc": list(reversed(report.days)),
        "days": days,
        "periods": PERIODS,
        "error": error,
        "can_revoke": actor.can(REVOKE, report.resource.scope()),
        "can_manage": interfaces.can_manage(actor, report.resource),
    }
    return render(request, "exchange/usage/resource.html", ctx)


# --- interface versions --------------------------------------------------------------------------


def _get_resource(actor: Actor, pk: int) -> Resource:
    try:
        return catalog_selectors.resource_get(actor=actor, resource_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _latest_posted(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _interfaces_page(
    request: HttpRequest, resource: Resource, *, error: ErrorView | None = None, failed: str = "",
    failed_id: int | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    actor = actor_of(request)
    versions = interfaces.interface_list(actor=actor, resource_id=resource.pk)
    today = timezone.localdate()
    rows: list[dict[str, Any]] = []
    for v in versions:
        state = InterfaceState(interfaces.effective_state(v, today))
        rows.append({"v": v, "state": state, "label": state.label, "badge": STATE_BADGE[state]})
    active = [v for v in versions if interfaces.effective_state(v, today) == InterfaceState.ACTIVE]
    param = current_ruleset(resource.jurisdiction_id).param(INTERFACE_SUNSET_NOTICE_DAYS)
    earliest = add_working_days(today, int(param.value))
    holders = Grant.objects.active_on(timezone.now()).filter(resource_id=resource.pk)
    holding = holders.exists()
    for row in rows:
        sunset = row["v"].sunset_on
        row["retirable"] = not holding or (sunset is not None and sunset < today)
    ctx = {
        "r": resource,
        "rows": rows,
        "latest": versions[0].number if versions else 0,
        "newest_active": active[0] if active else None,
        "can_manage": interfaces.can_manage(actor, resource),
        "can_view_usage": usage.may_view(actor, resource),
        "can_revoke": actor.can(REVOKE, resource.scope()),
        "notice_days": int(param.value),
        "notice_citation": param.citation,
        "notice_parameter": INTERFACE_SUNSET_NOTICE_DAYS,
        "earliest_sunset": earliest.date,
        "earliest_provisional": earliest.provisional,
        "holder_departments": holders.order_by().values("consumer_department_id").distinct().count(),
        "error": error,
        "failed": failed,
        "failed_id": failed_id,
        "posted": request.POST,
        "today": today,
    }
    return render(request, "exchange/interfaces/list.html", ctx, status=status)


@login_required
def interfaces_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the resource's interface versions. POST: release the next version (the provider)."""
    actor = actor_of(request)
    resource = _get_resource(actor, pk)
    if request.method != "POST":
        return _interfaces_page(request, resource)
    try:
        version = interfaces.interface_release(
            actor=actor, resource_id=pk, note=request.POST.get("note", ""),
            expected_latest=_latest_posted(request.POST.get("latest")),
        )  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _interfaces_page(request, resource, error=error_view(exc), failed="release", status=exc.status)
    messages.success(request, f"已发布接口 v{version.number}，提供 {len(version.item_names)} 个信息项。")
    return redirect("exchange-interfaces", pk=pk)


@login_required
@require_POST
def interface_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Deprecate (with a sunset date) or retire one version."""
    actor = actor_of(request)
    if action not in ("deprecate", "retire"):
        raise Http404("未知操作。")
    try:
        found = interfaces.interface_get(actor=actor, version_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    post = request.POST
    try:
        if action == "deprecate":
            sunset_on = _date(post.get("sunset_on"))
            if sunset_on is None:
                raise ValidationFailed(
                    "exchange.interface.invalid", "请填写停用日期（年-月-日）。",
                    errors=[FieldError("sunset_on", "required", "请填写停用日期（年-月-日）。")],
                )  # fmt: skip
            version: InterfaceVersion = interfaces.interface_deprecate(
                actor=actor, version_id=pk, sunset_on=sunset_on,
                expected_latest=_latest_posted(post.get("latest")),
            )  # fmt: skip
            done = (
                f"接口 v{version.number} 已弃用，将于 {version.sunset_on:%Y-%m-%d} 之后停用；"
                "已通知持有有效授权的使用部门。"
            )
        else:
            version = interfaces.interface_retire(actor=actor, version_id=pk, note=post.get("note", ""))
            done = f"接口 v{version.number} 已停用，指定该版本的调用将返回 410。"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        resource = _get_resource(actor, found.resource_id)
        return _interfaces_page(
            request, resource, error=error_view(exc), failed=action, failed_id=pk, status=exc.status
        )
    messages.success(request, done)
    return redirect("exchange-interfaces", pk=found.resource_id)


# --- grants --------------------------------------------------------------------------------------


def may_revoke_somewhere(actor: Actor) -> bool:
    return actor.may(REVOKE)


def _revocable(actor: Actor) -> QuerySet[Grant]:
    """Grants the actor sees on the provider's side, where it may revoke them."""
    qs = selectors.grant_list(actor=actor).select_related("provider_department", "request")
    if actor.is_superuser:
        return qs
    mine = Q(pk__in=[])
    for prefix in actor.jurisdictions_for(REVOKE):
        mine |= Q(jurisdiction__code__startswith=prefix)
    departments = actor.departments_for(REVOKE)
    if departments:
        mine |= Q(provider_department_id__in=departments)
    return qs.filter(mine)


def _grants_page(
    request: HttpRequest, *, row_errors: dict[int, ErrorView] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    g = request.GET
    qs = _revocable(actor)
    resource_id = int_or_none(g.get("resource"))
    resource = None
    if resource_id:
        resource = Resource.objects.filter(pk=resource_id).first()
        qs = qs.filter(resource_id=resource_id)
    state = g.get("state", "active")
    state = state if state in ("active", "inactive", "all") else "active"
    live = Grant.objects.active_on(timezone.now()).values("pk")
    if state == "active":
        qs = qs.filter(pk__in=live)
    elif state == "inactive":
        qs = qs.exclude(pk__in=live)
    pager = Pager.from_request(request, qs.count())
    now = timezone.now()
    rows = [
        (gr, gr.is_active_on(now))
        for gr in qs.prefetch_related("items")[pager.offset : pager.offset + pager.size]
    ]
    ctx = {
        "rows": rows,
        "pager": pager,
        "state": state,
        "resource": resource,
        "resource_id": resource_id,
        "row_errors": row_errors or {},
        "posted": request.POST,
    }
    return render(request, "exchange/grants/list.html", ctx, status=status)


@login_required
def grants_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not may_revoke_somewhere(actor):
        raise Http404("您无权管理共享授权。")
    return _grants_page(request)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a grant now: a reason and an explicit confirmation are required."""
    actor = actor_of(request)
    post = request.POST
    back = _safe_next(request, post.get("next"))
    try:
        if post.get("confirm") != "1":
            raise ValidationFailed(
                "exchange.grant.unconfirmed", "请勾选确认：撤销后该应用立即不能再调用此资源。",
                errors=[], grant_id=pk,
            )  # fmt: skip
        grant = services.grant_revoke(actor=actor, grant_id=pk, reason=post.get("reason", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        if back:
            messages.error(request, f"授权 #{pk} 未撤销：{exc.message}")
            return redirect(back)
        return _grants_page(request, row_errors={pk: error_view(exc)}, status=exc.status)
    messages.success(request, f"授权 #{grant.pk} 已撤销，应用“{grant.app.name}”即刻起不能再调用该资源。")
    return redirect(back or reverse("exchange-grants"))


# --- notices -------------------------------------------------------------------------------------


@login_required
def notices_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    unread_only = request.GET.get("unread") == "1"
    qs = notices.notices_for(actor=actor, unread_only=unread_only)
    pager = Pager.from_request(request, qs.count())
    ctx = {
        "rows": list(qs[pager.offset : pager.offset + pager.size]),
        "pager": pager,
        "unread_only": unread_only,
        "unread": notices.notices_for(actor=actor, unread_only=True).count(),
        "has_department": actor.department_id is not None,
    }
    return render(request, "web/notices.html", ctx)


@login_required
@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read; with ``open=1``, go on to the page it links to."""
    actor = actor_of(request)
    try:
        notice = notices.notice_mark_read(actor=actor, notice_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.POST.get("open") == "1":
        target = _safe_next(request, notice.link) if notice.link.startswith("/") else None
        if target:
            return redirect(target)
    return redirect(_safe_next(request, request.POST.get("next")) or reverse("notices"))
