"""信息化项目 pages: the unit's application form with live gate checks, the project page with its decisions,
panel, draw and history and the forms of each next step, the review desk by tier, the expert's tasks and
scoring page, and the authority's expert pool.

Every POST calls ``sanbu.projects.services`` (the same as the API); their errors are shown in place: field
errors beside the fields, a rule block as its list of decisions (rule, outcome, reason, failed fact, remedy,
source), a conflict as a message asking to refresh. User text is escaped by the templates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from sanbu.catalog.models import Resource
from sanbu.core.actor import Actor
from sanbu.core.errors import (
    FieldError,
    NotFound,
    RuleBlocked,
    SanbuError,
    ValidationFailed,
)
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.inventory.selectors import docked_many
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.policy.decisions import Decision
from sanbu.policy.rules.projects import (
    JOINT_ROUTES,
    MATERIALS,
    REQUIRED_MATERIALS,
    ROUTES,
    SEPARATE_KINDS,
)
from sanbu.projects import acceptance, facts, selectors, services
from sanbu.projects.inputs import PLAN_FLAGS, ProjectData
from sanbu.projects.models import (
    APPLY,
    CLASS_CHOICES,
    EXPERT_MANAGE,
    KIND_CHOICES,
    REVIEW,
    REVIEW_STATES,
    SCORE,
    VIEW,
    Conclusion,
    Expert,
    ExpertAssignment,
    JointConclusion,
    Project,
    ProjectState,
)
from sanbu.projects.selectors import ROUTE_ORDER

from .common import Pager, actor_of, error_view, int_or_none

OWN_MATERIALS = ("name", "unit", "funding_source")  # PRJ-S3 materials that are the project's own fields
MATERIAL_KEYS = [k for k in MATERIALS if k not in OWN_MATERIALS]
PRIORITY_FLAGS = ("central_or_provincial", "integrates_systems", "cross_boundary")
PLAN_ONLY = [f for f in PLAN_FLAGS if f not in PRIORITY_FLAGS]
ACTIONS = ("submit", "withdraw", "draw", "joint", "opinion", "approve", "reject", "return")
DONE_STATES = (ProjectState.REVIEWED, ProjectState.APPROVED, ProjectState.REJECTED, ProjectState.ACCEPTED)
SAFE_TYPES = {
    "application/pdf", "application/msword", "application/vnd.ms-excel", "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/png", "image/jpeg", "text/plain",
}  # fmt: skip
SIDE_LABELS = {"mine": "我的申报", "desk": "评审台", "all": "全部"}


def _label(name: str) -> str:
    """The model's Chinese name of a field (the plan flags are labelled once, on the model)."""
    return str(getattr(Project._meta.get_field(name), "verbose_name", name))


def _404(exc: NotFound) -> Http404:
    return Http404(exc.message)


def nav_entry(actor: Actor) -> tuple[str, int]:
    """The 信息化项目 link for the main navigation and the expert's count of reviews still to score."""
    count = selectors.assignments_for(actor=actor, open_only=True).count() if actor.may(SCORE) else 0
    url = reverse("project-list") if actor.may(VIEW) else reverse("project-reviews")
    return url, count


def _doc_url(pk: int, fmt: str) -> str:
    try:
        return reverse("project-approval-doc", kwargs={"pk": pk, "fmt": fmt})
    except NoReverseMatch:
        return f"/projects/{pk}/approval.{fmt}"


# --- the application form ----------------------------------------------------------------------------


class IdListField(forms.TypedMultipleChoiceField):
    """Ids picked on the page from a search (not a fixed list): only their type is checked here; the
    service decides whether they are in the catalog."""

    def valid_value(self, value: Any) -> bool:
        return True


def _int_field(label: str, message: str, **kw: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, error_messages={"invalid": message}, **kw)


