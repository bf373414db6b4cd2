"""IT projects from application to approval (gates S and A, POLICY.md PRJ-S, PRJ-A).

A project is written only by ``services``; what the gates read is built from these rows and from the
catalog, exchange and inventory by ``facts``, never ticked by the applicant when the platform knows better.
The expert pool, the draws (seed recorded, so anyone can redo a draw) and the scores live here too.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from sanbu.core.actor import Actor, Scope
from sanbu.orgs.models import Department
from sanbu.policy.facts import CentreOpinion, ProjectClass, ProjectKind

VIEW = "projects.project.view"
APPLY = "projects.project.apply"
REVIEW = "projects.project.review"
EXPERT_MANAGE = "projects.expert.manage"
SCORE = "projects.expert.score"


class ProjectState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已申报（待评审）"
    IN_REVIEW = "in_review", "专家评审中"
    REVIEWED = "reviewed", "评审完成"
    APPROVED = "approved", "已立项"
    REJECTED = "rejected", "不予立项"
    WITHDRAWN = "withdrawn", "已撤回"
    ACCEPTED = "accepted", "已验收"  # set by acceptance (gate K)


# States in which a project still counts as one of the unit's applications (PRJ-S5 split detection).
LIVE_STATES = (ProjectState.DRAFT, ProjectState.SUBMITTED, ProjectState.IN_REVIEW, ProjectState.REVIEWED,
               ProjectState.APPROVED)  # fmt: skip
REVIEW_STATES = (ProjectState.SUBMITTED, ProjectState.IN_REVIEW, ProjectState.REVIEWED)

KIND_CHOICES = [(k.value, k.value) for k in ProjectKind]
CLASS_CHOICES = [
    (ProjectClass.INFRASTRUCTURE.value, "基础设施类"),
    (ProjectClass.CROSS_DEPARTMENT.value, "跨部门类"),
    (ProjectClass.CROSS_LEVEL.value, "跨层级类"),
    (ProjectClass.OTHER.value, "其他"),
]
OPINION_CHOICES = [
    (CentreOpinion.NONE.value, "尚未备案"),
    (CentreOpinion.FAVOURABLE.value, "同意"),
    (CentreOpinion.UNFAVOURABLE.value, "不同意"),
]


class JointConclusion(models.TextChoices):
    NONE = "", "未开展"
    AGREE = "agree", "同意"
    DISAGREE = "disagree", "不同意"


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, actor: Actor) -> ProjectQuerySet:
        """The unit's own projects; a jurisdiction's to the authority, finance, leaders and auditors;
        to an expert, the projects they were drawn for."""
        if actor.is_superuser:
            return self
        visible = Q(pk__in=[])
        for prefix in actor.jurisdictions_for(VIEW):
            visible |= Q(jurisdiction__code__startswith=prefix)
        departments = actor.departments_for(VIEW)
        if departments:
            visible |= Q(unit_id__in=departments)
        if actor.user_id is not None and actor.may(SCORE):
            visible |= Q(assignments__expert__user_id=actor.user_id) | Q(
                acceptance_reviews__expert__user_id=actor.user_id
            )
        return self.filter(visible).distinct()


class Project(models.Model):
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="projects", verbose_name="项目单位"
    )
    name = models.CharField("项目名称", max_length=100)
    kind = models.CharField("建设性质", max_length=8, choices=KIND_CHOICES)
    category = models.CharField("项目类别", max_length=32, default="其他")
    project_class = models.CharField("项目分类", max_length=20, choices=CLASS_CHOICES, default="other")
    amount = models.BigIntegerField("申报金额（元）")
    funding_source = models.CharField("资金来源", max_length=200, blank=True)
    plan_year = models.PositiveSmallIntegerField("计划年度")
    content = models.TextField("建设内容", blank=True)
    technical_route = models.CharField("技术路线", max_length=500, blank=True)
    involves_secrets = models.BooleanField("涉及国家秘密", default=False)
    started_before_approval = models.BooleanField("已开工建设", default=False)
    dynamic_addition = models.BooleanField("申请动态新增", default=False)
    unified_build = models.BooleanField("本级统一建设", default=False)
    library_entry_date = models.DateField("入库日期", null=True, blank=True)
    materials = models.JSONField("申报材料", default=dict, blank=True)  # PRJ-S3 key → text
    # The plan for the system (PRJ-A3/A6). For upgrades the inventory's facts about the systems affected
    # are combined with these (facts.py): a plan cannot claim what the inventory contradicts.
    builds_machine_room_or_cloud = models.BooleanField("新建扩建机房、数据中心、云平台", default=False)
    buys_server_hardware = models.BooleanField("新增采购服务器、存储等硬件", default=False)
    leases_internet_line = models.BooleanField("单独租赁互联网出口", default=False)
    private_network = models.BooleanField("使用未整合的专网", default=False)
    on_gov_cloud = models.BooleanField("部署（迁移）到政务云", default=True)
    uses_secure_reliable = models.BooleanField("应用安全可靠产品", default=True)
    crypto_compliant = models.BooleanField("符合密码应用要求", default=True)
    security_compliant = models.BooleanField("符合等保和安全保密要求", default=True)
    internal_integrated = models.BooleanField("内部系统已整合", default=True)
    hardware_outside_cloud = models.BooleanField("新增硬件不部署在政务云", default=False)
    hardware_outside_cloud_reason = models.CharField("不上云的理由及依据", max_length=500, blank=True)
    design_life_years = models.PositiveSmallIntegerField("设计使用年限（年）", null=True, blank=True)
    construction_months = models.PositiveSmallIntegerField("建设周期（月）", null=True, blank=True)
    central_or_provincial = models.BooleanField("中央或省部署的重大项目", default=False)
    integrates_systems = models.BooleanField("整合分散业务系统", default=False)
    cross_boundary = models.BooleanField("跨部门跨层级跨区域共建共享", default=False)
    systems = models.ManyToManyField(
        "inventory.InformationSystem", related_name="projects", blank=True, verbose_name="涉及的信息系统"
    )
    provides_new = models.JSONField("将新提供的资源（尚未编目）", default=list, blank=True)
    state = models.CharField("状态", max_length=16, choices=ProjectState.choices, default=ProjectState.DRAFT)
    ruleset = models.CharField("适用规则集", max_length=64, blank=True)
    route = models.CharField("评审路径", max_length=20, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    centre_opinion = models.CharField(
        "大数据中心备案意见", max_length=16, choices=OPINION_CHOICES, default="none"
    )
    centre_opinion_text = models.CharField("备案意见说明", max_length=1000, blank=True)
    centre_opinion_by = models.CharField(max_length=150, blank=True)
    centre_opinion_at = models.DateTimeField(null=True, blank=True)
    joint_conclusion = models.CharField(
        "联合评审结论",
        max_length=16,
        choices=JointConclusion.choices,
        default=JointConclusion.NONE,
        blank=True,
    )
    joint_participants = models.CharField("联合评审参加单位", max_length=500, blank=True)
    joint_note = models.CharField("联合评审意见", max_length=1000, blank=True)
    joint_at = models.DateTimeField(null=True, blank=True)
    approval_number = models.CharField("立项批复文号", max_length=64, blank=True)
    approved_amount = models.BigIntegerField("核定金额（元）", null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "state"]), models.Index(fields=["jurisdiction", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "approval_number"], condition=~Q(approval_number=""),
                name="projects_approval_number_once",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.unit_id)


class Direction(models.TextChoices):
    USE = "use", "使用"
    PROVIDE = "provide", "提供"


class ProjectResource(models.Model):
    """A catalog resource the project declares it will use or provide (PRJ-S2)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="resources")
    resource = models.ForeignKey("catalog.Resource", on_delete=models.PROTECT, related_name="project_uses")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    need = models.ForeignKey(
        "exchange.DataNeed", null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "resource", "direction"], name="projects_resource_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.resource_id}"


