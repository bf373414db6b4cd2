"""Chart images for the documents (the monthly report): PNG bar and line charts drawn with Pillow.

The pages draw their charts in the browser (ECharts); a Word or PDF document needs a picture, so the same
numbers are drawn here: horizontal bars for a ranking (one bar per department, best first, the value
printed at the end of each bar) and a line for a trend (one point per month, the value above it).

- Chinese text: the system Noto Sans CJK SC font (``fonts-noto-cjk``), found once through fontconfig
  (``fc-match``); without it Pillow's default font is used and a warning logged (Chinese then shows as
  boxes, numbers still print).
- Deterministic: the same data gives the same bytes (no timestamp or metadata in the PNG), so a report
  rebuilt from the same snapshot is the same.
- Geometry is computed by :func:`bar_boxes` and :func:`line_points`, which the drawing and the tests share.
"""

from __future__ import annotations

import functools
import io
import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "BACKGROUND",
    "BAR_COLOR",
    "LINE_COLOR",
    "BarGeometry",
    "LineGeometry",
    "bar_boxes",
    "bar_chart",
    "font_file",
    "line_chart",
    "line_points",
    "number_text",
]

log = logging.getLogger(__name__)

FONT_FAMILY = "Noto Sans CJK SC"
BACKGROUND = (255, 255, 255)
BAR_COLOR = (43, 108, 176)
LINE_COLOR = (192, 57, 43)
TEXT_COLOR = (33, 37, 41)
MUTED_COLOR = (108, 117, 125)
GRID_COLOR = (222, 226, 230)
AXIS_COLOR = (134, 142, 150)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


# ---------------------------------------------------------------------------------------------- fonts


@functools.cache
def font_file() -> tuple[str, int] | None:
    """The Noto Sans CJK SC font file and its face index in the collection, from fontconfig; None if absent."""
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{family}", FONT_FAMILY],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, rest = out.partition("|")
    index, _, family = rest.partition("|")
    if not path or not Path(path).is_file() or "CJK" not in family:
        return None  # fontconfig always answers with something: only a CJK font will do
    try:
        return path, int(index or 0)
    except ValueError:
        return path, 0


@functools.cache
def _font(size: int) -> Font:
    found = font_file()
    if found is not None:
        try:
            return ImageFont.truetype(found[0], size, index=found[1])
        except OSError:
            log.warning("charts: cannot open the font %s; using Pillow's default font", found[0])
    else:
        log.warning("charts: no %s font found (install fonts-noto-cjk); Chinese will not render", FONT_FAMILY)
    return ImageFont.load_default(size=size)


def _scale(width: int) -> float:
    return width / 1600


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, room: float) -> str:
    """``text`` shortened with … so it fits ``room`` pixels."""
    if draw.textlength(text, font=font) <= room:
        return text
    while text and draw.textlength(text + "…", font=font) > room:
        text = text[:-1]
    return text + "…"


def number_text(value: float, places: int = 1) -> str:
    """``value`` rounded half up (as a report prints it, 78.25 → 78.3), never in exponent form."""
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def _fmt(value: float, unit: str) -> str:
    return f"{number_text(value)}{unit}"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _title(draw: ImageDraw.ImageDraw, title: str, width: int, s: float) -> None:
    font = _font(round(40 * s))
    text = _fit(draw, title, font, width - 80 * s)
    draw.text((width / 2, 28 * s), text, font=font, fill=TEXT_COLOR, anchor="ma")


def _ceiling(values: Sequence[float | None], given: float | None) -> float:
    if given is not None and given > 0:
        return given
    top = max((v for v in values if v is not None), default=0.0)
    return top if top > 0 else 1.0


def _ticks(ceiling: float, count: int = 5) -> list[float]:
    return [ceiling * i / count for i in range(count + 1)]


# ----------------------------------------------------------------------------------------------- bars


@dataclass(frozen=True)
class BarGeometry:
    """Where a horizontal bar chart puts things: the plot's left edge and width, each row's box, the bars."""

    width: int
    height: int
    left: int  # x of the value axis' zero
    plot_width: int
    rows: tuple[tuple[int, int], ...]  # (top, bottom) of each row's bar
    bars: tuple[tuple[int, int, int, int] | None, ...]  # (x0, y0, x1, y1); None: no value


