"""Consumer apps (the systems a department connects to the platform) and their keys.

A key is shown once, as ``<key_id>.<secret>``: ``key_id`` (``sk_7f3a9c2e``) is public and stored as is,
the secret only as a keyed SM3 hash (``exchange.keys``). Keys are never edited, only issued, rotated
(the old one expires after a grace period) or revoked.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from sanbu.core.actor import Actor, Scope
from sanbu.orgs.models import Department


class AppStatus(models.TextChoices):
    ACTIVE = "active", "启用"
    DISABLED = "disabled", "已停用"


class KeyStatus(models.TextChoices):
    """Derived from the timestamps (never stored), so a key expires without anyone writing."""

    ACTIVE = "active", "有效"
    EXPIRING = "expiring", "轮换宽限期"
    EXPIRED = "expired", "已过期"
    REVOKED = "revoked", "已吊销"


class ConsumerAppQuerySet(models.QuerySet["ConsumerApp"]):
    def visible_to(self, actor: Actor) -> ConsumerAppQuerySet:
        """A department's own apps to its stewards and consumers; a jurisdiction's to the authority
        and auditors there."""
        if actor.is_superuser:
            return self
        visible = Q(pk__in=[])
        for prefix in actor.jurisdictions_for("exchange.app.view"):
            visible |= Q(jurisdiction__code__startswith=prefix)
        departments = actor.departments_for("exchange.app.view")
        if departments:
            visible |= Q(department_id__in=departments)
        return self.filter(visible)


class ConsumerApp(models.Model):
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="consumer_apps", verbose_name="所属部门"
    )
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("应用名称", max_length=64)
    purpose = models.CharField("用途说明", max_length=300, blank=True)
    system_name = models.CharField("所属信息系统", max_length=100, blank=True)
    status = models.CharField("状态", max_length=16, choices=AppStatus.choices, default=AppStatus.ACTIVE)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField("停用原因", max_length=200, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        "调用频率上限（次/分钟）",
        default=600,
        help_text="共享网关对该应用每分钟受理的调用次数上限，所有工作进程合计。",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    objects = ConsumerAppQuerySet.as_manager()

    class Meta:
        ordering = ["department_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="exchange_app_name_per_department")
        ]

    def __str__(self) -> str:
        return self.name

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.department_id)

    @property
    def is_active(self) -> bool:
        return self.status == AppStatus.ACTIVE


class AppKey(models.Model):
    app = models.ForeignKey(ConsumerApp, on_delete=models.PROTECT, related_name="keys")
    key_id = models.CharField("密钥标识", max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)  # HMAC-SM3, never the secret
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_reason = models.CharField("吊销原因", max_length=200, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="轮换为"
    )
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        ordering = ["app_id", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.key_id

    def scope(self) -> Scope:
        return self.app.scope()

    def status_at(self, now: datetime) -> KeyStatus:
        if self.revoked_at is not None:
            return KeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return KeyStatus.EXPIRED
        if self.replaced_by_id is not None:
            return KeyStatus.EXPIRING
        return KeyStatus.ACTIVE

    @property
    def status(self) -> KeyStatus:
        return self.status_at(timezone.now())

    @property
    def is_usable(self) -> bool:
        return self.status in (KeyStatus.ACTIVE, KeyStatus.EXPIRING)


# --- share requests and grants ---------------------------------------------------------------------


class RequestState(models.TextChoices):
    PENDING = "pending", "办理中"
    GRANTED = "granted", "已同意"
    REFUSED = "refused", "已拒绝"
    RESUBMITTED = "resubmitted", "已修改重提"


class StepName(models.TextChoices):
    SUBMIT = "submit", "提交申请"
    ACCEPT = "accept", "受理"
    APPROVE = "approve", "审核同意"
    REFUSE = "refuse", "拒绝"
    GRANT = "grant", "授权"


class StepDecision(models.TextChoices):
    DONE = "done", "已办理"
    APPROVED = "approved", "同意"
    REFUSED = "refused", "拒绝"


def _involving(actor: Actor, action: str) -> Q:
    """Requests and grants the actor may see: its departments on either side, its jurisdictions' ones."""
    visible = Q(pk__in=[])
    for prefix in actor.jurisdictions_for(action):
        visible |= Q(jurisdiction__code__startswith=prefix)
    departments = actor.departments_for(action)
    if departments:
        visible |= Q(consumer_department_id__in=departments) | Q(provider_department_id__in=departments)
    return visible


