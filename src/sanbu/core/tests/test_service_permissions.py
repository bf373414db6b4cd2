"""Every service checks permission itself (DESIGN idiom 1), not only the endpoint in front of it.

Each public service function that takes an ``actor`` is called by an actor with a department but no
role, on objects that exist; it must refuse (NotFound or PermissionDenied) and write nothing. A new
service without an entry in CALLS fails ``test_every_service_has_a_call``.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

import sanbu
from sanbu.catalog import services as catalog_services
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import DataElement, Resource
from sanbu.core.actor import SYSTEM
from sanbu.core.errors import NotFound, PermissionDenied
from sanbu.core.identifiers import make_uscc
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user, rolled_back
from sanbu.exchange import services as exchange_services
from sanbu.exchange.models import Grant
from sanbu.exchange.tests.sharing import item_ids, published_resource

pytestmark = pytest.mark.django_db(databases="__all__")

# Modules besides ``*.services`` whose public functions write (and so must check permission).
WRITERS = {"sanbu.catalog.excel", "sanbu.core.calendar", "sanbu.exchange.needs", "sanbu.exchange.feedback"}
WRITERS |= {"sanbu.exchange.interfaces", "sanbu.inventory.excel"}
WRITERS |= {"sanbu.orgs.rulesets"}
# the project lifecycle after approval: one service module per stage
WRITERS |= {
    f"sanbu.projects.{m}" for m in ("funds", "construction", "acceptance", "operations", "evaluation")
}
# Functions that take an actor but are only called by services after those have checked permission.
INTERNAL = {"sanbu.catalog.services.claim_authority"}


def _resource_input(name: str) -> ResourceInput:
    return ResourceInput(
        name=name, catalog_class="3", subclass="业务数据", summary="摘要", format="database",
        share_type="unconditional", share_method="api", update_cycle="daily",
        items=[ItemInput(name="姓名", data_type="C", length=50, element="姓名")],
    )  # fmt: skip


def _workbook(dept: Any) -> io.BytesIO:
    from sanbu.core.tests.test_permissions import workbook_bytes

    return io.BytesIO(workbook_bytes(dept))


Ctx = dict[str, Any]
CALLS: dict[str, Callable[[Ctx], dict[str, Any]]] = {
    "sanbu.orgs.services.department_create": lambda c: {
        "name": "新部门", "uscc": make_uscc("11", "370300", "88000001"), "jurisdiction": "370300"},
    "sanbu.orgs.services.user_create": lambda c: {
        "username": "newuser", "password": "x" * 12, "department": c["dept"], "roles": [("steward", c["dept"].pk)]},
    "sanbu.catalog.services.resource_register": lambda c: {"data": _resource_input("无权注册")},
    "sanbu.catalog.services.resource_update": lambda c: {
        "resource_id": c["resource"].pk, "expected_version": None, "data": _resource_input("无权修改")},
    "sanbu.catalog.services.resource_submit": lambda c: {"resource_id": c["resource"].pk, "expected_version": None},
    "sanbu.catalog.services.resource_review": lambda c: {
        "resource_id": c["resource"].pk, "expected_version": None, "approve": True},
    "sanbu.catalog.services.resource_mount_interface": lambda c: {
        "resource_id": c["resource"].pk, "expected_version": None, "url": "https://example.gov.cn/api"},
    "sanbu.catalog.services.resource_mount_rows": lambda c: {
        "resource_id": c["resource"].pk, "expected_version": None, "file": io.BytesIO(b"x"), "filename": "a.csv"},
    "sanbu.catalog.services.resource_publish": lambda c: {"resource_id": c["resource"].pk, "expected_version": None},
    "sanbu.catalog.services.resource_offline": lambda c: {
        "resource_id": c["resource"].pk, "expected_version": None, "reason": "x"},
    "sanbu.catalog.services.element_claim": lambda c: {"element_id": c["element"].pk},
    "sanbu.catalog.services.conflict_resolve": lambda c: {
        "conflict_id": c["conflict"].pk, "winner_department_id": c["dept"].pk, "note": "x"},
    "sanbu.catalog.services.item_link_element": lambda c: {"item_id": c["item"].pk, "element_id": c["element"].pk},
    "sanbu.catalog.services.element_save": lambda c: {"identifier": "DE99999", "name": "无权数据元", "data_type": "C"},
    "sanbu.catalog.excel.catalog_import": lambda c: {"file": _workbook(c["dept"])},
    "sanbu.exchange.services.app_register": lambda c: {"name": "无权登记的应用"},
    "sanbu.exchange.services.app_disable": lambda c: {"app_id": c["app"].pk},
    "sanbu.exchange.services.key_issue": lambda c: {"app_id": c["app"].pk},
    "sanbu.exchange.services.key_rotate": lambda c: {"app_key_id": c["app_key"].pk},
    "sanbu.exchange.services.key_revoke": lambda c: {"app_key_id": c["app_key"].pk, "reason": "x"},
    "sanbu.exchange.services.request_submit": lambda c: {
        "app_id": c["app"].pk, "resource_id": c["resource"].pk, "item_ids": [c["item"].pk], "purpose": "x",
        "legal_basis": "x", "period_start": __import__("datetime").date(2026, 1, 1),
        "period_end": __import__("datetime").date(2030, 1, 1)},
    "sanbu.exchange.services.request_accept": lambda c: {"request_id": c["share_request"].pk, "expected_version": None},
    "sanbu.exchange.services.request_approve": lambda c: {"request_id": c["share_request"].pk, "expected_version": None},
    "sanbu.exchange.services.request_refuse": lambda c: {
        "request_id": c["share_request"].pk, "expected_version": None, "reason": "x"},
    "sanbu.exchange.services.request_resubmit": lambda c: {"request_id": c["refused_request"].pk, "expected_version": None},
    "sanbu.exchange.services.grant_revoke": lambda c: {"grant_id": c["grant"].pk, "reason": "x"},
    "sanbu.core.calendar.calendar_day_set": lambda c: {
        "day": __import__("datetime").date(2027, 1, 1), "is_workday": False, "name": "元旦", "source": "国务院办公厅通知"},
    "sanbu.core.calendar.calendar_year_confirm": lambda c: {"year": 2026, "source": "国务院办公厅通知"},
    "sanbu.exchange.needs.need_post": lambda c: {"title": "x", "description": "x", "desired_items": ["姓名"]},
    "sanbu.exchange.needs.need_rematch": lambda c: {"need_id": c["need"].pk, "expected_version": None},
    "sanbu.exchange.needs.need_route": lambda c: {
        "need_id": c["need"].pk, "expected_version": None, "provider_department_id": c["dept"].pk},
    "sanbu.exchange.needs.need_answer": lambda c: {
        "need_id": c["routed_need"].pk, "expected_version": None, "can_provide": False, "reply": "x"},
    "sanbu.exchange.needs.need_accept": lambda c: {
        "need_id": c["need"].pk, "expected_version": None, "resource_id": c["resource"].pk},
    "sanbu.exchange.needs.need_withdraw": lambda c: {"need_id": c["need"].pk, "expected_version": None, "reason": "x"},
    "sanbu.exchange.needs.need_list": lambda c: {},
    "sanbu.exchange.needs.need_get": lambda c: {"need_id": c["need"].pk},
    "sanbu.exchange.needs.need_counts": lambda c: {},
    "sanbu.exchange.feedback.objection_submit": lambda c: {
        "resource_id": c["grant"].resource_id, "record_key": "x", "description": "x", "evidence": "x"},
    "sanbu.exchange.feedback.objection_answer": lambda c: {
        "objection_id": c["objection"].pk, "expected_version": None, "corrected": False, "answer": "x"},
    "sanbu.exchange.feedback.objection_confirm": lambda c: {
        "objection_id": c["answered_objection"].pk, "expected_version": None},
    "sanbu.exchange.feedback.objection_list": lambda c: {},
    "sanbu.exchange.feedback.objection_get": lambda c: {"objection_id": c["objection"].pk},
    "sanbu.exchange.feedback.objection_counts": lambda c: {},
    "sanbu.exchange.interfaces.interface_release": lambda c: {"resource_id": c["grant"].resource_id},
    "sanbu.exchange.interfaces.interface_deprecate": lambda c: {
        "version_id": c["interface"].pk, "sunset_on": date(2030, 1, 1)},
    "sanbu.exchange.interfaces.interface_retire": lambda c: {"version_id": c["interface"].pk},
    "sanbu.exchange.interfaces.interface_list": lambda c: {"resource_id": c["grant"].resource_id},
    "sanbu.exchange.interfaces.interface_get": lambda c: {"version_id": c["interface"].pk},
    "sanbu.inventory.services.system_register": lambda c: {"data": _system_data("无权登记")},
    "sanbu.inventory.services.system_update": lambda c: {
        "system_id": c["system"].pk, "expected_version": None, "data": _system_data("无权修改")},
    "sanbu.inventory.services.system_retire": lambda c: {"system_id": c["system"].pk, "expected_version": None},
    "sanbu.inventory.excel.inventory_import": lambda c: {"file": _inventory_workbook(c["dept"])},
    "sanbu.projects.services.project_create": lambda c: {"data": _project_data("无权申报")},
    "sanbu.projects.services.project_update": lambda c: {
        "project_id": c["project"].pk, "expected_version": None, "data": _project_data("无权修改")},
    "sanbu.projects.services.check": lambda c: {"data": _project_data("无权检查")},
    "sanbu.projects.services.project_submit": lambda c: {"project_id": c["project"].pk, "expected_version": None},
    "sanbu.projects.services.project_withdraw": lambda c: {
        "project_id": c["project"].pk, "expected_version": None, "reason": "x"},
    "sanbu.projects.services.attachment_add": lambda c: {
        "project_id": c["project"].pk, "material": "tasks", "upload": _upload()},
    "sanbu.projects.services.attachment_remove": lambda c: {"attachment_id": c["attachment"].pk},
    "sanbu.projects.services.expert_draw": lambda c: {
        "project_id": c["project_sub"].pk, "expected_version": None, "size": 3},
    "sanbu.projects.services.expert_score": lambda c: {
        "assignment_id": c["assignment"].pk, "score": 80, "conclusion": "agree", "opinion": "x"},
    "sanbu.projects.services.joint_review_record": lambda c: {
        "project_id": c["project_sub"].pk, "expected_version": None, "conclusion": "agree", "participants": "x",
        "note": "x"},
    "sanbu.projects.services.centre_opinion_record": lambda c: {
        "project_id": c["project_sub"].pk, "expected_version": None, "opinion": "favourable", "text": "x"},
    "sanbu.projects.services.project_approve": lambda c: {"project_id": c["project_sub"].pk, "expected_version": None},
    "sanbu.projects.services.project_return": lambda c: {
        "project_id": c["project_sub"].pk, "expected_version": None, "reason": "x"},
    "sanbu.projects.services.project_reject": lambda c: {
        "project_id": c["project_sub"].pk, "expected_version": None, "reason": "x"},
    "sanbu.projects.services.expert_register": lambda c: {
        "jurisdiction": "370300", "name": "x", "employer": "x", "specialties": ["x"]},
    "sanbu.projects.services.expert_set_active": lambda c: {
        "expert_id": c["assignment"].expert_id, "active": False, "reason": "x"},
    "sanbu.inventory.excel.inventory_export": lambda c: {"department_id": c["dept"].pk, "stream": io.BytesIO()},
}  # fmt: skip

CALLS |= {
    "sanbu.orgs.rulesets.ruleset_draft": lambda c: {"name": "zibo", "changes": [_change()]},
    "sanbu.orgs.rulesets.ruleset_draft_update": lambda c: {"version_id": c["ruleset_draft"].pk, "changes": [_change()]},
    "sanbu.orgs.rulesets.ruleset_publish": lambda c: {"version_id": c["ruleset_draft"].pk},
    "sanbu.orgs.rulesets.ruleset_discard": lambda c: {"version_id": c["ruleset_draft"].pk},
    "sanbu.orgs.rulesets.ruleset_list": lambda c: {},
    "sanbu.orgs.rulesets.ruleset_get": lambda c: {"name": "zibo"},
    "sanbu.orgs.rulesets.version_list": lambda c: {"name": "zibo"},
    "sanbu.orgs.rulesets.version_get": lambda c: {"version_id": c["ruleset_draft"].pk},
    "sanbu.orgs.rulesets.open_draft": lambda c: {"name": "zibo"},
}  # fmt: skip

_TODAY = date.today()
_LAST_MONTH = f"{_TODAY.year - 1}-12" if _TODAY.month == 1 else f"{_TODAY.year}-{_TODAY.month - 1:02d}"
_P = "sanbu.projects."
CALLS |= {  # the lifecycle: c["approved"] an approved project, c["accepted"] an accepted one, rows of both
    _P + "funds.plan_create": lambda c: {"jurisdiction": "370300", "year": _TODAY.year},
    _P + "funds.plan_add": lambda c: {"plan_id": c["plan"].pk, "project_id": c["approved"].pk, "amount": 1,
                                      "expected_version": None, "basis": "x"},
    _P + "funds.plan_issue": lambda c: {"plan_id": c["plan"].pk, "expected_version": None, "document_number": "x"},
    _P + "funds.plan_addition_approve": lambda c: {"entry_id": c["entry"].pk, "basis": "x"},
    _P + "funds.plan_list": lambda c: {},
    _P + "funds.plan_get": lambda c: {"plan_id": c["plan"].pk},
    _P + "funds.project_funds": lambda c: {"project_id": c["approved"].pk},
    _P + "funds.funding_mode_set": lambda c: {"project_id": c["approved"].pk, "mode": "post_subsidy"},
    _P + "funds.force_majeure_record": lambda c: {"project_id": c["approved"].pk, "reason": "x"},
    _P + "funds.tranche_schedule": lambda c: {"project_id": c["approved"].pk, "amount": 1},
    _P + "funds.tranche_pay": lambda c: {"tranche_id": c["tranche"].pk, "expected_version": None, "voucher": "x"},
    _P + "funds.recovery_sweep": lambda c: {"jurisdiction": "370300"},
    _P + "funds.recovery_issue": lambda c: {"project_id": c["approved"].pk},
    _P + "funds.freeze_lift": lambda c: {"project_id": c["approved"].pk, "reason": "x"},
    _P + "funds.funds_close": lambda c: {"project_id": c["approved"].pk, "expected_version": None, "balance": 0,
                                         "returned": 0, "goals_or_content_changed": False},
    _P + "construction.construction_update": lambda c: {
        "project_id": c["approved"].pk, "expected_version": None, "responsible_person": "x",
        "implementing_body": "x", "supervisor_unit": "x"},
    _P + "construction.construction_start": lambda c: {"project_id": c["approved"].pk, "started_on": _TODAY},
    _P + "construction.construction_end": lambda c: {"project_id": c["approved"].pk, "ended_on": _TODAY},
    _P + "construction.progress_report_file": lambda c: {
        "project_id": c["approved"].pk, "period": str(_TODAY.year), "progress": 1, "spent": 0, "content": "x"},
    _P + "construction.incident_report": lambda c: {
        "project_id": c["approved"].pk, "kind": "delay", "occurred_on": _TODAY, "description": "x"},
    _P + "construction.change_request": lambda c: {"project_id": c["approved"].pk, "content": "x", "reason": "x"},
    _P + "construction.change_decide": lambda c: {"change_id": c["change"].pk, "expected_version": None,
                                                  "approve": True, "note": "x"},
    _P + "construction.change_record_unapproved": lambda c: {"project_id": c["approved"].pk, "content": "x",
                                                             "note": "x"},
    _P + "construction.change_settle_unapproved": lambda c: {"change_id": c["unapproved_change"].pk,
                                                             "expected_version": None, "ratify": True, "note": "x"},
    _P + "acceptance.trial_run_start": lambda c: {"project_id": c["approved"].pk, "started_on": _TODAY},
    _P + "acceptance.trial_run_end": lambda c: {"project_id": c["approved"].pk, "ended_on": _TODAY},
    _P + "acceptance.acceptance_prepare": lambda c: {
        "project_id": c["approved"].pk, "expected_version": None, "final_inspection_done": True,
        "dengbao_tested": True, "materials": []},
    _P + "acceptance.acceptance_apply": lambda c: {"project_id": c["approved"].pk},
    _P + "acceptance.sharing_confirm": lambda c: {"project_id": c["approved"].pk, "expected_version": None},
    _P + "acceptance.panel_record": lambda c: {"project_id": c["approved"].pk, "members": 3, "third_party": 2,
                                               "names": "x"},
    _P + "acceptance.acceptance_decide": lambda c: {"project_id": c["approved"].pk, "expected_version": None,
                                                    "opinion": "x"},
    _P + "acceptance.report_file": lambda c: {"project_id": c["accepted"].pk},
    _P + "acceptance.panel_appoint": lambda c: {"project_id": c["approved"].pk,
                                                "expert_ids": [c["acceptance_review"].expert_id]},
    _P + "acceptance.acceptance_review": lambda c: {"review_id": c["acceptance_review"].pk, "conclusion": "agree",
                                                    "opinion": "x"},
    _P + "acceptance.acceptance_tasks": lambda c: {},
    _P + "acceptance.acceptance_task_get": lambda c: {"review_id": c["acceptance_review"].pk},
    _P + "operations.operations_request": lambda c: {"system_id": c["system"].pk, "year": _TODAY.year,
                                                     "requested_budget": 1},
    _P + "operations.operations_check": lambda c: {"jurisdiction": "370300", "year": _TODAY.year},
    _P + "operations.eligibility_list": lambda c: {"jurisdiction": "370300", "year": _TODAY.year},
    _P + "evaluation.self_evaluation_file": lambda c: {"project_id": c["accepted"].pk, "report": "x"},
    _P + "evaluation.deliverable_register": lambda c: {"project_id": c["accepted"].pk, "kind": "design"},
    _P + "evaluation.contract_ip_record": lambda c: {"project_id": c["accepted"].pk, "assigns": True},
    _P + "evaluation.key_evaluation_select": lambda c: {"project_id": c["accepted"].pk, "selected": True},
    _P + "evaluation.key_evaluation_grade": lambda c: {"project_id": c["accepted"].pk, "grade": "合格"},
    _P + "evaluation.problem_add": lambda c: {"project_id": c["accepted"].pk, "text": "x", "deadline": _TODAY},
    _P + "evaluation.problem_fixed": lambda c: {"problem_id": c["problem"].pk},
}  # fmt: skip

CALLS |= {  # scoring: building a month's snapshot and entering external scores are the authority's
    "sanbu.scoring.services.snapshot_build": lambda c: {"jurisdiction": "370300", "month": _LAST_MONTH},
    "sanbu.scoring.services.external_score_enter": lambda c: {
        "department_id": c["dept"].pk, "month": _LAST_MONTH, "source": "third_party", "score": 80, "basis": "x"},
}  # fmt: skip


def _change() -> Any:
    from sanbu.policy.rulesets import Change

    return Change("parameter", "exchange.need_answer_days", 7, "x")


def _ruleset_draft() -> Any:
    from sanbu.orgs.rulesets import ruleset_draft

    return ruleset_draft(actor=SYSTEM, name="zibo", changes=[_change()])


def _system_data(name: str) -> Any:
    from sanbu.inventory.services import SystemData

    return SystemData(name=name)


def _inventory_workbook(dept: Any) -> io.BytesIO:
    from sanbu.inventory.excel import SHEET, template_workbook

    wb = template_workbook()
    wb[SHEET].append(
        ["无权导入", dept.name, dept.uscc, "", "运行", "政务外网", "否", "未定级", "", "未开展", "否"]
    )
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _service_functions() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for mod in pkgutil.walk_packages(sanbu.__path__, "sanbu."):
        if not (mod.name.endswith(".services") or mod.name in WRITERS):
            continue
        module = importlib.import_module(mod.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters
            if "actor" in params and params["actor"].kind is inspect.Parameter.KEYWORD_ONLY:
                found[f"{mod.name}.{name}"] = fn
    return found


def test_every_service_has_a_call() -> None:
    services = set(_service_functions()) - INTERNAL
    assert services - set(CALLS) == set(), (
        f"services without a permission call: {sorted(services - set(CALLS))}"
    )


@pytest.fixture(scope="module")
def _ctx_once(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Ctx]:
    """The objects, built once for the module (``rolled_back``); each test's writes are undone."""
    with rolled_back(django_db_blocker):
        yield _build_ctx()


