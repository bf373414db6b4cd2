"""规则集 pages through the Django test client: read every parameter in words with citation and where it
was set, propose changes into a draft, publish or discard it; errors in place; user text escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sanbu.core.actor import SYSTEM
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.orgs import rulesets
from sanbu.orgs.models import RulesetState, RulesetVersion
from sanbu.policy.rulesets import Change
from sanbu.web.views.rulesets import describe

pytestmark = pytest.mark.django_db(databases="__all__")

DAYS = "exchange.need_answer_days"
HX = {"HX-Request": "true"}


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def zibo_admin(db: Any) -> Any:
    bureau = make_department("淄博市大数据局")
    return make_user("rs_admin", department=bureau, roles=("authority",), jurisdiction="370300")


@pytest.fixture
def auditor(db: Any) -> Any:
    return make_user("rs_auditor", roles=("auditor",), jurisdiction="370300")


def propose(c: Client, name: str = "zibo", **data: Any) -> Any:
    body = {"kind": "parameter", "key": DAYS, "new": "7", "citation": "淄政办发〔2025〕3号 第五条", **data}
    return c.post(f"/policy/rulesets/{name}/", body)


def test_nav_link_only_for_readers(zibo_admin: Any, steward: Any) -> None:
    assert 'href="/policy/rulesets/"' in html(client_for(zibo_admin).get("/"))
    assert 'href="/policy/rulesets/"' not in html(client_for(steward).get("/"))
    assert client_for(steward).get("/policy/rulesets/").status_code == 404
    assert client_for(steward).get("/policy/rulesets/zibo/").status_code == 404
    anonymous = Client().get("/policy/rulesets/zibo/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_list_shows_each_ruleset_with_its_jurisdictions(auditor: Any) -> None:
    page = html(client_for(auditor).get("/policy/rulesets/"))
    for text in ("国家默认规则", "淄博市（370300）", "沂源县（370323）", "江西省（360000）", "yiyuan → zibo → default",
                 "未由其他规则集适用的辖区", "暂无（供模拟）"):  # fmt: skip
        assert text in page, text


def test_detail_shows_every_parameter_in_words_with_citation_and_origin(auditor: Any) -> None:
    response = client_for(auditor).get("/policy/rulesets/district/")
    page = html(response)
    assert response.status_code == 200
    assert "低于 20 万元：项目单位自行组织审查" in page
    assert "20 万元（含）至 200 万元：项目单位组织专家论证会审查" in page
    assert "200 万元（含）以上：大数据中心、发展改革、财政等部门会同专家联合评审" in page
    assert "002 篇二 三(四)" in page and "district.yaml" in page and "default.yaml" in page
    assert "每年 8 月 31 日前申报下一年度项目" in page
    assert "10 个工作日" in page and "项目投入运行后 6 至 12 个月内" in page
    assert "PRJ-A7" in page and "停用" in page
    assert "起草新版本" not in page  # an auditor reads only
    for key in rulesets.current("district").parameters:
        assert f'id="param-{key}"' in page


def test_propose_publish_and_the_history(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    response = propose(c, note="缩短答复期限")
    assert response.status_code == 302 and response["Location"] == "/policy/rulesets/zibo/"
    draft = RulesetVersion.objects.get(name="zibo", state=RulesetState.DRAFT)
    tiers = '[{"from": 0, "route": "self_review"}, {"from": 500000, "route": "expert_panel"}]'
    assert (
        propose(
            c, key="projects.review_tiers", new=tiers, citation="淄政发 第三条", revision=draft.revision
        ).status_code
        == 302
    )
    assert propose(c, kind="rule", key="PRJ-A7", enabled="1", citation="淄政发 第四条").status_code == 302
    draft.refresh_from_db()
    assert [ch["key"] for ch in draft.changes] == [DAYS, "projects.review_tiers", "PRJ-A7"]
    page = html(c.get("/policy/rulesets/zibo/"))
    assert f"草稿 #{draft.pk}" in page and "加入草稿" in page
    assert "10 个工作日" in page and "7 个工作日" in page and "淄政办发〔2025〕3号 第五条" in page
    assert "低于 50 万元：项目单位自行组织审查" in page
    response = c.post(f"/policy/rulesets/zibo/versions/{draft.pk}/publish/")
    assert response.status_code == 302
    page = html(c.get("/policy/rulesets/zibo/"))
    assert "已发布第 1 版" in page and "zibo 第 1 版" in page and "第 1 版" in page
    assert rulesets.current("zibo").value(DAYS) == 7 and rulesets.current("yiyuan").enabled("PRJ-A7")


def test_errors_are_chinese_and_in_place(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    response = propose(c, new="七天")
    assert response.status_code == 400
    page = html(response)
    assert "新值不是有效的 JSON" in page and "七天" in page  # what was typed is kept
    response = propose(
        c,
        key="projects.review_tiers",
        new='[{"from": 0, "route": "self_review"}, {"from": 0, "route": "joint_panel"}]',
    )
    assert response.status_code == 400 and "从小到大排列且不重复" in html(response)
    response = propose(c, new='"7"', citation=" ")
    page = html(response)
    assert (
        response.status_code == 400
        and "应为整数（如 10）" in page
        and "请填写 exchange.need_answer_days 的修改依据" in page
    )
    response = propose(c, kind="rule", key="PRJ-99", citation="x")
    assert response.status_code == 400 and "规则编号“PRJ-99”无效" in html(response)
    assert not RulesetVersion.objects.exists()


def test_user_text_is_escaped(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    assert propose(c, citation="<script>alert(1)</script>", note="<b>说明</b>").status_code == 302
    page = html(c.get("/policy/rulesets/zibo/"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>说明</b>" not in page and "&lt;b&gt;说明&lt;/b&gt;" in page
    response = propose(c, key="projects.separate_kinds", new='{"<img src=x>": 1}', citation="x")
    assert response.status_code == 400 and "<img src=x>" not in html(response)


def test_out_of_scope_ruleset_is_read_only(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    page = html(c.get("/policy/rulesets/jiangxi/"))
    assert "赣府厅发〔2023〕12号" in page and "起草新版本" not in page
    assert propose(c, name="jiangxi").status_code == 404
    draft = rulesets.ruleset_draft(actor=SYSTEM, name="jiangxi", changes=[Change("parameter", DAYS, 8, "赣")])
    assert f"草稿 #{draft.pk}" not in html(c.get("/policy/rulesets/jiangxi/"))
    assert c.post(f"/policy/rulesets/jiangxi/versions/{draft.pk}/publish/").status_code == 404
    assert c.post(f"/policy/rulesets/zibo/versions/{draft.pk}/publish/").status_code == 404  # not zibo's
    assert c.get("/policy/rulesets/nowhere/").status_code == 404
    assert c.post("/policy/rulesets/zibo/versions/1/explode/").status_code == 404


def test_a_draft_left_behind_conflicts_then_is_brought_up_to_date(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    admin = actor_of(zibo_admin)
    a = rulesets.ruleset_draft(actor=admin, name="zibo", changes=[Change("parameter", DAYS, 7, "甲")])
    b = rulesets.ruleset_draft(actor=admin, name="zibo", changes=[Change("parameter", DAYS, 5, "乙")])
    rulesets.ruleset_publish(actor=admin, version_id=a.pk)
    page = html(c.get("/policy/rulesets/zibo/"))
    assert "本草稿基于第 0 版起草，规则集已是第 1 版" in page and "按当前版本重新核对" in page
    response = c.post(f"/policy/rulesets/zibo/versions/{b.pk}/publish/")
    assert response.status_code == 409 and "已发布第 1 版" in html(response)
    assert c.post(f"/policy/rulesets/zibo/versions/{b.pk}/refresh/", {"revision": 1}).status_code == 302
    assert c.post(f"/policy/rulesets/zibo/versions/{b.pk}/publish/").status_code == 302
    assert RulesetVersion.objects.get(pk=b.pk).number == 2
    response = c.post(f"/policy/rulesets/zibo/versions/{b.pk}/publish/")
    assert response.status_code == 409 and "已发布" in html(response)


def test_remove_a_change_and_discard(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    propose(c)
    propose(c, key="projects.trial_run_months", new="2", citation="淄政发")
    draft = RulesetVersion.objects.get(name="zibo")
    assert (
        c.post(f"/policy/rulesets/zibo/versions/{draft.pk}/remove/", {"index": 1, "revision": 2}).status_code
        == 302
    )
    draft.refresh_from_db()
    assert [ch["key"] for ch in draft.changes] == ["projects.trial_run_months"]
    response = c.post(f"/policy/rulesets/zibo/versions/{draft.pk}/remove/", {"index": 1})
    assert response.status_code == 400 and "请至少提出一项修改" in html(response)
    response = c.post(f"/policy/rulesets/zibo/versions/{draft.pk}/discard/", {"reason": "另行起草"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == RulesetState.DISCARDED
    page = html(c.get("/policy/rulesets/zibo/"))
    assert "已放弃" in page and "放弃原因：另行起草" in page and "起草新版本" in page


def test_value_field_follows_the_chosen_parameter(zibo_admin: Any) -> None:
    c = client_for(zibo_admin)
    number = html(c.get("/policy/rulesets/zibo/value/", {"key": DAYS}, headers=HX))
    assert 'type="number"' in number and 'value="10"' in number
    tiers = html(c.get("/policy/rulesets/zibo/value/", {"key": "projects.review_tiers"}, headers=HX))
    assert "<textarea" in tiers and "expert_panel" in tiers and "不论金额" in tiers
    assert c.get("/policy/rulesets/zibo/value/", {"key": "nope"}).status_code == 404
    assert c.get("/policy/rulesets/nowhere/value/", {"key": DAYS}).status_code == 404
    page = html(c.get("/policy/rulesets/zibo/", {"key": "projects.application_deadline"}))
    assert "&quot;month&quot;: 8" in page


@pytest.mark.parametrize(
    ("key", "value", "lines"),
    [
        ("projects.province_escalation", {"infrastructure": 10000000, "other": 5000000},
         ["基础设施类、跨部门跨层级集成类项目 1000 万元（含）以上报省级", "其他类别（不含运维）项目 500 万元（含）以上报省级"]),
        ("projects.province_escalation", None, ["未设置"]),
        ("projects.required_materials", {"om": ["name", "om_plan"]}, ["运维类：项目名称、运维实施方案"]),
        ("exchange.conditional_steps", ["accept", "approve"], ["平台管理部门受理 → 提供部门审核同意"]),
        ("projects.split_similarity", 0.8, ["名称、内容、技术路线的平均相似度 ≥ 0.8 视为相似"]),
        ("projects.separate_kinds", {"政府网站": ["网站", "门户"]}, ["政府网站：网站、门户"]),
        ("projects.review_tiers", [{"from": 0, "route": "joint_panel"}], ["不论金额：大数据中心、发展改革、财政等部门会同专家联合评审（专题论证会/联合会审）"]),
        ("projects.review_tiers", [{"from": 150, "route": "x"}], ["150 元（含）以上：x"]),
        ("projects.review_tiers", [{"route": "x"}], ['[{"route": "x"}]']),
        ("other.flag", True, ["是"]),
        ("other.list", [], ["（空）"]),
        ("other.nested", [{"a": 1}], ['[{"a": 1}]']),
        ("other.days", 3, ["3"]),
    ],
)  # fmt: skip
def test_values_in_words(key: str, value: Any, lines: list[str]) -> None:
    assert describe(key, value) == lines
