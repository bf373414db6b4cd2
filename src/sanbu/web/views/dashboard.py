"""Leaders' dashboard and a department's score with its drill-down (issue 7).

- ``/dashboard/``: the jurisdiction's score card and trend, the department ranking (a bar links to the
  department), overdue tasks by owner, projects blocked by rule and money held back by the gates, for the
  authority, leaders and auditors; a steward lands on its own department's page. Jurisdiction, month and
  tree are chosen above; with no snapshot yet the authority is offered to build this month's.
- ``/dashboard/departments/<id>/``: the department's score, rank, trend, every indicator (score, weight,
  share, facts, formula) with a link to the rows behind it, and 「下一步」; the authority enters
  third-party and public-feedback scores there.
- ``/dashboard/departments/<id>/<indicator>/``: the live rows behind a leaf's facts.
- ``/dashboard/charts/<chart>.xlsx``: the numbers of one chart as a workbook.

Each chart is one ``Chart`` built from the selectors: the page embeds it as JSON (``json_script``) for
``web/charts.js`` (vendored ECharts) and prints the same numbers as a table; the workbook is built from the
same ``Chart``, so picture, table and download cannot disagree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST

from sanbu.core.actor import Actor, Scope, jurisdiction_prefix
from sanbu.core.errors import NotFound, SanbuError, ValidationFailed
from sanbu.orgs.models import Jurisdiction
from sanbu.scoring import selectors, services, trees
from sanbu.scoring.models import BUILD, ENTER, VIEW, Source

from .common import actor_of, int_or_none

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHARTS = ("trend", "ranking", "overdue", "blocked", "money", "department-trend", "department-indicators")


@dataclass(frozen=True)
class Series:
    name: str
    data: list[float | int | None]


@dataclass(frozen=True)
class Chart:
    """One chart's numbers: categories (x axis, or y when horizontal) × series; ``links`` per category."""

    key: str
    title: str
    kind: str  # "line" | "bar" | "stack"
    category_label: str
    unit: str
    categories: list[str]
    series: list[Series]
    links: list[str] = field(default_factory=list)
    horizontal: bool = False
    query: str = ""  # the query string that rebuilds it (for the xlsx link)

    def payload(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "kind": self.kind, "unit": self.unit,
            "categories": self.categories, "series": [{"name": s.name, "data": s.data} for s in self.series],
            "links": self.links, "horizontal": self.horizontal,
        }  # fmt: skip

    def rows(self) -> list[tuple[str, str, list[float | int | None]]]:
        """(category, its link or "", the series' values) per category: the table under the chart."""
        return [
            (c, self.links[i] if i < len(self.links) else "", [s.data[i] for s in self.series])
            for i, c in enumerate(self.categories)
        ]

    @property
    def json_id(self) -> str:
        return f"chart-data-{self.key}"

    @property
    def xlsx_url(self) -> str:
        url = reverse("dashboard-chart-xlsx", args=[self.key])
        return f"{url}?{self.query}" if self.query else url


# --- charts from the selectors ----------------------------------------------------------------------------


def trend_chart(ov: selectors.Overview, query: str) -> Chart:
    return Chart("trend", f"{ov.jurisdiction_name}综合得分趋势", "line", "月份", "分",
                 [p.month for p in ov.trend], [Series("综合得分", [p.score for p in ov.trend])], query=query)  # fmt: skip


def ranking_chart(ov: selectors.Overview, query: str) -> Chart:
    rows = ov.ranking
    month = f"?{urlencode({'month': ov.month, 'tree': ov.tree})}" if ov.month else ""
    return Chart(
        "ranking", f"{ov.month or ''} 部门排名", "bar", "部门", "分", [r.name for r in rows],
        [Series("得分", [r.score for r in rows]), Series("较上月", [r.change for r in rows])],
        [reverse("dashboard-department", args=[r.department_id]) + month for r in rows], horizontal=True, query=query,
    )  # fmt: skip


