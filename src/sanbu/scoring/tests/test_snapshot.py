"""Snapshots: what is stored, ranks, the same digest on a rebuild, refusals; entering external scores; the
monthly scheduling sheet's tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanbu.core.actor import SYSTEM
from sanbu.core.errors import NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.scoring import trees
from sanbu.scoring.models import ExternalScore, Facts, Score, Snapshot, Task, TaskKind
from sanbu.scoring.services import _ranks, external_score_enter, snapshot_build

from .support import MONTH, Clock, Scene, build

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def scene(monkeypatch: pytest.MonkeyPatch) -> Scene:
    clock = Clock(monkeypatch)
    s = build(clock)
    clock.set("2026-10-08")  # the snapshots below are built on 2026-10-08
    return s


def counts() -> tuple[int, int, int, int, int]:
    return (Snapshot.objects.count(), Score.objects.count(), Facts.objects.count(), Task.objects.count(),
            ChangeRecord.objects.filter(action="scoring.snapshot.build").count())  # fmt: skip


def test_snapshot_stores_scores_ranks_facts_and_tasks(scene: Scene) -> None:
    twin = make_department("s方志办")  # nothing at all, like s档案馆: the same total, the same rank
    snap = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    depts = [scene.police.pk, scene.education.pk, scene.civil.pk, scene.idle.pk, twin.pk]
    assert (snap.month, snap.tree, snap.departments, snap.ruleset) == (
        dt.date(2026, 9, 1),
        "sharing",
        5,
        "zibo",
    )
    assert len(snap.digest) == 64 and snap.built_by == "system"
    keys = {n.key for n in trees.load("sharing").nodes()}
    for pk in depts:
        assert {s.indicator for s in Score.objects.filter(snapshot=snap, department_id=pk)} == keys
    assert {s.indicator for s in Score.objects.filter(snapshot=snap, department__isnull=True)} == keys
    totals = {s.department_id: s for s in Score.objects.filter(snapshot=snap, indicator="total")}
    assert totals[None].rank is None  # the jurisdiction is not ranked
    order = sorted(depts, key=lambda pk: -(totals[pk].score or 0))
    # 公安局 64.7176, 教育局, then 档案馆 and 方志办 tied at 33.3333 (both rank 3), 民政局 30.18 fifth
    assert [totals[pk].rank for pk in order] == [1, 2, 3, 3, 5]
    assert order[0] == scene.police.pk and order[-1] == scene.civil.pk
    assert totals[scene.civil.pk].score == pytest.approx(30.1800, abs=1e-3)
    assert totals[scene.idle.pk].score == totals[twin.pk].score == pytest.approx(33.3333)
    assert not Score.objects.filter(snapshot=snap, rank__isnull=False).exclude(indicator="total").exists()
    leaf = Score.objects.get(snapshot=snap, department=scene.police, indicator="requests_on_time")
    assert leaf.inputs == {"requests_due": 3.0, "requests_on_time": 1.0} and leaf.score == pytest.approx(
        33.3333
    )
    stored = Facts.objects.get(snapshot=snap, department=scene.police).values
    assert stored["calls"] == 700 and stored["third_party"] == 80
    assert Facts.objects.filter(snapshot=snap).count() == 5

    # the scheduling sheet: the request never answered is overdue, owned by the provider
    task = Task.objects.get(snapshot=snap, ref=f"request:{scene.rows['req_open'].pk}")
    assert task.kind == TaskKind.REQUEST and task.owner_id == scene.police.pk and task.overdue
    # due 09-15, judged 09-30: working days 16, 17, 18, 20 (a Sunday worked), 21–24, 28, 29, 30 = 11
    assert task.due == dt.date(2026, 9, 15) and task.working_days_left == -11
    nxt = Task.objects.get(snapshot=snap, ref=f"request:{scene.rows['req_next'].pk}")
    assert not nxt.overdue and nxt.due == dt.date(2026, 10, 15) and nxt.working_days_left is not None
    assert nxt.working_days_left > 0
    objection = Task.objects.get(snapshot=snap, ref=f"objection:{scene.rows['obj_open'].pk}")
    assert objection.overdue and objection.owner_id == scene.police.pk
    refs = set(Task.objects.filter(snapshot=snap).values_list("ref", flat=True))
    for answered in ("req_on_time", "req_late"):
        assert f"request:{scene.rows[answered].pk}" not in refs
    assert f"need:{scene.rows['need_late'].pk}" not in refs
    reports = Task.objects.filter(snapshot=snap, kind=TaskKind.REPORT)
    a, b = scene.rows["project_a"].pk, scene.rows["project_b"].pk
    assert set(reports.values_list("ref", flat=True)) == {f"report:{a}:2026-H1", f"report:{b}:2025-H2",
                                                          f"report:{b}:2026-H1"}  # fmt: skip
    assert set(reports.values_list("owner_id", flat=True)) == {scene.education.pk}
    assert all(t.overdue for t in reports)


def test_ranks_tie_and_leave_the_unscored_without_one() -> None:
    names = {1: "甲", 2: "乙", 3: "丙", 4: "丁", 5: "戊"}
    assert _ranks({1: 50.0, 2: 90.0, 3: 50.0, 4: None, 5: 10.0}, names) == {2: 1, 1: 2, 3: 2, 5: 4}


def test_rebuilding_gives_the_same_digest_and_replaces_the_rows(scene: Scene) -> None:
    first = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    before = counts()
    again = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    assert again.digest == first.digest and again.pk != first.pk
    after = counts()
    assert (
        after[:4] == before[:4] and after[4] == before[4] + 1
    )  # replaced, not duplicated; each build recorded
    assert not Snapshot.objects.filter(pk=first.pk).exists()
    # another tree is another snapshot of the same month
    dims = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="dimensions")
    assert Snapshot.objects.count() == 2 and dims.digest != again.digest
    # a change in what the month reads changes the digest
    external_score_enter(actor=SYSTEM, department_id=scene.civil.pk, month=MONTH, source="public_feedback",
                         score=70, basis="好差评汇总")  # fmt: skip
    changed = snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="sharing")
    assert changed.digest != first.digest
    assert Score.objects.get(snapshot=changed, department=scene.civil, indicator="public_score").score == 70


def test_a_future_month_is_refused_and_nothing_is_written(scene: Scene) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        snapshot_build(actor=SYSTEM, jurisdiction="370300", month="2026-11")  # today is 2026-10-08
    assert exc.value.code == "scoring.month.future" and "尚未开始" in exc.value.message
    assert [e.field for e in exc.value.errors] == ["month"]
    assert counts() == before
    # the month in progress may be built: judged on today
    snap = snapshot_build(
        actor=SYSTEM, jurisdiction="370300", month="2026-10", tree="sharing", today=dt.date(2026, 10, 8)
    )
    assert snap.month == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    "label", ["2026-13", "11/2026", "2026-00", "2026", "2026-11-05", "十一月", "", "9999-12x", "9999-12"]
)
def test_a_bad_month_label_is_refused_in_chinese(scene: Scene, label: str) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        snapshot_build(actor=SYSTEM, jurisdiction="370300", month=label)
    assert exc.value.code == "scoring.month.invalid"
    assert "应写作 YYYY-MM" in exc.value.message and exc.value.errors[0].field == "month"
    assert counts() == before


def test_an_actor_without_build_gets_not_found(scene: Scene) -> None:
    steward = actor_of(make_user("s_steward2", department=scene.police, roles=("steward",)))
    leader = actor_of(make_user("s_leader", roles=("leader",), jurisdiction="370300"))
    other = actor_of(make_user("s_jx_auth", department=make_department("赣州市大数据局", jurisdiction="360700"),
                               roles=("authority",), jurisdiction="360700"))  # fmt: skip
    for actor in (steward, leader, other):
        with pytest.raises(NotFound):
            snapshot_build(actor=actor, jurisdiction="370300", month=MONTH)
    with pytest.raises(NotFound):
        snapshot_build(actor=SYSTEM, jurisdiction="999999", month=MONTH)
    assert counts()[0] == 0
    assert snapshot_build(actor=scene.authority, jurisdiction="370300", month=MONTH).tree == "sharing-zibo"


def test_an_unknown_tree_is_refused(scene: Scene) -> None:
    with pytest.raises(ValidationFailed) as exc:
        snapshot_build(actor=SYSTEM, jurisdiction="370300", month=MONTH, tree="nosuch")
    assert exc.value.code == "scoring.tree.invalid" and "nosuch" in exc.value.message
    assert counts()[0] == 0


def test_external_score_validation_and_replacement(scene: Scene) -> None:
    auth, dept = scene.authority, scene.education.pk

    def enter(**over: object) -> ExternalScore:
        kwargs: dict[str, object] = dict(actor=auth, department_id=dept, month=MONTH, source="third_party",
                                         score="85.5", basis="2026年9月第三方评估报告")  # fmt: skip
        kwargs.update(over)
        return external_score_enter(**kwargs)  # type: ignore[arg-type]

    for bad, field in ((dict(score=101), "score"), (dict(score=-1), "score"), (dict(score="很好"), "score"),
                       (dict(score="NaN"), "score"), (dict(score="Infinity"), "score"),
                       (dict(source="leaders"), "source"), (dict(basis="  "), "basis"),
                       (dict(basis="x" * 501), "basis")):  # fmt: skip
        with pytest.raises(ValidationFailed) as exc:
            enter(**bad)
        assert [e.field for e in exc.value.errors] == [field], bad
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.message) for e in exc.value.errors)
    with pytest.raises(ValidationFailed) as exc:
        enter(month="2026/09")
    assert exc.value.code == "scoring.month.invalid"
    assert not ExternalScore.objects.filter(department_id=dept).exclude(month=dt.date(2026, 8, 1)).exists()

    first = enter()
    assert (first.score, first.month, first.basis) == (
        Decimal("85.50"),
        dt.date(2026, 9, 1),
        "2026年9月第三方评估报告",
    )
    assert enter(score=0).score == 0 and enter(score=100).score == 100  # the bounds are allowed
    second = enter(score=72, basis="复核后的评估报告")
    assert second.pk == first.pk
    assert ExternalScore.objects.filter(department_id=dept, month=dt.date(2026, 9, 1)).count() == 1
    record = ChangeRecord.objects.filter(action="scoring.external.enter", object_id=str(first.pk)).order_by(
        "seq"
    )
    last = record.last()
    assert record.count() == 4 and last is not None
    assert last.before is not None and Decimal(str(last.before["score"])) == 100
    assert last.after is not None and Decimal(str(last.after["score"])) == 72
    public = enter(source="public_feedback", score=66)
    assert public.pk != first.pk  # the other source is its own entry

    steward = actor_of(make_user("s_steward3", department=scene.education, roles=("steward",)))
    with pytest.raises(NotFound):
        enter(actor=steward)
    with pytest.raises(NotFound):
        enter(department_id=999_999)