class ProjectForm(forms.Form):
    """What a unit fills in (types only; ``services.validate`` decides what is wrong, in Chinese)."""

    name = forms.CharField(label="项目名称", required=False, widget=forms.TextInput(attrs={"maxlength": 100}))
    kind = forms.ChoiceField(
        label="建设性质", required=False, choices=KIND_CHOICES, initial="新建",
        error_messages={"invalid_choice": "请从列表中选择建设性质。"},
    )  # fmt: skip
    category = forms.ChoiceField(
        label="项目类别", required=False, help_text="属于八类原则上不再单独建设的项目时，按实际选择。",
        error_messages={"invalid_choice": "请从列表中选择项目类别。"},
    )  # fmt: skip
    project_class = forms.ChoiceField(
        label="项目分类", required=False, choices=CLASS_CHOICES, initial="other",
        error_messages={"invalid_choice": "请从列表中选择项目分类。"},
    )  # fmt: skip
    amount = _int_field("申报金额（元）", "申报金额应为整数（单位：元）。")
    plan_year = _int_field("计划年度", "计划年度应为四位年份，如 2026。")
    funding_source = forms.CharField(label="资金来源", required=False, help_text="如 市级财政资金。")
    content = forms.CharField(label="建设内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    technical_route = forms.CharField(label="技术路线", required=False)
    library_entry_date = forms.DateField(
        label="入库日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="已纳入项目库的填写入库日期。", error_messages={"invalid": "入库日期格式应为 YYYY-MM-DD。"},
    )  # fmt: skip
    involves_secrets = forms.BooleanField(label="涉及国家秘密", required=False)
    started_before_approval = forms.BooleanField(label="已开工建设", required=False)
    dynamic_addition = forms.BooleanField(
        label="申请动态新增", required=False, help_text="过了年度申报截止日仍需申报的，勾选此项。"
    )
    unified_build = forms.BooleanField(label="本级统一建设", required=False)
    hardware_outside_cloud_reason = forms.CharField(
        label="不上云的理由及依据", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="勾选“新增硬件不部署在政务云”时必填。",
    )  # fmt: skip
    design_life_years = _int_field("设计使用年限（年）", "设计使用年限应为整数（年）。")
    construction_months = _int_field("建设周期（月）", "建设周期应为整数（月）。")
    uses = IdListField(
        label="将使用的目录资源", required=False, coerce=int,
        error_messages={"invalid_choice": "请从目录检索结果中选择资源。"},
    )  # fmt: skip
    provides = forms.TypedMultipleChoiceField(
        label="将提供的本单位资源", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "请选择列表中的本单位资源。"},
    )  # fmt: skip
    provides_new = forms.CharField(
        label="将新提供的资源（尚未编目）", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个资源名称；立项后应在目录中登记。",
    )  # fmt: skip
    systems = forms.TypedMultipleChoiceField(
        label="涉及的信息系统", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "请选择列表中的本单位信息系统。"},
    )  # fmt: skip

    def __init__(
        self, *args: Any, unit: Department, own_resources: list[Resource], systems: list[InformationSystem],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        rs = services.ruleset_for(unit.jurisdiction_id)
        kinds = list(rs.value(SEPARATE_KINDS))
        f = self.fields
        f["category"].choices = [("其他", "其他（不属于以下八类）"), *[(k, k) for k in kinds]]  # type: ignore[attr-defined]
        f["category"].initial = "其他"
        required = set(rs.value(REQUIRED_MATERIALS)["build"])
        for name in ("name", "kind", "amount", "plan_year", "funding_source"):
            f[name].sanbu_required = True  # type: ignore[attr-defined]
        for key in MATERIAL_KEYS:
            field = forms.CharField(
                label=MATERIALS[key], required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            field.sanbu_required = key in required  # type: ignore[attr-defined]
            f[f"material_{key}"] = field
        for flag, default in PLAN_FLAGS.items():
            f[flag] = forms.BooleanField(label=_label(flag), required=False, initial=default)
        f["provides"].choices = [(r.pk, f"{r.name}（{r.get_state_display()}）") for r in own_resources]  # type: ignore[attr-defined]
        f["systems"].choices = [(s.pk, s.name) for s in systems]  # type: ignore[attr-defined]

    def material_fields(self) -> list[forms.BoundField]:
        return [self[f"material_{k}"] for k in MATERIAL_KEYS]

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in PLAN_ONLY]

    def priority_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in PRIORITY_FLAGS]

    def to_data(self) -> ProjectData:
        d = self.cleaned_data
        lines = [line.strip() for line in (d.get("provides_new") or "").splitlines() if line.strip()]
        return ProjectData(
            name=d.get("name") or "", kind=d.get("kind") or "", amount=d.get("amount") or 0,
            plan_year=d.get("plan_year") or 0, category=d.get("category") or "其他",
            project_class=d.get("project_class") or "other", funding_source=d.get("funding_source") or "",
            content=d.get("content") or "", technical_route=d.get("technical_route") or "",
            involves_secrets=bool(d.get("involves_secrets")),
            started_before_approval=bool(d.get("started_before_approval")),
            dynamic_addition=bool(d.get("dynamic_addition")), unified_build=bool(d.get("unified_build")),
            library_entry_date=d.get("library_entry_date"),
            materials={k: d.get(f"material_{k}") or "" for k in MATERIAL_KEYS if (d.get(f"material_{k}") or "").strip()},
            hardware_outside_cloud_reason=d.get("hardware_outside_cloud_reason") or "",
            design_life_years=d.get("design_life_years"), construction_months=d.get("construction_months"),
            uses=tuple(d.get("uses") or ()), provides=tuple(d.get("provides") or ()),
            provides_new=tuple(lines), systems=tuple(d.get("systems") or ()),
            **{flag: bool(d.get(flag)) for flag in PLAN_FLAGS},
        )  # fmt: skip

    def place(self, errors: list[FieldError]) -> list[FieldError]:
        """Put each service error beside its field; return those with no field on the page."""
        left: list[FieldError] = []
        for e in errors:
            name = e.field
            if name.startswith("materials."):
                name = "material_" + name.split(".", 1)[1]
            elif name.startswith("provides_new["):
                name = "provides_new"
            if name in self.fields:
                self.add_error(name, e.message)
            else:
                left.append(e)
        return left

    @staticmethod
    def initial_from(project: Project) -> dict[str, Any]:
        data = facts.data_of(project)
        out: dict[str, Any] = {
            n: getattr(data, n)
            for n in ("name", "kind", "amount", "plan_year", "category", "project_class", "funding_source",
                      "content", "technical_route", "involves_secrets", "started_before_approval",
                      "dynamic_addition", "unified_build", "library_entry_date", "hardware_outside_cloud_reason",
                      "design_life_years", "construction_months", *PLAN_FLAGS)
        }  # fmt: skip
        out.update({f"material_{k}": v for k, v in data.materials.items()})
        out.update(
            uses=list(data.uses), provides=list(data.provides), systems=list(data.systems),
            provides_new="\n".join(data.provides_new),
        )  # fmt: skip
        return out

    @staticmethod
    def defaults() -> dict[str, Any]:
        return {"kind": "新建", "category": "其他", "project_class": "other",
                "plan_year": timezone.localdate().year + 1, **PLAN_FLAGS}  # fmt: skip


