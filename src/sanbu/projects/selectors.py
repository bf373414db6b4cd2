"""Reads of projects, restricted to what the actor may see (missing and forbidden both 404)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When

from sanbu.catalog.models import Resource
from sanbu.catalog.models import ResourceState as CatalogState
from sanbu.core.actor import Actor, jurisdiction_prefix
from sanbu.core.errors import NotFound
from sanbu.core.models import ChangeRecord
from sanbu.orgs.models import Department
from sanbu.policy.rulesets import ancestors

from .models import (
    APPLY,
    REVIEW,
    REVIEW_STATES,
    SCORE,
    Attachment,
    Expert,
    ExpertAssignment,
    GateRecord,
    Lifecycle,
    Project,
    ProjectState,
)

SIDES = ("all", "mine", "desk")
ROUTE_ORDER = ["self_review", "expert_panel", "joint_panel", "province"]


def project_list(
    *, actor: Actor, side: str = "all", state: str = "", route: str = "", q: str = ""
) -> QuerySet[Project]:
    """``mine``: the actor's unit's applications; ``desk``: those waiting for review in the actor's
    jurisdictions; ``all``: everything visible."""
    qs = Project.objects.visible_to(actor).select_related("unit", "jurisdiction")
    if side == "mine":
        qs = qs.filter(unit_id__in=actor.departments_for(APPLY) or [actor.department_id or 0])
    elif side == "desk":
        scope = Q(pk__in=[])
        for prefix in actor.jurisdictions_for(REVIEW):
            scope |= Q(jurisdiction__code__startswith=prefix)
        qs = (
            qs.filter(scope, state__in=REVIEW_STATES)
            if not actor.is_superuser
            else qs.filter(state__in=REVIEW_STATES)
        )
    if state:
        qs = qs.filter(state=state)
    if route:
        qs = qs.filter(route=route)
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(unit__name__icontains=q.strip()))
    return qs.order_by("-updated_at", "-id")


def project_get(*, actor: Actor, project_id: int) -> Project:
    project = (
        Project.objects.visible_to(actor).select_related("unit", "jurisdiction").filter(pk=project_id).first()
    )
    if project is None:
        raise NotFound("projects.project.not_found", "项目不存在或您无权查看。", project_id=project_id)
    return project


def desk(*, actor: Actor) -> dict[str, list[Project]]:
    """The review desk by tier (PRJ-A1 route), in the route order."""
    groups: dict[str, list[Project]] = defaultdict(list)
    for p in project_list(actor=actor, side="desk"):
        groups[p.route or "expert_panel"].append(p)
    return {r: groups[r] for r in ROUTE_ORDER if groups.get(r)}


def assignments_for(*, actor: Actor, open_only: bool = False) -> QuerySet[ExpertAssignment]:
    """The expert's own review tasks (current draws)."""
    if actor.user_id is None or not actor.may(SCORE):
        return ExpertAssignment.objects.none()
    qs = ExpertAssignment.objects.filter(expert__user_id=actor.user_id, draw__current=True).select_related(
        "project", "project__unit", "draw"
    )
    if open_only:
        qs = qs.filter(scored_at__isnull=True, project__state=ProjectState.IN_REVIEW)
    return qs.order_by("scored_at", "-id")


def assignment_get(*, actor: Actor, assignment_id: int) -> ExpertAssignment:
    a = assignments_for(actor=actor).filter(pk=assignment_id).first()
    if a is None:
        raise NotFound("projects.assignment.not_found", "评审任务不存在或不属于您。")
    return a


def panel(project: Project) -> list[ExpertAssignment]:
    return list(project.assignments.filter(draw__current=True).select_related("expert").order_by("id"))


def expert_list(*, actor: Actor, q: str = "") -> QuerySet[Expert]:
    qs = Expert.objects.visible_to(actor).select_related("department", "jurisdiction")
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(employer__icontains=q.strip()))
    return qs.order_by("-active", "id")


def gate_record(project: Project, gate: str) -> GateRecord | None:
    return project.gate_records.filter(gate=gate).order_by("-id").first()


