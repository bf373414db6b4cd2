"""Every indicator computed on fixed data with its expected value (issue 7, "Done means").

The world (``support.build``) is September 2026 in 淄博 (370300), built through the services on a test clock:

- s公安局 P (provider): 人口基本信息 (published, interface, 3 items of which 2 linked), 婚姻登记信息 (mounted,
  not published, 3 items, 2 linked), 企业名录 (published, rows, monthly, loaded 08-03 and again 09-20),
  学校名录 (published, rows, monthly, loaded only 08-03), 待审资源 (submitted), a draft; systems 人口库 (running,
  on cloud, provides 人口基本信息), 警务通 (running), 旧系统 (retired); authority of 姓名 and, after a resolved
  conflict, of 公民身份号码; share requests received 09-01 (due 09-15) answered 09-10, refused 09-18, never
  answered, and one received 09-25 (due 10-15); objections due 09-08 (answered 09-07) and 09-20 (open); a need
  routed 09-01 (due 09-15) answered 09-16; calls: 600 from C and 40 from E on 人口基本信息, 60 of its own app;
  third-party 80, public 90.
- s教育局 U (project unit): 学籍信息 (published, interface, 3 items, 2 linked, its 姓名 collected again: P is
  the authority), 学籍管理系统 (running, on cloud, provides it); 5 calls from C; projects A (approved
  2025-08-01, started, 2025-H2 report on time, 2026-H1 missing, not in a plan), B (approved 2025-08-01, never
  started: 500,000 paid and recovered under PRJ-F2 on 09-15), D (approved 09-10, in the plan, nothing due).
- s民政局 C (consumer): 救助对象名单 (submitted, 2 items: 姓名 linked, collected again), a running system docked
  through its app's gateway calls, an open conflict over 姓名 (and one over 公民身份号码 resolved 09-08);
  third-party 60.
- s档案馆 E: nothing; s已撤销部门: inactive, never scored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sanbu.core.actor import SYSTEM
from sanbu.scoring import trees
from sanbu.scoring.facts import Month, department_facts, departments_of, jurisdiction_facts
from sanbu.scoring.models import Score
from sanbu.scoring.services import snapshot_build
from sanbu.scoring.vocabulary import FACT_NAMES

from .support import MONTH, Clock, Scene, build

pytestmark = pytest.mark.django_db(databases="__all__")

N = None
ZERO = dict.fromkeys(FACT_NAMES, 0.0) | {"third_party": None, "public_feedback": None}

FACTS: dict[str, dict[str, float | None]] = {
    "P": ZERO
    | {
        "systems_running": 2,
        "systems_cataloged": 1,
        "systems_docked": 1,
        "systems_on_cloud": 1,  # 旧系统 retired
        "catalog_registered": 5,  # 人口, 婚姻, 企业名录, 学校名录, 待审 (the draft is not registered)
        "catalog_mounted": 4,  # all but 待审 (企业名录 loaded twice counts once)
        "catalog_published": 3,  # 人口, 企业名录, 学校名录
        "catalog_items": 12,
        "catalog_items_linked": 4,  # 3 + 3 + 2 + 2 + 2; 2 + 2 linked
        "catalog_due_update": 3,  # the published three have a cycle
        "catalog_updated": 2,  # 人口 (interface: live), 企业名录 (09-20 load: 10 days before the cutoff < 31)
        "requests_due": 3,
        "requests_on_time": 1,  # due 09-15: answered 09-10 ✓, 09-18 ✗, never ✗
        "objections_due": 2,
        "objections_on_time": 1,  # due 09-08 answered 09-07 ✓; due 09-20 open ✗
        "needs_due": 1,
        "needs_on_time": 0,  # due 09-15, answered 09-16
        "calls": 700,  # 600 (C) + 40 (E) + 60 (its own app); August's and October's 999 not counted
        "consumers": 2,  # C and E (its own app is not a consumer)
        "third_party": 80,
        "public_feedback": 90,
    },
    "U": ZERO
    | {
        "systems_running": 1,
        "systems_cataloged": 1,
        "systems_docked": 1,
        "systems_on_cloud": 1,
        "catalog_registered": 1,
        "catalog_mounted": 1,
        "catalog_published": 1,
        "catalog_items": 3,
        "catalog_items_linked": 2,
        "catalog_due_update": 1,
        "catalog_updated": 1,
        "duplicate_items": 1,  # 学籍信息's 姓名: P is the authority
        "calls": 5,
        "consumers": 1,
        "projects_checked": 3,  # A, B, D
        "projects_passing": 1,  # D; A fails PRJ-F1 (not in a plan), B PRJ-F1 and PRJ-F2 (not started)
        "reports_due": 4,  # A and B: 2025-H2 and 2026-H1 (half-yearly from approval); D: none yet
        "reports_overdue": 3,  # A's 2026-H1, B's two (deadline = period end + 15 days, before 09-30)
        "funds_approved": 4_500_000,  # 3 × 1,500,000
        "funds_recovered": 500_000,
    },
    "C": ZERO
    | {
        "systems_running": 1,
        "systems_docked": 1,  # docked through its app's calls (90-day window)
        "catalog_registered": 1,
        "catalog_items": 2,
        "catalog_items_linked": 1,
        "conflicts_open": 1,  # 姓名 open; 公民身份号码 resolved 09-08
        "duplicate_items": 1,
        "third_party": 60,
    },
    "E": ZERO,
}

# leaf scores of the sharing tree (the same leaves as sharing-zibo), 0–100 rounded to 4 places
LEAVES: dict[str, dict[str, float | None]] = {
    "P": {
        "catalog_coverage": 50,  # ratio(1, 2)
        "catalog_linked": 33.3333,  # 4 / 12
        "catalog_mounted": 80,  # 4 / 5
        "catalog_published": 60,  # 3 / 5
        "catalog_updated": 66.6667,  # 2 / 3
        "conflicts": 100,  # penalty(0, 0.2)
        "duplicates": 100,  # inverse(0, 12)
        "requests_on_time": 33.3333,  # 1 / 3
        "objections_on_time": 50,  # 1 / 2
        "needs_on_time": 0,  # 0 / 1
        "consumers": 66.6667,  # per(2, 3)
        "calls": 70,  # per(700, 1000)
        "gates": N,
        "reports": N,
        "recovered": N,  # no projects: not scored (not full marks)
        "docked": 50,  # 1 / 2
        "third_party_score": 80,
        "public_score": 90,
    },
    "U": {
        "catalog_coverage": 100,
        "catalog_linked": 66.6667,
        "catalog_mounted": 100,
        "catalog_published": 100,
        "catalog_updated": 100,
        "conflicts": 100,
        "duplicates": 66.6667,  # inverse(1, 3)
        "requests_on_time": N,
        "objections_on_time": N,
        "needs_on_time": N,  # nothing due
        "consumers": 33.3333,  # per(1, 3)
        "calls": 0.5,  # per(5, 1000)
        "gates": 33.3333,  # 1 / 3
        "reports": 25,  # inverse(3, 4)
        "recovered": 88.8889,  # inverse(500000, 4500000) = 1 − 1/9
        "docked": 100,
        "third_party_score": N,
        "public_score": N,  # August's score is not September's
    },
    "C": {
        "catalog_coverage": 0,  # ratio(0, 1)
        "catalog_linked": 50,
        "catalog_mounted": 0,
        "catalog_published": 0,
        "catalog_updated": N,  # nothing published: nothing due
        "conflicts": 80,  # penalty(1, 0.2)
        "duplicates": 50,  # inverse(1, 2)
        "requests_on_time": N,
        "objections_on_time": N,
        "needs_on_time": N,
        "consumers": 0,
        "calls": 0,  # per(0, …): measured, nobody served
        "gates": N,
        "reports": N,
        "recovered": N,
        "docked": 100,
        "third_party_score": 60,
        "public_score": N,
    },
    "E": {
        "catalog_coverage": N,
        "catalog_linked": N,
        "catalog_mounted": N,
        "catalog_published": N,
        "catalog_updated": N,
        "conflicts": 100,
        "duplicates": N,
        "requests_on_time": N,
        "objections_on_time": N,
        "needs_on_time": N,
        "consumers": 0,
        "calls": 0,
        "gates": N,
        "reports": N,
        "recovered": N,
        "docked": N,
        "third_party_score": N,
        "public_score": N,
    },
    "J": {  # the jurisdiction: counts summed over P, U, C, E; entered scores averaged over those entered
        "catalog_coverage": 50,  # 2 / 4
        "catalog_linked": 41.1765,  # 7 / 17
        "catalog_mounted": 71.4286,  # 5 / 7
        "catalog_published": 57.1429,  # 4 / 7
        "catalog_updated": 75,  # 3 / 4
        "conflicts": 80,  # penalty(1, 0.2)
        "duplicates": 88.2353,  # inverse(2, 17)
        "requests_on_time": 33.3333,
        "objections_on_time": 50,
        "needs_on_time": 0,
        "consumers": 100,  # per(2 + 1, 3)
        "calls": 70.5,  # per(705, 1000)
        "gates": 33.3333,
        "reports": 25,
        "recovered": 88.8889,
        "docked": 75,  # 3 / 4
        "third_party_score": 70,  # (80 + 60) / 2
        "public_score": 90,
    },
}
# the dimensions tree reads the same formulas under its own keys, plus 运行系统上政务云
SAME = {
    "d_gates": "gates", "d_reports": "reports", "d_conflicts": "conflicts", "d_recovered": "recovered",
    "d_requests": "requests_on_time", "d_objections": "objections_on_time", "d_needs": "needs_on_time",
    "d_public": "public_score", "d_published": "catalog_published", "d_updated": "catalog_updated",
    "d_consumers": "consumers", "d_calls": "calls", "d_linked": "catalog_linked", "d_duplicates": "duplicates",
    "d_third_party": "third_party_score", "d_docked": "docked", "d_cataloged": "catalog_coverage",
}  # fmt: skip
CLOUD = {"P": 50, "U": 100, "C": 0, "E": N, "J": 50}  # ratio(systems_on_cloud, systems_running)


def mean(*pairs: tuple[float, float | None]) -> float | None:
    """Hand arithmetic: the weighted mean of the scored (weight, value) pairs."""
    scored = [(w, v) for w, v in pairs if v is not None]
    return sum(w * v for w, v in scored) / sum(w for w, _ in scored) if scored else None


def sharing_total(leaf: dict[str, float | None], weights: dict[str, int]) -> float | None:
    """The total of the sharing tree from its leaves, written out node by node."""
    catalog = mean((5, leaf["catalog_coverage"]), (5, leaf["catalog_linked"]), (8, leaf["catalog_mounted"]),
                   (8, leaf["catalog_published"]), (4, leaf["catalog_updated"]))  # fmt: skip
    yishu = mean((7, leaf["conflicts"]), (8, leaf["duplicates"]))
    exchange = mean((10, leaf["requests_on_time"]), (5, leaf["objections_on_time"]), (5, leaf["needs_on_time"]),
                    (5, leaf["consumers"]), (5, leaf["calls"]))  # fmt: skip
    projects = mean((7, leaf["gates"]), (5, leaf["reports"]), (3, leaf["recovered"]))
    docking = mean((1, leaf["docked"]))
    platform = mean((weights["catalog"], catalog), (15, yishu), (weights["exchange"], exchange), (15, projects),
                    (weights["docking"], docking))  # fmt: skip
    return mean((80, platform), (10, leaf["third_party_score"]), (10, leaf["public_score"]))


SHARING = {"catalog": 30, "exchange": 30, "docking": 10}
ZIBO = {"catalog": 25, "exchange": 35, "docking": 15}

# totals written out (the check that ``sharing_total`` is the arithmetic meant):
# P sharing: catalog (5·50 + 5·33.3333 + 8·80 + 8·60 + 4·66.6667) / 30 = 60.1111; yishu 100;
#   exchange (10·33.3333 + 5·50 + 5·0 + 5·66.6667 + 5·70) / 30 = 42.2222; projects –; docking 50;
#   platform (30·60.1111 + 15·100 + 30·42.2222 + 10·50) / 85 = 59.6470; total (80·59.6470 + 10·80 + 10·90) / 100
#   = 64.7176
# E sharing: only conflicts (100) and consumers, calls (0): yishu 100, exchange 0,
#   platform (15·100 + 30·0) / 45 = 33.3333 = total
WRITTEN = {("P", "sharing"): 64.7176, ("E", "sharing"): 33.3333}


def dimensions_total(leaf: dict[str, float | None], cloud: float | None) -> float | None:
    governance = mean(
        (1, leaf["gates"]), (1, leaf["reports"]), (1, leaf["conflicts"]), (1, leaf["recovered"])
    )
    service = mean((1, leaf["requests_on_time"]), (1, leaf["objections_on_time"]), (1, leaf["needs_on_time"]),
                   (1, leaf["public_score"]))  # fmt: skip
    value = mean((1, leaf["catalog_published"]), (1, leaf["catalog_updated"]), (1, leaf["consumers"]),
                 (1, leaf["calls"]))  # fmt: skip
    rules = mean((1, leaf["catalog_linked"]), (1, leaf["duplicates"]), (1, leaf["third_party_score"]))
    infrastructure = mean((1, leaf["docked"]), (1, cloud), (1, leaf["catalog_coverage"]))
    return mean(*((20, v) for v in (governance, service, value, rules, infrastructure)))


# P dimensions: governance 100 (conflicts only); service (33.3333 + 50 + 0 + 90) / 4 = 43.3333;
#   value (60 + 66.6667 + 66.6667 + 70) / 4 = 65.8333; rules (33.3333 + 100 + 80) / 3 = 71.1111;
#   infrastructure (50 + 50 + 50) / 3 = 50; total (100 + 43.3333 + 65.8333 + 71.1111 + 50) / 5 = 66.0556
WRITTEN[("P", "dimensions")] = 66.0556


@pytest.fixture
def scene(monkeypatch: pytest.MonkeyPatch) -> tuple[Scene, Clock]:
    clock = Clock(monkeypatch)
    return build(clock), clock


def _keys(scene: Scene) -> dict[str, int]:
    return {"P": scene.police.pk, "U": scene.education.pk, "C": scene.civil.pk, "E": scene.idle.pk}


def test_every_fact_every_indicator_and_the_jurisdiction(scene: tuple[Scene, Clock]) -> None:
    s, clock = scene
    keys = _keys(s)
    depts = departments_of("370300")
    assert sorted(d.pk for d in depts) == sorted(keys.values())  # the inactive department is left out
    facts = department_facts(depts, Month.of(MONTH))
    for who, pk in keys.items():
        expected = {k: (None if v is None else float(v)) for k, v in FACTS[who].items()}
        assert facts[pk] == expected, who
    whole = jurisdiction_facts(facts)
    assert whole["catalog_items"] == 17 and whole["consumers"] == 3 and whole["third_party"] == 70.0
    assert whole["public_feedback"] == 90.0 and whole["calls"] == 705 and whole["duplicate_items"] == 2

    sharing, zibo, dims = trees.load("sharing"), trees.load("sharing-zibo"), trees.load("dimensions")
    leaves = [n.key for n in sharing.nodes() if n.formula is not None]
    assert sorted(leaves) == sorted(LEAVES["P"])
    for who in (*keys, "J"):
        f = whole if who == "J" else facts[keys[who]]
        expected = LEAVES[who]
        for tree in (sharing, zibo):
            got = trees.score(tree, f)
            for key in leaves:
                want = expected[key]
                assert got[key].score == (None if want is None else pytest.approx(want, abs=1e-4)), (who, key)
        got = trees.score(dims, f)
        for key, same in SAME.items():
            want = expected[same]
            assert got[key].score == (None if want is None else pytest.approx(want, abs=1e-4)), (who, key)
        assert got["d_cloud"].score == CLOUD[who], who
        # the totals: written out above, node by node
        for tree, weights in ((sharing, SHARING), (zibo, ZIBO)):
            total = trees.score(tree, f)["total"].score
            want_total = sharing_total(expected, weights)
            assert total == (None if want_total is None else pytest.approx(want_total, abs=2e-4)), (
                who,
                tree.name,
            )
        want_dims = dimensions_total(expected, CLOUD[who])
        assert got["d_total"].score == pytest.approx(want_dims, abs=2e-4), who
        for (w, name), value in WRITTEN.items():
            if w == who:
                assert trees.score(trees.load(name), f)[trees.load(name).root.key].score == pytest.approx(
                    value, abs=2e-4
                )

    # the snapshot stores the same: the jurisdiction's total (department None) and each department's
    clock.set("2026-10-08")
    snap = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    stored = {(r.department_id, r.indicator): r.score for r in Score.objects.filter(snapshot=snap)}
    assert stored[(None, "total")] == pytest.approx(sharing_total(LEAVES["J"], SHARING), abs=2e-4)
    for who, pk in keys.items():
        assert stored[(pk, "total")] == pytest.approx(sharing_total(LEAVES[who], SHARING), abs=2e-4), who
        want = LEAVES[who]["docked"]
        assert stored[(pk, "docked")] == (None if want is None else pytest.approx(want, abs=1e-4)), who
    snap = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH)  # 淄博's ruleset: sharing-zibo
    assert snap.tree == "sharing-zibo"
    total = Score.objects.get(snapshot=snap, department=None, indicator="total").score
    assert total == pytest.approx(sharing_total(LEAVES["J"], ZIBO), abs=2e-4)


def test_a_past_month_ignores_what_came_after_its_cutoff(scene: tuple[Scene, Clock]) -> None:
    """Build September, then add October's rows (and answer September's open work late): rebuilding September
    gives the same digest, while October sees them."""
    from sanbu.catalog import services as catalog
    from sanbu.exchange import feedback
    from sanbu.exchange import services as exchange
    from sanbu.exchange.models import UsageDay
    from sanbu.inventory import services as inventory
    from sanbu.inventory.services import SystemData
    from sanbu.projects import construction
    from sanbu.scoring.services import external_score_enter

    from .support import ROW_ITEMS, _resource, _review

    s, clock = scene
    clock.set("2026-10-01", hour=0)  # the first moment after the cutoff is already October
    first = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    digest = first.digest

    clock.set("2026-10-01", hour=9)
    late = _resource(s.police, "s十月新资源", ROW_ITEMS)  # registered in October
    _review(late)
    exchange.request_refuse(
        actor=SYSTEM, request_id=s.rows["req_open"].pk, expected_version=None, reason="迟复"
    )
    feedback.objection_answer(actor=SYSTEM, objection_id=s.rows["obj_open"].pk, expected_version=None,
                              corrected=False, answer="数据无误")  # fmt: skip
    catalog.conflict_resolve(actor=s.authority, conflict_id=s.rows["open_conflict"].pk,
                             winner_department_id=s.police.pk, note="公安为准")  # fmt: skip
    inventory.system_register(actor=SYSTEM, department_id=s.police.pk, data=SystemData(name="s十月系统"))
    app = UsageDay.objects.filter(resource_id=s.w.published.pk).first()
    assert app is not None
    UsageDay.objects.create(
        resource_id=s.w.published.pk, app_id=app.app_id, day=dt.date(2026, 10, 3), calls=500
    )
    external_score_enter(actor=s.authority, department_id=s.education.pk, month="2026-10", source="third_party",
                         score=99, basis="十月评估")  # fmt: skip
    clock.set("2026-10-09")
    construction.progress_report_file(actor=s.w.applicant, project_id=s.rows["project_a"].pk, period="2026-H1",
                                      progress=70, spent=900_000, content="补报")  # fmt: skip
    s.w.approved(name="s十月立项")

    again = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    assert again.digest == digest
    facts = department_facts(departments_of("370300"), Month.of(MONTH))
    assert facts[s.police.pk]["requests_on_time"] == 1 and facts[s.civil.pk]["conflicts_open"] == 1
    assert facts[s.education.pk]["reports_overdue"] == 3 and facts[s.education.pk]["third_party"] is None
    # October sees them
    october = department_facts(departments_of("370300"), Month.of("2026-10"))
    assert october[s.police.pk]["catalog_registered"] == 6 and october[s.civil.pk]["conflicts_open"] == 0
    assert october[s.police.pk]["systems_running"] == 3
    assert october[s.police.pk]["calls"] == 999 + 500  # C's 999 on 10-01 and the 500 added on 10-03
    assert october[s.education.pk]["third_party"] == 99 and october[s.education.pk]["projects_checked"] == 4
    assert october[s.police.pk]["requests_due"] == 1  # the request received 09-25, due 10-15


def test_facts_take_a_fixed_number_of_queries(
    scene: tuple[Scene, Clock], django_assert_max_num_queries: Any
) -> None:
    depts = departments_of("370300")
    with django_assert_max_num_queries(60):
        department_facts(depts, Month.of(MONTH))
