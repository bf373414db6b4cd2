from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from sanbu.core.actor import request_actor
from sanbu.core.api import IdPath

from . import notices, selectors, services
from .models import Department, Notice
from .schemas import OrgsDepartmentCreated, OrgsDepartmentIn, OrgsDepartmentOut, OrgsMeOut

router = Router(tags=["orgs"])


def _out(d: Department) -> OrgsDepartmentOut:
    return OrgsDepartmentOut(
        id=d.pk,
        name=d.name,
        uscc=d.uscc,
        jurisdiction=d.jurisdiction_id,
        jurisdiction_name=d.jurisdiction.name,
    )


@router.get("/me", response=OrgsMeOut, summary="当前用户")
def me(request: HttpRequest) -> OrgsMeOut:
    actor = request_actor(request)
    return OrgsMeOut(
        username=actor.username,
        department=actor.department_name,
        department_uscc=actor.department_uscc,
        roles=sorted(actor.roles),
    )


@router.get("/departments", response=list[OrgsDepartmentOut], summary="部门列表")
def departments(request: HttpRequest) -> list[OrgsDepartmentOut]:
    return [_out(d) for d in selectors.department_list(actor=request_actor(request))]


@router.post("/departments", response={201: OrgsDepartmentCreated}, summary="登记部门")
def create_department(request: HttpRequest, body: OrgsDepartmentIn) -> Status[OrgsDepartmentCreated]:
    result = services.department_create(
        actor=request_actor(request),
        name=body.name,
        uscc=body.uscc,
        jurisdiction=body.jurisdiction,
        short_name=body.short_name,
    )
    return Status(201, OrgsDepartmentCreated(department=_out(result.department), warnings=result.warnings))


# --- notices to the department (站内通知) ------------------------------------------------------------

NOTICE_LIMIT = 200


class OrgsNoticeOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None
    read_by: str

    @staticmethod
    def of(n: Notice) -> OrgsNoticeOut:
        return OrgsNoticeOut(
            id=n.pk, kind=n.kind, title=n.title, body=n.body, link=n.link, created_at=n.created_at,
            read_at=n.read_at, read_by=n.read_by,
        )  # fmt: skip


class OrgsNoticeQuery(Schema):
    unread: bool = False


@router.get("/notices", response=list[OrgsNoticeOut], summary="本部门的通知（新的在前）")
def list_notices(request: HttpRequest, query: Query[OrgsNoticeQuery]) -> list[OrgsNoticeOut]:
    found = notices.notices_for(actor=request_actor(request), unread_only=query.unread)
    return [OrgsNoticeOut.of(n) for n in found[:NOTICE_LIMIT]]


@router.post("/notices/{notice_id}/read", response=OrgsNoticeOut, summary="标记通知为已读")
def read_notice(request: HttpRequest, notice_id: IdPath) -> OrgsNoticeOut:
    return OrgsNoticeOut.of(notices.notice_mark_read(actor=request_actor(request), notice_id=notice_id))
