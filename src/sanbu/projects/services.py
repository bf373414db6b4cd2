"""Project services: the only code that writes projects, experts, draws, scores and approvals.

Keyword-only, with the actor; one transaction; the permission checked inside on the project's scope
(forbidden looks like missing); the change record in the same transaction. Gates S and A are decided by
``sanbu.policy`` from ``facts`` built here, never from what the form says when the platform knows better.

State machine (``ProjectState``)::

    draft ──submit (gate S)──> submitted ──draw──> in_review ──last score──> reviewed
      │                          │   ▲ (redraw)                                 │
      └─withdraw                 └───┴── joint review, centre opinion ──────────┤
                                                   approve (gate A) / reject <──┘
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.catalog.models import ResourceState as CatalogState
from sanbu.core import audit
from sanbu.core.actor import Actor, Scope
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed, raise_if_blocked, text_problem
from sanbu.exchange import needs
from sanbu.inventory.models import InformationSystem
from sanbu.orgs.models import Department, Jurisdiction
from sanbu.orgs.selectors import acting_department
from sanbu.policy.decisions import Decision
from sanbu.policy.facts import CentreOpinion, ProjectClass, ProjectFacts, ProjectKind
from sanbu.policy.panel import Candidate, DrawError, draw, recuse
from sanbu.policy.rules.projects import (
    MATERIALS,
    MIN_SECRECY_EXPERTS,
    SEPARATE_KINDS,
    Gate,
    evaluate,
    review_route,
)
from sanbu.policy.rulesets import Ruleset, ancestors

from . import facts, steps
from .inputs import ProjectData
from .models import (
    APPLY,
    EXPERT_MANAGE,
    REVIEW,
    REVIEW_STATES,
    SCORE,
    Attachment,
    Conclusion,
    Direction,
    Expert,
    ExpertAssignment,
    ExpertDraw,
    JointConclusion,
    Project,
    ProjectResource,
    ProjectState,
)

NOT_FOUND = "projects.project.not_found"
MAX_AMOUNT = 10**12
MAX_ATTACHMENT = 20 * 1024 * 1024
PROJECT_FIELDS = [
    "name", "kind", "category", "project_class", "amount", "funding_source", "plan_year", "state", "route",
    "centre_opinion", "joint_conclusion", "approval_number", "approved_amount", "version",
]  # fmt: skip


ruleset_for = steps.ruleset_for


def _snapshot(p: Project) -> dict[str, Any]:
    return audit.snapshot(p, PROJECT_FIELDS)


def _missing(project_id: int | None = None) -> NotFound:
    return NotFound(NOT_FOUND, "项目不存在或您无权办理。", project_id=project_id)


def _locked(project_id: int, actor: Actor, action: str) -> Project:
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None or not actor.can(action, project.scope()):
        raise _missing(project_id)
    return project


_check_version = steps.check_version
_require_state = steps.require_state


def _touch(project: Project) -> None:
    project.version += 1
    project.updated_at = timezone.now()


# --- the application ---------------------------------------------------------------------------------


def validate(data: ProjectData, unit: Department, today: date) -> list[FieldError]:
    """Every problem with an application's data (empty when it may be saved)."""
    problems: list[FieldError | None] = [
        text_problem(data.name, 100, "name", "项目名称", required=True),
        text_problem(data.funding_source, 200, "funding_source", "资金来源"),
        text_problem(data.content, 5000, "content", "建设内容"),
        text_problem(data.technical_route, 500, "technical_route", "技术路线"),
        text_problem(
            data.hardware_outside_cloud_reason, 500, "hardware_outside_cloud_reason", "不上云的理由"
        ),
    ]
    if data.kind not in {k.value for k in ProjectKind}:
        labels = "、".join(k.value for k in ProjectKind)
        problems.append(FieldError("kind", "invalid_choice", f"建设性质应为：{labels}。"))
    if data.project_class not in {c.value for c in ProjectClass}:
        problems.append(
            FieldError(
                "project_class", "invalid_choice", "项目分类应为基础设施类、跨部门类、跨层级类或其他。"
            )
        )
    kinds = ruleset_for(unit.jurisdiction_id).value(SEPARATE_KINDS)
    if data.category != "其他" and data.category not in kinds:
        problems.append(
            FieldError("category", "invalid_choice", f"项目类别应为：{'、'.join([*kinds, '其他'])}。")
        )
    if not 1 <= data.amount <= MAX_AMOUNT:
        problems.append(FieldError("amount", "out_of_range", "申报金额应为大于 0 的整数（单位：元）。"))
    if not today.year - 1 <= data.plan_year <= today.year + 3:
        problems.append(FieldError(
            "plan_year", "out_of_range", f"计划年度应在 {today.year - 1} 至 {today.year + 3} 年之间。"
        ))  # fmt: skip
    for key, value in data.materials.items():
        if key not in MATERIALS:
            problems.append(FieldError("materials", "unknown", f"未知的申报材料“{key[:20]}”。"))
            break
        problems.append(text_problem(str(value), 5000, f"materials.{key}", MATERIALS[key]))
    for field, number, limit in (("design_life_years", data.design_life_years, 100),
                                 ("construction_months", data.construction_months, 240)):  # fmt: skip
        if number is not None and not 0 < number <= limit:
            problems.append(FieldError(field, "out_of_range", f"应为 1 到 {limit} 之间的整数。"))
    if data.library_entry_date is not None and data.library_entry_date > today:
        problems.append(FieldError("library_entry_date", "in_future", "入库日期不能晚于今天。"))
    if data.hardware_outside_cloud_reason.strip() and not data.hardware_outside_cloud:
        problems.append(FieldError(
            "hardware_outside_cloud_reason", "not_needed", "未勾选“新增硬件不部署在政务云”时不应填写理由。"
        ))  # fmt: skip
    from .selectors import declarable_resources

    usable = {r.pk for r in declarable_resources(unit=unit, ids=list(data.uses), limit=len(data.uses) + 1)}
    missing = [str(pk) for pk in data.uses if pk not in usable]
    if missing:
        problems.append(FieldError(
            "uses", "not_in_catalog",
            f"以下资源不在本辖区目录中或不可申报使用（已下线、已退回）：{'、'.join(missing)}。"
            "请改选目录中的资源，或先提出供需对接需求。",
        ))  # fmt: skip
    found = {r.pk: r for r in Resource.objects.filter(pk__in=set(data.provides))}
    foreign = [str(pk) for pk in data.provides if pk not in found or found[pk].department_id != unit.pk]
    if foreign:
        problems.append(FieldError(
            "provides", "not_own_resource", f"将提供的资源应为{unit.name}已编目的资源，以下不是：{'、'.join(foreign)}。"
        ))  # fmt: skip
    for i, name in enumerate(data.provides_new):
        problems.append(text_problem(name, 50, f"provides_new[{i}]", "将新提供的资源名称", required=True))
    own_systems = set(
        InformationSystem.objects.filter(pk__in=data.systems, department=unit).values_list("pk", flat=True)
    )
    strange = [str(pk) for pk in data.systems if pk not in own_systems]
    if strange:
        problems.append(FieldError(
            "systems", "not_own_system", f"涉及的信息系统应为{unit.name}已登记的系统，以下不是：{'、'.join(strange)}。"
        ))  # fmt: skip
    return [p for p in problems if p is not None]


