"""The generic permission suite over every API operation (NetBox APIViewTestCases, Zulip's URL coverage).

Every operation in the OpenAPI document has a Case. Each case is run four ways: anonymous (401), a
logged-in user without any role (403), the role that may do it on an object in its scope (success), and
the same role on an object outside its scope (404, or absent from a list). A new endpoint without a
case fails ``test_every_operation_has_a_case``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sanbu.catalog import services
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import DataElement, ElementConflict, Resource
from sanbu.core.actor import SYSTEM
from sanbu.core.identifiers import make_citizen_id, make_uscc
from sanbu.core.testing import make_department, make_user, rolled_back
from sanbu.exchange import services as exchange_services
from sanbu.exchange.models import Grant, ShareRequest
from sanbu.exchange.tests.sharing import item_ids, published_resource

pytestmark = pytest.mark.django_db(databases="__all__")


def resource_input(name: str, **over: Any) -> ResourceInput:
    data = dict(
        name=name, catalog_class="3", subclass="业务数据", summary=f"{name}的摘要", format="database",
        share_type="unconditional", share_method="api", update_cycle="daily",
        items=[
            ItemInput(name="公民身份号码", data_type="C", length=18, element="公民身份号码", is_key=True),
            ItemInput(name="姓名", data_type="C", length=50, element="姓名", masking="name"),
            ItemInput(name="统一社会信用代码", data_type="C", length=18, element="统一社会信用代码"),
        ],
    )  # fmt: skip
    data.update(over)
    return ResourceInput(**data)  # type: ignore[arg-type]


def rows_csv(n: int = 3) -> bytes:
    lines = ["公民身份号码,姓名"]
    for i in range(n):
        lines.append(f"{make_citizen_id('370303', date(1985, 3, 1 + i), 11 + i)},测试{i}")
    return ("\n".join(lines) + "\n").encode()


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, int]
    client_for: Callable[[str | None], Client]


def _resource_in_state(dept: Any, name: str, state: str) -> Resource:
    data = resource_input(name)
    data.items = data.items[:2]
    r = services.resource_register(actor=SYSTEM, department_id=dept.pk, data=data)
    if state == "draft":
        return r
    r = services.resource_submit(actor=SYSTEM, resource_id=r.pk, expected_version=None).resource
    if state == "submitted":
        return r
    r = services.resource_review(actor=SYSTEM, resource_id=r.pk, expected_version=None, approve=True).resource
    if state == "approved":
        return r
    r = services.resource_mount_rows(
        actor=SYSTEM,
        resource_id=r.pk,
        expected_version=None,
        file=io.BytesIO(rows_csv()),
        filename="rows.csv",
    ).resource
    if state == "mounted":
        return r
    r = services.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None).resource
    # a second published version so version diffs have two ends
    services.resource_offline(actor=SYSTEM, resource_id=r.pk, expected_version=None, reason="更新")
    r = services.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None).resource
    return r


@pytest.fixture(scope="module")
def _world_once(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The world, built once for the module inside an outer transaction on every database and rolled back
    at the end; each test runs in its own savepoint within it (as Django's ``TestCase.setUpTestData``),
    so what a test writes is undone and the next test sees the world as built."""
    with rolled_back(django_db_blocker):
        yield _build_world()


@pytest.fixture
def world(_world_once: World, db: Any) -> World:
    return _world_once


def _build_world() -> World:
    dept_a = make_department("淄博市公安局")
    dept_b = make_department("淄博市民政局")
    dept_c = make_department("济南市公安局", jurisdiction="370100")
    bureau = make_department("淄博市大数据局")
    users = {
        "steward": make_user("p_steward", department=dept_a, roles=("steward",)),
        "steward_b": make_user("p_steward_b", department=dept_b, roles=("steward",)),
        "authority": make_user("p_authority", department=bureau, roles=("authority",), jurisdiction="370300"),
        "auditor": make_user("p_auditor", department=bureau, roles=("auditor",), jurisdiction="370300"),
        "consumer": make_user("p_consumer", department=dept_b, roles=("consumer",)),
        "norole": make_user("p_norole", department=dept_a),
        "unit": make_user("p_unit", department=dept_a, roles=("project_unit",)),
        "expert": make_user("p_expert", roles=("expert",), jurisdiction="370300"),
        "finance": make_user("p_finance", roles=("finance",), jurisdiction="370300"),
    }
    ids: dict[str, int] = {"dept_a": dept_a.pk, "dept_b": dept_b.pk, "dept_c": dept_c.pk}
    for prefix, dept in (("a", dept_a), ("b", dept_b), ("c", dept_c)):
        for state in ("draft", "submitted", "approved", "mounted", "published"):
            ids[f"{prefix}_{state}"] = _resource_in_state(dept, f"{prefix}资源{state}", state).pk
    element = DataElement.objects.get(name="市场主体名称")
    ids["element"] = element.pk
    services.claim_authority(actor=SYSTEM, department=dept_b, element=element)
    conflict_a = services.claim_authority(actor=SYSTEM, department=dept_a, element=element)
    assert isinstance(conflict_a, ElementConflict)
    ids["conflict_zibo"] = conflict_a.pk
    jinan_el = DataElement.objects.get(name="登记机关")
    services.claim_authority(actor=SYSTEM, department=dept_b, element=jinan_el)
    conflict_c = services.claim_authority(actor=SYSTEM, department=dept_c, element=jinan_el)
    assert isinstance(conflict_c, ElementConflict)
    ids["conflict_jinan"] = conflict_c.pk
    item_a = Resource.objects.get(pk=ids["a_draft"]).items.get(name="姓名")
    item_a.element = None
    item_a.save()
    ids["item_a"] = item_a.pk
    ids["item_c"] = Resource.objects.get(pk=ids["c_draft"]).items.get(name="姓名").pk
    ids["name_element"] = DataElement.objects.get(name="姓名").pk
    for prefix, dept in (("a", dept_a), ("b", dept_b), ("c", dept_c)):
        app = exchange_services.app_register(actor=SYSTEM, name=f"{prefix}应用", department_id=dept.pk)
        ids[f"app_{prefix}"] = app.pk
        ids[f"key_{prefix}"] = exchange_services.key_issue(actor=SYSTEM, app_id=app.pk).key.pk
    _share_requests(ids, {"a": dept_a, "b": dept_b, "c": dept_c})
    _needs_and_objections(ids, {"a": dept_a, "b": dept_b, "c": dept_c})
    _interfaces_and_notices(ids, {"a": dept_a, "b": dept_b, "c": dept_c})
    _systems(ids, {"a": dept_a, "b": dept_b, "c": dept_c})
    _projects(ids, users, {"a": dept_a, "b": dept_b, "c": dept_c})
    _lifecycle(ids, {"a": dept_a, "b": dept_b, "c": dept_c})
    _rulesets(ids)

    def client_for(who: str | None) -> Client:
        client = Client()
        if who is not None:
            client.force_login(users[who])
        return client

    return World(users, ids, client_for)


