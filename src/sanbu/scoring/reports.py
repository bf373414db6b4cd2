"""The monthly scheduling sheet (月调度, SUP-2) and the monthly report (SUP-3) as documents.

- :func:`ledger_sheet` reads a month's sharing tasks as the actor may see them: from the month's stored
  snapshot (what was open at its end), or, when the month has no snapshot, live from the platform
  (``tasks.tasks_at`` today), saying so. Jurisdiction-wide viewers (leaders, the authority, auditors) see
  every department's tasks; a department's steward only its own; anyone else gets NotFound.
  :func:`ledger_workbook` and :func:`ledger_document` export the same rows as .xlsx and as PDF/Word.
- :func:`monthly_report` builds the month's report from the stored snapshot alone (scores, ranks, tasks:
  never recomputed, so the report reprints the same whatever changed since): the jurisdiction's score and
  trend, the department ranking, each top-level indicator, the overdue tasks by owner, the scheduling
  sheet summary and how scores are computed, with chart images (``charts``). The caller checks that the
  actor may see the jurisdiction (:func:`may_view_jurisdiction`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from sanbu.core.actor import Actor, Scope, jurisdiction_covers, jurisdiction_prefix
from sanbu.core.documents import Document, Heading, Image, KeyValues, Paragraph, Table
from sanbu.core.errors import NotFound
from sanbu.orgs.models import Department, Jurisdiction

from . import charts, trees
from .facts import Month, departments_of
from .models import VIEW, Score, Snapshot, Task, TaskKind
from .services import tree_for
from .tasks import tasks_at

KIND_LABELS: dict[str, str] = {str(k): str(v) for k, v in TaskKind.choices}
SOON_WORKING_DAYS = 3  # a task due within this many working days is shown as 即将到期
TREND_MONTHS = 12
CHART_WIDTH_CM = 15.0
CHART_PX = 1200  # drawn 1200 px wide and printed 15 cm wide: chart text about 10 pt


def month_title(first: dt.date) -> str:
    return f"{first.year}年{first.month}月"


def day_title(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def score_text(value: float | None, places: int = 2) -> str:
    return "未评分" if value is None else charts.number_text(value, places)


def change_text(now: float | None, before: float | None) -> str:
    """The change against last month, signed (+3.25, -1.00, 0.00); — when either month is unscored."""
    if now is None or before is None:
        return "—"
    diff = charts.number_text(now - before, 2)
    return diff if diff.startswith("-") else f"+{diff}"


def _jurisdiction(code: str) -> Jurisdiction:
    place = Jurisdiction.objects.filter(pk=code).first()
    if place is None:
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权查看。", jurisdiction=code)
    return place


def may_view_jurisdiction(actor: Actor, code: str) -> bool:
    """Whether the actor sees the whole jurisdiction's scores and tasks (scoring.view jurisdiction-wide)."""
    return actor.can(VIEW, Scope(jurisdiction=code))


def _own_departments(actor: Actor, code: str) -> list[int]:
    """The actor's departments (scoring.view department-scoped) that lie in ``code``."""
    ids = actor.departments_for(VIEW)
    if not ids:
        return []
    prefix = jurisdiction_prefix(code)
    return list(
        Department.objects.filter(pk__in=ids, jurisdiction__code__startswith=prefix).values_list(
            "pk", flat=True
        )
    )


def _snapshot(code: str, first: dt.date, tree: str = "") -> Snapshot | None:
    """The month's snapshot of ``code``: on ``tree`` if given, else the ruleset's tree, else any."""
    snaps = list(Snapshot.objects.filter(jurisdiction_id=code, month=first).order_by("tree"))
    if tree:
        return next((s for s in snaps if s.tree == tree), None)
    preferred = tree_for(code) if snaps else ""
    return next((s for s in snaps if s.tree == preferred), snaps[0] if snaps else None)


# ---------------------------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class LedgerFilters:
    owner: int | None = None
    kind: str = ""
    overdue: bool = False

    @property
    def active(self) -> bool:
        return bool(self.owner or self.kind or self.overdue)