def _clean(data: ProjectData) -> ProjectData:
    import dataclasses

    return dataclasses.replace(
        data, name=data.name.strip(), funding_source=data.funding_source.strip(), content=data.content.strip(),
        technical_route=data.technical_route.strip(),
        hardware_outside_cloud_reason=data.hardware_outside_cloud_reason.strip(),
        materials={k: str(v).strip() for k, v in data.materials.items() if str(v).strip()},
        uses=tuple(dict.fromkeys(data.uses)), provides=tuple(dict.fromkeys(data.provides)),
        provides_new=tuple(dict.fromkeys(n.strip() for n in data.provides_new if n.strip())),
        systems=tuple(dict.fromkeys(data.systems)),
    )  # fmt: skip


def _raise(errors: Sequence[FieldError]) -> None:
    if errors:
        raise ValidationFailed(
            "projects.project.invalid", "项目申报填写有误，请按提示逐项修改。", errors=list(errors)
        )


def unit_for(actor: Actor, unit_id: int | None) -> Department:
    return acting_department(actor, unit_id, APPLY, "以该部门申报项目")


def _write_links(project: Project, data: ProjectData) -> None:
    keep_needs = {
        (link.resource_id, link.direction): link.need_id for link in project.resources.all() if link.need_id
    }
    project.resources.all().delete()
    ProjectResource.objects.bulk_create(
        [ProjectResource(project=project, resource_id=pk, direction=Direction.USE,
                         need_id=keep_needs.get((pk, Direction.USE))) for pk in data.uses]
        + [ProjectResource(project=project, resource_id=pk, direction=Direction.PROVIDE) for pk in data.provides]
    )  # fmt: skip
    project.systems.set(data.systems)