@pytest.fixture
def ctx(_ctx_once: Ctx, db: Any) -> Ctx:
    return _ctx_once


def _build_ctx() -> Ctx:
    dept = make_department("淄博市公安局")
    other = make_department("淄博市民政局")
    steward = actor_of(make_user("svc_steward", department=dept, roles=("steward",)))
    resource = catalog_services.resource_register(actor=steward, data=_resource_input("已有资源"))
    catalog_services.resource_submit(actor=steward, resource_id=resource.pk, expected_version=None)
    element = DataElement.objects.get(name="市场主体名称")
    catalog_services.claim_authority(actor=SYSTEM, department=dept, element=element)
    conflict = catalog_services.claim_authority(actor=SYSTEM, department=other, element=element)
    app = exchange_services.app_register(actor=steward, name="已有应用")
    app_key = exchange_services.key_issue(actor=steward, app_id=app.pk).key
    shared = published_resource(dept, "已共享资源")
    open_res = published_resource(dept, "无条件资源", share_type="unconditional")
    period = {"period_start": date(2026, 1, 1), "period_end": date(2030, 1, 1)}
    ask = dict(app_id=app.pk, purpose="x", legal_basis="x", **period)
    share_request = exchange_services.request_submit(
        actor=SYSTEM,
        resource_id=shared.pk,
        item_ids=item_ids(shared, "姓名"),
        **ask,  # type: ignore[arg-type]
    )
    refused = exchange_services.request_submit(
        actor=SYSTEM,
        resource_id=shared.pk,
        item_ids=item_ids(shared, "姓名"),
        **ask,  # type: ignore[arg-type]
    )
    exchange_services.request_refuse(actor=SYSTEM, request_id=refused.pk, expected_version=None, reason="x")
    granted = exchange_services.request_submit(
        actor=SYSTEM,
        resource_id=open_res.pk,
        item_ids=item_ids(open_res, "姓名"),
        **ask,  # type: ignore[arg-type]
    )
    return {
        "dept": dept,
        "resource": Resource.objects.get(pk=resource.pk),
        "element": element,
        "conflict": conflict,
        "item": resource.items.get(),
        "app": app,
        "app_key": app_key,
        "share_request": share_request,
        "refused_request": refused,
        "grant": Grant.objects.get(request=granted),
        "nobody": actor_of(make_user("svc_nobody", department=dept)),
        **_needs_ctx(dept, other, granted.pk),
        **_interfaces_ctx(granted.pk),
        "system": _inventory_system(dept),
        **_projects_ctx(dept, shared),
        "ruleset_draft": _ruleset_draft(),
    } | _lifecycle_ctx(dept, shared)


