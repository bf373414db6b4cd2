from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.inventory.excel import inventory_import
from sanbu.orgs.selectors import actor_for_user


class Command(BaseCommand):
    help = "Import a filled-in inventory template: sanbu import_inventory PATH --as USERNAME [--dry-run]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="信息系统清单模板 .xlsx 文件")
        parser.add_argument("--as", dest="username", required=True, help="以该用户的身份和权限导入")
        parser.add_argument("--dry-run", action="store_true", help="只校验并列出将新建、更新的系统，不写入")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["path"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}", returncode=2)
        user = get_user_model().objects.filter(username=opts["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"用户“{opts['username']}”不存在或已停用。", returncode=2)
        actor = actor_for_user(user, request_id=f"import_inventory:{path.name}")
        with path.open("rb") as stream:
            report = inventory_import(actor=actor, file=stream, dry_run=opts["dry_run"])
        if not report.ok:
            for line in report.lines():
                self.stdout.write(line)
            raise CommandError(
                f"共 {len(report.errors)} 处错误，未导入任何内容。请按上面各行修改后重新导入。", returncode=1
            )
        prefix = "试运行（未写入）：" if report.dry_run else ""
        self.stdout.write(f"{prefix}{report.summary()}")