class Attachment(models.Model):
    """A material file (PRJ-S3). Kept in the database so an application and its files commit together."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments")
    material = models.CharField(max_length=32)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["material", "id"]

    def __str__(self) -> str:
        return self.filename


class ExpertQuerySet(models.QuerySet["Expert"]):
    def visible_to(self, actor: Actor) -> ExpertQuerySet:
        if actor.is_superuser:
            return self
        visible = Q(pk__in=[])
        for prefix in actor.jurisdictions_for(EXPERT_MANAGE):
            visible |= Q(jurisdiction__code__startswith=prefix)
        return self.filter(visible)


class Expert(models.Model):
    """One expert of the jurisdiction's pool (PRJ-A2): specialties, secrecy pool, declared conflicts."""

    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert_profile"
    )
    name = models.CharField("姓名", max_length=50)
    employer = models.CharField("工作单位", max_length=100)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="所在部门",
    )
    title = models.CharField("职称", max_length=50, blank=True)
    specialties = models.JSONField("专业领域", default=list)
    secrecy = models.BooleanField("保密专家库", default=False)
    third_party = models.BooleanField("第三方专家", default=True)
    active = models.BooleanField("在库", default=True)
    conflicts = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name="申报回避单位")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.employer}）"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id)


class ExpertDraw(models.Model):
    """A draw of a panel: the seed and the candidate list are kept, so the same draw can be redone."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="draws")
    seed = models.CharField(max_length=64)
    size = models.PositiveSmallIntegerField()
    secrecy_needed = models.PositiveSmallIntegerField(default=0)
    specialty = models.CharField(max_length=50, blank=True)
    candidates = models.JSONField(default=list)  # expert ids eligible after recusal, ascending
    excluded = models.JSONField(default=list)  # [{"expert": id, "name": ..., "reason": ...}]
    current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"抽取 {self.pk}（种子 {self.seed}）"

    def scope(self) -> Scope:
        return self.project.scope()


class Conclusion(models.TextChoices):
    AGREE = "agree", "同意立项"
    REVISE = "revise", "修改后立项"
    DISAGREE = "disagree", "不同意立项"


class ExpertAssignment(models.Model):
    draw = models.ForeignKey(ExpertDraw, on_delete=models.CASCADE, related_name="assignments")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    secrecy = models.BooleanField(default=False)  # drawn from the secrecy pool
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    conclusion = models.CharField(max_length=16, choices=Conclusion.choices, blank=True)
    opinion = models.TextField(blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "expert"], name="projects_expert_once_per_draw")
        ]

    def __str__(self) -> str:
        return f"评审任务 {self.pk}"

    def scope(self) -> Scope:
        return self.project.scope()


class GateRecord(models.Model):
    """The decisions a gate gave when a project passed it (submission, approval): what the documents list."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gate_records")
    gate = models.CharField(max_length=1)
    ruleset = models.CharField(max_length=64)
    ruleset_version = models.PositiveIntegerField(default=0)
    decisions = models.JSONField()
    facts = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"关口 {self.gate} 记录 {self.pk}"

    def scope(self) -> Scope:
        return self.project.scope()


