"""The working-day calendar: Chinese working days for deadlines (STANDARDS.md "Working days").

A day is a working day when, in this order:

1. the authority's override table says so (``CalendarOverride``: the State Council's notice for a year
   the ``chinesecalendar`` package does not know yet, or a correction — an override always wins);
2. ``chinesecalendar``'s tables list it as a make-up working day (调休上班, e.g. Saturday 2026-10-10)
   or as a holiday;
3. otherwise, it is Monday to Friday.

``chinesecalendar`` knows 2004–2026 and raises NotImplementedError outside them, so its data tables are
read directly and its functions are never called. A year's schedule is *confirmed* when the package
knows it or the authority marked it confirmed; a deadline whose counted days touch an unconfirmed year
is computed on weekends (plus any overrides) and marked ``provisional`` — never silently.

Counting (``add_working_days(start, n)``): the day of receipt ``start`` is not counted; day 1 is the
first working day after it, day n the n-th, and the deadline is day n. ``n == 0`` means "the same day,
rolled forward to a working day": ``start`` itself when it is a working day, otherwise the first working
day after it. So the deadline is always a working day, and for ``a >= 1`` adding ``a`` then ``b`` working
days equals adding ``a + b``.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from chinese_calendar.constants import Holiday
from chinese_calendar.constants import holidays as _CC_HOLIDAYS
from chinese_calendar.constants import workdays as _CC_WORKDAYS

ONE_DAY = dt.timedelta(days=1)
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# chinesecalendar's holiday names (English enum values) → the names used in the State Council notice.
_FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
HOLIDAY_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {h.value: _FULL_NAMES.get(h.chinese, h.chinese) for h in Holiday}
)


def _builtin(table: dict[dt.date, str]) -> MappingProxyType[dt.date, str]:
    return MappingProxyType({d: HOLIDAY_NAMES.get(name, name) for d, name in table.items()})


BUILTIN_HOLIDAYS = _builtin(_CC_HOLIDAYS)
BUILTIN_WORKDAYS = _builtin(_CC_WORKDAYS)
BUILTIN_YEARS: frozenset[int] = frozenset(
    range(min(_CC_HOLIDAYS).year, max(_CC_HOLIDAYS).year + 1)
)  # the years chinesecalendar supports (2004–2026 in 1.11), the same bounds its functions check


@dataclass(frozen=True)
class CalendarOverride:
    """One day of the authority's table: a holiday or a make-up working day, with the notice it follows."""

    day: dt.date
    is_workday: bool
    name: str = ""
    source: str = ""


class SkippedDay(NamedTuple):
    """A day passed over while counting, and why (``周六休息``, ``国庆节放假``)."""

    day: dt.date
    reason: str


@dataclass(frozen=True)
class Deadline:
    """The deadline ``date`` and how it was reached.

    ``provisional`` is true when a counted day falls in a year whose schedule is not confirmed
    (``unconfirmed_years``): the date then rests on weekends and any overrides entered so far.
    ``skipped`` lists the rest days passed over after the day of receipt; ``makeup_days`` the weekend
    days counted because they are make-up working days.
    """

    date: dt.date
    provisional: bool = False
    skipped: tuple[SkippedDay, ...] = ()
    makeup_days: tuple[dt.date, ...] = ()
    unconfirmed_years: tuple[int, ...] = ()

    @property
    def note(self) -> str:
        """A Chinese sentence for users when the deadline is provisional, empty otherwise."""
        if not self.provisional:
            return ""
        years = "、".join(str(y) for y in self.unconfirmed_years)
        return (
            f"{years} 年的节假日安排尚未确认：期限 {self.date.isoformat()} 仅按周末"
            "（及已录入的节假日调整）计算，为暂定日期；国务院公布安排并经平台管理员确认后以正式日期为准。"
        )


