from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeRecord(models.Model):
    """One entry of the tamper-evident change log (NetBox ObjectChange shape, chained with SM3).

    ``hash`` = SM3 over the canonical JSON of every other field plus ``prev_hash``; editing, deleting or
    reordering a row breaks the chain, which ``sanbu verify_audit`` detects.
    """

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor_username = models.CharField(max_length=150, blank=True)
    actor_department = models.CharField(max_length=18, blank=True)
    # where the changed object lives (GB/T 2260 code), so auditors read only their jurisdiction
    jurisdiction = models.CharField(max_length=6, blank=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's tip (one row). Writers lock it, so the chain stays linear across processes."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class CalendarDay(models.Model):
    """One day of the authority's working-day table: a holiday or a make-up working day (调休上班).

    Entered from the State Council's notice for years ``chinesecalendar`` does not know yet, or to correct
    it; a row always wins over the package. Written only by ``core.calendar.calendar_day_set``.
    """

    day = models.DateField(unique=True)
    is_workday = models.BooleanField()
    name = models.CharField(max_length=50, blank=True)  # the holiday, e.g. 国庆节
    # the notice it follows: 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔…〕…号）
    source = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "放假"
        return f"{self.day.isoformat()} {self.name}{kind}"


class CalendarYear(models.Model):
    """A year whose holiday schedule the authority confirmed (deadlines in it are no longer provisional)."""

    year = models.PositiveSmallIntegerField(unique=True)
    confirmed = models.BooleanField(default=False)
    source = models.TextField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} 年节假日安排（{'已确认' if self.confirmed else '未确认'}）"
