"""The document layer: one structure, the same content in .docx and PDF, CJK fonts, escaping, downloads."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanbu.core.documents import (
    CONTENT_TYPES,
    DECISION_HEADERS,
    DOCX_EAST_ASIAN_FONT,
    OUTCOME_LABELS,
    Block,
    DecisionsTable,
    Document,
    Heading,
    KeyValues,
    Paragraph,
    Table,
    _offline_fetcher_class,
    clean_text,
    content_disposition,
    decision_rows,
    http_response,
    offline_url_fetcher,
    to_docx,
    to_html,
    to_pdf,
)
from sanbu.policy.decisions import Decision, Fact, Outcome

DECISIONS = (
    Decision(
        "PRJ-S1",
        Outcome.BLOCK,
        "项目未登记所需的共享数据资源，不予立项",
        Fact("declared_shared_resources", []),
        "在共享平台登记所需资源并提出共享申请",
        "《政务信息系统整合共享实施方案》",
    ),
    Decision(
        "PRJ-S2",
        Outcome.WARN,
        "目录更新已超过九十天",
        Fact("days_since_update", 120),
        "更新目录",
        "POLICY.md S2",
    ),
    Decision(
        "PRJ-A1",
        Outcome.NEEDS_REVIEW,
        "投资额超过限额，需专家评审",
        Fact("budget", 5_000_000),
        "提交专家评审",
    ),
    Decision("PRJ-F1", Outcome.ALLOW, source="POLICY.md F1"),
)
REASONS = [d.reason for d in DECISIONS if d.reason]


def approval(*, blocks: tuple[Block, ...] = (), footer: str = "此件公开发布") -> Document:
    return Document(
        title="关于城市运行管理平台建设项目立项的批复",
        number="某数据〔2025〕12号",
        issuer="某某区大数据局",
        date=dt.date(2025, 3, 1),
        footer=footer,
        blocks=(
            Heading("一、项目基本情况"),
            KeyValues(
                (("项目名称", "城市运行管理平台"), ("项目单位", "某某区城管局"), ("总投资", "120万元"))
            ),
            Paragraph("经审查，该项目符合立项条件。"),
            Heading("二、审查结论"),
            DecisionsTable(tuple(d.as_dict() for d in DECISIONS)),
            Heading("（一）附表", level=2),
            Table(("序号", "资源名称", "提供部门"), (("1", "人口基础信息", "公安局"),), widths=(1, 4, 2)),
            *blocks,
        ),
    )


def docx_texts(data: bytes) -> list[str]:
    """Every paragraph and table cell of a .docx, read back with python-docx, in document order."""
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


def font_attribute(element: Any, name: str) -> str | None:
    """``w:rPr/w:rFonts/@w:<name>`` of a style or run element."""
    fonts = element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if fonts is None else fonts.get(qn(f"w:{name}"))


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return to_pdf(approval())


def poppler(tool: str, *args: str, pdf: bytes, tmp_path: Path) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils, or `make browsers` as root)")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# --------------------------------------------------------------------------------------------- .docx


def test_docx_reads_back_with_title_number_and_every_decision() -> None:
    data = to_docx(approval())
    assert data[:2] == b"PK"
    texts = docx_texts(data)
    assert texts[0] == "关于城市运行管理平台建设项目立项的批复"
    assert texts[1] == "某数据〔2025〕12号"
    for decision in DECISIONS:
        assert decision.rule_id in texts
    for reason in REASONS:
        assert reason in texts
    for label in (*DECISION_HEADERS, *OUTCOME_LABELS.values()):
        assert label in texts
    assert "declared_shared_resources：（空）" in texts
    assert "某某区大数据局" in texts and "2025年3月1日" in texts


def test_docx_sets_the_east_asian_font_a4_and_a_page_number_field() -> None:
    document = docx.Document(io.BytesIO(to_docx(approval())))
    assert font_attribute(document.styles["Normal"].element, "eastAsia") == DOCX_EAST_ASIAN_FONT
    for level in (1, 2, 3):  # the theme fonts of the built-in headings would override the named ones
        heading = document.styles[f"Heading {level}"].element
        assert font_attribute(heading, "eastAsia") == DOCX_EAST_ASIAN_FONT
        assert font_attribute(heading, "eastAsiaTheme") is None
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [run for t in document.tables for c in t._cells for p in c.paragraphs for run in p.runs]
    assert runs
    for run in runs:
        assert font_attribute(run._r, "eastAsia") == DOCX_EAST_ASIAN_FONT
    section = document.sections[0]
    # A4 (stored in twentieths of a point, so within a fraction of a millimetre).
    assert section.page_width is not None and section.page_height is not None
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    footer_xml = section.footer._element.xml
    assert "此件公开发布" in footer_xml and " PAGE " in footer_xml
    assert document.core_properties.title == "关于城市运行管理平台建设项目立项的批复"
    # The title is centred and bold, the header row of a table repeats on every page.
    title = document.paragraphs[0]
    assert title.alignment == 1 and all(run.bold for run in title.runs)
    assert document.tables[1].rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


def test_docx_and_pdf_html_carry_the_same_text() -> None:
    doc = approval(blocks=(Paragraph("引号 \"双\" '单' & <尖括号>"),))
    page = html.unescape(to_html(doc))
    texts = [t for t in docx_texts(to_docx(doc)) if t]
    assert len(texts) > 30
    for text in texts:
        assert text in page


# ---------------------------------------------------------------------------------------------- PDF


def test_pdf_is_a_pdf_whose_text_has_the_title_and_reasons(pdf_bytes: bytes, tmp_path: Path) -> None:
    assert pdf_bytes.startswith(b"%PDF")
    text = squash(poppler("pdftotext", "-raw", pdf=pdf_bytes, tmp_path=tmp_path))
    assert "关于城市运行管理平台建设项目立项的批复" in text
    assert "某数据〔2025〕12号" in text
    for reason in REASONS:
        assert squash(reason) in text
    for label in ("不通过", "提示", "需审核", "通过", "未满足的事实", "此件公开发布"):
        assert label in text


def test_pdf_embeds_a_noto_cjk_font(pdf_bytes: bytes, tmp_path: Path) -> None:
    listing = poppler("pdffonts", pdf=pdf_bytes, tmp_path=tmp_path).splitlines()[2:]
    embedded = [line for line in listing if re.search(r"Noto.?(Serif|Sans).?CJK", line) and " yes " in line]
    assert embedded, listing


def test_pdf_numbers_pages_and_repeats_the_footer(tmp_path: Path) -> None:
    long = approval(blocks=tuple(Paragraph("正文内容，用于撑满页面。" * 12) for _ in range(18)))
    pdf = to_pdf(long)
    info = poppler("pdfinfo", pdf=pdf, tmp_path=tmp_path)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= 2
    text = poppler("pdftotext", "-layout", pdf=pdf, tmp_path=tmp_path)
    assert "A4" in info
    assert text.count("此件公开发布") == pages
    assert re.search(r"^\s*2\s*$", text, re.MULTILINE)


def test_html_escapes_user_text() -> None:
    page = to_html(
        Document(
            title="<script>alert('t')</script>",
            issuer='某局" onload="x',
            blocks=(
                Paragraph("<script>alert(1)</script>"),
                Table(("<b>列</b>",), (("<img src=http://example.com/x.png>",),)),
                KeyValues((("<i>名</i>", "&amp;"),)),
            ),
        )
    )
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=http://example.com/x.png&gt;" in page
    assert "&amp;amp;" in page
    assert 'content="某局&quot; onload=&quot;x"' in page


def test_html_references_no_external_resource() -> None:
    page = to_html(approval())
    assert not re.search(r"https?:|url\(|@import|<link|<script|<img|src=", page, re.IGNORECASE)
    assert '"Noto Serif CJK SC", "Noto Sans CJK SC", serif' in page
    assert "size: A4" in page and "counter(page)" in page


def test_the_url_fetcher_refuses_everything_but_data_urls() -> None:
    fetcher = offline_url_fetcher()
    for url in (
        "http://example.com/font.woff2",
        "https://cdn.example.com/a.css",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ):
        with pytest.raises(ValueError, match="disabled"):
            fetcher(url)
    response = fetcher("data:text/plain;base64,5Lit5paH")
    assert response.read() == "中文".encode()


def test_printing_a_document_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher_class: Any = _offline_fetcher_class()
    fetched: list[str] = []
    refuse = fetcher_class.fetch

    def record(self: Any, url: str, headers: Any = None) -> Any:
        fetched.append(url)
        return refuse(self, url, headers)

    monkeypatch.setattr(fetcher_class, "fetch", record)
    assert to_pdf(approval()).startswith(b"%PDF")
    assert fetched == []


# ------------------------------------------------------------------------------ arbitrary user text

NASTY = st.sampled_from(
    [
        "\x00",
        "\x01",
        "\x08",
        "\x0b",
        "\x0c",
        "\x1f",
        "\x7f",
        "\x85",
        "\ud800",
        "\udfff",
        "\ufffe",
        "\uffff",
        "\r",
        "\r\n",
        "\n",
        "\t",
        "<",
        "&",
        '"',
    ]
)
TEXT = st.lists(st.one_of(st.characters(), NASTY), max_size=40).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paragraph=TEXT, cell=TEXT, title=TEXT)
def test_any_text_gives_a_docx_carrying_it_sanitised(paragraph: str, cell: str, title: str) -> None:
    doc = Document(
        title=title,
        blocks=(Paragraph(paragraph), Table(("列",), ((cell,),)), KeyValues(((cell, paragraph),))),
    )
    data = to_docx(doc)
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].text == clean_text(title)
    assert document.paragraphs[1].text == clean_text(paragraph)
    assert document.tables[0].cell(1, 0).text == clean_text(cell)
    assert document.tables[1].cell(0, 1).text == clean_text(paragraph)


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_any_text_is_escaped_into_the_html(text: str) -> None:
    page = to_html(Document(title="t", blocks=(Paragraph(text),)))
    assert f'<p class="doc-paragraph">{html.escape(clean_text(text))}</p>' in page


def test_clean_text_removes_what_xml_forbids_and_keeps_the_rest() -> None:
    assert clean_text("a\x00b\x0bc\x1fd\x7fe\x85f\ud800g\ufffeh") == "abcdefgh"
    assert clean_text("一\r\n二\r三\n四\t五") == "一\n二\n三\n四\t五"
    assert clean_text(None) == ""
    assert clean_text(12) == "12"


# ----------------------------------------------------------------------------------- the structure


def test_decision_rows_label_outcomes_and_format_facts() -> None:
    rows = decision_rows(
        [*DECISIONS[:1], {"rule_id": "X-1", "outcome": "odd", "fact": {"name": "ok", "value": True}}]
    )
    assert rows[0] == (
        "PRJ-S1",
        "不通过",
        "项目未登记所需的共享数据资源，不予立项",
        "declared_shared_resources：（空）",
        "在共享平台登记所需资源并提出共享申请",
        "《政务信息系统整合共享实施方案》",
    )
    assert rows[1] == ("X-1", "odd", "—", "ok：是", "—", "—")
    values = decision_rows(
        [
            {"rule_id": "Y", "outcome": "allow", "fact": {"name": "n", "value": v}}
            for v in (None, {"a": 1}, {"乙", "甲"}, 3.5)
        ]
    )
    assert [r[3] for r in values] == ["n：—", "n：a：1", "n：乙、甲", "n：3.5"]
    assert [r[1] for r in decision_rows([d.as_dict() for d in DECISIONS])] == [
        "不通过",
        "提示",
        "需审核",
        "通过",
    ]


def test_blocks_reject_inconsistent_shapes() -> None:
    with pytest.raises(ValueError):
        Heading("x", level=4)
    with pytest.raises(ValueError):
        Table(("a", "b"), (("1",),))
    with pytest.raises(ValueError):
        Table(("a", "b"), widths=(1,))
    with pytest.raises(ValueError):
        Table(("a",), widths=(0,))
    with pytest.raises(ValueError):
        Table(())
    with pytest.raises(ValueError):
        KeyValues((("a", "b", "c"),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_docx(Document(title="t", blocks=("not a block",)))  # type: ignore[arg-type]
    # Lists (e.g. from JSON) are frozen into tuples.
    table = Table(["a"], [["1"]])  # type: ignore[arg-type]
    assert table.headers == ("a",) and table.rows == (("1",),)


# ------------------------------------------------------------------------------------------ download


def test_http_response_for_a_chinese_file_name() -> None:
    response = http_response(approval(), "docx", "立项批复 2025")
    assert response["Content-Type"] == CONTENT_TYPES["docx"]
    assert response.content[:2] == b"PK"
    disposition = response["Content-Disposition"]
    assert disposition == (
        "attachment; filename=\"2025.docx\"; filename*=UTF-8''%E7%AB%8B%E9%A1%B9%E6%89%B9%E5%A4%8D%202025.docx"
    )
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "立项批复 2025.docx"
    pdf = http_response(approval(), "pdf", "审查意见.pdf", as_attachment=False)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith(
        "inline; filename=\"document.pdf\"; filename*=UTF-8''%E5%AE%A1"
    )
    with pytest.raises(ValueError):
        http_response(approval(), "odt", "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filename", "fmt", "ascii_name", "utf8_name"),
    [
        ("report", "pdf", "report.pdf", "report.pdf"),
        ("Report.PDF", "pdf", "Report.pdf", "Report.pdf"),
        ("批复.docx", "pdf", "docx.pdf", "批复.docx.pdf"),
        ("", "docx", "document.docx", "document.docx"),
        ("../../etc/passwd", "pdf", "etc_passwd.pdf", ".._.._etc_passwd.pdf"),
        ('a"b\r\nSet-Cookie: x', "pdf", "a_b_Set-Cookie_x.pdf", 'a"b Set-Cookie: x.pdf'),
        ("Café №1", "docx", "Cafe_No1.docx", "Café №1.docx"),
    ],
)
def test_content_disposition_names(filename: str, fmt: str, ascii_name: str, utf8_name: str) -> None:
    header = content_disposition(filename, fmt)  # type: ignore[arg-type]
    assert "\r" not in header and "\n" not in header
    fallback = re.fullmatch(r"attachment; filename=\"([A-Za-z0-9._-]+)\"; filename\*=UTF-8''(\S+)", header)
    assert fallback, header
    assert fallback.group(1) == ascii_name
    assert unquote(fallback.group(2)) == utf8_name
