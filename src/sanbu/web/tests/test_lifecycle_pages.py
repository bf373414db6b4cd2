"""建设与验收 pages through the Django test client: the project's lifecycle page for the unit, the authority
and finance (each sees its own forms), every step posted to its service, field errors in place in Chinese,
rule blocks explained (PRJ-F1, PRJ-K2), stale versions as conflicts, user text escaped; the annual plan,
finance's desk, the O&M page and the documents (right content type for the right roles, 404 otherwise)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape

from sanbu.catalog import services as catalog
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.documents import CONTENT_TYPES
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.projects import acceptance, construction, evaluation, funds, steps
from sanbu.projects.models import (
    AnnualPlan,
    ChangeRequest,
    ChangeState,
    Deliverable,
    IncidentReport,
    LedgerEntry,
    Lifecycle,
    OperationsReview,
    PlanEntry,
    PlanState,
    Problem,
    ProgressReport,
    Project,
    ProjectState,
    RecoveryNotice,
    Tranche,
    TrancheState,
)
from sanbu.projects.tests.support import World, world
from sanbu.projects.tests.test_lifecycle_documents import (
    ALL_MATERIALS,
    accepted,
    approved,
    paid,
    planned,
    started,
)

pytestmark = pytest.mark.django_db(databases="__all__")

TODAY = steps.today()


@pytest.fixture
def w(db: Any) -> World:
    return world()


@pytest.fixture
def p(w: World) -> Project:
    return approved(w)


def client_of(actor: Actor) -> Client:
    c = Client()
    assert actor.user_id is not None
    c.force_login(get_user_model().objects.get(pk=actor.user_id))
    return c


def html(response: Any) -> str:
    return response.content.decode()


def lc_of(p: Project) -> Lifecycle:
    return steps.lifecycle_of(Project.objects.get(pk=p.pk))


def url(p: Project) -> str:
    return f"/projects/{p.pk}/lifecycle/"


def step(c: Client, p: Project, key: str, **data: Any) -> Any:
    return c.post(url(p), {"step": key, **data})


def done(c: Client, p: Project, key: str, **data: Any) -> str:
    """Post a step that must succeed: redirected back to the page, which shows the success message."""
    r = step(c, p, key, **data)
    assert r.status_code == 302, (
        key,
        r.status_code,
        re.findall(r'class="error-box.*?</div>\s*</div>', html(r), re.S),
    )
    assert r["Location"] == url(p)
    return html(c.get(url(p)))


def block(page: str, key: str) -> str:
    """The HTML of one step's form on the page (from its ``step-<key>`` div to the next step)."""
    start = page.index(f'id="step-{key}"')
    end = page.find('<div class="action"', start + 1)
    return page[start : end if end > 0 else len(page)]


def outsider() -> Actor:
    """A unit of the same city (another department): sees none of the project."""
    other = make_department(jurisdiction="370300")
    return actor_of(make_user(department=other, roles=("project_unit", "steward")))


def outside_finance() -> Actor:
    """Finance of another province."""
    return actor_of(make_user(roles=("finance",), jurisdiction="360000"))


# --- the project page, by role ----------------------------------------------------------------------------


def test_each_role_sees_the_sections_and_only_its_own_forms(w: World, p: Project) -> None:
    common = ('id="gate-F"', 'id="gate-C"', 'id="gate-K"', 'id="ledger-summary"', 'id="report-schedule"',
              'id="sharing-check"', "资金拨付关口（F）", "竣工验收关口（K）", "共享承诺核对", p.name, w.own.name)  # fmt: skip
    forms = {
        "unit": ("step-construction", "step-start", "step-report", "step-incident", "step-change", "step-end",
                 "step-trial_start", "step-trial_end", "step-prepare", "step-apply"),
        "authority": ("step-confirm", "step-panel", "step-accept", "step-force_majeure", "step-funding_mode",
                      "step-unapproved"),
        "finance": ("step-schedule", "step-close"),
    }  # fmt: skip
    for who, actor in (("unit", w.applicant), ("authority", w.authority), ("finance", w.finance)):
        r = client_of(actor).get(url(p))
        page = html(r)
        assert r.status_code == 200, who
        for text in common:
            assert text in page, (who, text)
        for owner, ids in forms.items():
            for fid in ids:
                assert (f'id="{fid}"' in page) is (owner == who), (who, fid)
    unit = html(client_of(w.applicant).get(url(p)))
    assert "项目单位" in unit and "开工日期" in unit and "报送建设进度" in unit
    assert 'class="meta"' in unit  # the site's key/value lists


