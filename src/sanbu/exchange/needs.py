"""供需对接 (EX-3, 002 篇五 四): a department's data needs, matched to the catalog or routed to a provider.

A department (steward or consumer, ``exchange.need.post``) posts a need in its own words: a title, a
description, the items it wants (names) and the purpose. The platform proposes shared resources for it
(``exchange.matching``); when they do not cover the desired items and the likely provider is clear (the
authority of the data elements the items name, 一数一源), the need is routed to that provider at once,
otherwise the authority (``exchange.need.route``) routes it by hand. A routed provider
(``exchange.need.answer``) answers within ``exchange.need_answer_days`` working days: it will catalogue
and provide the data (a promise, naming the resource once registered) or it cannot, with a reason.
The needing department may accept a proposed resource (then asks for it by a share request) or withdraw.

States: ``open`` (待对接) → ``routed`` (已转提供部门) → ``closed`` (已办结, by the provider's answer or a
withdrawal); ``open``/``routed`` → ``matched`` (已匹配资源, a proposal accepted). Every closure records its
``NeedOutcome`` for scoring. Every step below is keyword-only, takes the actor first, checks permission
inside (forbidden looks like missing), compares ``expected_version`` under a row lock, writes its change
record in the same transaction and notifies the departments concerned (``orgs.notices.notify``).

The selectors at the end read needs as the actor may see them (``DataNeed.objects.visible_to``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.calendar import work_calendar
from sanbu.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed, text_problem
from sanbu.orgs.models import Department
from sanbu.orgs.notices import notify
from sanbu.orgs.rulesets import current as current_ruleset
from sanbu.orgs.selectors import acting_department
from sanbu.policy.rulesets import NEED_ANSWER_DAYS

from . import matching
from .models import DataNeed, NeedOutcome, NeedState

VIEW = "exchange.need.view"
POST = "exchange.need.post"
ANSWER = "exchange.need.answer"
ROUTE = "exchange.need.route"
NOT_FOUND = "exchange.need.not_found"
INVALID = "exchange.need.invalid"
MAX_ITEMS = matching.MAX_DESIRED
ITEM_NAME_MAX = 64
LIVE = (NeedState.OPEN, NeedState.ROUTED)
NEED_FIELDS = [
    "department_id", "title", "description", "desired_items", "purpose", "state", "proposals", "routed_to_id",
    "routed_at", "due_date", "due_provisional", "matched_resource_id", "outcome", "reply", "closed_at",
    "version",
]  # fmt: skip
NOTICE_KIND = "exchange.need"


def _now() -> datetime:
    """The service clock (one seam for tests and the demo that need a given day)."""
    return timezone.now()


def _link(need: DataNeed) -> str:
    return f"/exchange/needs/{need.pk}/"


def _snapshot(need: DataNeed) -> dict[str, Any]:
    return audit.snapshot(need, NEED_FIELDS)


def _raise(message: str, errors: list[FieldError | None]) -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise ValidationFailed(INVALID, message, errors=found)


def _text(
    value: str, limit: int, field: str, label: str, required: bool = False
) -> tuple[str, FieldError | None]:
    value = (value or "").strip()
    return value, text_problem(value, limit, field, label, required=required)


def _missing(need_id: int) -> NotFound:
    return NotFound(NOT_FOUND, "数据需求不存在或您无权办理。", need_id=need_id)


def _locked(need_id: int) -> DataNeed:
    need = DataNeed.objects.select_for_update().filter(pk=need_id).first()
    if need is None:
        raise _missing(need_id)
    return need


def _check_version(need: DataNeed, expected_version: int | None) -> None:
    if expected_version is not None and need.version != expected_version:
        raise Conflict(
            "exchange.need.changed", "该需求已被他人办理或修改，请刷新后再操作。",
            current=need.version, expected=expected_version,
        )  # fmt: skip


def _require_state(need: DataNeed, allowed: tuple[str, ...], doing: str) -> None:
    if need.state not in allowed:
        raise Conflict(
            "exchange.need.wrong_state",
            f"该需求当前为“{NeedState(need.state).label}”，不能{doing}。",
            state=need.state,
        )


def _proposals_json(result: matching.MatchResult) -> list[dict[str, Any]]:
    return [p.as_json() for p in result.proposals]


def _set_deadline(need: DataNeed, ruleset: str | None) -> None:
    """The answer deadline under ``ruleset``, else the ruleset of the provider's jurisdiction."""
    code = need.routed_to.jurisdiction_id if need.routed_to is not None else need.jurisdiction_id
    days = int(current_ruleset(ruleset or code).value(NEED_ANSWER_DAYS))
    deadline = work_calendar().add_working_days(timezone.localdate(_now()), days)
    need.due_date, need.due_provisional = deadline.date, deadline.provisional


