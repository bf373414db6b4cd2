"""信息系统清单 pages (SUP-1): the list with derived docking, a system's detail (what it provides and
consumes, why it is or is not docked, its change history), the register/edit form, retiring, and the
department's xlsx import (dry run first, then confirm), export and blank template.

Every write calls the inventory services (the same as the API and the commands); their errors are
shown in place, in Chinese. Docking is never typed in: it is derived by ``inventory.selectors``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from sanbu.catalog.models import Resource, ResourceMount, ResourceState
from sanbu.core.actor import Actor
from sanbu.core.errors import FieldError, NotFound, SanbuError, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.inventory import excel, selectors, services
from sanbu.inventory.models import (
    MANAGE,
    VIEW,
    DengbaoLevel,
    InformationSystem,
    MipinStatus,
    Network,
    SystemStatus,
)
from sanbu.inventory.services import SystemData
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import department_list

from ..forms import place_errors
from .common import Pager, actor_of, error_view, int_or_none, is_htmx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
CONFIRM_SALT = "sanbu.inventory.import.confirm"
CONFIRM_MAX_AGE = 3600  # seconds between the dry run and its confirmation
OBJECT_TYPE = InformationSystem._meta.label_lower
HISTORY_LABELS = {
    "inventory.system.register": "登记",
    "inventory.system.update": "修改",
    "inventory.system.retire": "下线",
}
FIELD_LABELS = {
    "department_id": "所属部门",
    "name": "信息系统名称",
    "purpose": "系统用途",
    "status": "系统状态",
    "network": "部署网络",
    "on_gov_cloud": "部署在政务云",
    "dengbao_level": "等保级别",
    "dengbao_test_date": "等保测评日期",
    "mipin_status": "密评情况",
    "xinchuang": "使用安全可靠产品",
    "xinchuang_note": "安全可靠产品说明",
    "built_by_project": "建设项目",
    "provides": "提供的目录资源",
}
# How to fix an import error, by its stable code (the message says what is wrong).
IMPORT_FIXES = {
    "import.file.unreadable": "用 Excel 或 WPS 打开后另存为 .xlsx 格式，再上传。",
    "import.file.no_sheet": "下载空白模板，把数据粘贴到“信息系统”工作表。",
    "import.file.empty": "从第 2 行起每行填写一个信息系统。",
    "import.header.missing": "不要修改或删除模板第 1 行的列名。",
    "import.cell.required": "在该单元格填写内容。",
    "import.cell.choice": "点单元格右侧的下拉箭头，从列表中选择。",
    "import.cell.bool": "填写“是”或“否”。",
    "import.cell.date": "按 YYYY-MM-DD 填写日期，如 2024-03-01。",
    "import.resource.unknown": "填写本部门已登记资源的信息资源代码（可在目录检索中查到），多个用“；”分隔。",
    "import.department.unknown": "填写本部门的统一社会信用代码（18 位），可从导出的清单中复制。",
    "import.forbidden": "只能导入本部门的信息系统：把统一社会信用代码改为本部门的，或请该部门自行导入。",
    "import.name.repeated": "删除重复的行，或为其中一个系统改名。",
    "import.duplicate": "改用其他名称，或把该行改为修改已登记的同名系统。",
    "import.required": "在该单元格填写内容。",
    "import.too_long": "删减文字至规定字数以内。",
    "import.invalid_character": "删除单元格中的不可见字符后重新填写。",
    "import.invalid_choice": "点单元格右侧的下拉箭头，从列表中选择。",
    "import.out_of_range": "从下拉列表选择等保级别，未定级选“未定级”。",
    "import.not_graded": "清空等保测评日期，或填写实际的等保级别。",
    "import.in_future": "填写已完成测评的日期（不晚于今天）。",
    "import.not_used": "清空安全可靠产品说明，或把“是否使用安全可靠产品”改为“是”。",
    "import.not_own_resource": "只填写本部门登记的资源代码。",
}


# --- helpers ---------------------------------------------------------------------------------------------


def _departments_for(actor: Actor, action: str) -> list[Department] | None:
    """Departments to choose from when the actor may act on more than its own; None when it is one."""
    if actor.is_superuser or actor.jurisdictions_for(action):
        return [d for d in department_list(actor=actor) if actor.can(action, d.scope())]
    own = actor.departments_for(action)
    if len(set(own)) > 1:
        return list(Department.objects.filter(pk__in=own).order_by("name"))
    return None


def _get(actor: Actor, pk: int) -> InformationSystem:
    try:
        return selectors.system_get(actor=actor, system_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _history(system: InformationSystem) -> list[dict[str, Any]]:
    """The system's change records: what was done, which fields changed, who and when."""
    rows = ChangeRecord.objects.filter(object_type=OBJECT_TYPE, object_id=str(system.pk)).order_by("seq")
    out: list[dict[str, Any]] = []
    for r in rows:
        before, after = r.before or {}, r.after or {}
        changed = [
            label
            for key, label in FIELD_LABELS.items()
            if r.action == "inventory.system.update" and before.get(key) != after.get(key)
        ]
        out.append(
            {
                "label": HISTORY_LABELS.get(r.action, r.action),
                "actor": r.actor_username,
                "at": r.created_at,
                "changed": changed,
                "reason": after.get("reason", "") if r.action == "inventory.system.retire" else "",
            }
        )
    return out


