"""The monthly scheduling sheet page (月调度) and its exports through the Django test client: rows for
each role (a steward only its own department's), filters, the live view, xlsx and PDF with the same rows,
user text escaped, outsiders 404; the monthly report download."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from sanbu.core.actor import Actor
from sanbu.core.documents import CONTENT_TYPES
from sanbu.scoring.tests.test_reports import OCT, SCRIPT_TITLE, ScoringWorld, scoring_world

pytestmark = pytest.mark.django_db(databases="__all__")

LEDGER, XLSX, PDF = "/dashboard/ledger/", "/dashboard/ledger.xlsx", "/dashboard/ledger.pdf"


@pytest.fixture
def w(db: Any) -> ScoringWorld:
    return scoring_world()


def client_of(actor: Actor) -> Client:
    c = Client()
    assert actor.user_id is not None
    c.force_login(get_user_model().objects.get(pk=actor.user_id))
    return c


def page_refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.status_code
    return re.findall(r'<tr data-ref="([^"]+)"', response.content.decode())


def ref(w: ScoringWorld, key: str) -> str:
    return f"need:{w.needs[key].pk}"


def xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    ws = load_workbook(io.BytesIO(data))["月调度表"]
    return [row for row in ws.iter_rows(min_row=4, values_only=True)]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True)
    return "".join(out.stdout.split())


def test_the_sheet_for_each_jurisdiction_wide_role(w: ScoringWorld) -> None:
    for actor in (w.leader, w.authority, w.auditor):
        response = client_of(actor).get(LEDGER)
        assert page_refs(response) == [ref(w, "police"), ref(w, "civil"), ref(w, "market")]
        body = response.content.decode()
        assert "淄博市 2026年10月 数据共享任务月调度表" in body  # the latest snapshot by default
        assert (
            body.index("测试公安局</h2>") < body.index("测试民政局</h2>") < body.index("测试市场监管局</h2>")
        )
        assert "逾期 " in body and " 个工作日" in body
        assert f'href="/exchange/needs/{w.needs["police"].pk}/"' in body
        assert 'id="report-pdf"' in body


def test_user_text_is_escaped(w: ScoringWorld) -> None:
    body = client_of(w.leader).get(LEDGER).content.decode()
    assert SCRIPT_TITLE not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;人口核验需求" in body


def test_filters_by_owner_kind_and_overdue(w: ScoringWorld) -> None:
    c = client_of(w.leader)
    assert page_refs(c.get(LEDGER, {"owner": w.market.pk})) == [ref(w, "market")]
    assert page_refs(c.get(LEDGER, {"overdue": "1"})) == [ref(w, "police"), ref(w, "civil")]
    assert page_refs(c.get(LEDGER, {"kind": "need"})) == [ref(w, "police"), ref(w, "civil"), ref(w, "market")]
    assert page_refs(c.get(LEDGER, {"kind": "request"})) == []
    assert "没有符合条件的任务" in c.get(LEDGER, {"kind": "request"}).content.decode()
    assert page_refs(c.get(LEDGER, {"owner": str(w.civil.pk), "overdue": "1"})) == [ref(w, "civil")]
    assert len(page_refs(c.get(LEDGER, {"owner": "abc", "kind": "<x>"}))) == 3  # nonsense ignored


def test_month_selector_and_the_live_view(w: ScoringWorld) -> None:
    c = client_of(w.leader)
    september = c.get(LEDGER, {"j": "370300", "month": "2026-09"})
    assert page_refs(september) == [ref(w, "police")]
    assert "淄博市 2026年9月 数据共享任务月调度表" in september.content.decode()
    live = c.get(LEDGER, {"j": "370300", "month": "2026-08"})
    assert set(page_refs(live)) == {ref(w, k) for k in w.needs}
    body = live.content.decode()
    assert "2026年8月 尚未生成评分快照" in body and "实时待办任务" in body
    assert 'id="report-pdf"' not in body
    assert "/dashboard/ledger.xlsx?j=370300&amp;month=2026-08" in body  # the export repeats the live view
    elsewhere = client_of(w.elsewhere).get(LEDGER)  # 济南市: no snapshot, its live (empty) sheet
    assert page_refs(elsewhere) == [] and "济南市" in elsewhere.content.decode()
    assert "尚未生成评分快照" in elsewhere.content.decode()


def test_a_steward_sees_its_own_tasks_only(w: ScoringWorld, tmp_path: Path) -> None:
    c = client_of(w.steward)
    response = c.get(LEDGER)
    assert page_refs(response) == [ref(w, "police")]
    body = response.content.decode()
    assert "测试民政局" not in body and "测试市场监管局" not in body
    assert 'id="report-pdf"' not in body
    assert page_refs(c.get(LEDGER, {"owner": w.civil.pk})) == [ref(w, "police")]
    assert [r[3] for r in xlsx_rows(c.get(XLSX).content)] == ["测试公安局"]
    text = pdf_text(c.get(PDF).content, tmp_path)
    assert "人口核验需求" in text and "婚姻登记信息需求" not in text
    assert c.get("/dashboard/report.pdf").status_code == 404  # the report ranks every department


def test_outsiders_get_404(w: ScoringWorld) -> None:
    for url in (LEDGER, XLSX, PDF, "/dashboard/report.pdf"):
        assert client_of(w.outsider).get(url).status_code == 404
        assert client_of(w.elsewhere).get(url, {"j": "370300"}).status_code == 404
    assert client_of(w.leader).get(LEDGER, {"j": "999999"}).status_code == 404
    anonymous = Client().get(LEDGER)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_exports_carry_the_same_rows_as_the_page(w: ScoringWorld, tmp_path: Path) -> None:
    c = client_of(w.authority)
    cases: list[dict[str, str]] = [{}, {"overdue": "1"}, {"owner": str(w.market.pk)}, {"month": "2026-09"}]
    for params in cases:
        page = c.get(LEDGER, params)
        refs = page_refs(page)
        body = page.content.decode()
        workbook = c.get(XLSX, params)
        assert workbook["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        assert ".xlsx" in workbook["Content-Disposition"]
        rows = xlsx_rows(workbook.content)
        assert len(rows) == len(refs)
        assert [r[0] for r in rows] == list(range(1, len(refs) + 1))
        for row, r in zip(rows, refs, strict=True):
            assert row[7] == "/exchange/needs/" + r.split(":")[1] + "/"
            assert row[3] in body and row[6] in body
        pdf = c.get(PDF, params)
        assert pdf["Content-Type"] == CONTENT_TYPES["pdf"]
        text = pdf_text(pdf.content, tmp_path)
        titles = {"police": "人口核验需求", "civil": "婚姻登记信息需求", "market": "企业登记信息需求"}
        for key, title in titles.items():
            assert (title in text) == (ref(w, key) in refs), (params, key)
    wb = load_workbook(io.BytesIO(c.get(XLSX).content))
    assert wb["月调度表"]["A1"].value == "淄博市 2026年10月 数据共享任务月调度表"
    assert [r[:3] for r in wb["按部门汇总"].iter_rows(min_row=2, values_only=True)][-1] == ("合计", 3, 2)


def test_unknown_export_formats_are_404(w: ScoringWorld) -> None:
    c = client_of(w.leader)
    assert c.get("/dashboard/ledger.csv").status_code == 404
    assert c.get("/dashboard/report.xlsx").status_code == 404


def test_the_monthly_report_downloads(w: ScoringWorld) -> None:
    c = client_of(w.leader)
    response = c.get("/dashboard/report.docx", {"j": "370300", "month": OCT})
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["docx"]
    document = docx.Document(io.BytesIO(response.content))
    assert "淄博市 2026年10月 数据共享考核月报" in [p.text for p in document.paragraphs]
    assert len(document.inline_shapes) == 2
    pdf = c.get("/dashboard/report.pdf")  # defaults: the actor's jurisdiction, its latest snapshot
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert c.get("/dashboard/report.pdf", {"month": "2026-08"}).status_code == 404
    assert c.get("/dashboard/report.pdf", {"tree": "nonexistent"}).status_code == 404