def test_an_outsider_gets_404_everywhere(w: World, p: Project) -> None:
    planned(w, p)
    started(w, p)
    t = paid(w, p)
    change = construction.change_request(
        actor=w.applicant, project_id=p.pk, content="增加模块", reason="需要"
    )
    plan = AnnualPlan.objects.get()
    for actor in (outsider(), outside_finance()):
        c = client_of(actor)
        assert c.get(url(p)).status_code == 404
        assert step(c, p, "start", started_on=TODAY.isoformat()).status_code == 404
        assert c.post(f"/projects/rows/tranche/{t.pk}/pay/", {"voucher": "x"}).status_code == 404
        assert c.post(f"/projects/rows/change/{change.pk}/approve/", {"note": "x"}).status_code == 404
        for fmt in ("pdf", "docx"):
            assert c.get(f"/projects/tranches/{t.pk}/notice.{fmt}").status_code == 404
    assert client_of(outside_finance()).get(f"/projects/plans/{plan.pk}/").status_code == 404
    assert lc_of(p).started_on is not None and ChangeRequest.objects.get().state == ChangeState.PENDING
    # a step of another role is unknown to this one
    assert step(client_of(w.applicant), p, "confirm").status_code == 404
    assert step(client_of(w.finance), p, "start", started_on=TODAY.isoformat()).status_code == 404
    # not yet approved: no lifecycle page
    draft = w.submitted(name="未立项项目")
    assert client_of(w.applicant).get(url(draft)).status_code == 404


# --- the unit's steps -------------------------------------------------------------------------------------


def test_the_units_steps_call_their_services(w: World, p: Project) -> None:
    c = client_of(w.applicant)
    lc = lc_of(p)
    page = done(c, p, "construction", version=lc.version, responsible_person="张建国", implementing_body="市教育信息中心",
                supervisor_unit="淄博监理公司", supervision_required="1")  # fmt: skip
    assert "已保存项目责任人、实施机构和监理单位。" in page and "张建国" in page
    lc = lc_of(p)
    assert (lc.responsible_person, lc.implementing_body, lc.supervision_required) == (
        "张建国",
        "市教育信息中心",
        True,
    )
    assert lc.pilot is False
    start = TODAY - timedelta(days=200)
    page = done(c, p, "start", started_on=start.isoformat())
    assert lc_of(p).started_on == start and "已记录开工日期。" in page
    period = construction.fileable_periods(p, lc_of(p), steps.ruleset_of(p), TODAY)[-1].label
    page = done(c, p, "report", period=period, progress="40", spent="500000", content="完成需求分析")
    assert ProgressReport.objects.get(project=p).period == period and f"已报送 {period} 进度报告。" in page
    assert f'data-period="{period}"' in page
    page = done(c, p, "incident", kind="delay", occurred_on=TODAY.isoformat(), description="设备延期到货")
    assert IncidentReport.objects.get(project=p).description == "设备延期到货" and "设备延期到货" in page
    page = done(c, p, "change", content="增加移动端", reason="用户需要")
    assert ChangeRequest.objects.get(project=p).state == ChangeState.PENDING and "已提交变更申请" in page
    page = done(c, p, "end", ended_on=(TODAY - timedelta(days=70)).isoformat())
    assert lc_of(p).construction_ended_on == TODAY - timedelta(days=70)
    done(c, p, "trial_start", started_on=(TODAY - timedelta(days=60)).isoformat())
    page = done(c, p, "trial_end", ended_on=(TODAY - timedelta(days=1)).isoformat(), normal="1")
    lc = lc_of(p)
    assert lc.trial_run_started == TODAY - timedelta(days=60) and lc.trial_run_normal is True
    page = done(c, p, "prepare", version=lc.version, final_inspection_done="1", dengbao_tested="1",
                materials=ALL_MATERIALS[:3])  # fmt: skip
    lc = lc_of(p)
    assert lc.final_inspection_done and lc.dengbao_tested and lc.materials == ALL_MATERIALS[:3]
    assert "已保存验收准备情况。" in page
    for key in ALL_MATERIALS[:3]:  # ticked again when the page is drawn
        assert re.search(rf'value="{key}" checked', block(page, "prepare")), key
    page = done(c, p, "apply", extension_reason="")
    assert lc_of(p).applied_on == TODAY and "已提交竣工验收申请。" in page