def _route(need: DataNeed, provider: Department, ruleset: str | None) -> None:
    need.state = NeedState.ROUTED
    need.routed_to = provider
    need.routed_at = _now()
    _set_deadline(need, ruleset)


def _notify_routed(need: DataNeed, provider: Department, how: str) -> None:
    due = f"{need.due_date:%Y-%m-%d}" + ("（暂定）" if need.due_provisional else "")
    notify(
        department_ids=[provider.pk], kind=NOTICE_KIND, link=_link(need),
        title=f"数据需求待答复：{need.title}",
        body=f"{need.department.name}的数据需求“{need.title}”{how}转交本部门，请于 {due} 前答复能否编目提供。",
    )  # fmt: skip
    notify(
        department_ids=[need.department_id], kind=NOTICE_KIND, link=_link(need),
        title=f"数据需求已转交：{need.title}",
        body=f"您的数据需求已转交{provider.name}，答复期限 {due}（工作日计算）。",
    )  # fmt: skip


def _department_for(actor: Actor, department_id: int | None) -> Department:
    return acting_department(actor, department_id, POST, "以该部门提出数据需求")


# --- services --------------------------------------------------------------------------------------


@transaction.atomic
def need_post(
    *, actor: Actor, title: str, description: str, desired_items: list[str], purpose: str = "",
    department_id: int | None = None, auto_route: bool = True, ruleset: str | None = None,
    provider_id: int | None = None,
) -> DataNeed:  # fmt: skip
    """Post a need; proposals are computed at once. When they do not cover the desired items and the
    likely provider is clear, the need is routed to it straight away (``auto_route``). ``provider_id``
    names the provider when the need is for a known resource not yet published (a project's declared
    use, PRJ-S2): it is routed there whatever the proposals say."""
    dept = _department_for(actor, department_id)
    title, e1 = _text(title, 100, "title", "需求名称", required=True)
    description, e2 = _text(description, 1000, "description", "需求描述", required=True)
    purpose, e3 = _text(purpose, 500, "purpose", "用途")
    errors = [e1, e2, e3]
    items = matching.clean_items([str(n) for n in desired_items])
    if not items:
        errors.append(
            FieldError(
                "desired_items", "required", "请至少列出一个所需信息项（如“公民身份号码”“婚姻状况”）。"
            )
        )
    elif len(items) > MAX_ITEMS:
        errors.append(
            FieldError(
                "desired_items", "too_many", f"所需信息项不超过 {MAX_ITEMS} 个，当前 {len(items)} 个。"
            )
        )
    for name in items:
        problem = text_problem(name, ITEM_NAME_MAX, "desired_items", f"信息项“{name[:20]}”")
        if problem is not None:
            errors.append(problem)
            break
    _raise("数据需求填写有误，请按提示逐项修改。", errors)
    result = matching.propose(actor=actor, title=title, desired_items=items, department_id=dept.pk)
    need = DataNeed.objects.create(
        department=dept, jurisdiction_id=dept.jurisdiction_id, title=title, description=description,
        desired_items=items, purpose=purpose, proposals=_proposals_json(result), created_at=_now(),
        created_by=actor.username[:150],
    )  # fmt: skip
    audit.record(actor=actor, action="exchange.need.post", obj=need, after=_snapshot(need))
    reason = "经平台自动匹配（其所需数据元的权威来源为贵部门）"
    if provider_id is not None:
        reason = "贵部门已编目但尚未发布的资源被信息化项目申报使用"
    else:
        provider_id = result.likely_provider if auto_route and not result.covered else None
    if provider_id is not None:
        provider = Department.objects.get(pk=provider_id)
        before = _snapshot(need)
        _route(need, provider, ruleset)
        need.reply = ""
        need.save()
        audit.record(
            actor=actor, action="exchange.need.route", obj=need, before=before,
            after={**_snapshot(need), "automatic": True},
        )  # fmt: skip
        _notify_routed(need, provider, reason)
    return need


