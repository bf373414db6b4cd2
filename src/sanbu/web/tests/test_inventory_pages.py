"""信息系统清单 pages through the Django test client: list and detail in scope (404 outside), the form's
Chinese errors in place, retiring, the xlsx import (dry run, then confirm; a bad file writes nothing),
the export that imports again unchanged, and the blank template."""

from __future__ import annotations

import base64
import io
import re
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from sanbu.core.testing import actor_of, make_user
from sanbu.exchange import services as exchange_services
from sanbu.exchange.tests.sharing import item_ids, published_resource
from sanbu.inventory import services
from sanbu.inventory.excel import COLUMNS, SHEET, template_workbook
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.inventory.services import SystemData

pytestmark = pytest.mark.django_db(databases="__all__")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def other_steward(other_dept: Any) -> Any:
    return make_user("other-steward", department=other_dept, roles=("steward",))


@pytest.fixture
def systems(steward_actor: Any, dept: Any) -> dict[str, InformationSystem]:
    """One docked system (provides a published, mounted resource) and one not docked."""
    resource = published_resource(dept, "户籍人口基本信息")
    docked = services.system_register(
        actor=steward_actor,
        data=SystemData(
            name="公安人口管理信息系统", purpose="户籍业务办理", network="private", dengbao_level=3,
            dengbao_test_date=date(2025, 1, 15), mipin_status="passed", xinchuang=True,
            xinchuang_note="麒麟操作系统", built_by_project="人口系统升级项目", provides=(resource.pk,),
        ),
    )  # fmt: skip
    undocked = services.system_register(
        actor=steward_actor, data=SystemData(name="智慧警务移动办公系统", status=SystemStatus.BUILDING)
    )
    return {"docked": docked, "undocked": undocked}


# --- navigation, list ------------------------------------------------------------------------------------


def test_nav_link_only_for_users_who_may_view_the_inventory(steward: Any, dept: Any) -> None:
    assert 'href="/inventory/"' in html(client_for(steward).get("/"))
    consumer = make_user("consumer-only", department=dept, roles=("consumer",))
    c = client_for(consumer)
    assert 'href="/inventory/"' not in html(c.get("/"))
    assert c.get("/inventory/").status_code == 404
    assert c.get("/inventory/export/").status_code == 404


def test_pages_require_login(client: Client, db: Any) -> None:
    for url in ("/inventory/", "/inventory/new/", "/inventory/import/", "/inventory/1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_list_shows_own_systems_with_derived_docking(
    steward: Any, other_steward: Any, systems: dict[str, InformationSystem]
) -> None:
    services.system_register(actor=actor_of(other_steward), data=SystemData(name="别的部门系统"))
    c = client_for(steward)
    page = html(c.get("/inventory/"))
    assert "公安人口管理信息系统" in page and "智慧警务移动办公系统" in page
    assert "别的部门系统" not in page
    assert "已对接" in page and "提供已发布资源：户籍人口基本信息" in page and "未对接" in page
    assert "共 <strong>2</strong> 个信息系统，已对接 <strong>1</strong>、未对接 <strong>1</strong>" in page
    assert 'name="department"' not in page.split('id="results"')[0]  # one department: no department filter

    undocked = html(c.get("/inventory/", {"docked": "no"}))
    assert "智慧警务移动办公系统" in undocked and "公安人口管理信息系统" not in undocked
    assert "公安人口管理信息系统" in html(c.get("/inventory/", {"docked": "yes"}))
    assert "智慧警务" not in html(c.get("/inventory/", {"status": "running"}))
    assert "智慧警务" not in html(c.get("/inventory/", {"network": "private"}))
    found = html(c.get("/inventory/", {"q": "户籍"}))
    assert "公安人口管理信息系统" in found and "智慧警务" not in found
    assert "没有符合条件的信息系统" in html(c.get("/inventory/", {"q": "不存在的系统"}))

    partial = c.get("/inventory/", {"docked": "no"}, headers={"HX-Request": "true"})
    assert "<html" not in html(partial) and "智慧警务移动办公系统" in html(partial)
    assert "HX-Request" in partial["Vary"]


