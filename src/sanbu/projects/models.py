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
            visible |= Q(assignments__expert__user_id=actor.user_id)
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