def test_a_bad_field_is_shown_beside_it_in_chinese_and_nothing_changes(w: World, p: Project) -> None:
    c = client_of(w.applicant)
    r = step(c, p, "start", started_on="2026-13-45")
    assert r.status_code == 400
    form = block(html(r), "start")
    assert (
        "“开工日期”应为日期，如 2026-11-25。" in form and "has-error" in form and 'value="2026-13-45"' in form
    )
    assert lc_of(p).started_on is None
    # the service's own field error (a period not of the project's cadence) beside the period field
    r = step(c, p, "report", period="2026-Q9", progress="10", spent="0", content="进展")
    assert r.status_code == 400
    form = block(html(r), "report")
    assert "报告期应按本项目的报送周期" in form and 'value="2026-Q9"' in form and "进展" in form
    assert not ProgressReport.objects.exists()
    r = step(c, p, "report", period="", progress="很多", spent="0", content="")
    form = block(html(r), "report")
    assert "请填写“报告期”。" in form and "“形象进度（%）”应为整数。" in form and "请填写“进展情况”。" in form
    # the form that did not fail keeps its own values, with no error
    assert "has-error" not in block(html(r), "start")
    # too early for the service: before approval
    r = step(c, p, "start", started_on=(TODAY - timedelta(days=3000)).isoformat())
    assert r.status_code == 400 and "开工日期不能早于立项批复日期" in block(html(r), "start")
    assert lc_of(p).started_on is None


def test_a_stale_version_is_a_conflict(w: World, p: Project) -> None:
    c = client_of(w.applicant)
    seen = lc_of(p).version
    construction.construction_update(actor=w.applicant, project_id=p.pk, expected_version=None,
                                     responsible_person="李四", implementing_body="中心", supervisor_unit="")  # fmt: skip
    r = step(
        c,
        p,
        "construction",
        version=seen,
        responsible_person="张三",
        implementing_body="别处",
        supervisor_unit="",
    )
    page = html(r)
    assert (
        r.status_code == 409
        and "error-box conflict" in page
        and "已被他人办理或修改，请刷新后再操作。" in page
    )
    assert lc_of(p).responsible_person == "李四"
    # the materials ticked are ticked again on the failed form
    r = step(c, p, "prepare", version=seen, materials=ALL_MATERIALS[1:3])
    form = block(html(r), "prepare")
    assert r.status_code == 409 and lc_of(p).materials == []
    assert re.findall(r'value="([a-z_]+)" checked', form) == ALL_MATERIALS[1:3]
    # a tranche paid by another clerk meanwhile
    planned(w, p)
    started(w, p)
    t = funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=100_000)
    funds.tranche_pay(actor=w.finance, tranche_id=t.pk, expected_version=None, voucher="A-1")
    r = client_of(w.finance).post(
        f"/projects/rows/tranche/{t.pk}/pay/", {"version": t.version, "voucher": "B-2"}
    )
    assert r.status_code == 409 and "error-box conflict" in html(r)
    assert LedgerEntry.objects.get(tranche=t).reference == "A-1"


