"""Reads of the inventory, restricted to what the actor may see (missing and forbidden both 404), and the
derived fact "docked to the exchange platform" (SUP-1, PRJ-A7/K2/O2).

A system is docked on ``today`` when either

- it provides at least one published catalog resource with a current mount (data rows or interface), or
- a consumer app of its department whose ``system_name`` is the system's name called the gateway
  (``exchange.UsageDay``) within the ruleset's ``inventory.docking_window_days`` days up to ``today``.

Nothing about docking is stored: it is recomputed from those facts each time it is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet

from sanbu.catalog.models import Resource, ResourceState
from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound
from sanbu.exchange.models import UsageDay
from sanbu.policy.rulesets import DOCKING_WINDOW_DAYS, load_ruleset

from .models import InformationSystem

PROVIDES = "provides"
GATEWAY = "gateway"


@dataclass(frozen=True)
class Docking:
    """Whether a system is docked, which fact made it so (``provides`` / ``gateway``) and a reason in words."""

    docked: bool
    basis: str
    reason: str


def docking_window_days(ruleset: str = "default") -> int:
    return int(load_ruleset(ruleset)[DOCKING_WINDOW_DAYS].value)


def docked_many(
    systems: Sequence[InformationSystem], today: date, *, ruleset: str = "default"
) -> dict[int, Docking]:
    """Docking of each system by id, in two queries whatever the number of systems."""
    if not systems:
        return {}
    ids = [s.pk for s in systems]
    window = docking_window_days(ruleset)
    provided: dict[int, Resource] = {}
    through = InformationSystem.provides.through
    shared = (
        through.objects.filter(
            informationsystem_id__in=ids,
            resource__state=ResourceState.PUBLISHED,
            resource__mounts__is_current=True,
        )
        .select_related("resource")
        .order_by("informationsystem_id", "resource__code", "resource_id")
    )
    for link in shared:
        provided.setdefault(link.informationsystem_id, link.resource)
    by_key = {(s.department_id, s.name): s.pk for s in systems}
    called: dict[int, tuple[str, date]] = {}
    usage = (
        UsageDay.objects.filter(
            app__department_id__in={s.department_id for s in systems},
            app__system_name__in={s.name for s in systems},
            day__gt=today - timedelta(days=window),
            day__lte=today,
            calls__gt=0,
        )
        .values_list("app__department_id", "app__system_name", "app__name", "day")
        .order_by("-day", "app__name")
    )
    for dept_id, system_name, app_name, day in usage:
        pk = by_key.get((dept_id, system_name))
        if pk is not None:
            called.setdefault(pk, (app_name, day))
    out: dict[int, Docking] = {}
    for s in systems:
        if s.pk in provided:
            r = provided[s.pk]
            out[s.pk] = Docking(True, PROVIDES, f"提供已发布并已挂接的目录资源“{r.name}”（{r.code}）")
        elif s.pk in called:
            app_name, day = called[s.pk]
            out[s.pk] = Docking(
                True, GATEWAY, f"应用“{app_name}”于 {day.isoformat()} 调用共享网关（{window} 天内）"
            )
        else:
            out[s.pk] = Docking(
                False, "",
                f"未提供已发布并已挂接的目录资源，其应用在最近 {window} 天内也未调用共享网关",
            )  # fmt: skip
    return out


def docked(system: InformationSystem, today: date, *, ruleset: str = "default") -> Docking:
    return docked_many([system], today, ruleset=ruleset)[system.pk]


def system_list(
    *, actor: Actor, department_id: int | None = None, status: str = ""
) -> QuerySet[InformationSystem]:
    qs = InformationSystem.objects.visible_to(actor).select_related("department")
    if department_id:
        qs = qs.filter(department_id=department_id)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("provides").order_by("department__name", "name", "id")


def system_get(*, actor: Actor, system_id: int) -> InformationSystem:
    system = system_list(actor=actor).filter(pk=system_id).first()
    if system is None:
        raise NotFound("inventory.system.not_found", "信息系统不存在或您无权查看。", system_id=system_id)
    return system
