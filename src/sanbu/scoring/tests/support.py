"""A small fixed world for scoring tests, built through the services on a test clock so that every date is
known: the month judged is September 2026 (``MONTH``), with things before, during and after it.

The clock: ``django.utils.timezone.now`` is replaced (``Clock``), which every service reads (directly, via
``localdate``, through ``auto_now_add`` fields or the exchange modules' ``_now`` seams). Where a service
path would be long or cannot set a past date, rows are written directly and the helper says why.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sanbu.catalog import services as catalog
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import DataElement, Resource
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import feedback, needs
from sanbu.exchange import services as exchange
from sanbu.exchange.models import ConsumerApp, DataNeed, Grant, Objection, ShareRequest, UsageDay
from sanbu.inventory import services as inventory
from sanbu.inventory.models import InformationSystem
from sanbu.inventory.services import SystemData
from sanbu.orgs.models import Department
from sanbu.projects import construction, funds
from sanbu.projects.models import EntryKind, LedgerEntry, ProgressReport, Project
from sanbu.projects.tests.support import World, world

SH = ZoneInfo("Asia/Shanghai")
MONTH = "2026-09"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SH)


class Clock:
    """``timezone.now`` fixed at ``self.now`` (set with ``clock.set("2026-09-01")``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = at("2025-07-01")
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, day: str, hour: int = 10) -> None:
        self.now = at(day, hour)


@dataclass
class Scene:
    """The departments and the rows a test may touch again."""

    police: Department  # P: the provider (world's 公安局)
    education: Department  # U: the project unit (world's 教育局)
    civil: Department  # C: the consumer, a duplicate collector and a conflict claimant
    idle: Department  # E: nothing at all
    w: World
    authority: Actor
    rows: dict[str, Any] = field(default_factory=dict)


def _resource(dept: Department, name: str, items: list[ItemInput], cycle: str = "monthly") -> Resource:
    data = ResourceInput(
        name=name, catalog_class="3", subclass="业务数据", summary=f"{name}的摘要", format="database",
        share_type="conditional", share_condition="仅限依法履职使用", share_method="api", update_cycle=cycle,
        items=items,
    )  # fmt: skip
    return catalog.resource_register(actor=SYSTEM, department_id=dept.pk, data=data)


def _review(r: Any) -> None:
    catalog.resource_submit(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    catalog.resource_review(actor=SYSTEM, resource_id=r.pk, expected_version=None, approve=True)


def _rows(r: Any) -> None:
    csv = "单位名称,单位地址\n淄博市第一中学,张店区\n".encode()
    catalog.resource_mount_rows(actor=SYSTEM, resource_id=r.pk, expected_version=None, file=io.BytesIO(csv),
                                filename="rows.csv")  # fmt: skip


def _publish(r: Any) -> None:
    catalog.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None)


ROW_ITEMS = [
    ItemInput(name="单位名称", data_type="C", length=100),
    ItemInput(name="单位地址", data_type="C", length=200),
]


