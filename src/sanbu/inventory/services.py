"""Inventory services: the only code that writes information systems.

Keyword-only, with the actor; one transaction; ``inventory.system.manage`` checked on the system's
department inside (forbidden looks like missing); the change record in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed, text_problem
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import acting_department

from .models import MANAGE, DengbaoLevel, InformationSystem, MipinStatus, Network, SystemStatus

NOT_FOUND = "inventory.system.not_found"
SYSTEM_FIELDS = [
    "department_id", "name", "purpose", "status", "network", "on_gov_cloud", "dengbao_level",
    "dengbao_test_date", "mipin_status", "xinchuang", "xinchuang_note", "built_by_project", "version",
]  # fmt: skip
DATA_FIELDS = SYSTEM_FIELDS[1:-1]


@dataclass(frozen=True)
class SystemData:
    """What a department declares about one system (the API body and one import row)."""

    name: str
    purpose: str = ""
    status: str = SystemStatus.RUNNING
    network: str = Network.EXTRANET
    on_gov_cloud: bool = False
    dengbao_level: int = DengbaoLevel.NONE
    dengbao_test_date: date | None = None
    mipin_status: str = MipinStatus.NOT_STARTED
    xinchuang: bool = False
    xinchuang_note: str = ""
    built_by_project: str = ""
    provides: tuple[int, ...] = field(default_factory=tuple)  # catalog resource ids

    def cleaned(self) -> SystemData:
        return SystemData(
            name=self.name.strip(), purpose=self.purpose.strip(), status=self.status, network=self.network,
            on_gov_cloud=self.on_gov_cloud, dengbao_level=self.dengbao_level,
            dengbao_test_date=self.dengbao_test_date, mipin_status=self.mipin_status, xinchuang=self.xinchuang,
            xinchuang_note=self.xinchuang_note.strip(), built_by_project=self.built_by_project.strip(),
            provides=tuple(sorted(set(self.provides))),
        )  # fmt: skip


def validate(data: SystemData, dept: Department, exclude_pk: int | None = None) -> list[FieldError]:
    """Every problem with ``data`` for a system of ``dept`` (empty when it may be saved)."""
    problems: list[FieldError | None] = [
        text_problem(data.name, 100, "name", "信息系统名称", required=True),
        text_problem(data.purpose, 500, "purpose", "系统用途"),
        text_problem(data.xinchuang_note, 500, "xinchuang_note", "安全可靠产品说明"),
        text_problem(data.built_by_project, 200, "built_by_project", "建设项目"),
    ]
    for name, value, choices, label in (
        ("status", data.status, SystemStatus, "系统状态"),
        ("network", data.network, Network, "部署网络"),
        ("mipin_status", data.mipin_status, MipinStatus, "密评情况"),
    ):
        if value not in choices.values:
            problems.append(
                FieldError(
                    name, "invalid_choice", f"{label}应为：{'、'.join(str(x) for x in choices.labels)}。"
                )
            )
    if data.dengbao_level not in DengbaoLevel.values:
        problems.append(
            FieldError("dengbao_level", "out_of_range", "等保级别应为 0 到 5 的整数，0 表示未定级。")
        )
    elif data.dengbao_level == DengbaoLevel.NONE and data.dengbao_test_date is not None:
        problems.append(FieldError("dengbao_test_date", "not_graded", "未定级的系统不应填写等保测评日期。"))
    if data.dengbao_test_date is not None and data.dengbao_test_date > timezone.localdate():
        problems.append(FieldError("dengbao_test_date", "in_future", "等保测评日期不能晚于今天。"))
    if data.xinchuang_note and not data.xinchuang:
        problems.append(FieldError("xinchuang_note", "not_used", "未使用安全可靠产品时不应填写产品说明。"))
    if data.provides:
        own = set(Resource.objects.filter(pk__in=data.provides, department=dept).values_list("pk", flat=True))
        missing = [str(pk) for pk in data.provides if pk not in own]
        if missing:
            problems.append(FieldError(
                "provides", "not_own_resource",
                f"提供的目录资源应为{dept.name}已注册的资源，以下不是：{'、'.join(missing)}。",
            ))  # fmt: skip
    if data.name.strip():
        clash = InformationSystem.objects.filter(department=dept, name=data.name.strip())
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            problems.append(
                FieldError("name", "duplicate", f"{dept.name}已登记名为“{data.name.strip()}”的信息系统。")
            )
    return [p for p in problems if p is not None]


def _raise(errors: Sequence[FieldError]) -> None:
    if errors:
        raise ValidationFailed(
            "inventory.system.invalid", "信息系统填写有误，请按提示逐项修改。", errors=list(errors)
        )


def department_for(actor: Actor, department_id: int | None) -> Department:
    return acting_department(actor, department_id, MANAGE, "为该部门登记信息系统")


def _locked(actor: Actor, system_id: int) -> InformationSystem:
    system = InformationSystem.objects.select_for_update().filter(pk=system_id).first()
    if system is None or not actor.can(MANAGE, system.scope()):
        raise NotFound(NOT_FOUND, "信息系统不存在或您无权管理。", system_id=system_id)
    return system


def _check_version(system: InformationSystem, expected_version: int | None) -> None:
    if expected_version is not None and system.version != expected_version:
        raise Conflict(
            "inventory.system.changed", "该信息系统已被他人修改，请刷新后重试。", current=system.version
        )


def snapshot(system: InformationSystem) -> dict[str, Any]:
    return {
        **audit.snapshot(system, SYSTEM_FIELDS),
        "provides": sorted(system.provides.values_list("pk", flat=True)),
    }


def _assign(system: InformationSystem, data: SystemData) -> None:
    for name in DATA_FIELDS:
        setattr(system, name, getattr(data, name))


def differs(system: InformationSystem, data: SystemData) -> bool:
    if any(getattr(system, name) != getattr(data, name) for name in DATA_FIELDS):
        return True
    return set(system.provides.values_list("pk", flat=True)) != set(data.provides)


def create(actor: Actor, dept: Department, data: SystemData) -> InformationSystem:
    """Write a validated new system (callers have checked permission and validated ``data``)."""
    now = timezone.now()
    system = InformationSystem(
        department=dept, jurisdiction_id=dept.jurisdiction_id, created_by=actor.username[:150],
        created_at=now, updated_at=now,
    )  # fmt: skip
    _assign(system, data)
    try:
        with transaction.atomic():
            system.save()
    except IntegrityError as exc:
        raise Conflict("inventory.system.duplicate", "同名信息系统已存在，请刷新后重试。") from exc
    system.provides.set(data.provides)
    audit.record(actor=actor, action="inventory.system.register", obj=system, after=snapshot(system))
    return system


def change(actor: Actor, system: InformationSystem, data: SystemData) -> InformationSystem:
    """Write validated changes to a locked system; nothing (not even the version) when nothing differs."""
    if not differs(system, data):
        return system
    before = snapshot(system)
    _assign(system, data)
    system.version += 1
    system.updated_at = timezone.now()
    try:
        with transaction.atomic():
            system.save()
    except IntegrityError as exc:
        raise Conflict("inventory.system.duplicate", "同名信息系统已存在，请刷新后重试。") from exc
    system.provides.set(data.provides)
    audit.record(
        actor=actor, action="inventory.system.update", obj=system, before=before, after=snapshot(system)
    )
    return system


@transaction.atomic
def system_register(*, actor: Actor, data: SystemData, department_id: int | None = None) -> InformationSystem:
    """Register an information system of the department (the actor's own when none is named)."""
    dept = department_for(actor, department_id)
    data = data.cleaned()
    _raise(validate(data, dept))
    return create(actor, dept, data)


@transaction.atomic
def system_update(
    *, actor: Actor, system_id: int, expected_version: int | None, data: SystemData
) -> InformationSystem:
    """Replace what is declared about a system; ``expected_version`` guards against lost updates."""
    system = _locked(actor, system_id)
    _check_version(system, expected_version)
    data = data.cleaned()
    _raise(validate(data, system.department, exclude_pk=system.pk))
    return change(actor, system, data)


@transaction.atomic
def system_retire(
    *, actor: Actor, system_id: int, expected_version: int | None, reason: str = ""
) -> InformationSystem:
    """Mark a system 下线 (it stays in the register, as it was)."""
    system = _locked(actor, system_id)
    _check_version(system, expected_version)
    if system.status == SystemStatus.RETIRED:
        raise Conflict("inventory.system.retired", f"信息系统“{system.name}”已下线。")
    reason = reason.strip()
    _raise([e for e in [text_problem(reason, 200, "reason", "下线原因")] if e is not None])
    before = snapshot(system)
    system.status = SystemStatus.RETIRED
    system.version += 1
    system.updated_at = timezone.now()
    system.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor=actor, action="inventory.system.retire", obj=system, before=before,
        after={**snapshot(system), "reason": reason},
    )  # fmt: skip
    return system


def resource_ids_by_code(codes: Iterable[str]) -> dict[str, int]:
    return dict(Resource.objects.filter(code__in=list(codes)).values_list("code", "pk"))