# --- after approval: plan and funds (gate F), construction (PRJ-C), acceptance (gate K), O&M (gate O),
# evaluation (PRJ-E). Written only by ``funds``, ``construction``, ``acceptance``, ``operations`` and
# ``evaluation`` (each a service module of this app); the gates read facts built from these rows.

PLAN_MANAGE = "projects.plan.manage"  # the authority drafts and issues the annual plan
FUNDS_MANAGE = "projects.funds.manage"  # finance schedules, pays, freezes, recovers and takes back


class FundingMode(models.TextChoices):
    TRANCHE = "tranche", "按进度分批拨付"
    POST_SUBSIDY = "post_subsidy", "后补助"


class Lifecycle(models.Model):
    """What happens to an approved project, one row per project: construction's named responsibilities
    (PRJ-C1), the start (PRJ-F2), funding mode (PRJ-F4), and the acceptance and evaluation record."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="lifecycle")
    funding_mode = models.CharField(
        "资金拨付方式", max_length=16, choices=FundingMode.choices, default=FundingMode.TRANCHE
    )
    funds_frozen = models.BooleanField("资金冻结", default=False)  # PRJ-F2 recovery notice issued
    started_on = models.DateField("开工日期", null=True, blank=True)
    force_majeure = models.CharField("不可抗力原因", max_length=500, blank=True)
    responsible_person = models.CharField("项目责任人", max_length=50, blank=True)
    implementing_body = models.CharField("项目实施机构", max_length=100, blank=True)
    supervisor_unit = models.CharField("工程监理单位", max_length=100, blank=True)
    supervision_required = models.BooleanField("实行工程监理制", default=True)
    supervisor_secret_qualified = models.BooleanField("监理具备涉密资质", default=False)
    pilot = models.BooleanField("信息惠民国家试点项目", default=False)
    construction_ended_on = models.DateField("建设完成日期", null=True, blank=True)
    # acceptance (gate K)
    trial_run_started = models.DateField("试运行开始", null=True, blank=True)
    trial_run_ended = models.DateField("试运行结束", null=True, blank=True)
    trial_run_normal = models.BooleanField("试运行稳定正常", default=True)
    final_inspection_done = models.BooleanField("已完成终验", default=False)
    dengbao_tested = models.BooleanField("等保（分保）测评通过", default=False)
    applied_on = models.DateField("验收申请日期", null=True, blank=True)
    extension_reason = models.CharField("延期验收申请理由", max_length=500, blank=True)
    materials = models.JSONField("验收材料", default=list, blank=True)  # keys of rules.acceptance materials
    panel_members = models.PositiveSmallIntegerField("验收小组人数", default=0)
    panel_third_party = models.PositiveSmallIntegerField("其中第三方专家", default=0)
    panel_names = models.CharField("验收小组成员", max_length=500, blank=True)
    confirmation = models.JSONField("数据共享情况确认快照", null=True, blank=True)  # PRJ-K2, frozen
    confirmed_by = models.CharField(max_length=150, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    accepted_on = models.DateField("验收通过日期", null=True, blank=True)
    acceptance_opinion = models.CharField("验收意见", max_length=1000, blank=True)
    report_filed_on = models.DateField("验收报告备案日期", null=True, blank=True)
    # evaluation (PRJ-E)
    contract_assigns_ip = models.BooleanField("合同约定成果和知识产权归政府", default=False)
    self_evaluation_filed_on = models.DateField("自评价报告报送日期", null=True, blank=True)
    self_evaluation = models.TextField("自评价报告", blank=True)
    key_evaluation = models.BooleanField("列入重点绩效评价", default=False)
    key_evaluation_grade = models.CharField("重点绩效评价结果", max_length=8, blank=True)
    closed_on = models.DateField("竣工财务决算日期", null=True, blank=True)
    goals_or_content_changed = models.BooleanField("建设目标或内容已变更", default=False)
    balance = models.BigIntegerField("结余资金（元）", default=0)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.project_id} 建设与验收"

    def scope(self) -> Scope:
        return self.project.scope()


class PlanState(models.TextChoices):
    DRAFT = "draft", "编制中"
    ISSUED = "issued", "已下达"


class AnnualPlan(models.Model):
    """信息化项目建设年度计划 of a jurisdiction (PRJ-F1): approved projects with amounts."""

    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("计划年度")
    state = models.CharField(max_length=8, choices=PlanState.choices, default=PlanState.DRAFT)
    document_number = models.CharField("计划文号", max_length=64, blank=True)
    issued_by = models.CharField(max_length=150, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "jurisdiction_id"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "year"], name="projects_plan_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} 年度建设计划"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id)


class PlanEntry(models.Model):
    """A project in the plan. A dynamic addition (动态新增) after the plan was issued counts only once
    approved on its own (抄告单 or 会议纪要, ``addition_basis``)."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="entries")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="plan_entries")
    amount = models.BigIntegerField("年度计划金额（元）")
    dynamic = models.BooleanField("动态新增", default=False)
    addition_basis = models.CharField("动态新增依据", max_length=200, blank=True)
    addition_approved_by = models.CharField(max_length=150, blank=True)
    addition_approved_at = models.DateTimeField(null=True, blank=True)
    added_by = models.CharField(max_length=150)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["plan", "project"], name="projects_plan_entry_once")]

    def __str__(self) -> str:
        return f"计划项 {self.project_id}"

    def scope(self) -> Scope:
        return self.project.scope()