@transaction.atomic
def project_create(*, actor: Actor, data: ProjectData, unit_id: int | None = None) -> Project:
    """Save a draft application (草稿); nothing is checked against the gates until it is submitted."""
    unit = unit_for(actor, unit_id)
    data = _clean(data)
    _raise(validate(data, unit, timezone.localdate()))
    now = timezone.now()
    project = Project.objects.create(
        unit=unit, jurisdiction_id=unit.jurisdiction_id, created_by=actor.username[:150], created_at=now,
        updated_at=now, **data.model_values(),
    )  # fmt: skip
    _write_links(project, data)
    audit.record(actor=actor, action="projects.project.create", obj=project, after=_snapshot(project))
    return project


@transaction.atomic
def project_update(
    *, actor: Actor, project_id: int, expected_version: int | None, data: ProjectData
) -> Project:
    """Change a draft (a submitted application comes back to draft only when the authority returns it)."""
    project = _locked(project_id, actor, APPLY)
    _check_version(project, expected_version)
    _require_state(project, (ProjectState.DRAFT,), "修改")
    data = _clean(data)
    _raise(validate(data, project.unit, timezone.localdate()))
    before = _snapshot(project)
    for name, value in data.model_values().items():
        setattr(project, name, value)
    _touch(project)
    project.save()
    _write_links(project, data)
    audit.record(
        actor=actor, action="projects.project.update", obj=project, before=before, after=_snapshot(project)
    )
    return project


def check(*, actor: Actor, data: ProjectData, unit_id: int | None = None,
          project_id: int | None = None) -> tuple[list[FieldError], list[Decision], list[Decision]]:  # fmt: skip
    """The live check of an application being filled in: field errors, then gate S and a preview of gate A
    as they would be decided now (writes nothing)."""
    project = None
    if project_id is not None:
        project = Project.objects.filter(pk=project_id).first()
        if project is None or not actor.can(APPLY, project.scope()):
            raise _missing(project_id)
        unit = project.unit
    else:
        unit = unit_for(actor, unit_id)
    data = _clean(data)
    today = timezone.localdate()
    errors = validate(data, unit, today)
    if errors:
        return errors, [], []
    f = facts.draft_facts(unit=unit, data=data, today=today, project=project)
    rs = ruleset_for(unit.jurisdiction_id)
    return [], evaluate(Gate.S, f, rs), evaluate(Gate.A, f, rs)


def project_facts(project: Project) -> ProjectFacts:
    return facts.facts_for([project], timezone.localdate())[project.pk]


def gate_decisions(project: Project, gates: Sequence[str] = ("S", "A")) -> dict[str, list[Decision]]:
    """The gates as they would decide for the project now, from one build of its facts."""
    f = project_facts(project)
    rs = ruleset_for(project.jurisdiction_id)
    return {g: evaluate(g, f, rs) for g in gates}


def decisions(project: Project, gate: str) -> list[Decision]:
    """Gate S or A as it would decide for the project now."""
    return gate_decisions(project, (gate,))[gate]


def _record_gate(
    project: Project, gate: Gate, rs: Ruleset, f: ProjectFacts, ds: list[Decision], actor: Actor
) -> None:
    steps.record_gate(project, gate.value, rs, f, ds, actor)