@dataclass(frozen=True)
class LedgerRow:
    kind: str
    ref: str
    title: str
    owner_id: int
    owner: str
    due: dt.date | None
    working_days_left: int | None
    overdue: bool
    link: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def left_text(self) -> str:
        n = self.working_days_left
        if n is None:
            return "—"
        if n < 0:
            return f"逾期 {-n} 个工作日"
        if self.overdue:
            return "已逾期"  # due on a holiday just passed: no working day lost yet
        return "今日到期" if n == 0 else f"{n} 个工作日"

    @property
    def state(self) -> str:
        if self.overdue:
            return "已逾期"
        if self.due is None:
            return "待办（无期限）"
        if self.working_days_left is not None and self.working_days_left <= SOON_WORKING_DAYS:
            return "即将到期"
        return "办理中"

    @property
    def due_text(self) -> str:
        return self.due.isoformat() if self.due else "—"

    @property
    def href(self) -> str:
        """The object's page (a path on this site), or "" when the stored link is not one."""
        return self.link if self.link.startswith("/") and not self.link.startswith("//") else ""

    def cells(self) -> tuple[str, ...]:
        return (self.kind_label, self.title, self.owner, self.due_text, self.left_text, self.state)


LEDGER_HEADERS: tuple[str, ...] = ("类型", "事项", "责任部门", "期限", "剩余工作日", "状态")
LEDGER_WIDTHS: tuple[float, ...] = (1.6, 4.6, 1.8, 1.4, 1.6, 1.2)


@dataclass(frozen=True)
class OwnerGroup:
    owner_id: int
    owner: str
    rows: tuple[LedgerRow, ...]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.rows)


def group_by_owner(rows: Iterable[LedgerRow]) -> tuple[OwnerGroup, ...]:
    """Rows by owner: owners with the most overdue tasks first, then the most tasks, then by name."""
    by_owner: dict[int, list[LedgerRow]] = defaultdict(list)
    names: dict[int, str] = {}
    for r in rows:
        by_owner[r.owner_id].append(r)
        names[r.owner_id] = r.owner
    groups = [OwnerGroup(pk, names[pk], tuple(rs)) for pk, rs in by_owner.items()]
    groups.sort(key=lambda g: (-g.overdue, -g.total, g.owner, g.owner_id))
    return tuple(groups)


@dataclass(frozen=True)
class Ledger:
    jurisdiction: str
    jurisdiction_name: str
    month: dt.date  # the first day of the month the sheet is of
    as_of: dt.date  # the day tasks were judged on (overdue when due before it)
    snapshot_id: int | None  # None: a live view (no snapshot for the month asked)
    requested: str  # the month asked for (YYYY-MM) when it had no snapshot ("" otherwise)
    department_scoped: bool  # the actor sees only its own department's tasks
    filters: LedgerFilters
    rows: tuple[LedgerRow, ...]  # after the filters, overdue first then by deadline
    owners: tuple[tuple[int, str], ...]  # every owner on the sheet the actor sees (for the filter)
    total: int  # tasks the actor sees before the filters
    overdue_total: int
    months: tuple[dt.date, ...] = ()  # months with a snapshot, latest first
    built_at: dt.datetime | None = None

    @property
    def live(self) -> bool:
        return self.snapshot_id is None

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def title(self) -> str:
        return f"{self.jurisdiction_name} {month_title(self.month)} 数据共享任务月调度表"

    @property
    def basis(self) -> str:
        """Where the rows come from, in one sentence (printed under the title)."""
        if self.live:
            asked = f"{month_title(Month.of(self.requested).first)} " if self.requested else ""
            asked += "尚未生成评分快照，"
            return f"{asked}以下为截至 {day_title(self.as_of)} 的实时待办任务（未存档，随办理情况变化）。"
        built = timezone.localtime(self.built_at).strftime("%Y-%m-%d %H:%M") if self.built_at else ""
        return (f"数据取自 {month_title(self.month)} 评分快照（{built} 生成），为截至 {day_title(self.as_of)} "
                f"仍未办结的任务；逾期按工作日计算。")  # fmt: skip

    @property
    def groups(self) -> tuple[OwnerGroup, ...]:
        return group_by_owner(self.rows)

    @property
    def shown_overdue(self) -> int:
        return sum(r.overdue for r in self.rows)


