"""The steward's flow: register or edit a resource by form, import a workbook, export the department's catalog."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import formset_factory
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header

from sanbu.catalog import excel, selectors, services
from sanbu.catalog.models import DataElement, Resource
from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound, SanbuError, ValidationFailed
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import department_list

from ..forms import ItemForm, ResourceForm, collect_items, initial_items, place_errors
from .catalog import allowed_actions
from .common import actor_of, error_view, int_or_none, is_htmx


def _departments_for(actor: Actor, action: str) -> list[Department] | None:
    """Departments to choose from when the actor acts jurisdiction-wide; None when it is its own department."""
    if not actor.is_superuser and not actor.jurisdictions_for(action):
        return None
    return [d for d in department_list(actor=actor) if actor.can(action, d.scope())]


def _item_formset(data: Any = None, initial: list[dict[str, Any]] | None = None, extra: int = 3) -> Any:
    factory = formset_factory(ItemForm, extra=extra, can_delete=True)
    return factory(data, prefix="items", initial=initial)


def _form_page(request: HttpRequest, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    ctx.setdefault("subclass_options", ResourceForm.subclass_options())
    ctx.setdefault(
        "element_options", list(DataElement.objects.order_by("identifier").values_list("name", "identifier"))
    )
    return render(request, "catalog/resource_form.html", ctx, status=status)


def _save(
    request: HttpRequest, form: ResourceForm, formset: Any, save: Any
) -> tuple[Resource | None, dict[str, Any]]:
    """Validate the form (types only), then let the service decide; place its errors next to the fields."""
    extra: dict[str, Any] = {}
    if not (form.is_valid() & formset.is_valid()):
        extra["error_title"] = "填写有误，请按提示逐项修改。"
        return None, extra
    items, where = collect_items(formset)
    try:
        return save(form.to_input(items)), extra
    except ValidationFailed as exc:
        extra["error"] = error_view(exc)
        extra["unplaced"] = place_errors(form, formset, where, exc.errors)
    except NotFound as exc:
        if "department" in form.fields:
            form.add_error("department", exc.message)
        extra["error"] = error_view(exc)
    except SanbuError as exc:
        extra["error"] = error_view(exc)
    return None, extra


@login_required
def resource_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may("catalog.resource.register"):
        raise Http404("您无权登记信息资源。")
    departments = _departments_for(actor, "catalog.resource.register")
    if request.method == "POST":
        form = ResourceForm(request.POST, departments=departments)
        formset = _item_formset(request.POST)

        def save(data: Any) -> Resource:
            dept = form.cleaned_data.get("department") if departments is not None else None
            return services.resource_register(actor=actor, data=data, department_id=dept)

        resource, extra = _save(request, form, formset, save)
        if resource is not None:
            messages.success(request, f"已登记“{resource.name}”（代码 {resource.code}）。下一步：提交审核。")
            return redirect("resource-detail", pk=resource.pk)
        return _form_page(request, {"form": form, "formset": formset, "is_new": True, **extra}, status=400)
    form = ResourceForm(departments=departments, initial={"department": actor.department_id})
    return _form_page(request, {"form": form, "formset": _item_formset(), "is_new": True})


@login_required
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        resource = selectors.resource_get(actor=actor, resource_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if "edit" not in allowed_actions(actor, resource):
        raise Http404("您无权修改该资源，或资源当前状态不可修改。")
    if request.method == "POST":
        form = ResourceForm(request.POST)
        formset = _item_formset(request.POST, extra=1)
        version = int_or_none(request.POST.get("version"))

        def save(data: Any) -> Resource:
            data.code = data.code or resource.code
            return services.resource_update(actor=actor, resource_id=pk, expected_version=version, data=data)

        saved, extra = _save(request, form, formset, save)
        if saved is not None:
            messages.success(request, "已保存修改。" if saved.version != version else "内容没有变化。")
            return redirect("resource-detail", pk=pk)
        ctx = {"form": form, "formset": formset, "r": resource, "version": version, **extra}
        err = extra.get("error")
        return _form_page(request, ctx, status=err.status if err is not None else 400)
    form = ResourceForm(initial=ResourceForm.initial_from(resource))
    formset = _item_formset(initial=initial_items(resource), extra=1)
    return _form_page(request, {"form": form, "formset": formset, "r": resource, "version": resource.version})


# --- import and export --------------------------------------------------------------------------------


@login_required
def catalog_import(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may("catalog.import"):
        raise Http404("您无权导入目录。")
    ctx: dict[str, Any] = {"export_departments": _departments_for(actor, "catalog.import")}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = request.POST.get("mode") != "import"
        if upload is None:
            ctx["upload_error"] = "请选择要导入的目录文件（.xlsx）。"
            status = 400
        else:
            report = excel.catalog_import(actor=actor, file=upload, dry_run=dry_run)
            ctx["report"] = report
            ctx["file_name"] = upload.name
            ctx["created_resources"] = (
                list(Resource.objects.filter(pk__in=report.resource_ids[:50]).order_by("id"))
                if report.written
                else []
            )
            status = 200 if report.ok else 400
        if is_htmx(request):
            ctx["partial"] = True
            return render(request, "catalog/_import_result.html", ctx, status=status)
    return render(request, "catalog/import.html", ctx, status=status)


@login_required
def catalog_export(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may("catalog.import"):
        raise Http404("您无权导出目录。")
    choices = _departments_for(actor, "catalog.import")
    dept_id = int_or_none(request.GET.get("department")) if choices is not None else actor.department_id
    if dept_id is None:
        messages.error(request, "请选择要导出目录的部门。")
        return redirect("catalog-import")
    if choices is not None and dept_id not in {d.pk for d in choices}:
        raise Http404("部门不存在或您无权导出其目录。")
    stream = io.BytesIO()
    try:
        result = excel.catalog_export(actor=actor, department_id=dept_id, stream=stream)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    dept = Department.objects.get(pk=dept_id)
    filename = f"信息资源目录_{dept.name}_{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(
        stream.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Sanbu-Resources"] = str(result.resources)
    return response


@login_required
def catalog_template(request: HttpRequest) -> HttpResponse:
    """The blank department template (the same file the import reads)."""
    actor = actor_of(request)
    if not actor.may("catalog.import"):
        raise Http404("您无权导入目录。")
    data = excel.TEMPLATE_PATH.read_bytes()
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        content_disposition_header(True, "政务信息资源目录模板.xlsx") or "attachment"
    )
    return response
