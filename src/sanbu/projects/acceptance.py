"""Acceptance of an approved project (竣工验收, gate K: PRJ-K1..K5): the unit's trial run, materials and
application (``APPLY``), the data resource authority's sharing confirmation, the panel, the decision and
the report filing (``REVIEW``). ``docs/acceptance-operations.md`` has the choices.

Facts come from the platform: the promised resources' states are read from the catalog **now** (a
resource unpublished after the confirmation fails PRJ-K2 again), docking from the inventory
(``docked_many``), everything else from the project's ``Lifecycle`` row. ``sharing_confirmed`` is true
only when the authority's frozen confirmation snapshot exists.

Which resources a project promised (``sharing_check``): the catalog resources it declared it would
provide (``ProjectResource`` direction ``provide``), the resources it named as new (``provides_new``,
looked up by name among the unit's catalog resources, else ``missing``), and the resources provided by
the systems it concerns. Those systems are the ones it affects (``project.systems``) and the unit's
systems registered as built by it (``built_by_project`` = its name or approval number); retired systems
do not count. A project with no such system is judged not docked (its system must be in the inventory).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from sanbu.catalog.models import MountKind, Resource
from sanbu.catalog.models import ResourceState as CatalogState
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, NotFound, PermissionDenied, raise_if_blocked, text_problem
from sanbu.inventory.models import InformationSystem, SystemStatus
from sanbu.inventory.selectors import docked_many
from sanbu.orgs.models import Department
from sanbu.policy.decisions import Decision
from sanbu.policy.facts import ResourceState
from sanbu.policy.lifecycle_facts_k import AcceptanceFacts, AcceptancePanel, PromisedResource
from sanbu.policy.panel import recuse
from sanbu.policy.rules.acceptance import MATERIALS, evaluate_k
from sanbu.policy.rulesets import Ruleset

from . import steps
from .models import (
    APPLY,
    REVIEW,
    SCORE,
    AcceptanceConclusion,
    AcceptanceReview,
    Direction,
    Lifecycle,
    Project,
    ProjectResource,
    ProjectState,
)
from .services import expert_pool

CONFIRMATION = "sharing_confirmation"  # the K3 material the authority's confirmation provides
MISSING_LABEL = "不在目录中"
NO_SYSTEM = "未在信息系统清单中找到本项目建设或涉及的信息系统，请登记系统（“建设项目”填写本项目名称）"
MAX_PANEL = 99
LIFECYCLE_FIELDS = [
    "trial_run_started", "trial_run_ended", "trial_run_normal", "final_inspection_done", "dengbao_tested",
    "applied_on", "extension_reason", "materials", "panel_members", "panel_third_party", "panel_names",
    "confirmed_by", "confirmed_at", "accepted_on", "acceptance_opinion", "report_filed_on", "version",
]  # fmt: skip
PROJECT_FIELDS = ["state", "version"]


# --- the catalog's states as the rules read them -----------------------------------------------------


def resource_state(catalog_state: str | None, mount_kind: str) -> ResourceState:
    """The catalog's workflow state as gate K/O read it: published, mounted (also a resource taken offline
    that still has its mount: it only needs publishing again), else registered; ``None``: missing."""
    if catalog_state is None:
        return ResourceState.MISSING
    if catalog_state == CatalogState.PUBLISHED:
        return ResourceState.PUBLISHED
    if catalog_state == CatalogState.MOUNTED or (catalog_state == CatalogState.OFFLINE and mount_kind):
        return ResourceState.MOUNTED
    return ResourceState.REGISTERED


def state_label(catalog_state: str | None) -> str:
    if catalog_state is None:
        return MISSING_LABEL
    return str(CatalogState(catalog_state).label) if catalog_state in CatalogState.values else catalog_state


@dataclass(frozen=True)
class PromisedCheck:
    """One resource a project must provide, as the catalog has it now."""

    resource_id: int | None  # None: not in the catalog
    code: str
    name: str
    state: ResourceState
    catalog_state: str  # the catalog's own state (draft … offline); "" when missing
    mounted: bool  # data rows or an interface are mounted now
    via: str  # "项目承诺" or the name of the system that provides it

    @property
    def shared(self) -> bool:
        return self.state is ResourceState.PUBLISHED and self.mounted

    @property
    def state_label(self) -> str:
        return state_label(self.catalog_state or None)

    @property
    def ok(self) -> bool:
        return self.shared

    @property
    def label(self) -> str:
        return f"资源：{self.name}（{self.code or '未编目'}）"

    @property
    def detail(self) -> str:
        mount = "已挂接数据或接口" if self.mounted else "未挂接"
        return f"目录状态：{self.state_label}，{mount}；来源：{self.via}"

    def promised(self) -> PromisedResource:
        return PromisedResource(self.code, self.name, self.state, self.mounted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.resource_id, "code": self.code, "name": self.name, "state": self.state.value,
            "state_label": self.state_label, "mounted": self.mounted, "via": self.via, "shared": self.shared,
        }  # fmt: skip


@dataclass(frozen=True)
class SystemCheck:
    """One system the project built or affects: docked (inventory) and able to share."""

    system_id: int | None  # None: the row saying no system is on record
    name: str
    docked: bool
    reason: str  # why docked or not, from the inventory
    can_share: bool  # provides nothing on record, or at least one published resource (as PRJ-A3 reads it)

    @property
    def ok(self) -> bool:
        return self.docked and self.can_share

    @property
    def label(self) -> str:
        return f"系统：{self.name}"

    @property
    def detail(self) -> str:
        return self.reason + ("" if self.can_share else "；所提供的目录资源均未发布，不能互联共享")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"id": self.system_id}


NO_SYSTEM_ROW = SystemCheck(None, "（无）", False, NO_SYSTEM, True)


@dataclass(frozen=True)
class SharingCheck:
    """PRJ-K2's fact base for one project. Iterating gives one row per promised resource, then one per
    system (or one saying no system is on record), each with ``label``, ``detail`` and ``ok``."""

    resources: tuple[PromisedCheck, ...] = ()
    systems: tuple[SystemCheck, ...] = ()

    def rows(self) -> list[PromisedCheck | SystemCheck]:
        return [*self.resources, *(self.systems or (NO_SYSTEM_ROW,))]

    def __iter__(self) -> Iterator[PromisedCheck | SystemCheck]:
        return iter(self.rows())

    def __len__(self) -> int:
        return len(self.rows())

    @property
    def system_docked(self) -> bool:
        """Docked: at least one system on record, and every one of them docked."""
        return bool(self.systems) and all(s.docked for s in self.systems)

    @property
    def system_can_share(self) -> bool:
        return all(s.can_share for s in self.systems)

    @property
    def failing(self) -> list[PromisedCheck]:
        return [r for r in self.resources if not r.shared]

    def systems_json(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.systems or (NO_SYSTEM_ROW,)]


def promised_check(
    rid: int | None, code: str, name: str, cstate: str | None, mount: str, via: str
) -> PromisedCheck:
    return PromisedCheck(
        rid, code or "", name or "", resource_state(cstate, mount or ""), cstate or "",
        cstate is not None and bool(mount) and mount != MountKind.NONE, via,
    )  # fmt: skip


def _attr(p: Any, name: str, default: Any = None) -> Any:
    return getattr(p, name, default)


def sharing_many(projects: Sequence[Any], today: date) -> dict[int, SharingCheck]:
    """``SharingCheck`` of many projects (instances or rows with ``pk``, ``unit_id``, ``name``,
    ``approval_number``, ``provides_new``) in a fixed number of queries."""
    if not projects:
        return {}
    ids = [p.pk for p in projects]
    units = {p.unit_id for p in projects}
    resources: dict[int, dict[int | str, PromisedCheck]] = defaultdict(dict)
    rows = (
        ProjectResource.objects.filter(project_id__in=ids, direction=Direction.PROVIDE)
        .order_by("id")
        .values_list("project_id", "resource_id", "resource__code", "resource__name", "resource__state",
                     "resource__mount_kind")
    )  # fmt: skip
    for pid, rid, code, name, cstate, mount in rows:
        resources[pid][rid] = promised_check(rid, code, name, cstate, mount, "项目承诺")
    new_names = {n for p in projects for n in (_attr(p, "provides_new") or ())}
    catalogued: dict[tuple[int, str], tuple[int, str, str, str]] = {}
    if new_names:
        for dept, name, rid, code, cstate, mount in Resource.objects.filter(
            department_id__in=units, name__in=new_names
        ).values_list("department_id", "name", "pk", "code", "state", "mount_kind"):
            catalogued[(dept, name)] = (rid, code, cstate, mount)
    through = Project.systems.through
    links = list(through.objects.filter(project_id__in=ids).values_list("project_id", "informationsystem_id"))
    systems = list(
        InformationSystem.objects.filter(
            Q(pk__in=[sid for _, sid in links]) | (Q(department_id__in=units) & ~Q(built_by_project=""))
        )
        .exclude(status=SystemStatus.RETIRED)
        .only("id", "name", "department_id", "jurisdiction_id", "built_by_project", "status")
        .order_by("name", "id")
    )
    keys = {(p.unit_id, k) for p in projects for k in (p.name, _attr(p, "approval_number") or "") if k}
    linked_ids = {sid for _, sid in links}
    systems = [s for s in systems if s.pk in linked_ids or (s.department_id, s.built_by_project) in keys]
    by_id = {s.pk: s for s in systems}
    built: dict[tuple[int, str], list[int]] = defaultdict(list)
    for s in systems:
        if s.built_by_project:
            built[(s.department_id, s.built_by_project)].append(s.pk)
    linked: dict[int, list[int]] = defaultdict(list)
    for pid, sid in links:
        linked[pid].append(sid)
    provided: dict[int, list[tuple[int, str, str, str, str]]] = defaultdict(list)
    for sid, rid, code, name, cstate, mount in (
        InformationSystem.provides.through.objects.filter(informationsystem_id__in=list(by_id))
        .order_by("resource__code", "resource_id")
        .values_list("informationsystem_id", "resource_id", "resource__code", "resource__name",
                     "resource__state", "resource__mount_kind")
    ):  # fmt: skip
        provided[sid].append((rid, code, name, cstate, mount))
    docking = docked_many(systems, today)
    out: dict[int, SharingCheck] = {}
    for p in projects:
        own = dict(resources[p.pk])
        for name in _attr(p, "provides_new") or ():
            hit = catalogued.get((p.unit_id, name))
            if hit is None:
                own.setdefault(f"new:{name}", promised_check(None, "", name, None, "", "项目承诺（新增）"))
            else:
                own.setdefault(
                    hit[0], promised_check(hit[0], hit[1], name, hit[2], hit[3], "项目承诺（新增）")
                )
        names = sorted({k for k in (p.name, _attr(p, "approval_number") or "") if k})
        sids = list(dict.fromkeys([
            *(sid for sid in linked[p.pk] if sid in by_id),
            *(sid for k in names for sid in built.get((p.unit_id, k), ())),
        ]))  # fmt: skip
        checks: list[SystemCheck] = []
        for sid in sids:
            s = by_id[sid]
            offers = provided[sid]
            for rid, code, name, cstate, mount in offers:
                own.setdefault(rid, promised_check(rid, code, name, cstate, mount, s.name))
            can_share = not offers or any(c == CatalogState.PUBLISHED for _, _, _, c, _ in offers)
            d = docking[sid]
            checks.append(SystemCheck(sid, s.name, d.docked, d.reason, can_share))
        out[p.pk] = SharingCheck(tuple(own.values()), tuple(checks))
    return out


def sharing_check(project: Project, today: date) -> SharingCheck:
    """PRJ-K2's fact base: each promised resource's catalog state now and each system's docking."""
    return sharing_many([project], today)[project.pk]