def _unit(actor: Actor, unit_id: int | None = None) -> Department:
    try:
        return services.unit_for(actor, unit_id)
    except NotFound as exc:
        raise Http404("您无权申报信息化项目。") from exc


def _own_resources(unit: Department) -> list[Resource]:
    return list(Resource.objects.filter(department=unit).order_by("name", "id"))


def _unit_systems(unit: Department) -> list[InformationSystem]:
    return list(
        InformationSystem.objects.filter(department=unit)
        .exclude(status=SystemStatus.RETIRED)
        .order_by("name", "id")
    )


def _form(unit: Department, data: Any = None, initial: dict[str, Any] | None = None) -> ProjectForm:
    return ProjectForm(
        data, initial=initial, unit=unit, own_resources=_own_resources(unit), systems=_unit_systems(unit)
    )


def _chosen_uses(form: ProjectForm) -> list[dict[str, Any]]:
    """The resources the form says the project will use, with their current catalog state."""
    raw = form["uses"].value() or []
    ids = [i for i in (int_or_none(v) for v in raw) if i is not None]
    found = {r.pk: r for r in Resource.objects.filter(pk__in=ids).select_related("department")}
    return [{"id": i, "resource": found.get(i)} for i in dict.fromkeys(ids)]


def _system_rows(form: ProjectForm, systems: list[InformationSystem]) -> list[dict[str, Any]]:
    docking = docked_many(systems, timezone.localdate())
    boxes = {str(cb.data["value"]): cb for cb in form["systems"]}
    return [{"s": s, "cb": boxes.get(str(s.pk)), "docking": docking.get(s.pk)} for s in systems]


def _check_ctx(actor: Actor, form: ProjectForm, unit: Department, project: Project | None) -> dict[str, Any]:
    """The live check: field errors, then gate S and the preview of gate A (nothing is written)."""
    if not form.is_valid():
        problems = [str(m) for errs in form.errors.values() for m in errs]
        return {"checked": True, "problems": problems, "s_decisions": [], "a_decisions": []}
    try:
        errors, s, a = services.check(
            actor=actor, data=form.to_data(), unit_id=None if project else unit.pk,
            project_id=project.pk if project else None,
        )  # fmt: skip
    except NotFound as exc:
        raise _404(exc) from exc
    return {"checked": True, "problems": [e.message for e in errors], "s_decisions": s, "a_decisions": a}


def _form_page(
    request: HttpRequest, unit: Department, form: ProjectForm, *, project: Project | None = None,
    error: Any = None, unplaced: list[FieldError] | None = None, attach_error: Any = None,
    attach_failed: str = "", status: int = 200, check: dict[str, Any] | None = None,
) -> HttpResponse:  # fmt: skip
    systems = _unit_systems(unit)
    ctx: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "project": project,
        "is_new": project is None,
        "version": project.version if project else None,
        "chosen_uses": _chosen_uses(form),
        "system_rows": _system_rows(form, systems),
        "own_resources": _own_resources(unit),
        "error": error,
        "unplaced": unplaced or [],
        "check": check or {"checked": False},
        "check_url": reverse("project-check-edit", args=[project.pk])
        if project
        else reverse("project-check"),
    }
    if project is not None:
        attachments = list(project.attachments.defer("data").order_by("material", "id"))
        ctx["attachment_rows"] = [
            {"key": k, "label": MATERIALS[k], "files": [a for a in attachments if a.material == k]}
            for k in MATERIALS
            if k not in ("name", "unit")
        ]
        ctx["attach_error"] = attach_error
        ctx["attach_failed"] = attach_failed
    return render(request, "projects/form.html", ctx, status=status)


