"""Image blocks of core.documents: the same PNG read back from the .docx (python-docx) and from the PDF
(poppler's pdfimages), its width and caption in both, and printing fetching nothing but the data: URI."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from PIL import Image as PILImage

from sanbu.core.documents import (
    Document,
    Heading,
    Image,
    Paragraph,
    _offline_fetcher_class,
    to_docx,
    to_html,
    to_pdf,
)


def picture(width: int = 60, height: int = 30) -> bytes:
    """A PNG whose left half is red and right half blue, so a read-back can be compared pixel by pixel."""
    image = PILImage.new("RGB", (width, height), (200, 30, 30))
    image.paste((20, 60, 200), (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PNG = picture()


def report(*blocks: Any) -> Document:
    return Document(
        title="图表测试",
        blocks=(Heading("一、得分趋势"), Image(PNG, 12, "图1 综合得分趋势"), Paragraph("正文。"), *blocks),
    )


def pixels(data: bytes) -> bytes:
    with PILImage.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils)")
    return path


# --------------------------------------------------------------------------------------------- .docx


def test_docx_carries_the_png_inline_at_its_width_with_its_caption() -> None:
    document = docx.Document(io.BytesIO(to_docx(report())))
    shapes = list(document.inline_shapes)
    assert len(shapes) == 1
    assert round(shapes[0].width.cm, 2) == 12.0
    assert round(shapes[0].height.cm, 2) == 6.0  # the aspect ratio kept (60 × 30)
    images = [r.target_part.blob for r in document.part.rels.values() if r.reltype.endswith("/image")]
    assert images == [PNG]
    texts = [p.text for p in document.paragraphs]
    at = texts.index("图1 综合得分趋势")
    assert texts[at - 1] == "" and texts[at + 1] == "正文。"  # picture paragraph, caption, then the text
    holder = document.paragraphs[at - 1]
    assert holder.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert holder._p.findall(f".//{qn('w:drawing')}")
    descr = holder._p.xpath(".//wp:docPr/@descr")
    assert descr == ["图1 综合得分趋势"]


def test_docx_limits_a_picture_to_the_text_width_and_may_omit_the_caption() -> None:
    doc = Document(title="宽图", blocks=(Image(PNG, 30),))
    document = docx.Document(io.BytesIO(to_docx(doc)))
    (shape,) = document.inline_shapes
    assert round(shape.width.cm, 2) == 16.0  # A4 less two 2.5 cm margins
    assert [p.text for p in document.paragraphs if p.text] == ["宽图"]


# ----------------------------------------------------------------------------------------------- PDF


def test_pdf_embeds_the_same_pixels(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(to_pdf(report()))
    listing = subprocess.run(
        [tool("pdfimages"), "-list", str(pdf)], check=True, capture_output=True, text=True
    )
    rows = [line.split() for line in listing.stdout.splitlines()[2:] if line.strip()]
    assert len(rows) == 1
    assert rows[0][3:5] == ["60", "30"]  # width, height in pixels
    subprocess.run([tool("pdfimages"), "-png", str(pdf), str(tmp_path / "img")], check=True)
    (extracted,) = sorted(tmp_path.glob("img-*.png"))
    assert pixels(extracted.read_bytes()) == pixels(PNG)
    text = subprocess.run(
        [tool("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "图1 综合得分趋势" in text and "正文。" in text


def test_pdf_prints_the_image_at_its_width(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(to_pdf(report()))
    listing = subprocess.run(
        [tool("pdfimages"), "-list", str(pdf)], check=True, capture_output=True, text=True
    )
    x_ppi = int(listing.stdout.splitlines()[2].split()[12])
    assert x_ppi == round(60 / (12 / 2.54))  # 60 px across 12 cm


def test_html_has_the_image_as_a_data_uri_and_escapes_the_caption() -> None:
    page = to_html(Document(title="t", blocks=(Image(PNG, 8, '<script>alert("x")</script>'),)))
    images = re.findall(r'<img src="([^"]*)" style="width: ([0-9.]+)cm" alt="([^"]*)">', page)
    assert len(images) == 1
    uri, width, alt = images[0]
    assert uri.startswith("data:image/png;base64,") and width == "8.000"
    assert "<script>" not in page and "&lt;script&gt;" in alt
    assert not re.search(r"https?:|file:", page)


def test_printing_an_image_fetches_only_its_data_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher_class: Any = _offline_fetcher_class()
    fetched: list[str] = []
    original = fetcher_class.fetch

    def record(self: Any, url: str, headers: Any = None) -> Any:
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(fetcher_class, "fetch", record)
    assert to_pdf(report()).startswith(b"%PDF")
    assert fetched and all(url.startswith("data:image/png;base64,") for url in fetched)


# ------------------------------------------------------------------------------------------- shapes


def test_an_image_block_takes_png_bytes_and_a_positive_width() -> None:
    with pytest.raises(ValueError, match="PNG"):
        Image(b"GIF89a...", 5)
    with pytest.raises(ValueError, match="positive"):
        Image(PNG, 0)
    assert Image(bytearray(PNG), 5).png == PNG  # type: ignore[arg-type]
