"""Inventory JSON API: schema in, one service or selector, schema out; ``docked`` is derived on each read."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sanbu.core.actor import Actor, request_actor
from sanbu.core.api import MAX_ID, IdPath

from . import selectors, services
from .models import SystemStatus
from .schemas import InventoryRetireIn, InventorySystemCreateIn, InventorySystemOut, InventorySystemUpdateIn

router = Router(tags=["inventory"])


class InventorySystemQuery(Schema):
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: SystemStatus | None = None


def _out(actor: Actor, system_id: int) -> InventorySystemOut:
    system = selectors.system_get(actor=actor, system_id=system_id)
    return InventorySystemOut.of(system, selectors.docked(system, timezone.localdate()))


@router.get("/systems", response=list[InventorySystemOut], summary="信息系统清单（本部门或本辖区）")
def list_systems(request: HttpRequest, query: Query[InventorySystemQuery]) -> list[InventorySystemOut]:
    systems = list(
        selectors.system_list(
            actor=request_actor(request), department_id=query.department_id, status=query.status or ""
        )[:1000]
    )
    docking = selectors.docked_many(systems, timezone.localdate())
    return [InventorySystemOut.of(s, docking[s.pk]) for s in systems]


@router.post("/systems", response={201: InventorySystemOut}, summary="登记信息系统")
def register_system(request: HttpRequest, body: InventorySystemCreateIn) -> Status[InventorySystemOut]:
    actor = request_actor(request)
    system = services.system_register(actor=actor, data=body.data(), department_id=body.department_id)
    return Status(201, _out(actor, system.pk))


@router.get("/systems/{system_id}", response=InventorySystemOut, summary="信息系统详情（含是否已对接）")
def get_system(request: HttpRequest, system_id: IdPath) -> InventorySystemOut:
    return _out(request_actor(request), system_id)


@router.put("/systems/{system_id}", response=InventorySystemOut, summary="修改信息系统")
def update_system(
    request: HttpRequest, system_id: IdPath, body: InventorySystemUpdateIn
) -> InventorySystemOut:
    actor = request_actor(request)
    services.system_update(actor=actor, system_id=system_id, expected_version=body.version, data=body.data())
    return _out(actor, system_id)


@router.post("/systems/{system_id}/retire", response=InventorySystemOut, summary="信息系统下线")
def retire_system(request: HttpRequest, system_id: IdPath, body: InventoryRetireIn) -> InventorySystemOut:
    actor = request_actor(request)
    services.system_retire(
        actor=actor, system_id=system_id, expected_version=body.version, reason=body.reason
    )
    return _out(actor, system_id)
