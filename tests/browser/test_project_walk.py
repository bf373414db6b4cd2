"""信息化项目 from application to approval in a real browser (Debian's Chromium through Playwright, against
``live_server``):

the 教育局 applicant fills in a NEW project with no sharing needs and watches the live check show PRJ-S2
不通过 → saves it, tries to submit and is blocked (the rule shown) → adds a used catalog resource and
submits; the authority draws the panel (the platform's seed shown and recorded); each drawn expert logs in and scores; the authority
records the centre's opinion and approves; the approval number appears and the approval document
downloads as PDF and Word. Set ``SANBU_SCREENSHOTS=DIR`` to keep a screenshot of every step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__"),
]


def test_project_application_to_approval_walk(walk: Any) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from sanbu.core.testing import PASSWORD
    from sanbu.projects.models import ExpertAssignment, Project, ProjectState
    from sanbu.projects.tests.support import ALL_MATERIALS, world

    w = world()
    page = walk.page

    # --- the applicant: a new system with no sharing needs ---------------------------------------------------
    walk.login("w_unit", PASSWORD)
    walk.nav("信息化项目")
    page.get_by_role("link", name="申报新项目").click()
    expect(page.get_by_role("heading", name="申报信息化项目")).to_be_visible()
    page.get_by_label("项目名称").fill("教育资源公共服务平台")
    page.get_by_label("申报金额（元）").fill("1500000")
    page.get_by_label("计划年度").fill(str(timezone.localdate().year + 2))
    page.get_by_label("资金来源").fill("市级财政资金")
    page.get_by_label("建设内容", exact=True).fill("建设教育资源公共服务平台，汇聚学籍和资助数据")
    for key, text in ALL_MATERIALS.items():
        page.locator(f"[name=material_{key}]").fill(text)
    page.get_by_label("设计使用年限（年）", exact=True).fill("6")
    page.get_by_label("建设周期（月）", exact=True).fill("10")
    s2 = page.locator('#check-s [data-rule="PRJ-S2"]')
    expect(s2).to_have_attribute("data-outcome", "block")
    expect(s2).to_contain_text("不通过")
    expect(s2).to_contain_text("在申报书中列出将使用和将提供的目录资源")
    walk.shot("project-live-check-blocked")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    project = Project.objects.get()

    page.get_by_role("button", name="提交申报").click()
    blocked = page.locator("#blocked-decisions")
    expect(blocked).to_contain_text("PRJ-S2")
    expect(blocked).to_contain_text("不通过")
    walk.shot("project-submit-blocked")
    assert Project.objects.get().state == ProjectState.DRAFT

    # --- adds a resource it will use, then submits ---------------------------------------------------------
    page.get_by_role("link", name="修改申报").click()
    page.get_by_label("将使用的目录资源").fill("人口基本")
    page.get_by_role("button", name=f"添加 {w.published.name}").click()
    expect(page.locator("#uses-list")).to_contain_text(w.published.name)
    expect(page.locator('#check-s [data-rule="PRJ-S2"]')).to_have_attribute("data-outcome", "allow")
    walk.shot("project-live-check-passed")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#declared-table")).to_contain_text(w.published.name)
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator(".messages")).to_contain_text("已提交申报")
    assert Project.objects.get().state == ProjectState.SUBMITTED
    walk.logout()

    # --- the authority draws the panel; the platform picks the seed -------------------------------------------------------------
    walk.login("w_auth", PASSWORD)
    walk.nav("信息化项目")
    page.get_by_role("link", name="评审台（按档次）").click()
    expect(page.locator(".next-step").first).to_contain_text("抽取评审专家")
    page.get_by_role("link", name=project.name).click()
    page.get_by_label("专家人数").fill("3")
    expect(page.get_by_label("随机种子（可选）")).to_have_count(0)  # nobody chooses the seed
    page.get_by_role("button", name="抽取专家").click()
    seed = project.draws.get(current=True).seed
    assert len(seed) == 32
    expect(page.locator(".messages")).to_contain_text(f"随机种子 {seed}")
    expect(page.locator("#draw-info")).to_contain_text(seed)
    expect(page.locator("#history")).to_contain_text(seed)
    walk.shot("project-drawn")
    walk.logout()

    # --- each drawn expert scores --------------------------------------------------------------------------------
    drawn = list(
        ExpertAssignment.objects.filter(project=project, draw__current=True).select_related("expert__user")
    )
    assert len(drawn) == 3
    for a in drawn:
        assert a.expert.user is not None
        walk.login(a.expert.user.username, PASSWORD)
        walk.nav("信息化项目")
        page.get_by_role("link", name=f"评审 {project.name}").click()
        expect(page.get_by_role("heading", name=f"评审：{project.name}")).to_be_visible()
        page.get_by_label("评分（0–100）").fill("86")
        page.get_by_label("同意立项", exact=True).check()
        page.get_by_label("评审意见").fill("建设必要，方案可行，共享需求明确。")
        page.get_by_role("button", name="提交评分").click()
        expect(page.locator(".messages")).to_contain_text("已提交对")
        walk.logout()
    assert Project.objects.get().state == ProjectState.REVIEWED

    # --- the authority: the centre's opinion, then approval ----------------------------------------------------------
    walk.login("w_auth", PASSWORD)
    walk.go(f"/projects/{project.pk}/")
    opinion = page.locator("#act-opinion")
    opinion.get_by_label("同意", exact=True).check()
    opinion.get_by_label("备案意见说明").fill("同意备案")
    opinion.get_by_role("button", name="记录备案意见").click()
    expect(page.locator(".messages")).to_contain_text("已记录大数据中心备案意见")
    page.get_by_label("审批意见").fill("同意立项")
    page.get_by_role("button", name="批准立项").click()
    expect(page.locator("#approval-number")).to_contain_text("信息化立项〔")
    approved = Project.objects.get()
    assert approved.state == ProjectState.APPROVED
    expect(page.locator("#approval-number")).to_have_text(approved.approval_number)
    walk.shot("project-approved")

    # --- the approval document, as PDF and as Word ---------------------------------------------------------------
    for link, magic in (("#doc-pdf", b"%PDF"), ("#doc-docx", b"PK")):
        with page.expect_download() as info:
            page.locator(link).click()
        path = info.value.path()
        body = Path(path).read_bytes()
        assert len(body) > 100 and body.startswith(magic), link