def bar_boxes(
    values: Sequence[float | None], *, width: int = 1600, max_value: float | None = 100.0
) -> BarGeometry:
    """The layout of :func:`bar_chart` for ``values`` (a value of 0 gives a bar of no width)."""
    s = _scale(width)
    top, bottom = round(100 * s), round(70 * s)
    pitch, bar = round(54 * s), round(36 * s)
    left = round(width * 0.3)
    plot_width = width - left - round(150 * s)
    ceiling = _ceiling(values, max_value)
    rows: list[tuple[int, int]] = []
    bars: list[tuple[int, int, int, int] | None] = []
    for i, v in enumerate(values):
        y0 = top + i * pitch + (pitch - bar) // 2
        rows.append((y0, y0 + bar))
        if v is None:
            bars.append(None)
        else:
            length = round(plot_width * max(0.0, min(v, ceiling)) / ceiling)
            bars.append((left, y0, left + length, y0 + bar))
    height = top + max(1, len(values)) * pitch + bottom
    return BarGeometry(width, height, left, plot_width, tuple(rows), tuple(bars))


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: int = 1600,
    max_value: float | None = 100.0,
    unit: str = "",
    missing: str = "未评分",
) -> bytes:
    """A horizontal bar chart (a ranking, in the order given) as PNG bytes; ``max_value`` None: the largest
    value fills the plot. A value of None prints ``missing`` instead of a bar."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    g = bar_boxes(values, width=width, max_value=max_value)
    s = _scale(width)
    image = Image.new("RGB", (g.width, g.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _title(draw, title, width, s)
    label_font, value_font, tick_font = _font(round(28 * s)), _font(round(26 * s)), _font(round(22 * s))
    ceiling = _ceiling(values, max_value)
    plot_top = g.rows[0][0] - round(9 * s) if g.rows else round(100 * s)
    plot_bottom = g.height - round(70 * s)
    for tick in _ticks(ceiling):
        x = g.left + round(g.plot_width * tick / ceiling)
        draw.line([(x, plot_top), (x, plot_bottom)], fill=GRID_COLOR, width=max(1, round(2 * s)))
        draw.text(
            (x, plot_bottom + round(10 * s)), f"{tick:g}", font=tick_font, fill=MUTED_COLOR, anchor="ma"
        )
    draw.line([(g.left, plot_top), (g.left, plot_bottom)], fill=AXIS_COLOR, width=max(1, round(3 * s)))
    for label, value, (y0, y1), box in zip(labels, values, g.rows, g.bars, strict=True):
        middle = (y0 + y1) / 2
        text = _fit(draw, label, label_font, g.left - round(30 * s))
        draw.text((g.left - round(16 * s), middle), text, font=label_font, fill=TEXT_COLOR, anchor="rm")
        if box is None or value is None:
            draw.text(
                (g.left + round(12 * s), middle), missing, font=value_font, fill=MUTED_COLOR, anchor="lm"
            )
            continue
        if box[2] > box[0]:
            draw.rectangle(box, fill=BAR_COLOR)
        draw.text((box[2] + round(10 * s), middle), _fmt(value, unit), font=value_font, fill=TEXT_COLOR,
                  anchor="lm")  # fmt: skip
    return _png(image)


# ----------------------------------------------------------------------------------------------- line


@dataclass(frozen=True)
class LineGeometry:
    """Where a line chart puts things: the plot box and each value's point (None: no value)."""

    width: int
    height: int
    box: tuple[int, int, int, int]  # (left, top, right, bottom) of the plot
    points: tuple[tuple[int, int] | None, ...]


def line_points(values: Sequence[float | None], *, width: int = 1600, height: int = 800,
                max_value: float | None = 100.0) -> LineGeometry:  # fmt: skip
    """The layout of :func:`line_chart`: points spread evenly across the plot, 0 at the bottom."""
    s = _scale(width)
    left, right = round(110 * s), width - round(60 * s)
    top, bottom = round(120 * s), height - round(90 * s)
    ceiling = _ceiling(values, max_value)
    n = len(values)
    points: list[tuple[int, int] | None] = []
    for i, v in enumerate(values):
        x = (left + right) // 2 if n == 1 else round(left + (right - left) * (i + 0.5) / n)
        points.append(
            None if v is None else (x, round(bottom - (bottom - top) * max(0.0, min(v, ceiling)) / ceiling))
        )
    return LineGeometry(width, height, (left, top, right, bottom), tuple(points))


def line_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: int = 1600,
    height: int = 800,
    max_value: float | None = 100.0,
    unit: str = "",
) -> bytes:
    """A line chart (a trend, one point per label) as PNG bytes; a None value breaks the line."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    g = line_points(values, width=width, height=height, max_value=max_value)
    s = _scale(width)
    image = Image.new("RGB", (g.width, g.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _title(draw, title, width, s)
    left, top, right, bottom = g.box
    tick_font, label_font, value_font = _font(round(22 * s)), _font(round(24 * s)), _font(round(26 * s))
    ceiling = _ceiling(values, max_value)
    for tick in _ticks(ceiling):
        y = round(bottom - (bottom - top) * tick / ceiling)
        draw.line([(left, y), (right, y)], fill=GRID_COLOR, width=max(1, round(2 * s)))
        draw.text((left - round(12 * s), y), f"{tick:g}", font=tick_font, fill=MUTED_COLOR, anchor="rm")
    draw.line([(left, bottom), (right, bottom)], fill=AXIS_COLOR, width=max(1, round(3 * s)))
    room = (right - left) / max(1, len(labels)) - 8 * s
    for i, label in enumerate(labels):
        x = (left + right) / 2 if len(labels) == 1 else left + (right - left) * (i + 0.5) / len(labels)
        text = _fit(draw, label, label_font, room)
        draw.text((x, bottom + round(14 * s)), text, font=label_font, fill=TEXT_COLOR, anchor="ma")
    stroke = max(2, round(6 * s))
    for a, b in zip(g.points, g.points[1:], strict=False):
        if a is not None and b is not None:
            draw.line([a, b], fill=LINE_COLOR, width=stroke)
    radius = max(3, round(10 * s))
    for point, value in zip(g.points, values, strict=True):
        if point is None or value is None:
            continue
        x, y = point
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=LINE_COLOR)
        draw.text(
            (x, y - radius - round(8 * s)), _fmt(value, unit), font=value_font, fill=TEXT_COLOR, anchor="md"
        )
    return _png(image)