# --- facts -------------------------------------------------------------------------------------------

_LC_VALUES = (
    "project_id", "trial_run_started", "trial_run_ended", "trial_run_normal", "final_inspection_done",
    "dengbao_tested", "applied_on", "extension_reason", "materials", "panel_members", "panel_third_party",
    "confirmed", "accepted_on", "report_filed_on",
)  # fmt: skip


def _materials(stored: Any, confirmed: bool) -> tuple[str, ...]:
    """The unit's materials as stored; the confirmation counts only when the authority's snapshot exists."""
    keys = [str(m) for m in (stored or []) if str(m) != CONFIRMATION]
    if confirmed:
        keys.append(CONFIRMATION)
    return tuple(dict.fromkeys(keys))


def acceptance_facts_many(projects: Sequence[Any], today: date) -> dict[int, AcceptanceFacts]:
    """Gate K facts of many projects (instances or rows with ``pk``, ``unit_id``, ``name``, ``amount``,
    ``approved_amount``, ``involves_secrets``, ``approval_number``, ``provides_new``) in a fixed number of
    queries. Every project given is in the result; one whose trial run has not started is judged as
    starting ``today`` (PRJ-K1 then blocks: the trial run is 0 months)."""
    if not projects:
        return {}
    ids = [p.pk for p in projects]
    # whether the confirmation snapshot exists, not the snapshot itself
    has_snapshot = ExpressionWrapper(Q(confirmation__isnull=False), output_field=BooleanField())
    rows = Lifecycle.objects.filter(project_id__in=ids).annotate(confirmed=has_snapshot).values(*_LC_VALUES)
    lifecycles = {row["project_id"]: row for row in rows}
    names = dict(Department.objects.filter(pk__in={p.unit_id for p in projects}).values_list("pk", "name"))
    sharing = sharing_many(projects, today)
    out: dict[int, AcceptanceFacts] = {}
    for p in projects:
        lc = lifecycles.get(p.pk, {})
        check = sharing[p.pk]
        confirmed = bool(lc.get("confirmed"))
        members = int(lc.get("panel_members") or 0)
        out[p.pk] = AcceptanceFacts(
            name=p.name, unit=names.get(p.unit_id, ""), amount=int(_attr(p, "approved_amount") or p.amount),
            trial_run_started=lc.get("trial_run_started") or today, today=today,
            final_inspection_done=bool(lc.get("final_inspection_done")),
            system_docked=check.system_docked, system_can_share=check.system_can_share,
            sharing_confirmed=confirmed,
            panel=AcceptancePanel(members, min(int(lc.get("panel_third_party") or 0), members)),
            dengbao_tested=bool(lc.get("dengbao_tested")), trial_run_ended=lc.get("trial_run_ended"),
            trial_run_normal=bool(lc.get("trial_run_normal", True)), applied_on=lc.get("applied_on"),
            extension_requested=bool((lc.get("extension_reason") or "").strip()),
            involves_secrets=bool(_attr(p, "involves_secrets", False)),
            promised=tuple(r.promised() for r in check.resources),
            materials=_materials(lc.get("materials"), confirmed), accepted_on=lc.get("accepted_on"),
            report_filed_on=lc.get("report_filed_on"),
        )  # fmt: skip
    return out


