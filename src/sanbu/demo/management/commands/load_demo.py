from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.demo import data
from sanbu.demo.inventory_data import load_inventory
from sanbu.demo.lifecycle_data import load_lifecycle
from sanbu.demo.needs_data import load_needs
from sanbu.demo.project_lifecycle_data import load_project_lifecycle
from sanbu.demo.projects_data import load_projects
from sanbu.demo.scoring_data import load_scoring


class Command(BaseCommand):
    help = "Load the synthetic 淄博市 demo data (only where settings.SANBU_DEMO is true; skipped if loaded)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", action="store_true", help="只打印演示账号，不加载数据")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "SANBU_DEMO", False):
            raise CommandError(
                "演示数据只能在演示环境加载（settings.SANBU_DEMO 为 False）：请使用 "
                "DJANGO_SETTINGS_MODULE=sanbu.config.settings.demo。",
                returncode=2,
            )
        if not opts["accounts"]:
            self.stdout.write("正在加载演示数据（淄博市）……")
            summary = data.load()
            if summary is not None:
                load_needs()  # 供需对接 and 数据异议, on top of the fresh demo
            if summary is None:
                self.stdout.write("演示数据已存在，跳过加载。")
            else:
                states = "，".join(f"{label} {summary.states[value]}" for value, label in data.STATE_LABELS)
                self.stdout.write(
                    f"已加载：{summary.departments} 个部门，{summary.users} 个账号，{summary.resources} 个信息资源"
                    f"（{states}），挂接数据 {summary.rows} 行，接口 {summary.interfaces} 个，"
                    f"待处理一数一源冲突 {summary.open_conflicts} 个，用时 {summary.seconds:.1f} 秒。"
                )
                self.stdout.write(load_lifecycle())
                self.stdout.write(load_inventory())  # 信息系统清单, after the apps and their gateway calls
                self.stdout.write(load_projects())  # 专家库 and projects; gate A reads the inventory
                self.stdout.write(load_project_lifecycle())  # plan, funds, construction, acceptance, O&M
                self.stdout.write(load_scoring())  # external scores and six months of snapshots, last
        self.print_accounts()

    def print_accounts(self) -> None:
        rows = data.accounts()
        if not rows:
            self.stdout.write("尚未加载演示数据：运行 sanbu load_demo。")
            return
        width = max(len(r.username) for r in rows)
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {data.DEMO_PASSWORD}）：")
        self.stdout.write(f"  {'用户名'.ljust(width - 3)}  角色 · 部门")
        for r in rows:
            self.stdout.write(f"  {r.username.ljust(width)}  {r.roles} · {r.department}")
        self.stdout.write("")
