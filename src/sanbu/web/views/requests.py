"""共享申请 pages: the consumer asks for a published resource and tracks its requests and grants, the
provider and the authority answer the requests waiting for their step, the authority keeps the ledger.

Every POST calls the same exchange services as the API; their errors are shown in place.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from sanbu.catalog import selectors as catalog_selectors
from sanbu.catalog.models import Masking, Resource, ResourceItem, ShareType
from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, NotFound, SanbuError, ValidationFailed
from sanbu.exchange import selectors, services
from sanbu.exchange.models import AppStatus, ConsumerApp, Grant, RequestState, ShareRequest, StepName
from sanbu.orgs.models import Department

from .common import ErrorView, Pager, actor_of, error_view, int_or_none, is_htmx

SUBMIT = "exchange.request.submit"
VIEW = "exchange.request.view"
STEP_ACTIONS = ("exchange.request.accept", "exchange.request.approve")
MASKING_LABELS = dict(Masking.choices)


# --- helpers ---------------------------------------------------------------------------------------


def may_answer(actor: Actor) -> bool:
    return any(actor.may(a) for a in STEP_ACTIONS)


def may_see_ledger(actor: Actor) -> bool:
    return actor.is_superuser or bool(actor.jurisdictions_for(VIEW))


def _error(exc: SanbuError) -> ErrorView:
    err = error_view(exc)
    if isinstance(exc, Conflict) and exc.code == "exchange.request.changed":
        err = dataclasses.replace(err, title="操作未完成：已被他人修改，请刷新")
    return err


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _period(post: Any) -> tuple[date | None, date | None, list[FieldError]]:
    start, end = _date(post.get("period_start")), _date(post.get("period_end"))
    problems = []
    if start is None:
        problems.append(FieldError("period_start", "invalid", "请填写使用期限起（年-月-日）。"))
    if end is None:
        problems.append(FieldError("period_end", "invalid", "请填写使用期限止（年-月-日）。"))
    return start, end, problems


def _item_ids(post: Any) -> list[int]:
    return [n for n in (int_or_none(v) for v in post.getlist("items")) if n is not None]


def _submit_apps(actor: Actor) -> list[ConsumerApp]:
    """Active apps the actor may request for (its department's)."""
    apps = selectors.app_list(actor=actor, status=AppStatus.ACTIVE)
    return [a for a in apps if actor.can(SUBMIT, a.scope())]


def _with_items(qs: Any) -> Any:
    return qs.prefetch_related(Prefetch("items", queryset=ResourceItem.objects.order_by("position", "id")))


def _mark(rows: list[ShareRequest], today: date) -> list[ShareRequest]:
    for r in rows:
        r.overdue = r.is_overdue_on(today)  # type: ignore[attr-defined]
        r.step_label = StepName(r.current_step).label if r.current_step else ""  # type: ignore[attr-defined]
    return rows


def _visible(actor: Actor, pk: int) -> ShareRequest | None:
    return ShareRequest.objects.visible_to(actor).filter(pk=pk).prefetch_related("items").first()


def _ledger_requests(actor: Actor) -> QuerySet[ShareRequest]:
    """All requests in the actor's jurisdictions (the authority's and auditors' view)."""
    qs = ShareRequest.objects.select_related("consumer_department", "provider_department", "app", "resource")
    if actor.is_superuser:
        return qs
    within = Q(pk__in=[])
    for prefix in actor.jurisdictions_for(VIEW):
        within |= Q(jurisdiction__code__startswith=prefix)
    return qs.filter(within)


def _get_request(actor: Actor, pk: int) -> ShareRequest:
    try:
        return selectors.request_get(actor=actor, request_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# --- 申请共享: the form on a published resource ----------------------------------------------------


def _form_page(
    request: HttpRequest, resource: Resource, *, error: ErrorView | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    items = catalog_selectors.resource_items(actor=actor, resource_id=resource.pk)
    rows = []
    for i in items:
        share = i.share_type or resource.share_type
        rows.append({"item": i, "share": share, "share_label": ShareType(share).label,
                     "blocked": share == ShareType.NONE})  # fmt: skip
    today = timezone.localdate()
    posted = request.POST if request.method == "POST" else {}
    chosen = {str(n) for n in _item_ids(request.POST)} if request.method == "POST" else set()
    ctx = {
        "r": resource,
        "rows": rows,
        "apps": _submit_apps(actor),
        "posted": posted,
        "chosen": chosen,
        "error": error,
        "field_errors": {e["field"]: e["message"] for e in (error.errors if error else [])},
        "default_start": today.isoformat(),
        "default_end": (today + timedelta(days=365)).isoformat(),
        "secret": resource.secrecy == "secret",
    }
    return render(request, "exchange/requests/new.html", ctx, status=status)


@login_required
def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the request form for a resource. POST: submit (granted at once or pending with its due date)."""
    actor = actor_of(request)
    if not actor.may(SUBMIT):
        raise Http404("您无权申请共享。")
    try:
        resource = catalog_selectors.resource_get(actor=actor, resource_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method != "POST":
        return _form_page(request, resource)
    start, end, problems = _period(request.POST)
    app_id = int_or_none(request.POST.get("app"))
    if app_id is None:
        problems.append(FieldError("app", "required", "请选择以哪个应用申请。"))
    try:
        if problems or start is None or end is None or app_id is None:
            raise ValidationFailed(
                "exchange.request.invalid", "共享申请填写有误，请按提示逐项修改。", errors=problems
            )
        req = services.request_submit(
            actor=actor, app_id=app_id, resource_id=resource.pk, item_ids=_item_ids(request.POST),
            purpose=request.POST.get("purpose", ""), legal_basis=request.POST.get("legal_basis", ""),
            period_start=start, period_end=end, consumer_approval=request.POST.get("consumer_approval", ""),
        )  # fmt: skip
    except SanbuError as exc:
        return _form_page(request, resource, error=_error(exc), status=exc.status)
    if req.state == RequestState.GRANTED:
        messages.success(request, "申请已提交：所申请信息项均为无条件共享，已立即授权。")
    else:
        due = f"{req.due_date:%Y-%m-%d}" + ("（暂定）" if req.due_provisional else "")
        messages.success(request, f"申请已提交，等待办理；答复期限 {due}。")
    return redirect("exchange-request", pk=req.pk)


# --- one request -----------------------------------------------------------------------------------


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权查看共享申请。")
    req = _get_request(actor, pk)
    today = timezone.localdate()
    grant = Grant.objects.filter(request=req).prefetch_related("items").first()
    ctx = {
        "rq": _mark([req], today)[0],
        "items": list(req.items.order_by("position", "id")),
        "history": list(req.history.select_related("actor_department")),
        "grant": grant,
        "grant_masking": _masking_rows(grant) if grant else [],
        "can_object": grant is not None and actor.can("exchange.feedback.submit", req.consumer_scope()),
        "today": today,
    }
    return render(request, "exchange/requests/detail.html", ctx)


def _masking_rows(grant: Grant) -> list[tuple[str, str]]:
    out = []
    for i in grant.items.all():
        rule = str(grant.masking.get(str(i.pk), i.masking))
        out.append((i.name, MASKING_LABELS.get(rule, rule)))
    return out


# --- 我的申请 ----------------------------------------------------------------------------------------


def _mine_page(
    request: HttpRequest, *, row_errors: dict[int, ErrorView] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "")
    state = state if state in RequestState.values else ""
    qs = _with_items(selectors.request_mine(actor=actor, state=state))
    pager = Pager.from_request(request, qs.count())
    today = timezone.localdate()
    rows = _mark(list(qs[pager.offset : pager.offset + pager.size]), today)
    grants = selectors.grant_list(actor=actor).prefetch_related("items")
    if not actor.is_superuser:
        grants = grants.filter(consumer_department_id__in=actor.departments_for(VIEW))
    now = timezone.now()
    grant_rows = [(g, _masking_rows(g), g.is_active_on(now)) for g in grants[:100]]
    ctx = {
        "rows": rows,
        "pager": pager,
        "state": state,
        "states": RequestState.choices,
        "grant_rows": grant_rows,
        "row_errors": row_errors or {},
        "posted": request.POST,
        "can_submit": actor.may(SUBMIT),
    }
    return render(request, "exchange/requests/mine.html", ctx, status=status)


@login_required
def requests_mine(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(SUBMIT):
        raise Http404("您无权申请共享。")
    return _mine_page(request)


@login_required
@require_POST
def request_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """Amend a refused request and submit it as a new round."""
    actor = actor_of(request)
    if not actor.may(SUBMIT):
        raise Http404("您无权申请共享。")
    post = request.POST
    start, end = _date(post.get("period_start")), _date(post.get("period_end"))
    try:
        new = services.request_resubmit(
            actor=actor, request_id=pk, expected_version=int_or_none(post.get("version")),
            purpose=post.get("purpose"), legal_basis=post.get("legal_basis"),
            period_start=start, period_end=end, consumer_approval=post.get("consumer_approval"),
        )  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _mine_page(request, row_errors={pk: _error(exc)}, status=exc.status)
    messages.success(request, f"已修改并重新提交（第 {new.round} 轮）。")
    return redirect("exchange-request", pk=new.pk)


# --- 待办申请 ----------------------------------------------------------------------------------------


def _row_ctx(actor: Actor, req: ShareRequest, today: date) -> dict[str, Any]:
    _mark([req], today)
    return {"rq": req, "items": list(req.items.all())}


def _inbox_page(
    request: HttpRequest, *, row_errors: dict[int, ErrorView] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    qs = _with_items(selectors.request_inbox(actor=actor))
    pager = Pager.from_request(request, qs.count())
    today = timezone.localdate()
    rows = _mark(list(qs[pager.offset : pager.offset + pager.size]), today)
    row_errors = row_errors or {}
    shown = {r.pk for r in rows}
    elsewhere = []
    for pk, err in row_errors.items():
        if pk not in shown:
            found = _visible(actor, pk)
            elsewhere.append((found, err))
    ctx = {
        "rows": rows,
        "pager": pager,
        "row_errors": row_errors,
        "elsewhere": elsewhere,
        "posted": request.POST,
        "overdue_count": sum(1 for r in rows if getattr(r, "overdue", False)),
    }
    return render(request, "exchange/requests/inbox.html", ctx, status=status)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not may_answer(actor_of(request)):
        raise Http404("您无权办理共享申请。")
    return _inbox_page(request)


@login_required
@require_POST
def request_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept, approve (lifting masking on chosen items) or refuse one request, by htmx row or plain POST."""
    actor = actor_of(request)
    if action not in ("accept", "approve", "refuse"):
        raise Http404("未知操作。")
    post = request.POST
    version = int_or_none(post.get("version"))
    try:
        if action == "accept":
            req = services.request_accept(
                actor=actor, request_id=pk, expected_version=version, note=post.get("note", "")
            )
            done = "已受理，转提供部门审核。" if req.state == RequestState.PENDING else "已受理。"
        elif action == "approve":
            lifted = [n for n in (int_or_none(v) for v in post.getlist("lift")) if n is not None]
            req = services.request_approve(
                actor=actor, request_id=pk, expected_version=version, note=post.get("note", ""),
                lift_masking_item_ids=lifted,
            )  # fmt: skip
            done = "已同意，授权已生效。" if req.state == RequestState.GRANTED else "已同意，转下一环节。"
        else:
            req = services.request_refuse(
                actor=actor, request_id=pk, expected_version=version, reason=post.get("reason", "")
            )
            done = "已拒绝，理由已告知申请部门。"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        err = _error(exc)
        if is_htmx(request):
            current = _visible(actor, pk)
            if current is None:
                raise Http404("共享申请不存在或您无权查看。") from exc
            ctx = {**_row_ctx(actor, current, timezone.localdate()), "row_error": err, "posted": post,
                   "failed": action, "version": version}  # fmt: skip
            return render(request, "exchange/requests/_inbox_row.html", ctx, status=exc.status)
        return _inbox_page(request, row_errors={pk: err}, status=exc.status)
    if is_htmx(request):
        ctx = {**_row_ctx(actor, req, timezone.localdate()), "done": done}
        return render(request, "exchange/requests/_inbox_row.html", ctx)
    messages.success(request, f"共享申请 #{req.pk}：{done}")
    return redirect("exchange-inbox")


# --- 共享台账 ----------------------------------------------------------------------------------------


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not may_see_ledger(actor):
        raise Http404("您无权查看共享台账。")
    today = timezone.localdate()
    base = _ledger_requests(actor)
    state = request.GET.get("state", "")
    state = state if state in RequestState.values else ""
    provider = int_or_none(request.GET.get("provider"))
    consumer = int_or_none(request.GET.get("consumer"))
    overdue = request.GET.get("overdue") == "1"
    qs = base
    if state:
        qs = qs.filter(state=state)
    if provider:
        qs = qs.filter(provider_department_id=provider)
    if consumer:
        qs = qs.filter(consumer_department_id=consumer)
    late = selectors.request_overdue(actor=actor, today=today).filter(pk__in=qs.values("pk"))
    if overdue:
        qs = qs.filter(pk__in=late.values("pk"))
    counts = {c["state"]: c["n"] for c in base.order_by().values("state").annotate(n=Count("id"))}
    pager = Pager.from_request(request, qs.count())
    rows = _mark(list(qs.order_by("-received_at", "-id")[pager.offset : pager.offset + pager.size]), today)
    dept_ids = set(base.values_list("provider_department_id", flat=True)) | set(
        base.values_list("consumer_department_id", flat=True)
    )
    departments = list(Department.objects.filter(pk__in=dept_ids).order_by("name"))
    ctx = {
        "rows": rows,
        "late": _mark(list(late[:50]), today),
        "late_total": late.count(),
        "pager": pager,
        "counts": [(v, label, counts.get(v, 0)) for v, label in RequestState.choices],
        "total": sum(counts.values()),
        "overdue_total": selectors.request_overdue(actor=actor, today=today).count(),
        "filters": {"state": state, "provider": provider, "consumer": consumer, "overdue": overdue},
        "states": RequestState.choices,
        "departments": departments,
    }
    from .needs import ledger_sections  # 供需对接 and 数据异议 sections

    ctx.update(ledger_sections(actor, today))
    return render(request, "exchange/requests/ledger.html", ctx)
