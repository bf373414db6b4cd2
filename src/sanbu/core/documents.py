"""Official documents issued as .docx and as PDF from one structure, so the two never differ in content.

A :class:`Document` is a frozen description (title, 文号, issuer, date, blocks, footer). Both renderers
first reduce it to the same cleaned layout (:func:`_layout`): every block becomes either a line of
text (heading, paragraph) or a grid (table, key/value table, decisions table), every string is
sanitised once. ``to_docx`` writes that layout with python-docx, ``to_html``/``to_pdf`` render it
through ``core/document.html`` and WeasyPrint. See docs/documents.md.

Text sanitising (:func:`clean_text`): characters XML 1.0 forbids (C0 controls other than tab and
newline, lone surrogates, U+FFFE/U+FFFF) make python-docx raise, so they are *removed*, together with
DEL and the C1 controls (legal XML, but invisible and meaningless in a government document); CR LF
and lone CR become LF. The same cleaned text goes to both formats.

Fonts: the PDF embeds the system Noto CJK fonts (Debian ``fonts-noto-cjk``). The .docx names
``SimSun`` (宋体) as its East Asian font: it is present on every Chinese Windows and WPS install the
recipients use, and on Linux fontconfig (``40-nonlatin.conf``) resolves ``SimSun`` to
"Noto Serif CJK SC", while a .docx naming "Noto Serif CJK SC" would fall back to an arbitrary font
in Word on Windows. A .docx cannot name a fallback font per run, so one name had to be chosen.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string

from sanbu.policy.decisions import Decision

if TYPE_CHECKING:  # pragma: no cover
    from docx.document import Document as DocxDocument
    from docx.oxml.text.font import CT_RPr
    from docx.text.paragraph import Paragraph as DocxParagraph
    from docx.text.run import Run

__all__ = [
    "CONTENT_TYPES",
    "DECISION_HEADERS",
    "DOCX_EAST_ASIAN_FONT",
    "DOCX_LATIN_FONT",
    "OUTCOME_LABELS",
    "PDF_FONT_FAMILY",
    "Block",
    "DecisionsTable",
    "Document",
    "Heading",
    "Image",
    "KeyValues",
    "Paragraph",
    "Table",
    "clean_text",
    "content_disposition",
    "decision_rows",
    "http_response",
    "offline_url_fetcher",
    "to_docx",
    "to_html",
    "to_pdf",
]

Format = Literal["docx", "pdf"]

CONTENT_TYPES: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
DECISION_HEADERS: tuple[str, ...] = ("规则", "结论", "理由", "未满足的事实", "整改办法", "依据")
OUTCOME_LABELS: dict[str, str] = {
    "allow": "通过",
    "warn": "提示",
    "block": "不通过",
    "needs-review": "需审核",
}
_DECISION_WIDTHS: tuple[float, ...] = (1.4, 1.2, 3.0, 2.2, 3.0, 2.2)
_KEY_VALUE_WIDTHS: tuple[float, ...] = (1.0, 3.0)

DOCX_EAST_ASIAN_FONT = "SimSun"
DOCX_LATIN_FONT = "Times New Roman"
PDF_FONT_FAMILY = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'

# Sizes in points, shared by both renderers: 二号 title, 三号/四号/小四 headings, 小四 body, 五号 tables.
_MARGIN_CM = 2.5
_TEXT_WIDTH_CM = 21.0 - 2 * _MARGIN_CM
_TITLE_PT = 22.0
_BODY_PT = 12.0
_TABLE_PT = 10.5
_FOOTER_PT = 10.5
_HEADING_PT = {1: 16.0, 2: 14.0, 3: 12.0}

# XML 1.0 forbids these (python-docx raises on them); DEL and C1 controls are dropped too (module doc).
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """The text both renderers print for ``value``: str(), CR LF → LF, XML-illegal characters removed."""
    text = "" if value is None else str(value)
    return _UNWANTED.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# --------------------------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 (一、), 2 (（一）), 3 (1.)

    def __post_init__(self) -> None:
        if self.level not in _HEADING_PT:
            raise ValueError(f"heading level must be 1, 2 or 3, not {self.level!r}")


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class KeyValues:
    """A two-column label/value table (项目名称 | …)."""

    rows: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        rows = tuple(tuple(row) for row in self.rows)
        for row in rows:
            if len(row) != 2:
                raise ValueError(f"a key/value row has two cells, not {len(row)}: {row!r}")
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``widths`` are relative column weights (default: equal)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        headers = tuple(self.headers)
        rows = tuple(tuple(row) for row in self.rows)
        if not headers:
            raise ValueError("a table needs at least one column")
        for row in rows:
            if len(row) != len(headers):
                raise ValueError(f"row has {len(row)} cells, the table {len(headers)} columns: {row!r}")
        if self.widths is not None:
            widths = tuple(float(w) for w in self.widths)
            if len(widths) != len(headers) or any(not w > 0 for w in widths):
                raise ValueError(f"widths must be {len(headers)} positive numbers, not {self.widths!r}")
            object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class DecisionsTable:
    """Policy decisions (``Decision.as_dict()`` dicts, or ``Decision`` objects) as a 规则…依据 table."""

    decisions: tuple[Mapping[str, Any] | Decision, ...] = field(hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decisions", tuple(self.decisions))


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Image:
    """A picture (a chart): PNG bytes printed ``width_cm`` wide (at most the text width), centred, with an
    optional caption below it. In the PDF it is a ``data:`` URI, so printing still fetches nothing."""

    png: bytes = field(repr=False)
    width_cm: float = _TEXT_WIDTH_CM
    caption: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.png, bytes | bytearray) or not bytes(self.png).startswith(_PNG_SIGNATURE):
            raise ValueError("an image block takes PNG bytes")
        if not self.width_cm > 0:
            raise ValueError(f"an image needs a positive width, not {self.width_cm!r}")
        object.__setattr__(self, "png", bytes(self.png))


Block = Heading | Paragraph | KeyValues | Table | DecisionsTable | Image


@dataclass(frozen=True)
class Document:
    title: str
    number: str = ""  # 文号, e.g. 某数据〔2025〕12号
    issuer: str = ""  # 落款 (issuing body)
    date: dt.date | None = None  # 成文日期
    blocks: tuple[Block, ...] = ()
    footer: str = ""  # printed at the foot of every page, above the page number

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))


# ------------------------------------------------------------------------------ the one shared layout


@dataclass(frozen=True)
class _Line:
    kind: Literal["heading", "paragraph"]
    text: str
    level: int = 0


@dataclass(frozen=True)
class _Grid:
    kind: Literal["table", "keyvalues", "decisions"]
    headers: tuple[str, ...]  # empty: no header row
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width, summing to 1

    @property
    def percents(self) -> tuple[str, ...]:
        return tuple(f"{w * 100:.3f}%" for w in self.widths)


@dataclass(frozen=True)
class _Picture:
    png: bytes = field(repr=False)
    width_cm: float
    caption: str
    kind: Literal["image"] = "image"

    @property
    def uri(self) -> str:
        """The PNG as a ``data:`` URI (base64: only characters that need no escaping in an attribute)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def width(self) -> str:
        return f"{self.width_cm:.3f}"  # a string: the template must not localise it (a decimal comma)