def test_user_text_is_escaped(w: World, p: Project) -> None:
    c = client_of(w.applicant)
    evil = "<script>alert(1)</script>"
    page = done(c, p, "change", content=evil, reason=f"理由{evil}")
    assert evil not in page and escape(evil) in page
    r = step(c, p, "incident", kind="delay", occurred_on="x", description=evil)  # echoed back after an error
    assert r.status_code == 400 and evil not in html(r) and escape(evil) in html(r)


# --- funds ------------------------------------------------------------------------------------------------


def test_paying_a_tranche_of_a_project_not_in_the_plan_shows_prj_f1(w: World, p: Project) -> None:
    c = client_of(w.finance)
    started(w, p)
    page = done(c, p, "schedule", amount="300000", purpose="首批")
    t = Tranche.objects.get(project=p)
    assert t.amount == 300_000 and t.state == TrancheState.SCHEDULED and "已安排拨付批次。" in page
    assert 'data-tranche="1"' in page and "拨付凭证号" in page
    r = c.post(f"/projects/rows/tranche/{t.pk}/pay/", {"version": t.version, "voucher": "CZ-1"})
    page = html(r)
    assert r.status_code == 422 and 'id="blocked-decisions"' in page
    blocked = page[page.index('id="blocked-decisions"') :]
    assert 'data-rule="PRJ-F1"' in blocked and "项目未列入" in blocked and "规则不允许此操作" in page
    t.refresh_from_db()
    assert t.state == TrancheState.SCHEDULED and not LedgerEntry.objects.exists()
    # too much: a field error of the service, in place
    r = step(c, p, "schedule", amount="99999999", purpose="")
    assert r.status_code == 400 and "拨付金额不能超过" in block(html(r), "schedule")
    assert Tranche.objects.count() == 1


def test_a_post_subsidy_project_offers_startup_funds(w: World, p: Project) -> None:
    c = client_of(w.finance)
    assert 'name="startup"' not in block(html(c.get(url(p))), "schedule")  # paid by progress: no such choice
    funds.funding_mode_set(actor=w.authority, project_id=p.pk, mode="post_subsidy")
    assert "启动资金" in block(html(c.get(url(p))), "schedule")
    page = done(c, p, "schedule", amount="300000", purpose="试点启动", startup="1")
    t = Tranche.objects.get(project=p)
    assert t.startup and 'data-tranche="1"' in page and "第 1 批（启动资金）" in page


