"""The scoring API's JSON shapes and scope: a leader reads the jurisdiction, a steward only its own
department, an outsider gets 404; the authority builds snapshots and enters scores; stable error codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sanbu.scoring.models import ExternalScore, Snapshot

from .test_selectors import ScoringWorld, scoring_world

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def sw() -> ScoringWorld:
    return scoring_world()


def client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def get(c: Client, url: str, **query: Any) -> Any:
    response = c.get("/api/scoring" + url, query)
    return response.status_code, response.json()


def test_leader_reads_the_jurisdiction(sw: ScoringWorld) -> None:
    previous, current = sw.months
    leader = client("s_leader")
    status, ov = get(leader, "/overview")  # the leader's own jurisdiction by default
    assert status == 200
    assert ov["jurisdiction"] == "370300" and ov["month"] == current and ov["months"] == [current, previous]
    assert [p["month"] for p in ov["trend"]] == [previous, current]
    assert set(ov["ranking"][0]) == {"rank", "department_id", "name", "score", "previous", "change"}
    assert ov["ranking"][0]["department_id"] == sw.w.unit.pk and ov["ranking"][0]["rank"] == 1
    assert {i["key"] for i in ov["indicators"]} == {"platform", "third_party", "public"}
    assert get(leader, "/ranking", jurisdiction="370300")[1] == ov["ranking"]
    assert get(leader, "/trend")[1] == ov["trend"]
    _, older = get(leader, "/ranking", month=previous)
    assert all(r["change"] is None for r in older)

    _, od = get(leader, "/overdue")
    assert od["month"] == current and od["kinds"][0] == {"kind": "request", "label": "共享申请答复"}
    provider = next(o for o in od["owners"] if o["department_id"] == sw.w.provider.pk)
    assert provider["by_kind"]["request"] == 1
    _, bl = get(leader, "/blocked")
    rule = next(r for r in bl["rules"] if r["rule_id"] == "PRJ-F2")
    assert (
        rule["count"] == 2
        and rule["gate"] == "F"
        and {"id", "name", "unit", "link"} == set(rule["examples"][0])
    )
    _, money = get(leader, "/money")
    assert {i["key"]: i["amount"] for i in money["items"]} == {
        "frozen": 100_000, "blocked": 50_000, "operations": 0, "recovered": 100_000,
    }  # fmt: skip
    _, snaps = get(leader, "/snapshots")
    assert [s["month"] for s in snaps] == [current, previous] and len(snaps[0]["digest"]) == 64

    status, d = get(leader, f"/departments/{sw.w.unit.pk}")
    assert status == 200 and d["rank"] == 1 and d["month"] == current
    gates = next(x for x in d["indicators"] if x["key"] == "gates")
    assert gates["formula"] == "ratio(projects_passing, projects_checked)" and gates["facts"][0]["label"]
    assert d["next_steps"] and d["next_steps"][0]["remedy"]
    status, rows = get(leader, f"/departments/{sw.w.provider.pk}/rows", indicator="catalog_published")
    assert status == 200 and rows["groups"][0]["rows"][0]["text"] == sw.w.unpublished.name


def test_steward_sees_only_its_department(sw: ScoringWorld) -> None:
    steward = client("s_gaj")
    assert get(steward, f"/departments/{sw.w.provider.pk}")[0] == 200
    assert get(steward, f"/departments/{sw.w.provider.pk}/rows", indicator="docked")[0] == 200
    for url, query in (
        (f"/departments/{sw.w.unit.pk}", {}),
        (f"/departments/{sw.w.unit.pk}/rows", {"indicator": "gates"}),
        ("/overview", {"jurisdiction": "370300"}),
        ("/overdue", {"jurisdiction": "370300"}),
        ("/blocked", {"jurisdiction": "370300"}),
        ("/money", {"jurisdiction": "370300"}),
    ):
        status, body = get(steward, url, **query)
        assert status == 404 and body["code"].endswith("not_found"), url


def test_outsider_gets_404(sw: ScoringWorld) -> None:
    jinan = client("s_jinan")
    for url in ("/overview", "/ranking", "/trend", "/overdue", "/blocked", "/money", "/snapshots"):
        status, body = get(jinan, url, jurisdiction="370300")
        assert status == 404 and body["code"] == "orgs.jurisdiction.not_found", url
    status, body = get(jinan, f"/departments/{sw.w.unit.pk}")
    assert status == 404 and body["code"] == "orgs.department.not_found"
    status, body = get(jinan, "/overview")  # its own jurisdiction, no snapshot yet: empty, not an error
    assert status == 200 and body["month"] is None and body["ranking"] == []


def test_errors_have_stable_codes(sw: ScoringWorld) -> None:
    leader = client("s_leader")
    status, body = get(leader, "/overview", month="2020-01")
    assert status == 404 and body["code"] == "scoring.snapshot.not_found"
    status, body = get(leader, "/overview", month="2026-13")
    assert status == 400 and body["code"] == "scoring.month.invalid"
    status, body = get(leader, f"/departments/{sw.w.unit.pk}/rows", indicator="nope")
    assert status == 404 and body["code"] == "scoring.indicator.not_found"
    status, body = get(leader, "/overview", tree="nope")
    assert status == 404 and body["code"] == "scoring.tree.not_found"


def test_authority_builds_and_enters(sw: ScoringWorld) -> None:
    _, current = sw.months
    authority = client("s_auth")
    body = {"department_id": sw.w.provider.pk, "month": current, "source": "public_feedback", "score": 88.5,
            "basis": "12345 热线好差评汇总"}  # fmt: skip
    response = authority.post("/api/scoring/external-scores", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["score"] == 88.5 and response.json()["source"] == "public_feedback"
    assert (
        ExternalScore.objects.get(department=sw.w.provider, source="public_feedback").basis
        == "12345 热线好差评汇总"
    )
    response = authority.post("/api/scoring/snapshots", {"jurisdiction": "370300", "month": current},
                              content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    snap = response.json()
    assert snap["month"] == current and snap["digest"] == Snapshot.objects.get(pk=snap["id"]).digest
    _, d = get(authority, f"/departments/{sw.w.provider.pk}")
    assert next(x for x in d["indicators"] if x["key"] == "public_score")["score"] == 88.5

    bad = authority.post(
        "/api/scoring/external-scores", {**body, "basis": "  "}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "basis"
    future = authority.post("/api/scoring/snapshots", {"jurisdiction": "370300", "month": "2099-01"},
                            content_type="application/json")  # fmt: skip
    assert future.status_code == 400 and future.json()["code"] == "scoring.month.future"
    leader = client("s_leader")
    refused = leader.post("/api/scoring/snapshots", {"jurisdiction": "370300", "month": current},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 404 and refused.json()["code"] == "orgs.jurisdiction.not_found"
