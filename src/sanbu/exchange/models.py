"""Consumer apps (the systems a department connects to the platform) and their keys.

A key is shown once, as ``<key_id>.<secret>``: ``key_id`` (``sk_7f3a9c2e``) is public and stored as is,
the secret only as a keyed SM3 hash (``exchange.keys``). Keys are never edited, only issued, rotated
(the old one expires after a grace period) or revoked.
"""

from __future__ import annotations

from datetime import datetime

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