def test_plan_then_pay_then_the_notice_downloads(w: World, p: Project) -> None:
    a = client_of(w.authority)
    r = a.post("/projects/plans/?j=370300", {"step": "create", "year": "1990"})
    assert r.status_code == 400 and "计划年度应在" in html(r) and not AnnualPlan.objects.exists()
    r = a.post("/projects/plans/?j=370300", {"step": "create", "year": str(TODAY.year)})
    plan = AnnualPlan.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/projects/plans/{plan.pk}/"
    page = html(a.get(f"/projects/plans/{plan.pk}/"))
    assert f"{TODAY.year} 年度信息化项目建设计划" in page and 'id="step-add"' in page and p.name in page
    r = a.post(f"/projects/plans/{plan.pk}/", {"step": "add", "version": plan.version, "project_id": str(p.pk),
                                              "amount": "600000"})  # fmt: skip
    assert r.status_code == 302 and PlanEntry.objects.get().amount == 600_000
    plan.refresh_from_db()
    r = a.post(
        f"/projects/plans/{plan.pk}/", {"step": "issue", "version": plan.version - 1, "document_number": "x"}
    )
    assert r.status_code == 409 and AnnualPlan.objects.get().state == PlanState.DRAFT
    r = a.post(
        f"/projects/plans/{plan.pk}/", {"step": "issue", "version": plan.version, "document_number": ""}
    )
    assert r.status_code == 400 and "请填写“计划文号”。" in html(r)
    r = a.post(f"/projects/plans/{plan.pk}/", {"step": "issue", "version": plan.version,
                                              "document_number": "淄数计〔2026〕3号"})  # fmt: skip
    assert r.status_code == 302 and AnnualPlan.objects.get().state == PlanState.ISSUED
    page = html(a.get(f"/projects/plans/{plan.pk}/"))
    assert "淄数计〔2026〕3号" in page and "列入计划（动态新增）" in page and 'id="step-issue"' not in page
    assert "淄数计〔2026〕3号" in html(a.get("/projects/plans/"))
    # finance sees the plan, cannot change it
    fpage = html(client_of(w.finance).get(f"/projects/plans/{plan.pk}/"))
    assert p.name in fpage and 'id="step-add"' not in fpage
    # a dynamic addition approved on the plan page
    other = approved(w, name="第二个项目")
    r = a.post(f"/projects/plans/{plan.pk}/", {"step": "add", "version": AnnualPlan.objects.get().version,
                                              "project_id": str(other.pk), "amount": "1000", "basis": "抄告单12号"})  # fmt: skip
    entry = PlanEntry.objects.get(project=other)
    assert r.status_code == 302 and entry.dynamic and entry.addition_approved_at is None
    r = a.post(
        f"/projects/plans/{plan.pk}/", {"step": "approve_addition", "entry": entry.pk, "basis": "会议纪要5号"}
    )
    entry.refresh_from_db()
    assert (
        r.status_code == 302
        and entry.addition_approved_at is not None
        and entry.addition_basis == "会议纪要5号"
    )
    # finance pays
    started(w, p)
    f = client_of(w.finance)
    done(f, p, "schedule", amount="400000", purpose="首批建设资金")
    t = Tranche.objects.get(project=p)
    r = f.post(f"/projects/rows/tranche/{t.pk}/pay/", {"version": t.version, "voucher": ""})
    assert r.status_code == 400 and "拨付凭证号" in html(r) and not LedgerEntry.objects.exists()
    r = f.post(f"/projects/rows/tranche/{t.pk}/pay/", {"version": t.version, "voucher": "CZ-2026-7"})
    assert r.status_code == 302 and r["Location"] == url(p)
    page = html(f.get(url(p)))
    assert "第 1 批资金已拨付。" in page and "CZ-2026-7" in page and "400,000 元" in page
    ledger = page[page.index('id="ledger"') :]
    assert 'data-kind="payment"' in ledger and "CZ-2026-7" in ledger and "（第 1 批）" in ledger
    assert LedgerEntry.objects.get().amount == 400_000
    for actor in (w.finance, w.applicant, w.authority):
        for fmt in ("pdf", "docx"):
            r = client_of(actor).get(f"/projects/tranches/{t.pk}/notice.{fmt}")
            assert r.status_code == 200 and r["Content-Type"] == CONTENT_TYPES[fmt], (actor.username, fmt)
            assert r.content[:2] == (b"%P" if fmt == "pdf" else b"PK")
    assert f.get(f"/projects/tranches/{t.pk}/notice.exe").status_code == 404
    unpaid = funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=1000)
    assert f.get(f"/projects/tranches/{unpaid.pk}/notice.pdf").status_code == 404


