"""Catalog browse and search, resource detail with its workflow, versions and their diff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from sanbu.catalog import search, selectors, services, versions
from sanbu.catalog.models import (
    CatalogClass,
    DataGrade,
    DataType,
    Masking,
    Resource,
    ResourceFormat,
    ResourceState,
    Secrecy,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from sanbu.catalog.selectors import ResourceFilters
from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound, SanbuError
from sanbu.orgs.selectors import department_list

from .common import PAGE_SIZE, Pager, actor_of, error_view, int_or_none, is_htmx

WORKFLOW = [
    (ResourceState.DRAFT, "注册"),
    (ResourceState.SUBMITTED, "审核"),
    (ResourceState.APPROVED, "挂接"),
    (ResourceState.MOUNTED, "发布"),
    (ResourceState.PUBLISHED, "已发布"),
]


# --- browse and search ------------------------------------------------------------------------------


def _filter_options(actor: Actor) -> dict[str, Any]:
    departments = department_list(actor=actor)
    jurisdictions = {d.jurisdiction_id: d.jurisdiction for d in departments}
    return {
        "catalog_classes": CatalogClass.choices,
        "departments": departments,
        "share_types": ShareType.choices,
        "jurisdictions": [jurisdictions[k] for k in sorted(jurisdictions)],
        "states": ResourceState.choices,
    }


@login_required
def browse(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    g = request.GET
    q = g.get("q", "").strip()[:100]
    filters = ResourceFilters(
        catalog_class=g.get("catalog_class", "") if g.get("catalog_class") in CatalogClass.values else "",
        department_id=int_or_none(g.get("department")),
        share_type=g.get("share_type", "") if g.get("share_type") in ShareType.values else "",
        jurisdiction=g.get("jurisdiction", "")[:6] if (g.get("jurisdiction") or "").isdigit() else "",
        state=g.get("state", "") if g.get("state") in ResourceState.values else "",
    )
    size = PAGE_SIZE
    wanted = min(max(int_or_none(g.get("page")) or 1, 1), 100_000)
    result = search.search_resources(
        actor=actor, q=q, filters=filters, limit=size, offset=(wanted - 1) * size
    )
    pager = Pager(wanted, size, result.total)
    if wanted > pager.pages:  # a page beyond the end: show the last one
        pager = Pager(pager.pages, size, result.total)
        result = search.search_resources(actor=actor, q=q, filters=filters, limit=size, offset=pager.offset)
    ctx = {
        "q": q,
        "filters": filters,
        "results": result.results,
        "pager": pager,
        "capped": result.capped,
        "any_filter": bool(q or filters != ResourceFilters()),
    }
    if is_htmx(request):
        response = render(request, "catalog/_results.html", ctx)
    else:
        ctx.update(_filter_options(actor))
        response = render(request, "catalog/browse.html", ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- resource detail and workflow ---------------------------------------------------------------------


def _get_resource(actor: Actor, pk: int) -> Resource:
    try:
        return selectors.resource_get(actor=actor, resource_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def allowed_actions(actor: Actor, r: Resource) -> set[str]:
    """The workflow buttons this actor may press on this resource in its current state."""
    scope = r.scope()
    s = r.state
    acts: set[str] = set()
    if s in (ResourceState.DRAFT, ResourceState.REJECTED) and actor.can("catalog.resource.submit", scope):
        acts.add("submit")
    if s == ResourceState.SUBMITTED and actor.can("catalog.resource.review", scope):
        acts |= {"approve", "reject"}
    mountable = (ResourceState.APPROVED, ResourceState.MOUNTED, ResourceState.PUBLISHED)
    if s in mountable and actor.can("catalog.resource.mount", scope):
        acts |= {"mount_rows", "mount_interface"}
    if s in (ResourceState.MOUNTED, ResourceState.OFFLINE) and actor.can("catalog.resource.publish", scope):
        acts.add("publish")
    if s == ResourceState.APPROVED and actor.can("catalog.resource.publish", scope):
        acts.add("publish_needs_mount")
    if s == ResourceState.PUBLISHED and actor.can("catalog.resource.offline", scope):
        acts.add("offline")
    if s in services.EDITABLE_STATES and actor.can("catalog.resource.edit", scope):
        acts.add("edit")
    return acts


def _steps(r: Resource) -> list[dict[str, Any]]:
    order: list[str] = [s.value for s, _ in WORKFLOW]
    state = r.state
    if state == ResourceState.REJECTED:
        state = ResourceState.DRAFT
    current = order.index(state) if state in order else len(order)
    if r.state == ResourceState.OFFLINE:
        return [{"label": lbl, "cls": "done"} for _, lbl in WORKFLOW[:-1]] + [
            {"label": "已下线", "cls": "current"}
        ]
    return [
        {"label": lbl, "cls": "done" if i < current else ("current" if i == current else "")}
        for i, (_, lbl) in enumerate(WORKFLOW)
    ]


def render_detail(
    request: HttpRequest,
    resource: Resource,
    *,
    action: str = "",
    exc: SanbuError | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    items = selectors.resource_items(actor=actor, resource_id=resource.pk)
    version_list = selectors.resource_versions(actor=actor, resource_id=resource.pk)
    mount = resource.mounts.filter(is_current=True).first()
    actions = allowed_actions(actor, resource)
    ctx = {
        "r": resource,
        "items": items,
        "versions": version_list,
        "mount": mount,
        "actions": actions,
        "error_inline": bool(actions & INLINE_SLOTS.get(action, set())),
        "steps": _steps(resource),
        "failed_action": action,
        "error": error_view(exc) if exc is not None else None,
        "posted": request.POST if exc is not None else {},
        "mount_errors": [],
    }
    if exc is not None and action == "mount_rows":
        row_errors = list(getattr(exc, "errors", []))
        ctx["mount_errors"] = row_errors
        ctx["mount_error_count"] = exc.details.get("error_count", len(row_errors))
    return render(request, "catalog/detail.html", ctx, status=status)


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, _get_resource(actor_of(request), pk))


def _warn(request: HttpRequest, result: services.ServiceResult) -> None:
    for d in result.warnings:
        messages.warning(request, f"提示（{d.rule_id}）：{d.reason}。{d.remedy}（依据：{d.source}）")


def _do_submit(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    _warn(request, services.resource_submit(actor=actor, resource_id=pk, expected_version=version))
    return "已提交审核，等待大数据局审核。"


def _do_approve(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    result = services.resource_review(
        actor=actor, resource_id=pk, expected_version=version, approve=True, note=request.POST.get("note", "")
    )
    _warn(request, result)
    return "审核通过，下一步：挂接数据或接口。"


def _do_reject(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    services.resource_review(
        actor=actor,
        resource_id=pk,
        expected_version=version,
        approve=False,
        note=request.POST.get("note", ""),
    )
    return "已退回提供方，退回理由已记录。"


def _do_mount_rows(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        from sanbu.core.errors import FieldError, ValidationFailed

        raise ValidationFailed("catalog.mount.no_file", "请选择要上传的数据文件（.xlsx 或 .csv）。",
                               errors=[FieldError("file", "required", "请选择文件。")])  # fmt: skip
    result = services.resource_mount_rows(
        actor=actor, resource_id=pk, expected_version=version, file=upload, filename=upload.name or "upload"
    )
    count = result.resource.mounts.filter(is_current=True).values_list("row_count", flat=True).first() or 0
    return f"已挂接数据 {count} 行。"


def _do_mount_interface(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    params = []
    for line in request.POST.get("params", "").splitlines():
        if not line.strip():
            continue
        name, _, desc = line.partition("：") if "：" in line else line.partition(":")
        params.append({"name": name.strip(), "description": desc.strip()})
    services.resource_mount_interface(
        actor=actor, resource_id=pk, expected_version=version, url=request.POST.get("url", "").strip(),
        method=request.POST.get("method", "GET"), params=params,
    )  # fmt: skip
    return "已登记服务接口。"


def _do_publish(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    result = services.resource_publish(actor=actor, resource_id=pk, expected_version=version)
    _warn(request, result)
    return f"已发布（版本 v{result.resource.published_version}）。"


def _do_offline(request: HttpRequest, actor: Actor, pk: int, version: int | None) -> str:
    services.resource_offline(
        actor=actor, resource_id=pk, expected_version=version, reason=request.POST.get("reason", "")
    )
    return "已下线，已发布的版本仍可查看。"


INLINE_SLOTS: dict[str, set[str]] = {
    "submit": {"submit"},
    "approve": {"approve"},
    "reject": {"reject"},
    "mount_rows": {"mount_rows"},
    "mount_interface": {"mount_interface"},
    "publish": {"publish", "publish_needs_mount"},
    "offline": {"offline"},
}

ACTIONS: dict[str, Callable[[HttpRequest, Actor, int, int | None], str]] = {
    "submit": _do_submit,
    "approve": _do_approve,
    "reject": _do_reject,
    "mount-rows": _do_mount_rows,
    "mount-interface": _do_mount_interface,
    "publish": _do_publish,
    "offline": _do_offline,
}


@login_required
@require_POST
def resource_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One workflow step: the service decides; errors are shown in place beside the action's form."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("未知操作")
    actor = actor_of(request)
    version = int_or_none(request.POST.get("version"))
    try:
        done = handler(request, actor, pk, version)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        resource = _get_resource(actor, pk)
        return render_detail(request, resource, action=action.replace("-", "_"), exc=exc, status=exc.status)
    messages.success(request, done)
    target = request.POST.get("next", "")
    if target == "review-queue":
        return redirect("review-queue")
    return redirect("resource-detail", pk=pk)


# --- versions -----------------------------------------------------------------------------------------

CHOICE_LABELS: dict[str, dict[str, str]] = {
    "catalog_class": dict(CatalogClass.choices),
    "format": dict(ResourceFormat.choices),
    "share_type": dict(ShareType.choices),
    "share_method": dict(ShareMethod.choices),
    "update_cycle": dict(UpdateCycle.choices),
    "secrecy": dict(Secrecy.choices),
    "data_grade": dict(DataGrade.choices),
    "data_type": dict(DataType.choices),
    "masking": dict(Masking.choices),
}


def display(field: str, value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    labels = CHOICE_LABELS.get(field)
    if labels and str(value) in labels:
        return str(labels[str(value)])
    return str(value)


def _changes(changes: list[versions.FieldChange]) -> list[dict[str, str]]:
    return [
        {"label": c.label, "old": display(c.field, c.old), "new": display(c.field, c.new)} for c in changes
    ]


@login_required
def resource_diff(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    resource = _get_resource(actor, pk)
    version_list = selectors.resource_versions(actor=actor, resource_id=pk)
    numbers = [v.number for v in version_list]
    a = int_or_none(request.GET.get("from"))
    b = int_or_none(request.GET.get("to"))
    if b is None and numbers:
        b = numbers[0]
    if a is None and len(numbers) > 1:
        a = numbers[1]
    ctx: dict[str, Any] = {"r": resource, "versions": version_list, "a": a, "b": b, "diff": None}
    if a is not None and b is not None:
        try:
            old = selectors.version_get(actor=actor, resource_id=pk, number=a)
            new = selectors.version_get(actor=actor, resource_id=pk, number=b)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        d = versions.diff_snapshots(old.snapshot, new.snapshot, a, b)
        ctx["old"], ctx["new"] = old, new
        ctx["diff"] = {
            "fields": _changes(d.fields),
            "items_added": d.items_added,
            "items_removed": d.items_removed,
            "items_changed": [(name, _changes(ch)) for name, ch in d.items_changed],
            "is_empty": d.is_empty,
        }
    return render(request, "catalog/diff.html", ctx)


def detail_url(pk: int) -> str:
    return reverse("resource-detail", args=[pk])
