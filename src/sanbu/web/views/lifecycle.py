"""建设与验收: one page per approved project for what follows approval, and the finance, plan and O&M pages.

- the project page (``/projects/<pk>/lifecycle/``): construction (responsibilities, start, report periods
  with overdue marks, incidents, change requests), funds (tranches, the ledger, notices; finance pays
  here), acceptance (trial run, materials, the PRJ-K2 check computed from the catalog and the inventory,
  the authority's confirmation, panel, decision, filing) and evaluation (self-evaluation, key evaluation,
  problems, deliverables), each gate's decisions as they stand now;
- the annual plans (``/projects/plans/``), finance's desk (``/projects/funds/``), O&M eligibility by year
  (``/projects/operations/``), and the documents of each (docx and PDF).

Every form is a ``steps.Step`` calling one service; the services check permission and state again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sanbu.core.actor import Actor, Scope, jurisdiction_prefix
from sanbu.core.documents import http_response
from sanbu.core.errors import NotFound, RuleBlocked, SanbuError
from sanbu.inventory.models import MANAGE as SYSTEM_MANAGE
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.policy.rules.acceptance import DELIVERABLES, MATERIALS
from sanbu.projects import (
    acceptance,
    construction,
    evaluation,
    funds,
    lifecycle_documents,
    operations,
    selectors,
)
from sanbu.projects.acceptance import CONFIRMATION
from sanbu.projects.models import (
    APPLY,
    FUNDS_MANAGE,
    PLAN_MANAGE,
    REVIEW,
    SCORE,
    VIEW,
    AcceptanceConclusion,
    AnnualPlan,
    ChangeRequest,
    FundingMode,
    IncidentKind,
    Lifecycle,
    OperationsReview,
    PlanState,
    Problem,
    Project,
    ProjectState,
    RecoveryNotice,
    Tranche,
    TrancheState,
)
from sanbu.projects.services import expert_pool
from sanbu.projects.steps import lifecycle_of
from sanbu.projects.steps import today as local_today

from .common import actor_of, error_view, int_or_none
from .steps import Field, Step, read

GRADES = [(g, g) for g in ("优秀", "良好", "合格", "不合格")]
Values = dict[str, Any]


def _p(actor: Actor, pk: int) -> Project:
    try:
        return selectors.project_get(actor=actor, project_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


# --- the steps of the project page, by who takes them ----------------------------------------------------
# Each call is (actor, project id, the fields read, the version posted); ``done`` is formatted with the fields.


def _unit_steps(p: Project, lc: Lifecycle) -> list[Step]:
    if p.state != ProjectState.APPROVED:
        return [
            Step("self_eval", "报送绩效自评价",
                 lambda a, pk, v, ver: evaluation.self_evaluation_file(actor=a, project_id=pk, report=v["report"]),
                 fields=(Field("report", "自评价报告", "textarea"),), done="已报送绩效自评价报告。",
                 hint="PRJ-E1：验收后 6 至 12 个月内开展绩效自评价。"),
            Step("deliverable", "登记项目成果",
                 lambda a, pk, v, ver: evaluation.deliverable_register(actor=a, project_id=pk, **v),
                 fields=(Field("kind", "成果类型", "choice", choices=list(DELIVERABLES.items())),
                         Field("description", "说明", required=False)),
                 done="已登记成果。", hint="PRJ-E3：项目成果和知识产权归政府所有，须登记。"),
            Step("contract_ip", "合同约定成果归属",
                 lambda a, pk, v, ver: evaluation.contract_ip_record(actor=a, project_id=pk, assigns=v["assigns"]),
                 fields=(Field("assigns", "采购文件和合同约定成果及知识产权归政府所有", "bool",
                               initial=lc.contract_assigns_ip),), done="已记录。"),
        ]  # fmt: skip
    return [
        Step("construction", "建设责任",
             lambda a, pk, v, ver: construction.construction_update(actor=a, project_id=pk, expected_version=ver, **v),
             fields=(Field("responsible_person", "项目责任人", initial=lc.responsible_person),
                     Field("implementing_body", "项目实施机构", initial=lc.implementing_body),
                     Field("supervisor_unit", "工程监理单位", required=False, initial=lc.supervisor_unit),
                     Field("supervision_required", "实行工程监理制", "bool", initial=lc.supervision_required),
                     Field("supervisor_secret_qualified", "监理具备涉密资质", "bool",
                           initial=lc.supervisor_secret_qualified),
                     Field("pilot", "信息惠民国家试点项目", "bool", initial=lc.pilot)),
             hint="PRJ-C1：项目责任人、实施机构须明确，实行工程监理制。", button="保存", versioned=True,
             done="已保存项目责任人、实施机构和监理单位。"),
        Step("start", "开工",
             lambda a, pk, v, ver: construction.construction_start(actor=a, project_id=pk, **v),
             fields=(Field("started_on", "开工日期", "date", initial=lc.started_on),), done="已记录开工日期。",
             hint="PRJ-F2：批复后规则集规定的期限内未开工的，冻结未拨资金并收回已拨资金。"),
        Step("report", "报送建设进度",
             lambda a, pk, v, ver: construction.progress_report_file(actor=a, project_id=pk, **v),
             fields=(Field("period", "报告期", hint="如 2026-H2（半年）、2026-Q4（季度）、2026（年度）"),
                     Field("progress", "形象进度（%）", "int"), Field("spent", "累计完成投资（元）", "int"),
                     Field("content", "进展情况", "textarea")),
             done="已报送 {period} 进度报告。", hint="PRJ-C2：按规则集的报告周期报送，逾期会被标记。"),
        Step("incident", "报告严重逾期或重大损失",
             lambda a, pk, v, ver: construction.incident_report(actor=a, project_id=pk, **v),
             fields=(Field("kind", "类型", "choice", choices=IncidentKind.choices),
                     Field("occurred_on", "发生日期", "date"), Field("description", "情况说明", "textarea")),
             done="已报告。", hint="PRJ-C3：工程严重逾期、投资重大损失等问题应及时报告。"),
        Step("change", "申请变更建设内容",
             lambda a, pk, v, ver: construction.change_request(actor=a, project_id=pk, **v),
             fields=(Field("content", "变更内容", "textarea"), Field("reason", "变更理由", "textarea")),
             done="已提交变更申请，待审批。", hint="PRJ-C4：建设内容不得擅自变更，须经批准。"),
        Step("end", "建设完成",
             lambda a, pk, v, ver: construction.construction_end(actor=a, project_id=pk, **v),
             fields=(Field("ended_on", "建设完成日期", "date", initial=lc.construction_ended_on),),
             done="已记录建设完成日期。"),
        Step("trial_start", "开始试运行",
             lambda a, pk, v, ver: acceptance.trial_run_start(actor=a, project_id=pk, **v),
             fields=(Field("started_on", "试运行开始日期", "date", initial=lc.trial_run_started),),
             done="已记录试运行开始日期。"),
        Step("trial_end", "结束试运行",
             lambda a, pk, v, ver: acceptance.trial_run_end(actor=a, project_id=pk, **v),
             fields=(Field("ended_on", "试运行结束日期", "date", initial=lc.trial_run_ended),
                     Field("normal", "试运行稳定正常", "bool", initial=lc.trial_run_normal)),
             done="已记录试运行结束。"),
        Step("prepare", "验收准备",
             lambda a, pk, v, ver: acceptance.acceptance_prepare(actor=a, project_id=pk, expected_version=ver, **v),
             fields=(Field("final_inspection_done", "已完成终验", "bool", initial=lc.final_inspection_done),
                     Field("dengbao_tested", "等保（分保）测评已通过", "bool", initial=lc.dengbao_tested),
                     Field("materials", "验收材料", "multi", required=False,
                           choices=[(k, v) for k, v in MATERIALS.items() if k != CONFIRMATION],
                           initial=list(lc.materials))),
             hint="PRJ-K3：验收材料齐全；数据共享情况确认书由大数据局确认后自动列入。", button="保存",
             versioned=True, done="已保存验收准备情况。"),
        Step("apply", "申请竣工验收",
             lambda a, pk, v, ver: acceptance.acceptance_apply(actor=a, project_id=pk, **v),
             fields=(Field("extension_reason", "延期验收理由（逾期申请时必填）", "textarea", required=False),),
             done="已提交竣工验收申请。", hint="PRJ-K1：试运行期满后按期申请验收，逾期须提交书面延期申请。"),
    ]  # fmt: skip


def _pool_choices(p: Project) -> list[tuple[str, str]]:
    """The active experts of the project's jurisdiction pool, with employer and whether third-party."""
    experts, _ = expert_pool(p)
    return [(str(e.pk), f"{e.name}（{e.employer}{'，第三方' if e.third_party else ''}）") for e in experts]