def test_finance_desk_sweeps_and_the_recovery_notice_downloads(w: World) -> None:
    late = approved(w, days_ago=400, name="迟迟未开工项目")
    f = client_of(w.finance)
    page = html(f.get("/projects/funds/"))
    assert late.name in page and 'id="recovery-sweep"' in page
    assert 'id="recovery-sweep"' not in html(client_of(w.applicant).get("/projects/funds/"))
    r = f.post("/projects/funds/", {"j": "370300"})
    assert r.status_code == 302
    notice = RecoveryNotice.objects.get()
    assert notice.project_id == late.pk and notice.rule == "PRJ-F2" and lc_of(late).funds_frozen
    page = html(f.get(r["Location"]))
    assert "新发出资金收回通知 1 份" in page and notice.number in page
    assert notice.number in html(f.get(url(late)))
    for actor in (w.finance, w.applicant):
        for fmt in ("pdf", "docx"):
            r = client_of(actor).get(f"/projects/recovery/{notice.pk}.{fmt}")
            assert r.status_code == 200 and r["Content-Type"] == CONTENT_TYPES[fmt]
    assert client_of(outsider()).get(f"/projects/recovery/{notice.pk}.pdf").status_code == 404
    # the unit cannot sweep: nothing happens
    client_of(w.applicant).post("/projects/funds/", {"j": "370300"})
    assert RecoveryNotice.objects.count() == 1
    # lifting the freeze: refused by PRJ-F2 in place until force majeure is recognised, then done
    assert 'id="step-lift"' in html(f.get(url(late)))
    r = step(f, late, "lift", reason="项目单位申诉", version=lc_of(late).version)
    assert r.status_code == 422 and 'data-rule="PRJ-F2"' in html(r) and lc_of(late).funds_frozen
    funds.force_majeure_record(actor=w.authority, project_id=late.pk, reason="特大洪涝灾害")
    page = done(f, late, "lift", reason="经复核认定不可抗力", version=lc_of(late).version)
    assert not lc_of(late).funds_frozen and "已解除冻结" in page and 'id="step-lift"' not in page


# --- the authority's steps --------------------------------------------------------------------------------


def test_the_authoritys_steps_and_row_actions(w: World, p: Project) -> None:
    a = client_of(w.authority)
    ask = construction.change_request(actor=w.applicant, project_id=p.pk, content="增加移动端", reason="需要")
    other = construction.change_request(actor=w.applicant, project_id=p.pk, content="换数据库", reason="成本")
    page = html(a.get(url(p)))
    assert (
        f"/projects/rows/change/{ask.pk}/approve/" in page
        and f"/projects/rows/change/{ask.pk}/reject/" in page
    )
    r = a.post(f"/projects/rows/change/{ask.pk}/approve/", {"version": ask.version, "note": "同意"})
    assert r.status_code == 302 and ChangeRequest.objects.get(pk=ask.pk).state == ChangeState.APPROVED
    r = a.post(f"/projects/rows/change/{other.pk}/reject/", {"version": other.version, "note": ""})
    assert r.status_code == 400 and "审批意见" in html(r)
    assert ChangeRequest.objects.get(pk=other.pk).state == ChangeState.PENDING
    r = a.post(f"/projects/rows/change/{other.pk}/reject/", {"version": other.version, "note": "不必要"})
    assert r.status_code == 302 and ChangeRequest.objects.get(pk=other.pk).state == ChangeState.REJECTED
    assert "不必要" in html(a.get(url(p)))
    done(a, p, "force_majeure", reason="疫情封控")
    assert lc_of(p).force_majeure == "疫情封控"
    done(a, p, "funding_mode", mode="post_subsidy")
    assert lc_of(p).funding_mode == "post_subsidy"
    r = step(a, p, "funding_mode", mode="cash")
    assert r.status_code == 400 and "请选择“方式”。" in block(html(r), "funding_mode")
    done(a, p, "unapproved", content="擅自增加机房", note="现场核查发现")
    found = ChangeRequest.objects.get(project=p, state=ChangeState.UNAPPROVED)
    page = html(a.get(url(p)))
    assert (
        f"/projects/rows/change/{found.pk}/ratify/" in page
        and f"/projects/rows/change/{found.pk}/restore/" in page
    )
    r = a.post(f"/projects/rows/change/{found.pk}/restore/", {"version": found.version, "note": ""})
    assert r.status_code == 400 and "恢复核查意见" in html(r)
    assert ChangeRequest.objects.get(pk=found.pk).state == ChangeState.UNAPPROVED
    r = a.post(f"/projects/rows/change/{found.pk}/restore/", {"version": found.version, "note": "机房已拆除"})
    assert r.status_code == 302 and ChangeRequest.objects.get(pk=found.pk).state == ChangeState.RESTORED
    page = html(a.get(url(p)))
    assert "擅自变更已恢复批复内容" in page and "机房已拆除" in page
    assert f"/projects/rows/change/{found.pk}/ratify/" not in page
    done(a, p, "panel", members="5", third_party="4", names="张三、李四、王五、赵六、钱七")
    assert (lc_of(p).panel_members, lc_of(p).panel_third_party) == (5, 4)
    r = step(a, p, "panel", members="5", third_party="9", names="x")
    assert r.status_code == 400 and "第三方专家人数应在 0 到 5" in block(html(r), "panel")