HISTORY_LABELS = {
    "projects.project.create": "创建申报",
    "projects.project.update": "修改申报",
    "projects.attachment.add": "上传材料",
    "projects.attachment.remove": "删除材料",
    "projects.project.submit": "提交申报（通过申报关口）",
    "projects.project.withdraw": "撤回",
    "projects.expert.draw": "随机抽取评审专家",
    "projects.expert.score": "专家评分",
    "projects.project.reviewed": "专家评审完成",
    "projects.project.joint_review": "联合评审",
    "projects.project.centre_opinion": "大数据中心备案意见",
    "projects.project.approve": "立项批复",
    "projects.project.reject": "不予立项",
    "projects.project.return": "退回修改",
    # after approval
    "projects.project.accept": "竣工验收通过",
    "projects.plan.add": "列入年度计划", "projects.plan.addition_approve": "批准动态新增",
    "projects.funds.mode": "设置资金拨付方式", "projects.funds.force_majeure": "认定不可抗力",
    "projects.tranche.schedule": "安排拨付批次", "projects.tranche.pay": "拨付资金（通过资金关口）",
    "projects.funds.recovery_notice": "发出资金收回通知",
    "projects.funds.freeze_lift": "解除资金冻结（认定不可抗力）", "projects.funds.close": "竣工财务决算",
    "projects.construction.update": "填报建设责任", "projects.construction.start": "登记开工",
    "projects.construction.end": "登记建设完成", "projects.progress_report.file": "报送建设进度报告",
    "projects.incident.report": "报告严重逾期或重大损失", "projects.change.request": "申请变更建设内容",
    "projects.change.decide": "审批变更申请", "projects.change.record_unapproved": "登记未经批准的变更",
    "projects.change.settle": "处理擅自变更（补办审批或恢复）",
    "projects.acceptance.trial_run_start": "开始试运行", "projects.acceptance.trial_run_end": "结束试运行",
    "projects.acceptance.prepare": "验收准备", "projects.acceptance.apply": "申请竣工验收",
    "projects.acceptance.sharing_confirm": "数据共享情况确认", "projects.acceptance.panel_record": "组建验收小组",
    "projects.acceptance.report_file": "验收报告备案",
    "projects.evaluation.self_file": "报送绩效自评报告", "projects.evaluation.key_select": "选取重点绩效评价",
    "projects.evaluation.key_grade": "录入重点绩效评价结果", "projects.problem.add": "下达整改要求",
    "projects.problem.fixed": "确认整改完成", "projects.deliverable.register": "登记项目成果",
    "projects.contract_ip.record": "登记合同成果归属",
}  # fmt: skip


def history(project: Project, *, reveal_experts: bool = True) -> list[dict[str, Any]]:
    """The project's change records as steps (from the audit chain itself). Without ``reveal_experts``
    (an applicant or another expert while the panel is still scoring) who scored is not shown."""
    rows = ChangeRecord.objects.filter(object_type="projects.project", object_id=str(project.pk)).order_by(
        "seq"
    )
    hidden = set() if reveal_experts else {"projects.expert.score"}
    return [
        {
            "label": HISTORY_LABELS.get(r.action, r.action),
            "action": r.action,
            "actor": "评审专家" if r.action in hidden else r.actor_username,
            "at": r.created_at,
            "seq": r.seq,
            "seed": (r.after or {}).get("seed", "") if r.after else "",
        }
        for r in rows
    ]


def lifecycle_history(project: Project) -> list[dict[str, Any]]:
    """The change records of everything after approval: the project's own, its lifecycle record, plan
    entries, tranches, recovery notices, reports, incidents, changes, problems and deliverables."""
    from django.db.models import Q

    related = {
        "projects.lifecycle": Lifecycle.objects.filter(project=project),
        "projects.planentry": project.plan_entries.all(),
        "projects.tranche": project.tranches.all(),
        "projects.recoverynotice": project.recovery_notices.all(),
        "projects.progressreport": project.progress_reports.all(),
        "projects.incidentreport": project.incidents.all(),
        "projects.changerequest": project.change_requests.all(),
        "projects.problem": project.problems.all(),
        "projects.deliverable": project.deliverables.all(),
    }
    cond = Q(object_type="projects.project", object_id=str(project.pk), action__in=AFTER_APPROVAL_ACTIONS)
    for object_type, qs in related.items():
        ids = [str(pk) for pk in qs.values_list("pk", flat=True)]
        if ids:
            cond |= Q(object_type=object_type, object_id__in=ids)
    return [
        {"label": HISTORY_LABELS.get(r.action, r.action), "action": r.action, "actor": r.actor_username,
         "at": r.created_at, "seq": r.seq}
        for r in ChangeRecord.objects.filter(cond).order_by("seq")
    ]  # fmt: skip


