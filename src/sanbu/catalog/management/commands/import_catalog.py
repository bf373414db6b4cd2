from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sanbu.catalog.excel import catalog_import
from sanbu.core.workbook_commands import importing_actor, refuse_import

PHASES = {"parse": "读取", "check": "校验", "write": "写入"}


class Command(BaseCommand):
    help = "Import a filled-in catalog template: sanbu import_catalog PATH --as USERNAME [--dry-run]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="目录模板 .xlsx 文件")
        parser.add_argument("--as", dest="username", required=True, help="以该用户的身份和权限导入")
        parser.add_argument("--dry-run", action="store_true", help="只校验并列出将新建、更新的资源，不写入")

    def handle(self, *args: Any, **opts: Any) -> None:
        path, actor = importing_actor(opts["path"], opts["username"], "import_catalog")
        large = path.stat().st_size > 200_000
        last = [0.0]

        def progress(done: int, total: int, phase: str) -> None:
            now = time.monotonic()
            if large and (now - last[0] > 1 or done == total):
                last[0] = now
                self.stderr.write(f"{PHASES.get(phase, phase)} {done}/{total}")

        report = catalog_import(actor=actor, file=path, dry_run=opts["dry_run"], progress=progress)
        if not report.ok:
            refuse_import(report.lines(), len(report.errors), self.stdout.write)
        for warning in report.warnings:
            self.stderr.write(f"提示：{warning}")
        prefix = "试运行（未写入）：" if report.dry_run else ""
        self.stdout.write(f"{prefix}{report.summary()}（信息项 {report.items} 条）")
