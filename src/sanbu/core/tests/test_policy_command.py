"""`sanbu policy evaluate | schema | rulesets`: JSON out, exit code 2 with a Chinese message on bad input."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

APPROVAL: dict[str, Any] = {
    "project_class": "other", "expert_review": {"assessed": True, "experts": 5},
    "builds_machine_room_or_cloud": False, "buys_server_hardware": False, "leases_internet_line": False,
    "private_network_not_merged": False, "on_gov_cloud": True, "uses_secure_reliable": True,
    "crypto_compliant": True, "security_compliant": True, "goals_clear": True, "internal_integrated": True,
    "upgrades_unaccepted": False, "centre_opinion": "favourable",
    "unit_systems": [{"name": "旧审批系统", "docked": False}],
}  # fmt: skip
FACTS: dict[str, Any] = {
    "name": "区社保数据分析系统", "unit": "区人社局", "kind": "新建", "amount": 200000,
    "application_date": "2026-06-01", "plan_year": 2027, "approval": APPROVAL,
}  # fmt: skip


def run(*args: str) -> Any:
    out = StringIO()
    call_command("policy", *args, stdout=out)
    return json.loads(out.getvalue())


def write(tmp_path: Path, data: Any, raw: str | None = None) -> str:
    path = tmp_path / "facts.json"
    path.write_text(raw if raw is not None else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_evaluate_gate_s_blocks_a_new_system_without_sharing_needs(tmp_path: Path) -> None:
    result = run("evaluate", "--ruleset", "district", "--gate", "S", "--facts", write(tmp_path, FACTS))
    assert result["ruleset"] == "district" and result["chain"] == ["district", "default"]
    assert result["blocked"] is True
    s2 = next(d for d in result["decisions"] if d["rule_id"] == "PRJ-S2")
    assert s2["outcome"] == "block" and s2["fact"] == {"name": "declared_sharing", "value": 0}
    assert s2["remedy"] and "000" in s2["source"]


def test_evaluate_gate_a_gives_the_route_and_yiyuan_adds_a7(tmp_path: Path) -> None:
    path = write(tmp_path, FACTS)
    district = run("evaluate", "--ruleset", "district", "--gate", "A", "--facts", path)
    a1 = district["decisions"][0]
    assert a1["rule_id"] == "PRJ-A1" and a1["extra"]["route"] == "expert_panel"  # 200,000 inclusive
    assert "PRJ-A7" not in {d["rule_id"] for d in district["decisions"]}
    yiyuan = run("evaluate", "--ruleset", "yiyuan", "--gate", "A", "--facts", path)
    a7 = yiyuan["decisions"][-1]
    assert a7["rule_id"] == "PRJ-A7" and a7["outcome"] == "block" and yiyuan["blocked"] is True


def test_schema_and_rulesets() -> None:
    schema = run("schema")
    assert schema["title"] == "ProjectFacts" and "kind" in schema["required"]
    rows = {r["name"]: r for r in run("rulesets")}
    assert rows["yiyuan"]["parent"] == "zibo" and rows["yiyuan"]["rules"]["PRJ-A7"] is True
    assert rows["district"]["title"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ruleset", "nowhere", "--gate", "S"], "规则集“nowhere”不存在"),
        (["--ruleset", "../x", "--gate", "S"], "无效"),
        (["--gate", "K"], "未知字段"),
        (["--gate", "F"], "未知字段"),
    ],
)
def test_bad_ruleset_or_facts_of_another_gate_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as e:
        run("evaluate", *args, "--facts", write(tmp_path, FACTS))
    assert e.value.returncode == 2


@pytest.mark.parametrize(
    ("data", "raw", "message"),
    [
        ({**FACTS, "kind": "重建"}, None, "字段 kind"),
        ({**FACTS, "amount": "20万"}, None, "字段 amount：应为整数"),
        ({k: v for k, v in FACTS.items() if k != "unit"}, None, "字段 unit：缺少必填字段"),
        ({**FACTS, "approval": {**APPROVAL, "on_gov_cloud": "是"}}, None, "字段 approval.on_gov_cloud"),
        ({**FACTS, "approval": None}, None, "字段 approval"),
        (None, "{not json", "不是有效的 JSON"),
    ],
)
def test_facts_not_matching_the_schema_exit_2_naming_the_field(
    tmp_path: Path, data: Any, raw: str | None, message: str
) -> None:
    with pytest.raises(CommandError, match=message) as e:
        run("evaluate", "--gate", "A", "--facts", write(tmp_path, data, raw))
    assert e.value.returncode == 2


def test_unreadable_facts_file_exits_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="无法读取") as e:
        run("evaluate", "--gate", "S", "--facts", str(tmp_path / "missing.json"))
    assert e.value.returncode == 2


def test_unknown_gate_is_refused_by_the_parser() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("policy", "evaluate", "--gate", "Z", "--facts", "x.json")
