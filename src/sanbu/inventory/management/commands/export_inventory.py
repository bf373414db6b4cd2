from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.core.actor import SYSTEM
from sanbu.core.identifiers import check_uscc
from sanbu.inventory.excel import inventory_export
from sanbu.orgs.models import Department


class Command(BaseCommand):
    help = "Export a department's information systems: sanbu export_inventory --department USCC -o PATH"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="部门的统一社会信用代码")
        parser.add_argument("-o", "--output", required=True, help="输出的 .xlsx 文件")

    def handle(self, *args: Any, **opts: Any) -> None:
        uscc = check_uscc(opts["department"]).value
        dept = Department.objects.filter(uscc=uscc).first()
        if dept is None:
            raise CommandError(f"统一社会信用代码 {uscc} 不是已登记的部门。", returncode=2)
        path = Path(opts["output"])
        tmp = path.with_name(path.name + ".part")
        try:
            with tmp.open("wb") as stream:
                n = inventory_export(actor=SYSTEM, department_id=dept.pk, stream=stream)
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(f"无法写入 {path}：{exc.strerror or exc}", returncode=2) from exc
        self.stdout.write(f"已导出 {dept.name}：信息系统 {n} 个 → {path}")