@dataclass(frozen=True)
class _Layout:
    title: str
    number: str
    issuer: str
    date: str
    footer: str
    blocks: tuple[_Line | _Grid | _Picture, ...]


def _fractions(weights: Sequence[float] | None, columns: int) -> tuple[float, ...]:
    weights = tuple(weights) if weights is not None else (1.0,) * columns
    total = sum(weights)
    return tuple(w / total for w in weights)


def _format_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Mapping):
        return "；".join(f"{k}：{_format_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "、".join(_format_value(v) for v in items) or "（空）"
    return str(value)


def decision_rows(decisions: Sequence[Mapping[str, Any] | Decision]) -> tuple[tuple[str, ...], ...]:
    """The cells of a decisions table, one row per decision, in DECISION_HEADERS order."""
    rows = []
    for item in decisions:
        decision = item.as_dict() if isinstance(item, Decision) else item
        outcome = str(decision.get("outcome", ""))
        fact = decision.get("fact")
        fact_text = "—"
        if isinstance(fact, Mapping):
            fact_text = f"{fact.get('name', '')}：{_format_value(fact.get('value'))}"
        rows.append(
            (
                str(decision.get("rule_id", "")),
                OUTCOME_LABELS.get(outcome, outcome),
                str(decision.get("reason") or "—"),
                fact_text,
                str(decision.get("remedy") or "—"),
                str(decision.get("source") or "—"),
            )
        )
    return tuple(rows)


def _grid(
    kind: Literal["table", "keyvalues", "decisions"],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float] | None,
) -> _Grid:
    return _Grid(
        kind,
        tuple(clean_text(h) for h in headers),
        tuple(tuple(clean_text(c) for c in row) for row in rows),
        _fractions(widths, len(widths) if widths else len(headers)),
    )


