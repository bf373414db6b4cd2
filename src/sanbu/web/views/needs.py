"""供需对接 and 数据异议 pages: a department posts needs (with live proposals) and objections, the provider
answers both from its queue, the authority routes needs and watches deadlines on the ledger.

Every POST calls the same services as the API (``exchange.needs``, ``exchange.feedback``); their errors
are shown in place. User text is escaped by the templates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound, SanbuError
from sanbu.exchange import feedback, matching, needs
from sanbu.exchange.models import DataNeed, Grant, NeedState, ObjectionState
from sanbu.orgs.models import Department

from .common import actor_of, error_view, int_or_none

NEED_ACTIONS = ("rematch", "route", "answer", "accept", "withdraw")
HISTORY_LABELS = {
    "exchange.need.post": "提出需求",
    "exchange.need.rematch": "重新匹配",
    "exchange.need.route": "转交提供部门",
    "exchange.need.answer": "提供部门答复",
    "exchange.need.accept": "采纳推荐资源",
    "exchange.need.withdraw": "撤回",
    "exchange.objection.submit": "提出异议",
    "exchange.objection.answer": "提供部门答复",
    "exchange.objection.confirm": "确认办结",
}


def _history(object_type: str, pk: int) -> list[dict[str, Any]]:
    """The object's change records as steps: what, who, when (from the audit chain itself)."""
    from sanbu.core.models import ChangeRecord

    rows = ChangeRecord.objects.filter(object_type=object_type, object_id=str(pk)).order_by("seq")
    return [
        {"label": HISTORY_LABELS.get(r.action, r.action), "actor": r.actor_username, "at": r.created_at}
        for r in rows
    ]


OBJECTION_ACTIONS = ("answer", "confirm")


def _items(text: str) -> list[str]:
    """Desired items typed one per line, or separated by 、，, ; (as people write lists)."""
    for sep in "、，,;；\r":
        text = text.replace(sep, "\n")
    return matching.clean_items(text.split("\n"))


def _mark(rows: list[Any], today: date) -> list[Any]:
    for r in rows:
        r.overdue = r.is_overdue_on(today)
    return rows


def may_post_needs(actor: Actor) -> bool:
    return actor.may(needs.POST)


def may_answer(actor: Actor) -> bool:
    return actor.may(needs.ANSWER) or actor.may(feedback.ANSWER)


def queue_count(actor: Actor) -> int:
    total = 0
    if actor.may(needs.ANSWER):
        total += needs.need_list(actor=actor, side="queue").count()
    if actor.may(feedback.ANSWER):
        total += feedback.objection_list(actor=actor, side="queue").count()
    return total


# --- 供需对接: my needs, the post form, live proposals ---------------------------------------------


def _needs_page(request: HttpRequest, *, error: Any = None, status: int = 200) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "")
    state = state if state in NeedState.values else ""
    rows = _mark(list(needs.need_list(actor=actor, side="mine", state=state)[:200]), timezone.localdate())
    posted = request.POST if request.method == "POST" else {}
    ctx = {
        "rows": rows,
        "state": state,
        "states": NeedState.choices,
        "error": error,
        "field_errors": {e["field"]: e["message"] for e in (error.errors if error else [])},
        "posted": posted,
    }
    return render(request, "exchange/needs/mine.html", ctx, status=status)


@login_required
def needs_mine(request: HttpRequest) -> HttpResponse:
    """GET: my department's needs and the form. POST: post a need (matched at once, maybe routed)."""
    actor = actor_of(request)
    if not may_post_needs(actor):
        raise Http404("您无权提出数据需求。")
    if request.method != "POST":
        return _needs_page(request)
    post = request.POST
    try:
        need = needs.need_post(
            actor=actor, title=post.get("title", ""), description=post.get("description", ""),
            desired_items=_items(post.get("desired_items", "")), purpose=post.get("purpose", ""),
        )  # fmt: skip
    except SanbuError as exc:
        return _needs_page(request, error=error_view(exc), status=exc.status)
    if need.state == NeedState.ROUTED and need.routed_to is not None:
        messages.success(
            request,
            f"需求已提交：目录中暂无完全满足的资源，已转交{need.routed_to.name}，答复期限 {need.due_date:%Y-%m-%d}。",
        )
    elif need.proposals:
        messages.success(request, f"需求已提交：平台推荐了 {len(need.proposals)} 个资源，请查看后采纳。")
    else:
        messages.success(request, "需求已提交：暂无可推荐的资源，等待平台管理部门转交提供部门。")
    return redirect("exchange-need", pk=need.pk)


@login_required
def need_proposals(request: HttpRequest) -> HttpResponse:
    """htmx: the resources the platform would propose for what is typed so far (nothing is saved)."""
    actor = actor_of(request)
    if not may_post_needs(actor):
        raise Http404("您无权提出数据需求。")
    title = request.GET.get("title", "")[:100]
    items = _items(request.GET.get("desired_items", "")[:2000])
    result = None
    if title.strip() or items:
        result = matching.propose(
            actor=actor, title=title, desired_items=items, department_id=actor.department_id
        )
    return render(request, "exchange/needs/_proposals.html", {"result": result, "live": True})