def _provided(system: InformationSystem) -> list[Resource]:
    """The resources a system provides, each marked ``counts`` when it is published and mounted."""
    mounted = ResourceMount.objects.filter(resource_id=OuterRef("pk"), is_current=True)
    resources: list[Resource] = list(system.provides.annotate(mounted=Exists(mounted)).order_by("code", "id"))
    for r in resources:
        r.counts = r.state == ResourceState.PUBLISHED and r.mounted  # type: ignore[attr-defined]
    return resources


# --- the form --------------------------------------------------------------------------------------------


def _blank(choices: Any, label: str = "请选择") -> list[tuple[str, str]]:
    return [("", label), *[(str(v), str(lbl)) for v, lbl in choices]]


def _required(*fields: forms.Field) -> None:
    for f in fields:
        f.sanbu_required = True  # type: ignore[attr-defined]


class SystemForm(forms.Form):
    """What a department declares about one system (types only; the service's ``validate`` decides)."""

    name = forms.CharField(
        label="信息系统名称", required=False, widget=forms.TextInput(attrs={"maxlength": 100})
    )
    purpose = forms.CharField(label="系统用途", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label="系统状态", required=False, choices=_blank(SystemStatus.choices))
    network = forms.ChoiceField(label="部署网络", required=False, choices=_blank(Network.choices))
    on_gov_cloud = forms.BooleanField(label="部署在政务云", required=False)
    dengbao_level = forms.TypedChoiceField(
        label="等保级别", required=False, coerce=int, choices=DengbaoLevel.choices,
        error_messages={"invalid_choice": "请从列表中选择等保级别。"},
    )  # fmt: skip
    dengbao_test_date = forms.DateField(
        label="等保测评日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="未定级的系统不填。", error_messages={"invalid": "等保测评日期格式应为 YYYY-MM-DD。"},
    )  # fmt: skip
    mipin_status = forms.ChoiceField(label="密评情况", required=False, choices=_blank(MipinStatus.choices))
    xinchuang = forms.BooleanField(label="使用安全可靠产品", required=False)
    xinchuang_note = forms.CharField(
        label="安全可靠产品说明", required=False, help_text="如 国产操作系统、数据库、中间件的名称与版本。"
    )
    built_by_project = forms.CharField(
        label="建设项目", required=False, help_text="建设或改造该系统的项目名称。"
    )
    provides = forms.TypedMultipleChoiceField(
        label="提供的目录资源", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text="该系统产生并向目录提供的本部门资源；其中已发布并已挂接的资源使系统视为已对接。",
        error_messages={"invalid_choice": "请选择列表中的本部门资源。"},
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        departments: list[Department] | None = None,
        resources: list[Resource],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        f = self.fields
        _required(f["name"], f["status"], f["network"], f["dengbao_level"], f["mipin_status"])
        many = len({r.department_id for r in resources}) > 1
        f["provides"].choices = [  # type: ignore[attr-defined]
            (r.pk, f"{r.department.name} · {r.name}（{r.get_state_display()}）" if many else
             f"{r.name}（{r.get_state_display()}）")
            for r in resources
        ]  # fmt: skip
        if departments is not None:
            f["department"] = forms.TypedChoiceField(
                label="所属部门", coerce=int, required=True,
                choices=_blank([(d.pk, d.name) for d in departments], "请选择部门"),
                error_messages={"required": "请选择所属部门。", "invalid_choice": "请选择列表中的部门。"},
            )  # fmt: skip
            _required(f["department"])
            self.order_fields(["department"])

    def to_data(self) -> SystemData:
        d = self.cleaned_data
        return SystemData(
            name=d["name"], purpose=d["purpose"], status=d["status"], network=d["network"],
            on_gov_cloud=d["on_gov_cloud"], dengbao_level=int(d["dengbao_level"] or 0),
            dengbao_test_date=d["dengbao_test_date"], mipin_status=d["mipin_status"], xinchuang=d["xinchuang"],
            xinchuang_note=d["xinchuang_note"], built_by_project=d["built_by_project"],
            provides=tuple(d["provides"]),
        )  # fmt: skip

    @staticmethod
    def initial_from(system: InformationSystem) -> dict[str, Any]:
        names = [
            "name", "purpose", "status", "network", "on_gov_cloud", "dengbao_level", "dengbao_test_date",
            "mipin_status", "xinchuang", "xinchuang_note", "built_by_project",
        ]  # fmt: skip
        return {**{n: getattr(system, n) for n in names}, "provides": [r.pk for r in system.provides.all()]}

    @staticmethod
    def defaults() -> dict[str, Any]:
        return {
            "status": SystemStatus.RUNNING,
            "network": Network.EXTRANET,
            "dengbao_level": DengbaoLevel.NONE,
            "mipin_status": MipinStatus.NOT_STARTED,
        }


def _resources_of(department_ids: list[int]) -> list[Resource]:
    return list(
        Resource.objects.filter(department_id__in=department_ids)
        .select_related("department")
        .order_by("department__name", "name", "id")
    )


def _save(form: SystemForm, save: Any) -> tuple[InformationSystem | None, dict[str, Any]]:
    """Types first, then the service; its field errors go next to the fields, in Chinese."""
    extra: dict[str, Any] = {}
    if not form.is_valid():
        extra["error_title"] = "填写有误，请按提示逐项修改。"
        return None, extra
    try:
        return save(form.to_data()), extra
    except ValidationFailed as exc:
        extra["error"] = error_view(exc)
        unplaced: list[FieldError] = place_errors(form, None, [], exc.errors)
        extra["unplaced"] = unplaced
    except NotFound as exc:
        if "department" in form.fields:
            form.add_error("department", exc.message)
        extra["error"] = error_view(exc)
    except SanbuError as exc:
        extra["error"] = error_view(exc)
    return None, extra


# --- list ------------------------------------------------------------------------------------------------


@login_required
def system_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权查看信息系统清单。")
    g = request.GET
    departments = _departments_for(actor, VIEW)
    department_id = int_or_none(g.get("department")) if departments is not None else None
    status = g.get("status", "") if g.get("status") in SystemStatus.values else ""
    network = g.get("network", "") if g.get("network") in Network.values else ""
    q = g.get("q", "").strip()[:100]
    filters = {"department_id": department_id, "status": status, "network": network, "q": q}
    docked_param = g.get("docked", "") if g.get("docked") in ("yes", "no") else ""
    docked = {"yes": True, "no": False}.get(docked_param)
    today = timezone.localdate()
    base = selectors.system_list(
        actor=actor, department_id=department_id, status=status, network=network, q=q, today=today
    )
    condition = selectors.docked_condition(today)
    qs = base if docked is None else (base.filter(condition) if docked else base.exclude(condition))
    pager = Pager.from_request(request, qs.count())
    systems = list(qs[pager.offset : pager.offset + pager.size])
    docking = selectors.docked_many(systems, today)
    total = base.count()
    docked_total = base.filter(condition).count()
    ctx: dict[str, Any] = {
        "rows": [(s, docking[s.pk]) for s in systems],
        "pager": pager,
        "filters": filters,
        "docked": docked_param,
        "total": total,
        "docked_total": docked_total,
        "undocked_total": total - docked_total,
        "any_filter": any(filters.values()) or bool(docked_param),
        "many_departments": departments is not None,
        "window": selectors.docking_window(actor_of(request).jurisdiction or "default"),
    }
    if is_htmx(request):
        response = render(request, "inventory/_results.html", ctx)
    else:
        ctx.update(
            {
                "departments": departments,
                "statuses": SystemStatus.choices,
                "networks": Network.choices,
                "can_manage": actor.may(MANAGE),
                "export_departments": departments,
            }
        )
        response = render(request, "inventory/list.html", ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- detail and retire -----------------------------------------------------------------------------------


def _detail(
    request: HttpRequest, system: InformationSystem, *, error: SanbuError | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    today = timezone.localdate()
    can_manage = actor.can(MANAGE, system.scope())
    ctx = {
        "s": system,
        "docking": selectors.docked(system, today),
        "window": selectors.docking_window(system.jurisdiction_id),
        "provided": _provided(system),
        "consumed": selectors.consumes(system, today),
        "apps": selectors.system_apps(system, today),
        "history": _history(system),
        "can_manage": can_manage,
        "can_retire": can_manage and system.status != SystemStatus.RETIRED,
        "error": error_view(error) if error is not None else None,
        "posted": request.POST if error is not None else {},
    }
    return render(request, "inventory/detail.html", ctx, status=status)


@login_required
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(actor_of(request), pk))


@login_required
@require_POST
def system_retire(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a system 下线: an explicit confirmation is required; the reason goes to the change log."""
    actor = actor_of(request)
    system = _get(actor, pk)
    post = request.POST
    try:
        if post.get("confirm") != "1":
            raise ValidationFailed(
                "inventory.system.unconfirmed", "请勾选确认：下线后该系统在清单中标为“下线”。",
                errors=[FieldError("confirm", "required", "请勾选确认。")],
            )  # fmt: skip
        retired = services.system_retire(
            actor=actor, system_id=pk, expected_version=int_or_none(post.get("version")),
            reason=post.get("reason", ""),
        )  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _detail(request, system, error=exc, status=exc.status)
    messages.success(request, f"信息系统“{retired.name}”已下线，仍保留在清单中。")
    return redirect("inventory-detail", pk=pk)


# --- register and edit -----------------------------------------------------------------------------------


def _form_page(request: HttpRequest, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "inventory/form.html", ctx, status=status)


@login_required
def system_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(MANAGE):
        raise Http404("您无权登记信息系统。")
    departments = _departments_for(actor, MANAGE)
    dept_ids = [d.pk for d in departments] if departments is not None else actor.departments_for(MANAGE)
    resources = _resources_of(dept_ids)
    if request.method == "POST":
        form = SystemForm(request.POST, departments=departments, resources=resources)

        def save(data: SystemData) -> InformationSystem:
            dept = form.cleaned_data.get("department") if departments is not None else None
            return services.system_register(actor=actor, data=data, department_id=dept)

        system, extra = _save(form, save)
        if system is not None:
            messages.success(request, f"已登记信息系统“{system.name}”。")
            return redirect("inventory-detail", pk=system.pk)
        return _form_page(request, {"form": form, "is_new": True, **extra}, status=400)
    initial = {**SystemForm.defaults(), "department": actor.department_id}
    form = SystemForm(departments=departments, resources=resources, initial=initial)
    return _form_page(request, {"form": form, "is_new": True})


@login_required
def system_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    system = _get(actor, pk)
    if not actor.can(MANAGE, system.scope()):
        raise Http404("您无权修改该信息系统。")
    resources = _resources_of([system.department_id])
    if request.method == "POST":
        form = SystemForm(request.POST, resources=resources)
        version = int_or_none(request.POST.get("version"))

        def save(data: SystemData) -> InformationSystem:
            return services.system_update(actor=actor, system_id=pk, expected_version=version, data=data)

        saved, extra = _save(form, save)
        if saved is not None:
            messages.success(request, "已保存修改。" if saved.version != version else "内容没有变化。")
            return redirect("inventory-detail", pk=pk)
        err = extra.get("error")
        ctx = {"form": form, "s": system, "version": version, **extra}
        return _form_page(request, ctx, status=err.status if err is not None else 400)
    form = SystemForm(resources=resources, initial=SystemForm.initial_from(system))
    return _form_page(request, {"form": form, "s": system, "version": system.version})


# --- import, export, template ----------------------------------------------------------------------------


def _confirm_token(actor: Actor, data: bytes) -> str:
    return signing.dumps({"u": actor.user_id, "h": hashlib.sha256(data).hexdigest()}, salt=CONFIRM_SALT)


def _confirmed_file(actor: Actor, payload: str, token: str) -> bytes | None:
    """The previewed workbook back from the confirm form, if it is the same file this user checked."""
    try:
        data = base64.b64decode(payload.encode("ascii"), validate=True)
        signed = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except (binascii.Error, UnicodeEncodeError, ValueError, signing.BadSignature):
        return None
    if signed.get("u") != actor.user_id or signed.get("h") != hashlib.sha256(data).hexdigest():
        return None
    return data


@login_required
def inventory_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (row errors, or what would be created/updated) → confirm → import, all or nothing."""
    actor = actor_of(request)
    if not actor.may(MANAGE):
        raise Http404("您无权导入信息系统清单。")
    ctx: dict[str, Any] = {"export_departments": _departments_for(actor, VIEW), "fixes": IMPORT_FIXES}
    status = 200
    if request.method == "POST":
        if request.POST.get("mode") == "confirm":
            data = _confirmed_file(actor, request.POST.get("payload", ""), request.POST.get("token", ""))
            ctx["file_name"] = request.POST.get("file_name", "")[:200]
            if data is None:
                ctx["upload_error"] = "确认已过期或文件与校验时不一致，请重新上传并校验。"
                status = 400
            else:
                report = excel.inventory_import(actor=actor, file=io.BytesIO(data), dry_run=False)
                ctx["report"] = report
                ctx["imported"] = list(
                    InformationSystem.objects.filter(pk__in=report.system_ids[:100]).order_by("name", "id")
                )
                status = 200 if report.ok else 400
        else:
            upload = request.FILES.get("file")
            if upload is None:
                ctx["upload_error"] = "请选择要导入的信息系统清单文件（.xlsx）。"
                status = 400
            elif upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
                ctx["upload_error"] = "文件超过 5 MB，请拆分后分批导入。"
                status = 400
            else:
                data = upload.read()
                report = excel.inventory_import(actor=actor, file=io.BytesIO(data), dry_run=True)
                ctx["report"] = report
                ctx["file_name"] = upload.name
                if report.ok and (report.created or report.updated):
                    ctx["payload"] = base64.b64encode(data).decode("ascii")
                    ctx["token"] = _confirm_token(actor, data)
                status = 200 if report.ok else 400
        if is_htmx(request):
            ctx["partial"] = True
            return render(request, "inventory/_import_result.html", ctx, status=status)
    return render(request, "inventory/import.html", ctx, status=status)


@login_required
def inventory_export(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权导出信息系统清单。")
    choices = _departments_for(actor, VIEW)
    dept_id = int_or_none(request.GET.get("department")) if choices is not None else actor.department_id
    if dept_id is None:
        messages.error(request, "请选择要导出信息系统清单的部门。")
        return redirect("inventory-list")
    if choices is not None and dept_id not in {d.pk for d in choices}:
        raise Http404("部门不存在或您无权导出其信息系统清单。")
    stream = io.BytesIO()
    try:
        count = excel.inventory_export(actor=actor, department_id=dept_id, stream=stream)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    dept = Department.objects.get(pk=dept_id)
    filename = f"信息系统清单_{dept.name}_{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(stream.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Sanbu-Systems"] = str(count)
    return response


@login_required
def inventory_template(request: HttpRequest) -> HttpResponse:
    """The blank template (the same columns and dropdowns the import reads)."""
    if not actor_of(request).may(VIEW):
        raise Http404("您无权查看信息系统清单。")
    stream = io.BytesIO()
    excel.template_workbook().save(stream)
    response = HttpResponse(stream.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = (
        content_disposition_header(True, "信息系统清单模板.xlsx") or "attachment"
    )
    return response
