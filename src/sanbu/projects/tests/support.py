"""A small world for project tests: a unit with a docked system, a provider with published and unpublished
resources, the authority, and an expert pool (two of them in the secrecy pool, one of the unit)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange.tests.sharing import published_resource
from sanbu.inventory import services as inventory
from sanbu.inventory.services import SystemData
from sanbu.orgs.models import Department
from sanbu.policy.rules.projects import MATERIALS
from sanbu.projects import services
from sanbu.projects.inputs import ProjectData
from sanbu.projects.models import Expert, ExpertAssignment, Project

ALL_MATERIALS = {
    k: f"{label}：详见申报书" for k, label in MATERIALS.items() if k not in ("name", "unit", "funding_source")
}


@dataclass
class World:
    unit: Department
    provider: Department
    applicant: Actor
    authority: Actor
    published: Any
    unpublished: Any
    own: Any
    system: Any
    experts: list[Expert]
    expert_actors: dict[int, Actor]
    finance: Actor

    def data(self, **over: Any) -> ProjectData:
        base = ProjectData(
            name="教育资源公共服务平台升级", kind="新建", amount=1_500_000,
            plan_year=timezone.localdate().year + 2, funding_source="市级财政资金",
            content="建设教育资源公共服务平台，汇聚学籍和资助数据", technical_route="政务云微服务架构",
            materials=dict(ALL_MATERIALS), uses=(self.published.pk,), provides=(self.own.pk,), design_life_years=6,
            construction_months=10,
        )  # fmt: skip
        return replace(base, **over)

    def submitted(self, **over: Any) -> Project:
        p = services.project_create(actor=self.applicant, data=self.data(**over))
        return services.project_submit(actor=self.applicant, project_id=p.pk, expected_version=p.version)[0]

    def approved(self, **over: Any) -> Project:
        """A project through draw, scoring, the centre's opinion and approval (gate A), as the authority."""
        p = self.submitted(**over)
        services.expert_draw(
            actor=self.authority, project_id=p.pk, expected_version=None, size=5, seed="abc123"
        )
        for a in ExpertAssignment.objects.filter(project=p, draw__current=True):
            services.expert_score(actor=self.expert_actors[a.expert_id], assignment_id=a.pk, score=85,
                                  conclusion="agree", opinion="方案可行，建议立项")  # fmt: skip
        services.centre_opinion_record(actor=self.authority, project_id=p.pk, expected_version=None,
                                       opinion="favourable", text="同意备案")  # fmt: skip
        return services.project_approve(actor=self.authority, project_id=p.pk, expected_version=None)[0]


def world(jurisdiction: str = "370300", prefix: str = "w") -> World:
    unit = make_department(f"{prefix}教育局", jurisdiction=jurisdiction)
    provider = make_department(f"{prefix}公安局", jurisdiction=jurisdiction)
    applicant = actor_of(make_user(f"{prefix}_unit", department=unit, roles=("project_unit", "steward")))
    authority = actor_of(
        make_user(f"{prefix}_auth", department=provider, roles=("authority",), jurisdiction=jurisdiction)
    )
    published = published_resource(provider, f"{prefix}人口基本信息")
    unpublished = published_resource(provider, f"{prefix}婚姻登记信息", publish=False)
    own = published_resource(unit, f"{prefix}学籍信息")
    system = inventory.system_register(
        actor=SYSTEM, department_id=unit.pk,
        data=SystemData(name=f"{prefix}学籍管理系统", provides=(own.pk,), on_gov_cloud=True, dengbao_level=3),
    )  # fmt: skip
    experts: list[Expert] = []
    expert_actors: dict[int, Actor] = {}
    for i in range(8):
        user = make_user(f"{prefix}_expert{i}", roles=("expert",), jurisdiction=jurisdiction)
        e = services.expert_register(
            actor=SYSTEM, jurisdiction=jurisdiction, name=f"专家{i}", employer="山东理工大学" if i else unit.name,
            specialties=["软件工程" if i % 2 else "网络安全"], secrecy=i in (2, 5), user_id=user.pk,
            department_id=unit.pk if i == 0 else None,
        )  # fmt: skip
        experts.append(e)
        expert_actors[e.pk] = actor_of(user)
    finance = actor_of(make_user(f"{prefix}_finance", roles=("finance",), jurisdiction=jurisdiction))
    return World(
        unit,
        provider,
        applicant,
        authority,
        published,
        unpublished,
        own,
        system,
        experts,
        expert_actors,
        finance,
    )
