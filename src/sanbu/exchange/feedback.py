"""数据异议: consumers' feedback on shared data (EX-4, 002 篇三 第十一条 共享数据使用情况反馈机制).

A consumer department that holds, or has held, a grant on a resource (``exchange.feedback.submit``)
objects to a record or a field: the item, the record's key value, what is wrong, the evidence and the
value it expects. The key value is never stored: only its keyed hash (``gateway.key_hash``, so equal
keys can be grouped) and a masked form (``datastore.masking``, by the key item's rule) are kept. A
department without a grant on the resource is told the resource does not exist.

The provider (``exchange.feedback.answer``) answers within ``exchange.objection_answer_days`` working
days: the data is right (with its reasons, state ``answered``) or it has corrected it (what, state
``corrected``). The consumer is notified and confirms closure (``closed``). Open objections past their
deadline are overdue; ``objection_counts`` gives the per-department counts scoring needs.

Same shape as every exchange step: keyword-only, actor first, permission inside, ``expected_version``
under a row lock, the change record in the same transaction, notices to the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sanbu.catalog.models import ResourceItem
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.calendar import work_calendar
from sanbu.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed, text_problem
from sanbu.datastore.masking import mask_value
from sanbu.orgs.models import Department
from sanbu.orgs.notices import notify
from sanbu.orgs.rulesets import current as current_ruleset
from sanbu.policy.rulesets import OBJECTION_ANSWER_DAYS

from .models import Grant, Objection, ObjectionState

VIEW = "exchange.feedback.view"
SUBMIT = "exchange.feedback.submit"
ANSWER = "exchange.feedback.answer"
NOT_FOUND = "exchange.objection.not_found"
INVALID = "exchange.objection.invalid"
NOTICE_KIND = "exchange.objection"
ANSWERED = (ObjectionState.ANSWERED, ObjectionState.CORRECTED)
OBJECTION_FIELDS = [
    "resource_id", "item_id", "grant_id", "consumer_department_id", "provider_department_id",
    "record_key_hash", "record_key_masked", "description", "evidence", "expected_value", "state",
    "received_at", "due_date", "due_provisional", "answer", "answered_at", "answered_by", "closed_at", "version",
]  # fmt: skip


def _now() -> datetime:
    """The service clock (one seam for tests and the demo that need a given day of receipt)."""
    return timezone.now()


def _link(obj: Objection) -> str:
    return f"/exchange/objections/{obj.pk}/"


def _snapshot(obj: Objection) -> dict[str, Any]:
    return audit.snapshot(obj, OBJECTION_FIELDS)


def _text(
    value: str, limit: int, field: str, label: str, required: bool = False
) -> tuple[str, FieldError | None]:
    value = (value or "").strip()
    return value, text_problem(value, limit, field, label, required=required)


def _raise(message: str, errors: list[FieldError | None]) -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise ValidationFailed(INVALID, message, errors=found)


def _missing(objection_id: int) -> NotFound:
    return NotFound(NOT_FOUND, "数据异议不存在或您无权办理。", objection_id=objection_id)


def _locked(objection_id: int) -> Objection:
    obj = Objection.objects.select_for_update().filter(pk=objection_id).first()
    if obj is None:
        raise _missing(objection_id)
    return obj


def _check_version(obj: Objection, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(
            "exchange.objection.changed", "该异议已被他人办理或修改，请刷新后再操作。",
            current=obj.version, expected=expected_version,
        )  # fmt: skip


def _masked_key(value: str, resource_id: int) -> str:
    """The key as shown: masked by the rule of the resource's key item (公民身份号码 → 3703**********1234);
    a key item that is not masked still gets the ID-number profile, so no full key is ever stored."""
    key_item = (
        ResourceItem.objects.filter(resource_id=resource_id, is_key=True).order_by("position", "id").first()
    )
    rule = key_item.masking if key_item is not None and key_item.masking not in ("", "none") else "id_number"
    return str(mask_value(value, rule))[:64]


def _key_hash(value: str) -> str:
    from .gateway import key_hash

    return key_hash(value)


def _grant_of(actor: Actor, department_id: int | None, resource_id: int) -> Grant:
    """The newest grant (active or not: having held one is enough) of the actor's department on the
    resource, else the resource looks missing."""
    dept_id = department_id or actor.department_id
    dept = Department.objects.filter(pk=dept_id).first() if dept_id else None
    grant = None
    if dept is not None and actor.can(SUBMIT, dept.scope()):
        grant = (
            Grant.objects.filter(resource_id=resource_id, consumer_department_id=dept.pk)
            .select_related("resource", "consumer_department")
            .order_by("-granted_at", "-id")
            .first()
        )
    if grant is None:
        raise NotFound(
            "exchange.grant.not_found", "资源不存在，或本部门未获得该资源的共享授权，不能对其数据提出异议。",
            resource_id=resource_id,
        )  # fmt: skip
    return grant


# --- services --------------------------------------------------------------------------------------


@transaction.atomic
def objection_submit(
    *, actor: Actor, resource_id: int, description: str, evidence: str, item_id: int | None = None,
    record_key: str = "", expected_value: str = "", department_id: int | None = None,
    ruleset: str | None = None,
) -> Objection:  # fmt: skip
    """A consumer department with a grant on the resource objects to a record or a field of its data."""
    grant = _grant_of(actor, department_id, resource_id)
    description, e1 = _text(description, 1000, "description", "问题描述", required=True)
    evidence, e2 = _text(evidence, 1000, "evidence", "佐证材料", required=True)
    expected_value, e3 = _text(expected_value, 500, "expected_value", "应为")
    record_key, e4 = _text(record_key, 64, "record_key", "记录标识（主键值）")
    errors = [e1, e2, e3, e4]
    item = None
    if item_id is not None:
        granted = {i.pk for g in Grant.objects.filter(
            resource_id=resource_id, consumer_department_id=grant.consumer_department_id
        ).prefetch_related("items") for i in g.items.all()}  # fmt: skip
        item = ResourceItem.objects.filter(pk=item_id, resource_id=resource_id).first()
        if item is None or item.pk not in granted:
            errors.append(FieldError("item_id", "not_granted", "只能对本部门获授权的信息项提出异议。"))
    if item_id is None and not record_key:
        errors.append(FieldError("item_id", "required", "请指明有问题的信息项或记录（主键值），至少一项。"))
    _raise("数据异议填写有误，请按提示逐项修改。", errors)
    now = _now()
    days = int(current_ruleset(ruleset or grant.resource.jurisdiction_id).value(OBJECTION_ANSWER_DAYS))
    deadline = work_calendar().add_working_days(timezone.localdate(now), days)
    resource = grant.resource
    obj = Objection.objects.create(
        resource=resource, item=item, grant=grant, consumer_department_id=grant.consumer_department_id,
        provider_department_id=resource.department_id, jurisdiction_id=resource.jurisdiction_id,
        record_key_hash=_key_hash(record_key) if record_key else "",
        record_key_masked=_masked_key(record_key, resource.pk) if record_key else "",
        description=description, evidence=evidence, expected_value=expected_value, received_at=now,
        due_date=deadline.date, due_provisional=deadline.provisional, created_by=actor.username[:150],
    )  # fmt: skip
    audit.record(actor=actor, action="exchange.objection.submit", obj=obj, after=_snapshot(obj))
    what = f"信息项“{item.name}”" if item else "一条记录"
    due = f"{obj.due_date:%Y-%m-%d}" + ("（暂定）" if obj.due_provisional else "")
    notify(
        department_ids=[obj.provider_department_id], kind=NOTICE_KIND, link=_link(obj),
        title=f"数据异议待核实：{resource.name}",
        body=f"{grant.consumer_department.name}对“{resource.name}”的{what}提出异议，请于 {due} 前核实答复或更正。",
    )  # fmt: skip
    return obj


@transaction.atomic
def objection_answer(
    *, actor: Actor, objection_id: int, expected_version: int | None, corrected: bool, answer: str
) -> Objection:
    """The provider answers an open objection: the data is right (with reasons) or it was corrected."""
    obj = _locked(objection_id)
    if not actor.can(ANSWER, obj.scope()):
        raise _missing(objection_id)
    if obj.state != ObjectionState.OPEN:
        raise Conflict(
            "exchange.objection.answered", f"该异议已{ObjectionState(obj.state).label}，不能再答复。",
            state=obj.state,
        )  # fmt: skip
    _check_version(obj, expected_version)
    label = "更正情况（更正了什么）" if corrected else "数据无误的理由"
    answer, problem = _text(answer, 1000, "answer", label, required=True)
    _raise("答复数据异议须说明理由或更正情况。", [problem])
    before = _snapshot(obj)
    obj.state = ObjectionState.CORRECTED if corrected else ObjectionState.ANSWERED
    obj.answer = answer
    obj.answered_at = _now()
    obj.answered_by = actor.username[:150]
    obj.version += 1
    obj.save()
    audit.record(
        actor=actor, action="exchange.objection.answer", obj=obj, before=before, after=_snapshot(obj)
    )
    provider = Department.objects.filter(pk=obj.provider_department_id).values_list("name", flat=True).first()
    head = "已更正" if corrected else "核实数据无误"
    notify(
        department_ids=[obj.consumer_department_id], kind=NOTICE_KIND, link=_link(obj),
        title=f"数据异议已答复（{head}）", body=f"{provider or '提供部门'}答复：{answer}。请确认后办结。",
    )  # fmt: skip
    return obj


@transaction.atomic
def objection_confirm(
    *, actor: Actor, objection_id: int, expected_version: int | None, note: str = ""
) -> Objection:
    """The consumer confirms the answer: the objection is closed."""
    obj = _locked(objection_id)
    if not actor.can(SUBMIT, obj.consumer_scope()):
        raise _missing(objection_id)
    if obj.state not in ANSWERED:
        raise Conflict(
            "exchange.objection.not_answered",
            f"该异议当前为“{ObjectionState(obj.state).label}”，提供部门答复后才能确认办结。",
            state=obj.state,
        )  # fmt: skip
    _check_version(obj, expected_version)
    note, problem = _text(note, 500, "note", "确认意见")
    _raise("确认意见填写有误。", [problem])
    before = _snapshot(obj)
    obj.state = ObjectionState.CLOSED
    obj.closed_at = _now()
    obj.version += 1
    obj.save()
    audit.record(
        actor=actor, action="exchange.objection.confirm", obj=obj, before=before,
        after={**_snapshot(obj), "note": note},
    )  # fmt: skip
    notify(
        department_ids=[obj.provider_department_id], kind=NOTICE_KIND, link=_link(obj),
        title="数据异议已确认办结", body=note or "使用部门已确认答复，异议办结。",
    )  # fmt: skip
    return obj


# --- selectors -------------------------------------------------------------------------------------


def _objections(actor: Actor) -> QuerySet[Objection]:
    if not actor.may(VIEW):
        raise PermissionDenied("exchange.objection.forbidden", "您无权查看数据异议。")
    return Objection.objects.visible_to(actor).select_related(
        "resource", "item", "consumer_department", "provider_department"
    )


def objection_list(
    *, actor: Actor, side: str = "", state: str = "", overdue: bool = False, today: date | None = None
) -> QuerySet[Objection]:
    """Objections the actor may see. ``side``: ``mine`` (raised by its departments), ``queue`` (open ones
    its departments must answer, due first), else all visible. ``overdue``: open past the deadline."""
    qs = _objections(actor)
    if side == "mine" and not actor.is_superuser:
        qs = qs.filter(consumer_department_id__in=actor.departments_for(VIEW))
    elif side == "queue":
        qs = qs.filter(state=ObjectionState.OPEN)
        if not actor.is_superuser:
            qs = qs.filter(provider_department_id__in=actor.departments_for(ANSWER))
        return qs.order_by("due_date", "received_at", "id")
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state=ObjectionState.OPEN, due_date__lt=today or timezone.localdate())
        return qs.order_by("due_date", "id")
    return qs.order_by("-received_at", "-id")


def objection_get(*, actor: Actor, objection_id: int) -> Objection:
    obj = (
        Objection.objects.visible_to(actor)
        .select_related("resource", "item", "consumer_department", "provider_department", "grant")
        .filter(pk=objection_id)
        .first()
    )
    if obj is None:
        raise NotFound(NOT_FOUND, "数据异议不存在或您无权查看。", objection_id=objection_id)
    return obj


@dataclass(frozen=True)
class ObjectionCounts:
    """A provider department's objections: by state, answered on time or late, open within or past the
    deadline (what scoring counts for 共享数据使用情况反馈)."""

    department_id: int
    department_name: str
    by_state: dict[str, int]
    answered_on_time: int
    answered_late: int
    open_on_time: int
    open_overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def objection_counts(
    *, actor: Actor, department_id: int | None = None, today: date | None = None
) -> list[ObjectionCounts]:
    """Per provider department, over the objections the actor may see (optionally one department)."""
    qs = _objections(actor).order_by()
    if department_id is not None:
        qs = qs.filter(provider_department_id=department_id)
    today = today or timezone.localdate()
    rows: dict[int, list[tuple[str, date | None, datetime | None]]] = {}
    for dept, state, due, answered in qs.values_list(
        "provider_department_id", "state", "due_date", "answered_at"
    ):
        rows.setdefault(dept, []).append((state, due, answered))
    names = dict(Department.objects.filter(pk__in=rows).values_list("pk", "name"))
    out = []
    for dept in sorted(rows, key=lambda d: names.get(d, "")):
        by_state: dict[str, int] = {s: 0 for s in ObjectionState.values}
        on_time = late = open_ok = open_late = 0
        for state, due, answered in rows[dept]:
            by_state[state] += 1
            if answered is not None:
                if due is not None and timezone.localdate(answered) > due:
                    late += 1
                else:
                    on_time += 1
            elif state == ObjectionState.OPEN:
                if due is not None and due < today:
                    open_late += 1
                else:
                    open_ok += 1
        out.append(ObjectionCounts(dept, names.get(dept, ""), by_state, on_time, late, open_ok, open_late))
    return out
