"""Chart images for documents: the right size, deterministic bytes, bars and lines where the geometry says,
Chinese text drawn with the system Noto CJK font (and a logged fallback without it)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from PIL import Image

from sanbu.scoring import charts

DEPARTMENTS = ["市场监管局", "公安局", "民政局", "财政局"]
SCORES: list[float | None] = [100.0, 62.5, 0.0, None]


def opened(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def near(pixel: tuple[int, ...], color: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=False))


def row_pixels(image: Image.Image, y: int, x0: int, x1: int) -> list[tuple[int, ...]]:
    return [image.getpixel((x, y)) for x in range(x0, x1)]  # type: ignore[misc]


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    charts._font.cache_clear()
    monkeypatch.setattr(charts, "font_file", lambda: None)
    yield
    charts._font.cache_clear()


# ----------------------------------------------------------------------------------------------- bars


def test_bar_chart_is_deterministic_and_sized_by_its_rows() -> None:
    first = charts.bar_chart("部门综合得分排名", DEPARTMENTS, SCORES)
    assert first == charts.bar_chart("部门综合得分排名", DEPARTMENTS, SCORES)
    assert first != charts.bar_chart("部门综合得分排名", DEPARTMENTS, [99.0, 62.5, 0.0, None])
    image = opened(first)
    geometry = charts.bar_boxes(SCORES)
    assert image.size == (1600, geometry.height)
    taller = opened(charts.bar_chart("排名", DEPARTMENTS * 2, SCORES * 2))
    assert taller.height == charts.bar_boxes(SCORES * 2).height > image.height
    small = opened(charts.bar_chart("排名", DEPARTMENTS, SCORES, width=800))
    assert small.width == 800 and small.height < image.height


def test_bars_are_drawn_to_their_values() -> None:
    image = opened(charts.bar_chart("部门综合得分排名", DEPARTMENTS, SCORES))
    g = charts.bar_boxes(SCORES)
    full, partial, zero, missing = g.bars
    assert full is not None and partial is not None and zero is not None and missing is None
    assert full[2] - full[0] == g.plot_width
    assert partial[2] - partial[0] == round(g.plot_width * 0.625)
    for box in (full, partial):
        middle = (box[1] + box[3]) // 2
        assert all(near(p, charts.BAR_COLOR) for p in row_pixels(image, middle, box[0] + 4, box[2] - 4))
    # beyond the 62.5 bar (at 70 %, between grid lines) and across the zero and missing rows: no bar colour
    y = (partial[1] + partial[3]) // 2
    assert near(image.getpixel((g.left + round(g.plot_width * 0.7), y)), charts.BACKGROUND)  # type: ignore[arg-type]
    for top, bottom in g.rows[2:]:
        line = row_pixels(image, (top + bottom) // 2, g.left + 6, g.left + g.plot_width)
        assert not any(near(p, charts.BAR_COLOR, 30) for p in line)


def test_labels_and_values_are_printed() -> None:
    image = opened(charts.bar_chart("部门综合得分排名", DEPARTMENTS, SCORES))
    g = charts.bar_boxes(SCORES)
    for top, bottom in g.rows:  # a label left of the axis in every row
        label = row_pixels(image, (top + bottom) // 2, 0, g.left - 10)
        assert sum(1 for p in label if sum(p) < 300) > 5
    _, partial, _, _ = g.bars
    assert partial is not None
    value = row_pixels(image, (partial[1] + partial[3]) // 2, partial[2] + 8, partial[2] + 120)
    assert sum(1 for p in value if sum(p) < 300) > 3  # "62.5" right of the bar
    title = [row_pixels(image, y, 0, 1600) for y in range(20, 80, 2)]
    assert sum(1 for line in title for p in line if sum(p) < 300) > 50


def test_mismatched_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="labels"):
        charts.bar_chart("t", ["a"], [1.0, 2.0])
    with pytest.raises(ValueError, match="labels"):
        charts.line_chart("t", ["a", "b"], [1.0])


# ----------------------------------------------------------------------------------------------- line


def test_line_chart_is_deterministic_and_of_the_size_asked() -> None:
    labels, values = ["2026-08", "2026-09", "2026-10"], [40.0, 55.5, 70.0]
    data = charts.line_chart("综合得分趋势", labels, values)
    assert data == charts.line_chart("综合得分趋势", labels, values)
    assert opened(data).size == (1600, 800)
    assert opened(charts.line_chart("趋势", labels, values, width=1200, height=600)).size == (1200, 600)


def test_the_line_goes_through_its_points_and_breaks_on_a_gap() -> None:
    values: list[float | None] = [40.0, 80.0, None, 20.0]
    image = opened(charts.line_chart("综合得分趋势", ["8月", "9月", "10月", "11月"], values))
    g = charts.line_points(values)
    a, b, gap, d = g.points
    assert a is not None and b is not None and gap is None and d is not None
    assert b[1] < a[1] < d[1]  # higher scores higher up
    _, top, _, bottom = g.box
    assert a[1] == round(bottom - (bottom - top) * 0.4)
    for point in (a, b, d):
        assert near(image.getpixel(point), charts.LINE_COLOR)  # type: ignore[arg-type]
    middle = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
    assert near(image.getpixel(middle), charts.LINE_COLOR)  # type: ignore[arg-type]
    # no segment from 80 (September) to 20 (November) across the missing October
    across = ((b[0] + d[0]) // 2, (b[1] + d[1]) // 2)
    assert not near(image.getpixel(across), charts.LINE_COLOR, 40)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- fonts


def test_the_system_noto_cjk_font_is_used() -> None:
    found = charts.font_file()
    if found is None:
        pytest.skip("fonts-noto-cjk is not installed (`make browsers` as root)")
    assert "NotoSansCJK" in found[0].replace(" ", "") or "Noto" in found[0]
    font = charts._font(28)
    assert font.getname()[0] == "Noto Sans CJK SC"  # type: ignore[union-attr]


def test_without_a_cjk_font_it_falls_back_and_warns(
    no_cjk_font: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sanbu.scoring.charts"):
        data = charts.bar_chart("排名", ["a"], [50.0])
    assert opened(data).width == 1600
    assert any("fonts-noto-cjk" in r.getMessage() for r in caplog.records)


def test_numbers_round_half_up() -> None:
    assert [charts.number_text(v) for v in (78.25, 0.05, 100, -3.25)] == ["78.3", "0.1", "100.0", "-3.3"]
    assert charts.number_text(66.666, 2) == "66.67" and charts.number_text(1e-9, 2) == "0.00"
