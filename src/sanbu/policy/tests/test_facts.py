"""Project facts: the JSON Schema generated from the dataclasses, and parsing that names the bad field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from sanbu.policy.facts import (
    ApprovalFacts,
    CentreOpinion,
    ExpertReview,
    FactsError,
    ProjectFacts,
    ProjectKind,
    ResourceState,
    SimilarProject,
    from_json,
    json_schema,
)

APPROVAL: dict[str, Any] = {
    "project_class": "infrastructure", "expert_review": {"assessed": True, "experts": 5, "secrecy_experts": 2},
    "builds_machine_room_or_cloud": False, "buys_server_hardware": False, "leases_internet_line": False,
    "private_network_not_merged": False, "on_gov_cloud": True, "uses_secure_reliable": True,
    "crypto_compliant": True, "security_compliant": True, "goals_clear": True, "internal_integrated": True,
    "upgrades_unaccepted": False, "centre_opinion": "favourable", "design_life_years": 8,
    "unit_systems": [{"name": "社保卡系统", "docked": True}],
}  # fmt: skip


def doc(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "区社保数据分析系统", "unit": "区人社局", "kind": "新建", "amount": 1500000,
        "application_date": "2026-06-01", "plan_year": 2027, "library_entry_date": None,
        "uses": [{"code": "307021/1", "state": "published"}],
        "similar_projects": [{"name": "二期", "amount": 600000, "similarity": 1}],
        "approval": APPROVAL,
    }  # fmt: skip
    base.update(kw)
    return base


def test_parses_a_full_document() -> None:
    p = from_json(doc())
    assert isinstance(p, ProjectFacts) and p.kind is ProjectKind.NEW
    assert p.application_date == dt.date(2026, 6, 1) and p.library_entry_date is None
    assert p.uses[0].state is ResourceState.PUBLISHED
    assert p.similar_projects == (SimilarProject("二期", 600000, similarity=1.0),)
    assert isinstance(p.similar_projects[0].similarity, float)
    assert isinstance(p.approval, ApprovalFacts) and p.approval.expert_review == ExpertReview(True, 5, 2)
    assert p.approval.centre_opinion is CentreOpinion.FAVOURABLE and p.approval.construction_months is None
    assert from_json(doc(library_entry_date="2025-01-01")).library_entry_date == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "重建"}, "kind", "新建"),
        ({"amount": "100"}, "amount", "整数"),
        ({"amount": True}, "amount", "整数"),
        ({"application_date": "2026/06/01"}, "application_date", "YYYY-MM-DD"),
        ({"application_date": 20260601}, "application_date", "YYYY-MM-DD"),
        ({"name": 1}, "name", "字符串"),
        ({"involves_secrets": "yes"}, "involves_secrets", "布尔"),
        ({"uses": {"code": "x"}}, "uses", "数组"),
        ({"uses": [{"code": "x", "state": "gone"}]}, "uses[0].state", "取值"),
        ({"uses": ["x"]}, "uses[0]", "对象"),
        ({"similar_projects": [{"name": "x", "amount": 1, "similarity": "high"}]}, "similar_projects[0].similarity",
         "数字"),
        ({"similar_projects": [{"name": "x", "amount": 1, "similarity": False}]}, "similar_projects[0].similarity",
         "数字"),
        ({"colour": "red"}, "colour", "未知字段"),
        ({"approval": {**APPROVAL, "extra": 1}}, "approval.extra", "未知字段"),
        ({"approval": {k: v for k, v in APPROVAL.items() if k != "on_gov_cloud"}}, "approval.on_gov_cloud", "缺少"),
    ],
)  # fmt: skip
def test_errors_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(FactsError, match=message) as e:
        from_json(doc(**change))
    assert e.value.field == field and field in str(e.value)


def test_missing_required_and_not_an_object() -> None:
    data = doc()
    del data["plan_year"]
    with pytest.raises(FactsError) as e:
        from_json(data)
    assert e.value.field == "plan_year" and "缺少" in e.value.message
    with pytest.raises(FactsError) as e:
        from_json([1, 2])
    assert e.value.field == "(根)"


def test_schema_is_generated_from_the_dataclasses() -> None:
    schema = json_schema()
    json.dumps(schema, ensure_ascii=False)  # serialisable
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {f.name for f in dataclasses.fields(ProjectFacts)}
    assert schema["required"] == ["name", "unit", "kind", "amount", "application_date", "plan_year"]
    props = schema["properties"]
    assert props["kind"]["enum"] == ["新建", "改建", "扩建", "迁移", "运维", "购买服务"]
    assert props["amount"] == {"type": "integer"}
    assert props["application_date"] == {"type": "string", "format": "date"}
    assert props["library_entry_date"]["anyOf"][1] == {"type": "null"}
    assert props["uses"]["items"]["properties"]["state"]["enum"][0] == "missing"
    assert props["category"]["default"] == "其他"
    approval = props["approval"]["anyOf"][0]
    assert "$schema" not in approval and approval["title"] == "ApprovalFacts"
    assert approval["properties"]["centre_opinion"]["default"] == "none"
    assert approval["properties"]["expert_review"]["properties"]["experts"]["default"] == 0
    assert props["similar_projects"]["items"]["properties"]["similarity"]["anyOf"][0] == {"type": "number"}
