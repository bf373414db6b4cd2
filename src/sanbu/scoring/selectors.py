"""Reads for the leaders' dashboard and a department's score (issue 7), restricted to what the actor may see.

Jurisdiction-wide reads (overview, ranking, trend, overdue, blocked projects, money held back) need
``scoring.view`` over the jurisdiction (the authority, leaders, auditors); a department's score and its
drill-down also answer the department's own stewards. Anything else is a ``NotFound``, like a missing one.

Scores, ranks, trends and the monthly sheet are read from the stored snapshots (reproducible); projects
blocked now, money held back and the rows behind a fact are computed live from the platform.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, Sum
from django.utils import timezone

from sanbu.core.actor import Actor, Scope, jurisdiction_prefix
from sanbu.core.errors import NotFound
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.projects.stages import project_gates

from . import trees
from .facts import CYCLE_DAYS, REGISTERED, Month
from .models import VIEW, ExternalScore, Score, Snapshot, Task, TaskKind
from .services import month_of, tree_for
from .vocabulary import FACT_NAMES

TREND_MONTHS = 12
EXAMPLES = 5
NEXT_STEPS = 5


# --- shapes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    jurisdiction: str
    month: str
    tree: str
    tree_title: str
    departments: int
    digest: str
    built_at: dt.datetime
    built_by: str


@dataclass(frozen=True)
class TrendPoint:
    month: str
    score: float | None


@dataclass(frozen=True)
class RankRow:
    rank: int | None
    department_id: int
    name: str
    score: float | None
    previous: float | None
    change: float | None  # score − previous month's; None when either is missing


@dataclass(frozen=True)
class IndicatorAverage:
    key: str
    name: str
    weight: float
    score: float | None  # the jurisdiction's own score on the indicator
    average: float | None  # the mean of the departments scored on it
    departments: int


@dataclass(frozen=True)
class Overview:
    jurisdiction: str
    jurisdiction_name: str
    tree: str
    tree_title: str
    month: str | None  # None: no snapshot yet
    months: list[str]
    score: float | None
    previous: float | None
    trend: list[TrendPoint]
    ranking: list[RankRow]
    indicators: list[IndicatorAverage]
    built_at: dt.datetime | None = None
    digest: str = ""


@dataclass(frozen=True)
class OverdueOwner:
    department_id: int
    name: str
    total: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class Overdue:
    jurisdiction: str
    month: str | None
    kinds: list[tuple[str, str]]  # (kind, Chinese label) in a fixed order
    owners: list[OverdueOwner]
    total: int


@dataclass(frozen=True)
class ProjectRef:
    id: int
    name: str
    unit: str
    link: str


@dataclass(frozen=True)
class BlockedRule:
    rule_id: str
    gate: str
    gate_title: str
    reason: str
    remedy: str
    count: int
    examples: list[ProjectRef]


@dataclass(frozen=True)
class Blocked:
    jurisdiction: str
    day: dt.date
    checked: int
    blocked: int
    rules: list[BlockedRule]


@dataclass(frozen=True)
class MoneyItem:
    key: str
    label: str
    amount: int
    count: int
    note: str


@dataclass(frozen=True)
class MoneyHeld:
    jurisdiction: str
    day: dt.date
    year: int
    items: list[MoneyItem]
    total: int


@dataclass(frozen=True)
class FactLine:
    key: str
    label: str
    value: float | None
    drill: str


@dataclass(frozen=True)
class IndicatorLine:
    key: str
    name: str
    depth: int
    leaf: bool
    score: float | None
    weight: float
    share: float
    formula: str
    citation: str
    remedy: str
    facts: list[FactLine] = field(default_factory=list)
    drill: bool = False  # whether rows stand behind it


@dataclass(frozen=True)
class NextStep:
    key: str
    name: str
    score: float | None
    remedy: str


@dataclass(frozen=True)
class ExternalEntry:
    source: str
    label: str
    score: float
    basis: str
    entered_by: str


@dataclass(frozen=True)
class DepartmentScore:
    department_id: int
    name: str
    jurisdiction: str
    tree: str
    tree_title: str
    month: str | None
    months: list[str]
    score: float | None
    rank: int | None
    ranked: int
    previous: float | None
    trend: list[TrendPoint]
    indicators: list[IndicatorLine]
    next_steps: list[NextStep]
    external: list[ExternalEntry]


@dataclass(frozen=True)
class Row:
    text: str
    detail: str
    link: str


@dataclass(frozen=True)
class RowGroup:
    kind: str
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class IndicatorRows:
    department_id: int
    department: str
    indicator: str
    name: str
    month: str
    formula: str
    groups: list[RowGroup]


# --- scope ----------------------------------------------------------------------------------------------


def default_jurisdiction(actor: Actor) -> str:
    """The jurisdiction the actor sees scores of: its first jurisdiction-wide grant, else its own."""
    for a in actor.assignments:
        if VIEW in a.actions and a.jurisdiction:
            return a.jurisdiction
    return actor.jurisdiction or ("370300" if actor.is_superuser else "")


def _place(actor: Actor, code: str) -> Jurisdiction:
    place = Jurisdiction.objects.filter(pk=(code or "").strip()).first()
    if place is None or not actor.can(VIEW, Scope(jurisdiction=place.code)):
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权查看其评分。", jurisdiction=code)
    return place


def _department(actor: Actor, department_id: int) -> Department:
    dept = Department.objects.filter(pk=department_id).first()
    if dept is None or not actor.can(VIEW, Scope(jurisdiction=dept.jurisdiction_id, department_id=dept.pk)):
        raise NotFound(
            "orgs.department.not_found", "部门不存在或您无权查看其评分。", department_id=department_id
        )
    return dept


def _tree(name: str) -> trees.Tree:
    try:
        return trees.load(name)
    except trees.TreeError:
        raise NotFound("scoring.tree.not_found", f"没有名为“{name}”的指标体系。", tree=name) from None


def _label(d: dt.date) -> str:
    return f"{d:%Y-%m}"


def _snapshot(place: Jurisdiction, tree: str, month: str) -> Snapshot | None:
    """The month's snapshot (``month`` "": the latest); a month asked for and not built is a NotFound."""
    qs = Snapshot.objects.filter(jurisdiction=place, tree=tree)
    if not month:
        return qs.order_by("-month").first()
    snap = qs.filter(month=month_of(month).first).first()
    if snap is None:
        raise NotFound("scoring.snapshot.not_found", f"{month} 尚未生成评分快照。", month=month, tree=tree)
    return snap


