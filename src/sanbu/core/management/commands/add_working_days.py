import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.core.calendar import add_working_days


class Command(BaseCommand):
    help = (
        "Print the date N working days after START (the day of receipt is not counted). "
        "A date in a year whose holiday schedule is not confirmed is provisional: a note goes to stderr."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("start", help="收到之日，YYYY-MM-DD（当日不计入）")
        parser.add_argument("n", help="工作日天数（非负整数）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = dt.date.fromisoformat(options["start"])
        except ValueError:
            raise CommandError(
                f"起始日期“{options['start']}”无效：请按 YYYY-MM-DD 填写，如 2026-09-30。", returncode=2
            ) from None
        try:
            n = int(options["n"])
        except ValueError:
            n = -1
        if n < 0:
            raise CommandError(f"工作日天数“{options['n']}”无效：请填写非负整数，如 10。", returncode=2)
        try:
            deadline = add_working_days(start, n)
        except OverflowError:
            raise CommandError(
                f"{start.isoformat()} 之后 {n} 个工作日超出可表示的日期范围。", returncode=2
            ) from None
        self.stdout.write(deadline.date.isoformat())
        if deadline.provisional:
            self.stderr.write(f"注意：{deadline.note}")