def _authority_steps(p: Project, lc: Lifecycle) -> list[Step]:
    reviews = acceptance.panel_reviews(p) if p.state == ProjectState.APPROVED else []
    if p.state != ProjectState.APPROVED:
        return [
            Step("file_report", "验收报告备案", lambda a, pk, v, ver: acceptance.report_file(actor=a, project_id=pk),
                 hint="PRJ-K4：验收报告一个月内报送备案。", button="备案", done="已备案。"),
            Step("key_select", "列入重点绩效评价",
                 lambda a, pk, v, ver: evaluation.key_evaluation_select(actor=a, project_id=pk, **v),
                 fields=(Field("selected", "列入重点绩效评价", "bool", initial=lc.key_evaluation),), done="已保存。"),
            Step("key_grade", "重点绩效评价结果",
                 lambda a, pk, v, ver: evaluation.key_evaluation_grade(actor=a, project_id=pk, **v),
                 fields=(Field("grade", "评价等级", "choice", choices=GRADES, initial=lc.key_evaluation_grade),),
                 done="已记录评价结果。"),
            Step("problem", "限期整改", lambda a, pk, v, ver: evaluation.problem_add(actor=a, project_id=pk, **v),
                 fields=(Field("text", "整改意见"), Field("deadline", "整改期限", "date")), done="已下达整改要求。",
                 hint="PRJ-E2：逾期未整改的，视情通报批评、暂缓安排建设或资金计划、暂停或终止项目。"),
        ]  # fmt: skip
    return [
        Step("confirm", "数据共享情况确认",
             lambda a, pk, v, ver: acceptance.sharing_confirm(actor=a, project_id=pk, expected_version=ver),
             hint="PRJ-K2：按平台记录核对项目承诺提供的每项资源已注册、挂接、发布，系统已对接共享平台；确认时冻结当时的事实。",
             button="确认", versioned=True, done="已确认数据共享情况，快照已存档。"),
        Step("panel_appoint", "指派验收专家",
             lambda a, pk, v, ver: acceptance.panel_appoint(actor=a, project_id=pk, expected_version=ver,
                                                            expert_ids=[int(x) for x in v["expert_ids"]]),
             fields=(Field("expert_ids", "验收专家（本地区专家库）", "multi", required=False,
                           choices=_pool_choices(p), initial=[str(r.expert_id) for r in reviews]),),
             hint="PRJ-K4：从专家库指派验收专家，本单位人员和申报回避的专家须回避；专家在线提交验收意见，"
                  "全部提交且不同意者不足半数方可作出验收决定。有专家提交意见后不能重新指派。",
             button="指派", versioned=True, done="已指派验收专家。"),
        Step("panel", "验收小组", lambda a, pk, v, ver: acceptance.panel_record(actor=a, project_id=pk, **v),
             fields=(Field("members", "人数", "int", initial=lc.panel_members or None),
                     Field("third_party", "其中第三方专家", "int", initial=lc.panel_third_party or None),
                     Field("names", "成员", initial=lc.panel_names)),
             hint="PRJ-K4：3 人以上单数，较大项目 5 人以上单数，第三方专家不少于三分之二。", done="已记录验收小组。"),
        Step("accept", "验收结论",
             lambda a, pk, v, ver: acceptance.acceptance_decide(actor=a, project_id=pk, expected_version=ver, **v),
             fields=(Field("opinion", "验收意见", "textarea"),), button="验收通过", versioned=True,
             version_of="project", done="项目已通过竣工验收。"),
        Step("force_majeure", "认定不可抗力",
             lambda a, pk, v, ver: funds.force_majeure_record(actor=a, project_id=pk, **v),
             fields=(Field("reason", "不可抗力原因", "textarea", initial=lc.force_majeure),),
             hint="PRJ-F2：因不可抗力未按期开工的，不收回资金。", done="已记录不可抗力原因。"),
        Step("funding_mode", "资金拨付方式",
             lambda a, pk, v, ver: funds.funding_mode_set(actor=a, project_id=pk, **v),
             fields=(Field("mode", "方式", "choice", choices=FundingMode.choices, initial=lc.funding_mode),),
             hint="PRJ-F4：后补助项目考核验收后拨付；已拨付后不能更改。", done="已设置资金拨付方式。"),
        Step("unapproved", "记录擅自变更",
             lambda a, pk, v, ver: construction.change_record_unapproved(actor=a, project_id=pk, **v),
             fields=(Field("content", "变更内容", "textarea"), Field("note", "说明", "textarea")), done="已记录。"),
    ]  # fmt: skip