def _months(place: Jurisdiction, tree: str) -> list[str]:
    return [
        _label(m)
        for m in Snapshot.objects.filter(jurisdiction=place, tree=tree)
        .order_by("-month")
        .values_list("month", flat=True)
    ]


# --- snapshots, overview, ranking, trend ------------------------------------------------------------------


def snapshots(*, actor: Actor, jurisdiction: str, tree: str = "") -> list[SnapshotInfo]:
    """The months built for the jurisdiction (on ``tree``, or on every tree), newest first."""
    place = _place(actor, jurisdiction)
    qs = Snapshot.objects.filter(jurisdiction=place).order_by("-month", "tree")
    if tree:
        qs = qs.filter(tree=tree)
    titles = {name: _title(name) for name in set(qs.values_list("tree", flat=True))}
    return [
        SnapshotInfo(
            s.pk,
            place.code,
            _label(s.month),
            s.tree,
            titles[s.tree],
            s.departments,
            s.digest,
            s.built_at,
            s.built_by,
        )
        for s in qs
    ]


def _title(name: str) -> str:
    try:
        return trees.load(name).title
    except trees.TreeError:
        return name


def _trend(snap_filter: Q, root: str, department_id: int | None, until: dt.date) -> list[TrendPoint]:
    who = Q(department__isnull=True) if department_id is None else Q(department_id=department_id)
    rows = (
        Score.objects.filter(snap_filter, who, indicator=root, snapshot__month__lte=until)
        .order_by("-snapshot__month").values_list("snapshot__month", "score")[:TREND_MONTHS]
    )  # fmt: skip
    return [TrendPoint(_label(m), s) for m, s in reversed(list(rows))]


def _previous(snap: Snapshot) -> Snapshot | None:
    return (
        Snapshot.objects.filter(jurisdiction_id=snap.jurisdiction_id, tree=snap.tree, month__lt=snap.month)
        .order_by("-month").first()
    )  # fmt: skip


