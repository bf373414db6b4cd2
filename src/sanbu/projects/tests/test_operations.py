"""Gate O (运维经费, PRJ-O1..O3): the unit's request, the authority's yearly check of every running system,
the eligibility list; O2 only where a ruleset switches it on (yiyuan)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanbu.catalog import services as catalog
from sanbu.catalog.models import Resource, ResourceItem
from sanbu.core.actor import SYSTEM
from sanbu.core.errors import Conflict, NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.inventory import services as inventory
from sanbu.inventory.models import InformationSystem
from sanbu.inventory.services import SystemData
from sanbu.projects import operations, steps
from sanbu.projects.models import OperationsReview
from sanbu.projects.tests.support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

TODAY = steps.today()
YEAR = TODAY.year + 1
DEFAULT, ZIBO, YIYUAN, JIANGXI = "110000", "370300", "370323", "360000"


def graded(w: World, **over: Any) -> InformationSystem:
    """``w.system`` with a 等保 test on record (the world's system is graded but never tested)."""
    data = SystemData(name=w.system.name, provides=(w.own.pk,), on_gov_cloud=True, dengbao_level=3,
                      dengbao_test_date=TODAY - timedelta(days=30), **over)  # fmt: skip
    return inventory.system_update(actor=SYSTEM, system_id=w.system.pk, expected_version=None, data=data)


def check(w: World, code: str) -> dict[int, OperationsReview]:
    return {
        r.system_id: r for r in operations.operations_check(actor=w.authority, jurisdiction=code, year=YEAR)
    }


def rules(row: OperationsReview) -> dict[str, dict[str, Any]]:
    return {d["rule_id"]: d for d in row.decisions}


def test_a_request_is_one_row_per_system_and_year_guarded_by_its_version() -> None:
    w = world(ZIBO, "q")
    row = operations.operations_request(
        actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=80_000
    )
    assert (row.requested_budget, row.version, row.eligible) == (80_000, 1, None)
    graded(w)
    checked = check(w, ZIBO)[w.system.pk]
    assert checked.pk == row.pk and checked.eligible is True and checked.version == 2
    with pytest.raises(Conflict):
        operations.operations_request(actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=1,
                                      expected_version=1)  # fmt: skip
    assert OperationsReview.objects.get(pk=row.pk).requested_budget == 80_000
    again = operations.operations_request(actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=90_000,
                                          last_budget=80_000, last_evaluation="良好", expected_version=2)  # fmt: skip
    assert (again.pk, again.version, again.requested_budget, again.eligible) == (row.pk, 3, 90_000, None)
    assert OperationsReview.objects.count() == 1
    records = ChangeRecord.objects.filter(action="projects.operations.request", object_id=str(row.pk)).count()
    assert records == 2


@pytest.mark.parametrize("over, field", [
    ({"year": 1999}, "year"), ({"requested_budget": -1}, "requested_budget"), ({"last_budget": -5}, "last_budget"),
    ({"workload_change": float("nan")}, "workload_change"), ({"last_evaluation": "很好"}, "last_evaluation"),
])  # fmt: skip
def test_a_bad_request_is_refused_and_nothing_is_written(over: dict[str, Any], field: str) -> None:
    w = world(ZIBO, "v")
    args: dict[str, Any] = {"year": YEAR, "requested_budget": 10_000, **over}
    with pytest.raises(ValidationFailed) as exc:
        operations.operations_request(actor=w.applicant, system_id=w.system.pk, **args)
    assert [e.field for e in exc.value.errors] == [field]
    assert not OperationsReview.objects.exists()


def test_only_the_unit_requests_and_only_the_jurisdictions_authority_checks() -> None:
    w = world(ZIBO, "x")
    other = world(DEFAULT, "y")
    with pytest.raises(NotFound):
        operations.operations_request(actor=w.authority, system_id=w.system.pk, year=YEAR, requested_budget=1)
    with pytest.raises(NotFound):
        operations.operations_request(
            actor=other.applicant, system_id=w.system.pk, year=YEAR, requested_budget=1
        )
    with pytest.raises(NotFound):
        operations.operations_check(actor=w.applicant, jurisdiction=ZIBO, year=YEAR)
    with pytest.raises(NotFound):
        operations.operations_check(actor=other.authority, jurisdiction=ZIBO, year=YEAR)
    assert not OperationsReview.objects.exists()
    # the authority of the country checks only its own systems
    rows = operations.operations_check(actor=other.authority, jurisdiction=DEFAULT, year=YEAR)
    assert [r.system_id for r in rows] == [other.system.pk]


def test_prj_o1_security_is_a_graded_and_tested_system_and_a_fix_makes_it_eligible() -> None:
    w = world(ZIBO, "s")
    row = check(w, ZIBO)[w.system.pk]
    o1 = rules(row)["PRJ-O1"]
    assert row.eligible is False and row.requested_budget == 0 and row.ruleset == "zibo"
    assert [i["fact"] for i in o1["extra"]["items"]] == ["security_compliant"]
    assert (
        row.facts is not None
        and row.facts["security_compliant"] is False
        and row.checked_by == w.authority.username
    )
    graded(w)
    row = check(w, ZIBO)[w.system.pk]
    assert row.eligible is True and rules(row)["PRJ-O1"]["outcome"] == "allow" and row.version == 2
    assert ChangeRecord.objects.filter(action="projects.operations.check", object_id=str(row.pk)).count() == 2
    # 密评 failed, off the cloud, a major hazard: each a failed item of (二)/(三)
    graded(w, mipin_status="failed", network="internet")
    operations.operations_request(actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=1,
                                  major_hazards=True)  # fmt: skip
    items = [i["fact"] for i in rules(check(w, ZIBO)[w.system.pk])["PRJ-O1"]["extra"]["items"]]
    assert items == ["crypto_compliant", "major_hazards", "on_extranet"]


@pytest.mark.parametrize("code", [DEFAULT, ZIBO, YIYUAN, JIANGXI])
def test_prj_o1_an_unpublished_resource_fails_and_o2_only_where_switched_on(code: str) -> None:
    w = world(code, "o")
    graded(w)
    row = check(w, code)[w.system.pk]
    assert row.eligible is True
    assert ("PRJ-O2" in rules(row)) == (code == YIYUAN)
    catalog.resource_offline(actor=SYSTEM, resource_id=w.own.pk, expected_version=None, reason="整改")
    row = check(w, code)[w.system.pk]
    o1 = rules(row)["PRJ-O1"]
    assert row.eligible is False and o1["outcome"] == "block"
    assert {i["fact"] for i in o1["extra"]["items"]} == {"shares_as_required", "resources.failing"}
    assert w.own.name in o1["reason"]
    if code == YIYUAN:
        assert (
            rules(row)["PRJ-O2"]["outcome"] == "block"
        )  # no published resource, no gateway calls: not docked
    else:
        assert "PRJ-O2" not in rules(row)


def test_prj_o1_collecting_data_another_department_provides() -> None:
    w = world(ZIBO, "c")
    graded(w)
    name = ResourceItem.objects.get(resource=w.published, name="姓名")
    assert name.element_id is not None
    catalog.element_claim(actor=SYSTEM, element_id=name.element_id, department_id=w.provider.pk)
    row = check(w, ZIBO)[w.system.pk]
    o1 = rules(row)["PRJ-O1"]
    assert row.eligible is False and [i["fact"] for i in o1["extra"]["items"]] == ["collects_again"]
    assert row.facts is not None and row.facts["collects_again"] == [
        f"{w.own.name}·姓名（{w.provider.name}）"
    ]


def test_prj_o1_a_system_that_holds_data_must_provide_some() -> None:
    w = world(ZIBO, "h")
    silent = inventory.system_register(actor=SYSTEM, department_id=w.unit.pk, data=SystemData(
        name="h档案系统", on_gov_cloud=True, dengbao_level=2, dengbao_test_date=TODAY))  # fmt: skip
    assert operations.operations_facts(silent, YEAR, TODAY).shares_as_required is True  # nothing on record
    Resource.objects.filter(pk=w.own.pk).update(source_system="h档案系统")
    facts = operations.operations_facts(silent, YEAR, TODAY)
    assert facts.shares_as_required is False and facts.resources == ()


def test_prj_o3_the_budget_ceiling_and_the_eligibility_list() -> None:
    w = world(ZIBO, "b")
    graded(w)
    second = inventory.system_register(actor=SYSTEM, department_id=w.unit.pk, data=SystemData(
        name="b招生系统", on_gov_cloud=True, dengbao_level=2))  # fmt: skip  # never tested: ineligible
    operations.operations_request(actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=132_001,
                                  last_budget=100_000, workload_change=0.2, last_evaluation="良好")  # fmt: skip
    row = check(w, ZIBO)[w.system.pk]
    o3 = rules(row)["PRJ-O3"]
    assert row.eligible is True and o3["outcome"] == "needs-review" and o3["extra"]["ceiling"] == 132_000
    listed = {
        r.system_id: r for r in operations.eligibility_list(actor=w.authority, jurisdiction=ZIBO, year=YEAR)
    }
    mine, other = listed[w.system.pk], listed[second.pk]
    assert (mine.eligible, mine.requested_budget, mine.suggested_budget) == (True, 132_001, 132_000)
    assert [r["rule_id"] for r in mine.review] == ["PRJ-O3"] and mine.failed == ()
    assert (other.eligible, other.suggested_budget) == (False, 0) and other.failed[0]["rule_id"] == "PRJ-O1"
    assert next(iter(listed)) == w.system.pk  # eligible first
    operations.operations_request(actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=132_000,
                                  last_budget=100_000, workload_change=0.2, last_evaluation="良好")  # fmt: skip
    assert rules(check(w, ZIBO)[w.system.pk])["PRJ-O3"]["outcome"] == "allow"
    operations.operations_request(actor=w.applicant, system_id=w.system.pk, year=YEAR, requested_budget=50_000,
                                  last_budget=100_000, last_evaluation="不合格")  # fmt: skip
    assert rules(check(w, ZIBO)[w.system.pk])["PRJ-O3"]["outcome"] == "needs-review"


def test_the_eligibility_list_shows_a_unit_only_its_own_systems() -> None:
    w = world(ZIBO, "e")
    other = world(ZIBO, "f")
    check(w, ZIBO)
    assert len(operations.eligibility_list(actor=w.authority, jurisdiction=ZIBO, year=YEAR)) == 2
    assert [
        r.system_id for r in operations.eligibility_list(actor=w.applicant, jurisdiction=ZIBO, year=YEAR)
    ] == [w.system.pk]
    assert [
        r.system_id for r in operations.eligibility_list(actor=other.applicant, jurisdiction=ZIBO, year=YEAR)
    ] == [other.system.pk]
    with pytest.raises(NotFound):
        operations.eligibility_list(actor=w.authority, jurisdiction="999999", year=YEAR)


def test_facts_of_many_systems_take_a_fixed_number_of_queries() -> None:
    w = world(ZIBO, "n")
    more = [
        inventory.system_register(actor=SYSTEM, department_id=d.pk, data=SystemData(name=f"n系统{i}"))
        for i, d in enumerate((w.unit, w.provider))
    ]
    with CaptureQueriesContext(connection) as one:
        operations.operations_facts_many([w.system], YEAR, TODAY)
    with CaptureQueriesContext(connection) as three:
        facts = operations.operations_facts_many([w.system, *more], YEAR, TODAY)
    assert len(three) == len(one)
    assert facts[more[1].pk].unit == w.provider.name and facts[more[1].pk].requested_budget == 0
    with CaptureQueriesContext(connection) as checked:
        rows = operations.operations_check(actor=w.authority, jurisdiction=ZIBO, year=YEAR)
    assert len(rows) == 3 and len(checked) < 30
