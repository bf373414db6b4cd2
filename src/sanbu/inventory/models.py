"""The register of information systems (SUP-1, 002 篇五 五: 登记造册, 建立清单).

Whether a system is docked to the exchange platform is derived from facts (``selectors.docked``), never
stored here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from sanbu.core.actor import Actor, Scope
from sanbu.orgs.models import Department

VIEW = "inventory.system.view"
MANAGE = "inventory.system.manage"


class SystemStatus(models.TextChoices):
    BUILDING = "building", "在建"
    RUNNING = "running", "运行"
    STOPPED = "stopped", "停用"
    RETIRED = "retired", "下线"


class Network(models.TextChoices):
    INTERNET = "internet", "互联网"
    EXTRANET = "extranet", "政务外网"
    INTRANET = "intranet", "政务内网"
    PRIVATE = "private", "专网"


class DengbaoLevel(models.IntegerChoices):
    NONE = 0, "未定级"
    LEVEL1 = 1, "第一级"
    LEVEL2 = 2, "第二级"
    LEVEL3 = 3, "第三级"
    LEVEL4 = 4, "第四级"
    LEVEL5 = 5, "第五级"


class MipinStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开展"
    PASSED = "passed", "已通过"
    FAILED = "failed", "未通过"


class InformationSystemQuerySet(models.QuerySet["InformationSystem"]):
    def visible_to(self, actor: Actor) -> InformationSystemQuerySet:
        """A department's own systems to its stewards; a jurisdiction's to the authority and auditors."""
        if actor.is_superuser:
            return self
        visible = Q(pk__in=[])
        for prefix in actor.jurisdictions_for(VIEW):
            visible |= Q(jurisdiction__code__startswith=prefix)
        departments = actor.departments_for(VIEW)
        if departments:
            visible |= Q(department_id__in=departments)
        return self.filter(visible)


class InformationSystem(models.Model):
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="information_systems", verbose_name="所属部门"
    )
    jurisdiction = models.ForeignKey("orgs.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("信息系统名称", max_length=100)
    purpose = models.CharField("系统用途", max_length=500, blank=True)
    status = models.CharField(
        "系统状态", max_length=16, choices=SystemStatus.choices, default=SystemStatus.RUNNING
    )
    network = models.CharField("部署网络", max_length=16, choices=Network.choices, default=Network.EXTRANET)
    on_gov_cloud = models.BooleanField("部署在政务云", default=False)
    dengbao_level = models.PositiveSmallIntegerField(
        "等保级别", choices=DengbaoLevel.choices, default=DengbaoLevel.NONE
    )
    dengbao_test_date = models.DateField("等保测评日期", null=True, blank=True)
    mipin_status = models.CharField(
        "密评情况", max_length=16, choices=MipinStatus.choices, default=MipinStatus.NOT_STARTED
    )
    xinchuang = models.BooleanField("使用安全可靠产品", default=False)
    xinchuang_note = models.CharField("安全可靠产品说明", max_length=500, blank=True)
    built_by_project = models.CharField("建设项目", max_length=200, blank=True)
    provides = models.ManyToManyField(
        "catalog.Resource", related_name="information_systems", blank=True, verbose_name="提供的目录资源"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = InformationSystemQuerySet.as_manager()

    class Meta:
        ordering = ["department_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"], name="inventory_system_name_per_department"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def scope(self) -> Scope:
        return Scope(jurisdiction=self.jurisdiction_id, department_id=self.department_id)