def _ranking(snap: Snapshot, root: str) -> list[RankRow]:
    prev = _previous(snap)
    before: dict[int, float | None] = {}
    if prev is not None:
        before = dict(
            Score.objects.filter(snapshot=prev, indicator=root, department__isnull=False)
            .values_list("department_id", "score")
        )  # fmt: skip
    out: list[RankRow] = []
    for dept_id, name, score, rank in Score.objects.filter(
        snapshot=snap, indicator=root, department__isnull=False
    ).values_list("department_id", "department__name", "score", "rank"):
        p = before.get(dept_id)
        change = round(score - p, 2) if score is not None and p is not None else None
        out.append(RankRow(rank, dept_id, name, _r(score), _r(p), change))
    out.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name, r.department_id))
    return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def overview(*, actor: Actor, jurisdiction: str, month: str = "", tree: str = "") -> Overview:
    """The jurisdiction's score and trend, the department ranking and the top-level indicators."""
    place = _place(actor, jurisdiction)
    name = tree or tree_for(place.code)
    t = _tree(name)
    root = t.root.key
    snap = _snapshot(place, name, month)
    months = _months(place, name)
    if snap is None:
        return Overview(place.code, place.name, name, t.title, None, months, None, None, [], [], [])
    scores: dict[tuple[int | None, str], float | None] = {
        (d, i): s
        for d, i, s in Score.objects.filter(snapshot=snap).values_list("department_id", "indicator", "score")
    }
    trend = _trend(Q(snapshot__jurisdiction=place, snapshot__tree=name), root, None, snap.month)
    indicators: list[IndicatorAverage] = []
    for child in t.root.children:
        values = [s for (d, i), s in scores.items() if d is not None and i == child.key and s is not None]
        avg = round(sum(values) / len(values), 2) if values else None
        indicators.append(IndicatorAverage(child.key, child.name, child.weight, _r(scores.get((None, child.key))),
                                           avg, len(values)))  # fmt: skip
    previous = trend[-2].score if len(trend) > 1 else None
    return Overview(
        place.code, place.name, name, t.title, _label(snap.month), months, _r(scores.get((None, root))),
        _r(previous), [TrendPoint(p.month, _r(p.score)) for p in trend], _ranking(snap, root), indicators,
        snap.built_at, snap.digest,
    )  # fmt: skip


# --- the monthly sheet: overdue by owner ------------------------------------------------------------------

KIND_ORDER = [(k.value, k.label) for k in TaskKind]


def overdue(*, actor: Actor, jurisdiction: str, month: str = "") -> Overdue:
    """The tasks overdue at the month's end (from the snapshot's sheet), grouped by owner, counted by kind."""
    place = _place(actor, jurisdiction)
    preferred = tree_for(place.code)
    qs = Snapshot.objects.filter(jurisdiction=place)
    if month:
        qs = qs.filter(month=month_of(month).first)
    snap = sorted(qs.order_by("-month")[:8], key=lambda s: (-s.month.toordinal(), s.tree != preferred))
    if not snap:
        if month:
            raise NotFound("scoring.snapshot.not_found", f"{month} 尚未生成评分快照。", month=month)
        return Overdue(place.code, None, KIND_ORDER, [], 0)
    chosen = snap[0]
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    names: dict[int, str] = {}
    for owner, name, kind in Task.objects.filter(snapshot=chosen, overdue=True).values_list(
        "owner_id", "owner__name", "kind"
    ):
        counts[owner][kind] += 1
        names[owner] = name
    owners = [
        OverdueOwner(o, names[o], sum(c.values()), {k: c.get(k, 0) for k, _ in KIND_ORDER})
        for o, c in counts.items()
    ]
    owners.sort(key=lambda r: (-r.total, r.name, r.department_id))
    return Overdue(place.code, _label(chosen.month), KIND_ORDER, owners, sum(o.total for o in owners))


# --- projects blocked now and money held back (live) -----------------------------------------------------


def _projects_of(place: Jurisdiction) -> list[Any]:
    from sanbu.projects.models import Project, ProjectState

    return list(
        Project.objects.filter(jurisdiction__code__startswith=jurisdiction_prefix(place.code),
                               state__in=(ProjectState.APPROVED, ProjectState.ACCEPTED))
        .select_related("unit").order_by("pk")
    )  # fmt: skip


def _lifecycle_link(pk: int) -> str:
    return f"/projects/{pk}/lifecycle/"


