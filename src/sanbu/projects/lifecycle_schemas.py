"""API schemas of the project lifecycle after approval (plan, funds, construction, acceptance, O&M,
evaluation), named ``Project…`` like ``schemas`` so the OpenAPI document stays unambiguous.

Inputs are bounded here (lengths as the columns, amounts and years in range); what needs the database
(required text, dates against the approval, amounts against the ledger) is the services' to check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from sanbu.core.api import MAX_ID
from sanbu.policy.decisions import Decision
from sanbu.policy.rules.acceptance import DELIVERABLES

from .models import (
    AnnualPlan,
    ChangeRequest,
    Deliverable,
    IncidentReport,
    LedgerEntry,
    Lifecycle,
    OperationsReview,
    PlanEntry,
    PlanState,
    Problem,
    ProgressReport,
    RecoveryNotice,
    Tranche,
)
from .schemas import ProjectDecisionOut, ProjectOut

MAX_AMOUNT = 10**12
JURISDICTION = Field(min_length=6, max_length=6, pattern=r"^\d{6}$", description="行政区划代码（6 位）")
YEAR = Field(ge=2000, le=2100, description="年度")


def decisions_out(ds: list[Decision] | list[dict[str, Any]] | None) -> list[ProjectDecisionOut]:
    """Decisions as computed (``Decision``) or as stored (``as_dict()`` rows) in the one output shape."""
    out = []
    for d in ds or []:
        out.append(
            ProjectDecisionOut.of(d) if isinstance(d, Decision) else ProjectDecisionOut(**{"extra": {}, **d})
        )
    return out


class ProjectOptionalVersionIn(Schema):
    version: int | None = Field(None, ge=1, description="读取时的版本号（乐观锁，可选）")


class ProjectRequiredVersionIn(Schema):
    version: int = Field(ge=1, description="读取时的版本号（乐观锁）")


# --- the annual plan --------------------------------------------------------------------------------------


class ProjectPlanCreateIn(Schema):
    jurisdiction: str = JURISDICTION
    year: int = YEAR


class ProjectPlanEntryIn(ProjectRequiredVersionIn):
    project_id: int = Field(ge=1, le=MAX_ID, description="已立项的本辖区项目")
    amount: int = Field(ge=1, le=MAX_AMOUNT, description="年度计划金额（元）")
    basis: str = Field("", max_length=200, description="动态新增依据（计划下达后列入时必填）")


class ProjectPlanIssueIn(ProjectRequiredVersionIn):
    document_number: str = Field(max_length=64, description="计划文号")


class ProjectPlanApproveIn(Schema):
    basis: str = Field(max_length=200, description="批准依据（抄告单或会议纪要文号）")


class ProjectPlanEntryOut(Schema):
    id: int
    plan_id: int
    project_id: int
    project_name: str
    amount: int
    dynamic: bool
    addition_basis: str
    addition_approved_at: datetime | None
    counts: bool = Field(description="计入年度计划：计划内项目，或已批准的动态新增")

    @staticmethod
    def of(e: PlanEntry) -> ProjectPlanEntryOut:
        return ProjectPlanEntryOut(
            id=e.pk, plan_id=e.plan_id, project_id=e.project_id, project_name=e.project.name, amount=e.amount,
            dynamic=e.dynamic, addition_basis=e.addition_basis, addition_approved_at=e.addition_approved_at,
            counts=not e.dynamic or e.addition_approved_at is not None,
        )  # fmt: skip


class ProjectPlanOut(Schema):
    id: int
    jurisdiction: str
    jurisdiction_name: str
    year: int
    state: str
    state_label: str
    document_number: str
    issued_at: datetime | None
    version: int

    @staticmethod
    def fields_of(p: AnnualPlan) -> dict[str, Any]:
        return dict(
            id=p.pk, jurisdiction=p.jurisdiction_id, jurisdiction_name=p.jurisdiction.name, year=p.year,
            state=p.state, state_label=PlanState(p.state).label, document_number=p.document_number,
            issued_at=p.issued_at, version=p.version,
        )  # fmt: skip

    @staticmethod
    def of(p: AnnualPlan) -> ProjectPlanOut:
        return ProjectPlanOut(**ProjectPlanOut.fields_of(p))


class ProjectPlanDetailOut(ProjectPlanOut):
    entries: list[ProjectPlanEntryOut]

    @staticmethod
    def of(p: AnnualPlan) -> ProjectPlanDetailOut:
        entries = [ProjectPlanEntryOut.of(e) for e in p.entries.select_related("project").order_by("id")]
        return ProjectPlanDetailOut(**ProjectPlanOut.fields_of(p), entries=entries)


# --- funds ------------------------------------------------------------------------------------------------


class ProjectTrancheIn(ProjectOptionalVersionIn):
    amount: int = Field(ge=1, le=MAX_AMOUNT, description="拨付金额（元）")
    purpose: str = Field("", max_length=200, description="拨付依据")
    startup: bool = Field(False, description="启动资金：后补助试点考核验收前拨付的部分资金（PRJ-F4）")


class ProjectTranchePayIn(ProjectRequiredVersionIn):
    voucher: str = Field(max_length=64, description="拨付凭证号")


class ProjectCloseIn(ProjectRequiredVersionIn):
    balance: int = Field(ge=0, le=MAX_AMOUNT, description="结余资金（元）")
    returned: int = Field(ge=0, le=MAX_AMOUNT, description="本次交回（元）")
    goals_or_content_changed: bool = Field(False, description="建设目标或内容经批准变更")


class ProjectSweepIn(Schema):
    jurisdiction: str = JURISDICTION


class ProjectRecoveryIn(ProjectOptionalVersionIn):
    amount: int | None = Field(None, ge=1, le=MAX_AMOUNT, description="收回金额（元）；缺省为全部已拨净额")


class ProjectFundingModeIn(ProjectOptionalVersionIn):
    mode: str = Field(
        pattern="^(tranche|post_subsidy)$", description="tranche 按进度分批拨付 / post_subsidy 后补助"
    )


class ProjectForceMajeureIn(Schema):
    reason: str = Field(max_length=500, description="不可抗力原因")


class ProjectTrancheOut(Schema):
    id: int
    project_id: int
    number: int
    amount: int
    purpose: str
    startup: bool
    state: str
    state_label: str
    paid_on: date | None
    voucher: str
    version: int

    @staticmethod
    def of(t: Tranche) -> ProjectTrancheOut:
        return ProjectTrancheOut(
            id=t.pk, project_id=t.project_id, number=t.number, amount=t.amount, purpose=t.purpose, startup=t.startup,
            state=t.state,
            state_label=t.get_state_display(), paid_on=t.paid_on, voucher=t.voucher, version=t.version,
        )  # fmt: skip


class ProjectTranchePayOut(Schema):
    tranche: ProjectTrancheOut
    warnings: list[ProjectDecisionOut]


class ProjectLedgerEntryOut(Schema):
    id: int
    kind: str
    kind_label: str
    amount: int
    booked_on: date
    reference: str
    note: str
    tranche_id: int | None

    @staticmethod
    def of(e: LedgerEntry) -> ProjectLedgerEntryOut:
        return ProjectLedgerEntryOut(
            id=e.pk, kind=e.kind, kind_label=e.get_kind_display(), amount=e.amount, booked_on=e.booked_on,
            reference=e.reference, note=e.note, tranche_id=e.tranche_id,
        )  # fmt: skip


class ProjectLedgerSummaryOut(Schema):
    approved: int
    scheduled: int
    paid: int
    recovered: int
    returned: int
    net: int = Field(description="已拨净额：拨付 − 收回 − 交回")
    frozen: int
    remaining: int = Field(description="核定金额 − 已拨净额 − 待拨付")


class ProjectRecoveryNoticeOut(Schema):
    id: int
    project_id: int
    number: str
    rule: str
    reason: str
    frozen_amount: int
    recover_amount: int
    issued_on: date
    decisions: list[ProjectDecisionOut]
    lifted_on: date | None = Field(description="PRJ-F2 冻结解除日期；未解除为 null")
    lift_reason: str

    @staticmethod
    def of(n: RecoveryNotice) -> ProjectRecoveryNoticeOut:
        return ProjectRecoveryNoticeOut(
            id=n.pk, project_id=n.project_id, number=n.number, rule=n.rule, reason=n.reason,
            frozen_amount=n.frozen_amount, recover_amount=n.recover_amount, issued_on=n.issued_on,
            decisions=decisions_out(n.decisions), lifted_on=n.lifted_on, lift_reason=n.lift_reason,
        )  # fmt: skip


class ProjectFreezeLiftIn(ProjectOptionalVersionIn):
    reason: str = Field(max_length=500, description="解除冻结理由（如经复核认定不可抗力）")


class ProjectFreezeLiftOut(Schema):
    notice: ProjectRecoveryNoticeOut
    warnings: list[ProjectDecisionOut]


# --- the lifecycle record ---------------------------------------------------------------------------------


class ProjectLifecycleOut(Schema):
    version: int = Field(description="建设与验收记录的版本号（资金、建设、验收准备与确认的乐观锁）")
    funding_mode: str
    funds_frozen: bool
    started_on: date | None
    force_majeure: str
    responsible_person: str
    implementing_body: str
    supervisor_unit: str
    supervision_required: bool
    supervisor_secret_qualified: bool
    pilot: bool
    construction_ended_on: date | None
    trial_run_started: date | None
    trial_run_ended: date | None
    trial_run_normal: bool
    final_inspection_done: bool
    dengbao_tested: bool
    applied_on: date | None
    extension_reason: str
    materials: list[str]
    panel_members: int
    panel_third_party: int
    panel_names: str
    confirmed_by: str
    confirmed_at: datetime | None
    accepted_on: date | None
    acceptance_opinion: str
    report_filed_on: date | None
    contract_assigns_ip: bool
    self_evaluation_filed_on: date | None
    key_evaluation: bool
    key_evaluation_grade: str
    closed_on: date | None
    balance: int
    goals_or_content_changed: bool

    @staticmethod
    def of(lc: Lifecycle) -> ProjectLifecycleOut:
        values = {name: getattr(lc, name) for name in ProjectLifecycleOut.model_fields if name != "materials"}
        return ProjectLifecycleOut(**values, materials=[str(m) for m in lc.materials or []])


class ProjectCloseOut(Schema):
    lifecycle: ProjectLifecycleOut
    warnings: list[ProjectDecisionOut]


# --- construction -----------------------------------------------------------------------------------------


class ProjectConstructionIn(ProjectRequiredVersionIn):
    responsible_person: str = Field("", max_length=50, description="项目责任人")
    implementing_body: str = Field("", max_length=100, description="项目实施机构")
    supervisor_unit: str = Field("", max_length=100, description="工程监理单位")
    supervision_required: bool = True
    supervisor_secret_qualified: bool = False
    pilot: bool = Field(False, description="信息惠民国家试点项目（报告周期更密）")


class ProjectStartIn(ProjectOptionalVersionIn):
    started_on: date = Field(description="开工日期")


class ProjectEndIn(ProjectOptionalVersionIn):
    ended_on: date = Field(description="建设完成日期")


class ProjectReportIn(Schema):
    period: str = Field(max_length=8, description="报告期：2026（年度）、2026-H1（半年）、2026-Q3（季度）")
    progress: int = Field(ge=0, le=100, description="形象进度（%）")
    spent: int = Field(ge=0, le=MAX_AMOUNT, description="累计完成投资（元）")
    content: str = Field(max_length=5000, description="进展情况")


class ProjectIncidentIn(Schema):
    kind: str = Field(pattern="^(delay|loss)$", description="delay 工程严重逾期 / loss 投资重大损失")
    occurred_on: date
    description: str = Field(max_length=5000)


class ProjectChangeIn(Schema):
    content: str = Field(max_length=5000, description="变更内容")
    reason: str = Field(max_length=5000, description="变更理由")


class ProjectUnapprovedChangeIn(Schema):
    content: str = Field(max_length=5000, description="变更内容")
    note: str = Field(max_length=1000, description="核查意见")


class ProjectChangeDecideIn(ProjectRequiredVersionIn):
    approve: bool
    note: str = Field("", max_length=1000, description="审批意见（不予批准时必填）")


class ProjectChangeSettleIn(ProjectRequiredVersionIn):
    ratify: bool = Field(description="true 补办变更审批 / false 已恢复批复的建设内容")
    note: str = Field(max_length=1000, description="补办审批意见（含批复文号）或恢复核查意见")


class ProjectReportScheduleOut(Schema):
    period: str
    start: date
    end: date
    deadline: date
    filed_on: date | None
    status: str
    status_label: str


class ProjectProgressReportOut(Schema):
    id: int
    project_id: int
    period: str
    progress: int
    spent: int
    content: str
    filed_on: date

    @staticmethod
    def of(r: ProgressReport) -> ProjectProgressReportOut:
        return ProjectProgressReportOut(
            id=r.pk, project_id=r.project_id, period=r.period, progress=r.progress, spent=r.spent,
            content=r.content, filed_on=r.filed_on,
        )  # fmt: skip


class ProjectIncidentOut(Schema):
    id: int
    project_id: int
    kind: str
    kind_label: str
    occurred_on: date
    reported_on: date
    description: str

    @staticmethod
    def of(i: IncidentReport) -> ProjectIncidentOut:
        return ProjectIncidentOut(
            id=i.pk, project_id=i.project_id, kind=i.kind, kind_label=i.get_kind_display(),
            occurred_on=i.occurred_on, reported_on=i.reported_on, description=i.description,
        )  # fmt: skip


class ProjectChangeOut(Schema):
    id: int
    project_id: int
    content: str
    reason: str
    state: str
    state_label: str
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_note: str
    settled_by: str
    settled_at: datetime | None
    settled_note: str
    version: int

    @staticmethod
    def of(c: ChangeRequest) -> ProjectChangeOut:
        return ProjectChangeOut(
            id=c.pk, project_id=c.project_id, content=c.content, reason=c.reason, state=c.state,
            state_label=c.get_state_display(), requested_at=c.requested_at, decided_by=c.decided_by,
            decided_at=c.decided_at, decision_note=c.decision_note, settled_by=c.settled_by,
            settled_at=c.settled_at, settled_note=c.settled_note, version=c.version,
        )  # fmt: skip


# --- acceptance -------------------------------------------------------------------------------------------


class ProjectTrialStartIn(Schema):
    started_on: date = Field(description="试运行开始日期")


class ProjectTrialEndIn(Schema):
    ended_on: date = Field(description="试运行结束日期")
    normal: bool = Field(True, description="试运行稳定正常")


class ProjectPrepareIn(ProjectRequiredVersionIn):
    final_inspection_done: bool = False
    dengbao_tested: bool = False
    materials: list[str] = Field(
        default_factory=list,
        max_length=30,
        description="验收材料（PRJ-K3 材料的键；数据共享情况确认书由确认自动列入）",
    )


class ProjectApplyIn(Schema):
    extension_reason: str = Field("", max_length=500, description="延期验收理由（逾期申请时必填）")


class ProjectPanelIn(Schema):
    members: int = Field(ge=1, le=99, description="验收小组人数")
    third_party: int = Field(ge=0, le=99, description="其中第三方专家人数")
    names: str = Field(max_length=500, description="验收小组成员")


class ProjectAcceptanceDecideIn(ProjectRequiredVersionIn):
    opinion: str = Field(max_length=1000, description="验收意见")


class ProjectApplyOut(Schema):
    lifecycle: ProjectLifecycleOut
    decisions: list[ProjectDecisionOut] = Field(description="PRJ-K1 按申请日期的判定")


class ProjectAcceptOut(Schema):
    project: ProjectOut
    decisions: list[ProjectDecisionOut] = Field(description="竣工验收关口 K 的全部判定（已存档）")
    warnings: list[ProjectDecisionOut]


class ProjectSharingResourceOut(Schema):
    id: int | None
    code: str
    name: str
    state: str
    state_label: str
    mounted: bool
    via: str
    ok: bool
    detail: str


class ProjectSharingSystemOut(Schema):
    id: int | None
    name: str
    docked: bool
    can_share: bool
    ok: bool
    detail: str


class ProjectSharingOut(Schema):
    ok: bool = Field(description="每项承诺资源已发布并挂接，每个系统已对接且能共享")
    resources: list[ProjectSharingResourceOut]
    systems: list[ProjectSharingSystemOut]


# --- O&M --------------------------------------------------------------------------------------------------


class ProjectOperationsQuery(Schema):
    jurisdiction: str = JURISDICTION
    year: int = YEAR


class ProjectOperationsRequestIn(ProjectOptionalVersionIn):
    system_id: int = Field(ge=1, le=MAX_ID)
    year: int = YEAR
    requested_budget: int = Field(ge=0, le=MAX_AMOUNT, description="申请运维经费（元）")
    last_budget: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="上年运维经费（元）")
    workload_change: float | None = Field(
        None, ge=-1, le=100, description="运维工作量变化（0.2 表示增加 20%）"
    )
    last_evaluation: str = Field("", max_length=8, description="上年应用绩效评价：优秀/良好/合格/不合格")
    major_hazards: bool = False


class ProjectOperationsCheckIn(Schema):
    jurisdiction: str = JURISDICTION
    year: int = YEAR


class ProjectOperationsReviewOut(Schema):
    id: int
    system_id: int
    year: int
    requested_budget: int
    last_budget: int | None
    workload_change: float | None
    last_evaluation: str
    major_hazards: bool
    eligible: bool | None
    decisions: list[ProjectDecisionOut]
    ruleset: str
    checked_at: datetime | None
    version: int

    @staticmethod
    def of(r: OperationsReview) -> ProjectOperationsReviewOut:
        return ProjectOperationsReviewOut(
            id=r.pk, system_id=r.system_id, year=r.year, requested_budget=r.requested_budget,
            last_budget=r.last_budget, workload_change=r.workload_change, last_evaluation=r.last_evaluation,
            major_hazards=r.major_hazards, eligible=r.eligible, decisions=decisions_out(r.decisions),
            ruleset=r.ruleset, checked_at=r.checked_at, version=r.version,
        )  # fmt: skip


class ProjectBriefDecisionOut(Schema):
    rule_id: str
    reason: str
    remedy: str


class ProjectEligibilityOut(Schema):
    id: int = Field(description="该系统该年度运维经费记录的 id")
    system_id: int
    system_name: str
    department: str
    eligible: bool | None = Field(description="None：已申请，尚未审核")
    failed: list[ProjectBriefDecisionOut]
    review: list[ProjectBriefDecisionOut]
    requested_budget: int
    suggested_budget: int | None
    checked_at: datetime | None
    ruleset: str


# --- evaluation -------------------------------------------------------------------------------------------


class ProjectSelfEvaluationIn(ProjectOptionalVersionIn):
    report: str = Field(max_length=20000, description="绩效自评报告")


class ProjectKeySelectIn(Schema):
    selected: bool


class ProjectProblemIn(Schema):
    text: str = Field(max_length=500, description="整改意见")
    deadline: date = Field(description="整改期限")


class ProjectGradeIn(Schema):
    grade: str = Field(pattern="^(优秀|良好|合格|不合格)$", description="优秀/良好/合格/不合格")
    problems: list[ProjectProblemIn] = Field(default_factory=list, max_length=50)


class ProjectDeliverableIn(Schema):
    kind: str = Field(
        max_length=32, description=f"成果类型：{' / '.join(f'{k} {v}' for k, v in DELIVERABLES.items())}"
    )
    description: str = Field("", max_length=500)


class ProjectContractIpIn(Schema):
    assigns: bool = Field(description="采购文件和合同约定成果及知识产权归政府所有")


class ProjectProblemOut(Schema):
    id: int
    project_id: int
    text: str
    deadline: date
    fixed_on: date | None

    @staticmethod
    def of(p: Problem) -> ProjectProblemOut:
        return ProjectProblemOut(id=p.pk, project_id=p.project_id, text=p.text, deadline=p.deadline,
                                 fixed_on=p.fixed_on)  # fmt: skip


class ProjectDeliverableOut(Schema):
    id: int
    project_id: int
    kind: str
    kind_label: str
    description: str
    registered_on: date

    @staticmethod
    def of(d: Deliverable) -> ProjectDeliverableOut:
        return ProjectDeliverableOut(
            id=d.pk, project_id=d.project_id, kind=d.kind, kind_label=DELIVERABLES.get(d.kind, d.kind),
            description=d.description, registered_on=d.registered_on,
        )  # fmt: skip


# --- the summary ------------------------------------------------------------------------------------------


class ProjectGateOut(Schema):
    gate: str = Field(description="F 资金 / C 建设 / K 验收 / E 绩效评价")
    label: str
    decisions: list[ProjectDecisionOut]


class ProjectHistoryOut(Schema):
    label: str
    action: str
    actor: str
    at: datetime
    seq: int


class ProjectLifecycleSummaryOut(Schema):
    project_id: int
    name: str
    state: str
    state_label: str
    project_version: int = Field(description="项目版本号（验收决定的乐观锁）")
    lifecycle: ProjectLifecycleOut
    ledger: ProjectLedgerSummaryOut
    tranches: list[ProjectTrancheOut]
    ledger_entries: list[ProjectLedgerEntryOut]
    recovery_notices: list[ProjectRecoveryNoticeOut]
    plan_entries: list[ProjectPlanEntryOut]
    report_schedule: list[ProjectReportScheduleOut]
    progress_reports: list[ProjectProgressReportOut]
    incidents: list[ProjectIncidentOut]
    changes: list[ProjectChangeOut]
    problems: list[ProjectProblemOut]
    deliverables: list[ProjectDeliverableOut]
    sharing: ProjectSharingOut
    gates: list[ProjectGateOut]
    history: list[ProjectHistoryOut]
