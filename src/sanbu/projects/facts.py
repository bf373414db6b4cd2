"""Project facts for gates S and A, built from what the platform holds (DESIGN.md: facts, not ticks).

What comes from where (``docs/policy-facts.md`` has the field list):

- ``uses``: each declared resource's state in the catalog (published / mounted / registered).
- ``materials``: a PRJ-S3 key counts when its text is filled in or a file is attached for it; name, unit
  and funding source are the project's own fields.
- ``similar_projects``: the unit's other applications (submitted to approved) for the same or an adjacent
  plan year.
- ``approval.unit_systems``: the unit's running systems in the inventory; ``docked`` is derived by the
  inventory; a system does not ``share`` when it provides catalog resources and none of them is
  published (its data is catalogued but withheld). A system that provides nothing has no sharing
  obligation on record: whether it should is the catalog's completeness, scored elsewhere.
- For upgrades (改建/扩建/迁移) the systems affected weigh in: a private network among them counts as a
  private network not merged, a failed 密评 as not cryptography-compliant, a running system never graded
  for 等保 as not security-compliant, and a system built by an approved but not yet accepted project of
  the unit as an upgrade of an unaccepted project (PRJ-A3 (七)).
- ``expert_review``, ``centre_opinion`` and ``joint_review`` come from the review records.

Everything is fetched per batch (``facts_for``) as plain rows, and what is the same for every project of
a unit (its systems, its other applications) is built once per unit, so a batch costs a fixed number of
queries and few objects per project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.catalog.models import ResourceState as CatalogState
from sanbu.inventory.models import DengbaoLevel, InformationSystem, MipinStatus, Network, SystemStatus
from sanbu.inventory.selectors import docked_many
from sanbu.orgs.models import Department
from sanbu.policy.facts import (
    UPGRADE_KINDS,
    ApprovalFacts,
    CentreOpinion,
    ExpertReview,
    ProjectClass,
    ProjectFacts,
    ProjectKind,
    ResourceState,
    ResourceUse,
    SimilarProject,
    UnitSystem,
)

from .inputs import ProjectData
from .models import (
    Attachment,
    Conclusion,
    Direction,
    ExpertAssignment,
    Project,
    ProjectResource,
    ProjectState,
)

STATE = {CatalogState.PUBLISHED: ResourceState.PUBLISHED, CatalogState.MOUNTED: ResourceState.MOUNTED}
# A unit's applications that count for split detection: submitted ones (a draft is not an application yet).
SIMILAR_STATES = (
    ProjectState.SUBMITTED,
    ProjectState.IN_REVIEW,
    ProjectState.REVIEWED,
    ProjectState.APPROVED,
)


@dataclass(frozen=True)
class ReviewFacts:
    expert_review: ExpertReview = field(default_factory=lambda: ExpertReview(False))
    centre_opinion: CentreOpinion = CentreOpinion.NONE
    joint_review: bool = False


class ResourceRow(NamedTuple):
    code: str
    state: str
    name: str


class Score(NamedTuple):
    """One drawn expert of the current panel: scored or not, the conclusion, from the secrecy pool."""

    scored: bool
    conclusion: str
    secrecy: bool


@dataclass
class UnitContext:
    """What the unit's other records say, built once per unit."""

    systems: tuple[UnitSystem, ...] = ()
    siblings: list[tuple[int, int, SimilarProject]] = field(default_factory=list)  # (pk, plan year, project)
    approved_names: set[str] = field(default_factory=set)