class ShareRequestQuerySet(models.QuerySet["ShareRequest"]):
    def visible_to(self, actor: Actor) -> ShareRequestQuerySet:
        if actor.is_superuser:
            return self
        return self.filter(_involving(actor, "exchange.request.view"))


class ShareRequest(models.Model):
    """A consumer department's request for items of a published resource (EX-2).

    ``steps`` is the ruleset's list of approval steps copied at submission (so a later ruleset change
    never alters a request in flight); ``step_index`` points at the step awaiting action and
    ``current_step`` names it (empty once answered). ``due_date``
    counts working days from receipt; ``due_provisional`` says it rests on an unconfirmed year.
    """

    consumer_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="share_requests", verbose_name="使用部门"
    )
    app = models.ForeignKey(ConsumerApp, on_delete=models.PROTECT, related_name="share_requests")
    resource = models.ForeignKey("catalog.Resource", on_delete=models.PROTECT, related_name="share_requests")
    provider_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name="提供部门"
    )
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    items = models.ManyToManyField("catalog.ResourceItem", related_name="+", verbose_name="申请信息项")
    purpose = models.CharField("用途", max_length=500)
    legal_basis = models.CharField("依据", max_length=500)
    period_start = models.DateField("使用期限起")
    period_end = models.DateField("使用期限止")
    consumer_approval = models.CharField("使用方审批或备案（涉密）", max_length=300, blank=True)
    state = models.CharField(max_length=16, choices=RequestState.choices, default=RequestState.PENDING)
    steps = models.JSONField("审批环节", default=list)
    step_index = models.PositiveSmallIntegerField(default=0)
    current_step = models.CharField("待办环节", max_length=16, blank=True)
    masking_lifted = models.JSONField("取消脱敏的信息项", default=list, blank=True)
    round = models.PositiveSmallIntegerField("轮次", default=1)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resubmissions",
        verbose_name="上一轮申请",
    )  # fmt: skip
    received_at = models.DateTimeField("收到时间")
    due_date = models.DateField("答复期限", null=True, blank=True)
    due_provisional = models.BooleanField("期限为暂定", default=False)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    refusal_reason = models.CharField("拒绝理由", max_length=500, blank=True)
    submitted_by = models.CharField(max_length=150)
    version = models.PositiveIntegerField(default=1)

    objects = ShareRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "due_date"], name="exchange_request_due")]

    def __str__(self) -> str:
        return f"共享申请 #{self.pk}"

    def scope(self) -> Scope:
        """The provider's side: who answers the request."""
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.provider_department_id)

    def consumer_scope(self) -> Scope:
        return Scope(jurisdiction=self.app.jurisdiction_id, department_id=self.consumer_department_id)

    def is_overdue_on(self, today: date) -> bool:
        return (
            self.state == RequestState.PENDING
            and self.answered_at is None
            and self.due_date is not None
            and self.due_date < today
        )


class ShareRequestStep(models.Model):
    """One step taken on a request: who, what they decided, when (the request's own history)."""

    request = models.ForeignKey(ShareRequest, on_delete=models.CASCADE, related_name="history")
    step = models.CharField(max_length=16, choices=StepName.choices)
    actor = models.CharField(max_length=150)
    actor_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=16, choices=StepDecision.choices)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.step} {self.decision}"


class GrantQuerySet(models.QuerySet["Grant"]):
    def visible_to(self, actor: Actor) -> GrantQuerySet:
        if actor.is_superuser:
            return self
        return self.filter(_involving(actor, "exchange.request.view"))

    def active_on(self, when: datetime) -> GrantQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate(when))
        )