def _lifecycle_ctx(dept: Any, shared: Any) -> Ctx:
    """Rows of every lifecycle stage, made directly: the services must refuse before they look at state."""
    from sanbu.projects import models as m

    def project(name: str, state: str) -> Any:
        return m.Project.objects.create(
            jurisdiction_id=dept.jurisdiction_id, unit=dept, name=name, kind="新建", amount=100_000,
            plan_year=_TODAY.year, state=state, approved_amount=100_000, created_by="x",
        )  # fmt: skip

    approved, accepted = project("已立项", "approved"), project("已验收", "accepted")
    plan = m.AnnualPlan.objects.create(jurisdiction_id=dept.jurisdiction_id, year=_TODAY.year, created_by="x")
    return {
        "approved": approved,
        "accepted": accepted,
        "plan": plan,
        "entry": m.PlanEntry.objects.create(
            plan=plan, project=approved, amount=1, dynamic=True, added_by="x"
        ),
        "tranche": m.Tranche.objects.create(project=approved, number=1, amount=1, created_by="x"),
        "change": m.ChangeRequest.objects.create(project=approved, content="x", reason="x", requested_by="x"),
        "unapproved_change": m.ChangeRequest.objects.create(
            project=approved, content="x", reason="", state=m.ChangeState.UNAPPROVED, requested_by="x"
        ),
        "problem": m.Problem.objects.create(project=accepted, text="x", deadline=_TODAY, created_by="x"),
        "acceptance_review": m.AcceptanceReview.objects.create(
            project=approved,
            expert=m.Expert.objects.create(
                jurisdiction_id=dept.jurisdiction_id, name="验收专家", employer="x"
            ),
            third_party=True,
            appointed_by="x",
        ),
    }