@transaction.atomic
def project_submit(
    *, actor: Actor, project_id: int, expected_version: int | None
) -> tuple[Project, list[Decision]]:
    """Submit to gate S (PRJ-S1..S6). A block raises ``RuleBlocked`` and nothing changes. On success the
    review route is fixed (PRJ-A1) and each declared resource not yet published becomes a 供需对接 need
    routed to its provider. Returns the project and the warnings to show."""
    project = _locked(project_id, actor, APPLY)
    _check_version(project, expected_version)
    _require_state(project, (ProjectState.DRAFT,), "申报")
    rs = ruleset_for(project.jurisdiction_id)
    now = timezone.now()
    project.submitted_at = now
    f = project_facts(project)
    ds = evaluate(Gate.S, f, rs)
    warnings = raise_if_blocked(ds)
    before = _snapshot(project)
    project.state = ProjectState.SUBMITTED
    project.ruleset = rs.name
    project.route = review_route(f, rs)
    _touch(project)
    project.save()
    _record_gate(project, Gate.S, rs, f, ds, actor)
    for link in project.resources.filter(direction=Direction.USE, need__isnull=True).select_related(
        "resource"
    ):
        r = link.resource
        if r.state == CatalogState.PUBLISHED:
            continue
        items = list(r.items.order_by("position", "id").values_list("name", flat=True)[:20]) or [r.name]
        link.need = needs.need_post(
            actor=actor, title=f"{project.name}：{r.name}"[:100], department_id=project.unit_id,
            description=f"信息化项目“{project.name}”申报使用目录资源“{r.name}”（{r.code}），该资源尚未发布，请提供部门尽快挂接发布。"[:1000],
            desired_items=items, purpose=f"信息化项目：{project.name}"[:500], provider_id=r.department_id,
        )  # fmt: skip
        link.save(update_fields=["need"])
    audit.record(actor=actor, action="projects.project.submit", obj=project, before=before,
                 after={**_snapshot(project), "decisions": [d.as_dict() for d in ds]})  # fmt: skip
    return project, warnings


def _decision_start(project_id: int, actor: Actor, action: str, expected_version: int | None,
                    states: Sequence[str], doing: str, reason: str, limit: int, label: str,
                    ) -> tuple[Project, dict[str, Any]]:  # fmt: skip
    """What withdrawing, returning and rejecting do first: lock, check the action, the version the clerk
    saw, the state and the reason (required, at most ``limit`` characters); the project and its snapshot."""
    project = _locked(project_id, actor, action)
    _check_version(project, expected_version)
    _require_state(project, states, doing)
    reason_error = text_problem(reason, limit, "reason", label, required=True)
    _raise([reason_error] if reason_error else [])
    return project, _snapshot(project)


def _decision_end(project: Project, actor: Actor, action: str, before: dict[str, Any], reason: str) -> Project:
    """Record the reason as the decision note, save and write the change record."""
    project.decision_note = reason.strip()
    _touch(project)
    project.save()
    audit.record(actor=actor, action=action, obj=project, before=before,
                 after={**_snapshot(project), "reason": project.decision_note})  # fmt: skip
    return project


@transaction.atomic
def project_withdraw(*, actor: Actor, project_id: int, expected_version: int | None, reason: str) -> Project:
    project, before = _decision_start(project_id, actor, APPLY, expected_version,
                                      (ProjectState.DRAFT, ProjectState.SUBMITTED), "撤回", reason, 500, "撤回理由")  # fmt: skip
    project.state = ProjectState.WITHDRAWN
    return _decision_end(project, actor, "projects.project.withdraw", before, reason)


@transaction.atomic
def attachment_add(*, actor: Actor, project_id: int, material: str, upload: UploadedFile) -> Attachment:
    """Attach a material file (PRJ-S3) to a draft."""
    project = _locked(project_id, actor, APPLY)
    _require_state(project, (ProjectState.DRAFT,), "上传材料")
    errors: list[FieldError] = []
    if material not in MATERIALS:
        errors.append(FieldError("material", "unknown", "请选择材料类别。"))
    size = upload.size or 0
    if size == 0:
        errors.append(FieldError("file", "empty", "上传的文件为空。"))
    elif size > MAX_ATTACHMENT:
        errors.append(
            FieldError("file", "too_large", f"单个文件不超过 {MAX_ATTACHMENT // 1024 // 1024} MB。")
        )
    name = (upload.name or "附件").rsplit("/", 1)[-1][:200]
    name_error = text_problem(name, 200, "file", "文件名")
    if name_error:
        errors.append(name_error)
    _raise(errors)
    data = upload.read()
    att = Attachment.objects.create(
        project=project, material=material, filename=name, content_type=(upload.content_type or "")[:100],
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=actor.username[:150],
    )  # fmt: skip
    audit.record(actor=actor, action="projects.attachment.add", obj=project,
                 after={"attachment": att.pk, "material": material, "filename": name, "sha256": att.sha256,
                        "size": att.size})  # fmt: skip
    return att