class Grant(models.Model):
    """What an app may read: a resource's items, with masking, until expiry or revocation.

    ``masking`` maps item id (as a string) to the masking applied to that item; it starts as each
    item's own rule and only an explicit per-item lift by the approver sets ``none`` (EX-8, CAT-7).
    """

    app = models.ForeignKey(ConsumerApp, on_delete=models.PROTECT, related_name="grants")
    resource = models.ForeignKey("catalog.Resource", on_delete=models.PROTECT, related_name="grants")
    consumer_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    provider_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    items = models.ManyToManyField("catalog.ResourceItem", related_name="+", verbose_name="授权信息项")
    masking = models.JSONField("脱敏方式", default=dict)
    request = models.OneToOneField(ShareRequest, on_delete=models.PROTECT, related_name="grant")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField("到期日", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    revoked_reason = models.CharField("撤销原因", max_length=500, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"授权 #{self.pk}"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.provider_department_id)

    def is_active_on(self, when: datetime) -> bool:
        return self.revoked_at is None and (
            self.expires_on is None or self.expires_on >= timezone.localdate(when)
        )


class RateWindow(models.Model):
    """The gateway's fixed-window call counter: one row per (app, window start), shared by all workers.

    Written only by ``exchange.ratelimit`` with ``INSERT … ON CONFLICT DO UPDATE … RETURNING``.
    """

    app = models.ForeignKey(ConsumerApp, on_delete=models.CASCADE, related_name="+")
    window_start = models.BigIntegerField()  # epoch seconds of the window's start
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "window_start"], name="exchange_ratewindow_app_window")
        ]

    def __str__(self) -> str:
        return f"{self.app_id}@{self.window_start}: {self.n}"


# --- 供需对接: data needs (EX-3) ---------------------------------------------------------------------


class NeedState(models.TextChoices):
    OPEN = "open", "待对接"
    ROUTED = "routed", "已转提供部门"
    MATCHED = "matched", "已匹配资源"
    CLOSED = "closed", "已办结"


class NeedOutcome(models.TextChoices):
    """How a need was closed; counted per department by scoring later."""

    SATISFIED = "satisfied", "已由目录资源满足"
    WILL_PROVIDE = "will_provide", "提供部门承诺编目提供"
    CANNOT_PROVIDE = "cannot_provide", "无法提供（已说明理由）"
    WITHDRAWN = "withdrawn", "需求部门撤回"


class DataNeedQuerySet(models.QuerySet["DataNeed"]):
    def visible_to(self, actor: Actor) -> DataNeedQuerySet:
        """The posting department's and the routed-to provider's needs; a jurisdiction's to the authority."""
        if actor.is_superuser:
            return self
        visible = Q(pk__in=[])
        for prefix in actor.jurisdictions_for("exchange.need.view"):
            visible |= Q(jurisdiction__code__startswith=prefix)
        departments = actor.departments_for("exchange.need.view")
        if departments:
            visible |= Q(department_id__in=departments) | Q(routed_to_id__in=departments)
        return self.filter(visible)


class DataNeed(models.Model):
    """A department's sharing need in its own words (供需对接, EX-3), tracked to closure.

    ``desired_items`` are the item names the department asked for (free text, matched against data
    elements and item names); ``proposals`` the resources the platform proposed when it was posted or
    re-matched (``[{"resource": id, "score": n, "reasons": [...]}]``). A need nobody's catalog covers
    is routed to the likely provider (the authority of the elements it names) with a working-day deadline.
    """

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="data_needs", verbose_name="需求部门"
    )
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("需求名称", max_length=100)
    description = models.CharField("需求描述", max_length=1000)
    desired_items = models.JSONField("所需信息项", default=list)
    purpose = models.CharField("用途", max_length=500, blank=True)
    state = models.CharField("状态", max_length=16, choices=NeedState.choices, default=NeedState.OPEN)
    proposals = models.JSONField("推荐资源", default=list, blank=True)
    routed_to = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="routed_needs",
        verbose_name="转交提供部门",
    )  # fmt: skip
    routed_at = models.DateTimeField("转交时间", null=True, blank=True)
    due_date = models.DateField("答复期限", null=True, blank=True)
    due_provisional = models.BooleanField("期限为暂定", default=False)
    matched_resource = models.ForeignKey(
        "catalog.Resource", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="对接资源",
    )  # fmt: skip
    outcome = models.CharField("办结方式", max_length=16, choices=NeedOutcome.choices, blank=True)
    reply = models.CharField("答复意见", max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = DataNeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "due_date"], name="exchange_need_due")]

    def __str__(self) -> str:
        return self.title

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.department_id)

    def provider_scope(self) -> Scope | None:
        if self.routed_to_id is None:
            return None
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.routed_to_id)

    def is_overdue_on(self, today: date) -> bool:
        return self.state == NeedState.ROUTED and self.due_date is not None and self.due_date < today


# --- feedback on shared data (EX-4) ------------------------------------------------------------------


class ObjectionState(models.TextChoices):
    OPEN = "open", "待核实"
    ANSWERED = "answered", "已答复（数据无误）"
    CORRECTED = "corrected", "已更正"
    CLOSED = "closed", "已确认办结"


