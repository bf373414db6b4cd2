from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sanbu.catalog.excel import catalog_export
from sanbu.core.actor import SYSTEM
from sanbu.core.workbook_commands import exported_department, write_atomically


class Command(BaseCommand):
    help = "Export a department's catalog in the template: sanbu export_catalog --department USCC -o PATH"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="部门的统一社会信用代码")
        parser.add_argument("-o", "--output", required=True, help="输出的 .xlsx 文件")

    def handle(self, *args: Any, **opts: Any) -> None:
        dept = exported_department(opts["department"])
        path, result = write_atomically(
            opts["output"], lambda stream: catalog_export(actor=SYSTEM, department_id=dept.pk, stream=stream)
        )
        self.stdout.write(
            f"已导出 {dept.name}：资源 {result.resources} 个、信息项 {result.items} 条 → {path}"
        )