def test_the_confirmation_is_blocked_by_prj_k2_while_the_resource_is_offline(w: World, p: Project) -> None:
    a = client_of(w.authority)
    catalog.resource_offline(actor=SYSTEM, resource_id=w.own.pk, expected_version=None, reason="数据质量整改")
    page = html(a.get(url(p)))
    check = page[page.index('id="sharing-check"') :]
    assert 'data-ok="0"' in check and w.own.name in check and "不符合" in check
    r = step(a, p, "confirm", version=lc_of(p).version)
    page = html(r)
    assert r.status_code == 422
    blocked = page[page.index('id="blocked-decisions"') :]
    assert 'data-rule="PRJ-K2"' in blocked and w.own.name in blocked
    assert lc_of(p).confirmation is None
    catalog.resource_publish(actor=SYSTEM, resource_id=w.own.pk, expected_version=None)
    page = done(a, p, "confirm", version=lc_of(p).version)
    assert lc_of(p).confirmation is not None and "已确认数据共享情况，快照已存档。" in page
    assert "已确认（w_auth" in page


def test_acceptance_decided_on_the_page_then_the_report_downloads(w: World, p: Project) -> None:
    today = steps.today()
    acceptance.trial_run_start(actor=w.applicant, project_id=p.pk, started_on=today - timedelta(days=90))
    acceptance.trial_run_end(actor=w.applicant, project_id=p.pk, ended_on=today - timedelta(days=1))
    acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=None,
                                  final_inspection_done=True, dengbao_tested=True, materials=ALL_MATERIALS)  # fmt: skip
    acceptance.sharing_confirm(actor=w.authority, project_id=p.pk, expected_version=None)
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    a = client_of(w.authority)
    assert a.get(f"/projects/{p.pk}/acceptance.pdf").status_code == 404  # not accepted yet
    r = step(a, p, "accept", version=p.version, opinion="同意")
    assert r.status_code == 422 and 'data-rule="PRJ-K4"' in html(r)  # no panel yet
    acceptance.panel_record(actor=w.authority, project_id=p.pk, members=3, third_party=2, names="甲、乙、丙")
    r = step(a, p, "accept", version=p.version - 1, opinion="同意")
    assert r.status_code == 409
    page = done(a, p, "accept", version=p.version, opinion="同意通过竣工验收")
    assert Project.objects.get(pk=p.pk).state == ProjectState.ACCEPTED and "项目已通过竣工验收。" in page
    assert 'id="doc-acceptance-pdf"' in page and 'id="evaluation"' in page
    for actor in (w.authority, w.applicant, w.finance):
        for fmt in ("pdf", "docx"):
            r = client_of(actor).get(f"/projects/{p.pk}/acceptance.{fmt}")
            assert r.status_code == 200 and r["Content-Type"] == CONTENT_TYPES[fmt]
    assert client_of(outsider()).get(f"/projects/{p.pk}/acceptance.pdf").status_code == 404