def test_list_paginates(steward_actor: Any, steward: Any) -> None:
    for n in range(23):
        services.system_register(actor=steward_actor, data=SystemData(name=f"测试系统{n:02d}"))
    c = client_for(steward)
    first = html(c.get("/inventory/"))
    assert "共 <strong>23</strong> 个信息系统" in first and "下一页" in first
    assert "第 21–23 个" in html(c.get("/inventory/", {"page": 2}))


def test_authority_sees_the_jurisdiction_and_filters_by_department(
    authority: Any, other_steward: Any, other_dept: Any, systems: dict[str, InformationSystem]
) -> None:
    services.system_register(actor=actor_of(other_steward), data=SystemData(name="别的部门系统"))
    c = client_for(authority)
    page = html(c.get("/inventory/"))
    assert "公安人口管理信息系统" in page and "别的部门系统" in page
    assert 'id="f-dept"' in page and 'id="export-dept"' in page
    assert "登记信息系统" not in page  # the authority views, departments register
    only = html(c.get("/inventory/", {"department": other_dept.pk}))
    assert "别的部门系统" in only and "公安人口管理信息系统" not in only
    assert c.get("/inventory/new/").status_code == 404
    assert c.get("/inventory/import/").status_code == 404


# --- detail ----------------------------------------------------------------------------------------------


def test_detail_in_chinese_with_docking_explanation_and_history(
    steward: Any, authority: Any, dept: Any, systems: dict[str, InformationSystem]
) -> None:
    system = systems["docked"]
    resource = system.provides.get()
    page = html(client_for(steward).get(f"/inventory/{system.pk}/"))
    for text in (
        "所属部门", "系统状态", "运行", "部署网络", "专网", "部署在政务云", "等保级别", "第三级", "2025-01-15",
        "密评情况", "已通过", "使用安全可靠产品", "麒麟操作系统", "建设项目", "人口系统升级项目", "户籍业务办理",
    ):  # fmt: skip
        assert text in page, text
    assert f'href="/catalog/resources/{resource.pk}/"' in page and resource.code in page
    assert "已对接" in page and "提供已发布并已挂接的目录资源“户籍人口基本信息”" in page
    assert (
        "inventory.docking_window_days" in page and "90 天" in page and "SUP-1" in page
    )  # parameter, citation
    assert "变更记录" in page and "登记" in page and "steward" in page
    assert "修改" in page and "系统下线" in page

    auth_page = client_for(authority).get(f"/inventory/{system.pk}/")
    assert auth_page.status_code == 200
    assert "系统下线" not in html(auth_page) and f"/inventory/{system.pk}/edit/" not in html(auth_page)


def test_detail_lists_consumed_grants_and_gateway_docking(
    steward: Any, steward_actor: Any, other_dept: Any, systems: dict[str, InformationSystem]
) -> None:
    system = systems["undocked"]
    provider = published_resource(other_dept, "市场主体登记信息", share_type="unconditional")
    app = exchange_services.app_register(actor=steward_actor, name="移动核查", system_name=system.name)
    today = timezone.localdate()
    exchange_services.request_submit(
        actor=steward_actor, app_id=app.pk, resource_id=provider.pk, item_ids=item_ids(provider, "姓名"),
        purpose="执法核查", legal_basis="《政务数据共享条例》", period_start=today,
        period_end=today + timedelta(days=30),
    )  # fmt: skip
    c = client_for(steward)
    page = html(c.get(f"/inventory/{system.pk}/"))
    assert "使用的共享资源（授权）" in page and "市场主体登记信息" in page and "移动核查" in page
    assert "有效" in page and f'href="/catalog/resources/{provider.pk}/"' in page
    assert "未对接" in page and "两项事实均不满足" in page  # a grant alone is not a gateway call

    from sanbu.exchange.models import UsageDay

    UsageDay.objects.create(resource_id=provider.pk, app=app, day=today, calls=4)
    page = html(c.get(f"/inventory/{system.pk}/"))
    assert "近 90 天调用网关 4 次" in page and "应用调用网关" in page


