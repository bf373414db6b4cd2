"""The monthly scheduling sheet (月调度) and the monthly report, as pages and documents (issue 7).

- ``/dashboard/ledger/``: the month's sharing tasks by owner department (jurisdiction and month selectors,
  filters by owner, kind and overdue); ``/dashboard/ledger.xlsx`` and ``.pdf`` export the same rows.
  Jurisdiction-wide scoring.view sees every department, a department steward its own; others get 404.
- ``/dashboard/report.pdf`` / ``.docx``: the monthly report from the stored snapshot, for jurisdiction-wide
  viewers only (it ranks every department).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header

from sanbu.core.actor import Actor
from sanbu.core.documents import http_response
from sanbu.core.errors import NotFound
from sanbu.orgs.models import Jurisdiction
from sanbu.scoring import reports
from sanbu.scoring.models import TaskKind

from .common import actor_of, int_or_none

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger(request: HttpRequest, actor: Actor) -> tuple[reports.Ledger, list[Jurisdiction]]:
    places = reports.ledger_places(actor)
    if not places:
        raise Http404("您无权查看月调度表。")
    code = (request.GET.get("j") or request.GET.get("jurisdiction") or "").strip() or reports.default_place(actor, places)
    if code not in {p.code for p in places}:
        raise Http404("行政区划不存在或您无权查看其月调度表。")
    filters = reports.LedgerFilters(
        owner=int_or_none(request.GET.get("owner")),
        kind=request.GET.get("kind", ""),
        overdue=request.GET.get("overdue") == "1",
    )
    try:
        sheet = reports.ledger_sheet(actor=actor, jurisdiction=code, month=request.GET.get("month", "").strip(),
                                     filters=filters)  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from None
    return sheet, places


def _query(sheet: reports.Ledger) -> str:
    """The query string that reproduces the sheet (for the export links)."""
    params: dict[str, str] = {"j": sheet.jurisdiction}
    if sheet.requested:
        params["month"] = sheet.requested  # the month asked for, still without a snapshot: live again
    elif not sheet.live:
        params["month"] = sheet.label
    if sheet.filters.owner is not None:
        params["owner"] = str(sheet.filters.owner)
    if sheet.filters.kind:
        params["kind"] = sheet.filters.kind
    if sheet.filters.overdue:
        params["overdue"] = "1"
    return urlencode(params)


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    sheet, places = _ledger(request, actor)
    return render(
        request,
        "scoring/ledger.html",
        {
            "sheet": sheet,
            "places": places,
            "months": [(f"{m:%Y-%m}", reports.month_title(m)) for m in sheet.months],
            "kinds": TaskKind.choices,
            "query": _query(sheet),
            "report_ok": not sheet.department_scoped and not sheet.live,
        },
    )


@login_required
def ledger_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise Http404("未知的文件格式。")
    sheet, _ = _ledger(request, actor_of(request))
    if fmt == "pdf":
        return http_response(reports.ledger_document(sheet), "pdf", sheet.title)
    response = HttpResponse(reports.ledger_workbook(sheet), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{sheet.title}.xlsx") or "attachment"
    return response


@login_required
def report(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "docx"):
        raise Http404("未知的文件格式。")
    actor = actor_of(request)
    places = [p for p in reports.ledger_places(actor) if reports.may_view_jurisdiction(actor, p.code)]
    code = (request.GET.get("j") or request.GET.get("jurisdiction") or "").strip() or reports.default_place(actor, places)
    if not code or not reports.may_view_jurisdiction(actor, code):
        raise Http404("行政区划不存在或您无权查看其月报。")
    try:
        doc = reports.monthly_report(
            code, request.GET.get("month", "").strip(), request.GET.get("tree", "").strip()
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    return http_response(doc, fmt, doc.title)  # type: ignore[arg-type]


urlpatterns: list[URLPattern] = [
    path("ledger/", ledger, name="scoring-ledger"),
    path("ledger.<slug:fmt>", ledger_export, name="scoring-ledger-export"),
    path("report.<slug:fmt>", report, name="scoring-report"),
]