def acceptance_facts(project: Project, today: date) -> AcceptanceFacts:
    return acceptance_facts_many([project], today)[project.pk]


def _ruleset_cache() -> Any:
    from sanbu.orgs.rulesets import ruleset_for_jurisdiction

    cache: dict[str, Ruleset] = {}

    def get(code: str) -> Ruleset:
        if code not in cache:
            cache[code] = ruleset_for_jurisdiction(code)
        return cache[code]

    return get


def acceptance_decisions(
    project: Project, today: date | None = None, *, ruleset: Ruleset | None = None
) -> list[Decision]:
    """Gate K for ``project`` as of ``today`` with its jurisdiction's ruleset (or ``ruleset``)."""
    today = today or steps.today()
    return evaluate_k(acceptance_facts(project, today), ruleset or steps.ruleset_of(project))


def acceptance_decisions_many(projects: Sequence[Any], today: date) -> dict[int, list[Decision]]:
    """Gate K of many projects (rows also need ``jurisdiction_id``), one ruleset read per jurisdiction."""
    rulesets = _ruleset_cache()
    facts = acceptance_facts_many(projects, today)
    return {p.pk: evaluate_k(facts[p.pk], rulesets(p.jurisdiction_id)) for p in projects}


# --- services ----------------------------------------------------------------------------------------