@transaction.atomic
def attachment_remove(*, actor: Actor, attachment_id: int) -> None:
    att = Attachment.objects.select_related("project").filter(pk=attachment_id).first()
    if att is None or not actor.can(APPLY, att.project.scope()):
        raise NotFound("projects.attachment.not_found", "附件不存在或您无权删除。")
    _require_state(att.project, (ProjectState.DRAFT,), "删除材料")
    audit.record(actor=actor, action="projects.attachment.remove", obj=att.project,
                 after={"attachment": att.pk, "filename": att.filename, "sha256": att.sha256})  # fmt: skip
    att.delete()


# --- review ------------------------------------------------------------------------------------------


def expert_pool(project: Project) -> tuple[list[Expert], list[Candidate]]:
    """The active experts of the project's county, city and province, and each as a draw candidate."""
    experts = list(
        Expert.objects.filter(jurisdiction_id__in=ancestors(project.jurisdiction_id), active=True)
        .prefetch_related("conflicts")
    )  # fmt: skip
    pool = [
        Candidate(e.pk, e.secrecy, e.department_id, frozenset(d.pk for d in e.conflicts.all()),
                  frozenset(str(s) for s in e.specialties))
        for e in experts
    ]  # fmt: skip
    return experts, pool


@transaction.atomic
def expert_draw(*, actor: Actor, project_id: int, expected_version: int | None, size: int,
                specialty: str = "", seed: str = "", reason: str = "") -> ExpertDraw:  # fmt: skip
    """Draw the panel from the pool (PRJ-A2): recusal first, at least the ruleset's number of secrecy
    experts for a project involving secrets, reproducible from the seed recorded in the audit chain.
    A redraw (before anyone scored) replaces the current panel and needs a reason."""
    project = _locked(project_id, actor, REVIEW)
    _check_version(project, expected_version)
    _require_state(project, (ProjectState.SUBMITTED, ProjectState.IN_REVIEW), "抽取专家")
    current = project.draws.filter(current=True).first()
    if current is not None:
        if current.assignments.filter(scored_at__isnull=False).exists():
            raise Conflict("projects.draw.scored", "已有专家提交评分，不能重新抽取。", draw=current.pk)
        reason_error = text_problem(reason, 500, "reason", "重新抽取的理由", required=True)
        _raise([reason_error] if reason_error else [])
    rs = ruleset_for(project.jurisdiction_id)
    needed = int(rs.value(MIN_SECRECY_EXPERTS)) if project.involves_secrets else 0
    seed = seed.strip().lower() or secrets.token_hex(16)
    if not (0 < len(seed) <= 64 and all(c in "0123456789abcdef" for c in seed)):
        _raise([FieldError("seed", "invalid", "随机种子应为 1 到 64 位十六进制数字；留空由平台生成。")])
    experts, pool = expert_pool(project)
    eligible, recused = recuse(pool, project.unit_id, specialty.strip())
    try:
        panel = draw(eligible, size, needed, seed)
    except DrawError as exc:
        raise ValidationFailed(
            exc.code, exc.message, errors=[FieldError("size", exc.code, exc.message)]
        ) from None
    names = {e.pk: e.name for e in experts}
    if current is not None:
        current.current = False
        current.save(update_fields=["current"])
    d = ExpertDraw.objects.create(
        project=project, seed=seed, size=size, secrecy_needed=needed, specialty=specialty.strip()[:50],
        candidates=[c.id for c in eligible],
        excluded=[{"expert": r.id, "name": names[r.id], "reason": r.reason} for r in recused],
        created_by=actor.username[:150],
    )  # fmt: skip
    secret_ids = {c.id for c in panel[:needed]}
    ExpertAssignment.objects.bulk_create([
        ExpertAssignment(draw=d, project=project, expert_id=c.id, secrecy=c.id in secret_ids) for c in panel
    ])  # fmt: skip
    before = _snapshot(project)
    project.state = ProjectState.IN_REVIEW
    _touch(project)
    project.save()
    audit.record(actor=actor, action="projects.expert.draw", obj=project, before=before, after={
        **_snapshot(project), "draw": d.pk, "seed": seed, "size": size, "secrecy_needed": needed,
        "specialty": d.specialty, "candidates": d.candidates, "excluded": d.excluded,
        "panel": [c.id for c in panel], "redraw_reason": reason.strip(),
    })  # fmt: skip
    return d


