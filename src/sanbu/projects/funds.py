"""Gate F (拨款, PRJ-F1..F4): the annual plan, tranches, the funds ledger, recovery and closing.

Services are the only writers of ``AnnualPlan``, ``PlanEntry``, ``Tranche``, ``LedgerEntry`` and
``RecoveryNotice`` (and of the funds fields of ``Lifecycle``). Keyword-only, one transaction, permission
checked on the row's scope (forbidden looks like missing), the change record in the same transaction.

- The annual plan (``PLAN_MANAGE``, the authority): ``plan_create``, ``plan_add``, ``plan_issue``,
  ``plan_addition_approve``. An entry added after the plan was issued is a 动态新增 and counts only once
  approved on its own.
- Funds (``FUNDS_MANAGE``, finance): ``tranche_schedule``, ``tranche_pay`` (gate F with the tranche as the
  request), ``recovery_sweep`` (PRJ-F2: notice, recover what was paid, freeze the rest), ``recovery_issue``
  (PRJ-F4), ``freeze_lift`` (PRJ-F2 no longer applies: force majeure recognised after the notice),
  ``funds_close`` (PRJ-F3). ``funding_mode_set`` and ``force_majeure_record`` belong to the authority
  (``REVIEW``).

Lock order everywhere: project → lifecycle → tranches. The ledger is append-only (docs/funds.md): net paid
= payments − recoveries − returns, between 0 and the approved amount; a tranche is paid at most once (a
partial unique index backs the row locks and version check).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor, Scope, jurisdiction_prefix
from sanbu.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    raise_if_blocked,
    text_problem,
)
from sanbu.orgs.models import Jurisdiction
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.lifecycle_facts_f import FundingMode as PolicyMode
from sanbu.policy.lifecycle_facts_f import FundsFacts
from sanbu.policy.lifecycle_facts_f import Tranche as TrancheFact
from sanbu.policy.rules.funds import evaluate_f
from sanbu.policy.rulesets import Ruleset

from . import steps
from .models import (
    FUNDS_MANAGE,
    PLAN_MANAGE,
    REVIEW,
    VIEW,
    AnnualPlan,
    EntryKind,
    FundingMode,
    LedgerEntry,
    Lifecycle,
    PlanEntry,
    PlanState,
    Project,
    ProjectState,
    RecoveryNotice,
    Tranche,
    TrancheState,
)

MAX_AMOUNT = 10**12
FAILED_GRADE = "不合格"
PLAN_NOT_FOUND = "projects.plan.not_found"
TRANCHE_NOT_FOUND = "projects.tranche.not_found"
PLAN_FIELDS = ["jurisdiction_id", "year", "state", "document_number", "version"]
TRANCHE_FIELDS = [
    "project_id", "number", "amount", "purpose", "startup", "state", "paid_on", "voucher", "version",
]  # fmt: skip
LIFECYCLE_FIELDS = [
    "funding_mode", "funds_frozen", "started_on", "force_majeure", "closed_on", "balance",
    "goals_or_content_changed", "version",
]  # fmt: skip
LIVE_TRANCHES = (TrancheState.SCHEDULED, TrancheState.PAID)


# --- facts ------------------------------------------------------------------------------------------------


def _grade_passed(grade: str) -> bool | None:
    grade = grade.strip()
    if not grade:
        return None
    return grade != FAILED_GRADE


def _ids_filter(projects: Sequence[Project] | QuerySet[Project]) -> tuple[Any, QuerySet[Project]]:
    """A filter value for ``project_id__in`` (a subquery for a queryset) and a queryset of the projects."""
    if isinstance(projects, QuerySet):
        sub = projects.values("pk")
        return sub, Project.objects.filter(pk__in=projects.values("pk"))
    ids = [p.pk for p in projects]
    return ids, Project.objects.filter(pk__in=ids)


def funds_facts_many(
    projects: Sequence[Project] | QuerySet[Project],
    today: dt.date,
    requested: dict[int, int] | None = None,
    startup: Collection[int] = (),
) -> dict[int, FundsFacts]:
    """Gate F facts for many projects in five queries (projects, lifecycles, plan entries of ``today``'s
    year, live tranches, returns). ``plan_year`` is ``today``'s year: the funds of a payment belong to the
    plan of the year it is made in. ``requested``: what each project asks to be paid now; ``startup``:
    the projects whose request is a start-up tranche (启动资金, PRJ-F4)."""
    ids, qs = _ids_filter(projects)
    requested = requested or {}
    rows = list(qs.values("pk", "name", "unit__name", "amount", "approved_amount", "decided_at"))
    life: dict[int, dict[str, Any]] = {
        r["project_id"]: dict(r)
        for r in Lifecycle.objects.filter(project_id__in=ids).values(
            "project_id",
            "funding_mode",
            "started_on",
            "force_majeure",
            "key_evaluation_grade",
            "closed_on",
            "balance",
            "goals_or_content_changed",
        )
    }
    planned: set[int] = set()
    added: set[int] = set()
    for pid, dynamic, approved_at in PlanEntry.objects.filter(
        project_id__in=ids, plan__state=PlanState.ISSUED, plan__year=today.year
    ).values_list("project_id", "dynamic", "addition_approved_at"):
        if not dynamic:
            planned.add(pid)
        elif approved_at is not None:
            added.add(pid)
    tranches: dict[int, list[TrancheFact]] = defaultdict(list)
    for pid, number, amount, paid_on, state in (
        Tranche.objects.filter(project_id__in=ids, state__in=LIVE_TRANCHES)
        .order_by("project_id", "number")
        .values_list("project_id", "number", "amount", "paid_on", "state")
    ):
        tranches[pid].append(TrancheFact(number, amount, paid_on if state == TrancheState.PAID else None))
    returned = dict(
        LedgerEntry.objects.filter(project_id__in=ids, kind=EntryKind.RETURN)
        .values("project_id")
        .annotate(total=Sum("amount"))
        .values_list("project_id", "total")
    )
    out: dict[int, FundsFacts] = {}
    for r in rows:
        pid = r["pk"]
        lc: dict[str, Any] = life.get(pid, {})
        decided = r["decided_at"]
        out[pid] = FundsFacts(
            name=r["name"], unit=r["unit__name"] or "",
            amount=int(r["approved_amount"] if r["approved_amount"] is not None else r["amount"]),
            approved_on=timezone.localdate(decided) if decided is not None else today, today=today,
            plan_year=today.year, in_annual_plan=pid in planned, dynamic_addition_approved=pid in added,
            started_on=lc.get("started_on"), force_majeure=lc.get("force_majeure", ""),
            funding_mode=PolicyMode(lc.get("funding_mode", FundingMode.TRANCHE)),
            tranches=tuple(tranches.get(pid, ())), requested=int(requested.get(pid, 0)),
            requested_startup=pid in startup, evaluation_passed=_grade_passed(lc.get("key_evaluation_grade", "")),
            closing=lc.get("closed_on") is not None, goals_or_content_changed=lc.get("goals_or_content_changed", False),
            balance=int(lc.get("balance", 0)), returned=int(returned.get(pid, 0) or 0),
        )  # fmt: skip
    return out


def funds_facts(project: Project, today: dt.date, requested: int = 0, startup: bool = False) -> FundsFacts:
    return funds_facts_many([project], today, {project.pk: requested}, {project.pk} if startup else ())[
        project.pk
    ]


def funds_decisions(project: Project, today: dt.date | None = None, requested: int = 0) -> list[Decision]:
    """Gate F as it would decide for the project on ``today`` (a payment of ``requested`` yuan)."""
    return evaluate_f(funds_facts(project, today or steps.today(), requested), steps.ruleset_of(project))


def _totals(project_id: int) -> dict[str, int]:
    """Tranche and ledger sums of one project (two queries)."""
    out = {"scheduled": 0, "frozen": 0, "cancelled": 0, "tranche_paid": 0}
    for state, total in (
        Tranche.objects.filter(project_id=project_id)
        .values("state")
        .annotate(t=Sum("amount"))
        .values_list("state", "t")
    ):
        out["tranche_paid" if state == TrancheState.PAID else state] = int(total or 0)
    sums = {k: 0 for k in EntryKind.values}
    for kind, total in (
        LedgerEntry.objects.filter(project_id=project_id)
        .values("kind")
        .annotate(t=Sum("amount"))
        .values_list("kind", "t")
    ):
        sums[kind] = int(total or 0)
    out.update(
        paid=sums[EntryKind.PAYMENT], recovered=sums[EntryKind.RECOVERY], returned=sums[EntryKind.RETURN]
    )
    out["net"] = out["paid"] - out["recovered"] - out["returned"]
    return out


def _approved(project: Project) -> int:
    return int(project.approved_amount if project.approved_amount is not None else project.amount)


def ledger_summary(project: Project) -> dict[str, int]:
    """approved, scheduled, paid, recovered, returned, net (paid − recovered − returned), frozen and
    remaining (approved − net − scheduled), in yuan."""
    t = _totals(project.pk)
    approved = _approved(project)
    return {
        "approved": approved, "scheduled": t["scheduled"], "paid": t["paid"], "recovered": t["recovered"],
        "returned": t["returned"], "net": t["net"], "frozen": t["frozen"],
        "remaining": approved - t["net"] - t["scheduled"],
    }  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------------------


def _project(actor: Actor, project_id: int, action: str) -> tuple[Project, Lifecycle]:
    """The project and its lifecycle record, both locked (project first)."""
    project = steps.locked(Project, project_id, actor, action)
    lc = steps.lifecycle_of(project)
    return project, Lifecycle.objects.select_for_update().get(pk=lc.pk)


def _touch(lc: Lifecycle) -> None:
    steps.bump(lc)
    lc.save()


def _raise(errors: Iterable[FieldError | None], message: str = "填写有误，请按提示逐项修改。") -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise ValidationFailed("projects.funds.invalid", message, errors=found)


def _amount_problem(value: Any, field: str, label: str, *, ceiling: int | None = None,
                    zero: bool = False) -> FieldError | None:  # fmt: skip
    low = 0 if zero else 1
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_AMOUNT:
        more = "不小于 0" if zero else "大于 0"
        return FieldError(field, "out_of_range", f"{label}应为{more}的整数（单位：元）。")
    if ceiling is not None and value > ceiling:
        return FieldError(field, "too_large", f"{label}不能超过 {ceiling} 元。")
    return None


def _not_closed(lc: Lifecycle) -> None:
    if lc.closed_on is not None:
        raise Conflict(
            "projects.funds.closed",
            f"该项目已于 {lc.closed_on.isoformat()} 办理竣工财务决算，资金账目已关闭。",
        )


def _not_frozen(lc: Lifecycle) -> None:
    if lc.funds_frozen:
        raise Conflict(
            "projects.funds.frozen", "该项目资金已因逾期未开工被冻结（已发收回通知），不能安排或拨付资金。"
        )


@transaction.atomic
def freeze_lift(*, actor: Actor, project_id: int, reason: str, expected_version: int | None = None,
                on: dt.date | None = None) -> tuple[RecoveryNotice, list[Decision]]:  # fmt: skip
    """Lift PRJ-F2's freeze when the rule no longer applies: force majeure recognised on review after the
    notice went out (``force_majeure_record``, the authority's). Gate F is decided again and must pass
    PRJ-F2 today; the frozen tranches are scheduled again and the notice records who lifted it, when and
    why. What was recovered stays booked (the ledger is append-only): paying it again takes new tranches.
    Returns the notice and PRJ-F2's warnings; the gate record keeps every decision of gate F."""
    project, lc = _project(actor, project_id, FUNDS_MANAGE)
    steps.check_version(lc, expected_version, "projects.funds.changed")
    notice = RecoveryNotice.objects.filter(project=project, rule="PRJ-F2", lifted_on__isnull=True).first()
    if not lc.funds_frozen or notice is None:
        raise Conflict("projects.funds.not_frozen", "该项目资金未因逾期未开工（PRJ-F2）被冻结，无需解除。")
    _raise([text_problem(reason, 500, "reason", "解除冻结理由", required=True)])
    day = on or steps.today()
    rs = steps.ruleset_of(project)
    f = funds_facts(project, day)
    ds = evaluate_f(f, rs)
    f2 = [d for d in ds if d.rule_id == "PRJ-F2"]
    warnings = raise_if_blocked(f2)
    before = _life_snapshot(lc)
    thawed = Tranche.objects.filter(project=project, state=TrancheState.FROZEN).update(
        state=TrancheState.SCHEDULED
    )
    lc.funds_frozen = False
    _touch(lc)
    notice.lifted_on, notice.lifted_by, notice.lift_reason = day, actor.username[:150], reason.strip()
    notice.save(update_fields=["lifted_on", "lifted_by", "lift_reason"])
    steps.record_gate(project, "F", rs, f, ds, actor)
    audit.record(actor=actor, action="projects.funds.freeze_lift", obj=project, before=before, after={
        **_life_snapshot(lc), "notice": notice.number, "reason": notice.lift_reason, "tranches_scheduled_again": thawed,
        "decisions": [d.as_dict() for d in ds],
    })  # fmt: skip
    return notice, warnings


def _notice_number(year: int) -> str:
    taken = RecoveryNotice.objects.filter(number__startswith=f"收回〔{year}〕").count()
    return f"收回〔{year}〕{taken + 1}号"


def _notice(project: Project, rule: str, reason: str, ds: Sequence[Decision], on: dt.date, actor: Actor,
            *, frozen: int, recover: int) -> RecoveryNotice:  # fmt: skip
    """A recovery notice with the next number of the year (unique; retried if another writer took it)."""
    for _ in range(5):
        try:
            with transaction.atomic():
                return RecoveryNotice.objects.create(
                    project=project, number=_notice_number(on.year), rule=rule, reason=reason[:500],
                    frozen_amount=frozen, recover_amount=recover, decisions=[d.as_dict() for d in ds],
                    issued_on=on, issued_by=actor.username[:150],
                )  # fmt: skip
        except IntegrityError:  # pragma: no cover - two sweeps numbering at once (PostgreSQL)
            continue
    raise Conflict("projects.notice.busy", "收回通知书编号冲突，请稍后重试。")  # pragma: no cover


# --- the annual plan --------------------------------------------------------------------------------------


def _plan_snapshot(plan: AnnualPlan) -> dict[str, Any]:
    return audit.snapshot(plan, PLAN_FIELDS)


@transaction.atomic
def plan_create(*, actor: Actor, jurisdiction: str, year: int) -> AnnualPlan:
    """Start the jurisdiction's annual plan (信息化项目建设年度计划) of ``year``: one per jurisdiction and year."""
    place = Jurisdiction.objects.filter(pk=jurisdiction).first()
    if place is None or not actor.can(PLAN_MANAGE, Scope(jurisdiction=place.code)):
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权编制其年度计划。")
    this = steps.today().year
    if not isinstance(year, int) or not this - 1 <= year <= this + 3:
        _raise([FieldError("year", "out_of_range", f"计划年度应在 {this - 1} 至 {this + 3} 年之间。")])
    if AnnualPlan.objects.filter(jurisdiction=place, year=year).exists():
        raise Conflict(
            "projects.plan.exists", f"{place.name} {year} 年度建设计划已存在，请在原计划中增补项目。"
        )
    try:
        with transaction.atomic():
            plan = AnnualPlan.objects.create(jurisdiction=place, year=year, created_by=actor.username[:150])
    except IntegrityError as exc:
        raise Conflict("projects.plan.exists", f"{place.name} {year} 年度建设计划已存在。") from exc
    audit.record(actor=actor, action="projects.plan.create", obj=plan, after=_plan_snapshot(plan))
    return plan


@transaction.atomic
def plan_add(*, actor: Actor, plan_id: int, project_id: int, amount: int, expected_version: int | None,
             basis: str = "") -> PlanEntry:  # fmt: skip
    """List an approved project of the plan's jurisdiction with its amount for the year (at most the
    approved amount less what other years' plans hold). Added after the plan was issued, the entry is a
    动态新增: ``basis`` (the 抄告单 or 会议纪要 number) is required and it counts once approved."""
    plan = steps.locked(AnnualPlan, plan_id, actor, PLAN_MANAGE, code=PLAN_NOT_FOUND, what="年度计划")
    steps.check_version(plan, expected_version, "projects.plan.changed")
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None or not actor.can(PLAN_MANAGE, project.scope()) or not actor.can(VIEW, project.scope()):
        raise steps.missing(pk=project_id)
    if project.jurisdiction_id != plan.jurisdiction_id:
        _raise(
            [
                FieldError(
                    "project_id", "other_jurisdiction", "只能列入本辖区（与年度计划同一行政区划）的项目。"
                )
            ]
        )
    steps.require_state(project, (ProjectState.APPROVED,), "列入年度计划（须已立项）")
    if PlanEntry.objects.filter(plan=plan, project=project).exists():
        raise Conflict("projects.plan.entry_exists", f"项目“{project.name}”已在该年度计划中。")
    dynamic = plan.state == PlanState.ISSUED
    elsewhere = int(
        PlanEntry.objects.filter(project=project).exclude(plan=plan).aggregate(t=Sum("amount"))["t"] or 0
    )
    ceiling = _approved(project) - elsewhere
    errors = [
        _amount_problem(amount, "amount", "年度计划金额", ceiling=max(ceiling, 0)),
        text_problem(basis, 200, "basis", "动态新增依据（抄告单或会议纪要文号）", required=dynamic),
    ]
    _raise(errors, "列入年度计划填写有误，请按提示逐项修改。")
    entry = PlanEntry.objects.create(
        plan=plan, project=project, amount=amount, dynamic=dynamic, addition_basis=basis.strip(),
        added_by=actor.username[:150],
    )  # fmt: skip
    steps.bump(plan)
    plan.save(update_fields=["version"])
    audit.record(actor=actor, action="projects.plan.add", obj=plan, after={
        **_plan_snapshot(plan), "entry": entry.pk, "project": project.pk, "amount": amount, "dynamic": dynamic,
        "basis": entry.addition_basis,
    })  # fmt: skip
    return entry


@transaction.atomic
def plan_issue(
    *, actor: Actor, plan_id: int, expected_version: int | None, document_number: str
) -> AnnualPlan:
    """Issue (下达) a draft plan with at least one entry under its document number."""
    plan = steps.locked(AnnualPlan, plan_id, actor, PLAN_MANAGE, code=PLAN_NOT_FOUND, what="年度计划")
    steps.check_version(plan, expected_version, "projects.plan.changed")
    if plan.state != PlanState.DRAFT:
        raise Conflict("projects.plan.issued", "该年度计划已下达；此后列入的项目按动态新增办理。")
    _raise([text_problem(document_number, 64, "document_number", "计划文号", required=True)])
    if not plan.entries.exists():
        raise Conflict("projects.plan.empty", "年度计划中还没有项目，不能下达。")
    before = _plan_snapshot(plan)
    plan.state, plan.document_number = PlanState.ISSUED, document_number.strip()
    plan.issued_by, plan.issued_at = actor.username[:150], timezone.now()
    steps.bump(plan)
    plan.save()
    audit.record(
        actor=actor, action="projects.plan.issue", obj=plan, before=before, after=_plan_snapshot(plan)
    )
    return plan


@transaction.atomic
def plan_addition_approve(*, actor: Actor, entry_id: int, basis: str) -> PlanEntry:
    """Record the government's approval of a 动态新增 (``basis``: the 抄告单 or 会议纪要 number): from
    then on it stands in for the plan (PRJ-F1)."""
    entry = steps.locked(PlanEntry, entry_id, actor, PLAN_MANAGE, code="projects.plan_entry.not_found",
                         what="年度计划项目")  # fmt: skip
    if not entry.dynamic:
        raise Conflict(
            "projects.plan_entry.not_dynamic", "该项目是年度计划内项目，不是动态新增，无需另行批准。"
        )
    if entry.addition_approved_at is not None:
        raise Conflict("projects.plan_entry.approved", "该动态新增项目已批准。")
    _raise([text_problem(basis, 200, "basis", "批准依据（抄告单或会议纪要文号）", required=True)])
    before = {"addition_basis": entry.addition_basis, "addition_approved_at": None}
    entry.addition_basis = basis.strip()
    entry.addition_approved_by, entry.addition_approved_at = actor.username[:150], timezone.now()
    entry.save()
    audit.record(actor=actor, action="projects.plan.addition_approve", obj=entry, before=before, after={
        "project": entry.project_id, "plan": entry.plan_id, "addition_basis": entry.addition_basis,
        "addition_approved_at": entry.addition_approved_at,
    })  # fmt: skip
    return entry


# --- funds ------------------------------------------------------------------------------------------------


def _tranche_snapshot(t: Tranche) -> dict[str, Any]:
    return audit.snapshot(t, TRANCHE_FIELDS)


def _life_snapshot(lc: Lifecycle) -> dict[str, Any]:
    return audit.snapshot(lc, LIFECYCLE_FIELDS)


@transaction.atomic
def funding_mode_set(
    *, actor: Actor, project_id: int, mode: str, expected_version: int | None = None
) -> Lifecycle:
    """Choose how the project is paid (按进度分批拨付 or 后补助, PRJ-F4), before any payment."""
    project, lc = _project(actor, project_id, REVIEW)
    steps.check_version(lc, expected_version, "projects.funds.changed")
    steps.require_state(project, steps.AFTER_APPROVAL, "设定资金拨付方式")
    if mode not in FundingMode.values:
        _raise(
            [
                FieldError(
                    "mode",
                    "invalid_choice",
                    "资金拨付方式应为按进度分批拨付（tranche）或后补助（post_subsidy）。",
                )
            ]
        )
    if LedgerEntry.objects.filter(project=project, kind=EntryKind.PAYMENT).exists():
        raise Conflict("projects.funds.already_paid", "该项目已拨付资金，不能再改变拨付方式。")
    before = _life_snapshot(lc)
    lc.funding_mode = mode
    # No payment yet, so start-up tranches are only scheduled: paid by progress they are plain tranches.
    plain = (
        0
        if mode == FundingMode.POST_SUBSIDY
        else Tranche.objects.filter(project=project, startup=True).update(startup=False)
    )
    _touch(lc)
    audit.record(actor=actor, action="projects.funds.mode", obj=project, before=before,
                 after={**_life_snapshot(lc), "startup_tranches_made_plain": plain})  # fmt: skip
    return lc


@transaction.atomic
def force_majeure_record(*, actor: Actor, project_id: int, reason: str) -> Lifecycle:
    """Record the force-majeure reason the project did not start in time (PRJ-F2 then does not recover)."""
    project, lc = _project(actor, project_id, REVIEW)
    steps.require_state(project, steps.AFTER_APPROVAL, "记录不可抗力原因")
    _raise([text_problem(reason, 500, "reason", "不可抗力原因", required=True)])
    before = _life_snapshot(lc)
    lc.force_majeure = reason.strip()
    _touch(lc)
    audit.record(actor=actor, action="projects.funds.force_majeure", obj=project, before=before,
                 after=_life_snapshot(lc))  # fmt: skip
    return lc


def _startup_problem(project: Project, lc: Lifecycle, amount: Any) -> FieldError | None:
    """PRJ-F4 (003 十): 启动资金 is for post-subsidy pilots, and is only part of the funds."""
    if lc.funding_mode != FundingMode.POST_SUBSIDY:
        return FieldError("startup", "not_post_subsidy",
                          "启动资金只适用于后补助项目（PRJ-F4）；按进度分批拨付的项目直接安排拨付批次。")  # fmt: skip
    if not isinstance(amount, int):
        return None
    before = int(
        Tranche.objects.filter(project=project, startup=True, state__in=LIVE_TRANCHES).aggregate(
            t=Sum("amount")
        )["t"]
        or 0
    )
    approved = _approved(project)
    if before + amount >= approved:
        return FieldError("startup", "too_large",
                          f"启动资金是部分资金，合计应少于批复金额 {approved} 元（已安排 {before} 元）；"
                          "其余在考核验收通过后作为奖励资金拨付。")  # fmt: skip
    return None


@transaction.atomic
def tranche_schedule(*, actor: Actor, project_id: int, amount: int, purpose: str = "", startup: bool = False,
                     expected_version: int | None = None) -> Tranche:  # fmt: skip
    """Schedule the next tranche (拨付计划, numbered 1, 2, … per project). Scheduled and paid tranches
    together stay within the approved amount. ``startup``: 启动资金 of a post-subsidy pilot (PRJ-F4),
    payable before its evaluation; only part of the funds, so start-up tranches together stay below the
    approved amount. ``expected_version`` is the lifecycle record's."""
    project, lc = _project(actor, project_id, FUNDS_MANAGE)
    steps.check_version(lc, expected_version, "projects.funds.changed")
    steps.require_state(project, steps.AFTER_APPROVAL, "安排拨付")
    _not_closed(lc)
    _not_frozen(lc)
    t = _totals(project.pk)
    room = _approved(project) - t["scheduled"] - t["tranche_paid"]
    _raise([
        _amount_problem(amount, "amount", "拨付金额", ceiling=max(room, 0)),
        text_problem(purpose, 200, "purpose", "拨付依据"),
        _startup_problem(project, lc, amount) if startup else None,
    ], "拨付计划填写有误，请按提示逐项修改。")  # fmt: skip
    number = int(Tranche.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    tranche = Tranche.objects.create(
        project=project,
        number=number,
        amount=amount,
        purpose=purpose.strip(),
        startup=bool(startup),
        created_by=actor.username[:150],
    )
    _touch(lc)
    audit.record(
        actor=actor, action="projects.tranche.schedule", obj=tranche, after=_tranche_snapshot(tranche)
    )
    return tranche


@transaction.atomic
def tranche_pay(*, actor: Actor, tranche_id: int, expected_version: int | None, voucher: str,
                on: dt.date | None = None) -> tuple[Tranche, list[Decision]]:  # fmt: skip
    """Pay a scheduled tranche through gate F (the tranche is the request). A block raises ``RuleBlocked``
    and nothing is written; otherwise the tranche, its payment entry, the gate record and the change record
    are written together. Returns the tranche and the warnings. Two clerks at once: one pays, the other
    gets ``projects.tranche.changed`` (or ``projects.tranche.paid``)."""
    project_id = Tranche.objects.filter(pk=tranche_id).values_list("project_id", flat=True).first()
    if project_id is None:
        raise steps.missing(TRANCHE_NOT_FOUND, tranche_id, "拨付批次")
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None or not actor.can(FUNDS_MANAGE, project.scope()):
        raise steps.missing(TRANCHE_NOT_FOUND, tranche_id, "拨付批次")
    lc = steps.lifecycle_of(project)
    lc = Lifecycle.objects.select_for_update().get(pk=lc.pk)
    tranche = Tranche.objects.select_for_update().get(pk=tranche_id)
    steps.check_version(tranche, expected_version, "projects.tranche.changed")
    if tranche.state == TrancheState.PAID:
        raise Conflict(
            "projects.tranche.paid", f"第 {tranche.number} 批已于 {tranche.paid_on} 拨付，不能重复拨付。"
        )
    _not_frozen(lc)
    if tranche.state != TrancheState.SCHEDULED:
        raise Conflict("projects.tranche.wrong_state",
                       f"第 {tranche.number} 批当前为“{TrancheState(tranche.state).label}”，不能拨付。")  # fmt: skip
    steps.require_state(project, steps.AFTER_APPROVAL, "拨付资金")
    _not_closed(lc)
    _raise([text_problem(voucher, 64, "voucher", "拨付凭证号", required=True)])
    day = on or steps.today()
    rs = steps.ruleset_of(project)
    f = funds_facts(project, day, tranche.amount, startup=tranche.startup)
    ds = evaluate_f(f, rs)
    warnings = raise_if_blocked(ds)
    before = _tranche_snapshot(tranche)
    tranche.state, tranche.paid_on, tranche.paid_by = TrancheState.PAID, day, actor.username[:150]
    tranche.voucher = voucher.strip()
    steps.bump(tranche)
    tranche.save()
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                project=project, tranche=tranche, kind=EntryKind.PAYMENT, amount=tranche.amount, booked_on=day,
                reference=tranche.voucher, created_by=actor.username[:150],
            )  # fmt: skip
    except IntegrityError as exc:  # pragma: no cover - only without the row locks above
        raise Conflict("projects.tranche.paid", f"第 {tranche.number} 批已拨付，不能重复拨付。") from exc
    steps.record_gate(project, "F", rs, f, ds, actor)
    audit.record(actor=actor, action="projects.tranche.pay", obj=tranche, before=before, after={
        **_tranche_snapshot(tranche), "decisions": [d.as_dict() for d in ds],
    })  # fmt: skip
    return tranche, warnings


def _freeze(project: Project, lc: Lifecycle) -> int:
    """Scheduled tranches → frozen and the lifecycle marked frozen; the amount frozen."""
    frozen = int(
        Tranche.objects.filter(project=project, state=TrancheState.SCHEDULED).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    Tranche.objects.filter(project=project, state=TrancheState.SCHEDULED).update(state=TrancheState.FROZEN)
    lc.funds_frozen = True
    return frozen


def _recover(project: Project, amount: int, reference: str, note: str, on: dt.date, actor: Actor) -> None:
    if amount > 0:
        LedgerEntry.objects.create(
            project=project, kind=EntryKind.RECOVERY, amount=amount, booked_on=on, reference=reference,
            note=note[:500], created_by=actor.username[:150],
        )  # fmt: skip


@transaction.atomic
def recovery_sweep(*, actor: Actor, jurisdiction: str, on: dt.date | None = None) -> list[RecoveryNotice]:
    """PRJ-F2 over the jurisdiction (and below): every approved project not started within the ruleset's
    months of approval, without force majeure, gets one recovery notice; what was paid is recovered (a
    recovery entry for the net paid) and the unpaid rest frozen (scheduled tranches → frozen, the project
    marked frozen). A project already noticed under PRJ-F2 is left alone, so the sweep can run daily."""
    place = Jurisdiction.objects.filter(pk=jurisdiction).first()
    if place is None or not actor.can(FUNDS_MANAGE, Scope(jurisdiction=place.code)):
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权办理其资金收回。")
    day = on or steps.today()
    prefix = jurisdiction_prefix(place.code)
    candidates = (
        Project.objects.filter(state=ProjectState.APPROVED, jurisdiction__code__startswith=prefix)
        .exclude(recovery_notices__rule="PRJ-F2")
        .exclude(lifecycle__started_on__isnull=False, lifecycle__started_on__lte=day)
    )
    rulesets: dict[str, Ruleset] = {}

    def blocked(facts: dict[int, FundsFacts], jur: dict[int, str]) -> dict[int, list[Decision]]:
        out: dict[int, list[Decision]] = {}
        for pid, f in facts.items():
            code = jur[pid]
            if code not in rulesets:
                from sanbu.orgs.rulesets import ruleset_for_jurisdiction

                rulesets[code] = ruleset_for_jurisdiction(code)
            ds = evaluate_f(f, rulesets[code])
            if any(d.rule_id == "PRJ-F2" and d.outcome is Outcome.BLOCK for d in ds):
                out[pid] = ds
        return out

    jur = dict(candidates.values_list("pk", "jurisdiction_id"))
    first = blocked(funds_facts_many(candidates, day), jur)
    if not first:
        return []
    # under the locks, in id order, decided again (a payment or a start may have come in meanwhile)
    locked = list(Project.objects.select_for_update().filter(pk__in=sorted(first)).order_by("pk"))
    lifecycles = {p.pk: steps.lifecycle_of(p) for p in locked}
    list(
        Lifecycle.objects.select_for_update()
        .filter(pk__in=[lc.pk for lc in lifecycles.values()])
        .order_by("pk")
    )
    again = blocked(funds_facts_many(locked, day), jur)
    notices: list[RecoveryNotice] = []
    for project in locked:
        if project.pk not in again or project.recovery_notices.filter(rule="PRJ-F2").exists():
            continue
        ds = again[project.pk]
        f2 = next(d for d in ds if d.rule_id == "PRJ-F2")
        lc = Lifecycle.objects.get(pk=lifecycles[project.pk].pk)
        before = _life_snapshot(lc)
        net = _totals(project.pk)["net"]
        frozen = _freeze(project, lc)
        _touch(lc)
        notice = _notice(project, "PRJ-F2", f2.reason, ds, day, actor, frozen=frozen, recover=net)
        _recover(project, net, notice.number, f2.reason, day, actor)
        audit.record(actor=actor, action="projects.funds.recovery_notice", obj=project, before=before, after={
            **_life_snapshot(lc), "notice": notice.number, "rule": "PRJ-F2", "frozen_amount": frozen,
            "recover_amount": net, "decisions": notice.decisions,
        })  # fmt: skip
        notices.append(notice)
    return notices


@transaction.atomic
def recovery_issue(*, actor: Actor, project_id: int, amount: int | None = None,
                   expected_version: int | None = None, on: dt.date | None = None) -> RecoveryNotice:  # fmt: skip
    """PRJ-F4: a post-subsidy project whose evaluation failed; recover ``amount`` (default: all of the net
    paid, 003 十 "全部或部分") with a notice and a recovery entry."""
    project, lc = _project(actor, project_id, FUNDS_MANAGE)
    steps.check_version(lc, expected_version, "projects.funds.changed")
    day = on or steps.today()
    rs = steps.ruleset_of(project)
    f = funds_facts(project, day)
    ds = evaluate_f(f, rs)
    f4 = next((d for d in ds if d.rule_id == "PRJ-F4"), None)
    if f4 is None or f4.outcome is not Outcome.BLOCK or f.evaluation_passed is not False:
        raise Conflict(
            "projects.funds.no_recovery_due", "只有考核验收未通过的后补助项目才能按 PRJ-F4 收回资金。"
        )
    net = _totals(project.pk)["net"]
    if net <= 0:
        raise Conflict("projects.funds.nothing_to_recover", "该项目没有可收回的已拨付资金。")
    amount = net if amount is None else amount
    _raise([_amount_problem(amount, "amount", "收回金额", ceiling=net)])
    before = _life_snapshot(lc)
    _touch(lc)
    notice = _notice(project, "PRJ-F4", f4.reason, ds, day, actor, frozen=0, recover=amount)
    _recover(project, amount, notice.number, f4.reason, day, actor)
    audit.record(actor=actor, action="projects.funds.recovery_notice", obj=project, before=before, after={
        **_life_snapshot(lc), "notice": notice.number, "rule": "PRJ-F4", "recover_amount": amount,
        "decisions": notice.decisions,
    })  # fmt: skip
    return notice


@transaction.atomic
def funds_close(*, actor: Actor, project_id: int, expected_version: int | None, balance: int, returned: int,
                goals_or_content_changed: bool, on: dt.date | None = None) -> tuple[Lifecycle, list[Decision]]:  # fmt: skip
    """竣工财务决算 (PRJ-F3): record the balance left and what of it is returned now (a return entry). With
    goals and content unchanged the whole balance must be returned, else ``RuleBlocked`` and nothing is
    written; changed goals go to finance's judgement (needs-review, returned with the warnings). Scheduled
    tranches are cancelled: the account is closed."""
    project, lc = _project(actor, project_id, FUNDS_MANAGE)
    steps.check_version(lc, expected_version, "projects.funds.changed")
    steps.require_state(project, steps.AFTER_APPROVAL, "办理竣工财务决算")
    _not_closed(lc)
    net = _totals(project.pk)["net"]
    errors = [
        _amount_problem(balance, "balance", "结余资金", ceiling=net, zero=True),
        _amount_problem(returned, "returned", "退回金额", ceiling=min(net, balance) if isinstance(balance, int) else net,
                        zero=True),
    ]  # fmt: skip
    _raise(errors, "竣工财务决算填写有误，请按提示逐项修改。")
    day = on or steps.today()
    rs = steps.ruleset_of(project)
    base = funds_facts(project, day)
    ever_planned = (
        PlanEntry.objects.filter(project=project, plan__state=PlanState.ISSUED)
        .filter(Q(dynamic=False) | Q(addition_approved_at__isnull=False))
        .exists()
    )
    f = replace(
        base, closing=True, balance=balance, returned=base.returned + returned,
        goals_or_content_changed=bool(goals_or_content_changed),
        in_annual_plan=base.in_annual_plan or ever_planned,  # closing moves no new money: any year's plan
    )  # fmt: skip
    ds = evaluate_f(f, rs)
    warnings = raise_if_blocked(ds)
    before = _life_snapshot(lc)
    lc.closed_on, lc.balance, lc.goals_or_content_changed = day, balance, bool(goals_or_content_changed)
    cancelled = list(
        Tranche.objects.filter(project=project, state=TrancheState.SCHEDULED).values_list("number", flat=True)
    )
    Tranche.objects.filter(project=project, state=TrancheState.SCHEDULED).update(state=TrancheState.CANCELLED)
    _touch(lc)
    if returned > 0:
        LedgerEntry.objects.create(
            project=project, kind=EntryKind.RETURN, amount=returned, booked_on=day, reference="竣工财务决算",
            note=f"结余 {balance} 元，退回 {returned} 元", created_by=actor.username[:150],
        )  # fmt: skip
    steps.record_gate(project, "F", rs, f, ds, actor)
    audit.record(actor=actor, action="projects.funds.close", obj=project, before=before, after={
        **_life_snapshot(lc), "returned": returned, "cancelled_tranches": cancelled,
        "decisions": [d.as_dict() for d in ds],
    })  # fmt: skip
    return lc, warnings


# --- selectors (read-only, with the actor) ----------------------------------------------------------------


def _visible_plans(actor: Actor) -> QuerySet[AnnualPlan]:
    qs = AnnualPlan.objects.all()
    if actor.is_superuser:
        return qs
    visible = Q(pk__in=[])
    for prefix in {*actor.jurisdictions_for(VIEW), *actor.jurisdictions_for(PLAN_MANAGE)}:
        visible |= Q(jurisdiction__code__startswith=prefix)
    return qs.filter(visible)


def plan_list(*, actor: Actor) -> list[AnnualPlan]:
    """The annual plans of the jurisdictions the actor sees, newest year first."""
    if not (actor.may(VIEW) or actor.may(PLAN_MANAGE)):
        raise PermissionDenied("projects.plan.forbidden", "您无权查看年度建设计划。")
    return list(_visible_plans(actor).select_related("jurisdiction").order_by("-year", "jurisdiction_id"))


def plan_get(*, actor: Actor, plan_id: int) -> AnnualPlan:
    """One plan (its ``entries`` prefetched with their projects); NotFound if missing or not visible."""
    plan = (
        _visible_plans(actor).select_related("jurisdiction").prefetch_related("entries__project")
        .filter(pk=plan_id).first()
    )  # fmt: skip
    if plan is None:
        raise steps.missing(PLAN_NOT_FOUND, plan_id, "年度计划")
    return plan


@dataclass(frozen=True)
class ProjectFunds:
    """What the finance page shows for one project."""

    project: Project
    lifecycle: Lifecycle | None
    plan_entries: list[PlanEntry]
    tranches: list[Tranche]
    entries: list[LedgerEntry]
    notices: list[RecoveryNotice]
    summary: dict[str, int]
    decisions: list[Decision]


def project_funds(*, actor: Actor, project_id: int, today: dt.date | None = None) -> ProjectFunds:
    """The project's plan entries, tranches, ledger, notices, ledger summary and gate F as it stands (for
    the next scheduled tranche, if any). NotFound if missing or not visible to the actor."""
    project = Project.objects.visible_to(actor).select_related("unit").filter(pk=project_id).first()
    if project is None:
        raise steps.missing(pk=project_id)
    tranches = list(Tranche.objects.filter(project=project).order_by("number"))
    nxt = next((t.amount for t in tranches if t.state == TrancheState.SCHEDULED), 0)
    return ProjectFunds(
        project=project, lifecycle=Lifecycle.objects.filter(project=project).first(),
        plan_entries=list(PlanEntry.objects.filter(project=project).select_related("plan").order_by("plan__year")),
        tranches=tranches, entries=list(LedgerEntry.objects.filter(project=project).order_by("id")),
        notices=list(RecoveryNotice.objects.filter(project=project).order_by("id")),
        summary=ledger_summary(project), decisions=funds_decisions(project, today, nxt),
    )  # fmt: skip
