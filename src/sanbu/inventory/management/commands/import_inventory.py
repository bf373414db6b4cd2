from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sanbu.core.workbook_commands import importing_actor, refuse_import
from sanbu.inventory.excel import inventory_import


class Command(BaseCommand):
    help = "Import a filled-in inventory template: sanbu import_inventory PATH --as USERNAME [--dry-run]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="信息系统清单模板 .xlsx 文件")
        parser.add_argument("--as", dest="username", required=True, help="以该用户的身份和权限导入")
        parser.add_argument("--dry-run", action="store_true", help="只校验并列出将新建、更新的系统，不写入")

    def handle(self, *args: Any, **opts: Any) -> None:
        path, actor = importing_actor(opts["path"], opts["username"], "import_inventory")
        with path.open("rb") as stream:
            report = inventory_import(actor=actor, file=stream, dry_run=opts["dry_run"])
        if not report.ok:
            refuse_import(report.lines(), len(report.errors), self.stdout.write)
        prefix = "试运行（未写入）：" if report.dry_run else ""
        self.stdout.write(f"{prefix}{report.summary()}")