def _layout(doc: Document) -> _Layout:
    blocks: list[_Line | _Grid | _Picture] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            blocks.append(_Line("heading", clean_text(block.text), block.level))
        elif isinstance(block, Paragraph):
            blocks.append(_Line("paragraph", clean_text(block.text)))
        elif isinstance(block, KeyValues):
            blocks.append(_grid("keyvalues", (), block.rows, _KEY_VALUE_WIDTHS))
        elif isinstance(block, Table):
            blocks.append(_grid("table", block.headers, block.rows, block.widths))
        elif isinstance(block, DecisionsTable):
            rows = decision_rows(block.decisions)
            blocks.append(_grid("decisions", DECISION_HEADERS, rows, _DECISION_WIDTHS))
        elif isinstance(block, Image):
            width = min(float(block.width_cm), _TEXT_WIDTH_CM)
            blocks.append(_Picture(block.png, width, clean_text(block.caption)))
        else:
            raise TypeError(f"not a document block: {block!r}")
    date = f"{doc.date.year}年{doc.date.month}月{doc.date.day}日" if doc.date else ""
    return _Layout(
        title=clean_text(doc.title),
        number=clean_text(doc.number),
        issuer=clean_text(doc.issuer),
        date=date,
        footer=clean_text(doc.footer),
        blocks=tuple(blocks),
    )


# --------------------------------------------------------------------------------------------- .docx


def _set_fonts(rpr: CT_RPr) -> None:
    """Name the Latin and East Asian fonts explicitly, dropping theme fonts (which would win in Word)."""
    from docx.oxml.ns import qn

    rfonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    rfonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    rfonts.set(qn("w:cs"), DOCX_LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)


def _run(paragraph: DocxParagraph, text: str, *, size: float, bold: bool = False) -> Run:
    from docx.shared import Pt

    run = paragraph.add_run(text)  # python-docx turns \n into <w:br/> and \t into <w:tab/>
    _set_fonts(run._r.get_or_add_rPr())
    run.font.size = Pt(size)
    run.bold = bold or None
    return run