def _share_requests(ids: dict[str, int], depts: dict[str, Any]) -> None:
    """Conditional resources of a, b, c and requests at each step: consumer → provider."""
    start, end = date(2026, 1, 1), date(2030, 12, 31)
    cond = {p: published_resource(d, f"{p}有条件资源") for p, d in depts.items()}
    for p, r in cond.items():
        ids[f"{p}_cond"] = r.pk

    def ask(consumer: str, provider: str, resource: Any = None) -> ShareRequest:
        resource = resource or cond[provider]
        return exchange_services.request_submit(
            actor=SYSTEM, app_id=ids[f"app_{consumer}"], resource_id=resource.pk,
            item_ids=item_ids(resource, "姓名"), purpose="权限测试", legal_basis="职责",
            period_start=start, period_end=end,
        )  # fmt: skip

    ids["req_a_accept"] = ask("b", "a").pk  # b asks a: at 受理
    ids["req_c_accept"] = ask("a", "c").pk  # a asks c (济南): outside 淄博 and outside b
    for key, consumer, provider in (("req_a_approve", "b", "a"), ("req_b_approve", "a", "b")):
        req = ask(consumer, provider)
        exchange_services.request_accept(actor=SYSTEM, request_id=req.pk, expected_version=None)
        ids[key] = req.pk
    for key, consumer, provider in (("req_b_refused", "b", "a"), ("req_a_refused", "a", "b")):
        req = ask(consumer, provider)
        exchange_services.request_refuse(
            actor=SYSTEM, request_id=req.pk, expected_version=None, reason="测试"
        )
        ids[key] = req.pk
    ShareRequest.objects.filter(pk__in=[ids["req_a_accept"], ids["req_c_accept"]]).update(
        due_date=date(2026, 1, 5)
    )
    published = {p: Resource.objects.get(pk=ids[f"{p}_published"]) for p in depts}
    ids["grant_b"] = Grant.objects.get(request=ask("b", "a", published["a"])).pk  # a grants b, unconditional
    ids["grant_a"] = Grant.objects.get(request=ask("a", "c", published["c"])).pk  # c grants a


def version_of(w: World, key: str) -> int:
    return Resource.objects.get(pk=w.ids[key]).version