class TrancheState(models.TextChoices):
    SCHEDULED = "scheduled", "待拨付"
    PAID = "paid", "已拨付"
    FROZEN = "frozen", "已冻结"
    CANCELLED = "cancelled", "已取消"


class Tranche(models.Model):
    """One scheduled payment (拨付批次). Paying it writes a ``LedgerEntry`` in the same transaction."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tranches")
    number = models.PositiveSmallIntegerField("批次")
    amount = models.BigIntegerField("金额（元）")
    purpose = models.CharField("拨付依据", max_length=200, blank=True)
    # PRJ-F4: part of a post-subsidy pilot's funds paid before its evaluation (启动资金).
    startup = models.BooleanField("启动资金", default=False)
    state = models.CharField(max_length=16, choices=TrancheState.choices, default=TrancheState.SCHEDULED)
    paid_on = models.DateField("拨付日期", null=True, blank=True)
    paid_by = models.CharField(max_length=150, blank=True)
    voucher = models.CharField("拨付凭证号", max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="projects_tranche_number_once")
        ]

    def __str__(self) -> str:
        return f"第 {self.number} 批"

    def scope(self) -> Scope:
        return self.project.scope()


class EntryKind(models.TextChoices):
    PAYMENT = "payment", "拨付"
    RECOVERY = "recovery", "收回"
    RETURN = "return", "结余交回"


class LedgerEntry(models.Model):
    """The funds ledger: append-only. Net paid = payments − recoveries − returns, never above the approved
    amount nor below zero; a tranche is paid at most once (the database enforces it too)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="ledger")
    tranche = models.ForeignKey(
        Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    amount = models.BigIntegerField("金额（元）")
    booked_on = models.DateField("记账日期")
    reference = models.CharField("凭证或通知书编号", max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tranche"], condition=Q(kind="payment"), name="projects_tranche_paid_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="projects_ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def scope(self) -> Scope:
        return self.project.scope()


class RecoveryNotice(models.Model):
    """资金收回通知 (PRJ-F2 not started in time; PRJ-F4 post-subsidy evaluation failed)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="recovery_notices")
    number = models.CharField("通知书编号", max_length=64, unique=True)
    rule = models.CharField(max_length=16)  # PRJ-F2 / PRJ-F4
    reason = models.CharField("收回原因", max_length=500)
    frozen_amount = models.BigIntegerField("冻结未拨资金（元）", default=0)
    recover_amount = models.BigIntegerField("应收回已拨资金（元）", default=0)
    decisions = models.JSONField(default=list)
    issued_on = models.DateField("发出日期")
    issued_by = models.CharField(max_length=150)
    # PRJ-F2's freeze lifted once force majeure was recognised on review (recovered money stays booked).
    lifted_on = models.DateField("解除冻结日期", null=True, blank=True)
    lifted_by = models.CharField(max_length=150, blank=True)
    lift_reason = models.CharField("解除冻结理由", max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    def scope(self) -> Scope:
        return self.project.scope()


class ProgressReport(models.Model):
    """建设进度报告 for one period of the ruleset's cadence (PRJ-C2)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_reports")
    period = models.CharField("报告期", max_length=8)  # 2026, 2026-H1, 2026-Q3
    progress = models.PositiveSmallIntegerField("形象进度（%）")
    spent = models.BigIntegerField("累计完成投资（元）", default=0)
    content = models.TextField("进展情况")
    filed_on = models.DateField("报送日期")
    filed_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["project_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="projects_report_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.period} 进度报告"

    def scope(self) -> Scope:
        return self.project.scope()


class IncidentKind(models.TextChoices):
    DELAY = "delay", "工程严重逾期"
    LOSS = "loss", "投资重大损失"


class IncidentReport(models.Model):
    """A serious delay or loss and when it was reported (PRJ-C3)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(max_length=8, choices=IncidentKind.choices)
    occurred_on = models.DateField("发生日期")
    reported_on = models.DateField("报告日期")
    description = models.TextField("情况说明")
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def scope(self) -> Scope:
        return self.project.scope()


class ChangeState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予批准"
    UNAPPROVED = "unapproved", "未经批准擅自变更"
    RATIFIED = "ratified", "擅自变更已补办审批"
    RESTORED = "restored", "擅自变更已恢复批复内容"


class ChangeRequest(models.Model):
    """A change of construction content (PRJ-C4): asked for and decided, or found made without approval."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    content = models.TextField("变更内容")
    reason = models.TextField("变更理由")
    state = models.CharField(max_length=16, choices=ChangeState.choices, default=ChangeState.PENDING)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=1000, blank=True)
    # An unapproved change settled afterwards (补办审批 or 恢复批复内容); the finding above stays as it was.
    settled_by = models.CharField(max_length=150, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_note = models.CharField("处理意见", max_length=1000, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"变更 {self.pk}"

    def scope(self) -> Scope:
        return self.project.scope()


class OperationsReview(models.Model):
    """One system's O&M funds for one year (gate O): the request, then the check that decides it. The
    facts and decisions are frozen into the row when checked, so the eligibility list can be reprinted."""

    system = models.ForeignKey(
        "inventory.InformationSystem", on_delete=models.PROTECT, related_name="operations_reviews"
    )
    year = models.PositiveSmallIntegerField("运维年度")
    requested_budget = models.BigIntegerField("申请运维经费（元）", default=0)
    last_budget = models.BigIntegerField("上年运维经费（元）", null=True, blank=True)
    workload_change = models.FloatField("运维工作量变化", null=True, blank=True)  # 0.2 = +20 %
    last_evaluation = models.CharField("上年应用绩效评价", max_length=8, blank=True)
    major_hazards = models.BooleanField("存在重大安全隐患", default=False)
    supervision_issues = models.JSONField("运维监管问题", default=list, blank=True)
    eligible = models.BooleanField(null=True)  # None: not checked yet
    decisions = models.JSONField(default=list, blank=True)
    facts = models.JSONField(null=True, blank=True)
    ruleset = models.CharField(max_length=64, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.CharField(max_length=150, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "system_id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "year"], name="projects_operations_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} 运维经费"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.system.jurisdiction_id, department_id=self.system.department_id)


class Problem(models.Model):
    """A problem found by evaluation or supervision, with its rectification deadline (PRJ-E2)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="problems")
    text = models.CharField("整改意见", max_length=500)
    deadline = models.DateField("整改期限")
    fixed_on = models.DateField("整改完成日期", null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.text

    def scope(self) -> Scope:
        return self.project.scope()


class Deliverable(models.Model):
    """A result handed over to and owned by the government (成果登记, PRJ-E3)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deliverables")
    kind = models.CharField("成果类型", max_length=32)  # a key of rules.acceptance deliverables
    description = models.CharField("说明", max_length=500, blank=True)
    registered_on = models.DateField("登记日期")
    registered_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="projects_deliverable_once")]

    def __str__(self) -> str:
        return self.kind

    def scope(self) -> Scope:
        return self.project.scope()


class AcceptanceConclusion(models.TextChoices):
    NONE = "", "未提交"
    AGREE = "agree", "同意通过验收"
    DISAGREE = "disagree", "不同意"


class AcceptanceReview(models.Model):
    """One expert appointed to the acceptance panel (验收小组, PRJ-K4) from the jurisdiction's pool, and the
    conclusion they submit. Written only by ``acceptance`` (``panel_appoint``, ``acceptance_review``);
    ``third_party`` is copied from the expert when appointed, so the composition gate K read stays put."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="acceptance_reviews")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="acceptance_reviews")
    third_party = models.BooleanField("第三方专家", default=False)
    conclusion = models.CharField(
        "验收结论", max_length=16, choices=AcceptanceConclusion.choices, blank=True, default=""
    )
    opinion = models.TextField("验收意见", blank=True)
    appointed_at = models.DateTimeField(default=timezone.now)
    appointed_by = models.CharField(max_length=150)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "expert"], name="projects_acceptance_review_once")
        ]

    def __str__(self) -> str:
        return f"验收任务 {self.pk}"

    def scope(self) -> Scope:
        return self.project.scope()