# --- one need --------------------------------------------------------------------------------------


def _providers(need: DataNeed) -> list[Department]:
    """Departments the authority may route to: the need's jurisdiction and those below it."""
    from sanbu.core.actor import jurisdiction_prefix

    prefix = jurisdiction_prefix(need.jurisdiction_id)
    return list(
        Department.objects.filter(jurisdiction_id__startswith=prefix)
        .exclude(pk=need.department_id)
        .order_by("name")
    )


def _need_page(
    request: HttpRequest, pk: int, *, error: Any = None, failed: str = "", status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    try:
        need = needs.need_get(actor=actor, need_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    today = timezone.localdate()
    _mark([need], today)
    live = need.state in (NeedState.OPEN, NeedState.ROUTED)
    scope = need.scope()
    provider_scope = need.provider_scope()
    ctx = {
        "need": need,
        "proposals": need.proposals,
        "history": _history("exchange.dataneed", need.pk),
        "can_post": live and actor.can(needs.POST, scope),
        "can_route": live and actor.can(needs.ROUTE, scope),
        "can_answer": need.state == NeedState.ROUTED
        and provider_scope is not None
        and actor.can(needs.ANSWER, provider_scope),
        "can_request": actor.may("exchange.request.submit"),
        "providers": _providers(need) if live and actor.can(needs.ROUTE, scope) else [],
        "provider_resources": list(need.routed_to.resources.order_by("name")[:200]) if need.routed_to else [],
        "error": error,
        "failed": failed,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "exchange/needs/detail.html", ctx, status=status)


@login_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not actor_of(request).may(needs.VIEW):
        raise Http404("您无权查看数据需求。")
    return _need_page(request, pk)


@login_required
@require_POST
def need_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    if action not in NEED_ACTIONS or not actor.may(needs.VIEW):
        raise Http404("未知操作。")
    post = request.POST
    version = int_or_none(post.get("version"))
    try:
        if action == "rematch":
            need = needs.need_rematch(actor=actor, need_id=pk, expected_version=version)
            done = f"已按当前目录重新匹配，推荐 {len(need.proposals)} 个资源。"
        elif action == "route":
            need = needs.need_route(
                actor=actor, need_id=pk, expected_version=version,
                provider_department_id=int_or_none(post.get("provider")) or 0, note=post.get("note", ""),
            )  # fmt: skip
            done = (
                f"已转交{need.routed_to.name if need.routed_to else ''}，答复期限 {need.due_date:%Y-%m-%d}。"
            )
        elif action == "answer":
            need = needs.need_answer(
                actor=actor, need_id=pk, expected_version=version, can_provide=post.get("can_provide") == "1",
                reply=post.get("reply", ""), resource_id=int_or_none(post.get("resource")),
            )  # fmt: skip
            done = "已答复，需求部门会收到通知。"
        elif action == "accept":
            need = needs.need_accept(
                actor=actor,
                need_id=pk,
                expected_version=version,
                resource_id=int_or_none(post.get("resource")) or 0,
            )
            done = "已采纳该资源：请点击“申请共享”提交共享申请。"
        else:
            need = needs.need_withdraw(
                actor=actor, need_id=pk, expected_version=version, reason=post.get("reason", "")
            )
            done = "需求已撤回。"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _need_page(request, pk, error=error_view(exc), failed=action, status=exc.status)
    messages.success(request, done)
    return redirect("exchange-need", pk=need.pk)


# --- 待我答复: the provider's queue of routed needs and objections ----------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not may_answer(actor):
        raise Http404("您无权答复数据需求或异议。")
    today = timezone.localdate()
    need_rows = (
        _mark(list(needs.need_list(actor=actor, side="queue")[:200]), today)
        if actor.may(needs.ANSWER)
        else []
    )
    objection_rows = (
        _mark(list(feedback.objection_list(actor=actor, side="queue")[:200]), today)
        if actor.may(feedback.ANSWER)
        else []
    )
    ctx = {
        "need_rows": need_rows,
        "objection_rows": objection_rows,
        "overdue_count": sum(1 for r in [*need_rows, *objection_rows] if r.overdue),
    }
    return render(request, "exchange/needs/queue.html", ctx)


# --- 数据异议 ------------------------------------------------------------------------------------------


@login_required
def objections_mine(request: HttpRequest) -> HttpResponse:
    """Objections my department raised, and the grants it may object under."""
    actor = actor_of(request)
    if not actor.may(feedback.SUBMIT):
        raise Http404("您无权提出数据异议。")
    today = timezone.localdate()
    rows = _mark(list(feedback.objection_list(actor=actor, side="mine")[:200]), today)
    grants = Grant.objects.select_related("resource", "app", "provider_department")
    if not actor.is_superuser:
        grants = grants.filter(consumer_department_id__in=actor.departments_for(feedback.SUBMIT))
    return render(
        request,
        "exchange/objections/mine.html",
        {"rows": rows, "grants": list(grants.order_by("-granted_at")[:100])},
    )


def _objection_form(
    request: HttpRequest, grant: Grant, *, error: Any = None, status: int = 200
) -> HttpResponse:
    ctx = {
        "grant": grant,
        "items": list(grant.items.order_by("position", "id")),
        "error": error,
        "field_errors": {e["field"]: e["message"] for e in (error.errors if error else [])},
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "exchange/objections/new.html", ctx, status=status)


@login_required
def objection_new(request: HttpRequest, grant_id: int) -> HttpResponse:
    """The objection form on a grant my department holds (or held)."""
    actor = actor_of(request)
    if not actor.may(feedback.SUBMIT):
        raise Http404("您无权提出数据异议。")
    grant = Grant.objects.select_related("resource", "provider_department", "app").filter(pk=grant_id).first()
    if grant is None or not actor.can(feedback.SUBMIT, _consumer_scope(grant)):
        raise Http404("授权不存在或您无权对其提出异议。")
    if request.method != "POST":
        return _objection_form(request, grant)
    post = request.POST
    try:
        obj = feedback.objection_submit(
            actor=actor, resource_id=grant.resource_id, item_id=int_or_none(post.get("item")),
            record_key=post.get("record_key", ""), description=post.get("description", ""),
            evidence=post.get("evidence", ""), expected_value=post.get("expected_value", ""),
            department_id=grant.consumer_department_id,
        )  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _objection_form(request, grant, error=error_view(exc), status=exc.status)
    messages.success(request, f"异议已提交，提供部门须在 {obj.due_date:%Y-%m-%d} 前核实答复。")
    return redirect("exchange-objection", pk=obj.pk)


def _consumer_scope(grant: Grant) -> Any:
    from sanbu.core.actor import Scope

    return Scope(jurisdiction=grant.app.jurisdiction_id, department_id=grant.consumer_department_id)


def _objection_page(
    request: HttpRequest, pk: int, *, error: Any = None, failed: str = "", status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    try:
        obj = feedback.objection_get(actor=actor, objection_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    _mark([obj], timezone.localdate())
    ctx = {
        "o": obj,
        "history": _history("exchange.objection", obj.pk),
        "can_answer": obj.state == ObjectionState.OPEN and actor.can(feedback.ANSWER, obj.scope()),
        "can_confirm": obj.state in feedback.ANSWERED and actor.can(feedback.SUBMIT, obj.consumer_scope()),
        "error": error,
        "failed": failed,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "exchange/objections/detail.html", ctx, status=status)


@login_required
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not actor_of(request).may(feedback.VIEW):
        raise Http404("您无权查看数据异议。")
    return _objection_page(request, pk)


@login_required
@require_POST
def objection_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    if action not in OBJECTION_ACTIONS or not actor.may(feedback.VIEW):
        raise Http404("未知操作。")
    post = request.POST
    version = int_or_none(post.get("version"))
    try:
        if action == "answer":
            obj = feedback.objection_answer(
                actor=actor, objection_id=pk, expected_version=version, corrected=post.get("corrected") == "1",
                answer=post.get("answer", ""),
            )  # fmt: skip
            done = "已答复，使用部门会收到通知。"
        else:
            obj = feedback.objection_confirm(
                actor=actor, objection_id=pk, expected_version=version, note=post.get("note", "")
            )
            done = "已确认，异议办结。"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _objection_page(request, pk, error=error_view(exc), failed=action, status=exc.status)
    messages.success(request, done)
    return redirect("exchange-objection", pk=obj.pk)


# --- the authority's ledger: sections for needs and objections --------------------------------------


def ledger_sections(actor: Actor, today: date) -> dict[str, Any]:
    """Context for the needs and objections sections of 共享台账 (empty when the actor sees neither)."""
    out: dict[str, Any] = {}
    if actor.may(needs.VIEW):
        counts = {s: 0 for s in NeedState.values}
        for s in needs.need_list(actor=actor).values_list("state", flat=True):
            counts[s] += 1
        out["need_counts"] = [(v, label, counts[v]) for v, label in NeedState.choices]
        out["need_open"] = list(needs.need_list(actor=actor, state=NeedState.OPEN)[:50])
        out["need_overdue"] = _mark(list(needs.need_list(actor=actor, overdue=True, today=today)[:50]), today)
    if actor.may(feedback.VIEW):
        out["objection_counts"] = feedback.objection_counts(actor=actor, today=today)
        out["objection_overdue"] = _mark(
            list(feedback.objection_list(actor=actor, overdue=True, today=today)[:50]), today
        )
    return out