def unit_contexts(unit_ids: Iterable[int], today: date) -> dict[int, UnitContext]:
    ids = sorted(set(unit_ids))
    out = {pk: UnitContext() for pk in ids}
    systems = list(InformationSystem.objects.filter(department_id__in=ids, status=SystemStatus.RUNNING))
    docking = docked_many(systems, today)
    through = InformationSystem.provides.through
    providing: set[int] = set()
    published: set[int] = set()
    for sid, state in through.objects.filter(informationsystem_id__in=[s.pk for s in systems]).values_list(
        "informationsystem_id", "resource__state"
    ):
        providing.add(sid)
        if state == CatalogState.PUBLISHED:
            published.add(sid)
    by_unit: dict[int, list[UnitSystem]] = defaultdict(list)
    for s in systems:
        shares = s.pk in published or s.pk not in providing
        by_unit[s.department_id].append(UnitSystem(s.name, docked=docking[s.pk].docked, shares=shares))
    for pk, found in by_unit.items():
        out[pk].systems = tuple(found)
    rows = Project.objects.filter(unit_id__in=ids, state__in=SIMILAR_STATES).values_list(
        "pk", "name", "amount", "content", "technical_route", "plan_year", "state", "unit_id"
    )
    for pk, name, amount, content, route, year, state, unit_id in rows:
        ctx = out[unit_id]
        ctx.siblings.append((pk, year, SimilarProject(name, amount, content or "", route or "")))
        if state == ProjectState.APPROVED:
            ctx.approved_names.add(name)
    return out


def _materials(data: ProjectData, attached: Iterable[str]) -> tuple[str, ...]:
    present = {k for k, v in data.materials.items() if str(v).strip()} | set(attached)
    own = {"name": data.name, "unit": "yes", "funding_source": data.funding_source}
    present |= {k for k, v in own.items() if v.strip()}
    return tuple(sorted(present))


def assemble(
    *, unit: Department, data: ProjectData, ctx: UnitContext, resources: Mapping[int, Any],
    affected: Sequence[InformationSystem], application_date: date, review: ReviewFacts | None = None,
    attached: Iterable[str] = (), exclude_pk: int | None = None,
) -> ProjectFacts:  # fmt: skip
    """Facts of one application from its data and what the platform holds about its unit.
    ``resources`` maps the declared resource ids to rows with ``code``, ``state`` and ``name``."""
    review = review or ReviewFacts()
    attached = set(attached)
    kind = ProjectKind(data.kind)
    uses = tuple(
        ResourceUse(r.code, STATE.get(r.state, ResourceState.REGISTERED), r.name)
        for pk in data.uses
        if (r := resources.get(pk)) is not None
    ) + tuple(ResourceUse(f"#{pk}", ResourceState.MISSING) for pk in data.uses if pk not in resources)
    provides = tuple(resources[pk].code for pk in data.provides if pk in resources) + tuple(data.provides_new)
    year = data.plan_year
    similar = tuple(sp for pk, y, sp in ctx.siblings if pk != exclude_pk and -1 <= y - year <= 1)
    upgrade = kind in UPGRADE_KINDS
    approval = ApprovalFacts(
        project_class=ProjectClass(data.project_class),
        expert_review=review.expert_review,
        builds_machine_room_or_cloud=data.builds_machine_room_or_cloud,
        buys_server_hardware=data.buys_server_hardware,
        leases_internet_line=data.leases_internet_line,
        private_network_not_merged=data.private_network or any(s.network == Network.PRIVATE for s in affected),
        on_gov_cloud=data.on_gov_cloud,
        uses_secure_reliable=data.uses_secure_reliable,
        crypto_compliant=data.crypto_compliant and not any(s.mipin_status == MipinStatus.FAILED for s in affected),
        security_compliant=data.security_compliant and not any(
            s.status == SystemStatus.RUNNING and s.dengbao_level == DengbaoLevel.NONE for s in affected
        ),
        goals_clear=bool(str(data.materials.get("performance_goals", "")).strip()) or "performance_goals" in attached,
        internal_integrated=data.internal_integrated,
        upgrades_unaccepted=upgrade and any(
            s.built_by_project and s.built_by_project in ctx.approved_names for s in affected
        ),
        central_or_provincial=data.central_or_provincial,
        integrates_systems=data.integrates_systems,
        cross_boundary=data.cross_boundary,
        centre_opinion=review.centre_opinion,
        hardware_outside_cloud=data.hardware_outside_cloud,
        hardware_outside_cloud_reason=data.hardware_outside_cloud_reason,
        design_life_years=data.design_life_years,
        construction_months=data.construction_months,
        unit_systems=ctx.systems,
        joint_review=review.joint_review,
    )  # fmt: skip
    return ProjectFacts(
        name=data.name, unit=unit.name, kind=kind, amount=data.amount, application_date=application_date,
        plan_year=data.plan_year, category=data.category, content=data.content,
        technical_route=data.technical_route, involves_secrets=data.involves_secrets,
        started_before_approval=data.started_before_approval, uses=uses, provides=provides,
        materials=_materials(data, attached), dynamic_addition=data.dynamic_addition,
        library_entry_date=data.library_entry_date, unified_build=data.unified_build,
        similar_projects=similar, approval=approval,
    )  # fmt: skip


