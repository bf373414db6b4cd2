"""供需对接 and 数据异议 in a real browser (Debian's Chromium through Playwright, against ``live_server``):

the 民政局 consumer types a need and sees the live proposal → posts it → takes the proposed 人口基本信息 →
follows it to the share-request form; then objects to a record of a granted resource → the 公安局
steward answers from 待我答复 (corrected) → the consumer sees the answer and confirms. Set
``SANBU_SCREENSHOTS=DIR`` to keep a screenshot of every step.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__"),
]


def test_need_and_objection_walk(walk: Any) -> None:
    from playwright.sync_api import expect

    from sanbu.core.testing import PASSWORD
    from sanbu.exchange.models import DataNeed, NeedState, Objection, ObjectionState
    from sanbu.exchange.tests.needs_support import grant_on, need_world

    w = need_world()
    grant_on(w.civil_steward, w.people, "公民身份号码", "姓名")

    page = walk.page

    # --- the consumer: a need, a live proposal, take it, on to the request form ------------------------
    walk.login("civil_consumer", PASSWORD)
    walk.nav("供需对接")
    expect(page.get_by_role("heading", name="提出数据需求")).to_be_visible()
    page.get_by_label("需求名称").fill("低保申请人身份核验")
    page.get_by_label("所需信息项").fill("身份证号、姓名")
    expect(page.locator("#live-proposals")).to_contain_text("人口基本信息")
    walk.shot("need-live-proposals")
    page.get_by_label("需求描述").fill("审核低保申请时核对申请人及家庭成员身份")
    page.get_by_role("button", name="提交需求").click()
    expect(page.locator(".messages")).to_contain_text("平台推荐了")
    table = page.locator("#proposals-table")
    expect(table.locator("tbody tr").first).to_contain_text("人口基本信息")
    expect(table.locator("tbody tr").first).to_contain_text("数据元“公民身份号码”")
    walk.shot("need-detail")
    page.get_by_role("button", name="采纳 人口基本信息").click()
    expect(page.locator("#need-result")).to_contain_text("已采纳目录资源“人口基本信息”")
    assert DataNeed.objects.get().state == NeedState.MATCHED
    page.locator("#need-result").get_by_role("link", name="申请共享").click()
    expect(page.get_by_role("heading", name="申请共享：人口基本信息")).to_be_visible()
    walk.shot("request-form")

    # --- the consumer objects to a record of the granted resource ----------------------------------------
    walk.nav("数据异议")
    page.locator("#objection-grants").get_by_role("link", name="提出异议").click()
    expect(page.get_by_role("heading", name="提出数据异议：人口基本信息")).to_be_visible()
    page.get_by_label("信息项").select_option(label="姓名")
    page.get_by_label("记录主键值").fill("370303198503010111")
    page.get_by_label("问题描述").fill("姓名与户口簿不一致")
    page.get_by_label("佐证材料").fill("户口簿（民政窗口留存复印件）")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator(".messages")).to_contain_text("异议已提交")
    expect(page.locator(".meta")).to_contain_text("3703**********0111")
    walk.logout()

    # --- the provider answers from its queue --------------------------------------------------------------
    walk.login("police_steward", PASSWORD)
    walk.nav("待我答复")
    page.locator("#queue-objections").get_by_role("link").first.click()
    page.get_by_label("已更正").check()
    page.get_by_label("更正情况或理由（必填）").fill("已按户口簿更正姓名")
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".messages")).to_contain_text("已答复")
    walk.shot("objection-answered")
    walk.logout()

    # --- the consumer sees the answer and confirms ----------------------------------------------------------
    walk.login("civil_consumer", PASSWORD)
    walk.nav("数据异议")
    page.locator("#objections-table").get_by_role("link").first.click()
    expect(page.locator("#objection-answer")).to_contain_text("已按户口簿更正姓名")
    page.get_by_role("button", name="确认办结").click()
    expect(page.locator(".messages")).to_contain_text("异议办结")
    assert Objection.objects.get().state == ObjectionState.CLOSED
    walk.shot("objection-closed")
