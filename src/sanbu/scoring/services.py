"""Scoring services: build a month's snapshot (SUP-3 scores and ranks, SUP-2 scheduling sheet) and enter
the scores people give (third-party evaluation, public feedback). Keyword-only with the actor; one
transaction; the change record in it.

A snapshot is rebuilt whole: the month's rows for that jurisdiction and tree are replaced, and the digest
(SM3 over the rows in a fixed order) is the same when the same data gives the same result, which the
tests and ``snapshot_scores`` check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor, Scope
from sanbu.core.errors import FieldError, NotFound, ValidationFailed
from sanbu.core.sm3 import sm3_hex
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.orgs.rulesets import ruleset_for_jurisdiction

from . import trees
from .facts import Month, department_facts, departments_of, jurisdiction_facts
from .models import BUILD, ENTER, ExternalScore, Facts, Score, Snapshot, Source, Task
from .tasks import tasks_at

TREE_PARAMETER = "scoring.tree"


def _place(actor: Actor, code: str, action: str) -> Jurisdiction:
    place = Jurisdiction.objects.filter(pk=code).first()
    if place is None or not actor.can(action, Scope(jurisdiction=place.code)):
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权办理。", jurisdiction=code)
    return place


def month_of(label: str) -> Month:
    try:
        return Month.of(label)
    except ValueError as exc:
        raise ValidationFailed(
            "scoring.month.invalid", str(exc), [FieldError("month", "invalid", str(exc))]
        ) from None


def tree_for(jurisdiction: str) -> str:
    """The tree the jurisdiction's ruleset scores on (``scoring.tree``), else ``sharing``."""
    rs = ruleset_for_jurisdiction(jurisdiction)
    p = rs.parameters.get(TREE_PARAMETER)
    return str(p.value) if p is not None else "sharing"


def _tree(name: str) -> trees.Tree:
    try:
        return trees.load(name)
    except trees.TreeError as exc:
        raise ValidationFailed(
            "scoring.tree.invalid", str(exc), [FieldError("tree", "invalid", str(exc))]
        ) from None


def _digest(scores: list[tuple[Any, ...]], facts: list[tuple[Any, ...]], tasks: list[tuple[Any, ...]]) -> str:
    body = json.dumps(
        [scores, facts, tasks], ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":")
    )
    return sm3_hex(body.encode("utf-8"))