def _save(request: HttpRequest, unit: Department, project: Project | None) -> HttpResponse:
    actor = actor_of(request)
    form = _form(unit, request.POST)
    if not form.is_valid():
        return _form_page(
            request, unit, form, project=project, status=400,
            error={"title": "填写有误", "message": "请按提示逐项修改。", "is_conflict": False},
        )  # fmt: skip
    try:
        if project is None:
            saved = services.project_create(actor=actor, data=form.to_data(), unit_id=unit.pk)
        else:
            saved = services.project_update(
                actor=actor, project_id=project.pk, expected_version=int_or_none(request.POST.get("version")),
                data=form.to_data(),
            )  # fmt: skip
    except NotFound as exc:
        raise _404(exc) from exc
    except ValidationFailed as exc:
        unplaced = form.place(exc.errors)
        return _form_page(
            request, unit, form, project=project, error=error_view(exc), unplaced=unplaced, status=exc.status
        )
    except SanbuError as exc:
        return _form_page(request, unit, form, project=project, error=error_view(exc), status=exc.status)
    messages.success(request, "已保存草稿。提交申报前请查看下方申报关口的检查结果。")
    return redirect("project-detail", pk=saved.pk)


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(APPLY):
        raise Http404("您无权申报信息化项目。")
    unit = _unit(actor)
    if request.method == "POST":
        return _save(request, unit, None)
    return _form_page(request, unit, _form(unit, initial=ProjectForm.defaults()))


def _own_project(actor: Actor, pk: int) -> Project:
    """A project the actor may apply for (edit, check, attach): else 404, like a missing one."""
    try:
        project = selectors.project_get(actor=actor, project_id=pk)
    except NotFound as exc:
        raise _404(exc) from exc
    if not actor.can(APPLY, project.scope()):
        raise Http404("项目不存在或您无权修改。")
    return project


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    project = _own_project(actor, pk)
    if request.method == "POST":
        return _save(request, project.unit, project)
    if project.state != ProjectState.DRAFT:
        messages.warning(request, f"该项目当前为“{project.get_state_display()}”，不能修改。")
        return redirect("project-detail", pk=project.pk)
    form = _form(project.unit, initial=ProjectForm.initial_from(project))
    check = _check_ctx(actor, _form(project.unit, _as_post(form)), project.unit, project)
    return _form_page(request, project.unit, form, project=project, check=check)


def _as_post(form: ProjectForm) -> dict[str, Any]:
    """An unbound form's initial values as the POST the browser would send (for the first check)."""
    out: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(form.fields[name], forms.BooleanField):
            if value:
                out[name] = "on"
        elif value is not None:
            out[name] = value
    return out


