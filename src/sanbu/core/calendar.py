"""The working-day calendar from the database, and the authority's services that edit it.

``work_calendar()`` builds the pure ``sanbu.policy.calendar.WorkCalendar`` from ``CalendarDay`` (the
authority's holiday and make-up-day rows) and ``CalendarYear`` (years confirmed against the State
Council's notice), on top of ``chinesecalendar``'s 2004–2026 data. It reads two small tables and keeps
no process-wide cache, so every worker sees an edit at once; a caller computing many deadlines in one
request builds it once and reuses it.

Only actors granted ``calendar.manage`` (the authority) edit the tables; every edit names its source
notice and is written to the audit chain in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from sanbu.policy.calendar import BUILTIN_YEARS, CalendarOverride, Deadline, WorkCalendar

from . import audit
from .actor import Actor
from .errors import PermissionDenied, ValidationFailed
from .models import CalendarDay, CalendarYear

MANAGE = "calendar.manage"
MIN_YEAR, MAX_YEAR = 2000, 2100
NAME_MAX = CalendarDay._meta.get_field("name").max_length or 50


def work_calendar() -> WorkCalendar:
    """The calendar as the database holds it now (chinesecalendar + overrides + confirmed years)."""
    overrides = [
        CalendarOverride(day=row.day, is_workday=row.is_workday, name=row.name, source=row.source)
        for row in CalendarDay.objects.order_by("day")
    ]
    confirmed = CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True)
    return WorkCalendar.build(overrides, confirmed)


def add_working_days(start: dt.date, n: int) -> Deadline:
    """``n`` working days after receipt on ``start``, by the current calendar (see policy.calendar)."""
    return work_calendar().add_working_days(start, n)


def _check(actor: Actor) -> None:
    if not actor.may(MANAGE):
        raise PermissionDenied(
            "core.calendar.forbidden",
            "只有具有“维护工作日历”权限（calendar.manage）的平台管理员可以录入节假日安排。",
        )


def _source(source: str) -> str:
    source = source.strip()
    if not source:
        raise ValidationFailed(
            "core.calendar.source_required",
            "请填写依据：发布该安排的通知名称和文号，如“国务院办公厅关于2027年部分节假日安排的通知”。",
        )
    return source


def _year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            "core.calendar.year_invalid", f"年份 {year} 超出范围：请填写 {MIN_YEAR}–{MAX_YEAR} 之间的年份。"
        )
    return year


@transaction.atomic
def calendar_day_set(*, actor: Actor, day: dt.date, is_workday: bool, name: str, source: str) -> CalendarDay:
    """Enter or change one day: a holiday (``is_workday=False``) or a make-up working day (``True``)."""
    _check(actor)
    source = _source(source)
    _year(day.year)
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            "core.calendar.name_too_long", f"节日名称不能超过 {NAME_MAX} 个字符（如“国庆节”）。"
        )
    row = CalendarDay.objects.select_for_update().filter(day=day).first()
    if row is None:
        row = CalendarDay.objects.create(
            day=day, is_workday=is_workday, name=name, source=source, created_by_id=actor.user_id
        )
        audit.record(actor=actor, action="core.calendar.day_set", obj=row)
        return row
    if (row.is_workday, row.name, row.source) == (is_workday, name, source):
        return row  # nothing changed, nothing to record
    before = audit.snapshot(row)
    row.is_workday, row.name, row.source = is_workday, name, source
    row.save(update_fields=["is_workday", "name", "source", "updated_at"])
    audit.record(actor=actor, action="core.calendar.day_set", obj=row, before=before)
    return row


@transaction.atomic
def calendar_year_confirm(*, actor: Actor, year: int, source: str) -> CalendarYear:
    """Mark a year's schedule confirmed: its deadlines stop being provisional.

    For a year ``chinesecalendar`` does not know, at least one of its days must have been entered
    first: a confirmed year with no holidays at all is almost certainly a mistake.
    """
    _check(actor)
    source = _source(source)
    _year(year)
    if (
        year not in BUILTIN_YEARS
        and not CalendarDay.objects.filter(
            day__gte=dt.date(year, 1, 1), day__lte=dt.date(year, 12, 31)
        ).exists()
    ):
        raise ValidationFailed(
            "core.calendar.year_empty",
            f"{year} 年尚未录入任何节假日或调休上班日：请先按国务院通知逐日录入，再确认该年安排。",
        )
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    before = None if row is None else audit.snapshot(row)
    if row is None:
        row = CalendarYear(year=year)
    row.confirmed, row.source = True, source
    row.confirmed_by_id, row.confirmed_at = actor.user_id, timezone.now()
    row.save()
    audit.record(actor=actor, action="core.calendar.year_confirm", obj=row, before=before)
    return row
