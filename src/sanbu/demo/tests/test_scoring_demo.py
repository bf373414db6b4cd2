"""The demo's scoring: people's scores entered for six months, six months of snapshots for 淄博市 and 沂源县
on the ruleset's tree and the 篇六 dimensions (a trend, a ranking, a scheduling sheet), and loading again
changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sanbu.core.actor import SYSTEM
from sanbu.core.audit import verify_chain
from sanbu.core.models import ChangeRecord
from sanbu.demo.data import CITY, DEPARTMENTS
from sanbu.demo.scoring_data import ALTERNATIVE, COUNTY, EXTERNAL, MONTHS, _months, load_scoring
from sanbu.orgs.models import Department
from sanbu.policy.calendar import add_months
from sanbu.scoring import trees
from sanbu.scoring.facts import departments_of
from sanbu.scoring.models import ExternalScore, Facts, Score, Snapshot, Source, Task, TaskKind
from sanbu.scoring.services import snapshot_build, tree_for

pytestmark = pytest.mark.django_db(databases="__all__")


def test_months_are_the_last_six_up_to_this_one() -> None:
    assert _months(dt.date(2026, 11, 25)) == [f"2026-{m:02d}" for m in range(6, 12)]
    assert _months(dt.date(2027, 2, 28)) == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]


def test_demo_scoring_has_six_months_of_snapshots_with_a_ranking_and_tasks() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "评分：6 个月快照" in text, text[-2000:]

    first = timezone.localdate().replace(day=1)
    expected = {add_months(first, -back) for back in range(MONTHS)}
    city_depts = departments_of(CITY)
    assert len(city_depts) > len(departments_of(COUNTY)) >= 1
    main = tree_for(CITY)
    assert main != ALTERNATIVE
    for code, tree in ((CITY, main), (CITY, ALTERNATIVE), (COUNTY, tree_for(COUNTY)), (COUNTY, ALTERNATIVE)):
        snaps = Snapshot.objects.filter(jurisdiction_id=code, tree=tree)
        assert set(snaps.values_list("month", flat=True)) == expected, (code, tree)
        assert all(len(s.digest) == 64 and s.built_by == "admin_dsj" for s in snaps)
        assert {s.departments for s in snaps} == {len(departments_of(code))}
    assert Snapshot.objects.count() == 4 * MONTHS

    # Every month of 淄博市: the jurisdiction's total (the trend) and a ranking of its departments.
    root = trees.load(main).root.key
    for snap in Snapshot.objects.filter(jurisdiction_id=CITY, tree=main):
        whole = Score.objects.get(snapshot=snap, department=None, indicator=root)
        assert whole.score is not None and 0 <= whole.score <= 100, snap
        ranked = list(
            Score.objects.filter(snapshot=snap, indicator=root, rank__isnull=False)
            .order_by("rank", "department_id")
            .values_list("rank", "score")
        )
        assert len(ranked) >= 10 and ranked[0][0] == 1, snap
        scores = [s or 0.0 for _, s in ranked]
        assert None not in {s for _, s in ranked} and scores == sorted(
            scores, reverse=True
        )  # rank 1 the best
        assert Facts.objects.filter(snapshot=snap).count() == len(city_depts)

    # This month's scheduling sheet has tasks of several kinds with owners, some overdue.
    now = Snapshot.objects.get(jurisdiction_id=CITY, tree=main, month=first)
    tasks = Task.objects.filter(snapshot=now)
    kinds = set(tasks.values_list("kind", flat=True))
    assert {TaskKind.REQUEST, TaskKind.NEED, TaskKind.OBJECTION} <= kinds, kinds
    assert tasks.filter(overdue=True).exists()
    assert set(tasks.values_list("owner_id", flat=True)) <= {d.pk for d in city_depts}
    assert f"本月月调度任务 {tasks.count()} 项" in text

    # People's scores: entered by the authority for every month, read into the facts of each month.
    names = {d.key: d.name for d in DEPARTMENTS}
    police = Department.objects.get(name=names["gaj"])
    entered = ExternalScore.objects.filter(department=police)
    assert {(e.month, e.source) for e in entered} == {(m, s) for m in expected for s in Source.values}
    assert {e.entered_by for e in ExternalScore.objects.all()} == {"admin_dsj"}
    assert ExternalScore.objects.count() == len(EXTERNAL) * MONTHS * 2
    latest = entered.get(month=first, source=Source.THIRD_PARTY)
    assert latest.score > entered.get(month=min(expected), source=Source.THIRD_PARTY).score  # rising
    facts = Facts.objects.get(snapshot=now, department=police).values
    assert facts["third_party"] == float(latest.score)

    # Loading again changes nothing.
    changes = ChangeRecord.objects.count()
    digests = dict(Snapshot.objects.values_list("pk", "digest"))
    assert "跳过" in load_scoring()
    assert ChangeRecord.objects.count() == changes
    assert dict(Snapshot.objects.values_list("pk", "digest")) == digests
    assert verify_chain()[1] is None

    # Rebuilding a past month from the same data gives the same digest.
    past = Snapshot.objects.get(jurisdiction_id=CITY, tree=main, month=add_months(first, -2))
    again = snapshot_build(actor=SYSTEM, jurisdiction=CITY, month=f"{past.month:%Y-%m}", tree=main)
    assert again.digest == past.digest
