from __future__ import annotations

from django.conf import settings
from django.db import models

from sanbu.core.actor import Scope, jurisdiction_prefix


class Level(models.IntegerChoices):
    PROVINCE = 1, "省"
    CITY = 2, "市"
    COUNTY = 3, "县"


class Jurisdiction(models.Model):
    """A GB/T 2260 division, loaded from stdnum's list by migration (never typed by hand)."""

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=64)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_to = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        return jurisdiction_prefix(self.code)

    def full_name(self) -> str:
        names: list[str] = []
        node: Jurisdiction | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class DepartmentQuerySet(models.QuerySet["Department"]):
    def active(self) -> DepartmentQuerySet:
        return self.filter(is_active=True)


class Department(models.Model):
    name = models.CharField("部门名称", max_length=100)
    short_name = models.CharField("简称", max_length=40, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="departments")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="orgs_department_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.pk)


class RoleScope(models.TextChoices):
    JURISDICTION = "jurisdiction", "行政区划"
    DEPARTMENT = "department", "部门"


class Role(models.Model):
    """A role and the actions it grants, kept as data (``orgs/data/roles.yaml``, loaded on migrate)."""

    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=40)
    scope_kind = models.CharField(max_length=16, choices=RoleScope.choices)
    actions = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT)
    jurisdiction = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(jurisdiction__isnull=False, department__isnull=True)
                    | models.Q(jurisdiction__isnull=True, department__isnull=False)
                ),
                name="orgs_assignment_one_scope",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "jurisdiction", "department"], name="orgs_assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role_id} @ {self.department or self.jurisdiction}"


class Profile(models.Model):
    """The department a user works for (a user acts for one department)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    display_name = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class Notice(models.Model):
    """A notice to a department inside the platform (站内通知): an interface being retired, an objection
    answered, a need routed to it. Written only through ``orgs.notices.notify`` by services, in their
    transaction; read and marked read by the department's staff."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("类别", max_length=40)
    title = models.CharField("标题", max_length=200)
    body = models.CharField("内容", max_length=1000, blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    read_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "read_at"], name="orgs_notice_unread")]

    def __str__(self) -> str:
        return self.title

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.department.jurisdiction_id, department_id=self.department_id)


class RulesetState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    DISCARDED = "discarded", "已放弃"


class RulesetVersion(models.Model):
    """A version of a ruleset made in the platform: changes (parameter values, rule switches), each with
    its citation, laid over the shipped file (``sanbu.policy.rulesets``). A draft has no number; publishing
    gives it the next one (1, 2, … per ruleset, contiguous). Written only by ``orgs.rulesets`` services."""

    name = models.CharField("规则集", max_length=64)
    number = models.PositiveIntegerField("版本号", null=True, blank=True)
    base = models.PositiveIntegerField("起草时的版本号", default=0)
    state = models.CharField(max_length=16, choices=RulesetState.choices, default=RulesetState.DRAFT)
    changes = models.JSONField("修改", default=list)  # [{kind, key, old, new, citation}]
    note = models.CharField("说明", max_length=1000, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField()
    published_by = models.CharField(max_length=150, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.CharField(max_length=150, blank=True)
    discarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "number"], name="orgs_rulesetversion_number_unique"),
            models.CheckConstraint(
                condition=models.Q(state="published", number__isnull=False)
                | (~models.Q(state="published") & models.Q(number__isnull=True)),
                name="orgs_rulesetversion_number_when_published",
            ),
        ]
        indexes = [models.Index(fields=["name", "state"], name="orgs_rulesetversion_state")]

    def __str__(self) -> str:
        if self.number:
            return f"规则集 {self.name} 第 {self.number} 版"
        return f"规则集 {self.name} {self.get_state_display()} #{self.pk}"

    def scope(self) -> Scope:
        """Where its change records belong: the first jurisdiction the ruleset decides for ("" when it
        decides for the whole platform, as ``default`` does)."""
        from .rulesets import applies_to

        codes = applies_to(self.name)
        return Scope(jurisdiction=codes[0] if codes else "")