def overdue_chart(od: selectors.Overdue, query: str) -> Chart:
    return Chart(
        "overdue", f"{od.month or ''} 逾期任务（按责任部门）", "stack", "责任部门", "项", [o.name for o in od.owners],
        [Series(label, [o.by_kind.get(kind, 0) for o in od.owners]) for kind, label in od.kinds],
        horizontal=True, query=query,
    )  # fmt: skip


def blocked_chart(bl: selectors.Blocked, query: str) -> Chart:
    return Chart(
        "blocked", "当前被规则阻止的项目（按规则）", "bar", "规则", "个",
        [f"{r.rule_id} {r.gate_title}" for r in bl.rules], [Series("项目数", [r.count for r in bl.rules])],
        horizontal=True, query=query,
    )  # fmt: skip


def money_chart(mh: selectors.MoneyHeld, query: str) -> Chart:
    return Chart("money", "被关口扣住的资金", "bar", "类别", "元", [i.label for i in mh.items],
                 [Series("金额（元）", [i.amount for i in mh.items])], horizontal=True, query=query)  # fmt: skip


def department_trend_chart(d: selectors.DepartmentScore, query: str) -> Chart:
    return Chart("department-trend", f"{d.name}得分趋势", "line", "月份", "分", [p.month for p in d.trend],
                 [Series("综合得分", [p.score for p in d.trend])], query=query)  # fmt: skip


def department_indicators_chart(d: selectors.DepartmentScore, query: str) -> Chart:
    lines = [x for x in d.indicators if x.depth in (1, 2) and not (x.depth == 1 and _has_children(d, x.key))]
    return Chart(
        "department-indicators", f"{d.name}各项指标得分", "bar", "指标", "分", [x.name for x in lines],
        [Series("得分", [x.score for x in lines])], horizontal=True, query=query,
    )  # fmt: skip


def _has_children(d: selectors.DepartmentScore, key: str) -> bool:
    idx = next(i for i, x in enumerate(d.indicators) if x.key == key)
    return idx + 1 < len(d.indicators) and d.indicators[idx + 1].depth > d.indicators[idx].depth


# --- parameters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    jurisdiction: str
    month: str
    tree: str

    def query(self, **extra: str) -> str:
        return urlencode({k: v for k, v in {**self.__dict__, **extra}.items() if v})


def _month(value: str | None) -> str:
    value = (value or "").strip()
    try:
        return services.month_of(value).label if value else ""
    except ValidationFailed:
        return ""


def _params(request: HttpRequest, actor: Actor) -> Params:
    g = request.GET
    tree = (g.get("tree") or "").strip()
    return Params(
        (g.get("jurisdiction") or "").strip() or selectors.default_jurisdiction(actor),
        _month(g.get("month")),
        tree if tree in trees.available() else "",
    )


def _department_query(pk: int, d: selectors.DepartmentScore) -> str:
    pairs = {"department": str(pk), "month": d.month or "", "tree": d.tree}
    return urlencode({k: v for k, v in pairs.items() if v})


def _places(actor: Actor) -> list[Jurisdiction]:
    if actor.is_superuser:
        return list(Jurisdiction.objects.order_by("code")[:200])
    out: dict[str, Jurisdiction] = {}
    for a in actor.assignments:
        if VIEW in a.actions and a.jurisdiction:
            for j in Jurisdiction.objects.filter(
                code__startswith=jurisdiction_prefix(a.jurisdiction)
            ).order_by("code")[:200]:
                out[j.code] = j
    return list(out.values())


def _report_links(params: Params) -> list[tuple[str, str]]:
    """The monthly report's downloads and the month's scheduling sheet, for the same place and month."""
    query = params.query()
    return [
        (f"{reverse('scoring-report', args=['pdf'])}?{query}", "月度报告 PDF"),
        (f"{reverse('scoring-report', args=['docx'])}?{query}", "月度报告 Word"),
        (f"{reverse('scoring-ledger')}?{query}", "月调度表"),
    ]