@dataclass(frozen=True)
class WorkCalendar:
    """chinesecalendar's tables, the authority's overrides, and the years whose schedule is confirmed."""

    overrides: tuple[CalendarOverride, ...] = ()
    confirmed: frozenset[int] = frozenset()
    _by_day: MappingProxyType[dt.date, CalendarOverride] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_day", MappingProxyType({o.day: o for o in self.overrides}))

    @classmethod
    def build(
        cls, overrides: Iterable[CalendarOverride] = (), confirmed_years: Iterable[int] = ()
    ) -> WorkCalendar:
        """A calendar from override rows (a later row for the same day wins) and confirmed years."""
        rows = {o.day: o for o in overrides}
        return cls(tuple(rows[d] for d in sorted(rows)), frozenset(confirmed_years))

    # --- single days -------------------------------------------------------------------------------

    def is_confirmed(self, year: int) -> bool:
        """Whether the year's holiday schedule is known (chinesecalendar) or confirmed by the authority."""
        return year in BUILTIN_YEARS or year in self.confirmed

    def confirmed_years(self) -> frozenset[int]:
        return BUILTIN_YEARS | self.confirmed

    def rest_reason(self, d: dt.date) -> str | None:
        """None for a working day; otherwise why the day is not one."""
        override = self._by_day.get(d)
        if override is not None:
            return None if override.is_workday else f"{override.name}放假"
        if d in BUILTIN_WORKDAYS:
            return None
        if d in BUILTIN_HOLIDAYS:
            return f"{BUILTIN_HOLIDAYS[d]}放假"
        if d.weekday() >= 5:
            return f"{WEEKDAY_NAMES[d.weekday()]}休息"
        return None

    def is_workday(self, d: dt.date) -> bool:
        return self.rest_reason(d) is None

    def next_workday(self, d: dt.date) -> dt.date:
        """The first working day strictly after ``d``."""
        d += ONE_DAY
        while not self.is_workday(d):
            d += ONE_DAY
        return d

    # --- spans -------------------------------------------------------------------------------------

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The deadline ``n`` working days after receipt on ``start`` (see the module docstring)."""
        if n < 0:
            raise ValueError(f"工作日天数不能为负数：{n}")
        if n == 0:
            end = start if self.is_workday(start) else self.next_workday(start)
            first = start  # start's own status decides the result, so its year counts too
        else:
            end, counted, first = start, 0, start + ONE_DAY
            while counted < n:
                end = self.next_workday(end)
                counted += 1
        skipped: list[SkippedDay] = []
        makeup: list[dt.date] = []
        for d in _days(start + ONE_DAY, end):
            reason = self.rest_reason(d)
            if reason is not None:
                skipped.append(SkippedDay(d, reason))
            elif d.weekday() >= 5:
                makeup.append(d)
        unconfirmed = tuple(y for y in range(first.year, end.year + 1) if not self.is_confirmed(y))
        return Deadline(end, bool(unconfirmed), tuple(skipped), tuple(makeup), unconfirmed)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]: how many have passed by the end of ``b`` since receipt on ``a``.

        ``working_days_between(s, add_working_days(s, n).date) == n`` for every ``n >= 1``; the count is
        negative when ``b`` is before ``a`` (antisymmetric), 0 when they are equal.
        """
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for d in _days(a + ONE_DAY, b) if self.is_workday(d))


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from ``first`` to ``last`` inclusive (none when ``last`` is before ``first``)."""
    d = first
    while d <= last:
        yield d
        d += ONE_DAY


# --- calendar months (trial runs, start deadlines, evaluation windows) --------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months; a day the target month lacks becomes its last day
    (31 August + 6 months → 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def whole_months(start: dt.date, end: dt.date) -> int:
    """The whole months from ``start`` to ``end``: the largest k with ``add_months(start, k) <= end``
    (0 when ``end`` is before ``start``)."""
    if end < start:
        return 0
    k = (end.year - start.year) * 12 + end.month - start.month
    return k - 1 if add_months(start, k) > end else k