@pytest.mark.parametrize("qualname", sorted(CALLS))
def test_service_refuses_an_actor_without_role(qualname: str, ctx: Ctx) -> None:
    module_name, _, func_name = qualname.rpartition(".")
    fn = getattr(importlib.import_module(module_name), func_name)
    before = ChangeRecord.objects.count()
    kwargs = CALLS[qualname](ctx)
    with pytest.raises((NotFound, PermissionDenied)):
        result = fn(actor=ctx["nobody"], **kwargs)
        # an import answers with a report instead of raising: its rows are refused
        errors = getattr(result, "errors", None)
        if errors and all(e.code.endswith("forbidden") for e in errors):
            raise PermissionDenied("import.refused", "; ".join(e.line() for e in errors))
    assert ChangeRecord.objects.count() == before


def _needs_ctx(dept: Any, other: Any, granted_request_id: int) -> Ctx:
    """A need (open and routed to ``dept``) and objections (open and answered) under the ctx grant."""
    from sanbu.exchange import feedback, needs

    def post() -> Any:
        return needs.need_post(
            actor=SYSTEM, title="x", description="x", desired_items=["车牌号"], department_id=other.pk,
            auto_route=False,
        )  # fmt: skip

    need, routed = post(), post()
    needs.need_route(actor=SYSTEM, need_id=routed.pk, expected_version=None, provider_department_id=dept.pk)
    grant = Grant.objects.get(request_id=granted_request_id)

    def objection() -> Any:
        return feedback.objection_submit(
            actor=SYSTEM, resource_id=grant.resource_id, record_key="x", description="x", evidence="x",
            department_id=dept.pk,
        )  # fmt: skip

    answered = objection()
    feedback.objection_answer(
        actor=SYSTEM, objection_id=answered.pk, expected_version=None, corrected=True, answer="x"
    )
    return {"need": need, "routed_need": routed, "objection": objection(), "answered_objection": answered}