# --- pages ------------------------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权查看看板。")
    if not actor.jurisdictions_for(VIEW) and not actor.is_superuser:
        if actor.department_id is not None and actor.can(
            VIEW, Scope(jurisdiction=actor.jurisdiction, department_id=actor.department_id)
        ):
            return redirect("dashboard-department", actor.department_id)
        raise Http404("您无权查看看板。")
    params = _params(request, actor)
    try:
        ov = selectors.overview(
            actor=actor, jurisdiction=params.jurisdiction, month=params.month, tree=params.tree
        )
    except NotFound as exc:
        if exc.code != "scoring.snapshot.not_found":
            raise Http404(exc.message) from exc
        messages.warning(request, exc.message)
        return redirect(f"{reverse('dashboard')}?{urlencode({'jurisdiction': params.jurisdiction})}")
    resolved = Params(ov.jurisdiction, ov.month or "", ov.tree)
    query = resolved.query()
    charts: list[Chart] = []
    context: dict[str, Any] = {
        "ov": ov, "params": resolved, "places": _places(actor), "trees": [(n, trees.load(n).title)
                                                                           for n in trees.available()],
        "can_build": actor.can(BUILD, Scope(jurisdiction=ov.jurisdiction)), "this_month": f"{timezone.localdate():%Y-%m}",
        "report_links": _report_links(resolved) if ov.month else [],
    }  # fmt: skip
    if ov.month:
        od = selectors.overdue(actor=actor, jurisdiction=ov.jurisdiction, month=ov.month)
        bl = selectors.blocked_projects(actor=actor, jurisdiction=ov.jurisdiction)
        mh = selectors.money_held(actor=actor, jurisdiction=ov.jurisdiction)
        charts = [trend_chart(ov, query), ranking_chart(ov, query), overdue_chart(od, query),
                  blocked_chart(bl, query), money_chart(mh, query)]  # fmt: skip
        context.update(od=od, bl=bl, mh=mh)
    context["charts"] = {c.key: c for c in charts}
    return render(request, "dashboard/index.html", context)


@login_required
@require_POST
def build(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    code = (request.POST.get("jurisdiction") or "").strip()
    month = (request.POST.get("month") or "").strip() or f"{timezone.localdate():%Y-%m}"
    tree = (request.POST.get("tree") or "").strip()
    try:
        snap = services.snapshot_build(actor=actor, jurisdiction=code, month=month, tree=tree)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('dashboard')}?{urlencode({'jurisdiction': code})}")
    messages.success(request, f"已生成 {snap.month:%Y-%m} 的评分快照（{snap.departments} 个部门）。")
    return redirect(
        f"{reverse('dashboard')}?{urlencode({'jurisdiction': code, 'month': f'{snap.month:%Y-%m}', 'tree': snap.tree})}"
    )


