"""The catalog walk in a real browser (Debian's Chromium through Playwright, against ``live_server``):

steward logs in → imports a workbook with an error → sees the row error (资源!2) → uploads the corrected
workbook → imports → submits for review → logs out; the authority logs in → approves → mounts rows (CSV of
synthetic records with valid check digits) → publishes → finds the resource by a Chinese word inside its
unspaced title. Saves ``docs/screenshots/catalog-search.png``; set ``SANBU_SCREENSHOTS=DIR`` to keep a
screenshot of every step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEARCH_SHOT = PROJECT_DIR / "docs" / "screenshots" / "catalog-search.png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "流动人口居住登记信息"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__"),
]


def test_catalog_walk(walk: Any) -> None:
    from playwright.sync_api import expect

    from sanbu.catalog.models import Resource, ResourceState
    from sanbu.core.testing import PASSWORD, make_department, make_user
    from sanbu.datastore.models import DataRow
    from sanbu.web.tests.support import person_items, person_rows_csv, resource_row, workbook_bytes

    police = make_department("淄博市公安局")
    make_user("zhang.steward", department=police, roles=("steward",))
    bureau = make_department("淄博市大数据局")
    make_user("li.authority", department=bureau, roles=("authority",))

    page = walk.page

    # --- the steward: import with an error, fix, import, submit ---------------------------------------
    walk.login("zhang.steward", PASSWORD)
    walk.shot("steward-home")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="导入导出").click()
    expect(page.get_by_role("heading", name="导入目录")).to_be_visible()

    bad = workbook_bytes([resource_row(police, TITLE, share_condition="")], person_items(TITLE))
    page.set_input_files("#import-file", files=[{"name": "目录.xlsx", "mimeType": XLSX, "buffer": bad}])
    page.get_by_role("button", name="校验并导入").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("未导入任何数据")
    expect(errors.locator("tbody tr").first).to_contain_text("资源!2")
    expect(errors.locator("tbody tr").first).to_contain_text("共享条件")
    walk.shot("import-errors")
    assert not Resource.objects.filter(name=TITLE).exists()

    good = workbook_bytes([resource_row(police, TITLE)], person_items(TITLE))
    page.set_input_files("#import-file", files=[{"name": "目录.xlsx", "mimeType": XLSX, "buffer": good}])
    page.get_by_role("button", name="仅校验").click()
    expect(page.locator("#import-ok")).to_contain_text("校验通过")
    page.get_by_role("button", name="校验并导入").click()
    expect(page.locator("#import-ok")).to_contain_text("导入完成：新建 1")
    walk.shot("import-done")

    page.locator("#import-ok").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    walk.shot("detail-draft")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".messages")).to_contain_text("已提交审核")
    expect(page.locator("#state-badge")).to_have_text("待审核")
    walk.logout()

    # --- the authority: approve, mount rows, publish ----------------------------------------------------
    walk.login("li.authority", PASSWORD)
    walk.shot("authority-home")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审核队列").click()
    row = page.locator("tr", has_text=TITLE)
    expect(row).to_be_visible()
    walk.shot("review-queue")
    row.get_by_role("button", name="通过").click()
    expect(page.locator("tr", has_text=TITLE)).to_contain_text("审核通过")

    page.locator("tr", has_text=TITLE).get_by_role("link", name=TITLE).click()
    expect(page.locator("#state-badge")).to_have_text("审核通过（待挂接）")
    rows_csv = person_rows_csv(8)
    page.set_input_files(
        "#mount-file", files=[{"name": "居住登记.csv", "mimeType": "text/csv", "buffer": rows_csv}]
    )
    page.get_by_role("button", name="上传并挂接").click()
    expect(page.locator(".messages")).to_contain_text("已挂接数据 8 行")
    expect(page.locator("#state-badge")).to_have_text("已挂接（待发布）")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已发布（版本 v1）")
    expect(page.locator("#state-badge")).to_have_text("已发布")
    walk.shot("detail-published")

    resource = Resource.objects.get(name=TITLE)
    assert resource.state == ResourceState.PUBLISHED and resource.is_shared
    assert DataRow.objects.filter(resource_id=resource.pk).count() == 8

    # --- find it by a word inside its unspaced title ---------------------------------------------------
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="目录检索").click()
    page.get_by_label("检索词").fill("居住")
    results = page.locator("#results")
    expect(results.locator("mark").first).to_have_text("居住")
    hit = results.locator("article.result", has_text=TITLE)
    expect(hit).to_contain_text("已发布")
    assert "q=%E5%B1%85%E4%BD%8F" in page.url  # htmx pushed the query into the address bar
    SEARCH_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SEARCH_SHOT), full_page=True)
    walk.shot("search")
    hit.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