_DATA_FIELDS = tuple(f for f in ProjectData.__dataclass_fields__ if f not in {"uses", "provides", "provides_new",
                                                                               "systems", "materials"})  # fmt: skip


# The project columns the facts read (``facts_in_batches`` loads only these).
FACT_FIELDS = (*_DATA_FIELDS, "materials", "provides_new", "unit_id", "jurisdiction_id", "submitted_at",
               "centre_opinion", "joint_conclusion")  # fmt: skip


def data_of(project: Project | SimpleNamespace, links: Sequence[tuple[int, str]] | None = None,
            systems: Sequence[int] | None = None) -> ProjectData:  # fmt: skip
    """The application's data as stored; ``links`` are (resource id, direction) pairs."""
    if links is None:
        links = list(project.resources.order_by("id").values_list("resource_id", "direction"))
    system_ids = list(project.systems.values_list("pk", flat=True)) if systems is None else systems
    values: dict[str, Any] = {f: getattr(project, f) for f in _DATA_FIELDS}
    return ProjectData(
        **values,
        uses=tuple(pk for pk, d in links if d == Direction.USE),
        provides=tuple(pk for pk, d in links if d == Direction.PROVIDE),
        provides_new=tuple(project.provides_new or ()),
        systems=tuple(system_ids),
        materials=dict(project.materials or {}),
    )


def review_of(project: Project | SimpleNamespace, panel: Sequence[Score]) -> ReviewFacts:
    """The current panel's state (all scored → assessed; passed when fewer than half disagreed)."""
    secrecy = sum(1 for a in panel if a.secrecy)
    if panel and all(a.scored for a in panel):
        against = sum(1 for a in panel if a.conclusion == Conclusion.DISAGREE)
        expert = ExpertReview(True, len(panel), secrecy, passed=against * 2 < len(panel))
    else:
        expert = ExpertReview(False, len(panel), secrecy)
    return ReviewFacts(expert, CentreOpinion(project.centre_opinion), project.joint_conclusion == "agree")


def _panel_rows(project_ids: Any) -> dict[int, list[Score]]:
    out: dict[int, list[Score]] = defaultdict(list)
    rows = (
        ExpertAssignment.objects.filter(project_id__in=project_ids, draw__current=True)
        .annotate(scored=ExpressionWrapper(Q(scored_at__isnull=False), output_field=BooleanField()))
        .order_by("id")
        .values_list("project_id", "scored", "conclusion", "secrecy")
    )
    for pid, scored, conclusion, secrecy in rows:
        out[pid].append(Score(bool(scored), conclusion, secrecy))
    return out


def _application_date(submitted_at: datetime | None, today: date) -> date:
    return timezone.localdate(submitted_at) if submitted_at else today