def project_blocks(projects: Sequence[Any], day: dt.date) -> dict[int, list[Any]]:
    """The blocking decisions of each project on ``day``: its gates at its stage (``facts.project_gates``)
    and, once accepted, the O&M gate of its systems."""
    from sanbu.inventory.models import InformationSystem, SystemStatus
    from sanbu.policy.gates import evaluate
    from sanbu.projects import operations, steps
    from sanbu.projects.models import Project, ProjectState

    if not projects:
        return {}
    gates = project_gates(projects, day)
    done = [p.pk for p in projects if p.state == ProjectState.ACCEPTED]
    systems_of: dict[int, list[int]] = defaultdict(list)
    for pid, sid in Project.systems.through.objects.filter(project_id__in=done).values_list(
        "project_id", "informationsystem_id"
    ):
        systems_of[pid].append(sid)
    running = list(
        InformationSystem.objects.filter(pk__in={s for v in systems_of.values() for s in v},
                                         status=SystemStatus.RUNNING)
    )  # fmt: skip
    o_facts = operations.operations_facts_many(running, day.year, day) if running else {}
    rulesets = {code: steps.ruleset_for(code) for code in {p.jurisdiction_id for p in projects if p.pk in systems_of}}
    out: dict[int, list[Any]] = {}
    for p in projects:
        blocks = list(gates[p.pk].blocks)
        for sid in systems_of.get(p.pk, []):
            if sid in o_facts:
                blocks += [d for d in evaluate("O", o_facts[sid], rulesets[p.jurisdiction_id]) if d.blocks]
        out[p.pk] = blocks
    return out


def _gate_of(rule_id: str) -> str:
    # PRJ-F2 → F; anything else → the letter after the dash, or "".
    tail = rule_id.split("-", 1)[-1]
    return tail[:1] if tail[:1].isalpha() else ""


def blocked_projects(*, actor: Actor, jurisdiction: str) -> Blocked:
    """Approved and accepted projects of the jurisdiction that a rule blocks now, counted by rule, with
    examples and why."""
    from sanbu.policy.gates import TITLES

    place = _place(actor, jurisdiction)
    day = timezone.localdate()
    projects = _projects_of(place)
    blocks = project_blocks(projects, day)
    by_rule: dict[str, list[Any]] = defaultdict(list)
    first: dict[str, Any] = {}
    for p in projects:
        seen: set[str] = set()
        for d in blocks.get(p.pk, []):
            if d.rule_id in seen:
                continue
            seen.add(d.rule_id)
            by_rule[d.rule_id].append(p)
            first.setdefault(d.rule_id, d)
    rules = []
    for rule_id, ps in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        d, gate = first[rule_id], _gate_of(rule_id)
        rules.append(BlockedRule(
            rule_id, gate, TITLES.get(gate, ""), d.reason, d.remedy, len(ps),
            [ProjectRef(p.pk, p.name, p.unit.name, _lifecycle_link(p.pk)) for p in ps[:EXAMPLES]],
        ))  # fmt: skip
    return Blocked(place.code, day, len(projects), sum(1 for v in blocks.values() if v), rules)


def money_held(*, actor: Actor, jurisdiction: str) -> MoneyHeld:
    """Money the gates hold back now: frozen tranches, scheduled tranches that gate F blocks, O&M requests of
    this year found ineligible, and funds recovered."""
    from sanbu.policy.gates import evaluate
    from sanbu.projects import funds, steps
    from sanbu.projects.models import EntryKind, LedgerEntry, OperationsReview, Project, Tranche, TrancheState

    place = _place(actor, jurisdiction)
    prefix = jurisdiction_prefix(place.code)
    day = timezone.localdate()
    in_place = Q(project__jurisdiction__code__startswith=prefix)

    def total(qs: Any, amount: str = "amount") -> tuple[int, int]:
        agg = qs.aggregate(s=Sum(amount))
        return int(agg["s"] or 0), qs.count()

    frozen = total(Tranche.objects.filter(in_place, state=TrancheState.FROZEN))
    scheduled: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, number, amount in (
        Tranche.objects.filter(in_place, state=TrancheState.SCHEDULED).order_by("project_id", "number")
        .values_list("project_id", "number", "amount")
    ):  # fmt: skip
        scheduled[pid].append((number, amount))
    held_amount = held_count = 0
    if scheduled:
        projects = list(Project.objects.filter(pk__in=list(scheduled)))
        made = funds.funds_facts_many(projects, day, {pid: rows[0][1] for pid, rows in scheduled.items()})
        for p in projects:
            if p.pk in made and any(d.blocks for d in evaluate("F", made[p.pk], steps.ruleset_of(p))):
                held_amount += sum(a for _, a in scheduled[p.pk])
                held_count += len(scheduled[p.pk])
    ineligible = total(
        OperationsReview.objects.filter(
            system__jurisdiction__code__startswith=prefix, year=day.year, eligible=False
        ),
        "requested_budget",
    )
    recovered = total(LedgerEntry.objects.filter(in_place, kind=EntryKind.RECOVERY))
    items = [
        MoneyItem("frozen", "冻结的拨付批次", frozen[0], frozen[1], "项目被冻结时尚未拨付的批次（PRJ-F）"),
        MoneyItem(
            "blocked", "资金拨付关口不通过的待拨付批次", held_amount, held_count, "关口 F 现在不允许拨付"
        ),
        MoneyItem(
            "operations",
            f"{day.year} 年不符合条件的运维经费申请",
            ineligible[0],
            ineligible[1],
            "运维经费关口（O）检查不通过",
        ),
        MoneyItem("recovered", "已收回的资金", recovered[0], recovered[1], "资金收回通知（PRJ-F2、PRJ-F4）"),
    ]
    return MoneyHeld(place.code, day, day.year, items, sum(i.amount for i in items))