def test_other_departments_system_is_404(other_steward: Any, systems: dict[str, InformationSystem]) -> None:
    c = client_for(other_steward)
    pk = systems["docked"].pk
    for url in (f"/inventory/{pk}/", f"/inventory/{pk}/edit/"):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/inventory/{pk}/retire/", {"confirm": "1"}).status_code == 404
    assert c.get("/inventory/999999/").status_code == 404
    assert InformationSystem.objects.get(pk=pk).status == SystemStatus.RUNNING


def test_user_text_is_escaped(steward_actor: Any, steward: Any) -> None:
    system = services.system_register(actor=steward_actor, data=SystemData(name="<script>alert(1)</script>"))
    c = client_for(steward)
    for url in ("/inventory/", f"/inventory/{system.pk}/"):
        page = html(c.get(url))
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# --- register, edit, retire ------------------------------------------------------------------------------


def _form(**over: Any) -> dict[str, Any]:
    data = {
        "name": "综合受理系统", "purpose": "窗口受理", "status": "running", "network": "extranet",
        "dengbao_level": "2", "dengbao_test_date": "2024-06-01", "mipin_status": "not_started",
        "xinchuang_note": "", "built_by_project": "",
    }  # fmt: skip
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_form_errors_in_chinese_in_place(steward: Any, systems: dict[str, InformationSystem]) -> None:
    c = client_for(steward)
    assert "登记信息系统" in html(c.get("/inventory/new/"))
    response = c.post(
        "/inventory/new/",
        _form(name="", dengbao_level="0", dengbao_test_date="2024-06-01", xinchuang_note="国产数据库"),
    )
    page = html(response)
    assert response.status_code == 400
    assert "请填写信息系统名称。" in page
    assert "未定级的系统不应填写等保测评日期。" in page
    assert "未使用安全可靠产品时不应填写产品说明。" in page
    assert "填写有误" in page and 'class="field has-error' in page
    assert 'value="窗口受理"' not in page and "窗口受理</textarea>" in page  # what was typed stays

    page = html(c.post("/inventory/new/", _form(dengbao_test_date="2024-13-40")))
    assert "等保测评日期格式应为 YYYY-MM-DD。" in page
    page = html(c.post("/inventory/new/", _form(status="")))
    assert "请选择系统状态。" in page
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "等保测评日期不能晚于今天。" in html(c.post("/inventory/new/", _form(dengbao_test_date=tomorrow)))
    page = html(c.post("/inventory/new/", _form(name="公安人口管理信息系统")))
    assert "已登记名为“公安人口管理信息系统”的信息系统" in page
    assert InformationSystem.objects.count() == 2


