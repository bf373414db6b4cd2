"""After acceptance: evaluation (绩效评价, PRJ-E1..E3). The unit files its self-evaluation and registers the
results handed over to the government; the authority selects projects for the key evaluation, grades
them, and sets and closes rectification problems.

Services are the only writers (keyword-only, one transaction, the permission checked on the project's
scope inside, a change record in the same transaction): the unit with ``APPLY`` on its own projects, the
authority with ``REVIEW``. The checks are decided by ``sanbu.policy.rules.acceptance.evaluate_e`` over
:class:`EvaluationFacts` built here (``evaluation_facts_many``: a fixed number of queries). Filing the
self-evaluation outside the ruleset's window is allowed; PRJ-E1 then says it was early or late.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, text_problem
from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.lifecycle_facts_k import EvaluationFacts, Grade
from sanbu.policy.lifecycle_facts_k import Problem as ProblemFact
from sanbu.policy.rules.acceptance import DELIVERABLES, evaluate_e, rectification
from sanbu.policy.rulesets import Ruleset

from . import steps
from .models import APPLY, REVIEW, Deliverable, Lifecycle, Problem, Project, ProjectState

REPORT_LIMIT = 20000
PROBLEM_LIMIT = 500
MAX_PROBLEMS = 50
LIFECYCLE_FIELDS = [
    "accepted_on", "self_evaluation_filed_on", "key_evaluation", "key_evaluation_grade", "contract_assigns_ip",
    "version",
]  # fmt: skip
PROBLEM_FIELDS = ["project_id", "text", "deadline", "fixed_on"]


def _project(actor: Actor, project_id: int, action: str, doing: str,
             states: Sequence[str] = (ProjectState.ACCEPTED,)) -> tuple[Project, Lifecycle]:  # fmt: skip
    """The project (locked, permission checked, in one of ``states``) and its lifecycle record (locked)."""
    project = steps.locked(Project, project_id, actor, action)
    steps.require_state(project, states, doing)
    lc = steps.lifecycle_of(project)
    return project, Lifecycle.objects.select_for_update().get(pk=lc.pk)


def _accepted(lc: Lifecycle) -> dt.date:
    if lc.accepted_on is None:
        raise Conflict("projects.evaluation.not_accepted", "该项目没有验收通过日期，不能开展绩效评价。")
    return lc.accepted_on


def _life(lc: Lifecycle) -> dict[str, Any]:
    return audit.snapshot(lc, LIFECYCLE_FIELDS)


def _save(lc: Lifecycle) -> None:
    steps.bump(lc)
    lc.save()


def _deadline_problem(deadline: Any, today: dt.date, field: str) -> FieldError | None:
    if not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime):
        return FieldError(field, "invalid_date", "请填写整改期限（日期）。")
    if deadline < today:
        return FieldError(field, "in_past", f"整改期限不能早于今天（{today.isoformat()}）。")
    return None


# --- the unit ---------------------------------------------------------------------------------------------


@transaction.atomic
def self_evaluation_file(*, actor: Actor, project_id: int, report: str, on: dt.date | None = None,
                         expected_version: int | None = None) -> Lifecycle:  # fmt: skip
    """File the self-evaluation report (绩效自评, PRJ-E1) of an accepted project, once. Filing outside the
    window (``projects.evaluation_window_months`` after acceptance) is allowed; PRJ-E1 warns about it."""
    today = on or steps.today()
    _, lc = _project(actor, project_id, APPLY, "报送绩效自评报告")
    steps.check_version(lc, expected_version, "projects.lifecycle.changed")
    accepted = _accepted(lc)
    if lc.self_evaluation_filed_on is not None:
        raise Conflict(
            "projects.evaluation.already_filed",
            f"绩效自评报告已于 {lc.self_evaluation_filed_on.isoformat()} 报送，不能重复报送。",
        )
    errors = [text_problem(report, REPORT_LIMIT, "report", "绩效自评报告", required=True)]
    if today < accepted:
        errors.append(
            FieldError("on", "too_early", f"报送日期不能早于验收通过日期（{accepted.isoformat()}）。")
        )
    steps.raise_errors(errors)
    before = _life(lc)
    lc.self_evaluation, lc.self_evaluation_filed_on = report.strip(), today
    _save(lc)
    audit.record(actor=actor, action="projects.evaluation.self_file", obj=lc, before=before, after=_life(lc))
    return lc


@transaction.atomic
def deliverable_register(*, actor: Actor, project_id: int, kind: str, description: str = "",
                         on: dt.date | None = None) -> Deliverable:  # fmt: skip
    """Register a kind of result as handed over to the government (成果登记, PRJ-E3), once per kind."""
    today = on or steps.today()
    project, _ = _project(actor, project_id, APPLY, "登记项目成果", steps.AFTER_APPROVAL)
    errors = [text_problem(description, 500, "description", "成果说明")]
    if kind not in DELIVERABLES:
        errors.append(
            FieldError("kind", "invalid_choice", f"成果类型应为：{'、'.join(DELIVERABLES.values())}。")
        )
    steps.raise_errors(errors)
    existing = Deliverable.objects.filter(project=project, kind=kind).first()
    if existing is not None:
        raise Conflict(
            "projects.deliverable.duplicate",
            f"“{DELIVERABLES[kind]}”已于 {existing.registered_on.isoformat()} 登记，每类成果登记一次。",
            kind=kind, deliverable_id=existing.pk,
        )  # fmt: skip
    item = Deliverable.objects.create(
        project=project, kind=kind, description=description.strip(), registered_on=today,
        registered_by=actor.username[:150],
    )  # fmt: skip
    audit.record(actor=actor, action="projects.deliverable.register", obj=item,
                 after=audit.snapshot(item, ["project_id", "kind", "description", "registered_on"]))  # fmt: skip
    return item


@transaction.atomic
def contract_ip_record(*, actor: Actor, project_id: int, assigns: bool) -> Lifecycle:
    """Record whether the procurement documents and contract give the results and IP to the government
    (PRJ-E3)."""
    _, lc = _project(actor, project_id, APPLY, "登记合同成果归属", steps.AFTER_APPROVAL)
    before = _life(lc)
    lc.contract_assigns_ip = bool(assigns)
    _save(lc)
    audit.record(actor=actor, action="projects.contract_ip.record", obj=lc, before=before, after=_life(lc))
    return lc


# --- the authority ----------------------------------------------------------------------------------------


@transaction.atomic
def key_evaluation_select(*, actor: Actor, project_id: int, selected: bool) -> Lifecycle:
    """Select an accepted project for the key performance evaluation (重点绩效评价), or take it out again
    while it is not graded."""
    _, lc = _project(actor, project_id, REVIEW, "选取重点绩效评价")
    _accepted(lc)
    if not selected and lc.key_evaluation_grade:
        raise Conflict(
            "projects.evaluation.already_graded",
            f"重点绩效评价结果（{lc.key_evaluation_grade}）已录入，不能取消选取。",
        )
    before = _life(lc)
    lc.key_evaluation = bool(selected)
    _save(lc)
    audit.record(actor=actor, action="projects.evaluation.key_select", obj=lc, before=before, after=_life(lc))
    return lc


def _problem_rows(project: Project, problems: Sequence[tuple[str, dt.date]], today: dt.date,
                  actor: Actor) -> list[Problem]:  # fmt: skip
    return [
        Problem.objects.create(
            project=project, text=text.strip(), deadline=deadline, created_by=actor.username[:150]
        )
        for text, deadline in problems
    ]


@transaction.atomic
def key_evaluation_grade(*, actor: Actor, project_id: int, grade: str,
                         problems: Sequence[tuple[str, dt.date]] = (), on: dt.date | None = None) -> Lifecycle:  # fmt: skip
    """Record the key evaluation's grade (优秀/良好/合格/不合格) of a selected project, once, with the problems
    it found, each with its rectification deadline (PRJ-E2)."""
    today = on or steps.today()
    project, lc = _project(actor, project_id, REVIEW, "录入重点绩效评价结果")
    _accepted(lc)
    if not lc.key_evaluation:
        raise Conflict("projects.evaluation.not_selected", "该项目未列入重点绩效评价，请先选取。")
    if lc.key_evaluation_grade:
        raise Conflict(
            "projects.evaluation.already_graded", f"重点绩效评价结果（{lc.key_evaluation_grade}）已录入。"
        )
    errors: list[FieldError | None] = []
    if grade not in Grade._value2member_map_:
        errors.append(FieldError("grade", "invalid_choice", "评价结果应为：优秀、良好、合格或不合格。"))
    if len(problems) > MAX_PROBLEMS:
        errors.append(FieldError("problems", "too_many", f"一次最多录入 {MAX_PROBLEMS} 项问题。"))
    for i, (text, deadline) in enumerate(problems[:MAX_PROBLEMS]):
        errors.append(text_problem(text, PROBLEM_LIMIT, f"problems[{i}].text", "整改意见", required=True))
        errors.append(_deadline_problem(deadline, today, f"problems[{i}].deadline"))
    steps.raise_errors(errors)
    before = _life(lc)
    lc.key_evaluation_grade = grade
    _save(lc)
    rows = _problem_rows(project, problems, today, actor)
    audit.record(actor=actor, action="projects.evaluation.key_grade", obj=lc, before=before,
                 after={**_life(lc), "problems": [audit.snapshot(p, ["id", *PROBLEM_FIELDS]) for p in rows]})  # fmt: skip
    return lc


@transaction.atomic
def problem_add(*, actor: Actor, project_id: int, text: str, deadline: dt.date,
                on: dt.date | None = None) -> Problem:  # fmt: skip
    """Add a problem found by evaluation or supervision, with its rectification deadline (PRJ-E2)."""
    today = on or steps.today()
    project, lc = _project(actor, project_id, REVIEW, "提出整改意见")
    _accepted(lc)
    steps.raise_errors([
        text_problem(text, PROBLEM_LIMIT, "text", "整改意见", required=True),
        _deadline_problem(deadline, today, "deadline"),
    ])  # fmt: skip
    (problem,) = _problem_rows(project, [(text, deadline)], today, actor)
    audit.record(
        actor=actor, action="projects.problem.add", obj=problem, after=audit.snapshot(problem, PROBLEM_FIELDS)
    )
    return problem


@transaction.atomic
def problem_fixed(*, actor: Actor, problem_id: int, on: dt.date | None = None) -> Problem:
    """The authority confirms that a problem was rectified (整改完成), once."""
    today = on or steps.today()
    found = Problem.objects.filter(pk=problem_id).values_list("project_id", flat=True).first()
    if found is None:
        raise steps.missing("projects.problem.not_found", problem_id, "整改问题")
    steps.locked(Project, found, actor, REVIEW, code="projects.problem.not_found", what="整改问题")
    problem = Problem.objects.select_for_update().get(pk=problem_id)
    if problem.fixed_on is not None:
        raise Conflict(
            "projects.problem.already_fixed", f"该问题已于 {problem.fixed_on.isoformat()} 确认整改完成。"
        )
    before = audit.snapshot(problem, PROBLEM_FIELDS)
    problem.fixed_on = today
    problem.save(update_fields=["fixed_on"])
    audit.record(actor=actor, action="projects.problem.fixed", obj=problem, before=before,
                 after=audit.snapshot(problem, PROBLEM_FIELDS))  # fmt: skip
    return problem


# --- facts ------------------------------------------------------------------------------------------------


def _ids(projects: Sequence[Project] | QuerySet[Project]) -> Any:
    if isinstance(projects, QuerySet):
        return projects.values("pk")
    return [p.pk for p in projects]


def evaluation_facts_many(projects: Sequence[Project] | QuerySet[Project],
                          today: dt.date) -> dict[int, EvaluationFacts]:  # fmt: skip
    """PRJ-E facts of the projects among ``projects`` that have an acceptance date, in three queries
    (lifecycles with project and unit names, problems, deliverables). Others are absent from the result.
    A problem counts as fixed when its rectification was confirmed on or before ``today``."""
    ids = _ids(projects)
    rows = list(
        Lifecycle.objects.filter(project_id__in=ids, accepted_on__isnull=False).values(
            "project_id", "project__name", "project__unit__name", "accepted_on", "key_evaluation",
            "contract_assigns_ip", "self_evaluation_filed_on", "key_evaluation_grade",
        )
    )  # fmt: skip
    found = [r["project_id"] for r in rows]
    problems: dict[int, list[ProblemFact]] = defaultdict(list)
    for pid, text, deadline, fixed_on in (
        Problem.objects.filter(project_id__in=found).order_by("project_id", "deadline", "id")
        .values_list("project_id", "text", "deadline", "fixed_on")
    ):  # fmt: skip
        problems[pid].append(ProblemFact(text, deadline, fixed_on is not None and fixed_on <= today))
    registered: dict[int, list[str]] = defaultdict(list)
    for pid, kind in (
        Deliverable.objects.filter(project_id__in=found)
        .order_by("project_id", "kind")
        .values_list("project_id", "kind")
    ):
        registered[pid].append(kind)
    out: dict[int, EvaluationFacts] = {}
    for r in rows:
        pid = r["project_id"]
        grade = r["key_evaluation_grade"]
        out[pid] = EvaluationFacts(
            name=r["project__name"], unit=r["project__unit__name"] or "", accepted_on=r["accepted_on"] or today, today=today,
            key_evaluation=r["key_evaluation"], contract_assigns_ip=r["contract_assigns_ip"],
            self_evaluation_filed_on=r["self_evaluation_filed_on"],
            key_evaluation_grade=Grade(grade) if grade in Grade._value2member_map_ else None,
            problems=tuple(problems.get(pid, ())), deliverables_registered=tuple(registered.get(pid, ())),
        )  # fmt: skip
    return out


def evaluation_facts(project: Project, today: dt.date) -> EvaluationFacts:
    """PRJ-E facts of one accepted project (KeyError when it has no acceptance date)."""
    return evaluation_facts_many([project], today)[project.pk]


def evaluation_decisions(project: Project, today: dt.date | None = None,
                         rs: Ruleset | None = None) -> list[Decision]:  # fmt: skip
    """PRJ-E1..E3 for an accepted project under its jurisdiction's ruleset (or ``rs``, for simulation)."""
    return evaluate_e(evaluation_facts(project, today or steps.today()), rs or steps.ruleset_of(project))


@dataclass(frozen=True)
class Consequences:
    """What may follow problems left unfixed past their deadline (PRJ-E2, 第四十一条), for the page."""

    overdue: tuple[dict[str, str], ...]  # {"text", "deadline"}
    measures: tuple[str, ...]  # 通报批评、暂缓安排建设或资金计划、暂停项目建设、终止项目
    reason: str
    remedy: str


def consequences(
    project: Project, today: dt.date | None = None, rs: Ruleset | None = None
) -> Consequences | None:
    """The consequences PRJ-E2 names when a problem is past its deadline and not fixed; None when none is
    (or the project has no acceptance date)."""
    day = today or steps.today()
    facts = evaluation_facts_many([project], day).get(project.pk)
    if facts is None:
        return None
    d = rectification(facts, rs or steps.ruleset_of(project))
    if d.outcome is not Outcome.BLOCK:
        return None
    value = d.fact.value if d.fact is not None else None
    overdue = value if isinstance(value, list) else []
    return Consequences(
        overdue=tuple(overdue),
        measures=tuple(d.extra.get("consequences", ())),
        reason=d.reason,
        remedy=d.remedy,
    )