# --- a department's score and its drill-down --------------------------------------------------------------


def _department_snapshot(dept: Department, tree: str, month: str) -> Snapshot | None:
    """The snapshot holding the department's score on ``tree`` for ``month`` ("": the latest)."""
    qs = Snapshot.objects.filter(tree=tree, scores__department=dept).distinct()
    if month:
        snap = qs.filter(month=month_of(month).first).order_by("-jurisdiction_id").first()
        if snap is None:
            raise NotFound(
                "scoring.snapshot.not_found", f"{month} 尚未生成评分快照。", month=month, tree=tree
            )
        return snap
    return qs.order_by("-month", "-jurisdiction_id").first()


def _fact_lines(names: Iterable[str], values: dict[str, Any]) -> list[FactLine]:
    out = []
    for n in sorted(names):
        fact = FACT_NAMES[n]
        v = values.get(n)
        out.append(FactLine(n, fact.label, None if v is None else float(v), fact.drill))
    return out


def department(*, actor: Actor, department_id: int, month: str = "", tree: str = "") -> DepartmentScore:
    """The department's score, rank and trend; each indicator with its score, weight, share, the facts it
    read and its formula; and what to do next (the remedies of its lowest-scoring leaves)."""
    dept = _department(actor, department_id)
    name = tree or tree_for(dept.jurisdiction_id)
    t = _tree(name)
    root = t.root.key
    snap = _department_snapshot(dept, name, month)
    external = [
        ExternalEntry(e.source, e.get_source_display(), float(e.score), e.basis, e.entered_by)
        for e in ExternalScore.objects.filter(department=dept, month=snap.month if snap else timezone.localdate()
                                              .replace(day=1))
    ]  # fmt: skip
    if snap is None:
        return DepartmentScore(dept.pk, dept.name, dept.jurisdiction_id, name, t.title, None, [], None, None, 0, None,
                               [], [], [], external)  # fmt: skip
    months = [
        _label(m)
        for m in Snapshot.objects.filter(jurisdiction_id=snap.jurisdiction_id, tree=name, scores__department=dept)
        .distinct().order_by("-month").values_list("month", flat=True)
    ]  # fmt: skip
    rows = {s.indicator: s for s in Score.objects.filter(snapshot=snap, department=dept)}
    ranked = Score.objects.filter(snapshot=snap, indicator=root, rank__isnull=False).count()
    trend = _trend(
        Q(snapshot__jurisdiction_id=snap.jurisdiction_id, snapshot__tree=name), root, dept.pk, snap.month
    )
    lines: list[IndicatorLine] = []

    def visit(node: trees.Node, depth: int) -> None:
        s = rows.get(node.key)
        inputs: dict[str, Any] = dict(s.inputs) if s is not None else {}
        facts = _fact_lines(node.formula.names, inputs) if node.formula is not None else []
        lines.append(IndicatorLine(
            node.key, node.name, depth, node.formula is not None, _r(s.score) if s else None, node.weight,
            round(s.share, 4) if s else 0.0, node.formula.text if node.formula else "", node.citation, node.remedy,
            facts, any(f.drill for f in facts),
        ))  # fmt: skip
        for c in node.children:
            visit(c, depth + 1)

    visit(t.root, 0)
    leaves = [x for x in lines if x.leaf and x.score is not None and x.score < 100 and x.remedy]
    leaves.sort(key=lambda x: (x.score if x.score is not None else 0, -x.share, x.key))
    steps = [NextStep(x.key, x.name, x.score, x.remedy) for x in leaves[:NEXT_STEPS]]
    top = rows.get(root)
    return DepartmentScore(
        dept.pk, dept.name, dept.jurisdiction_id, name, t.title, _label(snap.month), months,
        _r(top.score) if top else None, top.rank if top else None, ranked,
        trend[-2].score if len(trend) > 1 else None, [TrendPoint(p.month, _r(p.score)) for p in trend], lines,
        steps, external,
    )  # fmt: skip