def _finance_steps(p: Project, lc: Lifecycle) -> list[Step]:
    post_subsidy = lc.funding_mode == FundingMode.POST_SUBSIDY
    startup = (
        (Field("startup", "启动资金（考核验收前拨付的部分资金）", "bool", required=False),)
        if post_subsidy
        else ()
    )
    return [
        Step("schedule", "安排拨付批次",
             lambda a, pk, v, ver: funds.tranche_schedule(actor=a, project_id=pk, **v),
             fields=(Field("amount", "金额（元）", "int"), Field("purpose", "拨付依据", required=False), *startup),
             done="已安排拨付批次。",
             hint="安排与已拨付合计不超过核定投资。" + ("后补助项目考核验收通过后拨付奖励资金；启动资金可先行拨付，"
                                                        "合计少于核定投资（PRJ-F4）。" if post_subsidy else "")),
        *([Step("lift", "解除资金冻结",
                lambda a, pk, v, ver: funds.freeze_lift(actor=a, project_id=pk, expected_version=ver, **v),
                fields=(Field("reason", "解除理由", "textarea"),), versioned=True, done="已解除资金冻结。",
                hint="PRJ-F2：逾期未开工被冻结的资金，经复核认定不可抗力（由主管部门登记）后方可解除；"
                     "已收回的资金不再退回，需重新安排拨付批次。")] if lc.funds_frozen else []),
        Step("close", "竣工财务决算",
             lambda a, pk, v, ver: funds.funds_close(actor=a, project_id=pk, expected_version=ver, **v),
             fields=(Field("balance", "结余资金（元）", "int"), Field("returned", "已交回（元）", "int"),
                     Field("goals_or_content_changed", "建设目标或内容经批准变更", "bool")),
             hint="PRJ-F3：目标和内容未变更的结余资金应交回财政。", versioned=True, done="已办理竣工财务决算。"),
    ]  # fmt: skip


