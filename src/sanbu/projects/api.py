"""Projects JSON API: schema in, one service or selector, schema out. Gate decisions carry rule id,
outcome, reason, failed fact, remedy and source, as on the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sanbu.core.actor import request_actor
from sanbu.core.api import IdPath

from . import selectors, services
from .schemas import (
    ProjectApproveIn,
    ProjectApproveOut,
    ProjectAssignmentOut,
    ProjectCheckIn,
    ProjectCheckOut,
    ProjectCreateIn,
    ProjectDecisionOut,
    ProjectDrawIn,
    ProjectDrawOut,
    ProjectExpertActiveIn,
    ProjectExpertIn,
    ProjectExpertOut,
    ProjectFieldErrorOut,
    ProjectJointIn,
    ProjectOpinionIn,
    ProjectOut,
    ProjectReasonIn,
    ProjectScoreIn,
    ProjectSubmitOut,
    ProjectUpdateIn,
    ProjectVersionIn,
)

router = Router(tags=["projects"])


class ProjectQuery(Schema):
    side: str = Field("all", pattern="^(all|mine|desk)$", description="all 全部 / mine 本单位 / desk 评审台")
    state: str = ""
    route: str = ""
    q: str = Field("", max_length=100)


class ProjectGateQuery(Schema):
    gate: str = Field("S", pattern="^[SA]$", description="S 申报关口 / A 立项关口")


def _out(request: HttpRequest, project_id: int) -> ProjectOut:
    return ProjectOut.of(selectors.project_get(actor=request_actor(request), project_id=project_id))


@router.get("/projects", response=list[ProjectOut], summary="信息化项目列表")
def list_projects(request: HttpRequest, query: Query[ProjectQuery]) -> list[ProjectOut]:
    qs = selectors.project_list(actor=request_actor(request), side=query.side, state=query.state,
                                route=query.route, q=query.q)  # fmt: skip
    return [ProjectOut.of(p) for p in qs[:500]]


@router.post("/projects", response={201: ProjectOut}, summary="新建项目申报（草稿）")
def create_project(request: HttpRequest, body: ProjectCreateIn) -> Status[ProjectOut]:
    p = services.project_create(actor=request_actor(request), data=body.data(), unit_id=body.unit_id)
    return Status(201, _out(request, p.pk))


@router.post(
    "/projects/check", response=ProjectCheckOut, summary="申报内容实时检查（申报关口 S 与立项关口 A 预判）"
)
def check_project(request: HttpRequest, body: ProjectCheckIn) -> ProjectCheckOut:
    errors, s, a = services.check(actor=request_actor(request), data=body.data(), unit_id=body.unit_id)
    return ProjectCheckOut(
        errors=[ProjectFieldErrorOut(**e.__dict__) for e in errors],
        gate_s=[ProjectDecisionOut.of(d) for d in s], gate_a=[ProjectDecisionOut.of(d) for d in a],
    )  # fmt: skip


@router.get("/projects/{project_id}", response=ProjectOut, summary="项目详情")
def get_project(request: HttpRequest, project_id: IdPath) -> ProjectOut:
    return _out(request, project_id)


@router.put("/projects/{project_id}", response=ProjectOut, summary="修改项目申报（草稿）")
def update_project(request: HttpRequest, project_id: IdPath, body: ProjectUpdateIn) -> ProjectOut:
    services.project_update(actor=request_actor(request), project_id=project_id, expected_version=body.version,
                            data=body.data())  # fmt: skip
    return _out(request, project_id)


@router.get(
    "/projects/{project_id}/decisions", response=list[ProjectDecisionOut], summary="关口判定（当前事实）"
)
def project_decisions(
    request: HttpRequest, project_id: IdPath, query: Query[ProjectGateQuery]
) -> list[ProjectDecisionOut]:
    project = selectors.project_get(actor=request_actor(request), project_id=project_id)
    return [ProjectDecisionOut.of(d) for d in services.decisions(project, query.gate)]


@router.post("/projects/{project_id}/submit", response=ProjectSubmitOut, summary="提交申报（申报关口 S）")
def submit_project(request: HttpRequest, project_id: IdPath, body: ProjectVersionIn) -> ProjectSubmitOut:
    _, warnings = services.project_submit(actor=request_actor(request), project_id=project_id,
                                          expected_version=body.version)  # fmt: skip
    return ProjectSubmitOut(
        project=_out(request, project_id), warnings=[ProjectDecisionOut.of(d) for d in warnings]
    )


@router.post("/projects/{project_id}/withdraw", response=ProjectOut, summary="撤回申报")
def withdraw_project(request: HttpRequest, project_id: IdPath, body: ProjectReasonIn) -> ProjectOut:
    services.project_withdraw(actor=request_actor(request), project_id=project_id, expected_version=body.version,
                              reason=body.reason)  # fmt: skip
    return _out(request, project_id)


@router.post(
    "/projects/{project_id}/draw",
    response={201: ProjectDrawOut},
    summary="随机抽取评审专家（种子记入审计链）",
)
def draw_experts(request: HttpRequest, project_id: IdPath, body: ProjectDrawIn) -> Status[ProjectDrawOut]:
    d = services.expert_draw(actor=request_actor(request), project_id=project_id, expected_version=body.version,
                             size=body.size, specialty=body.specialty, reason=body.reason)  # fmt: skip
    return Status(201, ProjectDrawOut.of(d))


@router.post("/projects/{project_id}/joint-review", response=ProjectOut, summary="记录联合评审结论")
def joint_review(request: HttpRequest, project_id: IdPath, body: ProjectJointIn) -> ProjectOut:
    services.joint_review_record(actor=request_actor(request), project_id=project_id, expected_version=body.version,
                                 conclusion=body.conclusion, participants=body.participants, note=body.note)  # fmt: skip
    return _out(request, project_id)


@router.post(
    "/projects/{project_id}/centre-opinion", response=ProjectOut, summary="大数据中心备案意见（PRJ-A5）"
)
def centre_opinion(request: HttpRequest, project_id: IdPath, body: ProjectOpinionIn) -> ProjectOut:
    services.centre_opinion_record(actor=request_actor(request), project_id=project_id,
                                   expected_version=body.version, opinion=body.opinion, text=body.text)  # fmt: skip
    return _out(request, project_id)


@router.post("/projects/{project_id}/approve", response=ProjectApproveOut, summary="立项（立项关口 A）")
def approve_project(request: HttpRequest, project_id: IdPath, body: ProjectApproveIn) -> ProjectApproveOut:
    actor = request_actor(request)
    services.project_approve(actor=actor, project_id=project_id, expected_version=body.version, note=body.note,
                             approved_amount=body.approved_amount)  # fmt: skip
    project = selectors.project_get(actor=actor, project_id=project_id)
    record = selectors.gate_record(project, "A")
    decisions = [ProjectDecisionOut(**{"extra": {}, **d}) for d in (record.decisions if record else [])]
    return ProjectApproveOut(project=ProjectOut.of(project), decisions=decisions)


@router.post(
    "/projects/{project_id}/return", response=ProjectOut, summary="退回项目单位修改（重新经申报关口）"
)
def return_project(request: HttpRequest, project_id: IdPath, body: ProjectReasonIn) -> ProjectOut:
    services.project_return(actor=request_actor(request), project_id=project_id, expected_version=body.version,
                            reason=body.reason)  # fmt: skip
    return _out(request, project_id)


@router.post("/projects/{project_id}/reject", response=ProjectOut, summary="不予立项")
def reject_project(request: HttpRequest, project_id: IdPath, body: ProjectReasonIn) -> ProjectOut:
    services.project_reject(actor=request_actor(request), project_id=project_id, expected_version=body.version,
                            reason=body.reason)  # fmt: skip
    return _out(request, project_id)


@router.get("/reviews", response=list[ProjectAssignmentOut], summary="本人的评审任务（专家）")
def my_reviews(request: HttpRequest) -> list[ProjectAssignmentOut]:
    return [ProjectAssignmentOut.of(a) for a in selectors.assignments_for(actor=request_actor(request))[:500]]


@router.post("/reviews/{assignment_id}/score", response=ProjectAssignmentOut, summary="专家评分")
def score_review(request: HttpRequest, assignment_id: IdPath, body: ProjectScoreIn) -> ProjectAssignmentOut:
    a = services.expert_score(actor=request_actor(request), assignment_id=assignment_id, score=body.score,
                              conclusion=body.conclusion, opinion=body.opinion)  # fmt: skip
    return ProjectAssignmentOut.of(selectors.assignment_get(actor=request_actor(request), assignment_id=a.pk))


@router.get("/experts", response=list[ProjectExpertOut], summary="专家库")
def list_experts(request: HttpRequest) -> list[ProjectExpertOut]:
    return [ProjectExpertOut.of(e) for e in selectors.expert_list(actor=request_actor(request))[:1000]]


@router.post("/experts", response={201: ProjectExpertOut}, summary="专家入库")
def register_expert(request: HttpRequest, body: ProjectExpertIn) -> Status[ProjectExpertOut]:
    e = services.expert_register(actor=request_actor(request), jurisdiction=body.jurisdiction, name=body.name,
                                 employer=body.employer, title=body.title, specialties=body.specialties,
                                 secrecy=body.secrecy, third_party=body.third_party,
                                 department_id=body.department_id, conflicts=body.conflicts)  # fmt: skip
    return Status(201, ProjectExpertOut.of(e))


@router.post("/experts/{expert_id}/active", response=ProjectExpertOut, summary="专家出库或重新入库")
def set_expert_active(
    request: HttpRequest, expert_id: IdPath, body: ProjectExpertActiveIn
) -> ProjectExpertOut:
    e = services.expert_set_active(actor=request_actor(request), expert_id=expert_id, active=body.active,
                                   reason=body.reason)  # fmt: skip
    return ProjectExpertOut.of(e)