@transaction.atomic
def expert_score(
    *, actor: Actor, assignment_id: int, score: int, conclusion: str, opinion: str
) -> ExpertAssignment:
    """An expert scores the project they were drawn for (0–100) with a conclusion and an opinion; the
    last score of the panel completes the assessment (state ``reviewed``)."""
    project_id = (
        ExpertAssignment.objects.filter(pk=assignment_id).values_list("project_id", flat=True).first()
    )
    # the project first (a redraw locks it too), then the assignment as it stands under that lock
    project = Project.objects.select_for_update().filter(pk=project_id).first() if project_id else None
    a = (
        ExpertAssignment.objects.select_for_update()
        .select_related("expert", "draw")
        .filter(pk=assignment_id)
        .first()
    )
    if (
        project is None
        or a is None
        or actor.user_id is None
        or a.expert.user_id != actor.user_id
        or not actor.may(SCORE)
    ):
        raise NotFound("projects.assignment.not_found", "评审任务不存在或不属于您。")
    if not a.draw.current:
        raise Conflict("projects.assignment.replaced", "该次抽取已被重新抽取替代，无需评分。")
    _require_state(project, (ProjectState.IN_REVIEW,), "评分")
    if a.scored_at is not None:
        raise Conflict("projects.assignment.scored", "您已提交过评分，不能重复提交。")
    errors: list[FieldError] = []
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        errors.append(FieldError("score", "out_of_range", "评分应为 0 到 100 的整数。"))
    if conclusion not in Conclusion.values:
        errors.append(
            FieldError("conclusion", "invalid_choice", "请选择评审结论：同意立项、修改后立项或不同意立项。")
        )
    opinion_error = text_problem(opinion, 5000, "opinion", "评审意见", required=True)
    if opinion_error:
        errors.append(opinion_error)
    _raise(errors)
    a.score, a.conclusion, a.opinion, a.scored_at = score, conclusion, opinion.strip(), timezone.now()
    a.save()
    audit.record(actor=actor, action="projects.expert.score", obj=project, after={
        "assignment": a.pk, "expert": a.expert_id, "score": score, "conclusion": conclusion,
    })  # fmt: skip
    if not ExpertAssignment.objects.filter(draw=a.draw, scored_at__isnull=True).exists():
        before = _snapshot(project)
        project.state = ProjectState.REVIEWED
        _touch(project)
        project.save()
        audit.record(actor=actor, action="projects.project.reviewed", obj=project, before=before)
    return a


@transaction.atomic
def joint_review_record(*, actor: Actor, project_id: int, expected_version: int | None, conclusion: str,
                        participants: str, note: str) -> Project:  # fmt: skip
    """Record the joint review (联合评审) the joint-panel and province routes require (PRJ-A1)."""
    project = _locked(project_id, actor, REVIEW)
    _check_version(project, expected_version)
    # PRJ-A2: no joint review before the expert assessment (a self-reviewed project has none)
    _require_state(project, REVIEW_STATES if project.route == "self_review" else (ProjectState.REVIEWED,),
                   "记录联合评审（须在专家论证完成后）")  # fmt: skip
    errors = [e for e in (text_problem(participants, 500, "participants", "参加单位", required=True),
                          text_problem(note, 1000, "note", "评审意见", required=True)) if e]  # fmt: skip
    if conclusion not in (JointConclusion.AGREE, JointConclusion.DISAGREE):
        errors.append(FieldError("conclusion", "invalid_choice", "请选择联合评审结论：同意或不同意。"))
    _raise(errors)
    before = _snapshot(project)
    project.joint_conclusion, project.joint_participants = conclusion, participants.strip()
    project.joint_note, project.joint_at = note.strip(), timezone.now()
    _touch(project)
    project.save()
    audit.record(actor=actor, action="projects.project.joint_review", obj=project, before=before,
                 after={**_snapshot(project), "participants": project.joint_participants, "note": project.joint_note})  # fmt: skip
    return project