def _steps(actor: Actor, p: Project, lc: Lifecycle) -> dict[str, list[Step]]:
    scope = p.scope()
    return {
        "unit": _unit_steps(p, lc) if actor.can(APPLY, scope) else [],
        "authority": _authority_steps(p, lc) if actor.can(REVIEW, scope) else [],
        "finance": _finance_steps(p, lc) if actor.can(FUNDS_MANAGE, scope) else [],
    }


def _step(actor: Actor, p: Project, key: str) -> Step:
    for steps in _steps(actor, p, lifecycle_of(p)).values():
        for s in steps:
            if s.key == key:
                return s
    raise Http404("未知操作。")


def _lifecycle_ctx(actor: Actor, p: Project) -> dict[str, Any]:
    today = local_today()
    lc = lifecycle_of(p)
    approved = p.state == ProjectState.APPROVED
    gates: list[tuple[str, str, Any]] = [("F", "资金拨付关口（F）", funds.funds_decisions(p, today))]
    if approved:
        gates += [("C", "建设管理（C）", construction.construction_decisions(p, today)),
                  ("K", "竣工验收关口（K）", acceptance.acceptance_decisions(p, today))]  # fmt: skip
    else:
        gates.append(("E", "绩效评价（E）", evaluation.evaluation_decisions(p, today)))
    tranches = list(p.tranches.order_by("number"))
    return {
        "p": p,
        "lc": lc,
        "approved": approved,
        "gates": gates,
        "summary": funds.ledger_summary(p),
        "tranches": tranches,
        "ledger": list(p.ledger.select_related("tranche").order_by("id")),
        "notices": list(p.recovery_notices.order_by("-id")),
        "plan_entries": list(p.plan_entries.select_related("plan").order_by("plan__year")),
        "schedule": construction.report_schedule(p, today) if approved else [],
        "reports": list(p.progress_reports.order_by("period")),
        "incidents": list(p.incidents.all()),
        "changes": list(p.change_requests.all()),
        "sharing": acceptance.sharing_check(p, today) if approved else [],
        "panel_reviews": acceptance.panel_reviews(p),
        "problems": list(p.problems.all()),
        "deliverables": [DELIVERABLES.get(d.kind, d.kind) for d in p.deliverables.all()],
        "materials": [MATERIALS.get(m, m) for m in lc.materials],
        "can_pay": actor.can(FUNDS_MANAGE, p.scope()),
        "can_decide_change": actor.can(REVIEW, p.scope()),
        "can_fix": actor.can(REVIEW, p.scope()),
        "steps": _steps(actor, p, lc),
        "who_labels": (("unit", "项目单位"), ("authority", "大数据局"), ("finance", "财政部门")),
        "doc_base": reverse("project-lifecycle", args=[p.pk]),
    }


