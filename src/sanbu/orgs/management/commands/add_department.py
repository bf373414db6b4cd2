from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import SanbuError
from sanbu.orgs.services import department_create


class Command(BaseCommand):
    help = "Register a department: sanbu add_department --name NAME --uscc CODE --jurisdiction 370300"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="部门全称")
        parser.add_argument("--uscc", required=True, help="18 位统一社会信用代码")
        parser.add_argument("--jurisdiction", required=True, help="GB/T 2260 行政区划代码，如 370300")
        parser.add_argument("--short-name", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = department_create(
                actor=SYSTEM,
                name=opts["name"],
                uscc=opts["uscc"],
                jurisdiction=opts["jurisdiction"],
                short_name=opts["short_name"],
            )
        except SanbuError as exc:
            raise CommandError(f"{exc.message}（{exc.code}）", returncode=2) from exc
        for warning in result.warnings:
            self.stderr.write(f"提示：{warning}")
        d = result.department
        self.stdout.write(f"已登记部门：{d.name}（{d.uscc}），{d.jurisdiction.full_name()}，id={d.pk}")