def _find_node(name: str, key: str) -> trees.Node | None:
    for tree_name in [name, *trees.available()]:
        try:
            return trees.load(tree_name).node(key)
        except (KeyError, trees.TreeError):
            continue
    return None


def indicator_rows(*, actor: Actor, department_id: int, indicator: str, month: str = "") -> IndicatorRows:
    """The rows behind a leaf's facts, as they stand now (for ``month``'s window where facts count deadlines
    within a month: requests, objections, needs)."""
    dept = _department(actor, department_id)
    node = _find_node(tree_for(dept.jurisdiction_id), indicator)
    if node is None or node.formula is None:
        raise NotFound("scoring.indicator.not_found", "指标不存在，或不是末级指标。", indicator=indicator)
    m = month_of(month) if month else Month.of(_label(timezone.localdate()))
    groups = [g for g in _groups(dept, node.formula.names, m) if g is not None]
    return IndicatorRows(dept.pk, dept.name, node.key, node.name, m.label, node.formula.text, groups)


def _groups(dept: Department, names: frozenset[str], m: Month) -> list[RowGroup | None]:
    out: list[RowGroup | None] = []
    if "catalog_published" in names:
        out.append(_resources(dept, "unpublished", "已注册未发布的资源"))
    if "catalog_mounted" in names:
        out.append(_resources(dept, "unmounted", "已注册未挂接的资源"))
    if "catalog_updated" in names:
        out.append(_not_updated(dept))
    if "catalog_items_linked" in names:
        out.append(_items_unlinked(dept))
    if "duplicate_items" in names:
        out.append(_duplicates(dept))
    if "conflicts_open" in names:
        out.append(_conflicts(dept))
    if "requests_on_time" in names or "requests_due" in names:
        out.append(_late(dept, "requests", m))
    if "objections_on_time" in names or "objections_due" in names:
        out.append(_late(dept, "objections", m))
    if "needs_on_time" in names or "needs_due" in names:
        out.append(_late(dept, "needs", m))
    for fact, kind, title in (("systems_cataloged", "not_cataloged", "未编目（未提供目录资源）的运行系统"),
                              ("systems_docked", "not_docked", "未对接共享平台的运行系统"),
                              ("systems_on_cloud", "not_on_cloud", "未部署在政务云的运行系统")):  # fmt: skip
        if fact in names:
            out.append(_systems(dept, kind, title))
    if "projects_passing" in names or "projects_checked" in names:
        out.append(_blocked(dept))
    if "reports_overdue" in names:
        out.append(_reports(dept))
    if "funds_recovered" in names:
        out.append(_recoveries(dept))
    if "third_party" in names or "public_feedback" in names:
        out.append(_external(dept, m))
    return out


def _res_link(pk: int) -> str:
    return f"/catalog/resources/{pk}/"


def _resources(dept: Department, which: str, title: str) -> RowGroup:
    from sanbu.catalog.models import Resource, ResourceState

    qs = Resource.objects.filter(department=dept, state__in=REGISTERED)
    if which == "unpublished":
        qs = qs.exclude(state=ResourceState.PUBLISHED)
    else:
        qs = qs.filter(mounts__isnull=True)
    rows = [
        Row(r.name, f"{r.code} · {r.get_state_display()}", _res_link(r.pk))
        for r in qs.distinct().order_by("pk")
    ]
    return RowGroup(which, title, rows)


