"""The information system inventory: derived docking, services, the xlsx template and its command."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services as exchange_services
from sanbu.exchange.models import UsageDay
from sanbu.exchange.tests.sharing import published_resource
from sanbu.inventory import selectors, services
from sanbu.inventory.excel import SHEET, inventory_export, inventory_import
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.inventory.services import SystemData
from sanbu.policy.rulesets import DOCKING_WINDOW_DAYS, load_ruleset

pytestmark = pytest.mark.django_db(databases="__all__")
TODAY = date(2026, 11, 25)


@pytest.fixture
def env(db: Any) -> dict[str, Any]:
    dept = make_department("淄博市公安局")
    other = make_department("淄博市民政局")
    steward_user = make_user("inv_steward", department=dept, roles=("steward",))
    return {
        "dept": dept,
        "other": other,
        "steward_user": steward_user,
        "steward": actor_of(steward_user),
        "other_steward": actor_of(make_user("inv_other", department=other, roles=("steward",))),
        "authority": actor_of(make_user("inv_auth", department=other, roles=("authority",))),
    }


def _system(env: dict[str, Any], name: str = "人口信息系统", **over: Any) -> InformationSystem:
    return services.system_register(actor=env["steward"], data=SystemData(name=name, **over))


# --- docked is derived ---------------------------------------------------------------------------


def test_window_parameter_is_cited() -> None:
    param = load_ruleset()[DOCKING_WINDOW_DAYS]
    assert param.value == 90 and "002 篇五 五" in param.citation


def test_not_docked_without_facts(env: dict[str, Any]) -> None:
    system = _system(env)
    result = selectors.docked(system, TODAY)
    assert not result.docked and result.basis == ""
    assert "90 天" in result.reason


def test_docked_by_published_mounted_resource(env: dict[str, Any]) -> None:
    resource = published_resource(env["dept"], "户籍人口")
    unpublished = published_resource(env["dept"], "暂住人口", publish=False)
    system = _system(env, provides=(unpublished.pk,))
    assert not selectors.docked(system, TODAY).docked  # mounted but not published does not count
    system = services.system_update(
        actor=env["steward"], system_id=system.pk, expected_version=system.version,
        data=SystemData(name=system.name, provides=(unpublished.pk, resource.pk)),
    )  # fmt: skip
    result = selectors.docked(system, TODAY)
    assert result.docked and result.basis == selectors.PROVIDES
    assert resource.code in result.reason


def test_docked_by_gateway_call_within_window(env: dict[str, Any]) -> None:
    system = _system(env)
    resource = published_resource(env["other"], "婚姻登记")
    app = exchange_services.app_register(actor=env["steward"], name="户籍核验", system_name=system.name)
    other_app = exchange_services.app_register(actor=env["steward"], name="别的应用", system_name="别的系统")
    UsageDay.objects.create(resource_id=resource.pk, app=other_app, day=TODAY, calls=5)
    assert not selectors.docked(system, TODAY).docked  # another system's app
    UsageDay.objects.create(resource_id=resource.pk, app=app, day=TODAY - timedelta(days=90), calls=3)
    assert not selectors.docked(system, TODAY).docked  # just outside the 90-day window
    assert selectors.docked(system, TODAY - timedelta(days=1)).docked
    UsageDay.objects.create(resource_id=resource.pk, app=app, day=TODAY - timedelta(days=89), calls=1)
    result = selectors.docked(system, TODAY)
    assert result.docked and result.basis == selectors.GATEWAY
    assert "户籍核验" in result.reason and (TODAY - timedelta(days=89)).isoformat() in result.reason
    # a same-named system of another department is not docked by this department's app
    twin = services.system_register(actor=env["other_steward"], data=SystemData(name=system.name))
    assert not selectors.docked(twin, TODAY).docked


def test_docked_is_not_stored() -> None:
    names = {f.name for f in InformationSystem._meta.get_fields()}
    assert not any("dock" in n for n in names)


# --- services ------------------------------------------------------------------------------------


def test_version_conflict(env: dict[str, Any]) -> None:
    system = _system(env)
    services.system_update(
        actor=env["steward"], system_id=system.pk, expected_version=1, data=SystemData(name="新名称")
    )
    with pytest.raises(Conflict) as exc:
        services.system_update(
            actor=env["steward"], system_id=system.pk, expected_version=1, data=SystemData(name="再改")
        )
    assert exc.value.code == "inventory.system.changed"
    with pytest.raises(Conflict):
        services.system_retire(actor=env["steward"], system_id=system.pk, expected_version=1)
    retired = services.system_retire(
        actor=env["steward"], system_id=system.pk, expected_version=2, reason="到期"
    )
    assert retired.status == SystemStatus.RETIRED and retired.version == 3


def test_forbidden_looks_missing(env: dict[str, Any]) -> None:
    system = _system(env)
    before = ChangeRecord.objects.count()
    for actor in (env["other_steward"], env["authority"]):
        with pytest.raises(NotFound) as exc:
            services.system_update(
                actor=actor, system_id=system.pk, expected_version=None, data=SystemData(name="x")
            )
        assert exc.value.code == "inventory.system.not_found"
        with pytest.raises(NotFound):
            services.system_retire(actor=actor, system_id=system.pk, expected_version=None)
    with pytest.raises(NotFound):
        services.system_register(
            actor=env["other_steward"], data=SystemData(name="x"), department_id=env["dept"].pk
        )
    with pytest.raises(NotFound):
        selectors.system_get(actor=env["other_steward"], system_id=system.pk)
    assert selectors.system_get(actor=env["authority"], system_id=system.pk) == system  # views jurisdiction
    assert ChangeRecord.objects.count() == before


def test_validation_and_foreign_resource(env: dict[str, Any]) -> None:
    _system(env)
    foreign = published_resource(env["other"], "婚姻登记")
    with pytest.raises(ValidationFailed) as exc:
        _system(env, provides=(foreign.pk,), dengbao_level=0, dengbao_test_date=date(2025, 1, 1))
    fields = {e.field for e in exc.value.errors}
    assert fields == {"name", "provides", "dengbao_test_date"}


def test_api_round(env: dict[str, Any]) -> None:
    resource = published_resource(env["dept"], "户籍人口")
    client = Client()
    client.force_login(env["steward_user"])
    body = {"name": "综合受理系统", "network": "extranet", "dengbao_level": 3, "provides": [resource.pk]}
    created = client.post("/api/inventory/systems", body, content_type="application/json")
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["docked"] is True and out["docked_basis"] == "provides" and out["docked_reason"]
    sid = out["id"]
    stale = client.put(
        f"/api/inventory/systems/{sid}", {**body, "version": 7}, content_type="application/json"
    )
    assert stale.status_code == 409
    listed = client.get("/api/inventory/systems").json()
    assert [s["id"] for s in listed] == [sid]
    retired = client.post(
        f"/api/inventory/systems/{sid}/retire", {"version": 1}, content_type="application/json"
    )
    assert retired.json()["status"] == "retired"


# --- xlsx ----------------------------------------------------------------------------------------


def _export(env: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    inventory_export(actor=SYSTEM, department_id=env["dept"].pk, stream=out)
    return out.getvalue()


def _append(data: bytes, *rows: list[Any]) -> io.BytesIO:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for row in rows:
        wb[SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _row(env: dict[str, Any], name: str, **over: Any) -> list[Any]:
    values = {
        "A": name, "B": env["dept"].name, "C": env["dept"].uscc, "D": "用途", "E": "运行", "F": "政务外网",
        "G": "是", "H": "第三级", "I": "2025-06-01", "J": "已通过", "K": "是", "L": "国产数据库", "M": "", "N": "",
    }  # fmt: skip
    values.update(over)
    return [values[k] for k in "ABCDEFGHIJKLMN"]


def test_round_trip_unchanged(env: dict[str, Any]) -> None:
    resource = published_resource(env["dept"], "户籍人口")
    _system(env, "甲系统", provides=(resource.pk,), dengbao_level=2, dengbao_test_date=date(2024, 5, 6),
            xinchuang=True, xinchuang_note="麒麟操作系统", on_gov_cloud=True, purpose="受理")  # fmt: skip
    _system(
        env, "乙系统", status=SystemStatus.BUILDING, network="internet", built_by_project="2025 年改造项目"
    )
    snapshot = {s.pk: services.snapshot(s) for s in InformationSystem.objects.all()}
    before = ChangeRecord.objects.count()
    report = inventory_import(actor=env["steward"], file=io.BytesIO(_export(env)))
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert {s.pk: services.snapshot(s) for s in InformationSystem.objects.all()} == snapshot
    assert ChangeRecord.objects.count() == before


def test_import_creates_and_updates(env: dict[str, Any]) -> None:
    resource = published_resource(env["dept"], "户籍人口")
    _system(env, "甲系统")
    file = _append(_export(env), _row(env, "丙系统", N=resource.code))
    wb = openpyxl.load_workbook(file)
    wb[SHEET]["D2"] = "新的用途"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    report = inventory_import(actor=env["steward"], file=out)
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    new = InformationSystem.objects.get(name="丙系统")
    assert new.dengbao_level == 3 and list(new.provides.all()) == [resource]
    assert selectors.docked(new, timezone.localdate()).docked
    assert InformationSystem.objects.get(name="甲系统").purpose == "新的用途"


def test_import_errors_per_row_write_nothing(env: dict[str, Any]) -> None:
    file = _append(
        _export(env),
        _row(env, "好系统"),
        _row(env, "坏状态", E="试运行"),
        _row(env, "坏级别", H="第九级", I="2025-13-01"),
        _row(env, "坏部门", C=env["other"].uscc),
        _row(env, "坏资源", N="NOPE-1"),
        _row(env, "好系统"),
    )
    report = inventory_import(actor=env["steward"], file=file)
    lines = report.lines()
    assert lines[0].startswith("信息系统!3 系统状态：“试运行”不是可选值")
    assert any(line.startswith("信息系统!4 等保级别：") for line in lines)
    assert any(line.startswith("信息系统!4 等保测评日期：") for line in lines)
    assert any(line.startswith("信息系统!5 部门统一社会信用代码：您无权") for line in lines)
    assert any(line.startswith("信息系统!6 提供的目录资源代码：目录中没有代码为 NOPE-1") for line in lines)
    assert any(line.startswith("信息系统!7 信息系统名称：与第 2 行重复") for line in lines)
    assert not any(line.startswith("信息系统!2 ") for line in lines)
    assert InformationSystem.objects.count() == 0


def test_commands_exit_1_and_round_trip(env: dict[str, Any], tmp_path: Path) -> None:
    _system(env, "甲系统", dengbao_level=3, dengbao_test_date=date(2025, 1, 2))
    path = tmp_path / "inv.xlsx"
    call_command("export_inventory", "--department", env["dept"].uscc, "-o", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_inventory", str(path), "--as", "inv_steward", stdout=out)
    assert "新建 0、更新 0、未变 1" in out.getvalue()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_append(path.read_bytes(), _row(env, "乙系统", G="也许")).getvalue())
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_inventory", str(bad), "--as", "inv_steward", stdout=out)
    assert exc.value.returncode == 1
    assert out.getvalue().startswith("信息系统!3 是否部署在政务云：")
    out = io.StringIO()
    good = tmp_path / "good.xlsx"
    good.write_bytes(_append(path.read_bytes(), _row(env, "乙系统")).getvalue())
    call_command("import_inventory", str(good), "--as", "inv_steward", "--dry-run", stdout=out)
    assert "将新建 1" in out.getvalue() and InformationSystem.objects.count() == 1


def test_docking_window_follows_each_jurisdictions_ruleset(env: dict[str, Any]) -> None:
    """A published version of yiyuan's ruleset shortens its window; the city's systems keep 90 days."""
    from sanbu.orgs import rulesets
    from sanbu.policy.rulesets import Change

    county = make_department("沂源县教育局", jurisdiction="370323")
    city_system = _system(env)
    county_system = services.system_register(
        actor=SYSTEM, department_id=county.pk, data=SystemData(name="县学籍系统")
    )
    resource = published_resource(env["other"], "学籍")
    for dept, system in ((env["dept"], city_system), (county, county_system)):
        app = exchange_services.app_register(actor=SYSTEM, name=f"{system.name}应用", system_name=system.name,
                                             department_id=dept.pk)  # fmt: skip
        UsageDay.objects.create(resource_id=resource.pk, app=app, day=TODAY - timedelta(days=20), calls=2)
    both = [city_system, county_system]
    assert all(d.docked for d in selectors.docked_many(both, TODAY).values())
    draft = rulesets.ruleset_draft(actor=SYSTEM, name="yiyuan", changes=[
        Change("parameter", DOCKING_WINDOW_DAYS, 14, "源政发〔2018〕16号：两周内未调用视为未对接（测试）")])  # fmt: skip
    rulesets.ruleset_publish(actor=SYSTEM, version_id=draft.pk)
    result = selectors.docked_many(both, TODAY)
    assert result[city_system.pk].docked and result[city_system.pk].window_days == 90
    assert not result[county_system.pk].docked and result[county_system.pk].window_days == 14
    docked_ids = set(
        InformationSystem.objects.filter(selectors.docked_condition(TODAY)).values_list("pk", flat=True)
    )
    assert city_system.pk in docked_ids and county_system.pk not in docked_ids
