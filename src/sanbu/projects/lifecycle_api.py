"""Projects JSON API after approval: the annual plan, funds (gate F), construction (PRJ-C), acceptance
(gate K), O&M funds (gate O) and evaluation (PRJ-E). Schema in, one service or selector, schema out, as
``api``; the services check permission (forbidden looks like missing), state, versions and the gates. A
blocking gate answers 422 ``rule.<rule id>`` with every blocking decision (``sanbu.core.api``).

Paths follow ``api``: a project's steps under ``/projects/{project_id}/…``; plans, tranches, changes and
problems under their own collection (``/plans/{plan_id}``, ``/tranches/{tranche_id}/pay``, …)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from sanbu.core.actor import Actor, request_actor
from sanbu.core.api import IdPath

from . import acceptance, construction, evaluation, funds, operations, selectors, steps
from .acceptance import NO_SYSTEM_ROW
from .lifecycle_schemas import (
    ProjectAcceptanceDecideIn,
    ProjectAcceptOut,
    ProjectApplyIn,
    ProjectApplyOut,
    ProjectBriefDecisionOut,
    ProjectChangeDecideIn,
    ProjectChangeIn,
    ProjectChangeOut,
    ProjectChangeSettleIn,
    ProjectCloseIn,
    ProjectCloseOut,
    ProjectConstructionIn,
    ProjectContractIpIn,
    ProjectDeliverableIn,
    ProjectDeliverableOut,
    ProjectEligibilityOut,
    ProjectEndIn,
    ProjectForceMajeureIn,
    ProjectFreezeLiftIn,
    ProjectFreezeLiftOut,
    ProjectFundingModeIn,
    ProjectGateOut,
    ProjectGradeIn,
    ProjectHistoryOut,
    ProjectIncidentIn,
    ProjectIncidentOut,
    ProjectKeySelectIn,
    ProjectLedgerEntryOut,
    ProjectLedgerSummaryOut,
    ProjectLifecycleOut,
    ProjectLifecycleSummaryOut,
    ProjectOperationsCheckIn,
    ProjectOperationsQuery,
    ProjectOperationsRequestIn,
    ProjectOperationsReviewOut,
    ProjectPanelIn,
    ProjectPlanApproveIn,
    ProjectPlanCreateIn,
    ProjectPlanDetailOut,
    ProjectPlanEntryIn,
    ProjectPlanEntryOut,
    ProjectPlanIssueIn,
    ProjectPlanOut,
    ProjectPrepareIn,
    ProjectProblemIn,
    ProjectProblemOut,
    ProjectProgressReportOut,
    ProjectRecoveryIn,
    ProjectRecoveryNoticeOut,
    ProjectReportIn,
    ProjectReportScheduleOut,
    ProjectRequiredVersionIn,
    ProjectSelfEvaluationIn,
    ProjectSharingOut,
    ProjectSharingResourceOut,
    ProjectSharingSystemOut,
    ProjectStartIn,
    ProjectSweepIn,
    ProjectTrancheIn,
    ProjectTrancheOut,
    ProjectTranchePayIn,
    ProjectTranchePayOut,
    ProjectTrialEndIn,
    ProjectTrialStartIn,
    ProjectUnapprovedChangeIn,
    decisions_out,
)
from .models import ProjectState, TrancheState
from .schemas import ProjectOut

router = Router(tags=["project-lifecycle"])


# --- the summary ------------------------------------------------------------------------------------------


def _sharing(check: acceptance.SharingCheck) -> ProjectSharingOut:
    return ProjectSharingOut(
        ok=not check.failing and check.system_docked and check.system_can_share,
        resources=[ProjectSharingResourceOut(id=r.resource_id, code=r.code, name=r.name, state=r.state.value,
                                             state_label=r.state_label, mounted=r.mounted, via=r.via, ok=r.ok,
                                             detail=r.detail) for r in check.resources],
        systems=[ProjectSharingSystemOut(id=s.system_id, name=s.name, docked=s.docked, can_share=s.can_share,
                                         ok=s.ok, detail=s.detail) for s in check.systems or (NO_SYSTEM_ROW,)],
    )  # fmt: skip


def _summary(actor: Actor, project_id: int) -> ProjectLifecycleSummaryOut:
    p = selectors.project_get(actor=actor, project_id=project_id)
    steps.require_state(p, steps.AFTER_APPROVAL, "查看建设与验收情况（须已立项）")
    today = steps.today()
    lc = steps.lifecycle_of(p)
    approved = p.state == ProjectState.APPROVED
    tranches = list(p.tranches.order_by("number"))
    nxt = next((t.amount for t in tranches if t.state == TrancheState.SCHEDULED), 0)
    gates = [ProjectGateOut(gate="F", label="资金拨付关口（F）",
                            decisions=decisions_out(funds.funds_decisions(p, today, nxt)))]  # fmt: skip
    if approved:
        gates += [
            ProjectGateOut(gate="C", label="建设管理（C）",
                           decisions=decisions_out(construction.construction_decisions(p, today))),
            ProjectGateOut(gate="K", label="竣工验收关口（K）",
                           decisions=decisions_out(acceptance.acceptance_decisions(p, today))),
        ]  # fmt: skip
    else:
        gates.append(ProjectGateOut(gate="E", label="绩效评价（E）",
                                    decisions=decisions_out(evaluation.evaluation_decisions(p, today))))  # fmt: skip
    schedule = construction.report_schedule(p, today) if approved else []
    return ProjectLifecycleSummaryOut(
        project_id=p.pk, name=p.name, state=p.state, state_label=p.get_state_display(), project_version=p.version,
        lifecycle=ProjectLifecycleOut.of(lc), ledger=ProjectLedgerSummaryOut(**funds.ledger_summary(p)),
        tranches=[ProjectTrancheOut.of(t) for t in tranches],
        ledger_entries=[ProjectLedgerEntryOut.of(e) for e in p.ledger.order_by("id")],
        recovery_notices=[ProjectRecoveryNoticeOut.of(n) for n in p.recovery_notices.order_by("id")],
        plan_entries=[ProjectPlanEntryOut.of(e)
                      for e in p.plan_entries.select_related("plan", "project").order_by("plan__year", "id")],
        report_schedule=[ProjectReportScheduleOut(period=r.period, start=r.start, end=r.end, deadline=r.deadline,
                                                  filed_on=r.filed_on, status=r.status.value,
                                                  status_label=r.status_label) for r in schedule],
        progress_reports=[ProjectProgressReportOut.of(r) for r in p.progress_reports.order_by("period")],
        incidents=[ProjectIncidentOut.of(i) for i in p.incidents.all()],
        changes=[ProjectChangeOut.of(c) for c in p.change_requests.all()],
        problems=[ProjectProblemOut.of(x) for x in p.problems.all()],
        deliverables=[ProjectDeliverableOut.of(d) for d in p.deliverables.all()],
        sharing=_sharing(acceptance.sharing_check(p, today)), gates=gates,
        history=[ProjectHistoryOut(**h) for h in selectors.lifecycle_history(p)],
    )  # fmt: skip


@router.get(
    "/projects/{project_id}/lifecycle",
    response=ProjectLifecycleSummaryOut,
    summary="建设与验收情况（资金账、进度报告、共享核对、各关口当前判定、办理记录）",
)
def project_lifecycle(request: HttpRequest, project_id: IdPath) -> ProjectLifecycleSummaryOut:
    return _summary(request_actor(request), project_id)


# --- the annual plan --------------------------------------------------------------------------------------


@router.get("/plans", response=list[ProjectPlanOut], summary="年度建设计划列表")
def list_plans(request: HttpRequest) -> list[ProjectPlanOut]:
    return [ProjectPlanOut.of(p) for p in funds.plan_list(actor=request_actor(request))[:500]]


@router.post("/plans", response={201: ProjectPlanDetailOut}, summary="编制年度建设计划（每辖区每年一份）")
def create_plan(request: HttpRequest, body: ProjectPlanCreateIn) -> Status[ProjectPlanDetailOut]:
    actor = request_actor(request)
    plan = funds.plan_create(actor=actor, jurisdiction=body.jurisdiction, year=body.year)
    return Status(201, ProjectPlanDetailOut.of(funds.plan_get(actor=actor, plan_id=plan.pk)))


@router.get("/plans/{plan_id}", response=ProjectPlanDetailOut, summary="年度建设计划详情（含列入项目）")
def get_plan(request: HttpRequest, plan_id: IdPath) -> ProjectPlanDetailOut:
    return ProjectPlanDetailOut.of(funds.plan_get(actor=request_actor(request), plan_id=plan_id))


@router.post(
    "/plans/{plan_id}/entries",
    response={201: ProjectPlanEntryOut},
    summary="项目列入年度计划（下达后列入为动态新增，须另行批准）",
)
def add_plan_entry(
    request: HttpRequest, plan_id: IdPath, body: ProjectPlanEntryIn
) -> Status[ProjectPlanEntryOut]:
    entry = funds.plan_add(actor=request_actor(request), plan_id=plan_id, project_id=body.project_id,
                           amount=body.amount, expected_version=body.version, basis=body.basis)  # fmt: skip
    return Status(201, ProjectPlanEntryOut.of(entry))


@router.post("/plans/{plan_id}/issue", response=ProjectPlanDetailOut, summary="下达年度建设计划")
def issue_plan(request: HttpRequest, plan_id: IdPath, body: ProjectPlanIssueIn) -> ProjectPlanDetailOut:
    actor = request_actor(request)
    funds.plan_issue(actor=actor, plan_id=plan_id, expected_version=body.version,
                     document_number=body.document_number)  # fmt: skip
    return ProjectPlanDetailOut.of(funds.plan_get(actor=actor, plan_id=plan_id))


@router.post(
    "/plan-entries/{entry_id}/approve", response=ProjectPlanEntryOut, summary="批准动态新增项目（PRJ-F1）"
)
def approve_plan_entry(
    request: HttpRequest, entry_id: IdPath, body: ProjectPlanApproveIn
) -> ProjectPlanEntryOut:
    entry = funds.plan_addition_approve(actor=request_actor(request), entry_id=entry_id, basis=body.basis)
    return ProjectPlanEntryOut.of(entry)


# --- funds ------------------------------------------------------------------------------------------------


@router.post("/projects/{project_id}/tranches", response={201: ProjectTrancheOut}, summary="安排拨付批次")
def schedule_tranche(
    request: HttpRequest, project_id: IdPath, body: ProjectTrancheIn
) -> Status[ProjectTrancheOut]:
    t = funds.tranche_schedule(actor=request_actor(request), project_id=project_id, amount=body.amount,
                               purpose=body.purpose, startup=body.startup, expected_version=body.version)  # fmt: skip
    return Status(201, ProjectTrancheOut.of(t))


@router.post(
    "/tranches/{tranche_id}/pay", response=ProjectTranchePayOut, summary="拨付资金（资金拨付关口 F）"
)
def pay_tranche(request: HttpRequest, tranche_id: IdPath, body: ProjectTranchePayIn) -> ProjectTranchePayOut:
    t, warnings = funds.tranche_pay(actor=request_actor(request), tranche_id=tranche_id,
                                    expected_version=body.version, voucher=body.voucher)  # fmt: skip
    return ProjectTranchePayOut(tranche=ProjectTrancheOut.of(t), warnings=decisions_out(warnings))


@router.post("/projects/{project_id}/close", response=ProjectCloseOut, summary="竣工财务决算（PRJ-F3）")
def close_funds(request: HttpRequest, project_id: IdPath, body: ProjectCloseIn) -> ProjectCloseOut:
    lc, warnings = funds.funds_close(actor=request_actor(request), project_id=project_id,
                                     expected_version=body.version, balance=body.balance, returned=body.returned,
                                     goals_or_content_changed=body.goals_or_content_changed)  # fmt: skip
    return ProjectCloseOut(lifecycle=ProjectLifecycleOut.of(lc), warnings=decisions_out(warnings))


@router.post(
    "/recovery-sweep",
    response=list[ProjectRecoveryNoticeOut],
    summary="逾期未开工资金收回（PRJ-F2：收回已拨、冻结未拨）",
)
def recovery_sweep(request: HttpRequest, body: ProjectSweepIn) -> list[ProjectRecoveryNoticeOut]:
    notices = funds.recovery_sweep(actor=request_actor(request), jurisdiction=body.jurisdiction)
    return [ProjectRecoveryNoticeOut.of(n) for n in notices]


@router.post(
    "/projects/{project_id}/recovery",
    response={201: ProjectRecoveryNoticeOut},
    summary="后补助项目考核未通过收回资金（PRJ-F4）",
)
def recover_funds(
    request: HttpRequest, project_id: IdPath, body: ProjectRecoveryIn
) -> Status[ProjectRecoveryNoticeOut]:
    notice = funds.recovery_issue(actor=request_actor(request), project_id=project_id, amount=body.amount,
                                  expected_version=body.version)  # fmt: skip
    return Status(201, ProjectRecoveryNoticeOut.of(notice))


@router.post(
    "/projects/{project_id}/freeze-lift",
    response=ProjectFreezeLiftOut,
    summary="解除逾期未开工的资金冻结（PRJ-F2 经复核认定不可抗力）",
)
def lift_freeze(request: HttpRequest, project_id: IdPath, body: ProjectFreezeLiftIn) -> ProjectFreezeLiftOut:
    notice, warnings = funds.freeze_lift(actor=request_actor(request), project_id=project_id, reason=body.reason,
                                         expected_version=body.version)  # fmt: skip
    return ProjectFreezeLiftOut(notice=ProjectRecoveryNoticeOut.of(notice), warnings=decisions_out(warnings))


@router.post(
    "/projects/{project_id}/funding-mode", response=ProjectLifecycleOut, summary="设定资金拨付方式（PRJ-F4）"
)
def set_funding_mode(
    request: HttpRequest, project_id: IdPath, body: ProjectFundingModeIn
) -> ProjectLifecycleOut:
    lc = funds.funding_mode_set(actor=request_actor(request), project_id=project_id, mode=body.mode,
                                expected_version=body.version)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/force-majeure",
    response=ProjectLifecycleOut,
    summary="认定不可抗力（PRJ-F2 不收回）",
)
def record_force_majeure(
    request: HttpRequest, project_id: IdPath, body: ProjectForceMajeureIn
) -> ProjectLifecycleOut:
    lc = funds.force_majeure_record(actor=request_actor(request), project_id=project_id, reason=body.reason)
    return ProjectLifecycleOut.of(lc)


# --- construction -----------------------------------------------------------------------------------------


@router.put(
    "/projects/{project_id}/construction",
    response=ProjectLifecycleOut,
    summary="填报建设实施责任（PRJ-C1：责任人、实施机构、监理）",
)
def update_construction(
    request: HttpRequest, project_id: IdPath, body: ProjectConstructionIn
) -> ProjectLifecycleOut:
    lc = construction.construction_update(
        actor=request_actor(request), project_id=project_id, expected_version=body.version,
        responsible_person=body.responsible_person, implementing_body=body.implementing_body,
        supervisor_unit=body.supervisor_unit, supervision_required=body.supervision_required,
        supervisor_secret_qualified=body.supervisor_secret_qualified, pilot=body.pilot,
    )  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post("/projects/{project_id}/start", response=ProjectLifecycleOut, summary="登记开工（PRJ-F2）")
def start_construction(request: HttpRequest, project_id: IdPath, body: ProjectStartIn) -> ProjectLifecycleOut:
    lc = construction.construction_start(actor=request_actor(request), project_id=project_id,
                                         started_on=body.started_on, expected_version=body.version)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post("/projects/{project_id}/end", response=ProjectLifecycleOut, summary="登记建设完成")
def end_construction(request: HttpRequest, project_id: IdPath, body: ProjectEndIn) -> ProjectLifecycleOut:
    lc = construction.construction_end(actor=request_actor(request), project_id=project_id,
                                       ended_on=body.ended_on, expected_version=body.version)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/reports",
    response={201: ProjectProgressReportOut},
    summary="报送建设进度报告（PRJ-C2，每期一次）",
)
def file_report(
    request: HttpRequest, project_id: IdPath, body: ProjectReportIn
) -> Status[ProjectProgressReportOut]:
    r = construction.progress_report_file(actor=request_actor(request), project_id=project_id, period=body.period,
                                          progress=body.progress, spent=body.spent, content=body.content)  # fmt: skip
    return Status(201, ProjectProgressReportOut.of(r))


@router.post(
    "/projects/{project_id}/incidents",
    response={201: ProjectIncidentOut},
    summary="报告工程严重逾期或投资重大损失（PRJ-C3）",
)
def report_incident(
    request: HttpRequest, project_id: IdPath, body: ProjectIncidentIn
) -> Status[ProjectIncidentOut]:
    i = construction.incident_report(actor=request_actor(request), project_id=project_id, kind=body.kind,
                                     occurred_on=body.occurred_on, description=body.description)  # fmt: skip
    return Status(201, ProjectIncidentOut.of(i))


@router.post(
    "/projects/{project_id}/changes", response={201: ProjectChangeOut}, summary="申请变更建设内容（PRJ-C4）"
)
def request_change(
    request: HttpRequest, project_id: IdPath, body: ProjectChangeIn
) -> Status[ProjectChangeOut]:
    c = construction.change_request(actor=request_actor(request), project_id=project_id, content=body.content,
                                    reason=body.reason)  # fmt: skip
    return Status(201, ProjectChangeOut.of(c))


@router.post(
    "/projects/{project_id}/unapproved-changes",
    response={201: ProjectChangeOut},
    summary="登记未经批准擅自变更（PRJ-C4）",
)
def record_unapproved_change(
    request: HttpRequest, project_id: IdPath, body: ProjectUnapprovedChangeIn
) -> Status[ProjectChangeOut]:
    c = construction.change_record_unapproved(actor=request_actor(request), project_id=project_id,
                                              content=body.content, note=body.note)  # fmt: skip
    return Status(201, ProjectChangeOut.of(c))


@router.post("/changes/{change_id}/decide", response=ProjectChangeOut, summary="审批变更申请（PRJ-C4）")
def decide_change(request: HttpRequest, change_id: IdPath, body: ProjectChangeDecideIn) -> ProjectChangeOut:
    c = construction.change_decide(actor=request_actor(request), change_id=change_id, expected_version=body.version,
                                   approve=body.approve, note=body.note)  # fmt: skip
    return ProjectChangeOut.of(c)


@router.post(
    "/changes/{change_id}/settle",
    response=ProjectChangeOut,
    summary="处理擅自变更：补办审批或恢复批复内容（PRJ-C4）",
)
def settle_change(request: HttpRequest, change_id: IdPath, body: ProjectChangeSettleIn) -> ProjectChangeOut:
    c = construction.change_settle_unapproved(actor=request_actor(request), change_id=change_id,
                                              expected_version=body.version, ratify=body.ratify, note=body.note)  # fmt: skip
    return ProjectChangeOut.of(c)


# --- acceptance -------------------------------------------------------------------------------------------


@router.post("/projects/{project_id}/trial-run/start", response=ProjectLifecycleOut, summary="开始试运行")
def start_trial_run(
    request: HttpRequest, project_id: IdPath, body: ProjectTrialStartIn
) -> ProjectLifecycleOut:
    lc = acceptance.trial_run_start(
        actor=request_actor(request), project_id=project_id, started_on=body.started_on
    )
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/trial-run/end", response=ProjectLifecycleOut, summary="结束试运行（是否稳定正常）"
)
def end_trial_run(request: HttpRequest, project_id: IdPath, body: ProjectTrialEndIn) -> ProjectLifecycleOut:
    lc = acceptance.trial_run_end(actor=request_actor(request), project_id=project_id, ended_on=body.ended_on,
                                  normal=body.normal)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/acceptance/prepare",
    response=ProjectLifecycleOut,
    summary="验收准备（终验、等保测评、验收材料，PRJ-K3）",
)
def prepare_acceptance(
    request: HttpRequest, project_id: IdPath, body: ProjectPrepareIn
) -> ProjectLifecycleOut:
    lc = acceptance.acceptance_prepare(
        actor=request_actor(request), project_id=project_id, expected_version=body.version,
        final_inspection_done=body.final_inspection_done, dengbao_tested=body.dengbao_tested,
        materials=list(body.materials),
    )  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/acceptance/apply", response=ProjectApplyOut, summary="申请竣工验收（PRJ-K1）"
)
def apply_acceptance(request: HttpRequest, project_id: IdPath, body: ProjectApplyIn) -> ProjectApplyOut:
    lc, k1 = acceptance.acceptance_apply(actor=request_actor(request), project_id=project_id,
                                         extension_reason=body.extension_reason)  # fmt: skip
    return ProjectApplyOut(lifecycle=ProjectLifecycleOut.of(lc), decisions=decisions_out(k1))


@router.post(
    "/projects/{project_id}/acceptance/confirm",
    response=ProjectLifecycleOut,
    summary="数据共享情况确认（PRJ-K2，按平台记录核对并冻结快照）",
)
def confirm_sharing(
    request: HttpRequest, project_id: IdPath, body: ProjectRequiredVersionIn
) -> ProjectLifecycleOut:
    lc = acceptance.sharing_confirm(actor=request_actor(request), project_id=project_id,
                                    expected_version=body.version)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/acceptance/panel", response=ProjectLifecycleOut, summary="组建验收小组（PRJ-K4）"
)
def record_panel(request: HttpRequest, project_id: IdPath, body: ProjectPanelIn) -> ProjectLifecycleOut:
    lc = acceptance.panel_record(actor=request_actor(request), project_id=project_id, members=body.members,
                                 third_party=body.third_party, names=body.names)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/acceptance/decide",
    response=ProjectAcceptOut,
    summary="作出验收决定（竣工验收关口 K）",
)
def decide_acceptance(
    request: HttpRequest, project_id: IdPath, body: ProjectAcceptanceDecideIn
) -> ProjectAcceptOut:
    actor = request_actor(request)
    _, warnings = acceptance.acceptance_decide(actor=actor, project_id=project_id, expected_version=body.version,
                                               opinion=body.opinion)  # fmt: skip
    project = selectors.project_get(actor=actor, project_id=project_id)
    record = selectors.gate_record(project, "K")
    return ProjectAcceptOut(project=ProjectOut.of(project), decisions=decisions_out(record.decisions if record else []),
                            warnings=decisions_out(warnings))  # fmt: skip


@router.post(
    "/projects/{project_id}/acceptance/report-filed",
    response=ProjectLifecycleOut,
    summary="验收报告报送备案（PRJ-K4）",
)
def file_acceptance_report(request: HttpRequest, project_id: IdPath) -> ProjectLifecycleOut:
    lc = acceptance.report_file(actor=request_actor(request), project_id=project_id)
    return ProjectLifecycleOut.of(lc)


# --- O&M funds --------------------------------------------------------------------------------------------


@router.get(
    "/operations", response=list[ProjectEligibilityOut], summary="运维经费资格清单（运维关口 O，按年度）"
)
def operations_list(
    request: HttpRequest, query: Query[ProjectOperationsQuery]
) -> list[ProjectEligibilityOut]:
    rows = operations.eligibility_list(actor=request_actor(request), jurisdiction=query.jurisdiction,
                                       year=query.year)  # fmt: skip
    return [
        ProjectEligibilityOut(
            id=r.review_id, system_id=r.system_id, system_name=r.system_name, department=r.department,
            eligible=r.eligible, failed=[ProjectBriefDecisionOut(**d) for d in r.failed],
            review=[ProjectBriefDecisionOut(**d) for d in r.review], requested_budget=r.requested_budget,
            suggested_budget=r.suggested_budget, checked_at=r.checked_at, ruleset=r.ruleset,
        )
        for r in rows
    ]  # fmt: skip


@router.post(
    "/operations/requests", response=ProjectOperationsReviewOut, summary="申请运维经费（每系统每年一份）"
)
def request_operations(request: HttpRequest, body: ProjectOperationsRequestIn) -> ProjectOperationsReviewOut:
    row = operations.operations_request(
        actor=request_actor(request), system_id=body.system_id, year=body.year,
        requested_budget=body.requested_budget, last_budget=body.last_budget, workload_change=body.workload_change,
        last_evaluation=body.last_evaluation, major_hazards=body.major_hazards, expected_version=body.version,
    )  # fmt: skip
    return ProjectOperationsReviewOut.of(row)


@router.post(
    "/operations/check",
    response=list[ProjectOperationsReviewOut],
    summary="审核辖区全部运行中系统的运维经费资格（运维关口 O）",
)
def check_operations(
    request: HttpRequest, body: ProjectOperationsCheckIn
) -> list[ProjectOperationsReviewOut]:
    rows = operations.operations_check(
        actor=request_actor(request), jurisdiction=body.jurisdiction, year=body.year
    )
    return [ProjectOperationsReviewOut.of(r) for r in rows]


# --- evaluation -------------------------------------------------------------------------------------------


@router.post(
    "/projects/{project_id}/evaluation/self",
    response=ProjectLifecycleOut,
    summary="报送绩效自评报告（PRJ-E1）",
)
def file_self_evaluation(
    request: HttpRequest, project_id: IdPath, body: ProjectSelfEvaluationIn
) -> ProjectLifecycleOut:
    lc = evaluation.self_evaluation_file(actor=request_actor(request), project_id=project_id, report=body.report,
                                         expected_version=body.version)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/evaluation/key", response=ProjectLifecycleOut, summary="选取或取消重点绩效评价"
)
def select_key_evaluation(
    request: HttpRequest, project_id: IdPath, body: ProjectKeySelectIn
) -> ProjectLifecycleOut:
    lc = evaluation.key_evaluation_select(actor=request_actor(request), project_id=project_id,
                                          selected=body.selected)  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/evaluation/grade",
    response=ProjectLifecycleOut,
    summary="录入重点绩效评价结果及整改问题（PRJ-E2）",
)
def grade_key_evaluation(
    request: HttpRequest, project_id: IdPath, body: ProjectGradeIn
) -> ProjectLifecycleOut:
    lc = evaluation.key_evaluation_grade(actor=request_actor(request), project_id=project_id, grade=body.grade,
                                         problems=[(x.text, x.deadline) for x in body.problems])  # fmt: skip
    return ProjectLifecycleOut.of(lc)


@router.post(
    "/projects/{project_id}/problems", response={201: ProjectProblemOut}, summary="下达整改要求（PRJ-E2）"
)
def add_problem(
    request: HttpRequest, project_id: IdPath, body: ProjectProblemIn
) -> Status[ProjectProblemOut]:
    x = evaluation.problem_add(actor=request_actor(request), project_id=project_id, text=body.text,
                               deadline=body.deadline)  # fmt: skip
    return Status(201, ProjectProblemOut.of(x))


@router.post("/problems/{problem_id}/fixed", response=ProjectProblemOut, summary="确认整改完成")
def fix_problem(request: HttpRequest, problem_id: IdPath) -> ProjectProblemOut:
    return ProjectProblemOut.of(evaluation.problem_fixed(actor=request_actor(request), problem_id=problem_id))


@router.post(
    "/projects/{project_id}/deliverables",
    response={201: ProjectDeliverableOut},
    summary="登记项目成果（PRJ-E3）",
)
def register_deliverable(
    request: HttpRequest, project_id: IdPath, body: ProjectDeliverableIn
) -> Status[ProjectDeliverableOut]:
    d = evaluation.deliverable_register(actor=request_actor(request), project_id=project_id, kind=body.kind,
                                        description=body.description)  # fmt: skip
    return Status(201, ProjectDeliverableOut.of(d))


@router.post(
    "/projects/{project_id}/contract-ip",
    response=ProjectLifecycleOut,
    summary="登记合同约定的成果和知识产权归属（PRJ-E3）",
)
def record_contract_ip(
    request: HttpRequest, project_id: IdPath, body: ProjectContractIpIn
) -> ProjectLifecycleOut:
    lc = evaluation.contract_ip_record(
        actor=request_actor(request), project_id=project_id, assigns=body.assigns
    )
    return ProjectLifecycleOut.of(lc)