@transaction.atomic
def centre_opinion_record(*, actor: Actor, project_id: int, expected_version: int | None, opinion: str,
                          text: str) -> Project:  # fmt: skip
    """The big data centre's filing opinion (备案意见, PRJ-A5)."""
    project = _locked(project_id, actor, REVIEW)
    _check_version(project, expected_version)
    _require_state(project, REVIEW_STATES, "出具备案意见")
    errors = [e for e in (text_problem(text, 1000, "text", "备案意见说明", required=True),) if e]
    if opinion not in (CentreOpinion.FAVOURABLE, CentreOpinion.UNFAVOURABLE):
        errors.append(FieldError("opinion", "invalid_choice", "请选择备案意见：同意或不同意。"))
    _raise(errors)
    before = _snapshot(project)
    project.centre_opinion, project.centre_opinion_text = opinion, text.strip()
    project.centre_opinion_by, project.centre_opinion_at = actor.username[:150], timezone.now()
    _touch(project)
    project.save()
    audit.record(actor=actor, action="projects.project.centre_opinion", obj=project, before=before,
                 after={**_snapshot(project), "text": project.centre_opinion_text})  # fmt: skip
    return project


def _approval_number(project: Project, year: int) -> str:
    """The next number of the jurisdiction's year; the jurisdiction row is locked so that two projects
    approved at once never share a number (a unique constraint backs this)."""
    Jurisdiction.objects.select_for_update().filter(pk=project.jurisdiction_id).first()
    taken = Project.objects.filter(jurisdiction_id=project.jurisdiction_id,
                                   approval_number__startswith=f"信息化立项〔{year}〕").count()  # fmt: skip
    return f"信息化立项〔{year}〕{taken + 1}号"


@transaction.atomic
def project_approve(*, actor: Actor, project_id: int, expected_version: int | None, note: str = "",
                    approved_amount: int | None = None) -> tuple[Project, list[Decision]]:  # fmt: skip
    """Approve (立项) through gate A (PRJ-A1..A7): a block raises ``RuleBlocked`` and nothing changes.
    Two approvals of one project at once: one succeeds, the other gets ``projects.project.changed``."""
    project = _locked(project_id, actor, REVIEW)
    _check_version(project, expected_version)
    _require_state(project, REVIEW_STATES, "立项")
    if approved_amount is not None and not 0 < approved_amount <= project.amount:
        _raise(
            [
                FieldError(
                    "approved_amount",
                    "out_of_range",
                    f"核定金额应大于 0 且不超过申报金额 {project.amount} 元。",
                )
            ]
        )
    note_error = text_problem(note, 1000, "note", "审批意见")
    _raise([note_error] if note_error else [])
    rs = ruleset_for(project.jurisdiction_id)
    f = project_facts(project)
    ds = evaluate(Gate.A, f, rs)
    warnings = raise_if_blocked(ds)
    before = _snapshot(project)
    now = timezone.now()
    project.state = ProjectState.APPROVED
    project.approval_number = _approval_number(project, timezone.localdate(now).year)
    project.approved_amount = approved_amount or project.amount
    project.decided_by, project.decided_at, project.decision_note = actor.username[:150], now, note.strip()
    _touch(project)
    project.save()
    _record_gate(project, Gate.A, rs, f, ds, actor)
    audit.record(actor=actor, action="projects.project.approve", obj=project, before=before,
                 after={**_snapshot(project), "decisions": [d.as_dict() for d in ds]})  # fmt: skip
    return project, warnings


@transaction.atomic
def project_return(*, actor: Actor, project_id: int, expected_version: int | None, reason: str) -> Project:
    """Return an application under review to its unit for revision (退回修改), e.g. after a panel that did
    not agree: it becomes a draft again, its panel and review records are set aside (kept in the history)
    and it goes through gate S again when resubmitted."""
    project, before = _decision_start(project_id, actor, REVIEW, expected_version, REVIEW_STATES, "退回修改",
                                      reason, 1000, "退回理由")  # fmt: skip
    project.draws.filter(current=True).update(current=False)
    project.state, project.route, project.submitted_at = ProjectState.DRAFT, "", None
    project.centre_opinion, project.centre_opinion_text = CentreOpinion.NONE, ""
    project.joint_conclusion, project.joint_note, project.joint_participants = JointConclusion.NONE, "", ""
    return _decision_end(project, actor, "projects.project.return", before, reason)


