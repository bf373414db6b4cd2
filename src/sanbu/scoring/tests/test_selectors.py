"""The dashboard's reads on a small world with snapshots of two months (the previous and this one):

ranking, trend and change against the previous month read from the snapshots; overdue tasks by owner from
the month's sheet; projects blocked now counted by rule; money held back by the gates (a frozen tranche, a
tranche gate F blocks, a recovery); a department's indicators with the facts they read, what to do next;
the rows behind a leaf; and scope (a steward sees its own department only, an outsider nothing).

``scoring_world()`` is shared with the API, page and browser tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound
from sanbu.scoring import selectors, services
from sanbu.scoring.models import Score, Snapshot, Task, TaskKind

pytestmark = pytest.mark.django_db(databases="__all__")


@dataclass
class ScoringWorld:
    w: Any  # sanbu.projects.tests.support.World
    third: Any  # a department with nothing to score
    outside: Any  # a department of 济南
    leader: Actor
    outsider: Actor  # a leader of 济南
    provider_steward: Actor
    projects: dict[str, Any]
    months: tuple[str, str]  # previous, current


def months() -> tuple[str, str]:
    today = timezone.localdate()
    previous = today.replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}", f"{today:%Y-%m}"


def scoring_world(prefix: str = "s") -> ScoringWorld:
    """Two departments with resources, projects in every money state, an overdue request, third-party scores
    for two months and a snapshot of each month."""
    from sanbu.core.actor import SYSTEM
    from sanbu.core.testing import actor_of, make_department, make_user
    from sanbu.exchange import services as exchange
    from sanbu.exchange.models import ShareRequest
    from sanbu.exchange.tests.sharing import item_ids
    from sanbu.projects import funds
    from sanbu.projects.models import Project
    from sanbu.projects.tests.support import world
    from sanbu.projects.tests.test_lifecycle_documents import approved, started

    w = world(prefix=prefix)
    third = make_department(f"{prefix}民政局")
    outside = make_department(f"{prefix}济南市公安局", jurisdiction="370100")
    leader = actor_of(make_user(f"{prefix}_leader", roles=("leader",), jurisdiction="370300"))
    outsider = actor_of(make_user(f"{prefix}_jinan", roles=("leader",), jurisdiction="370100"))
    provider_steward = actor_of(make_user(f"{prefix}_gaj", department=w.provider, roles=("steward",)))

    # money: p1 planned, started, paid, a second tranche scheduled (gate F passes); p4 paid within six months
    # of approval then its approval moved back (PRJ-F2: recovered and frozen by the sweep); p2 approved eight
    # months ago, never started, a tranche scheduled (frozen by the sweep); p3 approved now, not in the plan,
    # a tranche scheduled (PRJ-F1 holds it).
    p1 = approved(w)
    p4 = approved(w, days_ago=100, name=f"{prefix}智慧校园一卡通")
    year = timezone.localdate().year
    plan = funds.plan_create(actor=w.authority, jurisdiction="370300", year=year)
    for p in (p1, p4):
        funds.plan_add(
            actor=w.authority, plan_id=plan.pk, project_id=p.pk, amount=600_000, expected_version=None
        )
    funds.plan_issue(
        actor=w.authority, plan_id=plan.pk, expected_version=None, document_number="淄数计〔2026〕1号"
    )
    started(w, p1)
    for p, amount in ((p1, 400_000), (p4, 100_000)):
        t = funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=amount, purpose="首批建设资金")
        funds.tranche_pay(actor=w.finance, tranche_id=t.pk, expected_version=None, voucher=f"CZ-{p.pk}")
    funds.tranche_schedule(actor=w.finance, project_id=p1.pk, amount=200_000, purpose="二批")
    Project.objects.filter(pk=p4.pk).update(decided_at=timezone.now() - timedelta(days=240))
    p2 = approved(w, name=f"{prefix}社区网格化管理平台")
    funds.tranche_schedule(actor=w.finance, project_id=p2.pk, amount=100_000, purpose="首批")
    funds.recovery_sweep(actor=w.finance, jurisdiction="370300")
    p3 = w.approved(name=f"{prefix}政务服务好差评系统")
    funds.tranche_schedule(actor=w.finance, project_id=p3.pk, amount=50_000, purpose="首批")

    # an overdue share request owned by the provider (asked by the unit, due last week, not answered)
    app = exchange.app_register(actor=SYSTEM, name=f"{prefix}教育应用", department_id=w.unit.pk)
    req = exchange.request_submit(
        actor=SYSTEM, app_id=app.pk, resource_id=w.published.pk, item_ids=item_ids(w.published, "姓名"),
        purpose="学籍核验", legal_basis="职责", period_start=timezone.localdate(),
        period_end=timezone.localdate() + timedelta(days=365),
    )  # fmt: skip
    due = max(timezone.localdate().replace(day=1), timezone.localdate() - timedelta(days=7))
    ShareRequest.objects.filter(pk=req.pk).update(due_date=due)

    previous, current = months()
    for month, scores in ((previous, (60, 80)), (current, (95, 40))):
        for dept, score in zip((w.unit, w.provider), scores, strict=True):
            services.external_score_enter(actor=w.authority, department_id=dept.pk, month=month,
                                          source="third_party", score=score, basis="第三方评估报告")  # fmt: skip
        services.snapshot_build(actor=w.authority, jurisdiction="370300", month=month)
    return ScoringWorld(w, third, outside, leader, outsider, provider_steward,
                        {"p1": p1, "p2": p2, "p3": p3, "p4": p4}, (previous, current))  # fmt: skip


@pytest.fixture
def sw() -> ScoringWorld:
    return scoring_world()


def _root_scores(month: str) -> dict[int | None, float | None]:
    snap = Snapshot.objects.get(jurisdiction_id="370300", month=services.month_of(month).first)
    return {s.department_id: s.score for s in Score.objects.filter(snapshot=snap, indicator="total")}


def test_overview_ranking_trend_and_change(sw: ScoringWorld) -> None:
    previous, current = sw.months
    ov = selectors.overview(actor=sw.leader, jurisdiction="370300")
    assert ov.month == current and ov.tree == "sharing-zibo" and ov.months == [current, previous]
    now, before = _root_scores(current), _root_scores(previous)
    assert [p.month for p in ov.trend] == [previous, current]
    assert [p.score for p in ov.trend] == [round(before[None] or 0, 2), round(now[None] or 0, 2)]
    assert ov.score == round(now[None] or 0, 2) and ov.previous == round(before[None] or 0, 2)
    w = sw.w
    by_dept = {r.department_id: r for r in ov.ranking}
    assert set(by_dept) == {w.unit.pk, w.provider.pk, sw.third.pk}  # never a department of 济南
    # the unit's third-party score rose 60 → 95 and the provider's fell 80 → 40: the unit is first
    assert [r.department_id for r in ov.ranking] == [w.unit.pk, w.provider.pk, sw.third.pk]
    assert [r.rank for r in ov.ranking] == [1, 2, 3]  # the third scores on what every department is judged on
    for d in (w.unit.pk, w.provider.pk, sw.third.pk):
        row = by_dept[d]
        assert row.score == round(now[d] or 0, 2) and row.previous == round(before[d] or 0, 2)
        assert row.change == round((now[d] or 0) - (before[d] or 0), 2)
    assert (by_dept[w.unit.pk].change or 0) > 0
    assert by_dept[sw.third.pk].change == 0  # nothing changed for it
    third = next(i for i in ov.indicators if i.key == "third_party")
    assert third.average == round((95 + 40) / 2, 2) and third.departments == 2 and third.weight == 10

    older = selectors.overview(actor=sw.leader, jurisdiction="370300", month=previous)
    assert older.month == previous and [p.month for p in older.trend] == [previous]
    assert all(r.change is None for r in older.ranking)  # no month before it


def test_overdue_by_owner_from_the_sheet(sw: ScoringWorld) -> None:
    od = selectors.overdue(actor=sw.leader, jurisdiction="370300")
    _, current = sw.months
    assert od.month == current
    owners = {o.department_id: o for o in od.owners}
    assert owners[sw.w.provider.pk].by_kind[TaskKind.REQUEST] == 1
    snap = Snapshot.objects.get(jurisdiction_id="370300", month=services.month_of(current).first)
    assert od.total == Task.objects.filter(snapshot=snap, overdue=True).count()
    for o in od.owners:
        assert o.total == sum(o.by_kind.values())
        assert o.total == Task.objects.filter(snapshot=snap, overdue=True, owner_id=o.department_id).count()
    assert [o.total for o in od.owners] == sorted((o.total for o in od.owners), reverse=True)


def test_blocked_projects_by_rule(sw: ScoringWorld) -> None:
    bl = selectors.blocked_projects(actor=sw.leader, jurisdiction="370300")
    p = sw.projects
    assert bl.checked == 4
    rules = {r.rule_id: r for r in bl.rules}
    assert {e.id for e in rules["PRJ-F1"].examples} == {p["p2"].pk, p["p3"].pk}  # not in this year's plan
    assert (
        rules["PRJ-F1"].count == 2
        and rules["PRJ-F1"].gate == "F"
        and rules["PRJ-F1"].gate_title == "资金拨付"
    )
    assert {e.id for e in rules["PRJ-F2"].examples} == {p["p2"].pk, p["p4"].pk}  # not started in six months
    assert rules["PRJ-F2"].reason and rules["PRJ-F2"].remedy
    assert rules["PRJ-F2"].examples[0].link == f"/projects/{rules['PRJ-F2'].examples[0].id}/lifecycle/"
    assert [r.count for r in bl.rules] == sorted((r.count for r in bl.rules), reverse=True)
    assert bl.blocked == len({e.id for r in bl.rules for e in r.examples})


def test_money_held(sw: ScoringWorld) -> None:
    mh = selectors.money_held(actor=sw.leader, jurisdiction="370300")
    items = {i.key: (i.amount, i.count) for i in mh.items}
    # frozen by the sweep: p2's scheduled 100 000 (and nothing left of p4's); F blocks p3's 50 000 (PRJ-F1);
    # p4's paid 100 000 recovered; p1's second tranche passes gate F
    assert items["frozen"] == (100_000, 1)
    assert items["blocked"] == (50_000, 1)
    assert items["recovered"] == (100_000, 1)
    assert items["operations"] == (0, 0)
    assert mh.total == 250_000


def test_department_detail_facts_and_next_steps(sw: ScoringWorld) -> None:
    previous, current = sw.months
    unit = sw.w.unit
    d = selectors.department(actor=sw.leader, department_id=unit.pk)
    now = _root_scores(current)
    assert d.month == current and d.rank == 1 and d.ranked == 3 and d.score == round(now[unit.pk] or 0, 2)
    assert [p.month for p in d.trend] == [previous, current]
    lines = {x.key: x for x in d.indicators}
    assert lines["total"].depth == 0 and lines["total"].share == 1.0
    gates = lines["gates"]
    assert gates.leaf and gates.formula == "ratio(projects_passing, projects_checked)" and gates.drill
    facts = {f.key: f for f in gates.facts}
    assert facts["projects_checked"].label == "在建和已验收项目数" and facts["projects_checked"].value == 4
    assert lines["third_party_score"].score == 95.0
    assert {f.key: f.value for f in lines["third_party_score"].facts} == {"third_party": 95.0}
    scored_leaves = [x for x in d.indicators if x.leaf and x.score is not None]
    assert round(sum(x.share for x in scored_leaves), 2) == 1.0
    # next steps: the lowest-scoring leaves below 100, with their remedies, lowest first
    assert d.next_steps and [s.score for s in d.next_steps] == sorted(s.score or 0 for s in d.next_steps)
    assert all(s.remedy and (s.score or 0) < 100 for s in d.next_steps)
    assert lines[d.next_steps[0].key].score == min(x.score or 0 for x in scored_leaves)
    assert [e.score for e in d.external] == [95.0]


def test_indicator_rows_are_live(sw: ScoringWorld) -> None:
    w = sw.w
    rows = selectors.indicator_rows(
        actor=sw.leader, department_id=w.provider.pk, indicator="catalog_published"
    )
    (group,) = rows.groups
    assert group.kind == "unpublished" and [r.text for r in group.rows] == [w.unpublished.name]
    assert group.rows[0].link == f"/catalog/resources/{w.unpublished.pk}/"
    late = selectors.indicator_rows(
        actor=sw.leader, department_id=w.provider.pk, indicator="requests_on_time"
    )
    assert [len(g.rows) for g in late.groups] == [1] and "尚未答复" in late.groups[0].rows[0].detail
    gates = selectors.indicator_rows(actor=sw.leader, department_id=w.unit.pk, indicator="gates")
    assert {r.link for r in gates.groups[0].rows} >= {f"/projects/{sw.projects['p2'].pk}/lifecycle/"}
    recovered = selectors.indicator_rows(actor=sw.leader, department_id=w.unit.pk, indicator="recovered")
    assert [r.text for g in recovered.groups if g.kind == "recoveries" for r in g.rows] == [
        sw.projects["p4"].name
    ]
    with pytest.raises(NotFound) as exc:
        selectors.indicator_rows(actor=sw.leader, department_id=w.unit.pk, indicator="catalog")  # not a leaf
    assert exc.value.code == "scoring.indicator.not_found"


def test_scope(sw: ScoringWorld) -> None:
    w = sw.w
    # a steward: its own department, nothing jurisdiction-wide, no other department
    assert selectors.department(actor=sw.provider_steward, department_id=w.provider.pk).rank == 2
    for call in (
        lambda: selectors.department(actor=sw.provider_steward, department_id=w.unit.pk),
        lambda: selectors.indicator_rows(
            actor=sw.provider_steward, department_id=w.unit.pk, indicator="gates"
        ),
        lambda: selectors.overview(actor=sw.provider_steward, jurisdiction="370300"),
        lambda: selectors.overdue(actor=sw.provider_steward, jurisdiction="370300"),
        lambda: selectors.blocked_projects(actor=sw.provider_steward, jurisdiction="370300"),
        lambda: selectors.money_held(actor=sw.provider_steward, jurisdiction="370300"),
        lambda: selectors.overview(actor=sw.outsider, jurisdiction="370300"),
        lambda: selectors.department(actor=sw.outsider, department_id=w.unit.pk),
        lambda: selectors.department(actor=sw.leader, department_id=sw.outside.pk),
    ):
        with pytest.raises(NotFound):
            call()
    # 济南 has no snapshot: an empty overview, and a month asked for that was not built is a NotFound
    empty = selectors.overview(actor=sw.outsider, jurisdiction="370100")
    assert empty.month is None and empty.ranking == [] and empty.months == []
    with pytest.raises(NotFound) as exc:
        selectors.overview(actor=sw.leader, jurisdiction="370300", month="2020-01")
    assert exc.value.code == "scoring.snapshot.not_found"
    assert [s.month for s in selectors.snapshots(actor=sw.leader, jurisdiction="370300")] == list(
        reversed(sw.months)
    )
