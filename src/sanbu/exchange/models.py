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
