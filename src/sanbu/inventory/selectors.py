"""Reads of the inventory, restricted to what the actor may see (missing and forbidden both 404), and the
derived fact "docked to the exchange platform" (SUP-1, PRJ-A7/K2/O2).

A system is docked on ``today`` when either

- it provides at least one published catalog resource with a current mount (data rows or interface), or
- a consumer app of its department whose ``system_name`` is the system's name called the gateway
  (``exchange.UsageDay``) within the ruleset's ``inventory.docking_window_days`` days up to ``today``.

Nothing about docking is stored: it is recomputed from those facts each time it is asked.

What a system *consumes* is matched the same way as gateway docking: the grants held by the consumer apps
of the system's department whose ``system_name`` is the system's name (``system_consumes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from sanbu.catalog.models import Resource, ResourceState
from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound
from sanbu.exchange.models import ConsumerApp, Grant, UsageDay
from sanbu.policy.rulesets import DOCKING_WINDOW_DAYS, Parameter

from .models import InformationSystem

PROVIDES = "provides"
GATEWAY = "gateway"


@dataclass(frozen=True)
class Docking:
    """Whether a system is docked, which fact made it so (``provides`` / ``gateway``) and a reason in words."""

    docked: bool
    basis: str
    reason: str
    label: str = ""  # short, for a badge: 提供已发布资源：… / 近 90 天调用网关 N 次 / 未对接
    resource_id: int | None = None  # the published resource that docks it (``provides``)
    calls: int = 0  # gateway calls of its apps within the window
    window_days: int = 0


def docking_window(ruleset: str = "default") -> Parameter:
    """The ruleset parameter behind the gateway fact: its value (days) and its citation. ``ruleset`` is a
    ruleset name or a jurisdiction code (the ruleset that jurisdiction follows, as the platform holds it)."""
    from sanbu.orgs.rulesets import current

    return current(ruleset).param(DOCKING_WINDOW_DAYS)


def docking_window_days(ruleset: str = "default") -> int:
    return int(docking_window(ruleset).value)


def _windows(systems: Sequence[InformationSystem], ruleset: str | None) -> dict[int, int]:
    """Each system's docking window: the named ruleset's, else its own jurisdiction's."""
    by_place = {code: docking_window_days(ruleset or code) for code in {s.jurisdiction_id for s in systems}}
    return {s.pk: by_place[s.jurisdiction_id] for s in systems}


def docked_many(
    systems: Sequence[InformationSystem], today: date, *, ruleset: str | None = None
) -> dict[int, Docking]:
    """Docking of each system by id, in two queries whatever the number of systems. The window is the
    ruleset's named by ``ruleset``, else that of each system's jurisdiction."""
    if not systems:
        return {}
    ids = [s.pk for s in systems]
    windows = _windows(systems, ruleset)
    longest = max(windows.values())
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
    calls: dict[int, int] = {}
    usage = (
        UsageDay.objects.filter(
            app__department_id__in={s.department_id for s in systems},
            app__system_name__in={s.name for s in systems},
            day__gt=today - timedelta(days=longest),
            day__lte=today,
            calls__gt=0,
        )
        .values_list("app__department_id", "app__system_name", "app__name", "day", "calls")
        .order_by("-day", "app__name")
    )
    for dept_id, system_name, app_name, day, n in usage:
        pk = by_key.get((dept_id, system_name))
        if pk is not None and day > today - timedelta(days=windows[pk]):
            called.setdefault(pk, (app_name, day))
            calls[pk] = calls.get(pk, 0) + n
    out: dict[int, Docking] = {}
    for s in systems:
        n = calls.get(s.pk, 0)
        window = windows[s.pk]
        if s.pk in provided:
            r = provided[s.pk]
            out[s.pk] = Docking(
                True, PROVIDES, f"提供已发布并已挂接的目录资源“{r.name}”（{r.code}）",
                label=f"提供已发布资源：{r.name}", resource_id=r.pk, calls=n, window_days=window,
            )  # fmt: skip
        elif s.pk in called:
            app_name, day = called[s.pk]
            out[s.pk] = Docking(
                True, GATEWAY, f"应用“{app_name}”于 {day.isoformat()} 调用共享网关（{window} 天内）",
                label=f"近 {window} 天调用网关 {n} 次", calls=n, window_days=window,
            )  # fmt: skip
        else:
            out[s.pk] = Docking(
                False, "",
                f"未提供已发布并已挂接的目录资源，其应用在最近 {window} 天内也未调用共享网关",
                label="未对接", window_days=window,
            )  # fmt: skip
    return out


def docked(system: InformationSystem, today: date, *, ruleset: str | None = None) -> Docking:
    return docked_many([system], today, ruleset=ruleset)[system.pk]


def docked_condition(today: date, *, ruleset: str | None = None) -> Q:
    """The same two facts as ``docked_many``, as one condition on a queryset of systems (for filtering
    a whole list by docked / not docked without reading every system first); one gateway condition per
    distinct window among the jurisdictions that have systems."""
    places = InformationSystem.objects.order_by().values_list("jurisdiction_id", flat=True).distinct()
    by_window: dict[int, list[str]] = {}
    for code in places:
        by_window.setdefault(docking_window_days(ruleset or code), []).append(code)
    through = InformationSystem.provides.through
    provides = through.objects.filter(
        informationsystem_id=OuterRef("pk"),
        resource__state=ResourceState.PUBLISHED,
        resource__mounts__is_current=True,
    )
    condition = Q(Exists(provides))
    for window, codes in by_window.items():
        called = UsageDay.objects.filter(
            app__department_id=OuterRef("department_id"),
            app__system_name=OuterRef("name"),
            day__gt=today - timedelta(days=window),
            day__lte=today,
            calls__gt=0,
        )
        condition |= Q(jurisdiction_id__in=codes) & Q(Exists(called))
    return condition