def build(clock: Clock) -> Scene:
    """The world of September 2026 (see test_indicators for every number it gives)."""
    clock.set("2025-07-01")
    w = world(prefix="s")  # 2025-07-01: s教育局 (unit), s公安局 (provider), their resources and system
    police, education = w.provider, w.unit
    civil = make_department("s民政局")
    idle = make_department("s档案馆")
    gone = make_department("s已撤销部门")
    Department.objects.filter(pk=gone.pk).update(is_active=False)  # inactive: never scored
    authority = w.authority
    scene = Scene(police, education, civil, idle, w, authority)
    r = scene.rows

    # --- catalog of P (2026-08 … 2026-10) ------------------------------------------------------------
    clock.set("2026-08-03")
    fresh = _resource(police, "s企业名录", ROW_ITEMS)  # rows, monthly; loaded 08-03 and again 09-20
    _review(fresh)
    _rows(fresh)
    _publish(fresh)
    stale = _resource(police, "s学校名录", ROW_ITEMS)  # rows, monthly; loaded only on 08-03
    _review(stale)
    _rows(stale)
    _publish(stale)
    clock.set("2026-09-20")
    _rows(fresh)
    clock.set("2026-09-22")
    submitted = _resource(police, "s待审资源", ROW_ITEMS)  # registered (submitted), not mounted
    catalog.resource_submit(actor=SYSTEM, resource_id=submitted.pk, expected_version=None)
    _resource(police, "s草稿资源", ROW_ITEMS)  # a draft is not registered
    r |= {"fresh": fresh, "stale": stale, "submitted": submitted}

    # --- 一数一源: P is the authority of 单位名称; C collects it again; C claims it (open) and 性别 --------
    clock.set("2026-08-10")
    name_el = DataElement.objects.get(name="单位名称") if DataElement.objects.filter(name="单位名称").exists() \
        else DataElement.objects.get(name="姓名")  # fmt: skip
    r["element"] = name_el
    catalog.claim_authority(actor=SYSTEM, department=police, element=name_el)
    dup = _resource(civil, "s救助对象名单", [
        ItemInput(name=name_el.name, data_type="C", length=100, element=name_el.name),
        ItemInput(name="救助类别", data_type="C", length=20),
    ])  # fmt: skip
    catalog.resource_submit(actor=SYSTEM, resource_id=dup.pk, expected_version=None)
    r["dup"] = dup
    r["open_conflict"] = catalog.claim_authority(actor=SYSTEM, department=civil, element=name_el)
    other_el = (
        DataElement.objects.exclude(pk=name_el.pk).filter(authority__isnull=True).order_by("pk").first()
    )
    assert other_el is not None
    catalog.claim_authority(actor=SYSTEM, department=police, element=other_el)
    resolved = catalog.claim_authority(actor=SYSTEM, department=civil, element=other_el)
    assert resolved is not None
    clock.set("2026-09-08")
    catalog.conflict_resolve(
        actor=authority, conflict_id=resolved.pk, winner_department_id=police.pk, note="公安为准"
    )
    r["resolved_conflict"] = resolved

    # --- systems --------------------------------------------------------------------------------------
    clock.set("2026-08-03")
    inventory.system_register(
        actor=SYSTEM,
        department_id=police.pk,
        data=SystemData(name="s人口库", on_gov_cloud=True, provides=(w.published.pk,)),
    )  # docked, cataloged, on cloud
    inventory.system_register(actor=SYSTEM, department_id=police.pk, data=SystemData(name="s警务通"))
    old = inventory.system_register(actor=SYSTEM, department_id=police.pk, data=SystemData(name="s旧系统"))
    inventory.system_retire(actor=SYSTEM, system_id=old.pk, expected_version=None, reason="停用")
    inventory.system_register(actor=SYSTEM, department_id=civil.pk, data=SystemData(name="s婚姻登记系统"))

    # --- apps, requests, objections, needs (September) -------------------------------------------------
    steward_c = actor_of(make_user("s_civil", department=civil, roles=("steward", "consumer")))
    steward_p = actor_of(make_user("s_police", department=police, roles=("steward",)))
    r["steward_p"], r["steward_c"] = steward_p, steward_c
    app_c = exchange.app_register(actor=steward_c, name="s婚姻登记", system_name="s婚姻登记系统")
    app_i = exchange.app_register(actor=SYSTEM, name="s学籍核验", department_id=idle.pk)
    app_p = exchange.app_register(actor=steward_p, name="s自用")
    items = [i.pk for i in w.published.items.all()]

    def ask(day: str) -> ShareRequest:
        clock.set(day)
        return exchange.request_submit(
            actor=steward_c, app_id=app_c.pk, resource_id=w.published.pk, item_ids=items, purpose="婚姻登记核验",
            legal_basis="《婚姻登记条例》", period_start=dt.date(2026, 9, 1), period_end=dt.date(2028, 12, 31),
        )  # fmt: skip

    def step(req: ShareRequest, day: str, refuse: bool = False) -> None:
        clock.set(day)
        if refuse:
            exchange.request_refuse(
                actor=SYSTEM, request_id=req.pk, expected_version=None, reason="不符合条件"
            )
            return
        exchange.request_accept(actor=SYSTEM, request_id=req.pk, expected_version=None)
        exchange.request_approve(actor=SYSTEM, request_id=req.pk, expected_version=None)

    r["req_on_time"], r["req_late"], r["req_open"] = ask("2026-09-01"), ask("2026-09-01"), ask("2026-09-01")
    r["req_next"] = ask("2026-09-25")  # due in October
    step(r["req_on_time"], "2026-09-10")
    step(r["req_late"], "2026-09-18", refuse=True)

    grant = Grant.objects.get(request=r["req_on_time"])

    def object_(day: str) -> Objection:
        clock.set(day)
        return feedback.objection_submit(actor=steward_c, resource_id=grant.resource_id, description="姓名有误",
                                         evidence="户口簿", item_id=items[1])  # fmt: skip

    r["obj_on_time"], r["obj_open"] = object_("2026-09-01"), object_("2026-09-14")
    clock.set("2026-09-07")
    feedback.objection_answer(actor=SYSTEM, objection_id=r["obj_on_time"].pk, expected_version=None,
                              corrected=True, answer="已更正")  # fmt: skip

    def need(day: str, title: str) -> DataNeed:
        clock.set(day)
        n = needs.need_post(actor=steward_c, title=title, description="低保审核", desired_items=["死亡日期"],
                            auto_route=False)  # fmt: skip
        return needs.need_route(actor=authority, need_id=n.pk, expected_version=None,
                                provider_department_id=police.pk)  # fmt: skip

    r["need_late"] = need("2026-09-01", "s死亡人员名单")
    clock.set("2026-09-16")
    needs.need_answer(actor=SYSTEM, need_id=r["need_late"].pk, expected_version=None, can_provide=False,
                      reply="本部门不掌握")  # fmt: skip

    # --- usage: rows as the gateway's counter writes them (exchange.usage.count_calls keeps no dates
    # of its own: it adds to the (resource, app, day) counter, which is all the facts read) ------------
    def calls(app: ConsumerApp, resource: Any, day: str, n: int) -> None:
        UsageDay.objects.create(resource_id=resource.pk, app=app, day=dt.date.fromisoformat(day), calls=n,
                                answered=n)  # fmt: skip

    calls(app_c, w.published, "2026-09-10", 600)
    calls(app_c, w.published, "2026-08-31", 999)  # August: not this month
    calls(app_c, w.published, "2026-10-01", 999)  # October: not this month
    calls(app_i, w.published, "2026-09-20", 40)
    calls(app_p, fresh, "2026-09-21", 60)  # P's own app: calls, not a consumer
    calls(app_c, w.own, "2026-09-30", 5)  # U's resource: one consumer, 5 calls

    # --- external scores for September (and August, not read) ------------------------------------------
    clock.set("2026-10-08")
    from sanbu.scoring.services import external_score_enter

    for dept, source, score in ((police, "third_party", 80), (police, "public_feedback", 90),
                                (civil, "third_party", 60)):  # fmt: skip
        external_score_enter(actor=authority, department_id=dept.pk, month=MONTH, source=source, score=score,
                             basis="2026年9月第三方评估报告")  # fmt: skip
    external_score_enter(actor=authority, department_id=education.pk, month="2026-08", source="third_party",
                         score=10, basis="2026年8月评估")  # fmt: skip

    _projects(scene, clock)
    return scene