def _not_updated(dept: Department) -> RowGroup:
    from sanbu.catalog.models import MountKind, Resource, ResourceMount, ResourceState

    now = timezone.now()
    latest: dict[int, tuple[str, dt.datetime | None]] = {}
    published = Resource.objects.filter(department=dept, state=ResourceState.PUBLISHED)
    for rid, kind, at in ResourceMount.objects.filter(resource__in=published).order_by("resource_id", "created_at") \
            .values_list("resource_id", "kind", "created_at"):  # fmt: skip
        latest[rid] = (kind, at)
    rows = []
    for r in published.order_by("pk"):
        if r.update_cycle not in CYCLE_DAYS:
            continue
        kind, loaded = latest.get(r.pk, ("", None))
        if kind == MountKind.INTERFACE or (
            loaded is not None and (now - loaded).days < CYCLE_DAYS[r.update_cycle]
        ):
            continue
        when = "从未挂接数据" if loaded is None else f"最近挂接 {timezone.localtime(loaded):%Y-%m-%d}"
        rows.append(Row(r.name, f"{r.get_update_cycle_display()}更新 · {when}", _res_link(r.pk)))
    return RowGroup("not_updated", "未按周期更新的已发布资源", rows)


def _items_unlinked(dept: Department) -> RowGroup:
    from sanbu.catalog.models import ResourceItem

    qs = (
        ResourceItem.objects.filter(resource__department=dept, resource__state__in=REGISTERED, element__isnull=True)
        .select_related("resource").order_by("resource_id", "position", "pk")
    )  # fmt: skip
    return RowGroup("unlinked", "未关联数据元的信息项",
                    [Row(i.name, f"所属资源：{i.resource.name}", _res_link(i.resource_id)) for i in qs])  # fmt: skip


def _duplicates(dept: Department) -> RowGroup:
    from sanbu.catalog.models import ResourceItem

    qs = (
        ResourceItem.objects.filter(resource__department=dept, resource__state__in=REGISTERED,
                                    element__authority__isnull=False, is_key=False)
        .exclude(resource__department_id=F("element__authority_id"))
        .select_related("resource", "element", "element__authority").order_by("resource_id", "position", "pk")
    )  # fmt: skip
    rows = [
        Row(i.name, f"所属资源：{i.resource.name}；权威来源：{i.element.authority.name if i.element and i.element.authority else ''}",
            "/catalog/elements/duplicates/")
        for i in qs
    ]  # fmt: skip
    return RowGroup("duplicates", "重复采集的信息项（权威来源为其他部门）", rows)


def _conflicts(dept: Department) -> RowGroup:
    from sanbu.catalog.models import ElementConflict

    qs = (
        ElementConflict.objects.filter(claimant=dept, resolved_at__isnull=True)
        .select_related("element", "incumbent").order_by("pk")
    )  # fmt: skip
    rows = [Row(f"数据元“{c.element.name}”", f"与{c.incumbent.name}争议权威来源 · 提出于 "
                f"{timezone.localtime(c.created_at):%Y-%m-%d}", "/catalog/elements/conflicts/") for c in qs]  # fmt: skip
    return RowGroup("conflicts", "未解决的一数一源冲突", rows)


@dataclass(frozen=True)
class _Due:
    """How to list one kind of item with a deadline: owner and answer fields, words, and each row's text."""

    title: str
    owner: str
    answered: str
    verb: str  # 答复 / 处理
    related: tuple[str, ...]
    label: Any  # item → its text
    link: str  # with {pk}


_DUE = {
    "requests": _Due("未按期答复的共享申请", "provider_department", "answered_at", "答复",
                     ("consumer_department", "resource"),
                     lambda r: f"{r.consumer_department.name}申请“{r.resource.name}”", "/exchange/inbox/?request={pk}"),
    "objections": _Due("未按期处理的数据异议", "provider_department", "answered_at", "处理", ("resource",),
                       lambda o: f"“{o.resource.name}”的数据异议", "/exchange/objections/{pk}/"),
    "needs": _Due("未按期答复的供需对接需求", "routed_to", "closed_at", "答复", (),
                  lambda n: f"数据需求“{n.title}”", "/exchange/needs/{pk}/"),
}  # fmt: skip