def ledger_places(actor: Actor) -> list[Jurisdiction]:
    """The jurisdictions whose sheet the actor may open: where it views scores jurisdiction-wide, and those
    covering its own department; with every jurisdiction that has a snapshot the actor may see."""
    wide = [a.jurisdiction for a in actor.assignments if VIEW in a.actions and a.jurisdiction]
    own_ids = actor.departments_for(VIEW)
    own = set(Department.objects.filter(pk__in=own_ids).values_list("jurisdiction_id", flat=True))
    codes = set(wide) | own | set(Snapshot.objects.values_list("jurisdiction_id", flat=True).distinct())
    if actor.is_superuser and actor.jurisdiction:
        codes.add(actor.jurisdiction)

    def allowed(code: str) -> bool:
        return may_view_jurisdiction(actor, code) or any(jurisdiction_covers(code, j) for j in own)

    return list(Jurisdiction.objects.filter(pk__in=[c for c in codes if allowed(c)]).order_by("code"))


def default_place(actor: Actor, places: Sequence[Jurisdiction]) -> str:
    """The actor's own jurisdiction, then its assignments', preferring one that has a snapshot."""
    codes = [p.code for p in places]
    order = [
        actor.jurisdiction,
        *(a.jurisdiction or "" for a in actor.assignments if VIEW in a.actions),
        *codes,
    ]
    candidates = [c for c in dict.fromkeys(order) if c in codes]
    with_snapshots = set(Snapshot.objects.filter(jurisdiction_id__in=candidates).values_list("jurisdiction_id",
                                                                                             flat=True))  # fmt: skip
    return next((c for c in candidates if c in with_snapshots), candidates[0] if candidates else "")


def ledger_sheet(*, actor: Actor, jurisdiction: str, month: str = "", filters: LedgerFilters | None = None,
                 today: dt.date | None = None) -> Ledger:  # fmt: skip
    """The month's scheduling sheet of ``jurisdiction`` as the actor may see it (NotFound otherwise).

    ``month`` "" is the latest month with a snapshot; a month without one (or a jurisdiction without any)
    gives the live view of today's open tasks."""
    filters = filters or LedgerFilters()
    place = _jurisdiction(jurisdiction)
    wide = may_view_jurisdiction(actor, place.code)
    own = [] if wide else _own_departments(actor, place.code)
    if not wide and not own:
        raise NotFound(
            "orgs.jurisdiction.not_found", "行政区划不存在或您无权查看其月调度表。", jurisdiction=jurisdiction
        )
    today = today or timezone.localdate()
    months = tuple(
        Snapshot.objects.filter(jurisdiction=place)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )
    requested = ""
    snap: Snapshot | None = None
    if month:
        try:
            first = Month.of(month).first
        except ValueError:
            first = months[0] if months else today.replace(day=1)
        snap = _snapshot(place.code, first)
        if snap is None:
            requested = f"{first:%Y-%m}"
    elif months:
        snap = _snapshot(place.code, months[0])

    if snap is not None:
        tasks = Task.objects.filter(snapshot=snap).select_related("owner")
        if own:
            tasks = tasks.filter(owner_id__in=own)
        all_rows = [LedgerRow(t.kind, t.ref, t.title, t.owner_id, t.owner.name, t.due, t.working_days_left,
                              t.overdue, t.link) for t in tasks]  # fmt: skip
        m = Month.of(f"{snap.month:%Y-%m}")
        as_of = min(m.last, timezone.localtime(snap.built_at).date())
        first_day, built = snap.month, snap.built_at
    else:
        depts = departments_of(place.code)
        ids = [d.pk for d in depts if not own or d.pk in own]
        names = {d.pk: d.name for d in depts}
        found = tasks_at(ids, timezone.now(), today) if ids else []
        all_rows = [LedgerRow(r.kind, r.ref, r.title, r.owner_id, names.get(r.owner_id, str(r.owner_id)), r.due,
                              r.working_days_left, r.overdue, r.link) for r in found]  # fmt: skip
        as_of, first_day, built = today, today.replace(day=1), None
    all_rows.sort(key=lambda r: (not r.overdue, r.due or dt.date.max, r.kind, r.ref))
    owners = tuple(sorted({(r.owner_id, r.owner) for r in all_rows}, key=lambda o: (o[1], o[0])))
    kind = filters.kind if filters.kind in KIND_LABELS else ""
    owner = filters.owner if filters.owner in {o for o, _ in owners} else None
    filters = LedgerFilters(owner, kind, filters.overdue)
    rows = [r for r in all_rows if (owner is None or r.owner_id == owner) and (not kind or r.kind == kind)
            and (not filters.overdue or r.overdue)]  # fmt: skip
    return Ledger(
        jurisdiction=place.code, jurisdiction_name=place.name, month=first_day, as_of=as_of,
        snapshot_id=snap.pk if snap else None, requested=requested, department_scoped=not wide, filters=filters,
        rows=tuple(rows), owners=owners, total=len(all_rows), overdue_total=sum(r.overdue for r in all_rows),
        months=months, built_at=built,
    )  # fmt: skip


