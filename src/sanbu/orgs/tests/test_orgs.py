from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from sanbu.core.identifiers import make_uscc
from sanbu.orgs.models import Department, Jurisdiction, Role

pytestmark = pytest.mark.django_db


def test_jurisdictions_loaded_as_a_tree(db: Any) -> None:
    zibo = Jurisdiction.objects.get(code="370300")
    assert zibo.name == "淄博市" and zibo.parent_id == "370000"
    counties = {j.name for j in zibo.children.filter(valid_to__isnull=True)}
    assert {"沂源县", "张店区", "桓台县"} <= counties
    assert Jurisdiction.objects.get(code="370323").full_name() == "山东省淄博市沂源县"
    assert Jurisdiction.objects.count() > 3000


def test_roles_are_data(db: Any) -> None:
    codes = set(Role.objects.values_list("code", flat=True))
    assert codes == {
        "authority",
        "steward",
        "consumer",
        "project_unit",
        "expert",
        "finance",
        "leader",
        "auditor",
    }
    assert "catalog.resource.review" in Role.objects.get(code="authority").actions
    assert "catalog.resource.review" not in Role.objects.get(code="steward").actions


def test_add_department_command(capsys: pytest.CaptureFixture[str]) -> None:
    code = make_uscc("11", "370300", "00423612")
    call_command("add_department", name="淄博市公安局", uscc=code, jurisdiction="370300")
    assert Department.objects.get(uscc=code).jurisdiction_id == "370300"
    assert "淄博市公安局" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("uscc", "jurisdiction", "expected"),
    [
        ("11370300MB2840123X", "370300", "校验位"),
        ("11370300MB284012", "370300", "18 位"),
        (make_uscc("11", "370300", "00423613"), "379999", "行政区划代码"),
    ],
)
def test_add_department_rejects_with_exit_2(uscc: str, jurisdiction: str, expected: str) -> None:
    with pytest.raises(CommandError) as info:
        call_command("add_department", name="某部门", uscc=uscc, jurisdiction=jurisdiction)
    assert info.value.returncode == 2 and expected in str(info.value)
    assert not Department.objects.filter(name="某部门").exists()


def test_duplicate_code_is_a_conflict() -> None:
    code = make_uscc("11", "370300", "00423614")
    call_command("add_department", name="甲", uscc=code, jurisdiction="370300")
    with pytest.raises(CommandError, match="已被其他部门使用"):
        call_command("add_department", name="乙", uscc=code, jurisdiction="370300")


def test_console_script_exit_code_is_2(tmp_path: Any) -> None:
    env = {"SANBU_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "sanbu.manage", "migrate", "-v0"], env=env, check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "sanbu.manage", "add_department", "--name", "X", "--uscc", "123", "--jurisdiction", "370300"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "统一社会信用代码应为 18 位" in proc.stderr


def test_unknown_place_in_code_is_only_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code = make_uscc("11", "999999", "00423615")
    call_command("add_department", name="异地代码部门", uscc=code, jurisdiction="370300")
    assert Department.objects.filter(uscc=code).exists()
    assert "999999" in capsys.readouterr().err