def _locked(project_id: int, actor: Actor, action: str) -> tuple[Project, Lifecycle]:
    project = steps.locked(Project, project_id, actor, action)
    lc, _ = Lifecycle.objects.select_for_update().get_or_create(project=project)
    lc.project = project
    return project, lc


def _snapshot(lc: Lifecycle) -> dict[str, Any]:
    return audit.snapshot(lc, LIFECYCLE_FIELDS)


def _save(actor: Actor, lc: Lifecycle, action: str, before: dict[str, Any], **extra: Any) -> Lifecycle:
    steps.bump(lc)
    lc.save()
    audit.record(actor=actor, action=f"projects.acceptance.{action}", obj=lc, before=before,
                 after={**_snapshot(lc), **extra})  # fmt: skip
    return lc


def _date_problem(value: date, name: str, label: str, *, not_before: date | None, before_label: str,
                  today: date | None) -> FieldError | None:  # fmt: skip
    if today is not None and value > today:
        return FieldError(name, "in_future", f"{label}不能晚于今天（{today.isoformat()}）。")
    if not_before is not None and value < not_before:
        return FieldError(name, "too_early", f"{label}不能早于{before_label}（{not_before.isoformat()}）。")
    return None


def _approved_on(project: Project) -> date | None:
    return timezone.localdate(project.decided_at) if project.decided_at else None


def _not_applied(lc: Lifecycle, doing: str) -> None:
    if lc.applied_on is not None:
        raise Conflict(
            "projects.acceptance.applied", f"已于 {lc.applied_on.isoformat()} 提出竣工验收申请，不能{doing}。"
        )


@transaction.atomic
def trial_run_start(*, actor: Actor, project_id: int, started_on: date) -> Lifecycle:
    """The system is completed and its trial run begins (建成、开始试运行). Starting again (after an
    abnormal run) resets the end and the "normal" flag; not once the application is made."""
    project, lc = _locked(project_id, actor, APPLY)
    steps.require_state(project, [ProjectState.APPROVED], "开始试运行")
    _not_applied(lc, "重新开始试运行")
    steps.raise_errors([_date_problem(started_on, "started_on", "试运行开始日期", not_before=_approved_on(project),
                                      before_label="立项日期", today=steps.today())])  # fmt: skip
    before = _snapshot(lc)
    lc.trial_run_started, lc.trial_run_ended, lc.trial_run_normal = started_on, None, True
    return _save(actor, lc, "trial_run_start", before)