def _filter_text(ledger: Ledger) -> str:
    parts = []
    if ledger.filters.owner is not None:
        parts.append("责任部门：" + dict(ledger.owners).get(ledger.filters.owner, ""))
    if ledger.filters.kind:
        parts.append("类型：" + KIND_LABELS[ledger.filters.kind])
    if ledger.filters.overdue:
        parts.append("只含逾期任务")
    return "；".join(parts)


def ledger_document(ledger: Ledger) -> Document:
    """The sheet as a document (PDF or Word): the basis, counts by owner, then every row."""
    summary = f"共 {len(ledger.rows)} 项任务，其中逾期 {ledger.shown_overdue} 项，涉及 {len(ledger.groups)} 个责任部门。"
    filtered = _filter_text(ledger)
    blocks: list[Heading | Paragraph | Table] = [Paragraph(ledger.basis)]
    if filtered:
        blocks.append(Paragraph(f"筛选条件：{filtered}。"))
    blocks += [
        Paragraph(summary),
        Heading("一、按责任部门汇总"),
        Table(("责任部门", "任务数", "逾期"),
              tuple((g.owner, str(g.total), str(g.overdue)) for g in ledger.groups), widths=(4, 1.2, 1.2)),
        Heading("二、任务明细"),
        Table(LEDGER_HEADERS, tuple(r.cells() for g in ledger.groups for r in g.rows), widths=LEDGER_WIDTHS),
    ]  # fmt: skip
    if not ledger.rows:
        blocks.append(Paragraph("没有符合条件的任务。"))
    return Document(
        title=ledger.title,
        date=ledger.as_of,
        blocks=tuple(blocks),
        footer=f"{ledger.jurisdiction_name} 数据共享任务月调度表 · {'实时' if ledger.live else '快照'}",
    )