@transaction.atomic
def project_reject(*, actor: Actor, project_id: int, expected_version: int | None, reason: str) -> Project:
    """Not approved (不予立项), with the reason given to the unit."""
    project, before = _decision_start(project_id, actor, REVIEW, expected_version, REVIEW_STATES,
                                      "作出不予立项决定", reason, 1000, "不予立项的理由")  # fmt: skip
    project.state = ProjectState.REJECTED
    project.decided_by, project.decided_at = actor.username[:150], timezone.now()
    return _decision_end(project, actor, "projects.project.reject", before, reason)


# --- the expert pool ---------------------------------------------------------------------------------


@transaction.atomic
def expert_register(*, actor: Actor, jurisdiction: str, name: str, employer: str, title: str = "",
                    specialties: Sequence[str] = (), secrecy: bool = False, third_party: bool = True,
                    department_id: int | None = None, conflicts: Sequence[int] = (),
                    user_id: int | None = None) -> Expert:  # fmt: skip
    """Add an expert to the jurisdiction's pool (专家库)."""
    place = Jurisdiction.objects.filter(pk=jurisdiction).first()
    if place is None or not actor.can(EXPERT_MANAGE, _scope(place.code)):
        raise NotFound("orgs.jurisdiction.not_found", "行政区划不存在或您无权管理其专家库。")
    errors = [e for e in (text_problem(name, 50, "name", "姓名", required=True),
                          text_problem(employer, 100, "employer", "工作单位", required=True),
                          text_problem(title, 50, "title", "职称")) if e]  # fmt: skip
    cleaned = [s.strip() for s in specialties if s.strip()]
    if not cleaned:
        errors.append(
            FieldError("specialties", "required", "请至少填写一个专业领域（如“软件工程”“网络安全”）。")
        )
    if any(len(s) > 20 for s in cleaned):
        errors.append(FieldError("specialties", "too_long", "每个专业领域不超过 20 字。"))
    known = set(Department.objects.filter(pk__in=[*conflicts, *([department_id] if department_id else [])])
                .values_list("pk", flat=True))  # fmt: skip
    if department_id and department_id not in known:
        errors.append(FieldError("department_id", "not_found", "所在部门不存在。"))
    if any(pk not in known for pk in conflicts):
        errors.append(FieldError("conflicts", "not_found", "回避单位中有不存在的部门。"))
    if user_id is not None and Expert.objects.filter(user_id=user_id).exists():
        errors.append(FieldError("user_id", "duplicate", "该账号已关联其他专家。"))
    _raise(errors)
    expert = Expert.objects.create(
        jurisdiction=place, name=name.strip(), employer=employer.strip(), title=title.strip(),
        specialties=list(dict.fromkeys(cleaned)), secrecy=secrecy, third_party=third_party,
        department_id=department_id, user_id=user_id,
    )  # fmt: skip
    expert.conflicts.set(conflicts)
    audit.record(actor=actor, action="projects.expert.register", obj=expert,
                 after={**audit.snapshot(expert, ["name", "employer", "secrecy", "third_party", "specialties"]),
                        "conflicts": sorted(conflicts)})  # fmt: skip
    return expert


@transaction.atomic
def expert_set_active(*, actor: Actor, expert_id: int, active: bool, reason: str) -> Expert:
    """Take an expert out of the pool (or back in), with the reason."""
    expert = Expert.objects.select_for_update().filter(pk=expert_id).first()
    if expert is None or not actor.can(EXPERT_MANAGE, expert.scope()):
        raise NotFound("projects.expert.not_found", "专家不存在或您无权管理。")
    reason_error = text_problem(reason, 500, "reason", "理由", required=True)
    _raise([reason_error] if reason_error else [])
    before = {"active": expert.active}
    expert.active = active
    expert.save(update_fields=["active"])
    audit.record(actor=actor, action="projects.expert.set_active", obj=expert, before=before,
                 after={"active": active, "reason": reason.strip()})  # fmt: skip
    return expert


def _scope(code: str) -> Scope:
    return Scope(jurisdiction=code)
