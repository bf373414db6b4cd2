import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.datastore import loading
from sanbu.demo import basedata


class Command(BaseCommand):
    help = (
        "Generate the 人口, 法人 and 电子证照 base resources (一号通行) with synthetic records under the demo "
        "departments: registered, mounted and published; a rerun replaces the mount. Run load_demo first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--persons", type=int, default=10_000, help="人口记录数（默认 10000；0 表示不生成）"
        )
        parser.add_argument("--orgs", type=int, default=1_000, help="法人记录数（默认 1000；0 表示不生成）")
        parser.add_argument(
            "--licences", type=int, default=None, help="电子证照记录数（默认为人口数的一半；0 表示不生成）"
        )
        parser.add_argument(
            "--seed", type=int, default=basedata.DEFAULT_SEED, help="随机种子（相同种子生成相同记录）"
        )
        parser.add_argument(
            "--jurisdiction", default=basedata.DEFAULT_JURISDICTION,
            help="生成记录所属行政区划（GB/T 2260，默认 370300 淄博市）",
        )  # fmt: skip
        parser.add_argument(
            "--batch-size", type=int, default=loading.BULK_BATCH_SIZE, help="每批写入的行数（默认 20000）"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "SANBU_DEMO", False):
            raise CommandError(
                "基础数据是合成数据，只能在演示环境生成（settings.SANBU_DEMO 为 False）：请使用 "
                "DJANGO_SETTINGS_MODULE=sanbu.config.settings.demo。",
                returncode=2,
            )
        persons, orgs = opts["persons"], opts["orgs"]
        licences = opts["licences"] if opts["licences"] is not None else persons // 2
        if opts["batch_size"] < 1:
            raise CommandError("--batch-size 须为正整数。", returncode=2)
        self.stdout.write(
            f"正在生成基础数据：人口 {persons} 条，法人 {orgs} 条，电子证照 {licences} 条"
            f"（种子 {opts['seed']}，区划 {opts['jurisdiction']}）……"
        )
        self._last = 0.0
        try:
            summary = basedata.generate(
                persons=persons, orgs=orgs, licences=licences, seed=opts["seed"],
                jurisdiction=opts["jurisdiction"], batch_size=opts["batch_size"], progress=self.progress,
            )  # fmt: skip
        except basedata.BaseDataError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for r in summary.results:
            replaced = f"，替换了挂接 {'、'.join(map(str, r.replaced))}" if r.replaced else "（首次挂接）"
            encrypted = "、".join(r.encrypted) if r.encrypted else "无"
            self.stdout.write(
                f"  {r.label}：{r.department}「{r.name}」资源 #{r.resource_id}（代码 {r.code}，{r.share_type}，"
                f"{r.data_grade}）挂接 #{r.mount_id}，{r.rows} 行{replaced}；加密信息项：{encrypted}；"
                f"用时 {r.seconds:.1f} 秒（{_rate(r.rows, r.seconds)}）。"
            )
        self.stdout.write(
            f"完成：共 {summary.rows} 行，覆盖区划 {'、'.join(summary.counties)}，总用时 {summary.seconds:.1f} 秒"
            f"（{_rate(summary.rows, summary.seconds)}）。"
        )

    def progress(self, res: basedata.BaseResource, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 5:
            return
        self._last = now
        self.stdout.write(f"  {res.label}：已写入 {done}/{total} 行")


def _rate(rows: int, seconds: float) -> str:
    return f"每秒 {rows / seconds:,.0f} 行" if seconds > 0 else "—"