def test_register_edit_and_retire_through_the_pages(
    steward: Any, dept: Any, systems: dict[str, InformationSystem]
) -> None:
    c = client_for(steward)
    resource = systems["docked"].provides.get()
    page = html(c.get("/inventory/new/"))
    assert "户籍人口基本信息" in page  # the department's resources to tick
    response = c.post("/inventory/new/", {**_form(), "provides": [str(resource.pk)], "on_gov_cloud": "on"})
    assert response.status_code == 302
    system = InformationSystem.objects.get(name="综合受理系统")
    assert response["Location"] == f"/inventory/{system.pk}/"
    assert system.on_gov_cloud and list(system.provides.all()) == [resource]
    assert "已登记信息系统“综合受理系统”" in html(c.get(response["Location"]))

    edit = f"/inventory/{system.pk}/edit/"
    page = html(c.get(edit))
    assert 'value="综合受理系统"' in page and f'name="version" value="{system.version}"' in page
    response = c.post(edit, {**_form(network="internet"), "version": system.version})
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.network == "internet" and system.version == 2 and not system.provides.exists()
    stale = c.post(edit, {**_form(purpose="再改"), "version": 1})
    assert stale.status_code == 409 and "已被他人修改" in html(stale)

    detail = html(c.get(f"/inventory/{system.pk}/"))
    assert "修改了：" in detail and "部署网络" in detail

    retire = f"/inventory/{system.pk}/retire/"
    unconfirmed = c.post(retire, {"version": system.version, "reason": "业务调整"})
    assert unconfirmed.status_code == 400 and "请勾选确认" in html(unconfirmed)
    response = c.post(
        retire, {"version": system.version, "reason": "业务已并入政务服务一体化平台", "confirm": "1"}
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.status == SystemStatus.RETIRED
    page = html(c.get(f"/inventory/{system.pk}/"))
    assert "下线" in page and "原因：业务已并入政务服务一体化平台" in page and "系统下线" not in page
    again = c.post(retire, {"version": system.version, "confirm": "1"})
    assert again.status_code == 409 and "已下线" in html(again)


# --- import, export, template ----------------------------------------------------------------------------


def _row(dept: Any, name: str, **over: Any) -> list[Any]:
    values: dict[str, Any] = {
        "name": name, "department_name": dept.name, "uscc": dept.uscc, "purpose": "业务办理",
        "status": "运行", "network": "政务外网", "on_gov_cloud": "是", "dengbao_level": "第二级",
        "dengbao_test_date": "2024-05-06", "mipin_status": "未开展", "xinchuang": "否", "xinchuang_note": "",
        "built_by_project": "", "provides": "",
    }  # fmt: skip
    values.update(over)
    return [values[c.field] for c in COLUMNS]


def _workbook(*rows: list[Any]) -> io.BytesIO:
    wb = template_workbook()
    for row in rows:
        wb[SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "清单.xlsx"
    return out


def test_import_dry_run_then_confirm(steward: Any, dept: Any, systems: dict[str, InformationSystem]) -> None:
    c = client_for(steward)
    assert "上传清单" in html(c.get("/inventory/import/"))
    upload = _workbook(
        _row(dept, "视频会议系统"),
        _row(dept, "公安人口管理信息系统", purpose="户籍与身份证业务", network="专网"),
    )
    response = c.post("/inventory/import/", {"file": upload, "mode": "validate"})
    page = html(response)
    assert response.status_code == 200, page
    assert "校验通过" in page and "将新建 1、将更新 1" in page
    assert "信息系统!2" in page and "将新建" in page and "信息系统!3" in page and "将更新" in page
    assert 'id="confirm-form"' in page
    assert not InformationSystem.objects.filter(name="视频会议系统").exists()  # a dry run writes nothing

    fields = dict(re.findall(r'<input type="hidden" name="(payload|token|file_name)" value="([^"]*)"', page))
    response = c.post("/inventory/import/", {"mode": "confirm", **fields})
    page = html(response)
    assert response.status_code == 200 and "导入完成" in page and "新建 1、更新 1" in page
    assert InformationSystem.objects.get(name="视频会议系统").dengbao_level == 2
    assert InformationSystem.objects.get(name="公安人口管理信息系统").purpose == "户籍与身份证业务"

    again = html(
        c.post("/inventory/import/", {"mode": "confirm", **fields})
    )  # the same file again: no change
    assert "新建 0、更新 0、未变 2" in again


def test_import_confirm_refuses_another_file_or_user(
    steward: Any, other_steward: Any, dept: Any, systems: dict[str, InformationSystem]
) -> None:
    c = client_for(steward)
    page = html(
        c.post("/inventory/import/", {"file": _workbook(_row(dept, "视频会议系统")), "mode": "validate"})
    )
    fields = dict(re.findall(r'<input type="hidden" name="(payload|token|file_name)" value="([^"]*)"', page))
    other = _workbook(_row(dept, "被替换的系统")).getvalue()
    swapped = {**fields, "payload": base64.b64encode(other).decode()}
    response = c.post("/inventory/import/", {"mode": "confirm", **swapped})
    assert response.status_code == 400 and "确认已过期或文件与校验时不一致" in html(response)
    response = client_for(other_steward).post("/inventory/import/", {"mode": "confirm", **fields})
    assert response.status_code == 400
    assert not InformationSystem.objects.filter(name__in=["视频会议系统", "被替换的系统"]).exists()


def test_bad_workbook_lists_row_errors_and_writes_nothing(
    steward: Any, dept: Any, other_dept: Any, systems: dict[str, InformationSystem]
) -> None:
    c = client_for(steward)
    upload = _workbook(
        _row(dept, "好系统"),
        _row(dept, "坏状态", status="试运行"),
        _row(dept, "坏日期", dengbao_test_date="2024-13-01"),
        _row(dept, "坏部门", uscc=other_dept.uscc),
        _row(dept, "好系统"),
    )
    response = c.post(
        "/inventory/import/", {"file": upload, "mode": "validate"}, headers={"HX-Request": "true"}
    )
    page = html(response)
    assert response.status_code == 400 and "<html" not in page
    assert "未导入任何数据" in page and 'id="confirm-form"' not in page
    for where, column, message, fix in (
        ("信息系统!3", "系统状态", "“试运行”不是可选值", "从列表中选择"),
        ("信息系统!4", "等保测评日期", "不是有效日期", "按 YYYY-MM-DD 填写日期"),
        ("信息系统!5", "部门统一社会信用代码", "您无权为", "只能导入本部门的信息系统"),
        ("信息系统!6", "信息系统名称", "与第 2 行重复", "删除重复的行"),
    ):
        assert where in page and column in page and message in page and fix in page, where
    assert "怎么改" in page
    assert not InformationSystem.objects.filter(name="好系统").exists()
    unreadable = io.BytesIO(b"not a workbook")
    unreadable.name = "x.xlsx"
    page = html(c.post("/inventory/import/", {"file": unreadable, "mode": "validate"}))
    assert "不是可读取的 .xlsx 工作簿" in page and "另存为 .xlsx" in page
    assert c.post("/inventory/import/", {"mode": "validate"}).status_code == 400


def test_export_downloads_a_workbook_that_imports_unchanged(
    steward: Any, authority: Any, dept: Any, systems: dict[str, InformationSystem]
) -> None:
    c = client_for(steward)
    response = c.get("/inventory/export/")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"] and response["X-Sanbu-Systems"] == "2"
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(wb[SHEET].iter_rows(values_only=True))
    assert rows[0][0] == "信息系统名称*" and {r[0] for r in rows[1:]} == {
        "公安人口管理信息系统", "智慧警务移动办公系统",
    }  # fmt: skip
    upload = io.BytesIO(response.content)
    upload.name = "导出.xlsx"
    page = html(c.post("/inventory/import/", {"file": upload, "mode": "validate"}))
    assert "校验通过" in page and "将新建 0、将更新 0、未变 2" in page and 'id="confirm-form"' not in page
    assert "没有需要导入的变化" in page

    a = client_for(authority)
    assert a.get("/inventory/export/", {"department": dept.pk})["X-Sanbu-Systems"] == "2"
    assert a.get("/inventory/export/").status_code == 302  # no department chosen
    assert a.get("/inventory/export/", {"department": 999999}).status_code == 404


def test_template_download(steward: Any) -> None:
    response = client_for(steward).get("/inventory/template/")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    header = next(wb[SHEET].iter_rows(values_only=True))
    assert list(header) == [c.title for c in COLUMNS]
    assert wb[SHEET].max_row == 1


def test_superuser_chooses_the_department(db: Any, dept: Any, other_dept: Any) -> None:
    admin = make_user("root", superuser=True)
    c = client_for(admin)
    page = html(c.get("/inventory/new/"))
    assert 'name="department"' in page and "请选择部门" in page
    response = c.post("/inventory/new/", _form(department=""))
    assert response.status_code == 400 and "请选择所属部门。" in html(response)
    response = c.post("/inventory/new/", _form(department=str(other_dept.pk)))
    assert response.status_code == 302
    assert InformationSystem.objects.get(name="综合受理系统").department == other_dept
