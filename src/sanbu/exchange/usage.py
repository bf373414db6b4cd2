"""Usage of shared resources: calls per resource, app and day (``UsageDay``), and who may see them.

``count_calls`` is called by the gateway's access-log writer inside the transaction that appends a batch
of access records to the audit chain, so the counters never disagree with the chain: both commit or
neither does. It writes one upsert per distinct (resource, app, day) in the batch, in key order (two
writers lock rows in the same order, so they cannot deadlock on PostgreSQL)::

    INSERT INTO exchange_usageday (resource_id, app_id, day, calls, answered, rows) VALUES (…)
    ON CONFLICT (resource_id, app_id, day) DO UPDATE SET calls = exchange_usageday.calls + excluded.calls, …

(SQLite ≥ 3.24 and PostgreSQL.) The selectors show a resource's usage by day and by consumer
department and app to the provider's stewards (``exchange.usage.view`` on the resource's department)
and to the authority and auditors of its jurisdiction; to anyone else the resource looks missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.core.actor import Actor
from sanbu.core.errors import FieldError, NotFound, ValidationFailed

from .models import ConsumerApp, UsageDay

VIEW = "exchange.usage.view"
DEFAULT_DAYS = 30
MAX_DAYS = 366

CallRow = tuple[int, int, date, bool, int]  # resource_id, app_id, day, answered, row_count


def count_calls(rows: Iterable[CallRow]) -> None:
    """Add each call to its (resource, app, day) counters: ``calls`` + 1, ``answered`` + 1 when it was
    answered, ``rows`` + the rows it returned. Runs in the caller's transaction; one statement per
    distinct key."""
    totals: dict[tuple[int, int, date], list[int]] = {}
    for resource_id, app_id, day, answered, row_count in rows:
        t = totals.setdefault((int(resource_id), int(app_id), day), [0, 0, 0])
        t[0] += 1
        t[1] += 1 if answered else 0
        t[2] += max(0, int(row_count))
    if not totals:
        return
    qn = connection.ops.quote_name
    table = qn(UsageDay._meta.db_table)
    rid, app, day_c, calls, answered_c, rows_c = (
        qn(c) for c in ("resource_id", "app_id", "day", "calls", "answered", "rows")
    )
    sql = (
        f"INSERT INTO {table} ({rid}, {app}, {day_c}, {calls}, {answered_c}, {rows_c}) "
        f"VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({rid}, {app}, {day_c}) DO UPDATE SET "
        f"{calls} = {table}.{calls} + excluded.{calls}, "
        f"{answered_c} = {table}.{answered_c} + excluded.{answered_c}, "
        f"{rows_c} = {table}.{rows_c} + excluded.{rows_c}"
    )
    with connection.cursor() as cursor:
        for key in sorted(totals):
            resource_id, app_id, day = key
            n, ok, returned = totals[key]
            cursor.execute(
                sql, [resource_id, app_id, connection.ops.adapt_datefield_value(day), n, ok, returned]
            )


# --- selectors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    answered: int
    rows: int

    @property
    def refused(self) -> int:
        return self.calls - self.answered


@dataclass(frozen=True)
class AppUsage:
    app_id: int
    app_name: str
    department_id: int
    department_name: str
    calls: int
    answered: int
    rows: int
    first_day: date
    last_day: date


@dataclass(frozen=True)
class DepartmentUsage:
    department_id: int
    department_name: str
    apps: int
    calls: int
    answered: int
    rows: int


@dataclass(frozen=True)
class UsageReport:
    resource: Resource
    start: date
    end: date
    days: list[DayUsage]  # every day of the period, oldest first, zero when nobody called
    apps: list[AppUsage]  # most calls first
    departments: list[DepartmentUsage] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(d.calls for d in self.days)

    @property
    def answered(self) -> int:
        return sum(d.answered for d in self.days)

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.days)

    @property
    def refused(self) -> int:
        return self.calls - self.answered

    @property
    def peak(self) -> int:
        return max((d.calls for d in self.days), default=0)


def may_view(actor: Actor, resource: Resource) -> bool:
    return actor.can(VIEW, resource.scope())


def _resource(actor: Actor, resource_id: int) -> Resource:
    resource = Resource.objects.select_related("department").filter(pk=resource_id).first()
    if resource is None or not may_view(actor, resource):
        raise NotFound(
            "catalog.resource.not_found", "资源不存在或您无权查看其调用情况。", resource_id=resource_id
        )
    return resource


def usage_period(start: date | None, end: date | None, today: date | None = None) -> tuple[date, date]:
    """The period asked for: by default the last 30 days to today; at most 366 days."""
    end = end or today or timezone.localdate()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailed(
            "exchange.usage.invalid",
            "统计期间有误。",
            errors=[FieldError("start", "after_end", "开始日期不能晚于结束日期。")],
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            "exchange.usage.invalid",
            "统计期间过长。",
            errors=[FieldError("start", "too_long", f"统计期间最长 {MAX_DAYS} 天，请缩短后再查询。")],
        )
    return start, end


def _days(resource: Resource, start: date, end: date) -> list[DayUsage]:
    found = {
        r["day"]: r
        for r in UsageDay.objects.filter(resource_id=resource.pk, day__gte=start, day__lte=end)
        .order_by()
        .values("day")
        .annotate(c=Sum("calls"), a=Sum("answered"), n=Sum("rows"))
    }
    out = []
    day = start
    while day <= end:
        r = found.get(day)
        out.append(DayUsage(day, int(r["c"]), int(r["a"]), int(r["n"])) if r else DayUsage(day, 0, 0, 0))
        day += timedelta(days=1)
    return out


def _apps(resource: Resource, start: date, end: date) -> list[AppUsage]:
    sums = list(
        UsageDay.objects.filter(resource_id=resource.pk, day__gte=start, day__lte=end)
        .order_by()
        .values("app_id")
        .annotate(c=Sum("calls"), a=Sum("answered"), n=Sum("rows"), first=Min("day"), last=Max("day"))
    )
    apps = ConsumerApp.objects.select_related("department").in_bulk([s["app_id"] for s in sums])
    out = [
        AppUsage(
            app_id=s["app_id"],
            app_name=apps[s["app_id"]].name,
            department_id=apps[s["app_id"]].department_id,
            department_name=apps[s["app_id"]].department.name,
            calls=int(s["c"]),
            answered=int(s["a"]),
            rows=int(s["n"]),
            first_day=s["first"],
            last_day=s["last"],
        )
        for s in sums
        if s["app_id"] in apps
    ]
    return sorted(out, key=lambda a: (-a.calls, a.department_name, a.app_name))


def _departments(apps: list[AppUsage]) -> list[DepartmentUsage]:
    by: dict[int, list[AppUsage]] = {}
    for a in apps:
        by.setdefault(a.department_id, []).append(a)
    out = [
        DepartmentUsage(
            department_id=d,
            department_name=rows[0].department_name,
            apps=len(rows),
            calls=sum(r.calls for r in rows),
            answered=sum(r.answered for r in rows),
            rows=sum(r.rows for r in rows),
        )
        for d, rows in by.items()
    ]
    return sorted(out, key=lambda d: (-d.calls, d.department_name))


def usage_by_day(
    *, actor: Actor, resource_id: int, start: date | None = None, end: date | None = None
) -> list[DayUsage]:
    """Calls to the resource per day of the period (every day, zeros included), oldest first."""
    resource = _resource(actor, resource_id)
    start, end = usage_period(start, end)
    return _days(resource, start, end)


def usage_by_app(
    *, actor: Actor, resource_id: int, start: date | None = None, end: date | None = None
) -> list[AppUsage]:
    """Calls to the resource per consumer app (with its department) in the period, most first."""
    resource = _resource(actor, resource_id)
    start, end = usage_period(start, end)
    return _apps(resource, start, end)


def resource_usage(
    *, actor: Actor, resource_id: int, start: date | None = None, end: date | None = None
) -> UsageReport:
    """The resource's usage in the period: by day, by app and by consumer department."""
    resource = _resource(actor, resource_id)
    start, end = usage_period(start, end)
    apps = _apps(resource, start, end)
    return UsageReport(
        resource=resource, start=start, end=end, days=_days(resource, start, end), apps=apps,
        departments=_departments(apps),
    )  # fmt: skip


