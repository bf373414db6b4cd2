"""The lifecycle JSON API end to end: plan → tranche → payment → report → trial run → confirmation → panel →
acceptance → O&M check → evaluation, with the JSON shapes; a payment blocked by gate F answers the rule's
code and decisions; bad input answers field errors and writes nothing; a stale version answers a conflict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from sanbu.core.models import ChangeRecord
from sanbu.policy.rules.acceptance import MATERIALS
from sanbu.projects.models import LedgerEntry, Lifecycle, Project, ProjectState, Tranche, TrancheState
from sanbu.projects.tests.support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

TODAY = timezone.localdate()
BASE = "/api/projects"
ALL_MATERIALS = [m for m in MATERIALS if m != "sharing_confirmation"]


def client_for(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


class Api:
    """The three desks of the world, each a logged-in client: the unit, the authority and finance."""

    def __init__(self, w: World, prefix: str) -> None:
        self.unit = client_for(f"{prefix}_unit")
        self.authority = client_for(f"{prefix}_auth")
        self.finance = client_for(f"{prefix}_finance")


def post(c: Client, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    r = c.post(BASE + path, body or {}, content_type="application/json")
    assert r.status_code == status, r.content.decode()
    return r.json()


def put(c: Client, path: str, body: dict[str, Any], status: int = 200) -> Any:
    r = c.put(BASE + path, body, content_type="application/json")
    assert r.status_code == status, r.content.decode()
    return r.json()


def get(c: Client, path: str, status: int = 200, **query: Any) -> Any:
    r = c.get(BASE + path, query)
    assert r.status_code == status, r.content.decode()
    return r.json()


def approved(w: World, days_ago: int = 90) -> Project:
    """An approved project affecting ``w.system``, approved ``days_ago`` days back (test setup)."""
    p = w.approved(systems=(w.system.pk,), kind="改建")
    when = timezone.make_aware(dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(10)))
    Project.objects.filter(pk=p.pk).update(decided_at=when)
    return Project.objects.get(pk=p.pk)


def in_plan(api: Api, p: Project) -> dict[str, Any]:
    plan = post(api.authority, "/plans", {"jurisdiction": p.jurisdiction_id, "year": TODAY.year}, 201)
    post(api.authority, f"/plans/{plan['id']}/entries",
         {"project_id": p.pk, "amount": 1_000_000, "version": plan["version"]}, 201)  # fmt: skip
    return post(api.authority, f"/plans/{plan['id']}/issue", {"document_number": "淄信计〔2026〕1号",
                                                               "version": plan["version"] + 1})  # fmt: skip


def test_the_whole_lifecycle_through_the_api() -> None:
    w = world("370300", "la")
    api = Api(w, "la")
    p = approved(w)
    pid = p.pk
    approved_on = TODAY - dt.timedelta(days=90)

    # the annual plan: created, the project listed, issued
    plan = post(api.authority, "/plans", {"jurisdiction": "370300", "year": TODAY.year}, 201)
    assert plan["state"] == "draft" and plan["entries"] == [] and plan["year"] == TODAY.year
    entry = post(api.authority, f"/plans/{plan['id']}/entries",
                 {"project_id": pid, "amount": 1_000_000, "version": plan["version"]}, 201)  # fmt: skip
    assert entry["project_id"] == pid and entry["dynamic"] is False and entry["counts"] is True
    issued = post(api.authority, f"/plans/{plan['id']}/issue",
                  {"document_number": "淄信计〔2026〕1号", "version": plan["version"] + 1})  # fmt: skip
    assert issued["state"] == "issued" and [e["id"] for e in issued["entries"]] == [entry["id"]]
    assert [x["id"] for x in get(api.authority, "/plans")] == [plan["id"]]
    assert get(api.authority, f"/plans/{plan['id']}")["document_number"] == "淄信计〔2026〕1号"

    # construction: responsibilities, start
    summary = get(api.unit, f"/projects/{pid}/lifecycle")
    assert summary["state"] == "approved" and [g["gate"] for g in summary["gates"]] == ["F", "C", "K"]
    lc = put(api.unit, f"/projects/{pid}/construction", {
        "responsible_person": "张三", "implementing_body": "信息中心", "supervisor_unit": "监理公司",
        "version": summary["lifecycle"]["version"],
    })  # fmt: skip
    assert lc["responsible_person"] == "张三" and lc["version"] == summary["lifecycle"]["version"] + 1
    started = (approved_on + dt.timedelta(days=5)).isoformat()
    assert post(api.unit, f"/projects/{pid}/start", {"started_on": started})["started_on"] == started

    # funds: a tranche scheduled and paid through gate F
    tranche = post(api.finance, f"/projects/{pid}/tranches", {"amount": 600_000, "purpose": "首期"}, 201)
    assert tranche["state"] == "scheduled" and tranche["number"] == 1 and tranche["amount"] == 600_000
    paid = post(
        api.finance, f"/tranches/{tranche['id']}/pay", {"voucher": "拨-001", "version": tranche["version"]}
    )
    assert paid["tranche"]["state"] == "paid" and paid["tranche"]["paid_on"] == TODAY.isoformat()
    assert isinstance(paid["warnings"], list)

    # a progress report for the current period (the last row of the schedule)
    schedule = get(api.unit, f"/projects/{pid}/lifecycle")["report_schedule"]
    current = schedule[-1]["period"]
    report = post(api.unit, f"/projects/{pid}/reports",
                  {"period": current, "progress": 60, "spent": 600_000, "content": "平台主体功能已完成"}, 201)  # fmt: skip
    assert report["period"] == current and report["filed_on"] == TODAY.isoformat()

    # acceptance: trial run, the file, the panel, the confirmation, the application, the decision
    post(
        api.unit,
        f"/projects/{pid}/trial-run/start",
        {"started_on": (TODAY - dt.timedelta(days=75)).isoformat()},
    )
    lc = post(api.unit, f"/projects/{pid}/trial-run/end",
              {"ended_on": (TODAY - dt.timedelta(days=5)).isoformat(), "normal": True})  # fmt: skip
    assert lc["trial_run_normal"] is True
    lc = post(api.unit, f"/projects/{pid}/acceptance/prepare", {
        "final_inspection_done": True, "dengbao_tested": True, "materials": ALL_MATERIALS, "version": lc["version"],
    })  # fmt: skip
    assert set(lc["materials"]) == set(ALL_MATERIALS)
    lc = post(api.authority, f"/projects/{pid}/acceptance/panel",
              {"members": 3, "third_party": 2, "names": "张三、李四、王五"})  # fmt: skip
    assert lc["panel_members"] == 3
    sharing = get(api.authority, f"/projects/{pid}/lifecycle")["sharing"]
    assert sharing["ok"] is True and sharing["resources"] and all(r["ok"] for r in sharing["resources"])
    assert {"id", "name", "docked", "can_share", "ok", "detail"} <= set(sharing["systems"][0])
    lc = post(api.authority, f"/projects/{pid}/acceptance/confirm", {"version": lc["version"]})
    assert "sharing_confirmation" in lc["materials"] and lc["confirmed_by"] == "la_auth"
    applied = post(api.unit, f"/projects/{pid}/acceptance/apply", {})
    assert applied["lifecycle"]["applied_on"] == TODAY.isoformat()
    assert [(d["rule_id"], d["outcome"]) for d in applied["decisions"]] == [("PRJ-K1", "allow")]
    version = Project.objects.get(pk=pid).version
    accepted = post(
        api.authority, f"/projects/{pid}/acceptance/decide", {"opinion": "同意通过", "version": version}
    )
    assert accepted["project"]["state"] == "accepted" and accepted["project"]["version"] == version + 1
    assert [d["rule_id"] for d in accepted["decisions"]] == ["PRJ-K1", "PRJ-K2", "PRJ-K3", "PRJ-K4", "PRJ-K5"]
    assert {"rule_id", "outcome", "reason", "fact", "remedy", "source", "extra"} <= set(
        accepted["decisions"][0]
    )
    assert (
        post(api.authority, f"/projects/{pid}/acceptance/report-filed")["report_filed_on"]
        == TODAY.isoformat()
    )

    # O&M: the unit asks, the authority checks the jurisdiction, the list shows the row
    year = TODAY.year + 1
    asked = post(api.unit, "/operations/requests",
                 {"system_id": w.system.pk, "year": year, "requested_budget": 200_000})  # fmt: skip
    assert asked["eligible"] is None and asked["requested_budget"] == 200_000 and asked["decisions"] == []
    checked = post(api.authority, "/operations/check", {"jurisdiction": "370300", "year": year})
    row = next(r for r in checked if r["system_id"] == w.system.pk)
    assert isinstance(row["eligible"], bool) and {d["rule_id"] for d in row["decisions"]} >= {"PRJ-O1"}
    listed = get(api.authority, "/operations", jurisdiction="370300", year=year)
    item = next(r for r in listed if r["system_id"] == w.system.pk)
    assert item["id"] == row["id"] and item["eligible"] == row["eligible"]
    assert (item["suggested_budget"] == 0) == (row["eligible"] is False)

    # evaluation: self-evaluation, key evaluation with a problem, the fix, a deliverable
    lc = post(api.unit, f"/projects/{pid}/evaluation/self", {"report": "项目达到预期目标"})
    assert lc["self_evaluation_filed_on"] == TODAY.isoformat()
    assert (
        post(api.authority, f"/projects/{pid}/evaluation/key", {"selected": True})["key_evaluation"] is True
    )
    deadline = (TODAY + dt.timedelta(days=30)).isoformat()
    lc = post(api.authority, f"/projects/{pid}/evaluation/grade",
              {"grade": "良好", "problems": [{"text": "完善运维文档", "deadline": deadline}]})  # fmt: skip
    assert lc["key_evaluation_grade"] == "良好"
    deliverable = post(
        api.unit, f"/projects/{pid}/deliverables", {"kind": "design", "description": "设计文件"}, 201
    )
    assert deliverable["kind_label"] == "设计文件"
    summary = get(api.unit, f"/projects/{pid}/lifecycle")
    (problem,) = summary["problems"]
    assert problem["deadline"] == deadline and problem["fixed_on"] is None
    assert post(api.authority, f"/problems/{problem['id']}/fixed")["fixed_on"] == TODAY.isoformat()

    # the summary after it all
    summary = get(api.unit, f"/projects/{pid}/lifecycle")
    assert summary["state"] == "accepted" and [g["gate"] for g in summary["gates"]] == ["F", "E"]
    assert summary["ledger"]["paid"] == 600_000 and summary["ledger"]["net"] == 600_000
    assert summary["ledger"]["remaining"] == summary["ledger"]["approved"] - 600_000
    assert [(t["number"], t["state"]) for t in summary["tranches"]] == [(1, "paid")]
    assert [(e["kind"], e["amount"]) for e in summary["ledger_entries"]] == [("payment", 600_000)]
    assert [e["plan_id"] for e in summary["plan_entries"]] == [plan["id"]]
    assert summary["report_schedule"] == [] and [r["period"] for r in summary["progress_reports"]] == [
        current
    ]
    assert summary["deliverables"][0]["kind"] == "design" and summary["problems"][0]["fixed_on"] is not None
    actions = [h["action"] for h in summary["history"]]
    for action in ("projects.tranche.pay", "projects.progress_report.file", "projects.acceptance.sharing_confirm",
                   "projects.project.accept", "projects.evaluation.key_grade", "projects.problem.fixed"):  # fmt: skip
        assert action in actions
    assert all({"label", "action", "actor", "at", "seq"} <= set(h) for h in summary["history"])


def test_a_payment_blocked_by_gate_f_answers_the_rule_and_writes_nothing() -> None:
    w = world("370300", "lb")
    api = Api(w, "lb")
    p = approved(w, days_ago=10)  # not in any annual plan: PRJ-F1 blocks
    tranche = post(api.finance, f"/projects/{p.pk}/tranches", {"amount": 500_000}, 201)
    before = ChangeRecord.objects.count()
    r = api.finance.post(f"{BASE}/tranches/{tranche['id']}/pay", {"voucher": "拨-009", "version": 1},
                         content_type="application/json")  # fmt: skip
    assert r.status_code == 422, r.content.decode()
    body = r.json()
    assert body["code"] == "rule.PRJ-F1" and "PRJ-F1" in body["message"]
    f1 = next(d for d in body["decisions"] if d["rule_id"] == "PRJ-F1")
    assert f1["outcome"] == "block" and f1["remedy"] and f1["source"] and f1["fact"]["name"]
    t = Tranche.objects.get(pk=tranche["id"])
    assert t.state == TrancheState.SCHEDULED and t.version == 1 and t.paid_on is None
    assert not LedgerEntry.objects.filter(project=p).exists() and ChangeRecord.objects.count() == before
    # the summary shows the same block among gate F's current decisions
    gates = {g["gate"]: g["decisions"] for g in get(api.finance, f"/projects/{p.pk}/lifecycle")["gates"]}
    assert next(d for d in gates["F"] if d["rule_id"] == "PRJ-F1")["outcome"] == "block"
    # listed in the plan, the same payment passes
    in_plan(api, p)
    paid = post(api.finance, f"/tranches/{tranche['id']}/pay", {"voucher": "拨-009", "version": 1})
    assert paid["tranche"]["state"] == "paid"


def test_startup_funds_of_a_post_subsidy_pilot_through_the_api() -> None:
    w = world("370300", "ls")
    api = Api(w, "ls")
    p = approved(w, days_ago=10)
    in_plan(api, p)
    r = api.finance.post(f"{BASE}/projects/{p.pk}/tranches", {"amount": 100_000, "startup": True},
                         content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "projects.funds.invalid"
    assert r.json()["errors"][0]["field"] == "startup" and "后补助" in r.json()["errors"][0]["message"]
    post(api.authority, f"/projects/{p.pk}/funding-mode", {"mode": "post_subsidy"}, 200)
    tranche = post(api.finance, f"/projects/{p.pk}/tranches", {"amount": 100_000, "startup": True}, 201)
    assert tranche["startup"] is True
    paid = post(api.finance, f"/tranches/{tranche['id']}/pay", {"voucher": "启-001", "version": 1})
    assert paid["tranche"]["state"] == "paid" and paid["tranche"]["startup"] is True


def test_bad_input_answers_field_errors_and_changes_nothing() -> None:
    w = world("370300", "lc")
    api = Api(w, "lc")
    p = approved(w, days_ago=10)
    before = (Tranche.objects.count(), ChangeRecord.objects.count())
    # the schema: an amount below 1, a purpose too long, an unknown incident kind, a year out of range
    r = api.finance.post(f"{BASE}/projects/{p.pk}/tranches", {"amount": -5, "purpose": "x" * 201},
                         content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "request.invalid"
    assert {e["field"] for e in r.json()["errors"]} == {"body.amount", "body.purpose"}
    r = api.unit.post(f"{BASE}/projects/{p.pk}/incidents", {"kind": "fire", "occurred_on": "2026-13-01",
                                                              "description": "x"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and {e["field"] for e in r.json()["errors"]} == {
        "body.kind",
        "body.occurred_on",
    }
    r = api.authority.post(
        f"{BASE}/plans", {"jurisdiction": "3703", "year": 1999}, content_type="application/json"
    )
    assert r.status_code == 400 and {e["field"] for e in r.json()["errors"]} == {
        "body.jurisdiction",
        "body.year",
    }
    # the service: a period that is not of the project's cadence, a blank content
    r = api.unit.post(f"{BASE}/projects/{p.pk}/reports", {"period": "xx", "progress": 10, "spent": 0, "content": ""},
                      content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    assert {e["field"] for e in r.json()["errors"]} == {"period", "content"}
    assert all(e["message"] for e in r.json()["errors"])
    assert (Tranche.objects.count(), ChangeRecord.objects.count()) == before
    assert not p.progress_reports.exists() and not p.incidents.exists()


def test_a_stale_version_answers_the_conflict_code_and_changes_nothing() -> None:
    w = world("370300", "ld")
    api = Api(w, "ld")
    p = approved(w, days_ago=10)
    in_plan(api, p)
    post(api.unit, f"/projects/{p.pk}/start", {"started_on": TODAY.isoformat()})
    tranche = post(api.finance, f"/projects/{p.pk}/tranches", {"amount": 100_000}, 201)
    r = api.finance.post(f"{BASE}/tranches/{tranche['id']}/pay", {"voucher": "拨-1", "version": 7},
                         content_type="application/json")  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "projects.tranche.changed"
    assert r.json()["details"] == {"current": 1, "expected": 7}
    assert Tranche.objects.get(pk=tranche["id"]).state == TrancheState.SCHEDULED
    lc = Lifecycle.objects.get(project=p)
    r = api.unit.put(f"{BASE}/projects/{p.pk}/construction",
                     {"responsible_person": "李四", "version": lc.version + 5}, content_type="application/json")  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "projects.lifecycle.changed"
    assert Lifecycle.objects.get(project=p).responsible_person == ""
    r = api.authority.post(f"{BASE}/projects/{p.pk}/acceptance/decide", {"opinion": "同意", "version": p.version + 3},
                           content_type="application/json")  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "projects.project.changed"
    assert Project.objects.get(pk=p.pk).state == ProjectState.APPROVED


def test_the_summary_of_a_project_not_yet_approved_is_a_conflict_and_another_units_is_not_found() -> None:
    w = world("370300", "le")
    api = Api(w, "le")
    draft = w.submitted()
    r = api.unit.get(f"{BASE}/projects/{draft.pk}/lifecycle")
    assert r.status_code == 409 and r.json()["code"] == "projects.project.wrong_state"
    other = world("370100", "lf")
    p = approved(other, days_ago=10)
    r = api.unit.get(f"{BASE}/projects/{p.pk}/lifecycle")
    assert r.status_code == 404 and r.json()["code"] == "projects.project.not_found"