def facts_for(
    projects: Sequence[Project] | Sequence[SimpleNamespace],
    today: date,
    *,
    within: QuerySet[Project] | None = None,
) -> dict[int, ProjectFacts]:
    """Facts of many projects (model instances, or rows with the ``FACT_FIELDS`` attributes and ``pk``) in
    a fixed number of queries (about ten, whatever their number). ``within``, a queryset of exactly these
    projects, lets the related rows be selected by a subquery instead of a list of ids."""
    ids: Any = [p.pk for p in projects] if within is None else within.values("pk")
    links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    resources: dict[int, ResourceRow] = {}
    rows = (
        ProjectResource.objects.filter(project_id__in=ids)
        .order_by("id")
        .values_list(
            "project_id", "resource_id", "direction", "resource__code", "resource__state", "resource__name"
        )
    )
    for pid, rid, direction, code, state, name in rows:
        links[pid].append((rid, direction))
        if rid not in resources:
            resources[rid] = ResourceRow(code, state, name)
    through = Project.systems.through
    system_links = list(
        through.objects.filter(project_id__in=ids).values_list("project_id", "informationsystem_id")
    )
    linked = through.objects.filter(project_id__in=ids).values("informationsystem_id")
    systems = {s.pk: s for s in InformationSystem.objects.filter(pk__in=linked)}
    by_project: dict[int, list[int]] = defaultdict(list)
    for pid, sid in system_links:
        by_project[pid].append(sid)
    panels = _panel_rows(ids)
    attached: dict[int, set[str]] = defaultdict(set)
    for pid, material in Attachment.objects.filter(project_id__in=ids).values_list("project_id", "material"):
        attached[pid].add(material)
    units = {d.pk: d for d in Department.objects.filter(pk__in={p.unit_id for p in projects})}
    contexts = unit_contexts(units, today)
    out: dict[int, ProjectFacts] = {}
    for p in projects:
        out[p.pk] = assemble(
            unit=units[p.unit_id], data=data_of(p, links[p.pk], by_project[p.pk]), ctx=contexts[p.unit_id],
            resources=resources, affected=[systems[s] for s in by_project[p.pk]],
            application_date=_application_date(p.submitted_at, today), review=review_of(p, panels[p.pk]),
            attached=attached[p.pk], exclude_pk=p.pk,
        )  # fmt: skip
    return out


def draft_facts(
    *, unit: Department, data: ProjectData, today: date, project: Project | None = None
) -> ProjectFacts:
    """Facts of an application being filled in (the live check of the form), saved or not."""
    resources = {
        pk: ResourceRow(code, state, name)
        for pk, code, state, name in Resource.objects.filter(pk__in=set(data.uses) | set(data.provides))
        .values_list("pk", "code", "state", "name")
    }  # fmt: skip
    affected = list(InformationSystem.objects.filter(pk__in=data.systems, department=unit))
    review = ReviewFacts()
    attached: set[str] = set()
    if project is not None:
        review = review_of(project, _panel_rows([project.pk])[project.pk])
        attached = set(project.attachments.values_list("material", flat=True))
    return assemble(
        unit=unit, data=data, ctx=unit_contexts([unit.pk], today)[unit.pk], resources=resources, affected=affected,
        application_date=today, review=review, attached=attached, exclude_pk=project.pk if project else None,
    )  # fmt: skip


def facts_in_batches(
    projects: QuerySet[Project], today: date, batch: int = 1000
) -> Iterator[dict[int, ProjectFacts]]:
    """Facts of every project of ``projects`` (an unsliced queryset), whole units at a time, about
    ``batch`` projects per batch: each unit's context (systems, docking, other applications) is read
    once, and the rows of a batch are selected by unit, not by lists of ids. The way to decide for all
    projects at once (the benchmark, a policy simulation)."""
    sizes = projects.order_by("unit_id").values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n")
    units: list[int] = []
    size = 0
    for unit_id, n in [*sizes, (None, 0)]:
        if unit_id is not None:
            units.append(unit_id)
            size += n
        if units and (size >= batch or unit_id is None):
            within = projects.filter(unit_id__in=units)
            rows = within.order_by("unit_id", "id").values("pk", *FACT_FIELDS)
            # plain rows with the model's attribute names: the facts read nothing else of a project
            yield facts_for([SimpleNamespace(**row) for row in rows], today, within=within)
            units, size = [], 0
