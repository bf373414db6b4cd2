"""The monthly report and the scheduling sheet as documents, for a small world with two months of snapshots
built by ``snapshot_build``: the report's .docx (headings, tables, inline charts) and PDF (text, chart
images, embedded Noto CJK) carry the stored ranks and scores, never recomputed; the sheet's rows by role.

``scoring_world`` is shared with the page tests (``web/tests/test_ledger_pages.py``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from django.conf import settings

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.documents import Document, Image, Table, to_docx, to_pdf
from sanbu.core.errors import NotFound
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange.models import DataNeed
from sanbu.orgs.models import Department
from sanbu.scoring import reports
from sanbu.scoring.models import Score, Snapshot, Task
from sanbu.scoring.services import external_score_enter, snapshot_build

pytestmark = pytest.mark.django_db(databases="__all__")

SEP, OCT = "2026-09", "2026-10"
BUILT_ON = dt.date(2026, 11, 5)
SCRIPT_TITLE = "<script>alert(1)</script>人口核验需求"


@dataclass
class ScoringWorld:
    police: Department  # 测试公安局: a need routed in September, overdue since
    market: Department  # 测试市场监管局: a need routed in October, due in December
    civil: Department  # 测试民政局: a need routed in October, overdue at October's end
    needs: dict[str, DataNeed]
    september: Snapshot
    october: Snapshot
    leader: Actor
    authority: Actor
    auditor: Actor
    steward: Actor  # steward of the police department
    outsider: Actor  # a consumer of the market department: no scoring.view
    elsewhere: Actor  # a leader of 济南市


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _need(title: str, asker: Department, owner: Department, routed: dt.date, due: dt.date) -> DataNeed:
    return DataNeed.objects.create(
        department=asker, jurisdiction_id=asker.jurisdiction_id, title=title, description=f"{title}的描述",
        created_at=_at(routed), created_by="test", routed_to=owner, routed_at=_at(routed), due_date=due,
    )  # fmt: skip


def scoring_world() -> ScoringWorld:
    police = make_department("测试公安局")
    market = make_department("测试市场监管局")
    civil = make_department("测试民政局")
    needs = {
        "police": _need(SCRIPT_TITLE, civil, police, dt.date(2026, 9, 10), dt.date(2026, 9, 24)),
        "market": _need("企业登记信息需求", civil, market, dt.date(2026, 10, 12), dt.date(2026, 12, 15)),
        "civil": _need("婚姻登记信息需求", police, civil, dt.date(2026, 10, 9), dt.date(2026, 10, 16)),
    }
    entered = {
        SEP: {police: (90, 80), market: (70, 60)},
        OCT: {police: (85, 75), market: (95, 90), civil: (50, 40)},
    }
    for month, scores in entered.items():
        for dept, (third, public) in scores.items():
            for source, value in (("third_party", third), ("public_feedback", public)):
                external_score_enter(actor=SYSTEM, department_id=dept.pk, month=month, source=source, score=value,
                                     basis="测试评估报告")  # fmt: skip
    september = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=SEP, today=BUILT_ON)
    october = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=OCT, today=BUILT_ON)
    return ScoringWorld(
        police, market, civil, needs, september, october,
        leader=actor_of(make_user(roles=("leader",))),
        authority=actor_of(make_user(roles=("authority",))),
        auditor=actor_of(make_user(roles=("auditor",))),
        steward=actor_of(make_user(department=police, roles=("steward",))),
        outsider=actor_of(make_user(department=market, roles=("consumer",))),
        elsewhere=actor_of(make_user(roles=("leader",), jurisdiction="370100")),
    )  # fmt: skip


@pytest.fixture
def w(db: Any) -> ScoringWorld:
    return scoring_world()


def root_scores(snap: Snapshot) -> dict[int | None, tuple[float | None, int | None]]:
    return {
        d: (s, r)
        for d, s, r in Score.objects.filter(snapshot=snap, indicator="total").values_list(
            "department_id", "score", "rank"
        )
    }


def poppler(tool: str, *args: str, pdf: bytes, tmp_path: Path) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], check=True,
                         capture_output=True, text=True)  # fmt: skip
    return out.stdout


def squash(text: str) -> str:
    return "".join(text.split())


# ----------------------------------------------------------------------------------------------- world


def test_the_world_has_two_snapshots_with_ranked_departments(w: ScoringWorld) -> None:
    oct_scores = root_scores(w.october)
    assert w.october.tree == w.september.tree == "sharing-zibo"
    assert {d for d in oct_scores if d is not None} == {w.police.pk, w.market.pk, w.civil.pk}
    assert sorted(r or 0 for d, (_, r) in oct_scores.items() if d is not None) == [1, 2, 3]
    sep_scores = root_scores(w.september)
    assert sep_scores[w.civil.pk][0] is not None  # scored on its (empty) platform record alone
    assert set(Task.objects.filter(snapshot=w.october).values_list("ref", flat=True)) == {
        f"need:{n.pk}" for n in w.needs.values()
    }


# ---------------------------------------------------------------------------------------------- report


@pytest.fixture
def report(w: ScoringWorld) -> Document:
    return reports.monthly_report("370300", OCT, "")


def test_report_title_trend_and_ranking_tables_carry_the_stored_scores(
    w: ScoringWorld, report: Document
) -> None:
    assert report.title == "淄博市 2026年10月 数据共享考核月报"
    tables = [b for b in report.blocks if isinstance(b, Table)]
    trend = next(t for t in tables if t.headers[:2] == ("月份", "综合得分"))
    sep_total, oct_total = root_scores(w.september)[None][0], root_scores(w.october)[None][0]
    assert trend.rows == (
        ("2026年9月", reports.score_text(sep_total), "—", "3"),
        ("2026年10月", reports.score_text(oct_total), reports.change_text(oct_total, sep_total), "3"),
    )
    ranking = next(t for t in tables if t.headers[:2] == ("排名", "部门"))
    now, before = root_scores(w.october), root_scores(w.september)
    expected = sorted(
        (now[d.pk][1], d.name, reports.score_text(now[d.pk][0]), reports.change_text(now[d.pk][0], before[d.pk][0]),
         str(before[d.pk][1])) for d in (w.police, w.market, w.civil)
    )  # fmt: skip
    assert [(int(r[0]), *r[1:]) for r in ranking.rows] == expected
    assert ranking.rows[0][1] == "测试市场监管局"  # 95/90 entered in October beat 85/75


def test_report_reads_the_snapshot_and_never_recomputes(w: ScoringWorld) -> None:
    Score.objects.filter(snapshot=w.october, department=w.civil, indicator="total").update(
        score=12.345, rank=9
    )
    DataNeed.objects.filter(pk=w.needs["civil"].pk).update(title="改过的标题")
    doc = reports.monthly_report("370300", OCT, "sharing-zibo")
    ranking = next(b for b in doc.blocks if isinstance(b, Table) and b.headers[:2] == ("排名", "部门"))
    assert ranking.rows[-1][:3] == ("9", "测试民政局", "12.35")
    overdue = next(
        b for b in doc.blocks if isinstance(b, Table) and b.headers[:3] == ("责任部门", "类型", "事项")
    )
    assert any("婚姻登记信息需求" in row[2] for row in overdue.rows)


def test_report_lists_overdue_tasks_by_owner_and_the_sheet_summary(w: ScoringWorld, report: Document) -> None:
    tables = [b for b in report.blocks if isinstance(b, Table)]
    by_owner = next(t for t in tables if t.headers == ("责任部门", "逾期任务数", "最长逾期（工作日）"))
    assert {r[0]: r[1] for r in by_owner.rows} == {"测试公安局": "1", "测试民政局": "1"}
    police_late = next(int(r[2]) for r in by_owner.rows if r[0] == "测试公安局")
    civil_late = next(int(r[2]) for r in by_owner.rows if r[0] == "测试民政局")
    assert police_late > civil_late > 0  # due 24 September vs 16 October, judged on 31 October
    summary = next(t for t in tables if t.headers[:3] == ("责任部门", "合计", "逾期"))
    assert summary.rows[-1][:3] == ("合计", "3", "2")
    need_column = summary.headers.index("供需对接需求答复")
    assert summary.rows[-1][need_column] == "3"
    assert [r[0] for r in summary.rows[:2]] == ["测试公安局", "测试民政局"]  # overdue owners first


def test_report_indicators_and_method(w: ScoringWorld, report: Document) -> None:
    tables = [b for b in report.blocks if isinstance(b, Table)]
    indicators = next(t for t in tables if t.headers[0] == "指标" and "部门平均分" in t.headers)
    names = [r[0].strip("　") for r in indicators.rows]
    assert names[:2] == ["平台记录", "目录编制"] and "第三方评估" in names and "公众评价" in names
    third = next(r for r in indicators.rows if r[0] == "第三方评估")
    stored = [
        s or 0.0
        for s in Score.objects.filter(
            snapshot=w.october, indicator="third_party", department__isnull=False
        ).values_list("score", flat=True)
    ]
    assert third[3] == reports.score_text(sum(stored) / len(stored)) == "76.67"
    assert third[4] == "3"
    method = next(t for t in tables if t.headers == ("指标", "权重", "计算方法", "依据"))
    assert "　　　第三方评估得分" not in [r[0] for r in method.rows]
    assert any(r[2] == "ratio(requests_on_time, requests_due)" for r in method.rows)
    text = " ".join(getattr(b, "text", "") for b in report.blocks)
    assert "淄博市政务信息资源共享考核指标体系" in text and w.october.digest in text


def test_report_docx_has_headings_tables_and_inline_charts(w: ScoringWorld, report: Document) -> None:
    document = docx.Document(io.BytesIO(to_docx(report)))
    headings = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings == ["一、综合得分与趋势", "二、部门排名", "三、各项指标得分", "四、逾期任务", "五、月调度表汇总",
                        "六、评分说明"]  # fmt: skip
    assert len(document.inline_shapes) == 2
    images = [r.target_part.blob for r in document.part.rels.values() if r.reltype.endswith("/image")]
    charts_in_doc = [b.png for b in report.blocks if isinstance(b, Image)]
    assert sorted(images) == sorted(charts_in_doc)
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "排名")
    assert [c.text for c in ranking.rows[1].cells][:2] == ["1", "测试市场监管局"]
    assert len(ranking.rows) == 4


def test_report_pdf_text_images_and_fonts(w: ScoringWorld, report: Document, tmp_path: Path) -> None:
    pdf = to_pdf(report)
    text = squash(poppler("pdftotext", "-raw", pdf=pdf, tmp_path=tmp_path))
    assert "2026年10月" in text and "淄博市2026年10月数据共享考核月报" in text
    for dept in (w.police, w.market, w.civil):
        score, rank = root_scores(w.october)[dept.pk]
        assert dept.name in text
        assert f"{rank}{dept.name}{reports.score_text(score)}" in text  # a ranking row: rank, name, score
    assert reports.score_text(root_scores(w.october)[None][0]) in text
    listing = poppler("pdfimages", "-list", pdf=pdf, tmp_path=tmp_path).splitlines()[2:]
    sizes = sorted((int(line.split()[3]), int(line.split()[4])) for line in listing if line.strip())
    px = reports.CHART_PX
    assert sizes == sorted([(px, px // 2), (px, reports.charts.bar_boxes([0, 0, 0], width=px).height)])
    fonts = poppler("pdffonts", pdf=pdf, tmp_path=tmp_path).splitlines()[2:]
    assert [f for f in fonts if re.search(r"Noto.?(Serif|Sans).?CJK", f) and " yes " in f], fonts


def test_report_of_a_month_without_a_snapshot_or_tree_is_not_found(w: ScoringWorld) -> None:
    with pytest.raises(NotFound):
        reports.monthly_report("370300", "2026-08", "")
    with pytest.raises(NotFound):
        reports.monthly_report("370300", OCT, "dimensions")
    with pytest.raises(NotFound):
        reports.monthly_report("370300", "十月", "")
    assert reports.report_snapshot("370300").pk == w.october.pk  # the latest by default


def test_report_on_the_first_month_says_there_is_nothing_to_compare(w: ScoringWorld) -> None:
    doc = reports.monthly_report("370300", SEP, "")
    first = doc.blocks[0]
    assert "上月无可比快照" in getattr(first, "text", "")
    ranking = next(b for b in doc.blocks if isinstance(b, Table) and b.headers[:2] == ("排名", "部门"))
    assert {r[3] for r in ranking.rows} == {"—"} and {r[4] for r in ranking.rows} == {"—"}


# ----------------------------------------------------------------------------------------------- sheet


def refs(sheet: reports.Ledger) -> list[str]:
    return [r.ref for r in sheet.rows]


def test_sheet_rows_for_jurisdiction_wide_viewers(w: ScoringWorld) -> None:
    for actor in (w.leader, w.authority, w.auditor):
        sheet = reports.ledger_sheet(actor=actor, jurisdiction="370300")
        assert sheet.snapshot_id == w.october.pk and not sheet.department_scoped
        assert refs(sheet) == [f"need:{w.needs[k].pk}" for k in ("police", "civil", "market")]
        assert [g.owner for g in sheet.groups] == ["测试公安局", "测试民政局", "测试市场监管局"]
        assert sheet.title == "淄博市 2026年10月 数据共享任务月调度表"


def test_sheet_of_a_steward_has_its_own_tasks_only(w: ScoringWorld) -> None:
    sheet = reports.ledger_sheet(actor=w.steward, jurisdiction="370300")
    assert sheet.department_scoped and refs(sheet) == [f"need:{w.needs['police'].pk}"]
    assert sheet.owners == ((w.police.pk, "测试公安局"),)
    assert reports.ledger_sheet(actor=w.steward, jurisdiction="370300",
                                filters=reports.LedgerFilters(owner=w.market.pk)).rows == sheet.rows  # fmt: skip


def test_sheet_refused_to_others(w: ScoringWorld) -> None:
    for actor in (w.outsider, w.elsewhere):
        with pytest.raises(NotFound):
            reports.ledger_sheet(actor=actor, jurisdiction="370300")
    assert [p.code for p in reports.ledger_places(w.outsider)] == []
    assert [p.code for p in reports.ledger_places(w.elsewhere)] == ["370100"]


def test_sheet_rows_state_and_days_left(w: ScoringWorld) -> None:
    sheet = reports.ledger_sheet(actor=w.leader, jurisdiction="370300", month=OCT)
    rows = {r.ref: r for r in sheet.rows}
    police, market = rows[f"need:{w.needs['police'].pk}"], rows[f"need:{w.needs['market'].pk}"]
    assert (
        police.overdue and police.state == "已逾期" and re.fullmatch(r"逾期 \d+ 个工作日", police.left_text)
    )
    assert (
        police.working_days_left is not None
        and police.left_text == f"逾期 {-police.working_days_left} 个工作日"
    )
    assert not market.overdue and market.state == "办理中" and re.fullmatch(r"\d+ 个工作日", market.left_text)
    assert police.href == f"/exchange/needs/{w.needs['police'].pk}/"


def test_sheet_of_an_earlier_month_and_the_live_view(w: ScoringWorld) -> None:
    sheet = reports.ledger_sheet(actor=w.leader, jurisdiction="370300", month=SEP)
    assert sheet.snapshot_id == w.september.pk and refs(sheet) == [f"need:{w.needs['police'].pk}"]
    live = reports.ledger_sheet(
        actor=w.leader, jurisdiction="370300", month="2026-08", today=dt.date(2026, 11, 20)
    )
    assert live.live and live.requested == "2026-08" and "2026年8月 尚未生成评分快照" in live.basis
    assert set(refs(live)) == {f"need:{n.pk}" for n in w.needs.values()}  # all open today
    assert live.as_of == dt.date(2026, 11, 20) and live.title == "淄博市 2026年11月 数据共享任务月调度表"


def test_sheet_exports_carry_the_same_rows(w: ScoringWorld, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = reports.ledger_sheet(
        actor=w.leader, jurisdiction="370300", filters=reports.LedgerFilters(overdue=True)
    )
    wb = load_workbook(io.BytesIO(reports.ledger_workbook(sheet)))
    ws = wb["月调度表"]
    assert ws["A1"].value == sheet.title
    body = [row for row in ws.iter_rows(min_row=4, values_only=True)]
    assert [r[1:7] for r in body] == [r.cells() for g in sheet.groups for r in g.rows]
    assert len(body) == 2
    text = squash(poppler("pdftotext", "-raw", pdf=to_pdf(reports.ledger_document(sheet)), tmp_path=tmp_path))
    assert squash(sheet.title) in text and "只含逾期任务" in text
    assert "人口核验需求" in text and "婚姻登记信息需求" in text and "企业登记信息需求" not in text
