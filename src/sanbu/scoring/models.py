"""Monthly score snapshots (SUP-3), the scores people enter (third-party evaluation, public feedback) and
the monthly scheduling sheet's tasks (月调度, SUP-2), kept with the snapshot so that a month's ranking,
trend and sheet can be reprinted as they were, whatever changes later.

Written only by ``services``; a snapshot is rebuilt whole (its rows replaced) and its digest (SM3 over the
rows in a fixed order) shows that rebuilding the same month from the same data gives the same result.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from sanbu.core.actor import Scope

VIEW = "scoring.view"  # leaders, the authority, auditors: the jurisdiction's scores; a department its own
BUILD = "scoring.snapshot.build"  # the authority builds a month's snapshot
ENTER = "scoring.external.enter"  # the authority enters third-party and public-feedback scores


class Source(models.TextChoices):
    THIRD_PARTY = "third_party", "第三方评估"
    PUBLIC = "public_feedback", "公众评价"


class ExternalScore(models.Model):
    """A score people give a department for a month (0–100), entered by the authority with its basis."""

    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("orgs.Department", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份")  # the first day of the month
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    score = models.DecimalField("得分", max_digits=5, decimal_places=2)
    basis = models.CharField("依据", max_length=500)
    entered_by = models.CharField(max_length=150)
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "department_id", "source"]
        constraints = [
            models.UniqueConstraint(fields=["department", "month", "source"], name="scoring_external_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.score}"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.department_id)


class Snapshot(models.Model):
    """One month's scores of a jurisdiction's departments on one indicator tree."""

    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份")
    tree = models.CharField("指标体系", max_length=64)
    ruleset = models.CharField(max_length=64)
    ruleset_version = models.PositiveIntegerField(default=0)
    departments = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64)  # SM3 of the rows, in order
    built_at = models.DateTimeField(default=timezone.now)
    built_by = models.CharField(max_length=150)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-month", "jurisdiction_id", "tree"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "month", "tree"], name="scoring_snapshot_once")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.tree}"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id)


class Score(models.Model):
    """One indicator of one department (or, with no department, of the whole jurisdiction) in a snapshot."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="scores")
    department = models.ForeignKey(
        "orgs.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    indicator = models.CharField(max_length=64)
    score = models.FloatField(null=True)  # 0–100; None: not scored this month
    share = models.FloatField(default=0)  # the indicator's share of the total after redistribution
    inputs = models.JSONField(default=dict)  # the facts a leaf read
    rank = models.PositiveIntegerField(null=True)  # on the root indicator, among the departments

    class Meta:
        ordering = ["snapshot_id", "department_id", "indicator"]
        indexes = [models.Index(fields=["snapshot", "indicator", "department"])]

    def __str__(self) -> str:
        return f"{self.indicator} {self.score}"


class Facts(models.Model):
    """The named facts of one department in a snapshot (what every formula read), for the drill-down."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="facts")
    department = models.ForeignKey("orgs.Department", on_delete=models.PROTECT, related_name="+")
    values = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "department"], name="scoring_facts_once")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}/{self.department_id}"


class TaskKind(models.TextChoices):
    REQUEST = "request", "共享申请答复"
    NEED = "need", "供需对接需求答复"
    OBJECTION = "objection", "数据异议处理"
    PROMISED = "promised", "承诺资源未发布"
    REPORT = "report", "建设进度报告"


class Task(models.Model):
    """A sharing task on the monthly scheduling sheet (月调度): who owns it, by when, and where it stands
    at the month's end."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=16, choices=TaskKind.choices)
    ref = models.CharField(max_length=64)  # the object's id (request 12, project 7 period 2026-H2 …)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey("orgs.Department", on_delete=models.PROTECT, related_name="+")
    due = models.DateField(null=True)
    working_days_left = models.IntegerField(null=True)  # negative: overdue by that many working days
    overdue = models.BooleanField(default=False)
    link = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-overdue", "due", "id"]
        indexes = [models.Index(fields=["snapshot", "owner"]), models.Index(fields=["snapshot", "overdue"])]
        constraints = [models.UniqueConstraint(fields=["snapshot", "kind", "ref"], name="scoring_task_once")]

    def __str__(self) -> str:
        return self.title