@transaction.atomic
def trial_run_end(*, actor: Actor, project_id: int, ended_on: date, normal: bool = True) -> Lifecycle:
    """The trial run ends, normal (稳定正常) or not."""
    project, lc = _locked(project_id, actor, APPLY)
    steps.require_state(project, [ProjectState.APPROVED], "结束试运行")
    if lc.trial_run_started is None:
        raise Conflict("projects.acceptance.no_trial_run", "尚未开始试运行，不能结束试运行。")
    _not_applied(lc, "修改试运行")
    steps.raise_errors([_date_problem(ended_on, "ended_on", "试运行结束日期", not_before=lc.trial_run_started,
                                      before_label="试运行开始日期", today=steps.today())])  # fmt: skip
    before = _snapshot(lc)
    lc.trial_run_ended, lc.trial_run_normal = ended_on, normal
    return _save(actor, lc, "trial_run_end", before)


@transaction.atomic
def acceptance_prepare(*, actor: Actor, project_id: int, expected_version: int | None, final_inspection_done: bool,
                       dengbao_tested: bool, materials: list[str]) -> Lifecycle:  # fmt: skip
    """The unit's acceptance file: 终验 done, 等保/分保 test passed, the materials present (keys of
    ``rules.acceptance.MATERIALS``). ``sharing_confirmation`` is not the unit's to tick: it is present
    when the authority has confirmed (``sharing_confirm``). ``expected_version``: the lifecycle's."""
    project, lc = _locked(project_id, actor, APPLY)
    steps.check_version(lc, expected_version)
    steps.require_state(project, [ProjectState.APPROVED], "准备验收材料")
    unknown = [m for m in materials if m not in MATERIALS]
    steps.raise_errors([
        FieldError("materials", "invalid_choice", f"未知的验收材料：{'、'.join(map(str, unknown[:10]))}。")
        if unknown else None
    ])  # fmt: skip
    before = _snapshot(lc)
    lc.final_inspection_done, lc.dengbao_tested = final_inspection_done, dengbao_tested
    lc.materials = list(_materials(materials, lc.confirmation is not None))
    return _save(actor, lc, "prepare", before)


@transaction.atomic
def acceptance_apply(*, actor: Actor, project_id: int, on: date | None = None,
                     extension_reason: str = "") -> tuple[Lifecycle, list[Decision]]:  # fmt: skip
    """The unit applies for acceptance (竣工验收申请) on ``on``. PRJ-K1 decides as of the application: a
    trial run too short or abnormal, a missing 终验 (where required), or an application later than the due
    date without a written extension reason raise ``RuleBlocked`` and nothing is written. Returns the
    lifecycle and PRJ-K1's decision (an allow may carry a note, e.g. late with an extension)."""
    project, lc = _locked(project_id, actor, APPLY)
    steps.require_state(project, [ProjectState.APPROVED], "申请竣工验收")
    if lc.trial_run_started is None:
        raise Conflict("projects.acceptance.no_trial_run", "尚未开始试运行，不能申请竣工验收。")
    _not_applied(lc, "重复申请")
    on = on or steps.today()
    reason = extension_reason.strip()
    steps.raise_errors([text_problem(extension_reason, 500, "extension_reason", "延期申请理由"),
                        _date_problem(on, "on", "申请日期", not_before=lc.trial_run_started,
                                      before_label="试运行开始日期", today=None)])  # fmt: skip
    rs = steps.ruleset_of(project)
    f = replace(acceptance_facts(project, on), applied_on=on, extension_requested=bool(reason))
    k1 = [d for d in evaluate_k(f, rs) if d.rule_id == "PRJ-K1"]
    raise_if_blocked(k1)
    before = _snapshot(lc)
    lc.applied_on, lc.extension_reason = on, reason
    _save(actor, lc, "apply", before, decisions=[d.as_dict() for d in k1])
    return lc, k1


