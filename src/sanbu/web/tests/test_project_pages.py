"""信息化项目 pages through the Django test client: the application form and its live gate check, a blocked
submission explained, the review desk, the draw, the expert's scoring page, approval, attachments, the
expert pool; another unit's project is 404 and user text is always escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from sanbu.core.actor import Actor
from sanbu.core.testing import make_department, make_user
from sanbu.policy.rules.projects import ROUTES
from sanbu.projects import services
from sanbu.projects.inputs import PLAN_FLAGS, ProjectData
from sanbu.projects.models import Attachment, Expert, ExpertAssignment, GateRecord, Project, ProjectState
from sanbu.projects.tests.support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

HX = {"HX-Request": "true"}


@pytest.fixture
def w(db: Any) -> World:
    return world()


def client_of(actor: Actor) -> Client:
    c = Client()
    assert actor.user_id is not None
    c.force_login(get_user_model().objects.get(pk=actor.user_id))
    return c


def html(response: Any) -> str:
    return response.content.decode()


def post_of(data: ProjectData) -> dict[str, Any]:
    """The application as the browser posts the form."""
    out: dict[str, Any] = {
        "name": data.name, "kind": data.kind, "amount": data.amount, "plan_year": data.plan_year,
        "category": data.category, "project_class": data.project_class, "funding_source": data.funding_source,
        "content": data.content, "technical_route": data.technical_route,
        "design_life_years": data.design_life_years or "", "construction_months": data.construction_months or "",
        "hardware_outside_cloud_reason": data.hardware_outside_cloud_reason,
        "uses": list(data.uses), "provides": list(data.provides), "systems": list(data.systems),
        "provides_new": "\n".join(data.provides_new),
    }  # fmt: skip
    out.update({f"material_{k}": v for k, v in data.materials.items()})
    for flag in [
        *PLAN_FLAGS,
        "involves_secrets",
        "started_before_approval",
        "dynamic_addition",
        "unified_build",
    ]:
        if getattr(data, flag):
            out[flag] = "on"
    return out


def outcome(page: str, rule: str) -> list[str]:
    return re.findall(rf'data-rule="{rule}" data-outcome="([a-z-]+)"', page)


def draw(w: World, p: Project, size: int = 3, seed: str = "abc123") -> list[ExpertAssignment]:
    p.refresh_from_db()
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=p.version, size=size, seed=seed)
    return list(ExpertAssignment.objects.filter(project=p, draw__current=True))


# --- the form and its live check ------------------------------------------------------------------------


def test_form_shows_every_group_and_the_units_systems(w: World) -> None:
    page = html(client_of(w.applicant).get("/projects/new/"))
    for text in ("基本情况", "申报材料", "共享需求", "涉及的信息系统", "建设方案要点", "优先支持",
                 "主要任务", "数据资源共享分析", "新建扩建机房、数据中心、云平台", "部署（迁移）到政务云",
                 "中央或省部署的重大项目", w.system.name, "第三级", "已对接", w.own.name, "保存草稿"):  # fmt: skip
        assert text in page, text
    assert 'name="material_name"' not in page and 'name="material_funding_source"' not in page


def test_form_errors_are_shown_beside_the_fields_in_chinese(w: World) -> None:
    data = post_of(w.data(name=" ", amount=0))
    response = client_of(w.applicant).post("/projects/new/", data)
    page = html(response)
    assert response.status_code == 400
    assert "请填写项目名称。" in page and "申报金额应为大于 0 的整数（单位：元）。" in page
    assert page.index("请填写项目名称。") < page.index('name="kind"')  # beside the name field
    assert not Project.objects.exists()
    typed = client_of(w.applicant).post("/projects/new/", {**data, "name": "x", "amount": "很多"})
    assert typed.status_code == 400 and "申报金额应为整数（单位：元）。" in html(typed)


def test_live_check_shows_prj_s2_blocked_without_sharing_and_passed_after_adding_a_resource(w: World) -> None:
    c = client_of(w.applicant)
    bare = html(c.post("/projects/check/", post_of(w.data(uses=(), provides=())), headers=HX))
    assert outcome(bare, "PRJ-S2") == ["block"]
    assert "不通过" in bare and "新建系统未申报部门间信息共享需求" in bare and "declared_sharing" in bare
    assert "在申报书中列出将使用和将提供的目录资源" in bare and "立项关口（A）预判" in bare
    fixed = html(c.post("/projects/check/", post_of(w.data(uses=(w.published.pk,), provides=())), headers=HX))
    assert outcome(fixed, "PRJ-S2") == ["allow"]
    pending = html(
        c.post("/projects/check/", post_of(w.data(uses=(w.unpublished.pk,), provides=())), headers=HX)
    )
    assert outcome(pending, "PRJ-S2") == ["warn"] and "提示" in pending
    assert not Project.objects.exists()  # nothing saved by checking


def test_live_check_lists_field_errors_first(w: World) -> None:
    page = html(client_of(w.applicant).post("/projects/check/", post_of(w.data(name="")), headers=HX))
    assert "请填写项目名称。" in page and "data-rule" not in page


def test_check_of_a_saved_draft_counts_its_attachments(w: World) -> None:
    materials = {k: v for k, v in w.data().materials.items() if k != "performance_goals"}
    p = services.project_create(actor=w.applicant, data=w.data(materials=materials))
    c = client_of(w.applicant)
    before = html(c.post(f"/projects/{p.pk}/check/", post_of(w.data(materials=materials)), headers=HX))
    assert outcome(before, "PRJ-S3") == ["block"] and "项目绩效目标" in before
    upload = SimpleUploadedFile("绩效目标.pdf", b"%PDF-1.4 goals", content_type="application/pdf")
    c.post(f"/projects/{p.pk}/attachments/", {"material": "performance_goals", "file": upload})
    after = html(c.post(f"/projects/{p.pk}/check/", post_of(w.data(materials=materials)), headers=HX))
    assert outcome(after, "PRJ-S3") == ["allow"]


def test_resource_search_offers_published_and_registered_resources_with_their_state(w: World) -> None:
    c = client_of(w.applicant)
    found = html(c.get(f"/projects/resources/?q=w&unit={w.unit.pk}", headers=HX))
    assert w.published.name in found and w.unpublished.name in found
    assert "已发布" in found and "已挂接（待发布）" in found
    picked = c.get("/projects/resources/pick/", {"id": w.unpublished.pk, "unit": w.unit.pk}, headers=HX)
    assert picked.status_code == 200 and picked["HX-Trigger-After-Swap"] == "sanbu-recheck"
    assert f'name="uses" value="{w.unpublished.pk}" checked' in html(picked)
    again = c.get("/projects/resources/pick/", {"id": w.unpublished.pk, "uses": w.unpublished.pk}, headers=HX)
    assert again.status_code == 204


def test_save_edit_and_the_edit_page_keeps_the_declared_resources(w: World) -> None:
    c = client_of(w.applicant)
    response = c.post("/projects/new/", post_of(w.data(uses=(w.unpublished.pk,), systems=(w.system.pk,))))
    p = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/projects/{p.pk}/"
    edit = html(c.get(f"/projects/{p.pk}/edit/"))
    assert f'name="uses" value="{w.unpublished.pk}" checked' in edit and 'name="version" value="1"' in edit
    assert outcome(edit, "PRJ-S2") == ["warn"]  # the first check is rendered with the page
    stale = c.post(f"/projects/{p.pk}/edit/", {**post_of(w.data()), "version": 7})
    assert stale.status_code == 409 and "请刷新" in html(stale)
    ok = c.post(f"/projects/{p.pk}/edit/", {**post_of(w.data(name="改过的名称")), "version": 1})
    assert ok.status_code == 302 and Project.objects.get().name == "改过的名称"


# --- the project page: submission, visibility ---------------------------------------------------------------


def test_a_blocked_submission_lists_rule_remedy_and_source(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data(uses=(), provides=()))
    c = client_of(w.applicant)
    response = c.post(f"/projects/{p.pk}/submit/", {"version": p.version})
    page = html(response)
    assert response.status_code == 422
    d = next(x for x in services.decisions(p, "S") if x.rule_id == "PRJ-S2")
    assert 'id="blocked-decisions"' in page and outcome(page.split('id="blocked-decisions"')[1], "PRJ-S2")
    assert escape(d.remedy) in page and escape(d.source) in page and "规则不允许此操作" in page
    assert Project.objects.get(pk=p.pk).state == ProjectState.DRAFT


def test_submission_turns_unpublished_resources_into_needs_linked_from_the_page(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data(uses=(w.published.pk, w.unpublished.pk)))
    c = client_of(w.applicant)
    done = c.post(f"/projects/{p.pk}/submit/", {"version": p.version}, follow=True)
    page = html(done)
    assert "已提交申报" in page and "PRJ-S2" in page  # the warning is shown
    link = p.resources.get(resource=w.unpublished)
    assert link.need_id and f"/exchange/needs/{link.need_id}/" in page
    assert "申报关口（S）" in page and 'id="gate-a"' in page  # past submission: gate A as well


def test_a_stale_version_is_a_conflict_asking_to_refresh(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data())
    response = client_of(w.applicant).post(f"/projects/{p.pk}/submit/", {"version": p.version + 1})
    assert response.status_code == 409 and "请刷新" in html(response) and "刷新页面" in html(response)


def test_another_units_project_is_404_everywhere(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data())
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")
    att = services.attachment_add(actor=w.applicant, project_id=p.pk, material="tasks", upload=upload)
    other = make_department("其他局")
    stranger = make_user("stranger_unit", department=other, roles=("project_unit",))
    c = Client()
    c.force_login(stranger)
    assert c.get(f"/projects/{p.pk}/").status_code == 404
    assert c.get(f"/projects/{p.pk}/edit/").status_code == 404
    assert c.post(f"/projects/{p.pk}/check/", post_of(w.data())).status_code == 404
    assert c.post(f"/projects/{p.pk}/submit/", {"version": 1}).status_code == 404
    assert c.get(f"/projects/attachments/{att.pk}/").status_code == 404
    assert c.post(f"/projects/attachments/{att.pk}/remove/").status_code == 404
    assert w.unit.name not in html(c.get("/projects/?side=all"))
    assert Attachment.objects.filter(pk=att.pk).exists()


def test_attachments_upload_download_and_remove(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data())
    c = client_of(w.applicant)
    empty = c.post(f"/projects/{p.pk}/attachments/", {"material": "tasks"})
    assert empty.status_code == 400 and "请选择要上传的文件。" in html(empty)
    upload = SimpleUploadedFile("任务书<b>.html", b"<script>alert(1)</script>", content_type="text/html")
    assert c.post(f"/projects/{p.pk}/attachments/", {"material": "tasks", "file": upload}).status_code == 302
    att = Attachment.objects.get()
    got = c.get(f"/projects/attachments/{att.pk}/")
    assert got.status_code == 200 and got.content == b"<script>alert(1)</script>"
    assert got["Content-Type"] == "application/octet-stream" and got["Content-Disposition"].startswith(
        "attachment"
    )
    assert "任务书&lt;b&gt;.html" in html(c.get(f"/projects/{p.pk}/edit/"))
    assert c.post(f"/projects/attachments/{att.pk}/remove/").status_code == 302
    assert not Attachment.objects.exists()


def test_user_text_is_escaped(w: World) -> None:
    evil = "<script>alert(1)</script>"
    p = services.project_create(
        actor=w.applicant, data=w.data(name=evil, content=evil, provides_new=(evil[:40],))
    )
    c = client_of(w.applicant)
    for url in ("/projects/", f"/projects/{p.pk}/", f"/projects/{p.pk}/edit/"):
        page = html(c.get(url))
        assert evil not in page and escape(evil) in page, url
    checked = html(c.post(f"/projects/{p.pk}/check/", post_of(w.data(name=evil)), headers=HX))
    assert evil not in checked


# --- review: desk, draw, scoring, approval ---------------------------------------------------------------


def test_the_desk_groups_by_tier_with_the_next_step(w: World) -> None:
    p = w.submitted()
    c = client_of(w.authority)
    page = html(c.get("/projects/desk/"))
    assert ROUTES["expert_panel"] in page and p.name in page and "抽取评审专家" in page
    draw(w, p)
    assert "等待专家评分（已评 0/3）" in html(c.get("/projects/desk/"))
    assert 'id="act-draw"' not in html(client_of(w.applicant).get(f"/projects/{p.pk}/"))
    assert client_of(w.applicant).get("/projects/desk/").status_code == 404


def test_the_list_tabs_and_filters(w: World) -> None:
    draft = services.project_create(actor=w.applicant, data=w.data(name="草稿项目"))
    submitted = w.submitted(name="已申报项目")
    mine = html(client_of(w.applicant).get("/projects/"))
    assert "我的申报" in mine and draft.name in mine and submitted.name in mine
    assert '?side=desk"' not in mine and 'href="/projects/new/"' in mine  # no desk tab for the unit
    desk = html(client_of(w.authority).get("/projects/?side=desk"))
    assert submitted.name in desk and draft.name not in desk and 'href="/projects/new/"' not in desk
    assert "/projects/experts/" in desk and "/projects/desk/" in desk
    only_drafts = html(client_of(w.applicant).get("/projects/?side=mine&state=draft"))
    assert draft.name in only_drafts and submitted.name not in only_drafts
    assert 'class="badge state-draft"' in only_drafts


def test_draw_through_the_page_records_the_seed_and_redraw_needs_a_reason(w: World) -> None:
    p = w.submitted()
    c = client_of(w.authority)
    bad = c.post(f"/projects/{p.pk}/draw/", {"version": p.version, "size": 4})
    assert bad.status_code == 400 and "单数" in html(bad)
    ok = c.post(f"/projects/{p.pk}/draw/", {"version": p.version, "size": 5, "seed": "5eed"}, follow=True)
    page = html(ok)
    seed = p.draws.get(current=True).seed
    assert seed != "5eed" and len(seed) == 32  # a posted seed is ignored: the platform draws it
    assert f"随机种子 {seed}" in page and f"<code>{seed}</code>" in page and "回避" in page
    assert "专家0：本单位人员，回避" in page  # the unit's own expert, recused with the reason
    p.refresh_from_db()
    again = c.post(f"/projects/{p.pk}/draw/", {"version": p.version, "size": 5})
    assert again.status_code == 400 and "请填写重新抽取的理由。" in html(again)


def test_scoring_page_is_only_for_the_drawn_expert(w: World) -> None:
    p = w.submitted()
    drawn = draw(w, p)
    a = drawn[0]
    drawn_ids = {x.expert_id for x in drawn}
    outsider = next(e for e in w.experts if e.pk not in drawn_ids)
    mine = client_of(w.expert_actors[a.expert_id])
    assert mine.get(f"/projects/reviews/{a.pk}/").status_code == 200
    assert client_of(w.expert_actors[outsider.pk]).get(f"/projects/reviews/{a.pk}/").status_code == 404
    assert client_of(w.applicant).get(f"/projects/reviews/{a.pk}/").status_code == 404
    assert client_of(w.expert_actors[outsider.pk]).get(f"/projects/{p.pk}/").status_code == 404
    bad = mine.post(f"/projects/reviews/{a.pk}/", {"score": "101", "conclusion": "maybe", "opinion": " "})
    page = html(bad)
    assert bad.status_code == 400 and "评分应为 0 到 100 的整数。" in page and "请选择评审结论" in page
    tasks = html(mine.get("/projects/reviews/"))
    assert p.name in tasks and f"/projects/reviews/{a.pk}/" in tasks


def test_an_expert_sees_only_their_own_row_until_the_review_is_complete(w: World) -> None:
    p = w.submitted()
    drawn = draw(w, p)
    first, second = drawn[0], drawn[1]
    services.expert_score(actor=w.expert_actors[second.expert_id], assignment_id=second.pk, score=61,
                          conclusion="revise", opinion="第二位专家的意见")  # fmt: skip
    page = html(client_of(w.expert_actors[first.expert_id]).get(f"/projects/{p.pk}/"))
    names = {a.expert_id: a.expert.name for a in drawn}
    assert (
        names[first.expert_id] in page
        and names[second.expert_id] not in page
        and "第二位专家的意见" not in page
    )
    assert "评审完成前只显示您本人的评审" in page and 'id="draw-info"' not in page
    unit_page = html(client_of(w.applicant).get(f"/projects/{p.pk}/"))
    assert "已抽取 3 名评审专家" in unit_page and "第二位专家的意见" not in unit_page
    assert "第二位专家的意见" in html(client_of(w.authority).get(f"/projects/{p.pk}/"))


def test_the_nav_shows_projects_and_the_experts_pending_count(w: World) -> None:
    p = w.submitted()
    a = draw(w, p)[0]
    page = html(client_of(w.expert_actors[a.expert_id]).get("/"))
    assert re.search(r'href="/projects/reviews/"[^>]*>信息化项目<span class="count">1</span>', page)
    assert 'href="/projects/"' in html(client_of(w.applicant).get("/")) and "信息化项目" in html(
        client_of(w.authority).get("/")
    )


def test_approve_flow_through_the_pages(w: World) -> None:
    unit, auth = client_of(w.applicant), client_of(w.authority)
    assert unit.post("/projects/new/", post_of(w.data())).status_code == 302
    p = Project.objects.get()
    assert unit.post(f"/projects/{p.pk}/submit/", {"version": p.version}).status_code == 302
    p.refresh_from_db()
    assert p.state == ProjectState.SUBMITTED
    assert auth.post(f"/projects/{p.pk}/draw/", {"version": p.version, "size": 3}).status_code == 302
    for a in ExpertAssignment.objects.filter(project=p):
        c = client_of(w.expert_actors[a.expert_id])
        done = c.post(
            f"/projects/reviews/{a.pk}/", {"score": "88", "conclusion": "agree", "opinion": "方案可行"}
        )
        assert done.status_code == 302, html(done)
    p.refresh_from_db()
    assert p.state == ProjectState.REVIEWED
    blocked = auth.post(f"/projects/{p.pk}/approve/", {"version": p.version})
    assert blocked.status_code == 422 and "PRJ-A5" in html(blocked)
    opinion = auth.post(
        f"/projects/{p.pk}/opinion/", {"version": p.version, "opinion": "favourable", "text": "同意备案"}
    )
    assert opinion.status_code == 302
    p.refresh_from_db()
    too_much = auth.post(
        f"/projects/{p.pk}/approve/", {"version": p.version, "approved_amount": p.amount + 1}
    )
    assert too_much.status_code == 400 and "核定金额应大于 0 且不超过申报金额" in html(too_much)
    page = html(auth.post(f"/projects/{p.pk}/approve/", {"version": p.version, "note": "同意"}, follow=True))
    p.refresh_from_db()
    assert p.state == ProjectState.APPROVED and p.approval_number in page
    assert f"/projects/{p.pk}/approval.pdf" in page and f"/projects/{p.pk}/approval.docx" in page
    assert GateRecord.objects.filter(project=p, gate="A").exists() and "关口记录" in page
    assert "88" in html(unit.get(f"/projects/{p.pk}/"))  # scores are public once the review is complete


def test_joint_review_form_only_for_joint_routes(w: World, db: Any) -> None:
    small = w.submitted()  # zibo: every project goes to an expert panel
    assert 'id="act-joint"' not in html(client_of(w.authority).get(f"/projects/{small.pk}/"))
    jx = world("360100", prefix="j")  # Jiangxi: every project goes to the joint review
    p = jx.submitted()
    assert p.route == "joint_panel"
    c = client_of(jx.authority)
    assert 'id="act-joint"' not in html(c.get(f"/projects/{p.pk}/"))  # PRJ-A2: experts first
    for a in draw(jx, p):
        services.expert_score(actor=jx.expert_actors[a.expert_id], assignment_id=a.pk, score=85,
                              conclusion="agree", opinion="同意")  # fmt: skip
    p.refresh_from_db()
    page = html(c.get(f"/projects/{p.pk}/"))
    assert 'id="act-joint"' in page and ROUTES["joint_panel"] in page
    bad = c.post(f"/projects/{p.pk}/joint/", {"version": p.version})
    assert bad.status_code == 400 and "请填写参加单位。" in html(bad) and "请选择联合评审结论" in html(bad)
    done = c.post(f"/projects/{p.pk}/joint/", {"version": p.version, "conclusion": "agree",
                                               "participants": "大数据中心、发展改革委", "note": "同意建设"},
                  follow=True)  # fmt: skip
    assert "已记录联合评审结论" in html(done) and "大数据中心、发展改革委" in html(done)


def test_withdraw_needs_a_reason(w: World) -> None:
    p = services.project_create(actor=w.applicant, data=w.data())
    c = client_of(w.applicant)
    bad = c.post(f"/projects/{p.pk}/withdraw/", {"version": p.version, "reason": ""})
    assert bad.status_code == 400 and "请填写撤回理由。" in html(bad)
    assert (
        c.post(f"/projects/{p.pk}/withdraw/", {"version": p.version, "reason": "重复申报"}).status_code == 302
    )
    assert Project.objects.get().state == ProjectState.WITHDRAWN


# --- the expert pool -------------------------------------------------------------------------------------


def test_expert_pool_add_and_take_out(w: World) -> None:
    c = client_of(w.authority)
    page = html(c.get("/projects/experts/"))
    assert "专家库" in page and "专家3" in page
    bad = c.post(
        "/projects/experts/", {"jurisdiction": "370300", "name": "", "employer": "", "specialties": ""}
    )
    assert bad.status_code == 400 and "请填写姓名。" in html(bad) and "请至少填写一个专业领域" in html(bad)
    nouser = c.post("/projects/experts/", {"jurisdiction": "370300", "name": "王工", "employer": "淄博职业学院",
                                           "specialties": "数据治理", "username": "nobody"})  # fmt: skip
    assert nouser.status_code == 400 and "账号“nobody”不存在" in html(nouser)
    ok = c.post("/projects/experts/", {"jurisdiction": "370300", "name": "王工", "employer": "淄博职业学院",
                                       "specialties": "数据治理、软件工程", "conflicts": [w.unit.pk]})  # fmt: skip
    assert ok.status_code == 302
    e = Expert.objects.get(name="王工")
    assert e.specialties == ["数据治理", "软件工程"] and list(e.conflicts.all()) == [w.unit]
    missing_reason = c.post(f"/projects/experts/{e.pk}/active/", {"active": "0", "reason": ""})
    assert missing_reason.status_code == 400 and "请填写理由。" in html(missing_reason)
    assert c.post(f"/projects/experts/{e.pk}/active/", {"active": "0", "reason": "退休"}).status_code == 302
    assert not Expert.objects.get(pk=e.pk).active
    assert client_of(w.applicant).get("/projects/experts/").status_code == 404


def test_applicant_does_not_see_who_scored_until_the_panel_is_done(w: World) -> None:
    p = w.submitted()
    drawn = draw(w, p)
    first = drawn[0]
    services.expert_score(actor=w.expert_actors[first.expert_id], assignment_id=first.pk, score=80,
                          conclusion="agree", opinion="同意")  # fmt: skip
    username = w.expert_actors[first.expert_id].username
    assert username not in html(client_of(w.applicant).get(f"/projects/{p.pk}/"))
    assert username in html(client_of(w.authority).get(f"/projects/{p.pk}/"))
    for a in drawn[1:]:
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=80,
                              conclusion="agree", opinion="同意")  # fmt: skip
    assert username in html(client_of(w.applicant).get(f"/projects/{p.pk}/"))


def test_a_panel_that_disagreed_is_returned_for_revision_through_the_page(w: World) -> None:
    p = w.submitted()
    for a in draw(w, p):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=40,
                              conclusion="disagree", opinion="技术路线不可行")  # fmt: skip
    auth = client_of(w.authority)
    assert "专家论证未通过：退回修改或不予立项" in html(auth.get("/projects/desk/"))
    p.refresh_from_db()
    refused = auth.post(f"/projects/{p.pk}/return/", {"version": p.version, "reason": " "})
    assert refused.status_code == 400 and "请填写退回理由。" in html(refused)
    done = auth.post(
        f"/projects/{p.pk}/return/", {"version": p.version, "reason": "请按专家意见修改"}, follow=True
    )
    assert "已退回项目单位修改" in html(done)
    p.refresh_from_db()
    assert p.state == ProjectState.DRAFT and p.route == "" and not p.draws.filter(current=True).exists()
    assert "退回修改" in html(client_of(w.applicant).get(f"/projects/{p.pk}/"))