@transaction.atomic
def need_rematch(*, actor: Actor, need_id: int, expected_version: int | None) -> DataNeed:
    """Propose resources again on the current catalog (重新匹配): the needing department or the authority."""
    need = _locked(need_id)
    if not (actor.can(POST, need.scope()) or actor.can(ROUTE, need.scope())):
        raise _missing(need_id)
    _require_state(need, LIVE, "重新匹配")
    _check_version(need, expected_version)
    before = _snapshot(need)
    result = matching.propose(
        actor=actor,
        title=need.title,
        desired_items=list(need.desired_items),
        department_id=need.department_id,
    )
    need.proposals = _proposals_json(result)
    need.version += 1
    need.save(update_fields=["proposals", "version"])
    audit.record(actor=actor, action="exchange.need.rematch", obj=need, before=before, after=_snapshot(need))
    return need


@transaction.atomic
def need_route(
    *, actor: Actor, need_id: int, expected_version: int | None, provider_department_id: int, note: str = "",
    ruleset: str | None = None,
) -> DataNeed:  # fmt: skip
    """The authority routes an open need (or re-routes a routed one) to the likely provider, which must
    answer within the ruleset's working days."""
    need = _locked(need_id)
    if not actor.can(ROUTE, need.scope()):
        raise _missing(need_id)
    _require_state(need, LIVE, "转交提供部门")
    _check_version(need, expected_version)
    note, problem = _text(note, 1000, "note", "转交说明")
    provider = Department.objects.filter(pk=provider_department_id).first()
    errors = [problem]
    if provider is None:
        errors.append(FieldError("provider_department_id", "unknown", "所选提供部门不存在，请重新选择。"))
    elif provider.pk == need.department_id:
        errors.append(FieldError("provider_department_id", "self", "不能转交给提出需求的部门本身。"))
    elif provider.pk == need.routed_to_id:
        errors.append(FieldError("provider_department_id", "same", f"该需求已转交{provider.name}。"))
    _raise("转交数据需求填写有误。", errors)
    assert provider is not None
    before = _snapshot(need)
    _route(need, provider, ruleset)
    need.reply = note
    need.version += 1
    need.save()
    audit.record(actor=actor, action="exchange.need.route", obj=need, before=before, after=_snapshot(need))
    _notify_routed(need, provider, "由平台管理部门")
    return need


@transaction.atomic
def need_answer(
    *, actor: Actor, need_id: int, expected_version: int | None, can_provide: bool, reply: str,
    resource_id: int | None = None,
) -> DataNeed:  # fmt: skip
    """The routed provider answers: it will catalogue and provide (naming the resource once registered),
    or it cannot, with the reason. Either way the need is closed with that outcome."""
    need = _locked(need_id)
    provider_scope = need.provider_scope()
    if provider_scope is None or not actor.can(ANSWER, provider_scope):
        raise _missing(need_id)
    _require_state(need, (NeedState.ROUTED,), "答复")
    _check_version(need, expected_version)
    label = "编目提供计划（将提供的资源、预计时间）" if can_provide else "不能提供的理由"
    reply, problem = _text(reply, 1000, "reply", label, required=True)
    errors = [problem]
    resource = None
    if resource_id is not None:
        resource = Resource.objects.filter(pk=resource_id, department_id=need.routed_to_id or 0).first()
        if resource is None or not can_provide:
            errors.append(
                FieldError("resource_id", "unknown", "只能关联本部门已登记的资源，且仅在承诺提供时关联。")
            )
    _raise("答复须说明理由或计划。" if problem else "答复填写有误。", errors)
    before = _snapshot(need)
    need.state = NeedState.CLOSED
    need.outcome = NeedOutcome.WILL_PROVIDE if can_provide else NeedOutcome.CANNOT_PROVIDE
    need.reply = reply
    need.matched_resource = resource
    need.closed_at = _now()
    need.version += 1
    need.save()
    audit.record(actor=actor, action="exchange.need.answer", obj=need, before=before, after=_snapshot(need))
    provider_name = need.routed_to.name if need.routed_to else ""
    head = "承诺编目提供" if can_provide else "答复无法提供"
    notify(
        department_ids=[need.department_id], kind=NOTICE_KIND, link=_link(need),
        title=f"数据需求已答复：{need.title}", body=f"{provider_name}{head}：{reply}",
    )  # fmt: skip
    return need