@transaction.atomic
def sharing_confirm(
    *, actor: Actor, project_id: int, expected_version: int | None, on: date | None = None
) -> Lifecycle:
    """The data resource authority's 数据共享情况确认 (PRJ-K2), decided from the platform: every promised
    resource published and mounted, every system docked and able to share. Any failure raises
    ``RuleBlocked`` with PRJ-K2's decision (which resource, what would make it pass). Otherwise the facts
    are frozen into ``Lifecycle.confirmation`` (later catalog changes do not alter it) and the
    confirmation joins the acceptance materials. ``expected_version``: the lifecycle's."""
    project, lc = _locked(project_id, actor, REVIEW)
    steps.check_version(lc, expected_version)
    steps.require_state(project, [ProjectState.APPROVED], "确认数据共享情况")
    on = on or steps.today()
    rs = steps.ruleset_of(project)
    check = sharing_check(project, on)
    f = replace(acceptance_facts(project, on), sharing_confirmed=True)
    k2 = [d for d in evaluate_k(f, rs) if d.rule_id == "PRJ-K2"]
    raise_if_blocked(k2)
    now = timezone.now()
    before = _snapshot(lc)
    lc.confirmation = {
        "date": on.isoformat(), "confirmed_at": now.isoformat(), "confirmed_by": actor.username[:150],
        "ruleset": rs.name, "ruleset_version": rs.version,
        "resources": [r.as_dict() for r in check.resources], "systems": check.systems_json(),
        "decisions": [d.as_dict() for d in k2],
    }  # fmt: skip
    lc.confirmed_by, lc.confirmed_at = actor.username[:150], now
    lc.materials = list(_materials(lc.materials, True))
    return _save(actor, lc, "sharing_confirm", before, confirmation=lc.confirmation)


@transaction.atomic
def panel_record(*, actor: Actor, project_id: int, members: int, third_party: int, names: str) -> Lifecycle:
    """The acceptance panel (验收小组): its size, its third-party experts and their names. Whether it is
    large enough and third-party enough is PRJ-K4's to say at the decision."""
    project, lc = _locked(project_id, actor, REVIEW)
    steps.require_state(project, [ProjectState.APPROVED], "组织验收小组")
    if AcceptanceReview.objects.filter(project=project).exists():
        raise Conflict("projects.acceptance.panel_appointed",
                       "已在线指派验收专家，验收小组组成以指派为准，不能另行登记；如需调整请重新指派。")  # fmt: skip
    errors: list[FieldError | None] = [text_problem(names, 500, "names", "验收小组成员", required=True)]
    if not 1 <= members <= MAX_PANEL:
        errors.append(FieldError("members", "out_of_range", f"验收小组人数应在 1 到 {MAX_PANEL} 之间。"))
    elif not 0 <= third_party <= members:
        errors.append(
            FieldError("third_party", "out_of_range", f"第三方专家人数应在 0 到 {members}（小组人数）之间。")
        )
    steps.raise_errors(errors)
    before = _snapshot(lc)
    lc.panel_members, lc.panel_third_party, lc.panel_names = members, third_party, names.strip()
    return _save(actor, lc, "panel_record", before)


@transaction.atomic
def acceptance_decide(*, actor: Actor, project_id: int, expected_version: int | None, opinion: str,
                      on: date | None = None) -> tuple[Project, list[Decision]]:  # fmt: skip
    """Decide acceptance through gate K (PRJ-K1..K5) as of ``on``: a block raises ``RuleBlocked`` and
    nothing is written; a pass makes the project 已验收, records the decisions (gate record K) and returns
    the warnings. The promised resources are read from the catalog now: a confirmation on record does
    not help a resource unpublished since. ``expected_version``: the project's.

    A panel appointed online (``panel_appoint``) must have reviewed first: a Conflict
    (``projects.acceptance.panel_pending``) while anyone has not submitted, and
    (``projects.acceptance.panel_disagrees``) when half or more disagree. A panel held offline
    (``panel_record``, no appointments) leaves the decision to gate K alone."""
    project, lc = _locked(project_id, actor, REVIEW)
    steps.check_version(project, expected_version)
    steps.require_state(project, [ProjectState.APPROVED], "作出验收决定")
    if lc.applied_on is None:
        raise Conflict("projects.acceptance.not_applied", "项目单位尚未提出竣工验收申请，不能作出验收决定。")
    panel = _panel_verdict(project)
    steps.raise_errors([text_problem(opinion, 1000, "opinion", "验收意见", required=True)])
    on = on or steps.today()
    if on < lc.applied_on:
        steps.raise_errors(
            [FieldError("on", "too_early", f"验收日期不能早于申请日期（{lc.applied_on.isoformat()}）。")]
        )
    rs = steps.ruleset_of(project)
    f = replace(acceptance_facts(project, on), accepted_on=on)
    ds = evaluate_k(f, rs)
    warnings = raise_if_blocked(ds)
    before = {**audit.snapshot(project, PROJECT_FIELDS), "lifecycle": _snapshot(lc)}
    project.state = ProjectState.ACCEPTED
    steps.bump(project)
    project.updated_at = timezone.now()
    project.save(update_fields=["state", "version", "updated_at"])
    lc.accepted_on, lc.acceptance_opinion = on, opinion.strip()
    steps.bump(lc)
    lc.save()
    steps.record_gate(project, "K", rs, f, ds, actor)
    audit.record(actor=actor, action="projects.project.accept", obj=project, before=before,
                 after={**audit.snapshot(project, PROJECT_FIELDS), "lifecycle": _snapshot(lc),
                        "decisions": [d.as_dict() for d in ds], "panel_reviews": panel})  # fmt: skip
    return project, warnings


