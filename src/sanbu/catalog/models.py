"""The government information resource catalog (政务信息资源目录).

Vocabulary follows 政务信息资源目录编制指南 and the template ``catalog_template.xlsx``: the Chinese labels
of every choice are exactly the template's dictionary values, so import and export map one to one.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from sanbu.core.actor import Actor, Scope
from sanbu.orgs.models import Department


class DataType(models.TextChoices):
    C = "C", "C 字符型"
    N = "N", "N 数值型"
    Y = "Y", "Y 货币型"
    D = "D", "D 日期型"
    T = "T", "T 日期时间型"
    L = "L", "L 逻辑型"
    M = "M", "M 备注型"
    G = "G", "G 通用型"
    B = "B", "B 双精度型"
    I = "I", "I 整型"  # noqa: E741
    F = "F", "F 浮点型"


class CatalogClass(models.TextChoices):
    BASE = "1", "基础信息资源"
    THEME = "2", "主题信息资源"
    DEPARTMENT = "3", "部门信息资源"


class ResourceFormat(models.TextChoices):
    FILE = "file", "电子文件"
    SHEET = "sheet", "电子表格"
    DATABASE = "database", "数据库"
    IMAGE = "image", "图形图像"
    MEDIA = "media", "流媒体"
    SELF_DESCRIBING = "self_describing", "自描述格式"
    INTERFACE = "interface", "服务接口"
    OTHER = "other", "其他"


class ShareType(models.TextChoices):
    UNCONDITIONAL = "unconditional", "无条件共享"
    CONDITIONAL = "conditional", "有条件共享"
    NONE = "none", "不予共享"


class ShareMethod(models.TextChoices):
    API = "api", "共享平台-接口"
    FILE = "file", "共享平台-文件"
    DATABASE = "database", "共享平台-数据库"
    MAIL = "mail", "邮件"
    MEDIUM = "medium", "介质"


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", "实时"
    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    HALF_YEAR = "half_year", "半年"
    YEARLY = "yearly", "每年"
    OTHER = "other", "不定期"


class Secrecy(models.TextChoices):
    NON_SECRET = "non_secret", "非涉密"
    SECRET = "secret", "涉密"


class DataGrade(models.TextChoices):
    GENERAL = "general", "一般数据"
    IMPORTANT = "important", "重要数据"
    CORE = "core", "核心数据"


class Masking(models.TextChoices):
    NONE = "none", "不脱敏"
    ID_NUMBER = "id_number", "身份证号"
    MOBILE = "mobile", "手机号"
    NAME = "name", "姓名"
    ADDRESS = "address", "地址"
    BANK_CARD = "bank_card", "银行卡号"
    FULL = "full", "全部遮蔽"


class ResourceState(models.TextChoices):
    DRAFT = "draft", "已注册（草稿）"
    SUBMITTED = "submitted", "待审核"
    REJECTED = "rejected", "已退回"
    APPROVED = "approved", "审核通过（待挂接）"
    MOUNTED = "mounted", "已挂接（待发布）"
    PUBLISHED = "published", "已发布"
    OFFLINE = "offline", "已下线"


class MountKind(models.TextChoices):
    NONE = "", "未挂接"
    ROWS = "rows", "数据表"
    INTERFACE = "interface", "服务接口"


class DataElement(models.Model):
    """A standard data element (数据元), with its one authoritative source (一数一源)."""

    identifier = models.CharField("标识符", max_length=32, unique=True)
    name = models.CharField("中文名称", max_length=64, unique=True)
    synonyms = models.JSONField("同义名称", default=list, blank=True)
    data_type = models.CharField("数据类型", max_length=1, choices=DataType.choices)
    length = models.CharField("长度", max_length=16, blank=True)
    format = models.CharField("表示格式", max_length=64, blank=True)
    value_domain = models.CharField("值域", max_length=200, blank=True)
    definition = models.CharField("定义", max_length=300, blank=True)
    authority = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="authoritative_elements",
        verbose_name="权威来源部门",
    )  # fmt: skip
    is_base = models.BooleanField("基础标准", default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["identifier"]

    def __str__(self) -> str:
        return self.name

    def all_names(self) -> list[str]:
        return [self.name, *self.synonyms]


class ConflictState(models.TextChoices):
    OPEN = "open", "待处理"
    RESOLVED = "resolved", "已处理"


class ElementConflict(models.Model):
    """A second department claiming to be the authoritative source of an element (CAT-2)."""

    element = models.ForeignKey(DataElement, on_delete=models.CASCADE, related_name="conflicts")
    incumbent = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    claimant = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=ConflictState.choices, default=ConflictState.OPEN)
    note = models.CharField("说明", max_length=300, blank=True)
    resolution = models.CharField("处理意见", max_length=300, blank=True)
    winner = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["element", "claimant"], condition=Q(state="open"), name="catalog_conflict_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.element.name}: {self.incumbent} vs {self.claimant}"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.claimant.jurisdiction_id, department_id=None)


class ResourceQuerySet(models.QuerySet["Resource"]):
    def visible_to(self, actor: Actor) -> ResourceQuerySet:
        """Published, offline and once-published entries to anyone with a role; the rest to their owners
        and authorities."""
        if actor.is_superuser:
            return self
        if not actor.has_any_role:
            return self.none()
        # once published, a resource stays findable (with its frozen versions) while a revision is reviewed
        visible = Q(state__in=[ResourceState.PUBLISHED, ResourceState.OFFLINE]) | Q(published_version__gt=0)
        for prefix in actor.jurisdictions_for("catalog.resource.view_all"):
            visible |= Q(jurisdiction__code__startswith=prefix)
        depts = actor.departments_for("catalog.resource.view_all")
        if depts:
            visible |= Q(department_id__in=depts)
        return self.filter(visible)

    def shared(self) -> ResourceQuerySet:
        """Only published and mounted resources count as shared (CAT-4)."""
        return self.filter(state=ResourceState.PUBLISHED).exclude(mount_kind=MountKind.NONE)


class Resource(models.Model):
    name = models.CharField("信息资源名称", max_length=50)
    code = models.CharField("信息资源代码", max_length=64, unique=True)
    catalog_class = models.CharField("资源分类", max_length=1, choices=CatalogClass.choices)
    subclass = models.CharField("资源子类", max_length=40)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="resources", verbose_name="提供方"
    )
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    summary = models.CharField("信息资源摘要", max_length=256)
    format = models.CharField("资源格式", max_length=20, choices=ResourceFormat.choices)
    share_type = models.CharField("共享类型", max_length=16, choices=ShareType.choices)
    share_condition = models.CharField("共享条件", max_length=300, blank=True)
    no_share_basis = models.CharField("不予共享依据", max_length=300, blank=True)
    share_method = models.CharField("共享方式", max_length=16, choices=ShareMethod.choices)
    open_to_public = models.BooleanField("是否向社会开放", default=False)
    open_condition = models.CharField("开放条件", max_length=300, blank=True)
    update_cycle = models.CharField("更新周期", max_length=16, choices=UpdateCycle.choices)
    release_date = models.DateField("发布日期", null=True, blank=True)
    secrecy = models.CharField("涉密属性", max_length=16, choices=Secrecy.choices, default=Secrecy.NON_SECRET)
    data_grade = models.CharField(
        "数据级别", max_length=16, choices=DataGrade.choices, default=DataGrade.GENERAL
    )
    source_system = models.CharField("来源信息系统", max_length=100, blank=True)
    related_codes = models.CharField("关联资源代码", max_length=500, blank=True)

    state = models.CharField(
        "状态", max_length=16, choices=ResourceState.choices, default=ResourceState.DRAFT
    )
    mount_kind = models.CharField(
        "挂接方式", max_length=16, choices=MountKind.choices, default=MountKind.NONE, blank=True
    )
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    version = models.PositiveIntegerField("修订号", default=1)
    published_version = models.PositiveIntegerField("发布版本", default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="catalog_resource_name_per_provider"),
        ]
        indexes = [
            models.Index(fields=["state", "catalog_class"]),
            models.Index(fields=["jurisdiction", "state"]),
            models.Index(fields=["share_type"]),
            models.Index(fields=["updated_at", "id"], name="catalog_resource_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.department_id)

    @property
    def is_shared(self) -> bool:
        return self.state == ResourceState.PUBLISHED and self.mount_kind != MountKind.NONE


class ResourceItem(models.Model):
    """An information item (信息项): one field of a resource."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField("信息项名称", max_length=64)
    element = models.ForeignKey(
        DataElement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name="引用数据元",
    )
    data_type = models.CharField("数据类型", max_length=1, choices=DataType.choices)
    length = models.PositiveIntegerField("数据长度", null=True, blank=True)
    is_key = models.BooleanField("是否主键", default=False)
    is_authoritative = models.BooleanField("是否权威来源", default=False)
    share_type = models.CharField("共享类型", max_length=16, choices=ShareType.choices, blank=True)
    share_condition = models.CharField("共享条件", max_length=300, blank=True)
    masking = models.CharField("脱敏方式", max_length=16, choices=Masking.choices, default=Masking.NONE)

    class Meta:
        ordering = ["resource_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["resource", "name"], name="catalog_item_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_share_type(self) -> str:
        return self.share_type or self.resource.share_type


class ResourceVersion(models.Model):
    """An immutable snapshot frozen at each publish; versions are compared in the UI."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    published_at = models.DateTimeField()
    published_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["resource_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["resource", "number"], name="catalog_version_unique")]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.number}"


class ResourceMount(models.Model):
    """挂接: the data rows or the interface that make a resource real."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="mounts")
    kind = models.CharField(max_length=16, choices=MountKind.choices)
    is_current = models.BooleanField(default=True)
    file_name = models.CharField(max_length=200, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    interface_url = models.URLField(max_length=500, blank=True)
    interface_method = models.CharField(max_length=8, blank=True)
    interface_params = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.kind}"


class CodeSequence(models.Model):
    """Next 顺序码 per 分类码, locked when a code is generated."""

    prefix = models.CharField(max_length=60, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}/{self.last:06d}"
