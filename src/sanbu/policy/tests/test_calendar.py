"""The working-day calendar (STANDARDS.md "Working days"): official 2026 data, overrides, provisional years."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.calendar import (
    BUILTIN_YEARS,
    CalendarOverride,
    Deadline,
    SkippedDay,
    WorkCalendar,
)

D = dt.date
CAL = WorkCalendar()

# An invented 2027 New Year schedule for tests (the real notice is published around November 2026).
NOTICE_2027 = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"
NEW_YEAR_2027 = (
    CalendarOverride(D(2027, 1, 1), False, "元旦", NOTICE_2027),
    CalendarOverride(D(2027, 1, 4), False, "元旦", NOTICE_2027),
    CalendarOverride(D(2027, 1, 9), True, "元旦", NOTICE_2027),
)


# --- the 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04) ----------------------


def test_builtin_years_are_chinesecalendars() -> None:
    assert min(BUILTIN_YEARS) == 2004 and max(BUILTIN_YEARS) == 2026
    assert CAL.is_confirmed(2026) and not CAL.is_confirmed(2027) and not CAL.is_confirmed(2003)
    assert CAL.confirmed_years() == BUILTIN_YEARS


def test_national_day_2026() -> None:
    # 国庆节：10月1日（周四）至7日（周三）放假调休，共7天；9月20日（周日）、10月10日（周六）上班
    for day in range(1, 8):
        assert not CAL.is_workday(D(2026, 10, day))
        assert CAL.rest_reason(D(2026, 10, day)) == "国庆节放假"
    assert CAL.is_workday(D(2026, 10, 8))  # Thursday after the holiday
    assert CAL.is_workday(D(2026, 10, 10))  # Saturday, make-up working day
    assert CAL.is_workday(D(2026, 9, 20))  # Sunday, make-up working day
    assert not CAL.is_workday(D(2026, 10, 11))  # an ordinary Sunday
    assert CAL.rest_reason(D(2026, 10, 11)) == "周日休息"
    # 中秋节：9月25日（周五）至27日（周日）
    assert CAL.rest_reason(D(2026, 9, 25)) == "中秋节放假"


def test_ten_working_days_from_the_eve_of_national_day_2026() -> None:
    deadline = CAL.add_working_days(D(2026, 9, 30), 10)
    # Oct 8, 9, 10 (Saturday make-up), 12–16, 19, 20
    assert deadline.date == D(2026, 10, 20)
    assert not deadline.provisional and deadline.note == ""
    assert deadline.makeup_days == (D(2026, 10, 10),)
    assert [s.day for s in deadline.skipped][:7] == [D(2026, 10, d) for d in range(1, 8)]
    assert deadline.skipped[-1] == SkippedDay(D(2026, 10, 18), "周日休息")
    assert CAL.working_days_between(D(2026, 9, 30), D(2026, 10, 20)) == 10


def test_the_day_of_receipt_is_not_counted() -> None:
    # received on Thursday 2026-10-08 (a working day): day 1 is Friday the 9th, day 2 Saturday the 10th
    assert CAL.add_working_days(D(2026, 10, 8), 1).date == D(2026, 10, 9)
    assert CAL.add_working_days(D(2026, 10, 8), 2).date == D(2026, 10, 10)
    # received during the holiday: day 1 is the first working day after it
    assert CAL.add_working_days(D(2026, 10, 3), 1).date == D(2026, 10, 8)
    assert CAL.next_workday(D(2026, 9, 30)) == D(2026, 10, 8)


def test_zero_days_is_the_same_day_rolled_forward_to_a_working_day() -> None:
    assert CAL.add_working_days(D(2026, 9, 30), 0) == Deadline(D(2026, 9, 30))
    rolled = CAL.add_working_days(D(2026, 10, 3), 0)
    assert rolled.date == D(2026, 10, 8)
    assert [s.day for s in rolled.skipped] == [D(2026, 10, d) for d in range(4, 8)]
    # a Saturday make-up day is itself a working day
    assert CAL.add_working_days(D(2026, 10, 10), 0).date == D(2026, 10, 10)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="负数"):
        CAL.add_working_days(D(2026, 9, 30), -1)


def test_agrees_with_chinesecalendar_where_it_knows() -> None:
    d = D(2004, 1, 1)
    while d.year <= 2026:
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d
        d += dt.timedelta(days=1)


# --- past the end of 2026 -------------------------------------------------------------------------------


def test_deadline_crossing_into_an_unconfirmed_year_is_provisional() -> None:
    deadline = CAL.add_working_days(D(2026, 12, 25), 10)
    # weekends only in 2027: Jan 1 (a Friday) counts, because no schedule has been entered
    assert deadline.date == D(2027, 1, 8)
    assert deadline.provisional and deadline.unconfirmed_years == (2027,)
    assert "2027 年的节假日安排尚未确认" in deadline.note and "2027-01-08" in deadline.note


def test_deadline_before_the_year_end_is_not_provisional() -> None:
    deadline = CAL.add_working_days(D(2026, 12, 17), 10)
    assert deadline.date == D(2026, 12, 31) and not deadline.provisional


def test_years_before_2004_are_unconfirmed_too() -> None:
    deadline = CAL.add_working_days(D(2003, 12, 31), 0)
    assert deadline.provisional and deadline.unconfirmed_years == (2003,)
    # n >= 1 counts from the next day: receipt on 2003-12-31 does not touch 2003's schedule
    assert not CAL.add_working_days(D(2003, 12, 31), 1).provisional


def test_overrides_change_the_result_and_stay_provisional_until_confirmed() -> None:
    cal = WorkCalendar.build(NEW_YEAR_2027)
    assert cal.rest_reason(D(2027, 1, 1)) == "元旦放假"
    assert cal.is_workday(D(2027, 1, 9))  # a Saturday make-up working day
    deadline = cal.add_working_days(D(2026, 12, 25), 10)
    # Dec 28–31, (Jan 1 and 4 holidays), Jan 5–8, Jan 9 (Saturday make-up), Jan 11
    assert deadline.date == D(2027, 1, 11)
    assert deadline.makeup_days == (D(2027, 1, 9),)
    assert SkippedDay(D(2027, 1, 4), "元旦放假") in deadline.skipped
    assert deadline.provisional

    confirmed = WorkCalendar.build(NEW_YEAR_2027, confirmed_years=[2027])
    final = confirmed.add_working_days(D(2026, 12, 25), 10)
    assert final.date == D(2027, 1, 11) and not final.provisional and final.unconfirmed_years == ()
    assert confirmed.confirmed_years() == BUILTIN_YEARS | {2027}


def test_an_override_wins_over_chinesecalendar_and_a_nameless_one_still_explains() -> None:
    cal = WorkCalendar.build(
        [
            CalendarOverride(D(2026, 10, 8), False, "", "补充通知"),
            CalendarOverride(D(2026, 10, 8), False, "国庆节", "补充通知（更正）"),  # the later row wins
            CalendarOverride(D(2026, 10, 7), True, "国庆节", "补充通知"),
        ]
    )
    assert [o.source for o in cal.overrides] == ["补充通知", "补充通知（更正）"]
    assert cal.rest_reason(D(2026, 10, 8)) == "国庆节放假"
    assert cal.is_workday(D(2026, 10, 7))
    assert WorkCalendar.build([CalendarOverride(D(2027, 3, 3), False)]).rest_reason(D(2027, 3, 3)) == "放假"


def test_working_days_between_is_antisymmetric() -> None:
    assert CAL.working_days_between(D(2026, 10, 20), D(2026, 9, 30)) == -10
    assert CAL.working_days_between(D(2026, 10, 1), D(2026, 10, 1)) == 0


# --- properties -------------------------------------------------------------------------------------------

days = st.dates(min_value=D(2002, 6, 1), max_value=D(2029, 6, 30))
counts = st.integers(min_value=0, max_value=120)
override_rows = st.lists(
    st.builds(CalendarOverride, st.dates(min_value=D(2025, 1, 1), max_value=D(2029, 12, 31)), st.booleans()),
    max_size=30,
)
calendars = st.builds(
    WorkCalendar.build, override_rows, st.frozensets(st.integers(min_value=2027, max_value=2029))
)


@given(cal=calendars, start=days, n=counts)
def test_the_deadline_is_a_working_day_after_exactly_n_working_days(
    cal: WorkCalendar, start: dt.date, n: int
) -> None:
    deadline = cal.add_working_days(start, n)
    assert cal.is_workday(deadline.date)
    assert deadline.date >= start
    if n >= 1:
        assert deadline.date > start
        assert cal.working_days_between(start, deadline.date) == n
    # every day after receipt up to the deadline is either counted or skipped with its reason
    span = (deadline.date - start).days
    assert len(deadline.skipped) == span - cal.working_days_between(start, deadline.date)
    assert all(not cal.is_workday(s.day) and s.reason.endswith(("放假", "休息")) for s in deadline.skipped)
    assert all(d.weekday() >= 5 and cal.is_workday(d) for d in deadline.makeup_days)


@given(cal=calendars, start=days, a=st.integers(min_value=1, max_value=60), b=st.integers(0, 60))
def test_adding_a_then_b_equals_adding_a_plus_b(cal: WorkCalendar, start: dt.date, a: int, b: int) -> None:
    first = cal.add_working_days(start, a)
    chained = cal.add_working_days(first.date, b)
    whole = cal.add_working_days(start, a + b)
    assert chained.date == whole.date
    assert (first.provisional or chained.provisional) == whole.provisional
    if cal.is_workday(start):  # n = 0 is neutral on a working day
        assert cal.add_working_days(cal.add_working_days(start, 0).date, a).date == first.date


@given(cal=calendars, start=days, n=counts)
def test_monotone_in_n(cal: WorkCalendar, start: dt.date, n: int) -> None:
    this, following = cal.add_working_days(start, n), cal.add_working_days(start, n + 1)
    if n >= 1 or cal.is_workday(start):
        assert this.date < following.date == cal.next_workday(this.date)
    else:  # received on a rest day: "the same day" is already the first working day after it
        assert this.date == following.date == cal.next_workday(start)


@given(cal=calendars, start=days, n=counts)
def test_provisional_exactly_when_a_counted_day_is_in_an_unconfirmed_year(
    cal: WorkCalendar, start: dt.date, n: int
) -> None:
    deadline = cal.add_working_days(start, n)
    first = start if n == 0 else start + dt.timedelta(days=1)
    years = set(range(first.year, deadline.date.year + 1))
    assert set(deadline.unconfirmed_years) == {y for y in years if not cal.is_confirmed(y)}
    assert deadline.provisional == bool(deadline.unconfirmed_years) == bool(deadline.note)


@given(start=st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 6, 30)), n=st.integers(0, 60))
def test_find_workday_differs_only_for_receipt_on_a_rest_day(start: dt.date, n: int) -> None:
    # chinesecalendar.find_workday first rolls a rest-day receipt forward to a working day, then counts
    ours = CAL.add_working_days(start, n).date
    if CAL.is_workday(start) or n == 0:
        assert ours == chinese_calendar.find_workday(n, start)
    else:
        assert ours == chinese_calendar.find_workday(n - 1, start)


@given(start=days)
def test_next_workday_is_one_working_day(start: dt.date) -> None:
    assert CAL.next_workday(start) == CAL.add_working_days(start, 1).date


@given(a=days, b=days)
def test_between_is_antisymmetric(a: dt.date, b: dt.date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
