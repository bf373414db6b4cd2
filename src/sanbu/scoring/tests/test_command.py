"""``sanbu snapshot_scores``: one snapshot per jurisdiction with departments and per tree, the digests printed
and the same on a second run; ``--previous``; a bad month refused in Chinese."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sanbu.core.testing import make_department, make_user
from sanbu.scoring.models import Snapshot

from .support import MONTH, Clock, Scene, build

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def scene(monkeypatch: pytest.MonkeyPatch) -> Scene:
    clock = Clock(monkeypatch)
    s = build(clock)
    make_department(
        "博山区大数据中心", jurisdiction="370304"
    )  # below 淄博: its own jurisdiction with a department
    clock.set("2026-10-08")
    return s


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("snapshot_scores", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def digests(text: str) -> dict[tuple[str, str], str]:
    found = re.findall(
        r"^(\S+) \S+（(\d{6})）(\S+)：\d+ 个部门，用时 [\d.]+ 秒，摘要 ([0-9a-f]{16})$", text, re.M
    )
    return {(code, tree): digest for _, code, tree, digest in found}


def test_builds_one_snapshot_per_jurisdiction_and_tree_and_prints_the_same_digests(scene: Scene) -> None:
    first = run("--month", MONTH)
    got = digests(first)
    # 淄博 (370300, ruleset zibo → sharing-zibo) and 博山区 (370304, inherits zibo), each with the dimensions
    assert set(got) == {("370300", "sharing-zibo"), ("370300", "dimensions"), ("370304", "sharing-zibo"),
                        ("370304", "dimensions")}  # fmt: skip
    assert len(first.strip().splitlines()) == 4 and all(
        line.startswith("2026-09 ") for line in first.splitlines()
    )
    assert "淄博市（370300）sharing-zibo：5 个部门" in first  # the city counts the district's department too
    snaps = Snapshot.objects.filter(month=dt.date(2026, 9, 1))
    assert snaps.count() == 4
    for snap in snaps:
        assert got[(snap.jurisdiction_id, snap.tree)] == snap.digest[:16]
    assert digests(run("--month", MONTH)) == got
    assert Snapshot.objects.filter(month=dt.date(2026, 9, 1)).count() == 4


def test_jurisdiction_and_tree_options(scene: Scene) -> None:
    out = run("--month", MONTH, "--jurisdiction", "370300", "--tree", "sharing")
    assert set(digests(out)) == {("370300", "sharing")}
    assert list(Snapshot.objects.values_list("tree", flat=True)) == ["sharing"]


def test_previous_builds_last_month(scene: Scene) -> None:
    out = run("--previous", "--jurisdiction", "370300")  # today is 2026-10-08
    assert set(digests(out)) == {("370300", "sharing-zibo"), ("370300", "dimensions")}
    assert set(Snapshot.objects.values_list("month", flat=True)) == {dt.date(2026, 9, 1)}


def test_previous_in_january_is_last_december(monkeypatch: pytest.MonkeyPatch) -> None:
    from sanbu.scoring.management.commands import snapshot_scores

    monkeypatch.setattr(snapshot_scores.timezone, "localdate", lambda: dt.date(2027, 1, 1))
    assert snapshot_scores._previous_month() == "2026-12"
    monkeypatch.setattr(snapshot_scores.timezone, "localdate", lambda: dt.date(2026, 10, 31))
    assert snapshot_scores._previous_month() == "2026-09"


@pytest.mark.parametrize("label", ["2026-13", "11/2026"])
def test_a_bad_month_exits_with_the_chinese_message(scene: Scene, label: str) -> None:
    with pytest.raises(CommandError) as exc:
        run("--month", label)
    assert f"月份“{label}”应写作 YYYY-MM" in str(exc.value)
    assert not Snapshot.objects.exists()


def test_a_future_month_or_a_user_without_the_right_fails(scene: Scene) -> None:
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("snapshot_scores", "--month", "2026-12", "--jurisdiction", "370300", stdout=io.StringIO(),
                     stderr=err)  # fmt: skip
    assert "2 个快照未能生成" in str(exc.value) and "尚未开始" in err.getvalue()
    make_user("s_cmd_steward", department=scene.police, roles=("steward",))
    with pytest.raises(CommandError):
        run("--month", MONTH, "--jurisdiction", "370300", "--as", "s_cmd_steward")
    with pytest.raises(CommandError, match="不存在或已停用"):
        run("--month", MONTH, "--as", "nobody_here")
    assert not Snapshot.objects.exists()
    out = run("--month", MONTH, "--jurisdiction", "370300", "--as", scene.authority.username)
    assert set(digests(out)) == {("370300", "sharing-zibo"), ("370300", "dimensions")}