def system_list(
    *,
    actor: Actor,
    department_id: int | None = None,
    status: str = "",
    network: str = "",
    q: str = "",
    docked: bool | None = None,
    today: date | None = None,
    ruleset: str | None = None,
) -> QuerySet[InformationSystem]:
    """Systems the actor may see, filtered; ``q`` matches name, purpose, building project or department."""
    qs = InformationSystem.objects.visible_to(actor).select_related("department")
    if department_id:
        qs = qs.filter(department_id=department_id)
    if status:
        qs = qs.filter(status=status)
    if network:
        qs = qs.filter(network=network)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(purpose__icontains=q)
            | Q(built_by_project__icontains=q)
            | Q(department__name__icontains=q)
        )
    if docked is not None:
        condition = docked_condition(today or timezone.localdate(), ruleset=ruleset)
        qs = qs.filter(condition) if docked else qs.exclude(condition)
    return qs.prefetch_related("provides").order_by("department__name", "name", "id")


def system_get(*, actor: Actor, system_id: int) -> InformationSystem:
    system = system_list(actor=actor).filter(pk=system_id).first()
    if system is None:
        raise NotFound("inventory.system.not_found", "信息系统不存在或您无权查看。", system_id=system_id)
    return system


# --- what a system consumes, and the apps that call the gateway for it ----------------------------------

GRANT_ACTIVE = "active"
GRANT_EXPIRED = "expired"
GRANT_REVOKED = "revoked"
GRANT_STATES = {GRANT_ACTIVE: "有效", GRANT_EXPIRED: "已到期", GRANT_REVOKED: "已撤销"}


@dataclass(frozen=True)
class Consumption:
    """One grant a system's app holds: the resource, the granted items and the grant's state."""

    grant_id: int
    resource_id: int
    resource_name: str
    resource_code: str
    provider: str
    app_name: str
    items: tuple[str, ...]
    state: str  # active / expired / revoked
    granted_at: datetime
    expires_on: date | None

    @property
    def state_label(self) -> str:
        return GRANT_STATES[self.state]


def _apps_of(system: InformationSystem) -> QuerySet[ConsumerApp]:
    return ConsumerApp.objects.filter(department_id=system.department_id, system_name=system.name)


def _grant_state(grant: Grant, today: date) -> str:
    if grant.revoked_at is not None:
        return GRANT_REVOKED
    if grant.expires_on is not None and grant.expires_on < today:
        return GRANT_EXPIRED
    return GRANT_ACTIVE


def consumes(system: InformationSystem, today: date) -> list[Consumption]:
    """The grants held by the consumer apps of the system's department named after the system, active
    first, newest first (call ``system_consumes`` unless ``system`` came from a selector with the actor)."""
    grants = (
        Grant.objects.filter(app__in=_apps_of(system))
        .select_related("app", "resource", "provider_department")
        .prefetch_related("items")
        .order_by("-granted_at", "-id")
    )
    out: list[Consumption] = []
    for g in grants:
        items = tuple(i.name for i in sorted(g.items.all(), key=lambda i: (i.position, i.pk)))
        out.append(Consumption(
            grant_id=g.pk, resource_id=g.resource_id, resource_name=g.resource.name, resource_code=g.resource.code,
            provider=g.provider_department.name, app_name=g.app.name, items=items, state=_grant_state(g, today),
            granted_at=g.granted_at, expires_on=g.expires_on,
        ))  # fmt: skip
    order = list(GRANT_STATES)
    return sorted(out, key=lambda c: order.index(c.state))  # stable: newest first within a state


def system_consumes(*, actor: Actor, system_id: int, today: date) -> list[Consumption]:
    """What a system the actor may see consumes (404 for a system it may not see)."""
    return consumes(system_get(actor=actor, system_id=system_id), today)


@dataclass(frozen=True)
class AppUsage:
    """A consumer app counted for a system, with its gateway calls within the docking window."""

    app_id: int
    name: str
    status: str
    calls: int
    last_day: date | None


def system_apps(system: InformationSystem, today: date, *, ruleset: str | None = None) -> list[AppUsage]:
    """The apps whose gateway calls count for ``system`` (same department, ``system_name`` = its name)."""
    window = docking_window_days(ruleset or system.jurisdiction_id)
    apps = _apps_of(system).order_by("name", "id")
    usage = (
        UsageDay.objects.filter(
            app__in=apps, day__gt=today - timedelta(days=window), day__lte=today, calls__gt=0
        )
        .order_by()
        .values_list("app_id")
        .annotate(total=Sum("calls"), last=Max("day"))
    )
    totals: dict[int, tuple[int, date | None]] = {app_id: (int(n or 0), last) for app_id, n, last in usage}
    out: list[AppUsage] = []
    for a in apps:
        calls, last = totals.get(a.pk, (0, None))
        out.append(AppUsage(a.pk, a.name, a.get_status_display(), calls, last))
    return out
