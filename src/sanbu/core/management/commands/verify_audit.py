from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sanbu.core.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the SM3 audit chain; exit non-zero naming the first record that does not match."

    def handle(self, *args: Any, **options: Any) -> None:
        count, problem = verify_chain()
        if problem is not None:
            raise CommandError(f"审计链校验失败：{problem.message}（记录 id={problem.record_id}）")
        self.stdout.write(f"审计链完好：{count} 条记录，哈希链连续。")