def _posted(request: HttpRequest) -> dict[str, Any]:
    """What was posted, to fill a failed form again: ``posted`` (one value a field) and ``posted_lists``."""
    if request.method != "POST":
        return {"posted": {}, "posted_lists": {}}
    return {"posted": request.POST, "posted_lists": {k: request.POST.getlist(k) for k in request.POST}}


def _page(request: HttpRequest, p: Project, *, error: SanbuError | None = None, failed: str = "",
          status: int = 200) -> HttpResponse:  # fmt: skip
    actor = actor_of(request)
    ctx = _lifecycle_ctx(actor, p)
    ev = error_view(error) if error is not None else None
    ctx |= {
        "error": ev,
        "blocked": list(error.decisions) if isinstance(error, RuleBlocked) else [],
        "field_errors": {e["field"]: e["message"] for e in (ev.errors if ev else [])},
        "failed": failed,
        **_posted(request),
    }
    return render(request, "lifecycle/project.html", ctx, status=status)


@login_required
def project_lifecycle(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    p = _p(actor, pk)
    if p.state not in (ProjectState.APPROVED, ProjectState.ACCEPTED):
        raise Http404("项目尚未立项。")
    if request.method != "POST":
        return _page(request, p)
    key = request.POST.get("step", "")
    step = _step(actor, p, key)
    try:
        values = read(step, request.POST, request.POST.getlist)
        step.call(actor, p.pk, values, int_or_none(request.POST.get("version")))
        done = step.done.format(**values)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except SanbuError as exc:
        return _page(request, _p(actor, pk), error=exc, failed=key, status=exc.status)
    messages.success(request, done)
    return redirect("project-lifecycle", pk=pk)


@login_required
@require_POST
def lifecycle_item(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    """Actions on one row of the project page: pay a tranche, decide a change or settle an unapproved one,
    confirm a fix."""
    actor = actor_of(request)
    version = int_or_none(request.POST.get("version"))
    try:
        if kind == "tranche" and action == "pay":
            t, _ = funds.tranche_pay(actor=actor, tranche_id=pk, expected_version=version,
                                     voucher=request.POST.get("voucher", ""))  # fmt: skip
            project_id, done = t.project_id, f"第 {t.number} 批资金已拨付。"
        elif kind == "change" and action in ("approve", "reject"):
            c = construction.change_decide(actor=actor, change_id=pk, expected_version=version,
                                           approve=action == "approve", note=request.POST.get("note", ""))  # fmt: skip
            project_id, done = c.project_id, "已批准变更。" if action == "approve" else "已不予批准变更。"
        elif kind == "change" and action in ("ratify", "restore"):
            c = construction.change_settle_unapproved(actor=actor, change_id=pk, expected_version=version,
                                                      ratify=action == "ratify", note=request.POST.get("note", ""))  # fmt: skip
            project_id, done = (
                c.project_id,
                "已登记补办审批。" if action == "ratify" else "已确认恢复批复内容。",
            )
        elif kind == "problem" and action == "fixed":
            pr = evaluation.problem_fixed(actor=actor, problem_id=pk)
            project_id, done = pr.project_id, "已确认整改完成。"
        else:
            raise Http404("未知操作。")
    except NotFound as exc:
        raise Http404(exc.message) from None
    except SanbuError as exc:
        owners: dict[str, type[Tranche | ChangeRequest | Problem]] = {
            "tranche": Tranche, "change": ChangeRequest, "problem": Problem,
        }  # fmt: skip
        row = owners[kind]._default_manager.filter(pk=pk).values_list("project_id", flat=True).first()
        if row is None:
            raise Http404("记录不存在。") from None
        return _page(request, _p(actor, row), error=exc, failed=f"{kind}-{pk}", status=exc.status)
    messages.success(request, done)
    return redirect("project-lifecycle", pk=project_id)


# --- the acceptance panel's expert -------------------------------------------------------------------------


@login_required
def acceptance_review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An appointed expert's acceptance task: the project, its PRJ-K2 check and gate K as they stand now,
    the acceptance materials, and the form for the conclusion and opinion (``acceptance_review``)."""
    actor = actor_of(request)
    if not actor.may(SCORE):
        raise Http404("您不是评审专家。")
    try:
        r = acceptance.acceptance_task_get(actor=actor, review_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    error: SanbuError | None = None
    if request.method == "POST":
        try:
            acceptance.acceptance_review(actor=actor, review_id=pk, conclusion=request.POST.get("conclusion", ""),
                                         opinion=request.POST.get("opinion", ""))  # fmt: skip
        except NotFound as exc:
            raise Http404(exc.message) from None
        except SanbuError as exc:
            error = exc
            r = acceptance.acceptance_task_get(actor=actor, review_id=pk)
        else:
            messages.success(request, f"已提交对“{r.project.name}”的验收意见。")
            return redirect("project-reviews")
    p = r.project
    lc = lifecycle_of(p)
    approved = p.state == ProjectState.APPROVED
    today = local_today()
    present = set(lc.materials) | ({CONFIRMATION} if lc.confirmation is not None else set())
    ev = error_view(error) if error else None
    return render(request, "lifecycle/acceptance_review.html", {
        "r": r, "p": p, "lc": lc, "approved": approved,
        "sharing": acceptance.sharing_check(p, today) if approved else [],
        "decisions": acceptance.acceptance_decisions(p, today) if approved else [],
        "materials": [{"label": label, "present": k in present} for k, label in MATERIALS.items()],
        "can_review": r.reviewed_at is None and approved,
        "conclusions": [(v, label) for v, label in AcceptanceConclusion.choices if v],
        "error": ev, "field_errors": {e["field"]: e["message"] for e in (ev.errors if ev else [])},
        "posted": request.POST if request.method == "POST" else {},
    }, status=error.status if error else 200)  # fmt: skip


# --- documents ----------------------------------------------------------------------------------------


def _fmt(fmt: str) -> Any:
    if fmt not in ("docx", "pdf"):
        raise Http404("未知的文件格式。")
    return fmt


@login_required
def acceptance_doc(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    p = _p(actor_of(request), pk)
    if p.state != ProjectState.ACCEPTED:
        raise Http404("项目尚未通过验收。")
    return http_response(lifecycle_documents.acceptance_report(p), _fmt(fmt), f"竣工验收报告-{p.name}")


@login_required
def funds_notice_doc(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    t = Tranche.objects.filter(pk=pk, state=TrancheState.PAID).first()
    if t is None:
        raise Http404("拨付记录不存在。")
    _p(actor_of(request), t.project_id)
    return http_response(lifecycle_documents.funds_notice(t), _fmt(fmt), f"资金拨付通知-第{t.number}批")


@login_required
def recovery_doc(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    n = RecoveryNotice.objects.filter(pk=pk).first()
    if n is None:
        raise Http404("通知不存在。")
    _p(actor_of(request), n.project_id)
    return http_response(lifecycle_documents.recovery_notice(n), _fmt(fmt), f"资金收回通知-{n.number}")


# --- plans, finance's desk, O&M -----------------------------------------------------------------------


def _places(actor: Actor, action: str) -> list[Jurisdiction]:
    """The jurisdictions the actor acts in: where granted jurisdiction-wide, else their departments'."""
    qs = Jurisdiction.objects.order_by("code")
    if actor.is_superuser:
        used = set(Project.objects.values_list("jurisdiction_id", flat=True).distinct())
        used |= set(InformationSystem.objects.values_list("jurisdiction_id", flat=True).distinct())
        return list(qs.filter(code__in=used))
    codes = {c.ljust(6, "0") for c in actor.jurisdictions_for(action)}
    codes |= set(
        Department.objects.filter(pk__in=actor.departments_for(action)).values_list(
            "jurisdiction_id", flat=True
        )
    )
    return list(qs.filter(code__in=codes))


def _jurisdiction_of(actor: Actor, action: str, code: str | None) -> Jurisdiction:
    places = _places(actor, action) or _places(actor, VIEW) or _places(actor, SYSTEM_MANAGE)
    if not places:
        raise Http404("您无权办理。")
    return next((j for j in places if j.code == code), places[0])


PLAN_CREATE = Step("create", "新建年度计划", lambda a, code, v, ver: funds.plan_create(actor=a, jurisdiction=code, **v),
                   fields=(Field("year", "计划年度", "int"),), done="已新建 {year} 年度建设计划。")  # fmt: skip


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权查看。")
    place = _jurisdiction_of(actor, VIEW, request.GET.get("j") or request.POST.get("j"))
    error: SanbuError | None = None
    if request.method == "POST":
        try:
            values = read(PLAN_CREATE, request.POST, request.POST.getlist)
            plan = PLAN_CREATE.call(actor, place.code, values, None)
            assert isinstance(plan, AnnualPlan)
            messages.success(request, PLAN_CREATE.done.format(**values))
            return redirect("project-plan", pk=plan.pk)
        except SanbuError as exc:
            error = exc
    rows = funds.plan_list(actor=actor)
    ev = error_view(error) if error else None
    return render(request, "lifecycle/plans.html", {
        "plans": rows, "place": place, "can_manage": actor.can(PLAN_MANAGE, Scope(jurisdiction=place.code)),
        "step": PLAN_CREATE, "error": ev, "failed": "create" if ev else "",
        "field_errors": {e["field"]: e["message"] for e in (ev.errors if ev else [])},
        **_posted(request),
    }, status=error.status if error else 200)  # fmt: skip


def _plan_steps(plan: AnnualPlan) -> list[Step]:
    candidates = (
        Project.objects.filter(jurisdiction_id=plan.jurisdiction_id, state=ProjectState.APPROVED)
        .exclude(plan_entries__plan=plan).select_related("unit").order_by("name")[:500]
    )  # fmt: skip
    dynamic = plan.state == PlanState.ISSUED
    add = Step(
        "add", "列入计划" + ("（动态新增）" if dynamic else ""),
        lambda a, pk, v, ver: funds.plan_add(actor=a, plan_id=pk, project_id=int(v["project_id"]), amount=v["amount"],
                                             expected_version=ver, basis=v.get("basis", "")),
        fields=(Field("project_id", "已立项项目", "choice", choices=[(str(c.pk), f"{c.name}（{c.unit.name}）")
                                                                for c in candidates]),
                Field("amount", "年度计划金额（元）", "int"),
                *((Field("basis", "动态新增依据（抄告单或会议纪要文号）"),) if dynamic else ())),
        hint="计划下达后新增的项目为动态新增，须另行批准后方可拨付（PRJ-F1）。" if dynamic else "",
        versioned=True, done="已列入计划。",
    )  # fmt: skip
    if dynamic:
        return [add]
    issue = Step("issue", "下达计划", lambda a, pk, v, ver: funds.plan_issue(actor=a, plan_id=pk, expected_version=ver, **v),
                 fields=(Field("document_number", "计划文号"),), versioned=True, button="下达", done="计划已下达。")  # fmt: skip
    return [add, issue]


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        plan = funds.plan_get(actor=actor, plan_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    can_manage = actor.can(PLAN_MANAGE, plan.scope())
    steps = _plan_steps(plan) if can_manage else []
    error: SanbuError | None = None
    failed = ""
    if request.method == "POST":
        key = request.POST.get("step", "")
        try:
            if key == "approve_addition":
                funds.plan_addition_approve(actor=actor, entry_id=int_or_none(request.POST.get("entry")) or 0,
                                            basis=request.POST.get("basis", ""))  # fmt: skip
                done = "已批准动态新增。"
            else:
                step = next((s for s in steps if s.key == key), None)
                if step is None:
                    raise Http404("未知操作。")
                values = read(step, request.POST, request.POST.getlist)
                step.call(actor, pk, values, int_or_none(request.POST.get("version")))
                done = step.done.format(**values)
            messages.success(request, done)
            return redirect("project-plan", pk=pk)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except SanbuError as exc:
            error, failed = exc, key
            plan = funds.plan_get(actor=actor, plan_id=pk)
            steps = _plan_steps(plan)
    ev = error_view(error) if error else None
    return render(request, "lifecycle/plan.html", {
        "plan": plan, "entries": list(plan.entries.select_related("project", "project__unit")),
        "steps": steps, "can_manage": can_manage, "error": ev, "failed": failed,
        "blocked": list(error.decisions) if isinstance(error, RuleBlocked) else [],
        "field_errors": {e["field"]: e["message"] for e in (ev.errors if ev else [])},
        **_posted(request),
    }, status=error.status if error else 200)  # fmt: skip


@login_required
def funds_desk(request: HttpRequest) -> HttpResponse:
    """Finance's desk: approved projects with their ledger, what gate F says now, and the recovery sweep."""
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权查看。")
    place = _jurisdiction_of(actor, FUNDS_MANAGE, request.GET.get("j") or request.POST.get("j"))
    can_pay = actor.can(FUNDS_MANAGE, Scope(jurisdiction=place.code))
    if request.method == "POST" and can_pay:
        try:
            found = funds.recovery_sweep(actor=actor, jurisdiction=place.code)
            messages.success(request, f"核查完成：新发出资金收回通知 {len(found)} 份。")
        except SanbuError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('project-funds')}?j={place.code}")
    projects = list(
        Project.objects.visible_to(actor).filter(state__in=(ProjectState.APPROVED, ProjectState.ACCEPTED),
                                                 jurisdiction_id=place.code).select_related("unit")
        .order_by("-decided_at")[:200]
    )  # fmt: skip
    rows = [{"p": p, "s": funds.ledger_summary(p)} for p in projects]
    notices = list(
        RecoveryNotice.objects.filter(project__in=projects).select_related("project").order_by("-id")[:50]
    )
    return render(request, "lifecycle/funds.html", {"rows": rows, "place": place, "can_pay": can_pay,
                                                    "notices": notices})  # fmt: skip


def _own_systems(actor: Actor) -> list[InformationSystem]:
    """The running systems the actor manages (may ask O&M funds for), by name."""
    if not actor.may(SYSTEM_MANAGE):
        return []
    mine = Q(department_id__in=actor.departments_for(SYSTEM_MANAGE))
    for prefix in actor.jurisdictions_for(SYSTEM_MANAGE):
        mine |= Q(jurisdiction__code__startswith=prefix)
    qs = InformationSystem.objects.filter(status=SystemStatus.RUNNING).select_related("department")
    return list((qs if actor.is_superuser else qs.filter(mine)).order_by("name", "id")[:300])


def _operations_request(systems: list[InformationSystem], year: int) -> Step:
    return Step(
        "request", "申请运维经费",
        lambda a, _, v, ver: operations.operations_request(
            actor=a, system_id=int(v["system"]), year=year, requested_budget=v["requested_budget"],
            last_budget=v["last_budget"],
        ),
        fields=(Field("system", "信息系统", "choice", choices=[(str(s.pk), f"{s.name}（{s.department.name}）")
                                                             for s in systems]),
                Field("requested_budget", "申请金额（元）", "int"),
                Field("last_budget", "上年运维经费（元，可选）", "int", required=False)),
        hint="大数据局核查前可修改申请；修改后须重新核查（PRJ-O1、PRJ-O3）。", done="已提交运维经费申请。",
    )  # fmt: skip


@login_required
def operations_page(request: HttpRequest) -> HttpResponse:
    """O&M eligibility of a year: the authority runs gate O over every running system; units request."""
    actor = actor_of(request)
    if not (actor.may(VIEW) or actor.may(SYSTEM_MANAGE)):
        raise Http404("您无权查看。")
    year = int_or_none(request.GET.get("year") or request.POST.get("year")) or local_today().year
    place = _jurisdiction_of(actor, REVIEW, request.GET.get("j") or request.POST.get("j"))
    can_check = actor.can(REVIEW, Scope(jurisdiction=place.code))
    own_systems = _own_systems(actor)
    ask = _operations_request(own_systems, year)
    here = f"{reverse('project-operations')}?j={place.code}&year={year}"
    error: SanbuError | None = None
    failed = ""
    if request.method == "POST":
        key = request.POST.get("step", "")
        try:
            if key == "check" and can_check:
                checked = operations.operations_check(actor=actor, jurisdiction=place.code, year=year)
                messages.success(request, f"已核查 {len(checked)} 个运行中的信息系统。")
            elif key == "request" and own_systems:
                ask.call(actor, 0, read(ask, request.POST, request.POST.getlist), None)
                messages.success(request, ask.done)
            else:
                raise Http404("未知操作。")
            return redirect(here)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except SanbuError as exc:
            error, failed = exc, key
    rows = operations.eligibility_list(actor=actor, jurisdiction=place.code, year=year)
    ev = error_view(error) if error else None
    return render(request, "lifecycle/operations.html", {
        "rows": rows, "year": year, "place": place, "can_check": can_check, "step": ask if own_systems else None,
        "here": here, "years": list(range(local_today().year - 2, local_today().year + 2)), "error": ev,
        "failed": failed, "field_errors": {e["field"]: e["message"] for e in (ev.errors if ev else [])},
        **_posted(request),
    }, status=error.status if error else 200)  # fmt: skip


@login_required
def operations_doc(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    actor = actor_of(request)
    place = _jurisdiction_of(actor, VIEW, request.GET.get("j"))
    rows = list(
        OperationsReview.objects.filter(
            year=year, system__in=InformationSystem.objects.visible_to(actor),
            system__jurisdiction__code__startswith=jurisdiction_prefix(place.code),
        ).select_related("system", "system__department")
    )  # fmt: skip
    return http_response(lifecycle_documents.operations_list(place.name, year, rows), _fmt(fmt),
                         f"运维经费资格清单-{year}")  # fmt: skip