AFTER_APPROVAL_ACTIONS = ("projects.project.accept",)


# Catalog states an application may declare it will use (not 已退回 or 已下线).
DECLARABLE_STATES = (CatalogState.DRAFT, CatalogState.SUBMITTED, CatalogState.APPROVED, CatalogState.MOUNTED,
                     CatalogState.PUBLISHED)  # fmt: skip


def attachment_get(*, actor: Actor, attachment_id: int) -> Attachment:
    """A material file, visible to whoever may see its project (missing and forbidden both 404)."""
    att = Attachment.objects.select_related("project").filter(pk=attachment_id).first()
    if att is None or not Project.objects.visible_to(actor).filter(pk=att.project_id).exists():
        raise NotFound("projects.attachment.not_found", "附件不存在或您无权查看。")
    return att


def declarable_resources(
    *, unit: Department, q: str = "", ids: Sequence[int] | None = None, limit: int = 20
) -> list[Resource]:
    """Catalog resources of the unit's jurisdiction tree (its own, its ancestors' and those below it) that
    an application may declare it will use: published ones and registered ones not yet published (those
    become 供需对接 needs on submission). Only the register's public particulars are shown from them."""
    code = unit.jurisdiction_id
    qs = Resource.objects.filter(
        Q(jurisdiction_id__in=ancestors(code)) | Q(jurisdiction__code__startswith=jurisdiction_prefix(code)),
        state__in=DECLARABLE_STATES,
    ).select_related("department")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    text = q.strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text) | Q(code__icontains=text) | Q(department__name__icontains=text)
        )
    published_first = Case(When(state=CatalogState.PUBLISHED, then=Value(0)), default=Value(1))
    return list(qs.order_by(published_first, "name", "id")[:limit])


def panel_progress(project_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each project, (scored, drawn) of its current panel, in one query."""
    out: dict[int, tuple[int, int]] = {}
    rows = (
        ExpertAssignment.objects.filter(project_id__in=project_ids, draw__current=True)
        .order_by()
        .values("project_id")
        .annotate(drawn=Count("id"), scored=Count("id", filter=Q(scored_at__isnull=False)))
    )
    for r in rows:
        out[r["project_id"]] = (r["scored"], r["drawn"])
    return out


@dataclass(frozen=True)
class RegisterEntry:
    """One project in the register of results owned by the government (成果登记, PRJ-E3)."""

    project: Project
    deliverables: list[Any]  # Deliverable rows, by kind
    missing: list[str]  # required kinds (ruleset ``projects.required_deliverables``) not registered, in words
    contract_assigns_ip: bool


def deliverable_register(*, actor: Actor, jurisdiction: str = "", kind: str = "") -> list[RegisterEntry]:
    """Accepted projects the actor sees (of ``jurisdiction`` and below, when given) with the results
    registered as the government's and those still missing; ``kind`` keeps the projects holding that kind."""
    from sanbu.core.actor import jurisdiction_prefix
    from sanbu.policy.rules.acceptance import DELIVERABLES, REQUIRED_DELIVERABLES

    from .models import Deliverable
    from .steps import ruleset_of

    projects = Project.objects.visible_to(actor).filter(state=ProjectState.ACCEPTED).select_related("unit")
    if jurisdiction:
        projects = projects.filter(jurisdiction__code__startswith=jurisdiction_prefix(jurisdiction))
    if kind:
        projects = projects.filter(deliverables__kind=kind)
    chosen = list(projects.order_by("unit__name", "name")[:1000])
    held: dict[int, list[Deliverable]] = {}
    for d in Deliverable.objects.filter(project__in=chosen).order_by("kind", "id"):
        held.setdefault(d.project_id, []).append(d)
    ip = dict(Lifecycle.objects.filter(project__in=chosen).values_list("project_id", "contract_assigns_ip"))
    out = []
    for p in chosen:
        required = ruleset_of(p).parameters[REQUIRED_DELIVERABLES].value
        have = {d.kind for d in held.get(p.pk, [])}
        out.append(RegisterEntry(p, held.get(p.pk, []), [DELIVERABLES.get(k, k) for k in required if k not in have],
                                 bool(ip.get(p.pk))))  # fmt: skip
    return out