@transaction.atomic
def need_accept(*, actor: Actor, need_id: int, expected_version: int | None, resource_id: int) -> DataNeed:
    """The needing department takes a proposed resource: the need is matched (and then asked for by a
    share request for that resource)."""
    need = _locked(need_id)
    if not actor.can(POST, need.scope()):
        raise _missing(need_id)
    _require_state(need, LIVE, "采纳推荐资源")
    _check_version(need, expected_version)
    proposed = {int(p.get("resource", 0)) for p in need.proposals}
    if resource_id not in proposed:
        raise ValidationFailed(
            INVALID, "只能采纳平台为该需求推荐的资源。",
            errors=[FieldError("resource_id", "not_proposed", "该资源不在推荐列表中；如目录已更新，请先重新匹配。")],
        )  # fmt: skip
    resource = Resource.objects.visible_to(actor).shared().filter(pk=resource_id).first()
    if resource is None:
        raise Conflict(
            "exchange.need.resource_unavailable", "该资源已下线或不再共享，请重新匹配后选择其他资源。",
            resource_id=resource_id,
        )  # fmt: skip
    before = _snapshot(need)
    routed_to = need.routed_to_id
    need.state = NeedState.MATCHED
    need.outcome = NeedOutcome.SATISFIED
    need.matched_resource = resource
    need.closed_at = _now()
    need.version += 1
    need.save()
    audit.record(actor=actor, action="exchange.need.accept", obj=need, before=before, after=_snapshot(need))
    if routed_to is not None:
        notify(
            department_ids=[routed_to], kind=NOTICE_KIND, link=_link(need),
            title=f"数据需求已由目录资源满足：{need.title}",
            body=f"{need.department.name}已采纳目录资源“{resource.name}”，该需求无需再答复。",
        )  # fmt: skip
    return need


@transaction.atomic
def need_withdraw(*, actor: Actor, need_id: int, expected_version: int | None, reason: str) -> DataNeed:
    """The needing department withdraws a need it no longer has, saying why."""
    need = _locked(need_id)
    if not actor.can(POST, need.scope()):
        raise _missing(need_id)
    _require_state(need, LIVE, "撤回")
    _check_version(need, expected_version)
    reason, problem = _text(reason, 1000, "reason", "撤回原因", required=True)
    _raise("撤回数据需求须说明原因。", [problem])
    before = _snapshot(need)
    routed_to = need.routed_to_id if need.state == NeedState.ROUTED else None
    need.state = NeedState.CLOSED
    need.outcome = NeedOutcome.WITHDRAWN
    need.reply = reason
    need.closed_at = _now()
    need.version += 1
    need.save()
    audit.record(actor=actor, action="exchange.need.withdraw", obj=need, before=before, after=_snapshot(need))
    if routed_to is not None:
        notify(
            department_ids=[routed_to], kind=NOTICE_KIND, link=_link(need),
            title=f"数据需求已撤回：{need.title}", body=f"{need.department.name}撤回了该需求：{reason}",
        )  # fmt: skip
    return need


# --- selectors -------------------------------------------------------------------------------------