@login_required
def department(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    month, tree = _month(request.GET.get("month")), (request.GET.get("tree") or "").strip()
    try:
        d = selectors.department(
            actor=actor, department_id=pk, month=month, tree=tree if tree in trees.available() else ""
        )
    except NotFound as exc:
        if exc.code != "scoring.snapshot.not_found":
            raise Http404(exc.message) from exc
        messages.warning(request, exc.message)
        return redirect("dashboard-department", pk)
    query = _department_query(pk, d)
    charts = [department_trend_chart(d, query), department_indicators_chart(d, query)] if d.month else []
    scope = Scope(jurisdiction=d.jurisdiction, department_id=d.department_id)
    return render(request, "dashboard/department.html", {
        "d": d, "charts": {c.key.replace("-", "_"): c for c in charts}, "can_enter": actor.can(ENTER, scope),
        "sources": Source.choices, "month_value": d.month or f"{timezone.localdate():%Y-%m}",
        "can_overview": actor.can(VIEW, Scope(jurisdiction=d.jurisdiction)),
        "month_query": urlencode({"month": d.month}) if d.month else "",
    })  # fmt: skip


@login_required
@require_POST
def external(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    p = request.POST
    month = (p.get("month") or "").strip()
    try:
        services.external_score_enter(actor=actor, department_id=pk, month=month, source=(p.get("source") or "").strip(),
                                      score=(p.get("score") or "").strip(), basis=p.get("basis") or "")  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ValidationFailed as exc:
        messages.error(request, "；".join([exc.message, *(e.message for e in exc.errors)]))
        return redirect("dashboard-department", pk)
    messages.success(request, f"已录入 {month} 的评分。重新生成该月评分快照后计入得分。")
    return redirect(f"{reverse('dashboard-department', args=[pk])}?{urlencode({'month': month})}")


@login_required
def indicator(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    actor = actor_of(request)
    try:
        rows = selectors.indicator_rows(actor=actor, department_id=pk, indicator=key,
                                        month=_month(request.GET.get("month")))  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "dashboard/indicator.html", {"r": rows, "back_query": request.GET.urlencode()})


# --- the numbers of a chart as xlsx --------------------------------------------------------------------------


def chart_for(actor: Actor, key: str, g: Any) -> Chart:
    """Chart ``key`` rebuilt from the query (``jurisdiction``, ``month``, ``tree`` or ``department``)."""
    month, tree = _month(g.get("month")), (g.get("tree") or "").strip()
    tree = tree if tree in trees.available() else ""
    if key.startswith("department-"):
        dept = int_or_none(g.get("department"))
        if dept is None:
            raise NotFound("orgs.department.not_found", "请指定部门。")
        d = selectors.department(actor=actor, department_id=dept, month=month, tree=tree)
        q = _department_query(dept, d)
        return (
            department_trend_chart(d, q) if key == "department-trend" else department_indicators_chart(d, q)
        )
    code = (g.get("jurisdiction") or "").strip() or selectors.default_jurisdiction(actor)
    q = Params(code, month, tree).query()
    if key in ("trend", "ranking"):
        ov = selectors.overview(actor=actor, jurisdiction=code, month=month, tree=tree)
        q = Params(ov.jurisdiction, ov.month or "", ov.tree).query()
        return trend_chart(ov, q) if key == "trend" else ranking_chart(ov, q)
    if key == "overdue":
        return overdue_chart(selectors.overdue(actor=actor, jurisdiction=code, month=month), q)
    if key == "blocked":
        return blocked_chart(selectors.blocked_projects(actor=actor, jurisdiction=code), q)
    return money_chart(selectors.money_held(actor=actor, jurisdiction=code), q)


def chart_workbook(chart: Chart) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据"
    ws.append([chart.title])
    ws["A1"].font = Font(bold=True)
    ws.append([chart.category_label, *(f"{s.name}（{chart.unit}）" if chart.unit not in s.name else s.name
                                       for s in chart.series)])  # fmt: skip
    for c in ws[2]:
        c.font = Font(bold=True)
    for category, _, values in chart.rows():
        ws.append([category, *values])
    ws.column_dimensions["A"].width = 36
    for col in "BCDEFG":
        ws.column_dimensions[col].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@login_required
def chart_xlsx(request: HttpRequest, chart: str) -> HttpResponse:
    actor = actor_of(request)
    if chart not in CHARTS or not actor.may(VIEW):
        raise Http404("没有这张图表。")
    try:
        c = chart_for(actor, chart, request.GET)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(chart_workbook(c), content_type=XLSX)
    filename = f"{c.title.strip()}_{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("build/", build, name="dashboard-build"),
    path("charts/<slug:chart>.xlsx", chart_xlsx, name="dashboard-chart-xlsx"),
    path("departments/<id:pk>/", department, name="dashboard-department"),
    path("departments/<id:pk>/external/", external, name="dashboard-external"),
    path("departments/<id:pk>/<slug:key>/", indicator, name="dashboard-indicator"),
]
