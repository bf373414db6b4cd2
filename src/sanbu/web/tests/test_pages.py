"""The zh-hans pages through the Django test client: each page for the right role, errors in place,
404 out of scope, login required, and user text always escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sanbu.catalog import services
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import DataElement, ElementConflict, Resource, ResourceItem, ResourceState
from sanbu.core.testing import PASSWORD, actor_of, make_department, make_user

from .support import person_items, person_rows_csv, resource_row, workbook_bytes

pytestmark = pytest.mark.django_db(databases="__all__")


def register(actor: Any, name: str = "流动人口居住登记信息", **kw: Any) -> Resource:
    data = ResourceInput(
        name=name, catalog_class="3", subclass="人口", summary=kw.pop("summary", "流动人口的居住登记记录。"),
        format="database", share_type=kw.pop("share_type", "unconditional"), share_method="api",
        update_cycle="daily",
        items=kw.pop("items", None) or [
            ItemInput(name="公民身份号码", data_type="C", length=18, element="公民身份号码", is_key=True, masking="id_number"),
            ItemInput(name="姓名", data_type="C", length=50, element="姓名", masking="name"),
            ItemInput(name="居住地址", data_type="C", length=200, element="现住址"),
            ItemInput(name="登记日期", data_type="D"),
        ],
        **kw,
    )  # fmt: skip
    return services.resource_register(actor=actor, data=data)


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def resource(steward_actor: Any) -> Resource:
    return register(steward_actor)


# --- login, logout, language, dashboard -------------------------------------------------------------


def test_login_page_is_chinese_and_shows_no_accounts(client: Client, db: Any) -> None:
    page = html(client.get("/login/"))
    assert "用户名" in page and "密码" in page and "登录" in page
    for leak in ("demo", "演示账号", "DATABASE_URL", "SECRET", "sanbu-test-pass"):
        assert leak not in page


def test_login_with_wrong_password_says_so_in_chinese(client: Client, steward: Any) -> None:
    response = client.post("/login/", {"username": "steward", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in html(response)


def test_login_then_logout(client: Client, steward: Any) -> None:
    response = client.post("/login/", {"username": "steward", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "本部门资源" in html(client.get("/"))
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/", "/catalog/", "/catalog/resources/new/", "/catalog/import/", "/catalog/review/", "/catalog/elements/",
     "/catalog/elements/conflicts/", "/catalog/resources/1/", "/catalog/export/"],
)  # fmt: skip
def test_pages_require_login(client: Client, db: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_language_switch_to_english_and_back(steward: Any) -> None:
    c = client_for(steward)
    assert "目录检索" in html(c.get("/"))
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = html(c.get("/"))
    assert 'lang="en"' in page and "Catalog" in page
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "目录检索" in html(c.get("/"))


def test_steward_dashboard_shows_my_resources_by_state(steward: Any, resource: Resource) -> None:
    page = html(client_for(steward).get("/"))
    assert "本部门资源" in page and "待提交审核" in page and resource.name in page
    assert "登记资源" in page and "导入目录" in page
    assert "审核队列" not in page  # no review action for a steward


def test_authority_dashboard_shows_queue_and_conflicts(
    authority: Any, steward_actor: Any, resource: Resource
) -> None:
    services.resource_submit(actor=steward_actor, resource_id=resource.pk, expected_version=resource.version)
    page = html(client_for(authority).get("/"))
    assert "待审核资源" in page and "一数一源冲突" in page and resource.name in page
    assert '<span class="count">1</span>' in page  # the nav badge of the review queue


def test_user_without_role_sees_an_explanation(db: Any) -> None:
    user = make_user("norole")
    page = html(client_for(user).get("/"))
    assert "尚未分配角色" in page


# --- browse and search ------------------------------------------------------------------------------


def test_search_finds_a_word_inside_an_unspaced_title_and_highlights_it(
    authority: Any, steward_actor: Any, resource: Resource
) -> None:
    page = html(client_for(authority).get("/catalog/", {"q": "居住"}))
    assert "流动人口<mark>居住</mark>登记信息" in page
    assert "共找到" in page


def test_search_htmx_returns_only_the_results(authority: Any, resource: Resource) -> None:
    response = client_for(authority).get("/catalog/", {"q": "居住"}, headers={"HX-Request": "true"})
    body = html(response)
    assert "<html" not in body and "流动人口" in body
    assert "HX-Request" in response["Vary"]


def test_search_filters_and_empty_state(authority: Any, resource: Resource) -> None:
    c = client_for(authority)
    assert resource.name in html(c.get("/catalog/", {"state": "draft", "share_type": "unconditional"}))
    page = html(c.get("/catalog/", {"state": "published"}))
    assert resource.name not in page and "没有找到符合条件的信息资源" in page
    page = html(c.get("/catalog/"))
    for label in ("资源分类", "提供方", "共享类型", "行政区划", "状态"):
        assert label in page


def test_search_paginates(steward_actor: Any, steward: Any) -> None:
    for n in range(23):
        register(steward_actor, name=f"测试资源{n:02d}号", items=[ItemInput(name="名称", data_type="C")])
    c = client_for(steward)
    first = html(c.get("/catalog/"))
    assert "共找到 <strong>23</strong> 条" in first and "下一页" in first
    second = html(c.get("/catalog/", {"page": 2}))
    assert "第 21–23 条" in second


# --- detail, workflow, errors in place -----------------------------------------------------------------


def test_detail_shows_items_elements_masking_and_submit(steward: Any, resource: Resource) -> None:
    page = html(client_for(steward).get(f"/catalog/resources/{resource.pk}/"))
    assert resource.code in page and "已注册（草稿）" in page
    assert "公民身份号码" in page and "身份证号" in page  # element link and masking rule
    assert (
        reverse("element-detail", args=[ResourceItem.objects.get(resource=resource, name="姓名").element_id])
        in page
    )
    assert "提交审核" in page and f'name="version" value="{resource.version}"' in page


def test_out_of_scope_resource_is_404(resource: Resource, other_dept: Any) -> None:
    other = make_user("other-steward", department=other_dept, roles=("steward",))
    c = client_for(other)
    response = c.get(f"/catalog/resources/{resource.pk}/")
    assert response.status_code == 404
    assert "对象不存在或您无权访问" in html(response)
    assert (
        c.post(f"/catalog/resources/{resource.pk}/submit/", {"version": resource.version}).status_code == 404
    )
    assert c.get("/catalog/resources/999999/").status_code == 404


def test_whole_workflow_through_the_pages(steward: Any, authority: Any, resource: Resource) -> None:
    s, a = client_for(steward), client_for(authority)
    url = f"/catalog/resources/{resource.pk}/"
    r = s.post(url + "submit/", {"version": resource.version}, follow=True)
    assert "已提交审核" in html(r) and "待审核" in html(r)
    resource.refresh_from_db()
    page = html(a.get(url))
    assert "审核通过" in page and "退回" in page
    a.post(url + "approve/", {"version": resource.version})
    resource.refresh_from_db()
    assert resource.state == ResourceState.APPROVED
    page = html(a.get(url))
    assert "挂接数据" in page and "登记接口" in page and "CAT-4" in page

    # a bad row: nothing mounted, the row error is shown as a table
    bad = person_rows_csv(4, bad_row=2)
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = a.post(
        url + "mount-rows/", {"version": resource.version, "file": SimpleUploadedFile("rows.csv", bad)}
    )
    assert r.status_code == 400
    page = html(r)
    assert "数据校验错误" in page and "CSV!4" in page and "公民身份号码" in page
    resource.refresh_from_db()
    assert resource.state == ResourceState.APPROVED

    good = SimpleUploadedFile("rows.csv", person_rows_csv(6))
    r = a.post(url + "mount-rows/", {"version": resource.version, "file": good}, follow=True)
    assert "已挂接数据 6 行" in html(r)
    resource.refresh_from_db()
    assert resource.state == ResourceState.MOUNTED
    r = a.post(url + "publish/", {"version": resource.version}, follow=True)
    assert "已发布（版本 v1）" in html(r) and "v1" in html(r)

    # a second published version, then the diff
    resource.refresh_from_db()
    s.post(url + "offline/", {"version": resource.version, "reason": "数据结构调整"})
    resource.refresh_from_db()
    assert resource.state == ResourceState.OFFLINE
    s.post(url + "publish/", {"version": resource.version})
    diff = html(s.get(url + "versions/", {"from": 1, "to": 2}))
    assert "版本比较" in diff and ("两个版本内容相同" in diff or "字段变化" in diff)


def test_publish_blocked_shows_rule_id_reason_remedy_and_source(
    authority: Any, steward_actor: Any, resource: Resource
) -> None:
    services.resource_submit(actor=steward_actor, resource_id=resource.pk, expected_version=resource.version)
    resource.refresh_from_db()
    services.resource_review(actor=actor_of(authority), resource_id=resource.pk, expected_version=resource.version,
                             approve=True)  # fmt: skip
    resource.refresh_from_db()
    r = client_for(authority).post(
        f"/catalog/resources/{resource.pk}/publish/", {"version": resource.version}
    )
    assert r.status_code == 422
    page = html(r)
    assert "CAT-4" in page and "资源尚未挂接数据或接口" in page and "mounted = False" in page
    assert "先上传数据" in page and "依据" in page


def test_reject_without_reason_shows_the_field_error(
    authority: Any, steward_actor: Any, resource: Resource
) -> None:
    services.resource_submit(actor=steward_actor, resource_id=resource.pk, expected_version=resource.version)
    resource.refresh_from_db()
    r = client_for(authority).post(f"/catalog/resources/{resource.pk}/reject/", {"version": resource.version})
    assert r.status_code == 400
    assert "请填写退回理由。" in html(r)


def test_two_reviewers_at_once_one_gets_a_conflict(
    authority: Any, steward_actor: Any, resource: Resource
) -> None:
    bureau_user = make_user("authority2", department=authority.profile.department, roles=("authority",))
    services.resource_submit(actor=steward_actor, resource_id=resource.pk, expected_version=resource.version)
    resource.refresh_from_db()
    first, second = client_for(authority), client_for(bureau_user)
    assert resource.name in html(first.get("/catalog/review/"))
    assert resource.name in html(second.get("/catalog/review/"))
    ok = first.post(f"/catalog/review/{resource.pk}/", {"version": resource.version, "decision": "approve"})
    assert ok.status_code == 302
    late = second.post(
        f"/catalog/review/{resource.pk}/",
        {"version": resource.version, "decision": "reject", "note": "信息项不全"},
    )
    assert late.status_code == 409
    assert "已被他人修改，请刷新" in html(late)
    # the htmx variant answers the row alone, with the same message
    late = second.post(
        f"/catalog/review/{resource.pk}/", {"version": resource.version, "decision": "approve"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert late.status_code == 409 and "<html" not in html(late) and "已被他人修改" in html(late)


def test_review_queue_row_by_htmx(authority: Any, steward_actor: Any, resource: Resource) -> None:
    services.resource_submit(actor=steward_actor, resource_id=resource.pk, expected_version=resource.version)
    resource.refresh_from_db()
    r = client_for(authority).post(
        f"/catalog/review/{resource.pk}/", {"version": resource.version, "decision": "reject", "note": "请补充摘要"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert r.status_code == 200 and "已退回" in html(r)
    resource.refresh_from_db()
    assert resource.state == ResourceState.REJECTED and resource.review_note == "请补充摘要"


def test_review_queue_is_the_authoritys(steward: Any) -> None:
    assert client_for(steward).get("/catalog/review/").status_code == 404


# --- register by form ----------------------------------------------------------------------------------


def _form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "居民婚姻登记信息", "code": "", "catalog_class": "3", "subclass": "人口", "summary": "婚姻登记记录",
        "format": "database", "share_type": "unconditional", "share_condition": "", "no_share_basis": "",
        "share_method": "api", "open_condition": "", "update_cycle": "daily", "release_date": "",
        "secrecy": "non_secret", "data_grade": "general", "source_system": "", "related_codes": "",
        "items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000",
        "items-0-name": "公民身份号码", "items-0-element": "公民身份号码", "items-0-data_type": "C",
        "items-0-length": "18", "items-0-is_key": "on", "items-0-share_type": "", "items-0-masking": "id_number",
        "items-1-name": "", "items-1-data_type": "C", "items-1-masking": "none",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_register_form_renders_for_a_steward(steward: Any) -> None:
    page = html(client_for(steward).get("/catalog/resources/new/"))
    assert "登记信息资源" in page and "信息项" in page and "添加信息项" in page
    assert 'id="items-empty"' in page and "element-options" in page


def test_register_form_creates_and_redirects(steward: Any) -> None:
    r = client_for(steward).post("/catalog/resources/new/", _form_data())
    assert r.status_code == 302
    created = Resource.objects.get(name="居民婚姻登记信息")
    assert r["Location"] == f"/catalog/resources/{created.pk}/"
    assert list(created.items.values_list("name", flat=True)) == ["公民身份号码"]


def test_register_form_errors_are_chinese_and_next_to_fields(steward: Any) -> None:
    data = _form_data(
        name="", share_type="conditional", **{"items-0-element": "不存在的数据元", "items-0-length": "x"}
    )
    r = client_for(steward).post("/catalog/resources/new/", data)
    assert r.status_code == 400
    page = html(r)
    assert "数据长度应为正整数。" in page  # the form's own type check, first
    r = client_for(steward).post(
        "/catalog/resources/new/",
        _form_data(name="", share_type="conditional", **{"items-0-element": "不存在的数据元"}),
    )
    page = html(r)
    assert "信息资源名称为必填项。" in page
    assert "有条件共享的资源未填写共享条件（CAT-5，依据：002 篇三 第十一条（赣府厅发〔2023〕12号））。填写具体的共享条件（如：仅限办理社保业务的部门使用）" in page
    assert "引用数据元“不存在的数据元”不在数据元标准中" in page
    assert page.count('class="field has-error') >= 2
    assert not Resource.objects.exists()


def test_edit_with_a_stale_revision_is_a_conflict(steward: Any, resource: Resource) -> None:
    c = client_for(steward)
    assert "修改信息资源" in html(c.get(f"/catalog/resources/{resource.pk}/edit/"))
    data = _form_data(name=resource.name, version=str(resource.version - 1) if resource.version > 1 else "99")
    r = c.post(f"/catalog/resources/{resource.pk}/edit/", data)
    assert r.status_code == 409 and "已被他人修改" in html(r)


# --- XSS --------------------------------------------------------------------------------------------------


def test_user_text_is_escaped_everywhere(steward: Any, steward_actor: Any, authority: Any) -> None:
    evil = register(
        steward_actor, name="<script>alert(1)</script>", summary="<img src=x onerror=alert(2)>",
        items=[ItemInput(name="<b>项</b>", data_type="C")],
    )  # fmt: skip
    services.resource_submit(actor=steward_actor, resource_id=evil.pk, expected_version=evil.version)
    pages = [
        client_for(steward).get(f"/catalog/resources/{evil.pk}/"),
        client_for(steward).get("/catalog/", {"q": "script"}),
        client_for(steward).get("/catalog/", {"q": "<script>"}),
        client_for(steward).get("/"),
        client_for(authority).get("/catalog/review/"),
        client_for(authority).get("/"),
    ]
    for response in pages:
        page = html(response)
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page and "<b>项</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html(pages[0])
    assert "&lt;<mark>script</mark>&gt;alert(1)" in html(pages[1])


# --- import and export ---------------------------------------------------------------------------------------


def test_import_page_shows_row_errors_then_imports(steward: Any, dept: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(steward)
    assert "导入目录" in html(c.get("/catalog/import/"))
    name = "流动人口居住登记信息"
    bad = workbook_bytes([resource_row(dept, name, share_condition="")], person_items(name))
    r = c.post("/catalog/import/", {"mode": "import", "file": SimpleUploadedFile("catalog.xlsx", bad)})
    assert r.status_code == 400
    page = html(r)
    assert "未导入任何数据" in page and "资源!2" in page and "共享条件" in page
    assert "<th>位置</th><th>列</th><th>问题</th>" in page
    assert not Resource.objects.filter(name=name).exists()

    good = workbook_bytes([resource_row(dept, name)], person_items(name))
    r = c.post("/catalog/import/", {"mode": "validate", "file": SimpleUploadedFile("catalog.xlsx", good)},
               headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 200 and "校验通过" in html(r) and "<html" not in html(r)
    assert not Resource.objects.filter(name=name).exists()
    r = c.post("/catalog/import/", {"mode": "import", "file": SimpleUploadedFile("catalog.xlsx", good)})
    assert "导入完成" in html(r) and name in html(r)
    assert Resource.objects.get(name=name).items.count() == 4


def test_import_without_a_file(steward: Any) -> None:
    r = client_for(steward).post("/catalog/import/", {"mode": "import"})
    assert r.status_code == 400 and "请选择要导入的目录文件" in html(r)


def test_export_downloads_my_departments_workbook(steward: Any, resource: Resource) -> None:
    r = client_for(steward).get("/catalog/export/")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]
    assert r.content[:2] == b"PK"
    template = client_for(steward).get("/catalog/import/template/")
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_import_is_not_for_consumers(db: Any) -> None:
    consumer = make_user("consumer", department=make_department(), roles=("consumer",))
    c = client_for(consumer)
    assert c.get("/catalog/import/").status_code == 404
    assert c.get("/catalog/resources/new/").status_code == 404
    assert "导入导出" not in html(c.get("/"))


# --- elements, conflicts, duplicates, links -------------------------------------------------------------------


def test_element_list_and_search(steward: Any) -> None:
    c = client_for(steward)
    page = html(c.get("/catalog/elements/"))
    assert "数据元标准" in page and "公民身份号码" in page and "权威来源部门" in page
    page = html(c.get("/catalog/elements/", {"q": "身份"}))
    assert "<mark>身份</mark>" in page and "市场主体名称" not in page


def test_element_detail_lists_items(steward: Any, resource: Resource) -> None:
    item = ResourceItem.objects.get(resource=resource, name="公民身份号码")
    page = html(client_for(steward).get(f"/catalog/elements/{item.element_id}/"))
    assert resource.name in page and "DE00001" in page


def test_conflict_resolve_form(authority: Any, steward_actor: Any, other_dept: Any) -> None:
    register(steward_actor, name="人口基本信息", items=[
        ItemInput(name="公民身份号码", data_type="C", element="公民身份号码", is_key=True, is_authoritative=True)])  # fmt: skip
    other = make_user("other-steward", department=other_dept, roles=("steward",))
    register(actor_of(other), name="市场主体人员信息", items=[
        ItemInput(name="公民身份号码", data_type="C", element="公民身份号码", is_authoritative=True)])  # fmt: skip
    conflict = ElementConflict.objects.get()
    c = client_for(authority)
    page = html(c.get("/catalog/elements/conflicts/"))
    assert "确定唯一权威来源" in page and other_dept.name in page
    r = c.post(
        f"/catalog/elements/conflicts/{conflict.pk}/resolve/", {"winner": conflict.incumbent_id, "note": ""}
    )
    assert r.status_code == 400 and "请填写处理意见。" in html(r)
    r = c.post(f"/catalog/elements/conflicts/{conflict.pk}/resolve/",
               {"winner": conflict.incumbent_id, "note": "公安部门为法定采集部门"}, follow=True)  # fmt: skip
    assert "已确定" in html(r)
    conflict.refresh_from_db()
    assert conflict.state == "resolved"
    # a steward may look but not resolve
    assert "确定唯一权威来源" not in html(client_for(other).get("/catalog/elements/conflicts/"))


def test_duplicates_and_link_suggestions(
    authority: Any, steward_actor: Any, other_dept: Any, steward: Any
) -> None:
    source = register(steward_actor, name="人口基本信息", items=[
        ItemInput(name="公民身份号码", data_type="C", element="公民身份号码", is_key=True),
        ItemInput(name="姓名", data_type="C", element="姓名", is_authoritative=True)])  # fmt: skip
    from sanbu.core.actor import SYSTEM

    services.resource_submit(actor=SYSTEM, resource_id=source.pk, expected_version=None)
    services.resource_review(actor=SYSTEM, resource_id=source.pk, expected_version=None, approve=True)
    services.resource_mount_interface(actor=SYSTEM, resource_id=source.pk, expected_version=None,
                                      url="https://data.zibo.gov.cn/api/rk")  # fmt: skip
    services.resource_publish(actor=SYSTEM, resource_id=source.pk, expected_version=None)
    other = make_user("other-steward", department=other_dept, roles=("steward",))
    register(actor_of(other), name="个体户登记信息", items=[
        ItemInput(name="经营者姓名", data_type="C", element="姓名"),
        ItemInput(name="移动电话", data_type="C")])  # fmt: skip
    c = client_for(authority)
    page = html(c.get("/catalog/elements/duplicates/"))
    assert "个体户登记信息" in page and "人口基本信息" in page and "经营者姓名" in page
    page = html(c.get("/catalog/elements/links/"))
    assert "移动电话" in page and "移动电话号码" in page
    item = ResourceItem.objects.get(name="移动电话")
    other_client = client_for(other)
    suggestions = html(other_client.get("/catalog/elements/links/"))
    assert "移动电话" in suggestions and "关联" in suggestions
    element_id = DataElement.objects.get(name="移动电话号码").pk
    r = other_client.post(f"/catalog/items/{item.pk}/link/", {"element": element_id}, follow=True)
    assert "已将信息项“移动电话”关联到数据元“移动电话号码”" in html(r)
    item.refresh_from_db()
    assert item.element_id == element_id
    # the steward of the first department cannot link another department's item
    assert (
        client_for(steward).post(f"/catalog/items/{item.pk}/link/", {"element": element_id}).status_code
        == 404
    )


def test_register_interface_with_errors_next_to_the_field(
    authority: Any, steward: Any, steward_actor: Any, resource: Resource
) -> None:
    services.resource_submit(actor=steward_actor, resource_id=resource.pk, expected_version=resource.version)
    resource.refresh_from_db()
    services.resource_review(
        actor=actor_of(authority), resource_id=resource.pk, expected_version=resource.version, approve=True
    )
    resource.refresh_from_db()
    c = client_for(steward)
    url = f"/catalog/resources/{resource.pk}/mount-interface/"
    r = c.post(url, {"version": resource.version, "url": "not a url", "method": "GET"})
    assert r.status_code == 400
    page = html(r)
    assert "接口地址应为完整的 http(s) 地址" in page and 'value="not a url"' in page
    r = c.post(
        url,
        {"version": resource.version, "url": "https://data.zibo.gov.cn/api/persons", "method": "GET",
         "params": "idno：公民身份号码\npage：页码"},
        follow=True,
    )  # fmt: skip
    page = html(r)
    assert "已登记服务接口" in page and "https://data.zibo.gov.cn/api/persons" in page and "idno" in page
    resource.refresh_from_db()
    assert resource.state == ResourceState.MOUNTED