def workbook_bytes(provider: Any) -> bytes:
    from importlib import resources as res

    with res.files("sanbu.catalog").joinpath("data/catalog_template.xlsx").open("rb") as fh:
        wb = openpyxl.load_workbook(fh)
    ws = wb["资源"]
    ws.append([
        "导入的资源", "", "部门信息资源", "业务数据", provider.name, provider.uscc, "用于权限测试", "数据库",
        "无条件共享", "", "", "共享平台-接口", "否", "", "每日", "", "非涉密", "一般数据", "", "",
    ])  # fmt: skip
    wb["信息项"].append(["导入的资源", "姓名", "姓名", "C 字符型", 50, "否", "否", "", "", "姓名"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


Body = Callable[[World], dict[str, Any]]


@dataclass
class Case:
    method: str
    path: str  # formatted with ids; {obj} is replaced by the in-scope or out-of-scope object
    role: str
    obj: str = ""  # key of the in-scope object in World.ids
    oos: str = ""  # key of the out-of-scope object; "" → list check below
    body: Body | None = None
    multipart: Callable[[World], dict[str, Any]] | None = None
    ok: int = 200
    absent: str = ""  # for lists: id key that must not appear in the response
    query: dict[str, str] = field(default_factory=dict)
    oos_body: Body | None = None  # same operation with a body naming something out of scope

    @property
    def key(self) -> str:
        return f"{self.method} {self.path.replace('{obj}', '{' + self.param + '}')}"

    @property
    def param(self) -> str:
        if "/scoring/departments/" in self.path:
            return "department_id"
        if "/policy/rulesets/" in self.path:
            return "name"
        if "/policy/ruleset-versions/" in self.path:
            return "version_id"
        if "/projects/plans/" in self.path:
            return "plan_id"
        if "/projects/plan-entries/" in self.path:
            return "entry_id"
        if "/projects/tranches/" in self.path:
            return "tranche_id"
        if "/projects/changes/" in self.path:
            return "change_id"
        if "/projects/problems/" in self.path:
            return "problem_id"
        if "/projects/projects/" in self.path:
            return "project_id"
        if "/projects/reviews/" in self.path:
            return "assignment_id"
        if "/projects/experts/" in self.path:
            return "expert_id"
        if "/inventory/systems/" in self.path:
            return "system_id"
        if "/exchange/interfaces/" in self.path:
            return "version_id"
        if "/orgs/notices/" in self.path:
            return "notice_id"
        if "/exchange/needs/" in self.path:
            return "need_id"
        if "/exchange/objections/" in self.path:
            return "objection_id"
        if "/resources/" in self.path:
            return "resource_id"
        if "/elements/" in self.path:
            return "element_id"
        if "/conflicts/" in self.path:
            return "conflict_id"
        if "/exchange/apps/" in self.path:
            return "app_id"
        if "/exchange/keys/" in self.path:
            return "app_key_id"
        if "/exchange/requests/" in self.path:
            return "request_id"
        if "/exchange/grants/" in self.path:
            return "grant_id"
        return "item_id"

    def url(self, w: World, obj_key: str) -> str:
        path = self.path
        if "{obj}" in path:  # an id from the world, or a ruleset name standing for itself
            path = path.replace("{obj}", str(w.ids[obj_key]) if obj_key in w.ids else obj_key)
        return "/api" + path

    def __str__(self) -> str:
        return self.key


def _version(key: str, **extra: Any) -> Body:
    return lambda w: {"version": version_of(w, key), **extra}


def _resource_body(w: World) -> dict[str, Any]:
    return {
        "name": "新注册资源", "catalog_class": "3", "subclass": "业务数据", "summary": "摘要", "format": "database",
        "share_type": "unconditional", "share_method": "api", "update_cycle": "daily",
        "items": [{"name": "姓名", "data_type": "C", "length": 50, "element": "姓名"}],
    }  # fmt: skip


def _update_body(w: World) -> dict[str, Any]:
    return {**_resource_body(w), "name": "改名后的资源", "version": version_of(w, "a_draft")}


CASES = [
    Case("GET", "/orgs/me", "consumer"),
    Case("GET", "/orgs/departments", "consumer"),
    Case("POST", "/orgs/departments", "authority", ok=201,
         body=lambda w: {"name": "淄博市新部门", "uscc": make_uscc("11", "370300", "99000001"), "jurisdiction": "370300"},
         oos_body=lambda w: {"name": "济南市新部门", "uscc": make_uscc("11", "370100", "99000002"), "jurisdiction": "370100"}),
    Case("GET", "/catalog/resources", "steward", absent="b_draft"),
    Case("POST", "/catalog/resources", "steward", ok=201, body=_resource_body,
         oos_body=lambda w: {**_resource_body(w), "department_id": w.ids["dept_b"]}),
    Case("GET", "/catalog/resources/{obj}", "steward", obj="a_draft", oos="b_draft"),
    Case("PUT", "/catalog/resources/{obj}", "steward", obj="a_draft", oos="b_draft", body=_update_body),
    Case("POST", "/catalog/resources/{obj}/submit", "steward", obj="a_draft", oos="b_draft", body=_version("a_draft")),
    Case("POST", "/catalog/resources/{obj}/review", "authority", obj="a_submitted", oos="c_submitted",
         body=_version("a_submitted", approve=True)),
    Case("POST", "/catalog/resources/{obj}/mount/rows", "steward", obj="a_approved", oos="b_approved",
         multipart=lambda w: {"file": SimpleUploadedFile("rows.csv", rows_csv(), "text/csv"),
                              "version": version_of(w, "a_approved")}),
    Case("POST", "/catalog/resources/{obj}/mount/interface", "steward", obj="a_approved", oos="b_approved",
         body=_version("a_approved", url="https://data.zibo.gov.cn/api/persons", method="GET",
                       params=[{"name": "sfzh", "required": True}])),
    Case("POST", "/catalog/resources/{obj}/publish", "steward", obj="a_mounted", oos="b_mounted",
         body=_version("a_mounted")),
    Case("POST", "/catalog/resources/{obj}/offline", "steward", obj="a_published", oos="b_published",
         body=_version("a_published", reason="数据更新")),
    Case("GET", "/catalog/resources/{obj}/versions", "consumer", obj="a_published", oos="c_draft"),
    Case("GET", "/catalog/resources/{obj}/diff", "consumer", obj="a_published", oos="c_draft",
         query={"old": "1", "new": "2"}),
    Case("GET", "/catalog/review-queue", "authority", absent="c_submitted"),
    Case("GET", "/catalog/elements", "consumer"),
    Case("POST", "/catalog/elements", "authority",
         body=lambda w: {"identifier": "DE90001", "name": "测试数据元", "data_type": "C", "synonyms": ["测试项"]}),
    Case("GET", "/catalog/elements/{obj}", "consumer", obj="element"),
    Case("POST", "/catalog/elements/{obj}/claim", "steward", obj="element", body=lambda w: {},
         oos_body=lambda w: {"department_id": w.ids["dept_b"]}),
    Case("GET", "/catalog/conflicts", "authority", absent="conflict_jinan"),
    Case("POST", "/catalog/conflicts/{obj}/resolve", "authority", obj="conflict_zibo", oos="conflict_jinan",
         body=lambda w: {"winner_department_id": w.ids["dept_b"], "note": "民政局为法定登记部门"}),
    Case("GET", "/catalog/duplicates", "steward", absent="c_draft"),
    Case("GET", "/catalog/link-suggestions", "steward", absent="c_draft"),
    Case("POST", "/catalog/items/{obj}/link", "steward", obj="item_a", oos="item_c",
         body=lambda w: {"element_id": w.ids["name_element"]}),
    Case("POST", "/catalog/import", "steward",
         multipart=lambda w: {"file": SimpleUploadedFile("c.xlsx", workbook_bytes(w.users["steward"].profile.department))}),
    Case("GET", "/catalog/export", "steward", query={}),
    Case("GET", "/exchange/apps", "consumer", absent="app_a"),
    Case("POST", "/exchange/apps", "steward", ok=201, body=lambda w: {"name": "新应用", "purpose": "核验"},
         oos_body=lambda w: {"name": "越权应用", "department_id": w.ids["dept_b"]}),
    Case("GET", "/exchange/apps/{obj}", "auditor", obj="app_a", oos="app_c"),
    Case("POST", "/exchange/apps/{obj}/disable", "steward", obj="app_a", oos="app_b",
         body=lambda w: {"reason": "系统下线"}),
    Case("GET", "/exchange/apps/{obj}/keys", "authority", obj="app_b", oos="app_c"),
    Case("POST", "/exchange/apps/{obj}/keys", "steward", ok=201, obj="app_a", oos="app_b", body=lambda w: {}),
    Case("POST", "/exchange/keys/{obj}/rotate", "steward", ok=201, obj="key_a", oos="key_b",
         body=lambda w: {"grace_hours": 24}),
    Case("POST", "/exchange/keys/{obj}/revoke", "steward", obj="key_a", oos="key_b",
         body=lambda w: {"reason": "密钥泄露"}),
    Case("POST", "/exchange/requests", "consumer", ok=201,
         body=lambda w: {"app_id": w.ids["app_b"], "resource_id": w.ids["a_cond"],
                         "item_ids": item_ids(Resource.objects.get(pk=w.ids["a_cond"]), "姓名"),
                         "purpose": "核验", "legal_basis": "职责", "period_start": "2026-01-01",
                         "period_end": "2030-12-31"},
         oos_body=lambda w: {"app_id": w.ids["app_a"], "resource_id": w.ids["b_cond"],
                             "item_ids": item_ids(Resource.objects.get(pk=w.ids["b_cond"]), "姓名"),
                             "purpose": "核验", "legal_basis": "职责", "period_start": "2026-01-01",
                             "period_end": "2030-12-31"}),
    Case("GET", "/exchange/requests", "consumer", absent="req_c_accept"),
    Case("GET", "/exchange/requests/inbox", "steward", absent="req_b_approve"),
    Case("GET", "/exchange/requests/overdue", "authority", absent="req_c_accept"),
    Case("GET", "/exchange/requests/{obj}", "consumer", obj="req_a_accept", oos="req_c_accept"),
    Case("POST", "/exchange/requests/{obj}/accept", "authority", obj="req_a_accept", oos="req_c_accept",
         body=lambda w: {"version": 1, "note": "受理"}),
    Case("POST", "/exchange/requests/{obj}/approve", "steward", obj="req_a_approve", oos="req_b_approve",
         body=lambda w: {"version": 2}),
    Case("POST", "/exchange/requests/{obj}/refuse", "steward", obj="req_a_approve", oos="req_b_approve",
         body=lambda w: {"version": 2, "reason": "用途不明确"}),
    Case("POST", "/exchange/requests/{obj}/resubmit", "consumer", ok=201, obj="req_b_refused", oos="req_a_refused",
         body=lambda w: {"version": 2, "purpose": "补充用途说明"}),
    Case("GET", "/exchange/grants", "consumer", absent="grant_a"),
    Case("POST", "/exchange/grants/{obj}/revoke", "steward", obj="grant_b", oos="grant_a",
         body=lambda w: {"reason": "超范围使用"}),
    Case("GET", "/audit/verify", "auditor"),
    Case("GET", "/audit/records", "auditor"),
]  # fmt: skip

# 供需对接 and 数据异议 (exchange.needs, exchange.feedback)
_NEED = {"title": "人员信息核验", "description": "核对身份", "desired_items": ["姓名"], "purpose": "救助"}
CASES += [
    Case("GET", "/exchange/needs", "consumer", absent="need_a_open"),
    Case("POST", "/exchange/needs", "consumer", ok=201, body=lambda w: _NEED,
         oos_body=lambda w: {**_NEED, "department_id": w.ids["dept_a"]}),
    Case("GET", "/exchange/needs/{obj}", "consumer", obj="need_b_open", oos="need_a_open"),
    Case("POST", "/exchange/needs/{obj}/rematch", "consumer", obj="need_b_open", oos="need_a_open",
         body=lambda w: {"version": 1}),
    Case("POST", "/exchange/needs/{obj}/route", "authority", obj="need_b_open", oos="need_c_open",
         body=lambda w: {"version": 1, "provider_department_id": w.ids["dept_a"], "note": "公安为权威来源"}),
    Case("POST", "/exchange/needs/{obj}/answer", "steward", obj="need_routed_a", oos="need_routed_b",
         body=lambda w: {"version": 2, "can_provide": False, "reply": "尚未采集该数据"}),
    Case("POST", "/exchange/needs/{obj}/accept", "consumer", obj="need_b_open", oos="need_a_open",
         body=lambda w: {"version": 1, "resource_id": _first_proposal(w, "need_b_open")}),
    Case("POST", "/exchange/needs/{obj}/withdraw", "consumer", obj="need_b_open", oos="need_a_open",
         body=lambda w: {"version": 1, "reason": "业务调整"}),
    Case("GET", "/exchange/objections", "consumer", absent="obj_a"),
    Case("POST", "/exchange/objections", "consumer", ok=201,
         body=lambda w: {"resource_id": w.ids["a_published"], "record_key": "370303198503010111",
                         "description": "姓名有误", "evidence": "户口簿"},
         oos_body=lambda w: {"resource_id": w.ids["c_published"], "record_key": "370303198503010111",
                             "description": "姓名有误", "evidence": "户口簿"}),
    Case("GET", "/exchange/objections/{obj}", "consumer", obj="obj_b", oos="obj_a"),
    Case("POST", "/exchange/objections/{obj}/answer", "steward", obj="obj_b", oos="obj_a",
         body=lambda w: {"version": 1, "corrected": False, "answer": "经核实数据无误"}),
    Case("POST", "/exchange/objections/{obj}/confirm", "consumer", obj="obj_b_answered", oos="obj_a_answered",
         body=lambda w: {"version": 2}),
]  # fmt: skip

# 接口生命周期, 调用统计 and 通知 (exchange.interfaces, exchange.usage, orgs.notices)
CASES += [
    Case("GET", "/exchange/resources/{obj}/interfaces", "consumer", obj="a_published", oos="c_draft"),
    Case("POST", "/exchange/resources/{obj}/interfaces", "steward", ok=201, obj="a_published", oos="b_published",
         body=lambda w: {"note": "新版本"}),
    Case("POST", "/exchange/interfaces/{obj}/deprecate", "steward", obj="iface_a1", oos="iface_b1",
         body=lambda w: {"sunset_on": _sunset_ok()}),
    Case("POST", "/exchange/interfaces/{obj}/retire", "steward", obj="iface_a_cond", oos="iface_b1",
         body=lambda w: {"note": "不再提供"}),
    Case("GET", "/exchange/resources/{obj}/usage", "steward", obj="a_published", oos="b_published"),
    Case("GET", "/orgs/notices", "consumer", absent="notice_a"),
    Case("POST", "/orgs/notices/{obj}/read", "consumer", obj="notice_b", oos="notice_a", body=lambda w: {}),
]  # fmt: skip

# 信息系统清单 (inventory)
CASES += [
    Case("GET", "/inventory/systems", "steward", absent="sys_b"),
    Case("POST", "/inventory/systems", "steward", ok=201, body=lambda w: {"name": "新登记系统"},
         oos_body=lambda w: {"name": "越权系统", "department_id": w.ids["dept_b"]}),
    Case("GET", "/inventory/systems/{obj}", "auditor", obj="sys_a", oos="sys_c"),
    Case("PUT", "/inventory/systems/{obj}", "steward", obj="sys_a", oos="sys_b",
         body=lambda w: {"name": "改名后的系统", "network": "intranet"}),
    Case("POST", "/inventory/systems/{obj}/retire", "steward", obj="sys_a", oos="sys_b",
         body=lambda w: {"reason": "已整合"}),
]  # fmt: skip


def _pv(key: str, **extra: Any) -> Body:
    """A project's current version and the rest of the body."""

    def body(w: World) -> dict[str, Any]:
        from sanbu.projects.models import Project

        return {"version": Project.objects.get(pk=w.ids[key]).version, **extra}

    return body


def _application(**extra: Any) -> Body:
    from django.utils import timezone

    return lambda w: {"name": "权限测试新项目", "amount": 100_000, "plan_year": timezone.localdate().year + 2,
                      "uses": [w.ids["a_published"]], **extra}  # fmt: skip


# 信息化项目 (projects)
CASES += [
    Case("GET", "/projects/projects", "unit", absent="proj_b"),
    Case("POST", "/projects/projects", "unit", ok=201, body=_application(),
         oos_body=lambda w: {**_application()(w), "unit_id": w.ids["dept_b"]}),
    Case("POST", "/projects/projects/check", "unit", body=_application(),
         oos_body=lambda w: {**_application()(w), "unit_id": w.ids["dept_b"]}),
    Case("GET", "/projects/projects/{obj}", "auditor", obj="proj_a", oos="proj_c"),
    Case("PUT", "/projects/projects/{obj}", "unit", obj="proj_a", oos="proj_b",
         body=lambda w: {**_application()(w), **_pv("proj_a")(w)},
         oos_body=lambda w: {**_application()(w), **_pv("proj_b")(w)}),
    Case("GET", "/projects/projects/{obj}/decisions", "unit", obj="proj_a", oos="proj_b", query={"gate": "S"}),
    Case("POST", "/projects/projects/{obj}/submit", "unit", obj="proj_a", oos="proj_b", body=_pv("proj_a"),
         oos_body=_pv("proj_b")),
    Case("POST", "/projects/projects/{obj}/withdraw", "unit", obj="proj_a", oos="proj_b",
         body=_pv("proj_a", reason="重新论证"), oos_body=_pv("proj_b", reason="越权")),
    Case("POST", "/projects/projects/{obj}/draw", "authority", obj="proj_a_sub", oos="proj_c_sub", ok=201,
         body=_pv("proj_a_sub", size=3), oos_body=_pv("proj_c_sub", size=3)),
    Case("POST", "/projects/projects/{obj}/joint-review", "authority", obj="proj_a_rev", oos="proj_c_sub",
         body=_pv("proj_a_rev", conclusion="agree", participants="大数据局、发改委、财政局", note="同意"),
         oos_body=_pv("proj_c_sub", conclusion="agree", participants="越权", note="越权")),
    Case("POST", "/projects/projects/{obj}/centre-opinion", "authority", obj="proj_a_sub", oos="proj_c_sub",
         body=_pv("proj_a_sub", opinion="favourable", text="同意备案"),
         oos_body=_pv("proj_c_sub", opinion="favourable", text="越权")),
    Case("POST", "/projects/projects/{obj}/approve", "authority", obj="proj_a_rev", oos="proj_c_sub",
         body=_pv("proj_a_rev"), oos_body=_pv("proj_c_sub")),
    Case("POST", "/projects/projects/{obj}/return", "authority", obj="proj_a_sub", oos="proj_c_sub",
         body=_pv("proj_a_sub", reason="请修改"), oos_body=_pv("proj_c_sub", reason="越权")),
    Case("POST", "/projects/projects/{obj}/reject", "authority", obj="proj_a_sub", oos="proj_c_sub",
         body=_pv("proj_a_sub", reason="不符合规划"), oos_body=_pv("proj_c_sub", reason="越权")),
    Case("GET", "/projects/reviews", "expert", absent="asg_other"),
    Case("POST", "/projects/reviews/{obj}/score", "expert", obj="asg_mine", oos="asg_other",
         body=lambda w: {"score": 80, "conclusion": "agree", "opinion": "同意"}),
    Case("GET", "/projects/experts", "authority", absent="expert_c"),
    Case("POST", "/projects/experts", "authority", ok=201,
         body=lambda w: {"jurisdiction": "370300", "name": "新专家", "employer": "山东理工大学", "specialties": ["软件工程"]},
         oos_body=lambda w: {"jurisdiction": "370100", "name": "越权专家", "employer": "济南", "specialties": ["软件"]}),
    Case("POST", "/projects/experts/{obj}/active", "authority", obj="expert_a1", oos="expert_c",
         body=lambda w: {"active": False, "reason": "退休"}),
]  # fmt: skip


# 建设与验收 (projects after approval: plan, funds, construction, acceptance, O&M, evaluation). life_a is an
# approved project of a (淄博), life_b of b (淄博, another unit), life_c of c (济南); see ``_lifecycle``.
def _lcv(key: str, **extra: Any) -> Body:
    """A project's lifecycle record version and the rest of the body."""

    def body(w: World) -> dict[str, Any]:
        from sanbu.projects.models import Lifecycle

        return {"version": Lifecycle.objects.get(project_id=w.ids[key]).version, **extra}

    return body


def _plan_v(key: str, **extra: Any) -> Body:
    def body(w: World) -> dict[str, Any]:
        from sanbu.projects.models import AnnualPlan

        return {"version": AnnualPlan.objects.get(pk=w.ids[key]).version, **extra}

    return body


def _current_period(w: World) -> str:
    from django.utils import timezone

    from sanbu.orgs.rulesets import ruleset_for_jurisdiction
    from sanbu.policy.rules.funds import period_of
    from sanbu.projects.construction import report_cadence

    return period_of(report_cadence(ruleset_for_jurisdiction("370300"), False), timezone.localdate()).label


def _today(days: int = 0) -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _year(offset: int = 0) -> int:
    from django.utils import timezone

    return timezone.localdate().year + offset


CASES += [
    Case("GET", "/projects/projects/{obj}/lifecycle", "auditor", obj="life_a", oos="life_c"),
    Case("GET", "/projects/plans", "authority", absent="plan_c"),
    Case("POST", "/projects/plans", "authority", ok=201, body=lambda w: {"jurisdiction": "370300", "year": _year(2)},
         oos_body=lambda w: {"jurisdiction": "370100", "year": _year(2)}),
    Case("GET", "/projects/plans/{obj}", "auditor", obj="plan_a", oos="plan_c"),
    Case("POST", "/projects/plans/{obj}/entries", "authority", ok=201, obj="plan_a", oos="plan_c",
         body=lambda w: {**_plan_v("plan_a")(w), "project_id": w.ids["life_b"], "amount": 1000},
         oos_body=lambda w: {**_plan_v("plan_c")(w), "project_id": w.ids["life_c2"], "amount": 1000}),
    Case("POST", "/projects/plans/{obj}/issue", "authority", obj="plan_a", oos="plan_c",
         body=_plan_v("plan_a", document_number="淄信计〔2027〕1号"),
         oos_body=_plan_v("plan_c", document_number="越权")),
    Case("POST", "/projects/plan-entries/{obj}/approve", "authority", obj="entry_a_dyn", oos="entry_c",
         body=lambda w: {"basis": "抄告单〔2026〕3号"}),
    Case("POST", "/projects/projects/{obj}/tranches", "finance", ok=201, obj="life_a", oos="life_c",
         body=lambda w: {"amount": 1000, "purpose": "第二期"}),
    Case("POST", "/projects/tranches/{obj}/pay", "finance", obj="tranche_a", oos="tranche_c",
         body=lambda w: {"voucher": "拨-001", "version": 1}),
    Case("POST", "/projects/projects/{obj}/close", "finance", obj="life_a", oos="life_c",
         body=_lcv("life_a", balance=0, returned=0), oos_body=_lcv("life_c", balance=0, returned=0)),
    Case("POST", "/projects/recovery-sweep", "finance", body=lambda w: {"jurisdiction": "370300"},
         oos_body=lambda w: {"jurisdiction": "370100"}),
    Case("POST", "/projects/projects/{obj}/recovery", "finance", ok=201, obj="life_a_post", oos="life_c",
         body=lambda w: {}),
    Case("POST", "/projects/projects/{obj}/freeze-lift", "finance", obj="life_a_frozen", oos="life_c",
         body=lambda w: {"reason": "经复核认定不可抗力"}),
    Case("POST", "/projects/projects/{obj}/funding-mode", "authority", obj="life_a", oos="life_c",
         body=lambda w: {"mode": "post_subsidy"}),
    Case("POST", "/projects/projects/{obj}/force-majeure", "authority", obj="life_a", oos="life_c",
         body=lambda w: {"reason": "特大洪灾"}),
    Case("PUT", "/projects/projects/{obj}/construction", "unit", obj="life_a", oos="life_b",
         body=_lcv("life_a", responsible_person="张三", implementing_body="信息中心"),
         oos_body=_lcv("life_b", responsible_person="越权")),
    Case("POST", "/projects/projects/{obj}/start", "unit", obj="life_a", oos="life_b",
         body=lambda w: {"started_on": _today()}),
    Case("POST", "/projects/projects/{obj}/end", "unit", obj="life_a_started", oos="life_b",
         body=lambda w: {"ended_on": _today()}),
    Case("POST", "/projects/projects/{obj}/reports", "unit", ok=201, obj="life_a", oos="life_b",
         body=lambda w: {"period": _current_period(w), "progress": 10, "spent": 0, "content": "需求调研完成"}),
    Case("POST", "/projects/projects/{obj}/incidents", "unit", ok=201, obj="life_a", oos="life_b",
         body=lambda w: {"kind": "delay", "occurred_on": _today(), "description": "供货延误"}),
    Case("POST", "/projects/projects/{obj}/changes", "unit", ok=201, obj="life_a", oos="life_b",
         body=lambda w: {"content": "增加移动端", "reason": "群众需求"}),
    Case("POST", "/projects/projects/{obj}/unapproved-changes", "authority", ok=201, obj="life_a", oos="life_c",
         body=lambda w: {"content": "擅自取消数据接口", "note": "现场核查发现"}),
    Case("POST", "/projects/changes/{obj}/decide", "authority", obj="change_a", oos="change_c",
         body=lambda w: {"approve": True, "note": "同意", "version": 1}),
    Case("POST", "/projects/changes/{obj}/settle", "authority", obj="unapproved_a", oos="unapproved_c",
         body=lambda w: {"ratify": False, "note": "现场核查：已恢复", "version": 1}),
    Case("POST", "/projects/projects/{obj}/trial-run/start", "unit", obj="life_a", oos="life_b",
         body=lambda w: {"started_on": _today()}),
    Case("POST", "/projects/projects/{obj}/trial-run/end", "unit", obj="life_a_started", oos="life_b",
         body=lambda w: {"ended_on": _today(), "normal": True}),
    Case("POST", "/projects/projects/{obj}/acceptance/prepare", "unit", obj="life_a", oos="life_b",
         body=_lcv("life_a", final_inspection_done=True, dengbao_tested=True, materials=["construction_summary"]),
         oos_body=_lcv("life_b")),
    Case("POST", "/projects/projects/{obj}/acceptance/apply", "unit", obj="life_a_ready", oos="life_b",
         body=lambda w: {}),
    Case("POST", "/projects/projects/{obj}/acceptance/confirm", "authority", obj="life_a", oos="life_c",
         body=_lcv("life_a"), oos_body=_lcv("life_c")),
    Case("POST", "/projects/projects/{obj}/acceptance/panel", "authority", obj="life_a", oos="life_c",
         body=lambda w: {"members": 3, "third_party": 2, "names": "张三、李四、王五"}),
    Case("POST", "/projects/projects/{obj}/acceptance/decide", "authority", obj="life_a_applied", oos="life_c",
         body=_pv("life_a_applied", opinion="同意通过竣工验收"), oos_body=_pv("life_c", opinion="越权")),
    Case("POST", "/projects/projects/{obj}/acceptance/report-filed", "authority", obj="life_a_accepted",
         oos="life_c", body=lambda w: {}),
    Case("GET", "/projects/operations", "unit", absent="review_b",
         query={"jurisdiction": "370300", "year": str(_year(1))}),
    Case("POST", "/projects/operations/requests", "steward",
         body=lambda w: {"system_id": w.ids["sys_a"], "year": _year(1), "requested_budget": 100_000},
         oos_body=lambda w: {"system_id": w.ids["sys_b"], "year": _year(1), "requested_budget": 100_000}),
    Case("POST", "/projects/operations/check", "authority", body=lambda w: {"jurisdiction": "370300", "year": _year(1)},
         oos_body=lambda w: {"jurisdiction": "370100", "year": _year(1)}),
    Case("POST", "/projects/projects/{obj}/evaluation/self", "unit", obj="life_a_accepted", oos="life_b",
         body=lambda w: {"report": "达到预期目标"}),
    Case("POST", "/projects/projects/{obj}/evaluation/key", "authority", obj="life_a_accepted", oos="life_c",
         body=lambda w: {"selected": True}),
    Case("POST", "/projects/projects/{obj}/evaluation/grade", "authority", obj="life_a_accepted", oos="life_c",
         body=lambda w: {"grade": "良好", "problems": [{"text": "完善运维文档", "deadline": _today(30)}]}),
    Case("POST", "/projects/projects/{obj}/problems", "authority", ok=201, obj="life_a_accepted", oos="life_c",
         body=lambda w: {"text": "补充用户手册", "deadline": _today(30)}),
    Case("POST", "/projects/problems/{obj}/fixed", "authority", obj="problem_a", oos="problem_c", body=lambda w: {}),
    Case("POST", "/projects/projects/{obj}/deliverables", "unit", ok=201, obj="life_a", oos="life_b",
         body=lambda w: {"kind": "design", "description": "设计文件"}),
    Case("POST", "/projects/projects/{obj}/contract-ip", "unit", obj="life_a", oos="life_b",
         body=lambda w: {"assigns": True}),
]  # fmt: skip

# 规则集 (orgs.rulesets): zibo is the world authority's (370300), jiangxi is not
_RS_CHANGE = {
    "kind": "parameter",
    "key": "exchange.need_answer_days",
    "new": 7,
    "citation": "淄政办发〔2025〕3号",
}
CASES += [
    Case("GET", "/policy/rulesets", "auditor"),
    Case("GET", "/policy/rulesets/{obj}", "auditor", obj="zibo"),
    Case("GET", "/policy/rulesets/{obj}/versions", "auditor", obj="jiangxi", absent="rsv_jiangxi"),
    Case("POST", "/policy/rulesets/{obj}/versions", "authority", ok=201, obj="zibo", oos="jiangxi",
         body=lambda w: {"changes": [_RS_CHANGE], "note": "缩短答复期限"}),
    Case("PUT", "/policy/ruleset-versions/{obj}", "authority", obj="rsv_zibo", oos="rsv_jiangxi",
         body=lambda w: {"changes": [{**_RS_CHANGE, "new": 6}]}),
    Case("POST", "/policy/ruleset-versions/{obj}/publish", "authority", obj="rsv_zibo", oos="rsv_jiangxi",
         body=lambda w: {"expected_state": "draft"}),
    Case("POST", "/policy/ruleset-versions/{obj}/discard", "authority", obj="rsv_zibo", oos="rsv_jiangxi",
         body=lambda w: {"reason": "不再需要"}),
    # scoring (issue 7): jurisdiction-wide reads for auditors/leaders/the authority; a department's score for its
    # stewards; building a month's snapshot and entering third-party scores for the authority
    Case("GET", "/scoring/snapshots", "auditor", query={"jurisdiction": "370300"}),
    Case("POST", "/scoring/snapshots", "authority", ok=201, body=lambda w: {"jurisdiction": "370300", "month": _this_month()},
         oos_body=lambda w: {"jurisdiction": "370100", "month": _this_month()}),
    Case("GET", "/scoring/overview", "auditor", query={"jurisdiction": "370300"}),
    Case("GET", "/scoring/ranking", "auditor", query={"jurisdiction": "370300"}),
    Case("GET", "/scoring/trend", "auditor", query={"jurisdiction": "370300"}),
    Case("GET", "/scoring/overdue", "auditor", query={"jurisdiction": "370300"}),
    Case("GET", "/scoring/blocked", "auditor", query={"jurisdiction": "370300"}),
    Case("GET", "/scoring/money", "auditor", query={"jurisdiction": "370300"}),
    Case("GET", "/scoring/departments/{obj}", "steward", obj="dept_a", oos="dept_b"),
    Case("GET", "/scoring/departments/{obj}/rows", "steward", obj="dept_a", oos="dept_b",
         query={"indicator": "catalog_published"}),
    Case("POST", "/scoring/external-scores", "authority", ok=201, body=lambda w: _external_score(w, "dept_a"),
         oos_body=lambda w: _external_score(w, "dept_c")),
]  # fmt: skip


def _this_month() -> str:
    from django.utils import timezone

    return f"{timezone.localdate():%Y-%m}"


def _external_score(w: World, dept: str) -> dict[str, Any]:
    return {"department_id": w.ids[dept], "month": _this_month(), "source": "third_party", "score": 80,
            "basis": "第三方评估报告"}  # fmt: skip

for _c in CASES:
    if _c.path == "/catalog/export":
        _c.oos = "dept_b"


def _send(client: Client, case: Case, w: World, obj_key: str, body: Body | None = None) -> Any:
    url = case.url(w, obj_key)
    query = dict(case.query)
    if case.path == "/catalog/export":
        query["department_id"] = str(w.ids[obj_key] if obj_key else w.ids["dept_a"])
    if case.method == "GET":
        return client.get(url, query)
    if case.multipart is not None:
        return client.post(url, case.multipart(w))
    make_body = body or case.body
    return client.generic(
        case.method, url, data=json.dumps(make_body(w) if make_body else {}), content_type="application/json"
    )


def test_every_operation_has_a_case() -> None:
    from sanbu.config.api import api

    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path.removeprefix('/api')}"
        for path, ops in schema["paths"].items()
        for method in ops
    }
    covered = {c.key for c in CASES}
    assert operations - covered == set(), (
        f"operations without a permission case: {sorted(operations - covered)}"
    )
    assert covered - operations == set(), (
        f"cases for operations that no longer exist: {sorted(covered - operations)}"
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_anonymous_refused(case: Case, world: World) -> None:
    response = _send(world.client_for(None), case, world, case.obj or "dept_a")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "auth.required"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_without_role_refused(case: Case, world: World) -> None:
    response = _send(world.client_for("norole"), case, world, case.obj or "dept_a")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "auth.no_role"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_with_role_allowed(case: Case, world: World) -> None:
    response = _send(world.client_for(case.role), case, world, case.obj)
    assert response.status_code == case.ok, response.content


@pytest.mark.parametrize("case", CASES, ids=str)
def test_out_of_scope_is_404_or_absent(case: Case, world: World) -> None:
    client = world.client_for(case.role)
    if case.oos or case.oos_body:
        response = _send(client, case, world, case.oos or case.obj, body=case.oos_body)
        assert response.status_code == 404, response.content
        assert response.json()["code"].endswith("not_found")
    elif case.absent:
        response = _send(client, case, world, case.obj)
        assert response.status_code == 200
        text = response.content.decode()
        hidden = world.ids[case.absent]
        payload = response.json()
        rows = payload["results"] if isinstance(payload, dict) else payload
        assert all(r.get("id") != hidden and r.get("resource_id") != hidden for r in rows), text
    else:
        pytest.skip("operation has no object scope: it reads the actor's own data or a public standard")


def test_steward_cannot_review_even_own_department(world: World) -> None:
    """A role without the action is refused like an out-of-scope object (404), never 500."""
    client = world.client_for("steward")
    body = {"version": version_of(world, "a_submitted"), "approve": True}
    response = client.post(
        f"/api/catalog/resources/{world.ids['a_submitted']}/review", body, content_type="application/json"
    )
    assert response.status_code == 404
    assert Resource.objects.get(pk=world.ids["a_submitted"]).state == "submitted"


def _first_proposal(w: World, key: str) -> int:
    from sanbu.exchange.models import DataNeed

    return int(DataNeed.objects.get(pk=w.ids[key]).proposals[0]["resource"])


def _needs_and_objections(ids: dict[str, int], depts: dict[str, Any]) -> None:
    """Needs of a, b, c (open and routed) and objections under the grants b→a and a→c."""
    from sanbu.exchange import feedback, needs

    def post(dept: str, *items: str) -> int:
        return needs.need_post(
            actor=SYSTEM, title=f"{dept}的数据需求", description="权限测试", desired_items=list(items),
            department_id=depts[dept].pk, auto_route=False,
        ).pk  # fmt: skip

    for p in depts:
        ids[f"need_{p}_open"] = post(p, "姓名")
    for key, asker, provider in (("need_routed_a", "b", "a"), ("need_routed_b", "a", "b")):
        ids[key] = post(asker, "车牌号")
        needs.need_route(
            actor=SYSTEM, need_id=ids[key], expected_version=None, provider_department_id=depts[provider].pk
        )

    def object_to(consumer: str, provider: str) -> int:
        return feedback.objection_submit(
            actor=SYSTEM, resource_id=ids[f"{provider}_published"], record_key="370303198503010111",
            description="姓名有误", evidence="户口簿", department_id=depts[consumer].pk,
        ).pk  # fmt: skip

    ids["obj_b"], ids["obj_a"] = object_to("b", "a"), object_to("a", "c")
    for key, consumer, provider in (("obj_b_answered", "b", "a"), ("obj_a_answered", "a", "c")):
        ids[key] = object_to(consumer, provider)
        feedback.objection_answer(
            actor=SYSTEM, objection_id=ids[key], expected_version=None, corrected=True, answer="已更正"
        )


def _sunset_ok() -> str:
    from django.utils import timezone

    from sanbu.core.calendar import add_working_days
    from sanbu.policy.rulesets import INTERFACE_SUNSET_NOTICE_DAYS, load_ruleset

    days = int(load_ruleset()[INTERFACE_SUNSET_NOTICE_DAYS].value)
    return add_working_days(timezone.localdate(), days + 5).date.isoformat()


def _interfaces_and_notices(ids: dict[str, int], depts: dict[str, Any]) -> None:
    """Interface versions of a's and b's published resources (a's v1 has a successor and a grant holder,
    b; a's conditional resource has no grant, so its v1 may be retired at once) and a notice for a and b."""
    from sanbu.exchange.interfaces import interface_release
    from sanbu.orgs.models import Notice
    from sanbu.orgs.notices import notify

    def release(key: str) -> int:
        return interface_release(actor=SYSTEM, resource_id=ids[key]).pk

    ids["iface_a1"], _ = release("a_published"), release("a_published")
    ids["iface_b1"], _ = release("b_published"), release("b_published")
    ids["iface_a_cond"] = release("a_cond")
    for p in ("a", "b"):
        notify(department_ids=[depts[p].pk], kind="test", title=f"给 {p} 的通知")
        ids[f"notice_{p}"] = Notice.objects.filter(department=depts[p]).latest("id").pk


def _systems(ids: dict[str, int], depts: dict[str, Any]) -> None:
    """An information system of each of a, b, c."""
    from sanbu.inventory.services import SystemData, system_register

    for p, dept in depts.items():
        ids[f"sys_{p}"] = system_register(
            actor=SYSTEM, data=SystemData(name=f"{p}系统"), department_id=dept.pk
        ).pk


def _projects(ids: dict[str, int], users: dict[str, Any], depts: dict[str, Any]) -> None:
    """Projects of a, b, c in draft, submitted, in review (the expert's task) and reviewed; experts of
    淄博 (one is the ``expert`` user) and of 济南."""
    import dataclasses

    from django.utils import timezone

    from sanbu.inventory.services import SystemData, system_update
    from sanbu.projects import services as projects
    from sanbu.projects.models import ExpertAssignment
    from sanbu.projects.tests.support import ALL_MATERIALS

    system_update(actor=SYSTEM, system_id=ids["sys_a"], expected_version=None,
                  data=SystemData(name="a系统", provides=(ids["a_published"],)))  # fmt: skip
    experts = []
    for i in range(3):
        user = (
            users["expert"] if i == 0 else make_user(f"p_expert{i}", roles=("expert",), jurisdiction="370300")
        )
        experts.append(projects.expert_register(
            actor=SYSTEM, jurisdiction="370300", name=f"专家{i}", employer="山东理工大学", specialties=["软件工程"],
            user_id=user.pk,
        ))  # fmt: skip
    ids["expert_a1"] = experts[1].pk
    ids["expert_c"] = projects.expert_register(
        actor=SYSTEM, jurisdiction="370100", name="济南专家", employer="山东大学", specialties=["网络安全"]
    ).pk
    from sanbu.projects.inputs import ProjectData

    base = ProjectData(name="", amount=500_000, plan_year=timezone.localdate().year + 2, funding_source="财政资金",
                       materials=dict(ALL_MATERIALS))  # fmt: skip

    def project(key: str, dept: str, name: str) -> int:
        uses = (ids[f"{dept}_published"],)
        data = dataclasses.replace(base, name=name, uses=uses)
        ids[key] = projects.project_create(actor=SYSTEM, data=data, unit_id=depts[dept].pk).pk
        return ids[key]

    for p in "abc":
        project(f"proj_{p}", p, f"{p}单位的申报草稿")
    for key, dept in (("proj_a_sub", "a"), ("proj_c_sub", "c"), ("proj_a_score", "a"), ("proj_a_rev", "a")):
        pk = project(key, dept, f"{key}项目")
        projects.project_submit(actor=SYSTEM, project_id=pk, expected_version=None)
    for key in ("proj_a_score", "proj_a_rev"):
        projects.expert_draw(actor=SYSTEM, project_id=ids[key], expected_version=None, size=3, seed="abc")
    mine = ExpertAssignment.objects.get(project_id=ids["proj_a_score"], expert=experts[0])
    ids["asg_mine"] = mine.pk
    ids["asg_other"] = ExpertAssignment.objects.get(project_id=ids["proj_a_score"], expert=experts[1]).pk
    for a in ExpertAssignment.objects.filter(project_id=ids["proj_a_rev"]).select_related("expert__user"):
        from sanbu.core.testing import actor_of

        projects.expert_score(actor=actor_of(a.expert.user), assignment_id=a.pk, score=80, conclusion="agree",
                              opinion="同意")  # fmt: skip
    projects.centre_opinion_record(actor=SYSTEM, project_id=ids["proj_a_rev"], expected_version=None,
                                   opinion="favourable", text="同意备案")  # fmt: skip


def _rulesets(ids: dict[str, int]) -> None:
    """A draft of zibo (the world authority's city) and of jiangxi (outside it)."""
    from sanbu.orgs.rulesets import ruleset_draft
    from sanbu.policy.rulesets import Change

    for name in ("zibo", "jiangxi"):
        change = Change("parameter", "exchange.need_answer_days", 8, f"{name} 的依据")
        ids[f"rsv_{name}"] = ruleset_draft(actor=SYSTEM, name=name, changes=[change]).pk


def _lifecycle(ids: dict[str, int], depts: dict[str, Any]) -> None:
    """Approved projects of a (with a's system, which shares a's published resource), b and c, and the
    lifecycle objects of each step: plans (a's this year issued with a dynamic addition, a's next year in
    draft, c's), tranches, a change request, projects at the trial run, ready to apply, applied, accepted
    and post-subsidy with a failed evaluation, problems and O&M requests. Set up as SYSTEM or, where a
    service would need months to pass, written directly (test setup only)."""
    from datetime import timedelta

    from django.utils import timezone

    from sanbu.policy.rules.acceptance import MATERIALS
    from sanbu.projects import acceptance, construction, funds, operations
    from sanbu.projects import services as projects
    from sanbu.projects.inputs import ProjectData
    from sanbu.projects.models import EntryKind, LedgerEntry, Lifecycle, Problem, Project, RecoveryNotice
    from sanbu.projects.tests.support import ALL_MATERIALS

    today = timezone.localdate()

    def approved(key: str, dept: str, *, days_ago: int = 0, **life: Any) -> int:
        data = ProjectData(
            name=f"{key}项目", amount=500_000, plan_year=today.year, funding_source="财政资金",
            materials=dict(ALL_MATERIALS), uses=(ids[f"{dept}_published"],),
            systems=(ids["sys_a"],) if dept == "a" else (),
        )  # fmt: skip
        pk = projects.project_create(actor=SYSTEM, data=data, unit_id=depts[dept].pk).pk
        Project.objects.filter(pk=pk).update(
            state="approved", decided_at=timezone.now() - timedelta(days=days_ago), approved_amount=500_000
        )
        Lifecycle.objects.update_or_create(project_id=pk, defaults=life)
        ids[key] = pk
        return pk

    approved("life_a", "a")
    approved("life_b", "b")
    approved("life_c", "c")
    approved("life_c2", "c")
    approved("life_a_started", "a", started_on=today, trial_run_started=today)
    approved("life_a_ready", "a", days_ago=400, trial_run_started=today - timedelta(days=60))
    approved("life_a_applied", "a", days_ago=400)
    approved("life_a_accepted", "a", days_ago=400, accepted_on=today, key_evaluation=True)
    Project.objects.filter(pk=ids["life_a_accepted"]).update(state="accepted")
    approved("life_a_post", "a", funding_mode="post_subsidy", key_evaluation_grade="不合格")
    approved("life_a_frozen", "a", days_ago=400, funds_frozen=True, force_majeure="特大洪涝灾害")
    RecoveryNotice.objects.create(project_id=ids["life_a_frozen"], number="收回〔2026〕99号", rule="PRJ-F2",
                                  reason="逾期未开工", issued_on=today, issued_by="system")  # fmt: skip
    LedgerEntry.objects.create(project_id=ids["life_a_post"], kind=EntryKind.PAYMENT, amount=1000, booked_on=today,
                               reference="凭证", created_by="system")  # fmt: skip
    # plans: a's of this year issued (life_a listed, life_b a dynamic addition), a's next year a draft, c's
    now = funds.plan_create(actor=SYSTEM, jurisdiction="370300", year=today.year)
    funds.plan_add(
        actor=SYSTEM, plan_id=now.pk, project_id=ids["life_a"], amount=100_000, expected_version=None
    )
    funds.plan_issue(actor=SYSTEM, plan_id=now.pk, expected_version=None, document_number="淄信计〔2026〕1号")
    ids["entry_a_dyn"] = funds.plan_add(actor=SYSTEM, plan_id=now.pk, project_id=ids["life_b"], amount=1000,
                                        expected_version=None, basis="抄告单〔2026〕2号").pk  # fmt: skip
    nxt = funds.plan_create(actor=SYSTEM, jurisdiction="370300", year=today.year + 1)
    funds.plan_add(actor=SYSTEM, plan_id=nxt.pk, project_id=ids["life_a"], amount=1000, expected_version=None)
    ids["plan_a"] = nxt.pk
    plan_c = funds.plan_create(actor=SYSTEM, jurisdiction="370100", year=today.year)
    ids["plan_c"] = plan_c.pk
    ids["entry_c"] = funds.plan_add(actor=SYSTEM, plan_id=plan_c.pk, project_id=ids["life_c"], amount=1000,
                                    expected_version=None).pk  # fmt: skip
    for p in ("a", "c"):
        ids[f"tranche_{p}"] = funds.tranche_schedule(
            actor=SYSTEM, project_id=ids[f"life_{p}"], amount=1000
        ).pk
        ids[f"change_{p}"] = construction.change_request(actor=SYSTEM, project_id=ids[f"life_{p}"], content="调整界面",
                                                         reason="用户反馈").pk  # fmt: skip
        ids[f"unapproved_{p}"] = construction.change_record_unapproved(
            actor=SYSTEM, project_id=ids[f"life_{p}"], content="擅自取消数据接口", note="检查发现"
        ).pk
    # ready to be accepted: the file, the panel, the authority's confirmation and the application
    pk = ids["life_a_applied"]
    acceptance.trial_run_start(actor=SYSTEM, project_id=pk, started_on=today - timedelta(days=60))
    acceptance.acceptance_prepare(actor=SYSTEM, project_id=pk, expected_version=None, final_inspection_done=True,
                                  dengbao_tested=True, materials=[m for m in MATERIALS if m != "sharing_confirmation"])  # fmt: skip
    acceptance.panel_record(actor=SYSTEM, project_id=pk, members=3, third_party=2, names="张三、李四、王五")
    acceptance.sharing_confirm(actor=SYSTEM, project_id=pk, expected_version=None)
    acceptance.acceptance_apply(actor=SYSTEM, project_id=pk)
    for p in ("a", "c"):
        project = ids["life_a_accepted"] if p == "a" else ids["life_c"]
        ids[f"problem_{p}"] = Problem.objects.create(project_id=project, text="补充文档",
                                                     deadline=today + timedelta(days=30), created_by="system").pk  # fmt: skip
    for p in ("a", "b"):
        ids[f"review_{p}"] = operations.operations_request(actor=SYSTEM, system_id=ids[f"sys_{p}"], year=today.year + 1,
                                                           requested_budget=50_000).pk  # fmt: skip