def _require_view(actor: Actor) -> None:
    if not actor.may(VIEW):
        raise PermissionDenied("exchange.need.forbidden", "您无权查看数据需求。")


def _needs(actor: Actor) -> QuerySet[DataNeed]:
    _require_view(actor)
    return DataNeed.objects.visible_to(actor).select_related(
        "department", "routed_to", "matched_resource", "jurisdiction"
    )


def need_list(
    *, actor: Actor, side: str = "", state: str = "", overdue: bool = False, today: date | None = None
) -> QuerySet[DataNeed]:
    """Needs the actor may see. ``side``: ``mine`` (posted by its departments), ``queue`` (routed to its
    departments and waiting for their answer, due first), else all visible. ``overdue``: routed needs
    past their deadline."""
    qs = _needs(actor)
    if side == "mine" and not actor.is_superuser:
        qs = qs.filter(department_id__in=actor.departments_for(VIEW))
    elif side == "queue":
        qs = qs.filter(state=NeedState.ROUTED)
        if not actor.is_superuser:
            qs = qs.filter(routed_to_id__in=actor.departments_for(ANSWER))
        return qs.order_by("due_date", "routed_at", "id")
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state=NeedState.ROUTED, due_date__lt=today or timezone.localdate())
        return qs.order_by("due_date", "id")
    return qs.order_by("-created_at", "-id")


def need_get(*, actor: Actor, need_id: int) -> DataNeed:
    need = (
        DataNeed.objects.visible_to(actor)
        .select_related("department", "routed_to", "matched_resource", "jurisdiction")
        .filter(pk=need_id)
        .first()
    )
    if need is None:
        raise NotFound(NOT_FOUND, "数据需求不存在或您无权查看。", need_id=need_id)
    return need


@dataclass(frozen=True)
class NeedCounts:
    """A department's needs as the one asking (by state and outcome) and as the routed provider."""

    department_id: int
    department_name: str
    posted: dict[str, int]
    outcomes: dict[str, int]
    routed: int
    answered_on_time: int
    answered_late: int
    open_overdue: int


def need_counts(*, actor: Actor, today: date | None = None) -> list[NeedCounts]:
    """Counts per department over the needs the actor may see (for the ledger and, later, scoring)."""
    qs = _needs(actor).order_by()
    today = today or timezone.localdate()
    posted: dict[int, dict[str, int]] = {}
    outcomes: dict[int, dict[str, int]] = {}
    for row in qs.values("department_id", "state", "outcome").annotate(n=Count("id")):
        d = row["department_id"]
        posted.setdefault(d, {})[row["state"]] = posted.get(d, {}).get(row["state"], 0) + row["n"]
        if row["outcome"]:
            outcomes.setdefault(d, {})[row["outcome"]] = outcomes.get(d, {}).get(row["outcome"], 0) + row["n"]
    routed: dict[int, list[DataNeed]] = {}
    for need in (
        qs.select_related(None)
        .filter(routed_to__isnull=False)
        .only("routed_to_id", "state", "outcome", "due_date", "closed_at")
    ):
        routed.setdefault(need.routed_to_id or 0, []).append(need)
    ids = set(posted) | set(routed)
    names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    out = []
    for d in sorted(ids, key=lambda i: names.get(i, "")):
        answered = [
            n for n in routed.get(d, [])
            if n.outcome in (NeedOutcome.WILL_PROVIDE, NeedOutcome.CANNOT_PROVIDE) and n.closed_at
        ]  # fmt: skip
        late = sum(
            1 for n in answered if n.due_date and n.closed_at and timezone.localdate(n.closed_at) > n.due_date
        )
        out.append(
            NeedCounts(
                department_id=d, department_name=names.get(d, ""), posted=posted.get(d, {}),
                outcomes=outcomes.get(d, {}), routed=len(routed.get(d, [])),
                answered_on_time=len(answered) - late, answered_late=late,
                open_overdue=sum(1 for n in routed.get(d, []) if n.is_overdue_on(today)),
            )
        )  # fmt: skip
    return out