def test_the_steps_after_acceptance(w: World, p: Project) -> None:
    accepted(w, p)
    u, a = client_of(w.applicant), client_of(w.authority)
    page = html(u.get(url(p)))
    assert 'id="step-self_eval"' in page and 'id="step-start"' not in page and 'id="gate-E"' in page
    done(u, p, "self_eval", report="达到预期目标")
    assert lc_of(p).self_evaluation_filed_on == TODAY
    kind, label = next(iter(evaluation.DELIVERABLES.items()))
    page = done(u, p, "deliverable", kind=kind, description="源代码")
    assert Deliverable.objects.get(project=p).description == "源代码"
    assert label in page[page.index('id="deliverables"') :][:200]  # the kind in words
    done(u, p, "contract_ip", assigns="1")
    assert lc_of(p).contract_assigns_ip is True
    done(a, p, "file_report")
    assert lc_of(p).report_filed_on == TODAY
    done(a, p, "key_select", selected="1")
    done(a, p, "key_grade", grade="良好")
    assert lc_of(p).key_evaluation and lc_of(p).key_evaluation_grade == "良好"
    r = step(a, p, "problem", text="文档不全", deadline="")
    assert r.status_code == 400 and "请填写“整改期限”。" in block(html(r), "problem")
    page = done(a, p, "problem", text="文档不全", deadline=(TODAY + timedelta(days=30)).isoformat())
    pr = Problem.objects.get(project=p)
    assert "文档不全" in page and f"/projects/rows/problem/{pr.pk}/fixed/" in page
    r = a.post(f"/projects/rows/problem/{pr.pk}/fixed/")
    assert r.status_code == 302 and Problem.objects.get(pk=pr.pk).fixed_on == TODAY
    assert u.post(f"/projects/rows/problem/{pr.pk}/fixed/").status_code == 404  # the unit cannot confirm
    assert a.post("/projects/rows/nothing/1/x/").status_code == 404


# --- O&M --------------------------------------------------------------------------------------------------


def test_the_operations_page_checks_and_lists_and_the_list_downloads(w: World) -> None:
    year = TODAY.year
    u, a = client_of(w.applicant), client_of(w.authority)
    page = html(u.get("/projects/operations/"))
    assert w.system.name in page and 'id="operations-check"' not in page  # the unit may request
    r = u.post("/projects/operations/", {"step": "request", "year": year, "system": w.system.pk,
                                         "requested_budget": "120000"})  # fmt: skip
    assert r.status_code == 302 and OperationsReview.objects.get().requested_budget == 120_000
    page = html(a.get(f"/projects/operations/?year={year}"))
    assert 'id="operations-check"' in page and "未核查" in page
    r = a.post("/projects/operations/", {"step": "check", "year": year, "j": "370300"})
    assert r.status_code == 302
    review = OperationsReview.objects.get()
    assert review.eligible is not None and review.checked_by == "w_auth"
    page = html(a.get(r["Location"]))
    assert "已核查 1 个运行中的信息系统。" in page
    row = page[page.index(f'data-system="{w.system.pk}"') :]
    assert f'data-eligible="{1 if review.eligible else 0}"' in row[:80]
    assert ("符合" if review.eligible else "不符合") in row and "120,000 元" in row
    for d in review.decisions:
        if d["outcome"] == "block":
            assert d["rule_id"] in row
    for actor in (w.authority, w.applicant, w.finance):
        for fmt in ("pdf", "docx"):
            r = client_of(actor).get(f"/projects/operations/{year}.{fmt}?j=370300")
            assert r.status_code == 200 and r["Content-Type"] == CONTENT_TYPES[fmt], (actor.username, fmt)
    assert a.get(f"/projects/operations/{year}.txt").status_code == 404
    # a bad budget is shown beside the field, nothing changes
    for bad, message in (
        ("-5", "申请运维经费应为不小于 0 的金额（元）。"),
        ("很多", "“申请金额（元）”应为整数。"),
    ):
        r = u.post(f"/projects/operations/?year={year}", {"step": "request", "system": w.system.pk,
                                                          "requested_budget": bad})  # fmt: skip
        assert r.status_code == 400 and message in block(html(r), "request"), bad
        assert OperationsReview.objects.get().requested_budget == 120_000
    # only the authority checks
    assert u.post("/projects/operations/", {"step": "check", "year": year}).status_code == 404