def _prepare_styles(document: DocxDocument) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:eastAsia"), "zh-CN")
    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr())
    normal.font.size = Pt(_BODY_PT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.ONE_POINT_FIVE
    fmt.space_after = Pt(0)
    for level, size in _HEADING_PT.items():
        style = styles[f"Heading {level}"]
        _set_fonts(style.element.get_or_add_rPr())
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(size * 0.6)
        style.paragraph_format.space_after = Pt(size * 0.3)


def _add_page_number(paragraph: DocxParagraph) -> None:
    """A PAGE field: Word and LibreOffice fill in the number when laying out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field_char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    for part in (field_char("begin"), instruction, field_char("separate")):
        _run(paragraph, "", size=_FOOTER_PT)._r.append(part)
    _run(paragraph, "1", size=_FOOTER_PT)
    _run(paragraph, "", size=_FOOTER_PT)._r.append(field_char("end"))


def _add_grid(document: DocxDocument, grid: _Grid) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    def shade(cell: Any) -> None:
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), "E7E6E6")
        cell._tc.get_or_add_tcPr().append(shd)

    columns = len(grid.widths)
    table = document.add_table(rows=0, cols=columns)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(_TEXT_WIDTH_CM * w) for w in grid.widths]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width

    def add_row(cells: Sequence[str], *, header: bool) -> None:
        row = table.add_row()
        if header:  # repeated at the top of every page the table runs onto
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for index, (cell, text, width) in enumerate(zip(row.cells, cells, widths, strict=True)):
            cell.width = width
            label = header or (grid.kind == "keyvalues" and index == 0)
            _run(cell.paragraphs[0], text, size=_TABLE_PT, bold=label)
            if label:
                shade(cell)

    if grid.headers:
        add_row(grid.headers, header=True)
    for row in grid.rows:
        add_row(row, header=False)
    document.add_paragraph()  # keeps two consecutive tables from merging in Word


def _add_picture(document: DocxDocument, picture: _Picture) -> None:
    """The picture inline in a centred paragraph (its caption as alt text too), the caption below it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = bool(picture.caption)
    inline = paragraph.add_run().add_picture(BytesIO(picture.png), width=Cm(picture.width_cm))
    if picture.caption:
        inline._inline.docPr.set("descr", picture.caption)
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(caption, picture.caption, size=_TABLE_PT)


def to_docx(doc: Document) -> bytes:
    """The document as a .docx (A4, SimSun/Times New Roman, page numbers in the footer)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt

    layout = _layout(doc)
    document = docx.Document()
    _prepare_styles(document)
    props = document.core_properties
    props.title = layout.title
    props.author = layout.issuer
    props.language = "zh-CN"

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(_MARGIN_CM)
    section.left_margin = section.right_margin = Cm(_MARGIN_CM)
    footer = section.footer
    footer.is_linked_to_previous = False
    lines = footer.paragraphs
    if layout.footer:
        lines[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(lines[0], layout.footer, size=_FOOTER_PT)
        page = footer.add_paragraph()
    else:
        page = lines[0]
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_page_number(page)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(_BODY_PT)
    _run(title, layout.title, size=_TITLE_PT, bold=True)
    if layout.number:
        number = document.add_paragraph()
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        number.paragraph_format.space_after = Pt(_BODY_PT)
        _run(number, layout.number, size=_BODY_PT)

    for block in layout.blocks:
        if isinstance(block, _Grid):
            _add_grid(document, block)
        elif isinstance(block, _Picture):
            _add_picture(document, block)
        elif block.kind == "heading":
            heading = document.add_paragraph(style=f"Heading {block.level}")
            _run(heading, block.text, size=_HEADING_PT[block.level], bold=True)
        else:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(2 * _BODY_PT)  # 首行缩进两字
            _run(paragraph, block.text, size=_BODY_PT)

    if layout.issuer or layout.date:
        document.add_paragraph()
        for text in (layout.issuer, layout.date):
            if text:
                signature = document.add_paragraph()
                signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                _run(signature, text, size=_BODY_PT)

    out = BytesIO()
    document.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------- PDF


@functools.cache
def _offline_fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class OfflineURLFetcher(URLFetcher):
        """Refuses every URL but ``data:``: government networks are closed, and nothing may leak out."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise ValueError(f"network and file access is disabled for documents: {url[:200]}")
            return super().fetch(url, headers)

    return OfflineURLFetcher


def offline_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher refusing http(s), file and every other scheme except ``data:``.

    WeasyPrint catches the refusal, logs a warning and renders without the resource.
    """
    return _offline_fetcher_class()()


def to_html(doc: Document) -> str:
    """The HTML WeasyPrint prints (autoescaped Django template ``core/document.html``)."""
    return render_to_string(
        "core/document.html",
        {
            "doc": _layout(doc),
            "font_family": PDF_FONT_FAMILY,
            # Numbers as strings: the template must not localise them (a decimal comma breaks the CSS).
            "margin_cm": f"{_MARGIN_CM:g}",
            "sizes": {
                "title": f"{_TITLE_PT:g}",
                "body": f"{_BODY_PT:g}",
                "table": f"{_TABLE_PT:g}",
                "footer": f"{_FOOTER_PT:g}",
                "h1": f"{_HEADING_PT[1]:g}",
                "h2": f"{_HEADING_PT[2]:g}",
                "h3": f"{_HEADING_PT[3]:g}",
            },
        },
    )


def to_pdf(doc: Document) -> bytes:
    """The document as PDF/A4 with the Noto CJK fonts embedded; fetches nothing from any network."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=to_html(doc), url_fetcher=offline_url_fetcher()).write_pdf()
    return pdf


# ------------------------------------------------------------------------------------------ download

_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str, fmt: Format, *, as_attachment: bool = True) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''…`` (RFC 6266 / RFC 5987) with the right suffix."""
    suffix = f".{fmt}"
    stem = " ".join(clean_text(filename).replace("/", "_").replace("\\", "_").split())
    if stem.lower().endswith(suffix):
        stem = stem[: -len(suffix)]
    name = (stem or "document") + suffix  # the suffix always matches the content type, in lower case
    ascii_stem = _ASCII_UNSAFE.sub(
        "_", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    )
    ascii_stem = ascii_stem.strip("._-") or "document"
    disposition = "attachment" if as_attachment else "inline"
    return f"{disposition}; filename=\"{ascii_stem}{suffix}\"; filename*=UTF-8''{quote(name, safe='')}"


def http_response(doc: Document, fmt: Format, filename: str, *, as_attachment: bool = True) -> HttpResponse:
    """The document rendered as ``fmt`` ("docx" or "pdf"), ready to download under ``filename``."""
    if fmt == "docx":
        body = to_docx(doc)
    elif fmt == "pdf":
        body = to_pdf(doc)
    else:
        raise ValueError(f"unknown document format {fmt!r}: use 'docx' or 'pdf'")
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition(filename, fmt, as_attachment=as_attachment)
    return response
