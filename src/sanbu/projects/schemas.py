"""API schemas of projects, named ``Project…`` so the OpenAPI document stays unambiguous."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from sanbu.core.api import MAX_ID
from sanbu.policy.decisions import Decision

from .inputs import ProjectData
from .models import Expert, ExpertAssignment, ExpertDraw, Project


class ProjectIn(Schema):
    name: str = Field(description="项目名称")
    kind: str = Field("新建", description="建设性质：新建/改建/扩建/迁移/运维/购买服务")
    amount: int = Field(description="申报金额（元）", ge=0, le=10**12)
    plan_year: int = Field(description="计划年度", ge=2000, le=2100)
    category: str = Field("其他", description="项目类别：PRJ-S6 的八类之一或“其他”")
    project_class: str = Field("other", description="infrastructure / cross_department / cross_level / other")
    funding_source: str = ""
    content: str = Field("", description="建设内容")
    technical_route: str = ""
    involves_secrets: bool = False
    started_before_approval: bool = False
    dynamic_addition: bool = False
    unified_build: bool = False
    library_entry_date: date | None = None
    materials: dict[str, str] = Field(default_factory=dict, description="PRJ-S3 申报材料：键 → 内容")
    builds_machine_room_or_cloud: bool = False
    buys_server_hardware: bool = False
    leases_internet_line: bool = False
    private_network: bool = False
    on_gov_cloud: bool = True
    uses_secure_reliable: bool = True
    crypto_compliant: bool = True
    security_compliant: bool = True
    internal_integrated: bool = True
    hardware_outside_cloud: bool = False
    hardware_outside_cloud_reason: str = ""
    design_life_years: int | None = Field(None, ge=0, le=1000)
    construction_months: int | None = Field(None, ge=0, le=1000)
    central_or_provincial: bool = False
    integrates_systems: bool = False
    cross_boundary: bool = False
    uses: list[int] = Field(default_factory=list, description="将使用的目录资源 id")
    provides: list[int] = Field(default_factory=list, description="将提供的本单位目录资源 id")
    provides_new: list[str] = Field(default_factory=list, description="将新提供、尚未编目的资源名称")
    systems: list[int] = Field(default_factory=list, description="涉及的本单位信息系统 id")

    def data(self) -> ProjectData:
        values: dict[str, Any] = self.model_dump(exclude={"unit_id", "version"})
        for name in ("uses", "provides", "provides_new", "systems"):
            values[name] = tuple(values[name])
        return ProjectData(**values)


class ProjectCreateIn(ProjectIn):
    unit_id: int | None = Field(None, ge=1, le=MAX_ID, description="项目单位；缺省为本人所在部门")


class ProjectUpdateIn(ProjectIn):
    version: int = Field(ge=1, description="读取时的版本号（乐观锁）")


class ProjectCheckIn(ProjectIn):
    unit_id: int | None = Field(None, ge=1, le=MAX_ID)


class ProjectDecisionOut(Schema):
    rule_id: str
    outcome: str
    reason: str
    fact: dict[str, Any] | None
    remedy: str
    source: str
    extra: dict[str, Any] = Field(default_factory=dict)

    @staticmethod
    def of(d: Decision) -> ProjectDecisionOut:
        return ProjectDecisionOut(**{"extra": {}, **d.as_dict()})


class ProjectFieldErrorOut(Schema):
    field: str
    code: str
    message: str


class ProjectCheckOut(Schema):
    errors: list[ProjectFieldErrorOut]
    gate_s: list[ProjectDecisionOut]
    gate_a: list[ProjectDecisionOut]


class ProjectResourceOut(Schema):
    resource_id: int
    code: str
    name: str
    state: str
    direction: str
    need_id: int | None


class ProjectOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    jurisdiction: str
    kind: str
    category: str
    project_class: str
    amount: int
    plan_year: int
    state: str
    state_label: str
    route: str
    ruleset: str
    centre_opinion: str
    joint_conclusion: str
    approval_number: str
    approved_amount: int | None
    submitted_at: datetime | None
    decided_at: datetime | None
    version: int
    resources: list[ProjectResourceOut]
    systems: list[int]
    provides_new: list[str]

    @staticmethod
    def of(p: Project) -> ProjectOut:
        links = p.resources.select_related("resource").order_by("id")
        return ProjectOut(
            id=p.pk, name=p.name, unit_id=p.unit_id, unit_name=p.unit.name, jurisdiction=p.jurisdiction_id,
            kind=p.kind, category=p.category, project_class=p.project_class, amount=p.amount,
            plan_year=p.plan_year, state=p.state, state_label=p.get_state_display(), route=p.route,
            ruleset=p.ruleset, centre_opinion=p.centre_opinion, joint_conclusion=p.joint_conclusion,
            approval_number=p.approval_number, approved_amount=p.approved_amount, submitted_at=p.submitted_at,
            decided_at=p.decided_at, version=p.version,
            resources=[ProjectResourceOut(resource_id=x.resource_id, code=x.resource.code, name=x.resource.name,
                                          state=x.resource.state, direction=x.direction, need_id=x.need_id)
                       for x in links],
            systems=sorted(p.systems.values_list("pk", flat=True)), provides_new=list(p.provides_new or []),
        )  # fmt: skip


class ProjectSubmitOut(Schema):
    project: ProjectOut
    warnings: list[ProjectDecisionOut]


class ProjectVersionIn(Schema):
    version: int = Field(ge=1)


class ProjectReasonIn(ProjectVersionIn):
    reason: str


class ProjectDrawIn(ProjectVersionIn):
    size: int = Field(5, ge=1, le=99, description="评审专家人数（不少于 3 的单数）")
    specialty: str = Field("", description="限定专业领域（可选）")
    reason: str = Field("", description="重新抽取时必填")


class ProjectAssignmentOut(Schema):
    id: int
    project_id: int
    expert_id: int
    expert_name: str
    secrecy: bool
    score: int | None
    conclusion: str
    scored_at: datetime | None

    @staticmethod
    def of(a: ExpertAssignment) -> ProjectAssignmentOut:
        return ProjectAssignmentOut(
            id=a.pk, project_id=a.project_id, expert_id=a.expert_id, expert_name=a.expert.name, secrecy=a.secrecy,
            score=a.score, conclusion=a.conclusion, scored_at=a.scored_at,
        )  # fmt: skip


class ProjectDrawOut(Schema):
    id: int
    seed: str
    size: int
    secrecy_needed: int
    candidates: list[int]
    excluded: list[dict[str, Any]]
    assignments: list[ProjectAssignmentOut]

    @staticmethod
    def of(d: ExpertDraw) -> ProjectDrawOut:
        return ProjectDrawOut(
            id=d.pk, seed=d.seed, size=d.size, secrecy_needed=d.secrecy_needed, candidates=list(d.candidates),
            excluded=list(d.excluded),
            assignments=[ProjectAssignmentOut.of(a) for a in d.assignments.select_related("expert").order_by("id")],
        )  # fmt: skip


class ProjectScoreIn(Schema):
    score: int = Field(ge=0, le=100)
    conclusion: str = Field(description="agree / revise / disagree")
    opinion: str


class ProjectJointIn(ProjectVersionIn):
    conclusion: str = Field(description="agree / disagree")
    participants: str
    note: str


class ProjectOpinionIn(ProjectVersionIn):
    opinion: str = Field(description="favourable / unfavourable")
    text: str


class ProjectApproveIn(ProjectVersionIn):
    note: str = ""
    approved_amount: int | None = Field(None, ge=1, le=10**12)


class ProjectApproveOut(Schema):
    project: ProjectOut
    decisions: list[ProjectDecisionOut]


class ProjectExpertIn(Schema):
    jurisdiction: str = Field(min_length=6, max_length=6)
    name: str
    employer: str
    title: str = ""
    specialties: list[str] = Field(default_factory=list)
    secrecy: bool = False
    third_party: bool = True
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    conflicts: list[int] = Field(default_factory=list)


class ProjectExpertOut(Schema):
    id: int
    jurisdiction: str
    name: str
    employer: str
    title: str
    specialties: list[str]
    secrecy: bool
    third_party: bool
    active: bool

    @staticmethod
    def of(e: Expert) -> ProjectExpertOut:
        return ProjectExpertOut(
            id=e.pk, jurisdiction=e.jurisdiction_id, name=e.name, employer=e.employer, title=e.title,
            specialties=list(e.specialties), secrecy=e.secrecy, third_party=e.third_party, active=e.active,
        )  # fmt: skip


class ProjectExpertActiveIn(Schema):
    active: bool
    reason: str