class ObjectionQuerySet(models.QuerySet["Objection"]):
    def visible_to(self, actor: Actor) -> ObjectionQuerySet:
        if actor.is_superuser:
            return self
        return self.filter(_involving(actor, "exchange.feedback.view"))


class Objection(models.Model):
    """A consumer's objection to a record or field of shared data (数据异议, EX-4).

    The record is named by its key: only a keyed hash and a masked form are kept (``record_key_hash``,
    ``record_key_masked``), never the 公民身份号码 itself. The provider answers (data is right, with
    reasons) or corrects within ``due_date`` (working days from receipt); the consumer is told.
    """

    resource = models.ForeignKey("catalog.Resource", on_delete=models.PROTECT, related_name="objections")
    item = models.ForeignKey(
        "catalog.ResourceItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="信息项",
    )  # fmt: skip
    grant = models.ForeignKey(
        Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    consumer_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="objections", verbose_name="提出部门"
    )
    provider_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name="提供部门"
    )
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    record_key_hash = models.CharField(max_length=64, blank=True)
    record_key_masked = models.CharField("记录标识", max_length=64, blank=True)
    description = models.CharField("问题描述", max_length=1000)
    evidence = models.CharField("佐证材料", max_length=1000)
    expected_value = models.CharField("应为", max_length=500, blank=True)
    state = models.CharField(
        "状态", max_length=16, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    received_at = models.DateTimeField("收到时间", default=timezone.now)
    due_date = models.DateField("处理期限", null=True, blank=True)
    due_provisional = models.BooleanField("期限为暂定", default=False)
    answer = models.CharField("处理意见", max_length=1000, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    created_by = models.CharField(max_length=150)
    version = models.PositiveIntegerField(default=1)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "due_date"], name="exchange_objection_due")]

    def __str__(self) -> str:
        return f"数据异议 #{self.pk}"

    def scope(self) -> Scope:
        """The provider's side: who answers."""
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.provider_department_id)

    def consumer_scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.consumer_department_id)

    def is_overdue_on(self, today: date) -> bool:
        return self.state == ObjectionState.OPEN and self.due_date is not None and self.due_date < today


# --- interface lifecycle (EX-5) ----------------------------------------------------------------------


class InterfaceState(models.TextChoices):
    ACTIVE = "active", "在用"
    DEPRECATED = "deprecated", "已弃用（待停用）"
    RETIRED = "retired", "已停用"


class InterfaceVersion(models.Model):
    """A released version of a resource's gateway interface: the item names it serves.

    Calls pin a version with ``?version=N`` or get the newest active one. A deprecated version keeps
    answering (with ``Deprecation``/``Sunset`` headers) until ``sunset_on``; after that day calls get
    410 naming ``successor``. ``state`` is the stored decision; a deprecated version whose sunset has
    passed is retired whatever ``state`` says (``is_retired_on``), so nobody has to run a job at midnight.
    """

    resource = models.ForeignKey(
        "catalog.Resource", on_delete=models.PROTECT, related_name="interface_versions"
    )
    number = models.PositiveIntegerField("版本号")
    item_names = models.JSONField("提供的信息项", default=list)
    note = models.CharField("版本说明", max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=InterfaceState.choices, default=InterfaceState.ACTIVE)
    released_at = models.DateTimeField(default=timezone.now)
    released_by = models.CharField(max_length=150)
    deprecated_at = models.DateTimeField(null=True, blank=True)
    deprecated_by = models.CharField(max_length=150, blank=True)
    sunset_on = models.DateField("停用日期", null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="替代版本"
    )

    class Meta:
        ordering = ["resource_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="exchange_interface_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.number}"

    def is_retired_on(self, today: date) -> bool:
        if self.state == InterfaceState.RETIRED:
            return True
        return self.sunset_on is not None and self.sunset_on < today


# --- usage -------------------------------------------------------------------------------------------


class UsageDay(models.Model):
    """Calls per resource, app and day, counted by the gateway's access-log writer in the same
    transaction as the access records (so the counts never disagree with the audit chain)."""

    resource_id = models.BigIntegerField()
    app = models.ForeignKey(ConsumerApp, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    rows = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["resource_id", "app", "day"], name="exchange_usage_day_unique")
        ]
        indexes = [models.Index(fields=["resource_id", "day"], name="exchange_usage_resource_day")]

    def __str__(self) -> str:
        return f"{self.resource_id}/{self.app_id}@{self.day}: {self.calls}"
