"""The leaders' dashboard in a real browser (Debian's Chromium through Playwright, against ``live_server``):

a world with snapshots of the previous and this month (``scoring_world``) → the leader logs in and opens
看板 → every chart is drawn (a canvas inside each chart container, by the vendored ECharts) → the ranking
table gives the numbers ``/api/scoring/ranking`` answers, fetched in the page's own session → a department
is opened from the ranking, its indicator table shown, and the rows behind an indicator listed. Saves
``docs/screenshots/dashboard.png`` (full page); set ``SANBU_SCREENSHOTS=DIR`` to keep every step.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__"),
]

PROJECT_DIR = Path(__file__).resolve().parents[2]
DASHBOARD_SHOT = PROJECT_DIR / "docs" / "screenshots" / "dashboard.png"
CHARTS = ("trend", "ranking", "overdue", "blocked", "money")


def test_dashboard_walk(walk: Any) -> None:
    from playwright.sync_api import expect

    from sanbu.core.testing import PASSWORD
    from sanbu.scoring.tests.test_selectors import scoring_world

    sw = scoring_world()
    previous, current = sw.months
    page = walk.page

    walk.login("s_leader", PASSWORD)
    walk.nav("看板")
    expect(page.get_by_role("heading", name="共享考核看板")).to_be_visible()
    expect(page.locator("#jurisdiction-score")).not_to_have_text("—")
    for key in CHARTS:
        chart = page.locator(f"#chart-{key} .chart")
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("canvas").first).to_be_visible()

    # the ranking table and the API agree
    api = page.evaluate("async () => (await fetch('/api/scoring/ranking')).json()")
    assert [r["name"] for r in api] == [sw.w.unit.name, sw.w.provider.name, sw.third.name]
    shown = page.locator("[data-chart-table='ranking'] tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th').textContent.trim(),"
        " ...Array.from(r.querySelectorAll('td')).map(td => td.textContent.trim())])"
    )
    as_numbers = [[row[0], *(None if v == "—" else float(v) for v in row[1:])] for row in shown]
    assert as_numbers == [[r["name"], r["score"], r["change"]] for r in api]
    trend = page.evaluate("async () => (await fetch('/api/scoring/trend')).json()")
    assert [p["month"] for p in trend] == [previous, current]
    expect(page.locator("#blocked-rules [data-rule='PRJ-F2']")).to_contain_text(sw.projects["p2"].name)
    DASHBOARD_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DASHBOARD_SHOT), full_page=True)
    walk.shot("dashboard")

    # the monthly report of the month shown, as the leader downloads it
    with page.expect_download() as info:
        page.get_by_role("link", name="月度报告 PDF").click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "数据共享考核月报" in text and sw.w.unit.name in text

    # a department from the ranking, then the rows behind one of its indicators
    page.locator("[data-chart-table='ranking']").get_by_role("link", name=sw.w.unit.name).click()
    expect(page.get_by_role("heading", name=f"{sw.w.unit.name} · 共享考核得分")).to_be_visible()
    expect(page.locator("#department-rank")).to_have_text("1 / 3")
    expect(page.locator("#chart-department-trend .chart canvas").first).to_be_visible()
    detail = page.evaluate(f"async () => (await fetch('/api/scoring/departments/{sw.w.unit.pk}')).json()")
    assert float(page.locator("#department-score").inner_text()) == detail["score"]
    expect(page.locator("#next-steps li").first).to_be_visible()
    walk.shot("dashboard-department")
    page.locator("#indicators tr[data-indicator='gates']").get_by_role("link", name="关口检查通过").click()
    expect(page.get_by_role("heading", name="关口检查通过")).to_be_visible()
    rows = page.locator("#rows-projects")
    expect(rows).to_contain_text("关口检查不通过的项目")
    expect(rows.get_by_role("link", name=sw.projects["p2"].name)).to_have_attribute(
        "href", f"/projects/{sw.projects['p2'].pk}/lifecycle/"
    )
    walk.shot("dashboard-rows")