@dataclass(frozen=True)
class ResourceTotal:
    resource: Resource
    calls: int
    answered: int
    rows: int
    last_day: date | None


def usage_overview(
    *, actor: Actor, start: date | None = None, end: date | None = None
) -> list[ResourceTotal]:
    """Published resources whose usage the actor may see, with their calls in the period, most first."""
    start, end = usage_period(start, end)
    qs = Resource.objects.select_related("department").filter(published_version__gt=0)
    if not actor.is_superuser:
        visible = Q(pk__in=[])
        for prefix in actor.jurisdictions_for(VIEW):
            visible |= Q(jurisdiction__code__startswith=prefix)
        departments = actor.departments_for(VIEW)
        if departments:
            visible |= Q(department_id__in=departments)
        qs = qs.filter(visible)
    resources = {r.pk: r for r in qs}
    sums = {
        s["resource_id"]: s
        for s in UsageDay.objects.filter(resource_id__in=qs.values("pk"), day__gte=start, day__lte=end)
        .order_by()
        .values("resource_id")
        .annotate(c=Sum("calls"), a=Sum("answered"), n=Sum("rows"), last=Max("day"))
    }
    out = []
    for pk, r in resources.items():
        s = sums.get(pk)
        out.append(
            ResourceTotal(r, int(s["c"]), int(s["a"]), int(s["n"]), s["last"])
            if s
            else ResourceTotal(r, 0, 0, 0, None)
        )
    return sorted(out, key=lambda t: (-t.calls, t.resource.name))