def _ranks(totals: dict[int, float | None], names: dict[int, str]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) of the scored departments, best first; ties share a rank."""
    scored = sorted(
        (d for d, s in totals.items() if s is not None), key=lambda d: (-(totals[d] or 0), names[d], d)
    )
    ranks: dict[int, int] = {}
    for i, d in enumerate(scored):
        prev = scored[i - 1] if i else None
        ranks[d] = ranks[prev] if prev is not None and totals[prev] == totals[d] else i + 1
    return ranks


@transaction.atomic
def snapshot_build(*, actor: Actor, jurisdiction: str, month: str, tree: str = "",
                   today: dt.date | None = None) -> Snapshot:  # fmt: skip
    """The month's snapshot of ``jurisdiction`` on ``tree`` (default: its ruleset's), built from the
    platform's facts and replacing any earlier build of the same month and tree."""
    started = time.perf_counter()
    place = _place(actor, jurisdiction, BUILD)
    today = today or timezone.localdate()
    m = dataclasses.replace(month_of(month), day=min(month_of(month).last, today))
    if m.first > today:
        raise ValidationFailed("scoring.month.future", f"{m.label} 尚未开始，不能生成评分快照。",
                               [FieldError("month", "future", "月份不能晚于本月")])  # fmt: skip
    name = tree or tree_for(place.code)
    t = _tree(name)
    rs = ruleset_for_jurisdiction(place.code)
    depts = departments_of(place.code)
    names = {d.pk: d.name for d in depts}
    per_dept = department_facts(depts, m)
    scored = {pk: trees.score(t, f) for pk, f in per_dept.items()}
    whole = trees.score(t, jurisdiction_facts(per_dept))
    root = t.root.key
    ranks = _ranks({pk: s[root].score for pk, s in scored.items()}, names)
    task_rows = tasks_at([d.pk for d in depts], m.cutoff, m.judged)

    Snapshot.objects.filter(jurisdiction=place, month=m.first, tree=name).delete()
    snap = Snapshot.objects.create(
        jurisdiction=place, month=m.first, tree=name, ruleset=rs.name, ruleset_version=rs.version,
        departments=len(depts), digest="", built_by=actor.username[:150],
    )  # fmt: skip
    score_rows: list[Score] = []
    for pk, nodes in [(None, whole), *scored.items()]:
        for key, ns in nodes.items():
            score_rows.append(Score(snapshot=snap, department_id=pk, indicator=key, score=ns.score, share=ns.share,
                                    inputs=ns.inputs, rank=ranks.get(pk) if pk and key == root else None))  # fmt: skip
    Score.objects.bulk_create(score_rows, batch_size=2000)
    Facts.objects.bulk_create((Facts(snapshot=snap, department_id=pk, values=f) for pk, f in per_dept.items()),
                              batch_size=2000)  # fmt: skip
    Task.objects.bulk_create(
        (Task(snapshot=snap, kind=r.kind, ref=r.ref, title=r.title, owner_id=r.owner_id, due=r.due,
              working_days_left=r.working_days_left, overdue=r.overdue, link=r.link) for r in task_rows),
        batch_size=2000,
    )  # fmt: skip
    snap.digest = _digest(
        sorted((r.department_id or 0, r.indicator, r.score, r.share, r.inputs, r.rank) for r in score_rows),
        sorted((pk, f) for pk, f in per_dept.items()),
        [(r.kind, r.ref, r.owner_id, r.due, r.working_days_left, r.overdue) for r in task_rows],
    )
    snap.seconds = round(time.perf_counter() - started, 3)
    snap.save(update_fields=["digest", "seconds"])
    audit.record(actor=actor, action="scoring.snapshot.build", obj=snap, before=None,
                 after={"jurisdiction": place.code, "month": m.label, "tree": name, "digest": snap.digest,
                        "departments": len(depts), "tasks": len(task_rows)})  # fmt: skip
    return snap


@transaction.atomic
def external_score_enter(*, actor: Actor, department_id: int, month: str, source: str, score: str | float,
                         basis: str) -> ExternalScore:  # fmt: skip
    """A third-party or public-feedback score (0–100) for a department and month, with its basis; entering
    it again replaces it (the change record keeps the earlier value)."""
    dept = Department.objects.filter(pk=department_id).first()
    if dept is None or not actor.can(ENTER, Scope(jurisdiction=dept.jurisdiction_id, department_id=dept.pk)):
        raise NotFound(
            "orgs.department.not_found", "部门不存在或您无权录入其评分。", department_id=department_id
        )
    m = month_of(month)
    errors: list[FieldError] = []
    if source not in Source.values:
        errors.append(FieldError("source", "invalid", "来源应为第三方评估或公众评价。"))
    try:
        value = Decimal(str(score)).quantize(Decimal("0.01"))
        if not Decimal(0) <= value <= Decimal(100):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append(FieldError("score", "invalid", "得分应为 0 到 100 之间的数字。"))
        value = Decimal(0)
    if not basis.strip():
        errors.append(FieldError("basis", "required", "请填写评分依据（评估报告或好差评汇总的名称和文号）。"))
    elif len(basis) > 500:
        errors.append(FieldError("basis", "too_long", "评分依据不能超过 500 字。"))
    if errors:
        raise ValidationFailed("validation_failed", "填写有误，请按提示修改。", errors)
    row = (
        ExternalScore.objects.select_for_update()
        .filter(department=dept, month=m.first, source=source)
        .first()
    )
    before = audit.snapshot(row) if row else None
    if row is None:
        row = ExternalScore(
            jurisdiction_id=dept.jurisdiction_id, department=dept, month=m.first, source=source
        )
    row.score, row.basis = value, basis.strip()
    row.entered_by, row.entered_at = actor.username[:150], timezone.now()
    row.save()
    audit.record(actor=actor, action="scoring.external.enter", obj=row, before=before)
    return row