def ledger_workbook(ledger: Ledger) -> bytes:
    """The sheet as .xlsx: sheet 月调度表 (title, basis, a header row, then the rows by owner, overdue first)
    and sheet 按部门汇总."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "月调度表"
    headers = ("序号", *LEDGER_HEADERS, "办理页面")
    ws.append([ledger.title])
    ws.append([ledger.basis + (f" 筛选条件：{_filter_text(ledger)}。" if ledger.filters.active else "")])
    ws.append(list(headers))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"].alignment = Alignment(wrap_text=True)
    ws.row_dimensions[2].height = 32
    fill, red = PatternFill("solid", fgColor="E7E6E6"), Font(color="C00000")
    for cell in ws[3]:
        cell.font, cell.fill = Font(bold=True), fill
    n = 0
    for g in ledger.groups:
        for r in g.rows:
            n += 1
            ws.append([n, *r.cells(), r.href])
            if r.overdue:
                ws.cell(row=ws.max_row, column=6).font = red
    ws.freeze_panes = "A4"
    for letter, width in zip("ABCDEFGH", (6, 16, 56, 18, 12, 18, 14, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.auto_filter.ref = f"A3:H{max(3, ws.max_row)}"

    summary = wb.create_sheet("按部门汇总")
    summary.append(["责任部门", "任务数", "逾期"])
    for cell in summary[1]:
        cell.font, cell.fill = Font(bold=True), fill
    for g in ledger.groups:
        summary.append([g.owner, g.total, g.overdue])
    summary.append(["合计", len(ledger.rows), ledger.shown_overdue])
    summary.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class _Ranked:
    department_id: int
    name: str
    score: float | None
    rank: int | None
    before: float | None
    rank_before: int | None


@dataclass
class _Names:
    tree: trees.Tree | None
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tree is not None:
            self.names = {n.key: n.name for n in self.tree.nodes()}

    def __call__(self, key: str) -> str:
        return self.names.get(key, key)


def _previous_first(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def _root_key(snap: Snapshot, tree: trees.Tree | None) -> str:
    if tree is not None:
        return tree.root.key
    ranked = (
        Score.objects.filter(snapshot=snap, rank__isnull=False).values_list("indicator", flat=True).first()
    )
    return ranked or "total"


def _load_tree(name: str) -> trees.Tree | None:
    try:
        return trees.load(name)
    except trees.TreeError:
        return None  # the tree file is gone: the stored scores still print, under their keys


def report_snapshot(jurisdiction: str, month: str = "", tree: str = "") -> Snapshot:
    """The snapshot a report is printed from: ``month`` (default: the latest) on ``tree`` (default: the
    ruleset's); NotFound when there is none."""
    place = _jurisdiction(jurisdiction)
    name = tree or tree_for(place.code)
    qs = Snapshot.objects.filter(jurisdiction=place, tree=name)
    if month:
        try:
            first = Month.of(month).first
        except ValueError:
            raise NotFound("scoring.snapshot.not_found", f"月份“{month}”应写作 YYYY-MM。") from None
        qs = qs.filter(month=first)
    snap = qs.order_by("-month").first()
    if snap is None:
        raise NotFound("scoring.snapshot.not_found", "该月尚未生成评分快照，请先生成快照。",
                       jurisdiction=place.code, month=month, tree=name)  # fmt: skip
    return snap


def _indicator_rows(
    snap: Snapshot, tree: trees.Tree | None, names: _Names, root: str
) -> list[tuple[str, ...]]:
    """Each top-level indicator (and the groups under it): weight, the jurisdiction's score, the departments'
    average and how many departments were scored."""
    if tree is not None:
        shown: list[tuple[str, float, int]] = []
        for top in tree.root.children:
            shown.append((top.key, top.weight, 0))
            if len(top.children) > 1:
                shown += [(c.key, c.weight, 1) for c in top.children if c.children]
    else:
        keys = sorted(set(Score.objects.filter(snapshot=snap).exclude(indicator=root)
                          .values_list("indicator", flat=True)))  # fmt: skip
        shown = [(k, 0.0, 0) for k in keys]
    keys = [k for k, _, _ in shown]
    whole: dict[str, float | None] = {}
    per: dict[str, list[float]] = defaultdict(list)
    for dept, key, value in Score.objects.filter(snapshot=snap, indicator__in=keys).values_list(
        "department_id", "indicator", "score"
    ):
        if dept is None:
            whole[key] = value
        elif value is not None:
            per[key].append(value)
    rows: list[tuple[str, ...]] = []
    for key, weight, depth in shown:
        values = per.get(key, [])
        average = sum(values) / len(values) if values else None
        rows.append(("　" * depth + names(key), f"{weight:g}" if weight else "—", score_text(whole.get(key)),
                     score_text(average), str(len(values))))  # fmt: skip
    return rows


def _method_rows(tree: trees.Tree) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []

    def visit(node: trees.Node, depth: int) -> None:
        how = node.formula.text if node.formula is not None else "下级指标加权平均"
        rows.append(("　" * depth + node.name, f"{node.weight:g}", how, node.citation))
        for c in node.children:
            visit(c, depth + 1)

    visit(tree.root, 0)
    return rows


def monthly_report(jurisdiction: str, month: str = "", tree: str = "") -> Document:
    """The month's report of ``jurisdiction`` from its stored snapshot on ``tree`` (see the module doc)."""
    snap = report_snapshot(jurisdiction, month, tree)
    place = Jurisdiction.objects.get(pk=snap.jurisdiction_id)
    t = _load_tree(snap.tree)
    names = _Names(t)
    root = _root_key(snap, t)
    when = month_title(snap.month)
    built = timezone.localtime(snap.built_at)

    # the jurisdiction's trend: this month and up to eleven before it, on the same tree
    history = list(
        Snapshot.objects.filter(jurisdiction=place, tree=snap.tree, month__lte=snap.month).order_by("-month")[
            :TREND_MONTHS
        ]
    )[::-1]
    whole = dict(
        Score.objects.filter(snapshot__in=history, department__isnull=True, indicator=root).values_list(
            "snapshot_id", "score"
        )
    )
    counts = {s.pk: s.departments for s in history}
    trend = [(s.month, whole.get(s.pk)) for s in history]
    previous = next((s for s in history if s.month == _previous_first(snap.month)), None)
    score_now = whole.get(snap.pk)
    score_before = whole.get(previous.pk) if previous else None

    # the ranking, with last month's scores and ranks
    before: dict[int, tuple[float | None, int | None]] = {}
    if previous is not None:
        before = {
            d: (s, r)
            for d, s, r in Score.objects.filter(
                snapshot=previous, indicator=root, department__isnull=False
            ).values_list("department_id", "score", "rank")
            if d is not None
        }
    ranked = [
        _Ranked(d, name, s, r, *before.get(d, (None, None)))
        for d, name, s, r in Score.objects.filter(
            snapshot=snap, indicator=root, department__isnull=False
        ).values_list("department_id", "department__name", "score", "rank")
        if d is not None
    ]
    ranked.sort(key=lambda x: (x.rank is None, x.rank or 0, x.name, x.department_id))

    tasks = list(Task.objects.filter(snapshot=snap).select_related("owner"))
    rows = [LedgerRow(x.kind, x.ref, x.title, x.owner_id, x.owner.name, x.due, x.working_days_left, x.overdue,
                      x.link) for x in tasks]  # fmt: skip
    rows.sort(key=lambda r: (not r.overdue, r.due or dt.date.max, r.kind, r.ref))
    groups = group_by_owner(rows)
    overdue = [r for r in rows if r.overdue]
    as_of = min(Month.of(f"{snap.month:%Y-%m}").last, built.date())

    if score_now is None:
        headline = f"{place.name}本月综合得分未能计算（没有可评分的指标）。"
    elif score_before is None:
        headline = f"{place.name}本月综合得分 {score_text(score_now)} 分（上月无可比快照）。"
    else:
        diff = score_now - score_before
        move = (
            "持平"
            if abs(diff) < 0.005
            else (f"上升 {score_text(diff)} 分" if diff > 0 else f"下降 {score_text(-diff)} 分")
        )
        headline = f"{place.name}本月综合得分 {score_text(score_now)} 分，较上月（{score_text(score_before)} 分）{move}。"
    scored = [x for x in ranked if x.score is not None]
    blocks: list[Heading | Paragraph | Table | KeyValues | Image] = [
        Paragraph(
            f"本报告依据{when}评分快照编制：快照于 {built:%Y-%m-%d %H:%M} 生成，参评部门 {snap.departments} 个，"
            f"数据截至 {day_title(as_of)}。{headline}本月有得分的部门 {len(scored)} 个；月调度表在办任务 "
            f"{len(rows)} 项，其中逾期 {len(overdue)} 项。"
        ),
        Heading("一、综合得分与趋势"),
        Image(
            charts.line_chart(
                f"{place.name}综合得分趋势",
                [f"{m:%Y-%m}" for m, _ in trend],
                [v for _, v in trend],
                width=CHART_PX,
                height=CHART_PX // 2,
            ),
            CHART_WIDTH_CM,
            f"图1 {place.name}综合得分趋势（{trend[0][0]:%Y-%m} 至 {trend[-1][0]:%Y-%m}）",
        ),
        Table(
            ("月份", "综合得分", "较上月", "参评部门数"),
            tuple(
                (
                    month_title(m),
                    score_text(v),
                    change_text(v, trend[i - 1][1]) if i else "—",
                    str(counts[history[i].pk]),
                )
                for i, (m, v) in enumerate(trend)
            ),
            widths=(2, 2, 2, 2),
        ),
        Heading("二、部门排名"),
    ]
    if ranked:
        blocks.append(Image(
            charts.bar_chart(f"{when}部门综合得分排名", [f"{x.rank or '—'} {x.name}" for x in ranked],
                             [x.score for x in ranked], width=CHART_PX),
            CHART_WIDTH_CM, f"图2 {when}部门综合得分排名",
        ))  # fmt: skip
    blocks.append(Table(
        ("排名", "部门", "综合得分", "较上月", "上月排名"),
        tuple((str(x.rank) if x.rank else "—", x.name, score_text(x.score), change_text(x.score, x.before),
               str(x.rank_before) if x.rank_before else "—") for x in ranked),
        widths=(1, 4, 1.6, 1.6, 1.4),
    ))  # fmt: skip
    blocks += [
        Heading("三、各项指标得分"),
        Paragraph(f"“{place.name}得分”按全辖区汇总的事实计算；“部门平均分”为有得分部门的算术平均。"),
        Table(("指标", "权重", f"{place.name}得分", "部门平均分", "有得分部门数"),
              tuple(_indicator_rows(snap, t, names, root)), widths=(3, 1, 1.6, 1.6, 1.6)),
        Heading("四、逾期任务"),
    ]  # fmt: skip
    if overdue:
        late_groups = list(group_by_owner(overdue))
        blocks += [
            Paragraph(f"截至 {day_title(as_of)}，逾期未办结任务 {len(overdue)} 项，涉及 {len(late_groups)} 个责任部门。"),
            Table(("责任部门", "逾期任务数", "最长逾期（工作日）"),
                  tuple((g.owner, str(g.total), str(max((-(r.working_days_left or 0) for r in g.rows), default=0)))
                        for g in late_groups), widths=(4, 1.5, 2)),
            Table(("责任部门", "类型", "事项", "期限", "逾期"),
                  tuple((r.owner, r.kind_label, r.title, r.due_text, r.left_text) for g in late_groups for r in g.rows),
                  widths=(1.8, 1.6, 4.6, 1.4, 1.8)),
        ]  # fmt: skip
    else:
        blocks.append(Paragraph(f"截至 {day_title(as_of)}，没有逾期未办结的任务。"))
    kinds = list(KIND_LABELS)
    by_kind = {g.owner_id: Counter(r.kind for r in g.rows) for g in groups}
    blocks += [
        Heading("五、月调度表汇总"),
        Paragraph(
            f"{when}月调度表共 {len(rows)} 项在办任务（共享申请、供需对接需求、数据异议、承诺资源发布、建设进度报告），"
            f"按责任部门汇总如下；明细见“{place.name} {when} 数据共享任务月调度表”。"
        ),
        Table(
            ("责任部门", "合计", "逾期", *(KIND_LABELS[k] for k in kinds)),
            (
                *(
                    (g.owner, str(g.total), str(g.overdue), *(str(by_kind[g.owner_id][k]) for k in kinds))
                    for g in groups
                ),
                (
                    "合计",
                    str(len(rows)),
                    str(len(overdue)),
                    *(str(sum(1 for r in rows if r.kind == k)) for k in kinds),
                ),
            ),
            widths=(3, 1, 1, *(1.4,) * len(kinds)),
        ),
        Heading("六、评分说明"),
    ]
    if t is not None:
        blocks.append(Paragraph(f"本报告按《{t.title}》（{t.name}）评分。依据：{t.citation}。"))
    else:
        blocks.append(
            Paragraph(
                f"本报告按指标体系“{snap.tree}”评分（该指标体系的定义文件已不在平台中，仅列出存档得分）。"
            )
        )
    blocks += [
        Paragraph("末级指标按公式由平台记录的事实计算，取值限定在 0 到 100 分；上级指标为已评分下级指标的加权平均；"
                  "某项指标本月没有可评价的事项（如没有到期的共享申请、未录入第三方评估）时不评分，其权重按比例分给已评分的"
                  "同级指标。综合得分相同的部门名次相同。"),
        Paragraph(f"得分取自 {snap.month:%Y-%m} 评分快照（规则集 {snap.ruleset} 第 {snap.ruleset_version} 版），快照生成后"
                  f"平台数据的变化不影响本报告。快照摘要（SM3）：{snap.digest}。"),
    ]  # fmt: skip
    if t is not None:
        blocks.append(
            Table(("指标", "权重", "计算方法", "依据"), tuple(_method_rows(t)), widths=(2.4, 0.8, 3, 3.6))
        )
    return Document(
        title=f"{place.name} {when} 数据共享考核月报",
        date=built.date(),
        blocks=tuple(blocks),
        footer=f"{place.name} {when} 数据共享考核月报 · 快照 {snap.digest[:12]}",
    )
