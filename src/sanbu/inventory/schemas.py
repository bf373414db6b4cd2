"""API schemas of the inventory, named ``Inventory…`` so the OpenAPI document stays unambiguous."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from sanbu.core.api import MAX_ID

from .models import InformationSystem, MipinStatus, Network, SystemStatus
from .selectors import Docking
from .services import SystemData


class InventorySystemIn(Schema):
    name: str = Field(description="信息系统名称，部门内唯一")
    purpose: str = Field("", description="系统用途")
    status: SystemStatus = Field(SystemStatus.RUNNING, description="在建 / 运行 / 停用 / 下线")
    network: Network = Field(Network.EXTRANET, description="互联网 / 政务外网 / 政务内网 / 专网")
    on_gov_cloud: bool = Field(False, description="是否部署在政务云")
    dengbao_level: int = Field(0, ge=0, le=5, description="等保级别，0 为未定级")
    dengbao_test_date: date | None = Field(None, description="等保测评日期")
    mipin_status: MipinStatus = Field(MipinStatus.NOT_STARTED, description="密评情况")
    xinchuang: bool = Field(False, description="是否使用安全可靠产品")
    xinchuang_note: str = Field("", description="安全可靠产品说明")
    built_by_project: str = Field("", description="建设项目（暂为文字）")
    provides: list[int] = Field(default_factory=list, description="提供的目录资源 id（本部门的资源）")

    def data(self) -> SystemData:
        return SystemData(
            name=self.name, purpose=self.purpose, status=self.status, network=self.network,
            on_gov_cloud=self.on_gov_cloud, dengbao_level=self.dengbao_level,
            dengbao_test_date=self.dengbao_test_date, mipin_status=self.mipin_status, xinchuang=self.xinchuang,
            xinchuang_note=self.xinchuang_note, built_by_project=self.built_by_project,
            provides=tuple(self.provides),
        )  # fmt: skip


class InventorySystemCreateIn(InventorySystemIn):
    department_id: int | None = Field(None, ge=1, le=MAX_ID, description="所属部门；留空为当前用户所在部门")


class InventorySystemUpdateIn(InventorySystemIn):
    version: int | None = Field(None, ge=1, description="读取时的版本号；不一致时返回 409")


class InventoryRetireIn(Schema):
    version: int | None = Field(None, ge=1, description="读取时的版本号；不一致时返回 409")
    reason: str = Field("", description="下线原因")


class InventorySystemOut(Schema):
    id: int
    department_id: int
    department_name: str
    jurisdiction: str
    name: str
    purpose: str
    status: str
    network: str
    on_gov_cloud: bool
    dengbao_level: int
    dengbao_test_date: date | None
    mipin_status: str
    xinchuang: bool
    xinchuang_note: str
    built_by_project: str
    provides: list[int]
    docked: bool = Field(description="是否已对接共享交换平台（由事实推导，不可填写）")
    docked_basis: str = Field(description="provides 提供已发布挂接资源 / gateway 应用调用网关 / 空")
    docked_reason: str = Field(description="推导依据的说明")
    created_at: datetime
    created_by: str
    updated_at: datetime
    version: int

    @staticmethod
    def of(s: InformationSystem, docking: Docking) -> InventorySystemOut:
        return InventorySystemOut(
            id=s.pk, department_id=s.department_id, department_name=s.department.name,
            jurisdiction=s.jurisdiction_id, name=s.name, purpose=s.purpose, status=s.status, network=s.network,
            on_gov_cloud=s.on_gov_cloud, dengbao_level=s.dengbao_level, dengbao_test_date=s.dengbao_test_date,
            mipin_status=s.mipin_status, xinchuang=s.xinchuang, xinchuang_note=s.xinchuang_note,
            built_by_project=s.built_by_project, provides=sorted(r.pk for r in s.provides.all()),
            docked=docking.docked, docked_basis=docking.basis, docked_reason=docking.reason,
            created_at=s.created_at, created_by=s.created_by, updated_at=s.updated_at, version=s.version,
        )  # fmt: skip