# --- the panel online: appointed from the pool, each expert's conclusion -----------------------------


def _panel_verdict(project: Project) -> list[dict[str, Any]]:
    """The appointed panel's conclusions, or a Conflict while someone has not submitted or when half or more
    disagree. Empty when no one was appointed (a panel held offline)."""
    rows = list(
        AcceptanceReview.objects.filter(project=project).order_by("id")
        .values("expert_id", "expert__name", "third_party", "conclusion")
    )  # fmt: skip
    if not rows:
        return []
    pending = sum(1 for r in rows if not r["conclusion"])
    if pending:
        raise Conflict(
            "projects.acceptance.panel_pending",
            f"验收小组还有 {pending} 名专家未提交验收意见（共 {len(rows)} 名），全部提交后才能作出验收决定。",
            pending=pending, members=len(rows),
        )  # fmt: skip
    against = sum(1 for r in rows if r["conclusion"] == AcceptanceConclusion.DISAGREE)
    if against * 2 >= len(rows):
        raise Conflict(
            "projects.acceptance.panel_disagrees",
            f"验收小组 {len(rows)} 名专家中有 {against} 名不同意通过验收（达到半数），不能作出验收通过决定。",
            disagree=against, members=len(rows),
        )  # fmt: skip
    return [
        {"expert": r["expert_id"], "name": r["expert__name"], "third_party": r["third_party"],
         "conclusion": r["conclusion"]}
        for r in rows
    ]  # fmt: skip


@transaction.atomic
def panel_appoint(*, actor: Actor, project_id: int, expert_ids: list[int],
                  expected_version: int | None = None) -> Lifecycle:  # fmt: skip
    """Appoint the acceptance panel (验收小组) from the active experts of the project's jurisdiction pool
    (county, city, province), recusing the unit's own staff and experts who declared a conflict with it.
    Replaces an earlier appointment as long as no one has reviewed. The lifecycle's panel composition
    (members, third-party experts, names) follows the appointments, so PRJ-K4 judges the real panel.
    ``expected_version``: the lifecycle's."""
    project, lc = _locked(project_id, actor, REVIEW)
    steps.check_version(lc, expected_version)
    steps.require_state(project, [ProjectState.APPROVED], "指派验收专家")
    ids = list(dict.fromkeys(int(i) for i in expert_ids))
    experts, pool = expert_pool(project)
    by_id = {e.pk: e for e in experts}
    errors: list[FieldError | None] = []
    if not ids:
        errors.append(FieldError("expert_ids", "required", "请至少选择一名验收专家。"))
    elif len(ids) > MAX_PANEL:
        errors.append(FieldError("expert_ids", "out_of_range", f"验收专家不能超过 {MAX_PANEL} 名。"))
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        errors.append(FieldError(
            "expert_ids", "not_in_pool",
            f"所选专家不在本地区专家库中或已出库（编号 {'、'.join(map(str, unknown[:10]))}）。",
        ))  # fmt: skip
    _, recused = recuse([c for c in pool if c.id in ids], project.unit_id)
    for r in recused:
        e = by_id[r.id]
        errors.append(FieldError("expert_ids", "recused", f"{e.name}（{e.employer}）：{r.reason}。"))
    steps.raise_errors(errors)
    existing = list(AcceptanceReview.objects.select_for_update().filter(project=project).order_by("id"))
    reviewed = [r for r in existing if r.reviewed_at is not None]
    if reviewed:
        raise Conflict(
            "projects.acceptance.panel_reviewed",
            f"已有 {len(reviewed)} 名验收专家提交意见，不能重新指派验收小组。", reviewed=len(reviewed),
        )  # fmt: skip
    chosen = [by_id[i] for i in ids]
    before = {**_snapshot(lc), "appointed": [r.expert_id for r in existing]}
    AcceptanceReview.objects.filter(pk__in=[r.pk for r in existing]).delete()
    now, who = timezone.now(), actor.username[:150]
    AcceptanceReview.objects.bulk_create([
        AcceptanceReview(project=project, expert=e, third_party=e.third_party, appointed_at=now, appointed_by=who)
        for e in chosen
    ])  # fmt: skip
    lc.panel_members = len(chosen)
    lc.panel_third_party = sum(1 for e in chosen if e.third_party)
    names = "、".join(f"{e.name}（{e.employer}{'，第三方' if e.third_party else ''}）" for e in chosen)
    lc.panel_names = names if len(names) <= 500 else names[:499] + "…"
    return _save(actor, lc, "panel_appoint", before, appointed=[e.pk for e in chosen])


