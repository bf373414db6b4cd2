"""Rulesets in the platform: jurisdiction mapping, drafts checked and published as contiguous versions,
the current ruleset (overlays, inheritance, cache), who may edit, and the change records."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.orgs import rulesets
from sanbu.orgs.models import RulesetState, RulesetVersion
from sanbu.policy.rulesets import Change, load

pytestmark = pytest.mark.django_db(databases="__all__")

DAYS = "exchange.need_answer_days"
TIERS = "projects.review_tiers"


def days(n: int, citation: str = "淄政办发〔2025〕3号 第五条") -> Change:
    return Change("parameter", DAYS, n, citation)


def authority_of(code: str, username: str) -> Actor:
    bureau = make_department(f"{username}大数据局", jurisdiction=code)
    return actor_of(make_user(username, department=bureau, roles=("authority",), jurisdiction=code))


@pytest.fixture
def zibo_admin(db: Any) -> Actor:
    return authority_of("370300", "zb_admin")


@pytest.fixture
def yiyuan_admin(db: Any) -> Actor:
    return authority_of("370323", "yy_admin")


# --- which ruleset, as it stands --------------------------------------------------------------------


def test_current_without_versions_is_the_file(db: Any) -> None:
    assert rulesets.current("zibo") == load("zibo")
    assert rulesets.current("zibo").version == 0
    assert rulesets.current("370303").name == "zibo"  # 张店区 → 淄博市
    assert rulesets.ruleset_for_jurisdiction("370323").name == "yiyuan"
    assert rulesets.ruleset_for_jurisdiction("360121").name == "jiangxi"
    assert rulesets.ruleset_for_jurisdiction("110101").name == "default"
    assert rulesets.ruleset_name_for("370000") == "default"
    with pytest.raises(NotFound) as exc:
        rulesets.current("nowhere")
    assert exc.value.code == "policy.ruleset.not_found"


def test_who_a_ruleset_decides_for(db: Any) -> None:
    assert rulesets.applies_to("zibo") == ("370300", "370323")  # its own, then yiyuan's (inherits zibo)
    assert rulesets.applies_to("yiyuan") == ("370323",)
    assert rulesets.applies_to("jiangxi") == ("360000",)
    assert rulesets.applies_to("default") == () and rulesets.applies_to("district") == ()
    assert rulesets.applies_to("nowhere") == ()
    assert set(rulesets.names()) >= {"default", "district", "jiangxi", "zibo", "yiyuan"}


# --- draft and publish --------------------------------------------------------------------------------


def test_draft_then_publish_gives_version_one_citing_the_change(zibo_admin: Actor) -> None:
    v = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)], note="缩短答复期限")
    assert v.state == RulesetState.DRAFT and v.number is None and v.base == 0
    assert v.changes == [
        {"kind": "parameter", "key": DAYS, "old": 10, "new": 7, "citation": "淄政办发〔2025〕3号 第五条"}
    ]
    assert rulesets.current("zibo").value(DAYS) == 10  # a draft changes nothing yet
    draft = rulesets.draft_ruleset(v.pk)
    assert draft.value(DAYS) == 7 and draft.version == 1
    v = rulesets.ruleset_publish(actor=zibo_admin, version_id=v.pk)
    assert (v.state, v.number, v.published_by) == (RulesetState.PUBLISHED, 1, "zb_admin")
    zibo = rulesets.current("zibo")
    p = zibo.param(DAYS)
    assert (zibo.version, p.value, p.citation, p.origin, p.version) == (
        1,
        7,
        "淄政办发〔2025〕3号 第五条",
        "zibo",
        1,
    )
    # the county inherits the city's version; the rest of the country does not
    assert rulesets.current("yiyuan").value(DAYS) == 7 and rulesets.current("yiyuan").version == 0
    assert rulesets.current("jiangxi").value(DAYS) == 10
    actions = list(
        ChangeRecord.objects.filter(object_type="orgs.rulesetversion", object_id=str(v.pk))
        .order_by("seq")
        .values_list("action", "jurisdiction")
    )
    assert actions == [("policy.ruleset.draft", "370300"), ("policy.ruleset.publish", "370300")]


def test_rule_switch_and_null_parameter(zibo_admin: Actor) -> None:
    changes = [
        Change("rule", "PRJ-A7", True, "淄政发〔2025〕1号 三(一)"),
        Change(
            "parameter",
            "projects.province_escalation",
            {"infrastructure": 5000000, "other": 3000000},
            "鲁政办",
        ),
    ]
    v = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=changes)
    assert v.changes[0]["old"] is False and v.changes[1]["old"] is None
    rulesets.ruleset_publish(actor=zibo_admin, version_id=v.pk)
    zibo = rulesets.current("zibo")
    assert zibo.enabled("PRJ-A7") and zibo.rules["PRJ-A7"].version == 1
    assert zibo.value("projects.province_escalation") == {"infrastructure": 5000000, "other": 3000000}


def test_invalid_changes_are_field_errors_in_chinese(zibo_admin: Actor) -> None:
    changes = [
        days("十"),  # type: ignore[arg-type]
        Change(
            "parameter",
            TIERS,
            [{"from": 0, "route": "self_review"}, {"from": 0, "route": "joint_panel"}],
            "c",
        ),
        Change("parameter", "nope", 1, "c"),
        Change("rule", "PRJ-A7", True, "   "),
        days(9, "x\x00"),
        days(8),
    ]
    with pytest.raises(ValidationFailed) as exc:
        rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=changes, note="说" * 1001)
    assert exc.value.code == "policy.ruleset.invalid_change"
    errors = {(e.field, e.code): e.message for e in exc.value.errors}
    assert "应为整数（如 10）" in errors[("changes[0].new", "shape")]
    assert "从小到大" in errors[("changes[1].new", "order")]
    assert "没有参数 nope" in errors[("changes[2].key", "unknown_parameter")]
    assert "请填写 PRJ-A7 的修改依据" in errors[("changes[3].citation", "required")]
    assert "空字符" in errors[("changes[4].citation", "invalid_character")]
    assert "已有一项修改（第 1 项）" in errors[("changes[4].key", "duplicate")]
    assert ("changes[5].key", "duplicate") in errors
    assert "1000" in errors[("note", "too_long")]
    assert not RulesetVersion.objects.exists()


def test_nothing_to_change_is_refused(zibo_admin: Actor) -> None:
    current = load("zibo").param(DAYS)
    for changes, code in (
        ([], "required"),
        ([Change("parameter", DAYS, current.value, current.citation)], "unchanged"),
        ([days(1)] * 101, "too_many"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            rulesets.ruleset_draft(actor=zibo_admin, name="yiyuan", changes=changes)
        assert code in {e.code for e in exc.value.errors}
    # the same value with a better citation is a change
    v = rulesets.ruleset_draft(
        actor=zibo_admin, name="yiyuan", changes=[Change("parameter", DAYS, 10, "新依据")]
    )
    assert v.changes[0]["old"] == 10
    switch = load("yiyuan").rules["PRJ-A7"]
    with pytest.raises(ValidationFailed):
        rulesets.ruleset_draft(
            actor=zibo_admin, name="yiyuan", changes=[Change("rule", "PRJ-A7", True, switch.citation)]
        )


def test_second_of_two_drafts_conflicts_until_brought_up_to_date(zibo_admin: Actor) -> None:
    a = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)])
    b = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(5, "另一依据")])
    rulesets.ruleset_publish(actor=zibo_admin, version_id=a.pk)
    with pytest.raises(Conflict) as exc:
        rulesets.ruleset_publish(actor=zibo_admin, version_id=b.pk)
    assert exc.value.code == "policy.ruleset.stale" and "已发布第 1 版" in exc.value.message
    b = rulesets.ruleset_draft_update(
        actor=zibo_admin,
        version_id=b.pk,
        changes=rulesets_changes(b),
        note="按第 1 版更新",
        expected_revision=1,
    )
    assert b.base == 1 and b.changes[0]["old"] == 7 and b.revision == 2
    b = rulesets.ruleset_publish(actor=zibo_admin, version_id=b.pk)
    assert b.number == 2
    assert rulesets.current("zibo").value(DAYS) == 5 and rulesets.current("zibo").version == 2
    numbers = RulesetVersion.objects.filter(name="zibo").order_by("number").values_list("number", flat=True)
    assert list(numbers) == [1, 2]


def rulesets_changes(v: RulesetVersion) -> list[Change]:
    return [Change.from_dict(d) for d in v.changes]


def test_states_are_compared(zibo_admin: Actor) -> None:
    v = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)])
    with pytest.raises(Conflict):
        rulesets.ruleset_publish(actor=zibo_admin, version_id=v.pk, expected_state=RulesetState.PUBLISHED)
    with pytest.raises(Conflict):
        rulesets.ruleset_draft_update(
            actor=zibo_admin, version_id=v.pk, changes=[days(6)], expected_revision=7
        )
    with pytest.raises(ValidationFailed):
        rulesets.ruleset_discard(actor=zibo_admin, version_id=v.pk, reason="\x00")
    v = rulesets.ruleset_discard(actor=zibo_admin, version_id=v.pk, reason="不再需要")
    assert v.state == RulesetState.DISCARDED and v.number is None and "放弃原因：不再需要" in v.note
    for call in (
        lambda: rulesets.ruleset_publish(actor=zibo_admin, version_id=v.pk),
        lambda: rulesets.ruleset_discard(actor=zibo_admin, version_id=v.pk),
        lambda: rulesets.ruleset_draft_update(actor=zibo_admin, version_id=v.pk, changes=[days(6)]),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert "已放弃" in exc.value.message
    with pytest.raises(NotFound):
        rulesets.draft_ruleset(v.pk)
    assert rulesets.current("zibo").version == 0


@pytest.mark.django_db(databases="__all__", transaction=True, serialized_rollback=True)
def test_two_drafts_published_at_once_one_success_one_conflict() -> None:
    admins = [authority_of("370300", f"cc_rs{i}") for i in range(2)]
    drafts = [
        rulesets.ruleset_draft(actor=admins[i], name="zibo", changes=[days(6 + i, f"依据{i}")])
        for i in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def publish(i: int) -> None:
        barrier.wait()
        try:
            rulesets.ruleset_publish(actor=admins[i], version_id=drafts[i].pk)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "policy.ruleset.stale"]
    assert list(RulesetVersion.objects.filter(state="published").values_list("number", flat=True)) == [1]


# --- the current ruleset: cache and files that moved on ---------------------------------------------


def test_current_is_cached_until_a_newer_version_is_published(zibo_admin: Actor) -> None:
    first = rulesets.current("zibo")
    assert rulesets.current("zibo") is first
    v = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)])
    assert rulesets.current("zibo") is first  # a draft does not touch it
    rulesets.ruleset_publish(actor=zibo_admin, version_id=v.pk)
    second = rulesets.current("zibo")
    assert second is not first and second.value(DAYS) == 7
    assert rulesets.current("zibo") is second
    # a version of the parent is seen by the child at once
    yiyuan = rulesets.current("yiyuan")
    d = rulesets.ruleset_draft(actor=SYSTEM, name="default", changes=[Change("parameter", TIERS, [
        {"from": 0, "route": "expert_panel"}, {"from": 5000000, "route": "joint_panel"}], "国办发")])  # fmt: skip
    rulesets.ruleset_publish(actor=SYSTEM, version_id=d.pk)
    assert rulesets.current("yiyuan") is not yiyuan
    assert rulesets.current("yiyuan").param(TIERS).origin == "default"
    rulesets.clear_cache()
    assert rulesets.current("yiyuan") == rulesets.current("yiyuan")


def test_a_published_change_that_no_longer_fits_is_ignored_and_said(zibo_admin: Actor) -> None:
    v = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)])
    rulesets.ruleset_publish(actor=zibo_admin, version_id=v.pk)
    # as if the shipped file had changed the parameter's shape since
    RulesetVersion.objects.filter(pk=v.pk).update(changes=[{**v.changes[0], "new": "七天"}])
    zibo = rulesets.current("zibo")
    assert zibo.value(DAYS) == 10 and "第 1 版对 exchange.need_answer_days 的修改已忽略" in zibo.ignored[0]
    d = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(6)])
    RulesetVersion.objects.filter(pk=d.pk).update(changes=[{**d.changes[0], "new": "六天"}])
    with pytest.raises(ValidationFailed) as exc:
        rulesets.draft_ruleset(d.pk)
    assert "草稿与当前规则集不符" in exc.value.message
    with pytest.raises(ValidationFailed):
        rulesets.ruleset_publish(actor=zibo_admin, version_id=d.pk)


def test_a_published_version_as_it_stood(zibo_admin: Actor) -> None:
    v1 = rulesets.ruleset_publish(
        actor=zibo_admin,
        version_id=rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)]).pk,
    )
    v2 = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(6, "第二次")])
    rulesets.ruleset_publish(actor=zibo_admin, version_id=v2.pk)
    then = rulesets.draft_ruleset(v1.pk)
    assert then.value(DAYS) == 7 and then.version == 1
    assert rulesets.current("zibo").value(DAYS) == 6


# --- who may do what --------------------------------------------------------------------------------


def test_authorities_edit_the_rulesets_of_their_jurisdiction(zibo_admin: Actor, yiyuan_admin: Actor) -> None:
    for actor, name, allowed in (
        (zibo_admin, "zibo", True),
        (zibo_admin, "yiyuan", True),  # 沂源县 is inside 淄博市
        (zibo_admin, "jiangxi", False),
        (zibo_admin, "default", False),  # decides for the whole platform
        (zibo_admin, "district", False),
        (yiyuan_admin, "yiyuan", True),
        (yiyuan_admin, "zibo", False),  # zibo also decides for 张店区 etc.
        (SYSTEM, "default", True),
        (SYSTEM, "district", True),
    ):
        assert rulesets.may(actor, rulesets.EDIT, name) is allowed, (actor.username, name)
        if allowed:
            rulesets.ruleset_draft(actor=actor, name=name, changes=[days(3, f"{actor.username}")])
        else:
            with pytest.raises(NotFound):
                rulesets.ruleset_draft(actor=actor, name=name, changes=[days(3)])
    jx = rulesets.ruleset_draft(actor=SYSTEM, name="jiangxi", changes=[days(4)])
    for call in (
        lambda: rulesets.ruleset_publish(actor=zibo_admin, version_id=jx.pk),
        lambda: rulesets.ruleset_discard(actor=zibo_admin, version_id=jx.pk),
        lambda: rulesets.ruleset_draft_update(actor=zibo_admin, version_id=jx.pk, changes=[days(2)]),
        lambda: rulesets.ruleset_publish(actor=zibo_admin, version_id=10**12),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(NotFound):
        rulesets.ruleset_draft(actor=SYSTEM, name="nowhere", changes=[days(3)])


def test_readers_see_published_versions_and_drafts_of_their_jurisdiction(zibo_admin: Actor) -> None:
    auditor = actor_of(make_user("rs_auditor", roles=("auditor",), jurisdiction="370300"))
    leader_jx = actor_of(make_user("rs_leader", roles=("leader",), jurisdiction="360000"))
    zibo_draft = rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(7)])
    published = rulesets.ruleset_publish(
        actor=zibo_admin,
        version_id=rulesets.ruleset_draft(actor=zibo_admin, name="zibo", changes=[days(8)]).pk,
    )
    assert {v.pk for v in rulesets.version_list(actor=auditor, name="zibo")} == {zibo_draft.pk, published.pk}
    assert {v.pk for v in rulesets.version_list(actor=leader_jx, name="zibo")} == {published.pk}
    assert rulesets.version_get(actor=leader_jx, version_id=published.pk) == published
    with pytest.raises(NotFound):
        rulesets.version_get(actor=leader_jx, version_id=zibo_draft.pk)
    with pytest.raises(NotFound):
        rulesets.version_list(actor=auditor, name="nowhere")
    summaries = {s.name: s for s in rulesets.ruleset_list(actor=auditor)}
    assert summaries["zibo"].version == 1 and summaries["zibo"].drafts == 1 and not summaries["zibo"].can_edit
    assert summaries["zibo"].jurisdictions == [("370300", "淄博市")]
    assert {s.name: s for s in rulesets.ruleset_list(actor=leader_jx)}["zibo"].drafts == 0
    assert {s.name: s for s in rulesets.ruleset_list(actor=zibo_admin)}["zibo"].can_edit
    assert rulesets.ruleset_get(actor=leader_jx, name="zibo").value(DAYS) == 8
    assert rulesets.open_draft(actor=zibo_admin, name="zibo") == zibo_draft
    with pytest.raises(NotFound):
        rulesets.open_draft(actor=auditor, name="zibo")


def test_users_without_view_are_refused(db: Any) -> None:
    consumer = actor_of(make_user("rs_consumer", department=make_department("某局"), roles=("consumer",)))
    with pytest.raises(PermissionDenied):
        rulesets.ruleset_list(actor=consumer)
    with pytest.raises(PermissionDenied):
        rulesets.ruleset_get(actor=consumer, name="zibo")
    with pytest.raises(NotFound):
        rulesets.version_list(actor=consumer, name="zibo")


def test_platform_wide_versions_are_recorded_without_a_jurisdiction(db: Any) -> None:
    v = rulesets.ruleset_draft(actor=SYSTEM, name="default", changes=[days(12, "国办函")])
    assert str(v) == f"规则集 default 草稿 #{v.pk}"
    v = rulesets.ruleset_publish(actor=SYSTEM, version_id=v.pk)
    assert str(v) == "规则集 default 第 1 版"
    assert set(
        ChangeRecord.objects.filter(object_type="orgs.rulesetversion").values_list("jurisdiction", flat=True)
    ) == {""}


# --- the API ------------------------------------------------------------------------------------------


def test_api_round_trip_with_stable_error_codes(db: Any) -> None:
    from django.test import Client

    bureau = make_department("淄博市大数据局")
    c = Client()
    c.force_login(make_user("api_rs", department=bureau, roles=("authority",), jurisdiction="370300"))
    listed = {r["name"]: r for r in c.get("/api/policy/rulesets").json()}
    assert (
        listed["zibo"]["jurisdictions"] == [{"code": "370300", "name": "淄博市"}]
        and listed["zibo"]["can_edit"]
    )
    bad = {"changes": [{"kind": "parameter", "key": DAYS, "new": "十", "citation": ""}]}
    response = c.post("/api/policy/rulesets/zibo/versions", bad, content_type="application/json")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "policy.ruleset.invalid_change"
    assert {e["field"] for e in body["errors"]} == {"changes[0].new", "changes[0].citation"}
    good: dict[str, Any] = {
        "changes": [{"kind": "parameter", "key": DAYS, "new": 7, "citation": "淄政办发〔2025〕3号"}],
        "note": "n",
    }
    created = c.post("/api/policy/rulesets/zibo/versions", good, content_type="application/json")
    assert created.status_code == 201 and created.json()["changes"][0]["old"] == 10
    vid = created.json()["id"]
    updated = c.put(
        f"/api/policy/ruleset-versions/{vid}",
        {**good, "changes": [{**good["changes"][0], "new": 6}], "revision": 1},
        content_type="application/json",
    )
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    stale = c.put(
        f"/api/policy/ruleset-versions/{vid}", {**good, "revision": 1}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "policy.ruleset_version.changed"
    published = c.post(f"/api/policy/ruleset-versions/{vid}/publish", {}, content_type="application/json")
    assert published.json()["number"] == 1 and published.json()["state_label"] == "已发布"
    again = c.post(f"/api/policy/ruleset-versions/{vid}/discard", {}, content_type="application/json")
    assert again.status_code == 409
    detail = c.get("/api/policy/rulesets/yiyuan").json()
    param = next(p for p in detail["parameters"] if p["key"] == DAYS)
    assert (param["value"], param["set_in"], param["citation"]) == (6, "zibo 第 1 版", "淄政办发〔2025〕3号")
    rule = next(r for r in detail["rules"] if r["rule_id"] == "PRJ-A7")
    assert rule["enabled"] and rule["set_in"] == "yiyuan.yaml"
    assert [v["number"] for v in c.get("/api/policy/rulesets/zibo/versions").json()] == [1]
    missing = c.get("/api/policy/rulesets/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "policy.ruleset.not_found"
