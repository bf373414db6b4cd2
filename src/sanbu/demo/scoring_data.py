"""Demo data for scoring (SUP-3) and the monthly scheduling sheet (月调度, SUP-2), loaded after the rest of
the demo so that the snapshots read the catalog, exchange, inventory and project data it made.

``admin_dsj`` (the authority) enters third-party evaluation and public-feedback scores for a few
departments for each of the last six months (rising a little month by month, so the trend goes
somewhere), then builds the month's snapshots for those six months, the current one included, for 淄博市
(370300, with every division below it) and 沂源县 (370323), each on its ruleset's tree and on the 篇六
dimensions: the dashboards then have a trend, a ranking and a scheduling sheet. Everything goes through
``scoring.services`` (change records included). Skipped when 淄博市 already has a snapshot.
"""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import actor_for_user
from sanbu.policy.calendar import add_months
from sanbu.scoring.models import Snapshot, Source, Task
from sanbu.scoring.services import external_score_enter, snapshot_build, tree_for

from .data import CITY, DEPARTMENTS

COUNTY = "370323"
MONTHS = 6
ALTERNATIVE = "dimensions"
REQUEST_ID = "demo-load"
# Departments scored by people (department key, third-party base, public-feedback base).
EXTERNAL: list[tuple[str, float, float]] = [
    ("gaj", 84.0, 88.5),
    ("mzj", 78.5, 91.0),
    ("rsj", 81.0, 86.0),
    ("wjw", 76.0, 83.5),
    ("scjgj", 86.5, 84.0),
    ("jyj", 72.0, 80.5),
    ("ybj", 79.0, 89.0),
    ("spj", 88.0, 92.5),
    ("yy_dsj", 74.5, 82.0),
]
THIRD_PARTY_BASIS = "淄博市政务数据共享工作第三方评估报告（{month}）"
PUBLIC_BASIS = "12345 政务服务便民热线及“好差评”系统 {month} 汇总"


def _months(today: dt.date) -> list[str]:
    """The last ``MONTHS`` months, oldest first, the current one last (``2026-06`` … ``2026-11``)."""
    first = today.replace(day=1)
    return [f"{add_months(first, -back):%Y-%m}" for back in range(MONTHS - 1, -1, -1)]


def _enter_scores(authority: Actor, months: list[str]) -> int:
    names = {d.key: d.name for d in DEPARTMENTS}
    departments = dict(
        Department.objects.filter(name__in=[names[k] for k, _, _ in EXTERNAL]).values_list("name", "pk")
    )
    entered = 0
    for n, (key, third, public) in enumerate(EXTERNAL):
        pk = departments.get(names[key])
        if pk is None:
            continue
        for i, month in enumerate(months):
            label = f"{month[:4]} 年 {int(month[5:])} 月"
            wobble = ((n * 7 + i * 3) % 5 - 2) * 0.5  # a little up and down around the rise
            for source, base, basis in (
                (Source.THIRD_PARTY, third, THIRD_PARTY_BASIS),
                (Source.PUBLIC, public, PUBLIC_BASIS),
            ):
                score = min(99.0, base + 1.2 * i + wobble)
                external_score_enter(
                    actor=authority, department_id=pk, month=month, source=source, score=f"{score:.1f}",
                    basis=basis.format(month=label),
                )  # fmt: skip
                entered += 1
    return entered


def load_scoring() -> str:
    """Load the scoring demo; a one-line summary for the command's output."""
    if Snapshot.objects.filter(jurisdiction_id=CITY).exists():
        return "评分：演示数据已存在，跳过。"
    started = time.perf_counter()
    user = get_user_model().objects.get(username="admin_dsj")
    authority = actor_for_user(user, request_id=REQUEST_ID)
    months = _months(timezone.localdate())
    built: dict[str, Snapshot] = {}
    with transaction.atomic():
        entered = _enter_scores(authority, months)
        for code in (CITY, COUNTY):
            trees = list(dict.fromkeys((tree_for(code), ALTERNATIVE)))
            for month in months:
                for tree in trees:
                    snap = snapshot_build(actor=authority, jurisdiction=code, month=month, tree=tree)
                    if tree != ALTERNATIVE:
                        built[code] = snap  # the latest month's on the ruleset's tree
    city, county = built[CITY], built[COUNTY]
    tasks = Task.objects.filter(snapshot=city)
    overdue = tasks.filter(overdue=True).count()
    return (
        f"评分：{len(months)} 个月快照（{months[0]} 至 {months[-1]}），淄博市 {city.departments} 个部门、"
        f"沂源县 {county.departments} 个部门，指标体系 {city.tree} 和 {ALTERNATIVE}；"
        f"录入第三方评估和公众评价 {entered} 条；本月月调度任务 {tasks.count()} 项（逾期 {overdue} 项），"
        f"用时 {time.perf_counter() - started:.1f} 秒。"
    )
