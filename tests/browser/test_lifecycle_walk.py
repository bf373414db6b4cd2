"""建设与验收 in a real browser (Debian's Chromium through Playwright, against ``live_server``), for a project
approved ~8 months ago (the approval date moved back in setup, so a trial run can be complete):

the authority creates this year's annual plan, lists the project and issues the plan → the unit names who
is responsible and records the start (before any money: the zibo ruleset's PRJ-F2 allows 6 months from
approval to the start, already past, so finance could not pay an unstarted project) → finance schedules a
tranche and pays it, the funds notice PDF downloads → the unit files the current period's progress report,
runs the trial, prepares acceptance (materials, 终验, 等保) and applies → the promised resource goes
offline (catalog service, in Python) and the authority's confirmation is blocked by PRJ-K2 naming it → it
is published again and the confirmation passes → panel, decision: 已验收, the acceptance report downloads
as PDF and Word → the O&M page: the authority checks the year, the unit's system is listed with its
eligibility and the list's PDF downloads. Set ``SANBU_SCREENSHOTS=DIR`` to keep a screenshot of each step.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__"),
]


def download(page: Any, locator: Any, magic: bytes) -> bytes:
    with page.expect_download() as info:
        locator.click()
    body = Path(info.value.path()).read_bytes()
    assert len(body) > 100 and body.startswith(magic), magic
    return body


def test_lifecycle_walk(walk: Any) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from sanbu.catalog import services as catalog
    from sanbu.core.actor import SYSTEM
    from sanbu.core.testing import PASSWORD
    from sanbu.policy.rules.acceptance import MATERIALS
    from sanbu.projects import construction, steps
    from sanbu.projects.models import (
        AnnualPlan,
        LedgerEntry,
        OperationsReview,
        PlanState,
        ProgressReport,
        Project,
        ProjectState,
    )
    from sanbu.projects.tests.support import world
    from sanbu.projects.tests.test_lifecycle_documents import approved

    w = world()
    p = approved(w)  # approved ~8 months ago, affecting the unit's docked system, promising w.own
    today = steps.today()
    year = today.year
    page = walk.page
    messages = page.locator(".messages")
    lifecycle = f"/projects/{p.pk}/lifecycle/"

    # --- the authority: this year's plan, the project listed, the plan issued ----------------------------
    walk.login("w_auth", PASSWORD)
    walk.go("/projects/plans/")
    expect(page.get_by_role("heading", name="信息化项目建设年度计划")).to_be_visible()
    page.locator("#step-create").get_by_label("计划年度").fill(str(year))
    page.locator("#step-create").get_by_role("button", name="提交").click()
    expect(messages).to_contain_text(f"已新建 {year} 年度建设计划。")
    expect(page.get_by_role("heading", name=f"{year} 年度信息化项目建设计划")).to_be_visible()
    add = page.locator("#step-add")
    add.get_by_label("已立项项目").select_option(str(p.pk))
    add.get_by_label("年度计划金额（元）").fill("600000")
    add.get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已列入计划。")
    expect(page.locator("#plan-entries")).to_contain_text(p.name)
    expect(page.locator("#plan-entries")).to_contain_text("600,000 元")
    page.locator("#step-issue").get_by_label("计划文号").fill("淄数计〔2026〕9号")
    page.locator("#step-issue").get_by_role("button", name="下达").click()
    expect(messages).to_contain_text("计划已下达。")
    expect(page.locator("#plan-state")).to_contain_text("已下达")
    walk.shot("lifecycle-plan-issued")
    assert AnnualPlan.objects.get().state == PlanState.ISSUED
    walk.logout()

    # --- the unit: responsibilities and the start --------------------------------------------------------
    walk.login("w_unit", PASSWORD)
    walk.go(lifecycle)
    expect(page.get_by_role("heading", name="关口检查（按平台当前事实）")).to_be_visible()
    duty = page.locator("#step-construction")
    duty.get_by_label("项目责任人").fill("张建国")
    duty.get_by_label("项目实施机构").fill("淄博市教育信息中心")
    duty.get_by_label("工程监理单位").fill("山东诚信监理有限公司")
    duty.get_by_role("button", name="保存").click()
    expect(messages).to_contain_text("已保存项目责任人、实施机构和监理单位。")
    started = timezone.localdate(Project.objects.get(pk=p.pk).decided_at) + timedelta(days=30)
    page.locator("#step-start").get_by_label("开工日期").fill(started.isoformat())
    page.locator("#step-start").get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已记录开工日期。")
    expect(page.locator("#started-on")).not_to_contain_text("未开工")
    walk.logout()

    # --- finance: a tranche scheduled and paid, the notice downloaded ------------------------------------
    walk.login("w_finance", PASSWORD)
    walk.go(lifecycle)
    expect(page.locator("#gate-F [data-rule='PRJ-F1']")).to_have_attribute("data-outcome", "allow")
    schedule = page.locator("#step-schedule")
    schedule.get_by_label("金额（元）").fill("400000")
    schedule.get_by_label("拨付依据").fill("首批建设资金")
    schedule.get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已安排拨付批次。")
    row = page.locator("#tranches tr[data-tranche='1']")
    expect(row).to_contain_text("待拨付")
    row.get_by_label("拨付凭证号").fill("CZ-2026-0042")
    row.get_by_role("button", name="拨付").click()
    expect(messages).to_contain_text("第 1 批资金已拨付。")
    expect(page.locator("#sum-paid")).to_have_text("400,000 元")
    expect(page.locator("#ledger")).to_contain_text("CZ-2026-0042")
    walk.shot("lifecycle-paid")
    assert LedgerEntry.objects.get().amount == 400_000
    download(page, page.locator("#tranches .doc-funds-pdf").first, b"%PDF")
    walk.logout()

    # --- the unit: progress report, trial run, acceptance file, application ------------------------------
    walk.login("w_unit", PASSWORD)
    walk.go(lifecycle)
    period = construction.report_schedule(Project.objects.get(pk=p.pk), today)[-1].period
    report = page.locator("#step-report")
    report.get_by_label("报告期").fill(period)
    report.get_by_label("形象进度（%）").fill("80")
    report.get_by_label("累计完成投资（元）").fill("900000")
    report.get_by_label("进展情况").fill("系统开发完成，进入试运行")
    report.get_by_role("button", name="提交").click()
    expect(messages).to_contain_text(f"已报送 {period} 进度报告。")
    expect(page.locator(f"#report-schedule tr[data-period='{period}']")).to_contain_text("按时报送")
    assert ProgressReport.objects.get().progress == 80
    page.locator("#step-trial_start").get_by_label("试运行开始日期").fill(
        (today - timedelta(days=60)).isoformat()
    )
    page.locator("#step-trial_start").get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已记录试运行开始日期。")
    trial_end = page.locator("#step-trial_end")
    trial_end.get_by_label("试运行结束日期").fill((today - timedelta(days=1)).isoformat())
    trial_end.get_by_label("试运行稳定正常").check()
    trial_end.get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已记录试运行结束。")
    prepare = page.locator("#step-prepare")
    prepare.get_by_label("已完成终验").check()
    prepare.get_by_label("等保（分保）测评已通过").check()
    for key, label in MATERIALS.items():
        if key != "sharing_confirmation":
            prepare.get_by_label(label, exact=True).check()
    prepare.get_by_role("button", name="保存").click()
    expect(messages).to_contain_text("已保存验收准备情况。")
    page.locator("#step-apply").get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已提交竣工验收申请。")
    walk.shot("lifecycle-applied")
    walk.logout()

    # --- the promised resource goes offline: the confirmation is blocked by PRJ-K2 ------------------------
    catalog.resource_offline(actor=SYSTEM, resource_id=w.own.pk, expected_version=None, reason="数据质量整改")
    walk.login("w_auth", PASSWORD)
    walk.go(lifecycle)
    expect(page.locator("#sharing-check")).to_contain_text(w.own.name)
    expect(page.locator("#sharing-check")).to_contain_text("不符合")
    page.locator("#step-confirm").get_by_role("button", name="确认").click()
    blocked = page.locator("#blocked-decisions")
    expect(blocked.locator("[data-rule='PRJ-K2']")).to_be_visible()
    expect(blocked).to_contain_text(w.own.name)
    expect(page.locator("#action-error")).to_contain_text("规则不允许此操作")
    walk.shot("lifecycle-k2-blocked")
    assert steps.lifecycle_of(Project.objects.get(pk=p.pk)).confirmation is None

    # --- published again: confirmed, panel, decision ------------------------------------------------------
    catalog.resource_publish(actor=SYSTEM, resource_id=w.own.pk, expected_version=None)
    walk.go(lifecycle)
    page.locator("#step-confirm").get_by_role("button", name="确认").click()
    expect(messages).to_contain_text("已确认数据共享情况，快照已存档。")
    expect(page.locator("#confirmation")).to_contain_text("已确认")
    panel = page.locator("#step-panel")
    panel.get_by_label("人数").fill("5")
    panel.get_by_label("其中第三方专家").fill("4")
    panel.get_by_label("成员").fill("张三、李四、王五、赵六、钱七")
    panel.get_by_role("button", name="提交").click()
    expect(messages).to_contain_text("已记录验收小组。")
    page.locator("#step-accept").get_by_label("验收意见").fill("系统运行稳定，数据共享到位，同意通过竣工验收")
    page.locator("#step-accept").get_by_role("button", name="验收通过").click()
    expect(messages).to_contain_text("项目已通过竣工验收。")
    expect(page.locator(".page-head h1")).to_contain_text("已验收")
    expect(page.locator("#evaluation")).to_contain_text("绩效评价")
    walk.shot("lifecycle-accepted")
    assert Project.objects.get(pk=p.pk).state == ProjectState.ACCEPTED
    download(page, page.locator("#doc-acceptance-pdf"), b"%PDF")
    download(page, page.locator("#doc-acceptance-docx"), b"PK")

    # --- O&M: the year's check, the system listed with its eligibility, the list as PDF ------------------
    walk.go("/projects/operations/")
    expect(page.get_by_role("heading", name=f"{year} 年度运维经费资格")).to_be_visible()
    page.locator("#operations-check").click()
    expect(messages).to_contain_text("已核查")
    review = OperationsReview.objects.get(system=w.system, year=year)
    system_row = page.locator(f"#operations-table tr[data-system='{w.system.pk}']")
    expect(system_row).to_contain_text(w.system.name)
    expect(system_row).to_have_attribute("data-eligible", "1" if review.eligible else "0")
    expect(system_row).to_contain_text("符合" if review.eligible else "不符合")
    walk.shot("lifecycle-operations")
    download(page, page.locator("#doc-operations-pdf"), b"%PDF")
