"""The working-day calendar from the database: the authority's overrides, confirmed years, the command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.calendar import calendar_day_set, calendar_year_confirm, work_calendar
from sanbu.core.errors import PermissionDenied, ValidationFailed
from sanbu.core.models import CalendarDay, CalendarYear, ChangeRecord
from sanbu.core.testing import actor_of, make_user
from sanbu.orgs.models import Role

pytestmark = pytest.mark.django_db

# An invented 2027 New Year schedule (the real notice is published around November 2026).
NOTICE = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"
NEW_YEAR_2027 = [(date(2027, 1, 1), False), (date(2027, 1, 4), False), (date(2027, 1, 9), True)]


@pytest.fixture
def authority(db: Any) -> Actor:
    return actor_of(make_user("cal_authority", roles=("authority",)))


def _enter_new_year_2027(actor: Actor) -> None:
    for day, is_workday in NEW_YEAR_2027:
        calendar_day_set(actor=actor, day=day, is_workday=is_workday, name="元旦", source=NOTICE)


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("add_working_days", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_authority_role_grants_calendar_manage() -> None:
    assert "calendar.manage" in Role.objects.get(code="authority").actions
    assert not any("calendar.manage" in r.actions for r in Role.objects.exclude(code="authority"))


def test_without_rows_the_calendar_is_chinesecalendars() -> None:
    cal = work_calendar()
    assert cal.overrides == () and cal.confirmed == frozenset()
    assert cal.add_working_days(date(2026, 9, 30), 10).date == date(2026, 10, 20)


def test_overrides_from_the_database_change_the_result(authority: Actor) -> None:
    before = work_calendar().add_working_days(date(2026, 12, 25), 10)
    assert (before.date, before.provisional) == (date(2027, 1, 8), True)

    _enter_new_year_2027(authority)
    entered = work_calendar().add_working_days(date(2026, 12, 25), 10)
    assert entered.date == date(2027, 1, 11)  # Jan 1 and 4 off, Saturday Jan 9 worked
    assert entered.provisional  # days entered, but the year is not confirmed yet

    # an override also wins inside chinesecalendar's years (e.g. a later supplementary notice)
    calendar_day_set(
        actor=authority, day=date(2026, 10, 8), is_workday=False, name="国庆节", source="补充通知"
    )
    assert work_calendar().add_working_days(date(2026, 9, 30), 10).date == date(2026, 10, 21)


def test_confirming_2027_makes_deadlines_final(authority: Actor) -> None:
    _enter_new_year_2027(authority)
    year = calendar_year_confirm(actor=authority, year=2027, source=NOTICE)
    assert (year.confirmed, year.source, year.confirmed_by_id) == (True, NOTICE, authority.user_id)
    deadline = work_calendar().add_working_days(date(2026, 12, 25), 10)
    assert (deadline.date, deadline.provisional) == (date(2027, 1, 11), False)
    # deadlines reaching into 2028 stay provisional
    assert work_calendar().add_working_days(date(2027, 12, 24), 10).provisional

    records = list(ChangeRecord.objects.filter(action__startswith="core.calendar."))
    assert [r.action for r in records] == ["core.calendar.day_set"] * 3 + ["core.calendar.year_confirm"]
    assert records[-1].object_type == "core.calendaryear" and records[-1].actor_username == "cal_authority"
    assert records[0].after is not None and records[0].after["day"] == "2027-01-01"


def test_changing_a_day_records_before_and_after_and_a_repeat_records_nothing(authority: Actor) -> None:
    calendar_day_set(actor=authority, day=date(2027, 1, 9), is_workday=True, name="元旦", source=NOTICE)
    calendar_day_set(actor=authority, day=date(2027, 1, 9), is_workday=True, name=" 元旦 ", source=NOTICE)
    assert ChangeRecord.objects.filter(action="core.calendar.day_set").count() == 1
    row = calendar_day_set(
        actor=authority, day=date(2027, 1, 9), is_workday=False, name="元旦", source="更正"
    )
    assert CalendarDay.objects.get().is_workday is False and str(row) == "2027-01-09 元旦放假"
    change = ChangeRecord.objects.filter(action="core.calendar.day_set").last()
    assert change is not None and change.before is not None and change.after is not None
    assert (change.before["is_workday"], change.after["is_workday"]) == (True, False)
    assert change.after["source"] == "更正"


def test_reconfirming_a_year_records_the_new_source(authority: Actor) -> None:
    # a year chinesecalendar knows needs no rows before it is confirmed
    calendar_year_confirm(actor=authority, year=2026, source="国办发明电〔2025〕7号")
    row = calendar_year_confirm(actor=SYSTEM, year=2026, source="国务院办公厅关于2026年部分节假日安排的通知")
    assert row.confirmed_by_id is None and "已确认" in str(row)
    last = ChangeRecord.objects.filter(action="core.calendar.year_confirm").last()
    assert last is not None and last.before is not None and last.before["source"] == "国办发明电〔2025〕7号"


@pytest.mark.parametrize("role", [None, "steward", "consumer", "auditor"])
def test_only_calendar_manage_may_edit_and_a_refusal_writes_nothing(role: str | None, dept: Any) -> None:
    actor = actor_of(make_user(f"cal_{role}", department=dept, roles=(role,) if role else ()))
    records = ChangeRecord.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        calendar_day_set(actor=actor, day=date(2027, 1, 1), is_workday=False, name="元旦", source=NOTICE)
    assert exc.value.code == "core.calendar.forbidden" and "calendar.manage" in exc.value.message
    with pytest.raises(PermissionDenied):
        calendar_year_confirm(actor=actor, year=2026, source=NOTICE)
    assert ChangeRecord.objects.count() == records
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"source": "  "}, "core.calendar.source_required"),
        ({"day": date(2101, 1, 1)}, "core.calendar.year_invalid"),
        ({"name": "节" * 51}, "core.calendar.name_too_long"),
    ],
)
def test_a_bad_day_is_refused_in_chinese(authority: Actor, kwargs: dict[str, Any], code: str) -> None:
    args: dict[str, Any] = {"day": date(2027, 1, 1), "is_workday": False, "name": "元旦", "source": NOTICE}
    records = ChangeRecord.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        calendar_day_set(actor=authority, **{**args, **kwargs})
    assert exc.value.code == code
    assert ChangeRecord.objects.count() == records and not CalendarDay.objects.exists()


@pytest.mark.parametrize(
    ("year", "source", "code", "words"),
    [
        (2027, "", "core.calendar.source_required", "请填写依据"),
        (1999, NOTICE, "core.calendar.year_invalid", "超出范围"),
        (2027, NOTICE, "core.calendar.year_empty", "尚未录入"),
    ],
)
def test_a_bad_confirmation_is_refused_in_chinese(
    authority: Actor, year: int, source: str, code: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        calendar_year_confirm(actor=authority, year=year, source=source)
    assert exc.value.code == code and words in exc.value.message
    assert not CalendarYear.objects.exists()


# --- sanbu add_working_days ---------------------------------------------------------------------------


def test_command_prints_the_date_around_national_day_2026() -> None:
    assert _run("2026-09-30", "10") == ("2026-10-20\n", "")
    assert _run("2026-10-10", "0") == ("2026-10-10\n", "")  # a Saturday make-up working day


def test_command_marks_a_2027_deadline_provisional_until_confirmed(authority: Actor) -> None:
    out, err = _run("2026-12-25", "10")
    assert out == "2027-01-08\n"
    assert "2027 年的节假日安排尚未确认" in err and "暂定" in err

    _enter_new_year_2027(authority)
    calendar_year_confirm(actor=authority, year=2027, source=NOTICE)
    assert _run("2026-12-25", "10") == ("2027-01-11\n", "")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("2026-13-01", "10"), "起始日期“2026-13-01”无效"),
        (("明天", "10"), "YYYY-MM-DD"),
        (("2026-09-30", "-1"), "非负整数"),
        (("2026-09-30", "十"), "工作日天数“十”无效"),
        (("9999-12-30", "10"), "超出可表示的日期范围"),
    ],
)
def test_command_refuses_bad_arguments_with_exit_code_2(args: tuple[str, str], words: str) -> None:
    with pytest.raises(CommandError) as exc:
        _run(*args)
    assert exc.value.returncode == 2 and words in str(exc.value)


def test_command_line_exit_code_and_message() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanbu.config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-m", "sanbu.manage", "add_working_days", "2026-09-31", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "起始日期“2026-09-31”无效" in done.stderr
