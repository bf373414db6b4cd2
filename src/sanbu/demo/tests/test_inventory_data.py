"""The demo's information systems: every department has some, docked and undocked from real facts, with
undocked ones on purpose in 淄博市教育局 and in 沂源县 (PRJ-A7), and loading again changes nothing."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from sanbu.core.audit import verify_chain
from sanbu.core.models import ChangeRecord
from sanbu.demo.data import DEPARTMENTS
from sanbu.demo.inventory_data import demo_systems, load_inventory, system_specs
from sanbu.inventory import selectors
from sanbu.inventory.models import InformationSystem, SystemStatus

pytestmark = pytest.mark.django_db(databases="__all__")


def test_specs_are_valid_without_a_database() -> None:
    specs = system_specs()
    per_dept = Counter(s.dept_key for s in specs)
    assert set(per_dept) == {d.key for d in DEPARTMENTS}
    assert all(2 <= n <= 4 for n in per_dept.values())
    firsts = {s.dept_key: s.data.name for s in reversed(specs)}
    assert firsts == {d.key: d.system for d in DEPARTMENTS}  # each department's first is its DeptSpec.system


def test_demo_has_docked_and_undocked_systems() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "信息系统清单：新登记" in out.getvalue()
    systems = demo_systems()
    assert len(systems) == len(system_specs())
    assert {s.system.status for s in systems} == set(SystemStatus.values)
    assert {s.system.network for s in systems} >= {"internet", "extranet", "intranet", "private"}
    assert any(s.system.on_gov_cloud for s in systems) and any(not s.system.on_gov_cloud for s in systems)
    assert {s.system.dengbao_level for s in systems} >= {0, 2, 3, 4}
    assert {s.system.mipin_status for s in systems} == {"not_started", "passed", "failed"}

    bases = Counter(s.docking.basis for s in systems if s.docking.docked)
    assert bases[selectors.PROVIDES] >= 10 and bases[selectors.GATEWAY] >= 1  # both facts occur

    jyj = demo_systems(dept_key="jyj", docked=False)
    assert {s.system.name for s in jyj} >= {"中小学学籍管理系统", "智慧校园安全监控系统"}
    assert all(s.system.department.name == "淄博市教育局" for s in jyj)
    assert demo_systems(dept_key="jyj", docked=True)  # and one that is docked
    county = demo_systems(dept_key="yy_dsj", docked=False)
    assert county and all(s.system.jurisdiction_id == "370323" for s in county)
    assert all(s.intent and s.docking.reason for s in jyj + county)
    pending = next(s for s in jyj if s.system.name == "中小学学籍管理系统")
    assert (
        pending.system.provides.exists() and "尚未发布" in pending.intent
    )  # provides, but nothing published

    retired = InformationSystem.objects.get(status=SystemStatus.RETIRED)
    assert ChangeRecord.objects.filter(
        object_type="inventory.informationsystem", object_id=str(retired.pk), action="inventory.system.retire"
    ).exists()

    before = (InformationSystem.objects.count(), ChangeRecord.objects.count())
    assert "新登记 0 个" in load_inventory()  # idempotent
    assert (InformationSystem.objects.count(), ChangeRecord.objects.count()) == before
    assert verify_chain()[1] is None
