import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.core.audit import default_workers, verify_chain


class Command(BaseCommand):
    help = "Walk the SM3 audit chain; exit non-zero naming the first record that does not match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="processes that check seq ranges in parallel (default: the number of CPUs; 1: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count, problem = verify_chain(workers=max(1, options["workers"]))
        seconds = time.perf_counter() - started
        if problem is not None:
            raise CommandError(f"审计链校验失败：{problem.message}（记录 id={problem.record_id}）")
        rate = f"，每秒 {count / seconds:,.0f} 条" if count and seconds > 0 else ""
        self.stdout.write(f"审计链完好：{count} 条记录，哈希链连续。（用时 {seconds:.2f} 秒{rate}）")