def _projects(scene: Scene, clock: Clock) -> None:
    """U's projects: A approved 2025-08-01, started, one report on time, one missing, not in a plan; B
    approved 2025-08-01, never started, its payment recovered (PRJ-F2); D approved 2026-09-10, in the 2026
    plan, its people named, nothing due yet: the only one that passes its gates."""
    w, r = scene.w, scene.rows
    clock.set("2025-08-01")
    a = w.approved(name="s教育资源平台")
    b = w.approved(name="s校园安全平台")
    clock.set("2025-09-01")
    construction.construction_start(actor=w.applicant, project_id=a.pk, started_on=dt.date(2025, 9, 1))
    clock.set("2026-01-10")
    construction.progress_report_file(actor=w.applicant, project_id=a.pk, period="2025-H2", progress=40,
                                      spent=300_000, content="完成需求分析和设计")  # fmt: skip
    # B: paid 500,000 in 2025 (a direct ledger row: the payment path needs an annual plan, a tranche and gate
    # F, tested in projects); never started, so the PRJ-F2 sweep of 2026-09-15 recovers the 500,000 net paid
    LedgerEntry.objects.create(project=b, kind=EntryKind.PAYMENT, amount=500_000, booked_on=dt.date(2025, 9, 1),
                               created_by="test")  # fmt: skip
    clock.set("2026-09-15")
    notices = funds.recovery_sweep(actor=w.finance, jurisdiction="370300")
    assert [(n.project_id, n.recover_amount) for n in notices] == [(b.pk, 500_000)]
    clock.set("2026-09-10")
    d = w.approved(name="s智慧校园")
    plan = funds.plan_create(actor=w.authority, jurisdiction="370300", year=2026)  # D only: PRJ-F1 passes
    funds.plan_add(actor=w.authority, plan_id=plan.pk, project_id=d.pk, amount=1_500_000, expected_version=None,
                   basis="")  # fmt: skip
    funds.plan_issue(
        actor=w.authority, plan_id=plan.pk, expected_version=None, document_number="淄信计〔2026〕1号"
    )
    for p in (a, d):  # PRJ-C1: responsible person, implementing body and supervisor named
        construction.construction_update(actor=w.applicant, project_id=p.pk, expected_version=None,
                                         responsible_person="张三", implementing_body="市教育信息中心",
                                         supervisor_unit="山东某监理公司")  # fmt: skip
    r |= {"project_a": a, "project_b": b, "project_d": d}
    assert set(Project.objects.filter(unit=w.unit).values_list("state", flat=True)) == {"approved"}
    assert ProgressReport.objects.filter(project=a).count() == 1
    assert InformationSystem.objects.exists()