@login_required
@require_POST
def project_check(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """htmx: the gate checks of the form as filled in so far (nothing is saved)."""
    actor = actor_of(request)
    if not actor.may(APPLY):
        raise Http404("您无权申报信息化项目。")
    project = _own_project(actor, pk) if pk is not None else None
    unit = project.unit if project else _unit(actor)
    form = _form(unit, request.POST)
    return render(request, "projects/_check.html", {"check": _check_ctx(actor, form, unit, project)})


@login_required
def resource_search(request: HttpRequest) -> HttpResponse:
    """htmx: catalog resources to declare (published and registered ones), with their state."""
    actor = actor_of(request)
    if not actor.may(APPLY):
        raise Http404("您无权申报信息化项目。")
    unit = _unit(actor, int_or_none(request.GET.get("unit")))
    q = request.GET.get("q", "")[:50]
    chosen = {int_or_none(v) for v in request.GET.getlist("uses")}
    rows = selectors.declarable_resources(unit=unit, q=q) if q.strip() else []
    return render(
        request, "projects/_resource_results.html", {"rows": rows, "q": q, "chosen": chosen, "unit": unit}
    )


@login_required
def resource_pick(request: HttpRequest) -> HttpResponse:
    """htmx: one picked resource as a checked row of the 将使用 list (then the form checks again)."""
    actor = actor_of(request)
    if not actor.may(APPLY):
        raise Http404("您无权申报信息化项目。")
    unit = _unit(actor, int_or_none(request.GET.get("unit")))
    pk = int_or_none(request.GET.get("id"))
    chosen = {int_or_none(v) for v in request.GET.getlist("uses")}
    found = selectors.declarable_resources(unit=unit, ids=[pk]) if pk else []
    if not found or pk in chosen:
        return HttpResponse(status=204)
    response = render(request, "projects/_use_row.html", {"u": {"id": pk, "resource": found[0]}})
    response["HX-Trigger-After-Swap"] = "sanbu-recheck"
    return response


# --- attachments -------------------------------------------------------------------------------------


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    project = _own_project(actor, pk)
    material = request.POST.get("material", "")
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed(
                "projects.attachment.invalid", "请选择要上传的文件。",
                errors=[FieldError("file", "required", "请选择要上传的文件。")],
            )  # fmt: skip
        att = services.attachment_add(actor=actor, project_id=pk, material=material, upload=upload)
    except NotFound as exc:
        raise _404(exc) from exc
    except SanbuError as exc:
        form = _form(project.unit, initial=ProjectForm.initial_from(project))
        return _form_page(
            request, project.unit, form, project=project, attach_error=error_view(exc), attach_failed=material,
            status=exc.status,
        )  # fmt: skip
    messages.success(request, f"已上传“{att.filename}”（{MATERIALS.get(material, material)}）。")
    return redirect(reverse("project-edit", args=[pk]) + "#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        att = selectors.attachment_get(actor=actor, attachment_id=pk)
    except NotFound as exc:
        raise _404(exc) from exc
    project = _own_project(actor, att.project_id)
    try:
        services.attachment_remove(actor=actor, attachment_id=pk)
    except NotFound as exc:
        raise _404(exc) from exc
    except SanbuError as exc:
        form = _form(project.unit, initial=ProjectForm.initial_from(project))
        return _form_page(
            request, project.unit, form, project=project, attach_error=error_view(exc),
            attach_failed=att.material, status=exc.status,
        )  # fmt: skip
    messages.success(request, f"已删除“{att.filename}”。")
    return redirect(reverse("project-edit", args=[project.pk]) + "#attachments")


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A material file, to whoever may see its project; always a download, never shown inline."""
    actor = actor_of(request)
    try:
        att = selectors.attachment_get(actor=actor, attachment_id=pk)
    except NotFound as exc:
        raise _404(exc) from exc
    kind = att.content_type if att.content_type in SAFE_TYPES else "application/octet-stream"
    response = HttpResponse(bytes(att.data), content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, att.filename)
    response["Content-Length"] = str(att.size)
    return response


# --- the list, the desk ------------------------------------------------------------------------------


def _sides(actor: Actor) -> list[str]:
    sides = []
    if actor.may(APPLY):
        sides.append("mine")
    if actor.may(REVIEW):
        sides.append("desk")
    sides.append("all")
    return sides


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not (actor.may(VIEW) or actor.may(SCORE)):
        raise Http404("您无权查看信息化项目。")
    g = request.GET
    sides = _sides(actor)
    side = g.get("side", "") if g.get("side") in sides else sides[0]
    state = g.get("state", "") if g.get("state") in ProjectState.values else ""
    route = g.get("route", "") if g.get("route") in ROUTES else ""
    q = g.get("q", "").strip()[:100]
    qs = selectors.project_list(actor=actor, side=side, state=state, route=route, q=q)
    pager = Pager.from_request(request, qs.count())
    rows = list(qs[pager.offset : pager.offset + pager.size])
    tabs = [
        {"side": s, "label": SIDE_LABELS[s], "active": s == side,
         "count": selectors.project_list(actor=actor, side=s).count()}
        for s in sides
    ]  # fmt: skip
    ctx = {
        "rows": rows,
        "pager": pager,
        "tabs": tabs,
        "side": side,
        "state": state,
        "route": route,
        "q": q,
        "states": ProjectState.choices,
        "routes": [(r, ROUTES[r]) for r in ROUTE_ORDER],
        "route_labels": ROUTES,
        "can_apply": actor.may(APPLY),
        "can_review": actor.may(REVIEW),
        "perms_finance": actor.may("projects.funds.manage"),
        "can_manage_experts": actor.may(EXPERT_MANAGE),
        "can_score": actor.may(SCORE),
    }
    return render(request, "projects/list.html", ctx)


def next_step(p: Project, progress: tuple[int, int] | None, against: int = 0) -> str:
    """What the review desk does next with a project (from its state and records); ``against``: how many
    of the current panel concluded 不同意立项."""
    scored, drawn = progress or (0, 0)
    self_review = p.route == "self_review" and not p.involves_secrets
    if p.state == ProjectState.SUBMITTED and not self_review:
        return "抽取评审专家"
    if p.state == ProjectState.IN_REVIEW:
        return f"等待专家评分（已评 {scored}/{drawn}）"
    if drawn and scored == drawn and against * 2 >= drawn:
        return "专家论证未通过：退回修改或不予立项"
    if p.route in JOINT_ROUTES and p.joint_conclusion != JointConclusion.AGREE:
        return "组织联合评审并记录结论"
    if p.centre_opinion != "favourable":
        return "出具大数据中心备案意见"
    return "立项审批（批准或不予立项）"


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(REVIEW):
        raise Http404("您无权评审信息化项目。")
    groups = selectors.desk(actor=actor)
    ids = [p.pk for ps in groups.values() for p in ps]
    progress = selectors.panel_progress(ids)
    against = dict(
        ExpertAssignment.objects.filter(project_id__in=ids, draw__current=True, conclusion=Conclusion.DISAGREE)
        .values("project_id").annotate(n=Count("id")).values_list("project_id", "n")
    )  # fmt: skip
    sections = [
        {"route": r, "label": ROUTES.get(r, r), "count": len(ps),
         "rows": [{"p": p, "next": next_step(p, progress.get(p.pk), against.get(p.pk, 0)), "progress": progress.get(p.pk)} for p in ps]}
        for r, ps in groups.items()
    ]  # fmt: skip
    counts = {r: len(groups.get(r, [])) for r in ROUTE_ORDER}
    ctx = {
        "sections": sections,
        "total": sum(counts.values()),
        "tiers": [{"route": r, "label": ROUTES[r], "count": counts[r]} for r in ROUTE_ORDER],
    }
    return render(request, "projects/desk.html", ctx)


# --- the project page and its actions ----------------------------------------------------------------


def _panel_view(actor: Actor, project: Project, reviewer: bool) -> dict[str, Any]:
    """Who sees which rows of the panel: the review desk everything; the drawn expert only their own row
    until the review is complete; everyone else the panel once the review is complete."""
    panel = selectors.panel(project)
    complete = (bool(panel) and all(a.scored_at for a in panel)) or project.state in DONE_STATES
    own = [a for a in panel if actor.user_id is not None and a.expert.user_id == actor.user_id]
    full = reviewer or actor.is_superuser or complete
    return {
        "panel_rows": panel if full else own,
        "panel_full": full,
        "panel_size": len(panel),
        "panel_scored": sum(1 for a in panel if a.scored_at),
        "review_complete": complete,
        "scored_any": any(a.scored_at for a in panel),
        "draw": project.draws.filter(current=True).first() if full else None,
        "draw_count": project.draws.count(),
    }


def _detail_page(
    request: HttpRequest, pk: int, *, error: SanbuError | None = None, failed: str = "", status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    if not (actor.may(VIEW) or actor.may(SCORE)):
        raise Http404("您无权查看信息化项目。")
    try:
        p = selectors.project_get(actor=actor, project_id=pk)
    except NotFound as exc:
        raise _404(exc) from exc
    scope = p.scope()
    applicant = actor.can(APPLY, scope)
    reviewer = actor.can(REVIEW, scope)
    in_review = p.state in REVIEW_STATES
    panel = _panel_view(actor, p, reviewer)
    past_submission = p.submitted_at is not None and p.state != ProjectState.DRAFT
    gates = services.gate_decisions(p, ("S", "A") if past_submission else ("S",))
    systems = list(p.systems.order_by("name", "id"))
    docking = docked_many(systems, timezone.localdate())
    attachments = list(p.attachments.defer("data").order_by("material", "id"))
    records = list(p.gate_records.order_by("-id"))
    ev = error_view(error) if error is not None else None
    approved = p.state in (ProjectState.APPROVED, ProjectState.ACCEPTED)
    ctx: dict[str, Any] = {
        "p": p,
        "route_label": ROUTES.get(p.route, ""),
        "materials": [
            {
                "key": k,
                "label": MATERIALS[k],
                "text": (p.materials or {}).get(k, ""),
                "files": [a for a in attachments if a.material == k],
            }
            for k in MATERIAL_KEYS
        ],
        "plan": [{"label": _label(f), "on": getattr(p, f)} for f in PLAN_ONLY],
        "priority": [_label(f) for f in PRIORITY_FLAGS if getattr(p, f)],
        "links": list(p.resources.select_related("resource", "resource__department", "need").order_by("id")),
        "system_rows": [{"s": s, "docking": docking.get(s.pk)} for s in systems],
        "attachments": attachments,
        "s_decisions": gates["S"],
        "a_decisions": gates.get("A", []),
        "records": [
            {"r": r, "gate_label": {"S": "申报关口（S）", "A": "立项关口（A）"}.get(r.gate, r.gate)}
            for r in records
        ],
        "history": selectors.history(p, reveal_experts=panel["panel_full"]),
        "applicant": applicant,
        "reviewer": reviewer,
        "can_edit": applicant and p.state == ProjectState.DRAFT,
        "can_submit": applicant and p.state == ProjectState.DRAFT,
        "can_withdraw": applicant and p.state in (ProjectState.DRAFT, ProjectState.SUBMITTED),
        "can_draw": reviewer
        and p.state in (ProjectState.SUBMITTED, ProjectState.IN_REVIEW)
        and not panel["scored_any"],
        "can_joint": reviewer and p.state == ProjectState.REVIEWED and p.route in JOINT_ROUTES,
        "can_opinion": reviewer and in_review,
        "can_decide": reviewer and in_review,
        "conclusions": Conclusion.choices,
        "doc_pdf": _doc_url(p.pk, "pdf") if approved else "",
        "doc_docx": _doc_url(p.pk, "docx") if approved else "",
        "error": ev,
        "blocked": list(error.decisions) if isinstance(error, RuleBlocked) else [],
        "field_errors": {e["field"]: e["message"] for e in (ev.errors if ev else [])},
        "failed": failed,
        "posted": request.POST if request.method == "POST" else {},
        **panel,
    }
    return render(request, "projects/detail.html", ctx, status=status)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk)


def _warnings(ds: list[Decision]) -> str:
    return "；".join(f"{d.rule_id} {d.reason}" for d in ds if d.reason)


@login_required
@require_POST
def project_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    if action not in ACTIONS:
        raise Http404("未知操作。")
    post = request.POST
    version = int_or_none(post.get("version"))
    level = messages.SUCCESS
    try:
        if action == "submit":
            p, warnings = services.project_submit(actor=actor, project_id=pk, expected_version=version)
            done = f"已提交申报，评审路径：{ROUTES.get(p.route, p.route)}。"
            if warnings:
                done += f"提示：{_warnings(warnings)}。"
                level = messages.WARNING
        elif action == "withdraw":
            services.project_withdraw(
                actor=actor, project_id=pk, expected_version=version, reason=post.get("reason", "")
            )
            done = "项目已撤回。"
        elif action == "draw":
            d = services.expert_draw(
                actor=actor, project_id=pk, expected_version=version, size=int_or_none(post.get("size")) or 0,
                specialty=post.get("specialty", "")[:50], reason=post.get("reason", ""),
            )  # fmt: skip
            done = f"已随机抽取 {d.size} 名评审专家（随机种子 {d.seed}，可据此复现抽取）。"
        elif action == "joint":
            services.joint_review_record(
                actor=actor, project_id=pk, expected_version=version, conclusion=post.get("conclusion", ""),
                participants=post.get("participants", ""), note=post.get("note", ""),
            )  # fmt: skip
            done = "已记录联合评审结论。"
        elif action == "opinion":
            services.centre_opinion_record(
                actor=actor, project_id=pk, expected_version=version, opinion=post.get("opinion", ""),
                text=post.get("text", ""),
            )  # fmt: skip
            done = "已记录大数据中心备案意见。"
        elif action == "approve":
            raw = post.get("approved_amount", "").strip()
            amount = None if not raw else (int(raw) if raw.isdigit() and len(raw) < 16 else -1)
            p, warnings = services.project_approve(
                actor=actor, project_id=pk, expected_version=version, note=post.get("note", ""),
                approved_amount=amount,
            )  # fmt: skip
            done = f"已批准立项，批复文号 {p.approval_number}。"
            if warnings:
                done += f"提示：{_warnings(warnings)}。"
        elif action == "return":
            services.project_return(
                actor=actor, project_id=pk, expected_version=version, reason=post.get("reason", "")
            )
            done = "已退回项目单位修改；修改后须重新提交申报。"
        else:
            services.project_reject(
                actor=actor, project_id=pk, expected_version=version, reason=post.get("reason", "")
            )
            done = "已作出不予立项决定，项目单位会看到理由。"
    except NotFound as exc:
        raise _404(exc) from exc
    except SanbuError as exc:
        return _detail_page(request, pk, error=exc, failed=action, status=exc.status)
    messages.add_message(request, level, done)
    return redirect("project-detail", pk=pk)


# --- the expert's tasks and scoring page ---------------------------------------------------------------


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(SCORE):
        raise Http404("您不是评审专家。")
    rows = list(selectors.assignments_for(actor=actor))
    open_rows = [a for a in rows if a.scored_at is None and a.project.state == ProjectState.IN_REVIEW]
    done_rows = [a for a in rows if a not in open_rows]
    acceptance_rows = acceptance.acceptance_tasks(actor=actor)
    return render(request, "projects/reviews.html", {
        "open_rows": open_rows, "done_rows": done_rows, "acceptance_rows": acceptance_rows,
    })  # fmt: skip


def _score(raw: str) -> int:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) <= 3 else -1


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(SCORE):
        raise Http404("您不是评审专家。")
    try:
        a = selectors.assignment_get(actor=actor, assignment_id=pk)
    except NotFound as exc:
        raise _404(exc) from exc
    error = None
    status = 200
    if request.method == "POST":
        post = request.POST
        try:
            services.expert_score(
                actor=actor, assignment_id=pk, score=_score(post.get("score", "")),
                conclusion=post.get("conclusion", ""), opinion=post.get("opinion", ""),
            )  # fmt: skip
        except NotFound as exc:
            raise _404(exc) from exc
        except SanbuError as exc:
            error, status = error_view(exc), exc.status
        else:
            messages.success(request, f"已提交对“{a.project.name}”的评分。")
            return redirect("project-reviews")
    p = a.project
    attachments = list(p.attachments.defer("data").order_by("material", "id"))
    ctx = {
        "a": a,
        "p": p,
        "route_label": ROUTES.get(p.route, ""),
        "materials": [
            {
                "label": MATERIALS[k],
                "text": (p.materials or {}).get(k, ""),
                "files": [x for x in attachments if x.material == k],
            }
            for k in MATERIAL_KEYS
        ],
        "links": list(p.resources.select_related("resource", "resource__department").order_by("id")),
        "systems": list(p.systems.order_by("name")),
        "plan": [{"label": _label(f), "on": getattr(p, f)} for f in PLAN_ONLY],
        "can_score": a.scored_at is None and a.draw.current and p.state == ProjectState.IN_REVIEW,
        "conclusions": Conclusion.choices,
        "error": error,
        "field_errors": {e["field"]: e["message"] for e in (error.errors if error else [])},
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "projects/review.html", ctx, status=status)


# --- the expert pool -----------------------------------------------------------------------------------


def _pool_places(actor: Actor) -> list[Jurisdiction]:
    if actor.is_superuser:
        codes = set(Department.objects.values_list("jurisdiction_id", flat=True))
    else:
        codes = {a.jurisdiction for a in actor.assignments if EXPERT_MANAGE in a.actions and a.jurisdiction}
    return list(Jurisdiction.objects.filter(code__in=codes).order_by("code"))


def _pool_departments(actor: Actor) -> list[Department]:
    qs = Department.objects.active().select_related("jurisdiction")
    if not actor.is_superuser:
        scope = Q(pk__in=[])
        for prefix in actor.jurisdictions_for(EXPERT_MANAGE):
            scope |= Q(jurisdiction__code__startswith=prefix)
        qs = qs.filter(scope)
    return list(qs.order_by("jurisdiction_id", "name"))


def _split(text: str) -> list[str]:
    for sep in "、，,;；\r\n":
        text = text.replace(sep, " ")
    return [s for s in text.split(" ") if s.strip()]


def _experts_page(
    request: HttpRequest, *, error: Any = None, failed: str = "", failed_expert: int | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:50]
    rows = list(selectors.expert_list(actor=actor, q=q).prefetch_related("conflicts")[:500])
    ctx = {
        "rows": rows,
        "q": q,
        "places": _pool_places(actor),
        "departments": _pool_departments(actor),
        "error": error,
        "failed": failed,
        "failed_expert": failed_expert,
        "field_errors": {e["field"]: e["message"] for e in (error.errors if error else [])},
        "posted": request.POST if request.method == "POST" else {},
        "posted_conflicts": [int_or_none(v) for v in request.POST.getlist("conflicts")]
        if request.method == "POST"
        else [],
    }
    return render(request, "projects/experts.html", ctx, status=status)


@login_required
def experts(request: HttpRequest) -> HttpResponse:
    """GET: the pool. POST: add an expert (专家入库)."""
    actor = actor_of(request)
    if not actor.may(EXPERT_MANAGE):
        raise Http404("您无权管理专家库。")
    if request.method != "POST":
        return _experts_page(request)
    post = request.POST
    username = post.get("username", "").strip()
    try:
        user_id = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise ValidationFailed(
                    "projects.expert.invalid", "专家信息填写有误，请按提示修改。",
                    errors=[FieldError("user_id", "not_found", f"账号“{username[:30]}”不存在，请核对用户名。")],
                )  # fmt: skip
            user_id = user.pk
        e = services.expert_register(
            actor=actor, jurisdiction=post.get("jurisdiction", ""), name=post.get("name", ""),
            employer=post.get("employer", ""), title=post.get("title", ""),
            specialties=_split(post.get("specialties", "")), secrecy=post.get("secrecy") == "on",
            third_party=post.get("third_party") == "on", department_id=int_or_none(post.get("department")),
            conflicts=[i for i in (int_or_none(v) for v in post.getlist("conflicts")) if i is not None],
            user_id=user_id,
        )  # fmt: skip
    except SanbuError as exc:
        return _experts_page(request, error=error_view(exc), failed="add", status=exc.status)
    messages.success(request, f"已将{e.name}（{e.employer}）加入专家库。")
    return redirect("project-experts")


@login_required
@require_POST
def expert_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an expert out of the pool (or back in), with the reason."""
    actor = actor_of(request)
    if not actor.may(EXPERT_MANAGE):
        raise Http404("您无权管理专家库。")
    active = request.POST.get("active") == "1"
    try:
        e: Expert = services.expert_set_active(
            actor=actor, expert_id=pk, active=active, reason=request.POST.get("reason", "")
        )
    except NotFound as exc:
        raise _404(exc) from exc
    except SanbuError as exc:
        return _experts_page(
            request, error=error_view(exc), failed="active", failed_expert=pk, status=exc.status
        )
    messages.success(request, f"已将{e.name}{'恢复入库' if active else '移出专家库'}。")
    return redirect("project-experts")