def _review_missing(review_id: int | None = None) -> NotFound:
    return NotFound("projects.acceptance_review.not_found", "验收任务不存在或不属于您。", id=review_id)


@transaction.atomic
def acceptance_review(*, actor: Actor, review_id: int, conclusion: str, opinion: str) -> AcceptanceReview:
    """An appointed expert's conclusion on the acceptance (同意通过验收 or 不同意) with an opinion, once.
    Only the expert themself (``projects.expert.score``); anyone else: NotFound."""
    project_id = AcceptanceReview.objects.filter(pk=review_id).values_list("project_id", flat=True).first()
    # the project first (appointing locks it too), then the review as it stands under that lock
    project = Project.objects.select_for_update().filter(pk=project_id).first() if project_id else None
    r = AcceptanceReview.objects.select_for_update().select_related("expert").filter(pk=review_id).first()
    if (
        project is None or r is None or actor.user_id is None or r.expert.user_id != actor.user_id
        or not actor.may(SCORE)
    ):  # fmt: skip
        raise _review_missing(review_id)
    if r.reviewed_at is not None:
        raise Conflict("projects.acceptance_review.submitted", "您已提交过验收意见，不能重复提交。")
    steps.require_state(project, [ProjectState.APPROVED], "提交验收意见")
    choices = (AcceptanceConclusion.AGREE, AcceptanceConclusion.DISAGREE)
    steps.raise_errors([
        None if conclusion in choices else
        FieldError("conclusion", "invalid_choice", "请选择验收结论：同意通过验收或不同意。"),
        text_problem(opinion, 2000, "opinion", "验收意见", required=True),
    ])  # fmt: skip
    before = {"review": r.pk, "expert": r.expert_id, "conclusion": r.conclusion}
    r.conclusion, r.opinion, r.reviewed_at = conclusion, opinion.strip(), timezone.now()
    r.save(update_fields=["conclusion", "opinion", "reviewed_at"])
    audit.record(actor=actor, action="projects.acceptance.review", obj=project, before=before,
                 after={"review": r.pk, "expert": r.expert_id, "conclusion": conclusion,
                        "third_party": r.third_party})  # fmt: skip
    return r


def _tasks(actor: Actor) -> Any:
    if actor.user_id is None or not actor.may(SCORE):
        raise PermissionDenied("projects.acceptance_review.forbidden", "您不是评审专家。")
    return AcceptanceReview.objects.filter(expert__user_id=actor.user_id).select_related(
        "project", "project__unit", "expert"
    )


def acceptance_tasks(*, actor: Actor) -> list[AcceptanceReview]:
    """The expert's own acceptance appointments: those still to review first, newest first."""
    rows = list(_tasks(actor).order_by("-id"))
    return sorted(rows, key=lambda r: r.reviewed_at is not None)


def acceptance_task_get(*, actor: Actor, review_id: int) -> AcceptanceReview:
    """One of the expert's own acceptance appointments; NotFound if missing or another's."""
    try:
        r = _tasks(actor).filter(pk=review_id).first()
    except PermissionDenied:
        r = None
    if r is None:
        raise _review_missing(review_id)
    return r


def panel_reviews(project: Project) -> list[AcceptanceReview]:
    """The appointed panel of ``project`` with each expert's conclusion (for the pages)."""
    return list(project.acceptance_reviews.select_related("expert").order_by("id"))


@transaction.atomic
def report_file(*, actor: Actor, project_id: int, on: date | None = None) -> Lifecycle:
    """The acceptance report was filed (报送备案) on ``on``; PRJ-K4 warns when that is later than
    ``projects.acceptance_report_filing_months`` after acceptance."""
    project, lc = _locked(project_id, actor, REVIEW)
    steps.require_state(project, [ProjectState.ACCEPTED], "登记验收报告备案")
    on = on or steps.today()
    if lc.accepted_on is not None and on < lc.accepted_on:
        steps.raise_errors(
            [FieldError("on", "too_early", f"备案日期不能早于验收日期（{lc.accepted_on.isoformat()}）。")]
        )
    before = _snapshot(lc)
    lc.report_filed_on = on
    return _save(actor, lc, "report_file", before)


__all__ = [
    "PromisedCheck", "SharingCheck", "SystemCheck", "acceptance_apply", "acceptance_decide",
    "acceptance_decisions", "acceptance_decisions_many", "acceptance_facts", "acceptance_facts_many",
    "acceptance_prepare", "acceptance_review", "acceptance_task_get", "acceptance_tasks", "panel_appoint",
    "panel_record", "panel_reviews", "report_file", "resource_state", "sharing_check", "sharing_confirm",
    "sharing_many", "trial_run_end", "trial_run_start",
]  # fmt: skip