def _interfaces_ctx(granted_request_id: int) -> Ctx:
    """Two interface versions of the granted resource (v1 has a successor and a grant holder)."""
    from sanbu.exchange.interfaces import interface_release

    resource_id = Grant.objects.get(request_id=granted_request_id).resource_id
    v1 = interface_release(actor=SYSTEM, resource_id=resource_id)
    interface_release(actor=SYSTEM, resource_id=resource_id)
    return {"interface": v1}


def _inventory_system(dept: Any) -> Any:
    from sanbu.inventory.services import SystemData, system_register

    return system_register(actor=SYSTEM, data=SystemData(name="已有系统"), department_id=dept.pk)


def _project_data(name: str) -> Any:
    from sanbu.projects.inputs import ProjectData

    return ProjectData(name=name, amount=100_000, plan_year=date.today().year + 2)


def _upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("任务书.pdf", b"%PDF-1.4 x", content_type="application/pdf")


def _projects_ctx(dept: Any, shared: Any) -> Ctx:
    """A draft with an attachment, a submitted project in review and one expert's task on it."""
    import dataclasses

    from sanbu.projects import services as projects
    from sanbu.projects.tests.support import ALL_MATERIALS

    for i in range(3):
        user = make_user(f"svc_expert{i}", roles=("expert",), jurisdiction="370300")
        projects.expert_register(actor=SYSTEM, jurisdiction="370300", name=f"专家{i}", employer="x",
                                 specialties=["x"], user_id=user.pk)  # fmt: skip
    data = dataclasses.replace(_project_data("已有申报"), uses=(shared.pk,), materials=dict(ALL_MATERIALS),
                               funding_source="财政")  # fmt: skip
    project = projects.project_create(actor=SYSTEM, data=data, unit_id=dept.pk)
    attachment = projects.attachment_add(
        actor=SYSTEM, project_id=project.pk, material="tasks", upload=_upload()
    )
    sub = projects.project_create(
        actor=SYSTEM, data=dataclasses.replace(data, name="已提交申报"), unit_id=dept.pk
    )
    projects.project_submit(actor=SYSTEM, project_id=sub.pk, expected_version=None)
    draw = projects.expert_draw(actor=SYSTEM, project_id=sub.pk, expected_version=None, size=3, seed="1")
    from sanbu.projects.models import Project

    return {"project": project, "attachment": attachment, "project_sub": Project.objects.get(pk=sub.pk),
            "assignment": draw.assignments.first()}  # fmt: skip
