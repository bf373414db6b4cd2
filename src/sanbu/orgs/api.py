from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from sanbu.core.actor import request_actor

from . import selectors, services
from .models import Department
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