def _late(dept: Department, kind: str, m: Month) -> RowGroup:
    """Items whose deadline falls in the month and that were not answered by it (late or still open): the
    rows behind ``requests_on_time``, ``objections_on_time`` and ``needs_on_time``."""
    from sanbu.exchange.models import DataNeed, Objection, ShareRequest

    spec = _DUE[kind if kind in _DUE else "needs"]
    model: Any = {"requests": ShareRequest, "objections": Objection}.get(kind, DataNeed)
    zone = ZoneInfo(settings.TIME_ZONE)
    until = min(m.last, timezone.localdate())
    qs = model.objects.filter(**{spec.owner: dept}, due_date__gte=m.first, due_date__lte=until).order_by(
        "due_date", "pk"
    )
    if spec.related:  # (select_related() with no names would follow every foreign key)
        qs = qs.select_related(*spec.related)
    rows: list[Row] = []
    for item in qs:
        at = getattr(item, spec.answered)
        if at is None or at.astimezone(zone).date() > item.due_date:
            state = f"尚未{spec.verb}" if at is None else f"{at.astimezone(zone):%Y-%m-%d} {spec.verb}（逾期）"
            rows.append(Row(spec.label(item), f"{spec.verb}期限 {item.due_date} · {state}",
                            spec.link.format(pk=item.pk)))  # fmt: skip
    return RowGroup(kind, spec.title, rows)


def _systems(dept: Department, kind: str, title: str) -> RowGroup:
    from sanbu.inventory.models import InformationSystem, SystemStatus
    from sanbu.inventory.selectors import docked_many

    systems = list(
        InformationSystem.objects.filter(department=dept, status=SystemStatus.RUNNING).order_by("pk")
    )
    rows: list[Row] = []
    if kind == "not_cataloged":
        cataloged = set(InformationSystem.provides.through.objects.filter(
            informationsystem_id__in=[s.pk for s in systems]).values_list("informationsystem_id", flat=True))  # fmt: skip
        rows = [
            Row(s.name, "未登记其提供的目录资源", f"/inventory/{s.pk}/")
            for s in systems
            if s.pk not in cataloged
        ]
    elif kind == "not_docked":
        docking = docked_many(systems, timezone.localdate())
        rows = [
            Row(s.name, docking[s.pk].reason, f"/inventory/{s.pk}/")
            for s in systems
            if not docking[s.pk].docked
        ]
    else:
        rows = [Row(s.name, "未部署在政务云", f"/inventory/{s.pk}/") for s in systems if not s.on_gov_cloud]
    return RowGroup(kind, title, rows)


def _blocked(dept: Department) -> RowGroup:
    from sanbu.projects.models import Project, ProjectState

    projects = list(Project.objects.filter(unit=dept, state__in=(ProjectState.APPROVED, ProjectState.ACCEPTED))
                    .order_by("pk"))  # fmt: skip
    blocks = project_blocks(projects, timezone.localdate())
    rows = []
    for p in projects:
        ds = blocks.get(p.pk, [])
        if ds:
            rules = "；".join(dict.fromkeys(f"{d.rule_id} {d.reason}" for d in ds))
            rows.append(Row(p.name, rules, _lifecycle_link(p.pk)))
    return RowGroup("projects", "关口检查不通过的项目", rows)


def _reports(dept: Department) -> RowGroup:
    from .tasks import tasks_at  # the monthly sheet's own reading of PRJ-C2

    rows = [
        Row(r.title, f"报送期限 {r.due} · 已逾期", r.link)
        for r in tasks_at([dept.pk], timezone.now(), timezone.localdate())
        if r.kind == TaskKind.REPORT and r.overdue
    ]
    return RowGroup("reports", "逾期未报的建设进度报告", rows)


def _recoveries(dept: Department) -> RowGroup:
    from sanbu.projects.models import EntryKind, LedgerEntry

    qs = LedgerEntry.objects.filter(project__unit=dept, kind=EntryKind.RECOVERY).select_related("project") \
        .order_by("booked_on", "pk")  # fmt: skip
    rows = [Row(e.project.name, f"{e.booked_on} 收回 {e.amount:,} 元 · {e.reference or e.note}",
                _lifecycle_link(e.project_id)) for e in qs]  # fmt: skip
    return RowGroup("recoveries", "被收回的资金", rows)


def _external(dept: Department, m: Month) -> RowGroup:
    rows = [
        Row(e.get_source_display(), f"{e.score} 分 · {e.basis}", "")
        for e in ExternalScore.objects.filter(department=dept, month=m.first)
    ]
    return RowGroup("external", f"{m.label} 录入的评分", rows)
