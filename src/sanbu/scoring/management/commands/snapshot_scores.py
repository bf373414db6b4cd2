"""``sanbu snapshot_scores --month 2026-11``: build (or rebuild) the month's score snapshots.

For every jurisdiction that has departments of its own (or those given with ``--jurisdiction``), on its
ruleset's tree and on the 篇六 dimensions tree (or the ``--tree`` given). ``--previous`` builds last month:
the scheduled task runs it on the first day of each month (docs/scoring.md). Runs as the platform
(``system``) unless ``--as`` names a user, whose permissions then apply. Rebuilding a month prints the
same digest when the data behind it is the same.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.errors import SanbuError
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.orgs.selectors import actor_for_user
from sanbu.scoring.services import month_of, snapshot_build, tree_for

ALTERNATIVE = "dimensions"


class Command(BaseCommand):
    help = "Build the month's score snapshots: sanbu snapshot_scores --month YYYY-MM [--jurisdiction CODE] [--tree NAME]"

    def add_arguments(self, parser: Any) -> None:
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--month", help="月份，如 2026-11")
        when.add_argument("--previous", action="store_true", help="上个月（每月 1 日的定时任务用）")
        parser.add_argument(
            "--jurisdiction", action="append", default=[], help="行政区划代码，可重复；默认所有有部门的辖区"
        )
        parser.add_argument(
            "--tree", action="append", default=[], help="指标体系，可重复；默认规则集的指标体系和五维度"
        )
        parser.add_argument(
            "--as", dest="username", default="", help="以该用户的身份和权限生成（默认以平台身份）"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        month = opts["month"] or _previous_month()
        try:
            month_of(month)
        except SanbuError as exc:
            raise CommandError(exc.message) from None
        actor = _actor(opts["username"])
        codes = opts["jurisdiction"] or sorted(
            set(Department.objects.values_list("jurisdiction_id", flat=True))
        )
        failed = 0
        for code in codes:
            place = Jurisdiction.objects.filter(pk=code).first()
            label = place.name if place else code
            for tree in opts["tree"] or [tree_for(code), ALTERNATIVE]:
                try:
                    snap = snapshot_build(actor=actor, jurisdiction=code, month=month, tree=tree)
                except SanbuError as exc:
                    failed += 1
                    self.stderr.write(f"{month} {label} {tree}：{exc.message}")
                    continue
                self.stdout.write(
                    f"{month} {label}（{code}）{tree}：{snap.departments} 个部门，用时 {snap.seconds:.2f} 秒，"
                    f"摘要 {snap.digest[:16]}"
                )
        if failed:
            raise CommandError(f"{failed} 个快照未能生成，原因见上。")


def _previous_month() -> str:
    today = timezone.localdate()
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


def _actor(username: str) -> Actor:
    if not username:
        return SYSTEM
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"用户“{username}”不存在或已停用。")
    return actor_for_user(user)
