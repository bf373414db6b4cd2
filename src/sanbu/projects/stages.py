"""Which gates a project meets at its stage after approval, with the facts and decisions of each, for many
projects at once (the lifecycle's batch builders): F (拨款) always; C (建设) while it is built; K (验收)
once it asked for acceptance (before that its trial run, materials and panel are not yet due, and every
project under construction would fail it); E (绩效) once accepted. Used by the indicators, the dashboard,
the policy simulation and the benchmark, so that all of them judge a project the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sanbu.policy.decisions import Decision
from sanbu.policy.gates import evaluate
from sanbu.policy.rulesets import Ruleset

from . import acceptance, construction, evaluation, funds, steps
from .models import Lifecycle, Project, ProjectState


@dataclass(frozen=True)
class ProjectGates:
    """A project's facts and decisions on a day for the gates that apply at its stage."""

    facts: dict[str, Any]  # gate letter → that gate's facts
    decisions: list[Decision]

    @property
    def blocks(self) -> list[Decision]:
        return [d for d in self.decisions if d.blocks]


def stage_facts(projects: Sequence[Project], day: dt.date, requested: dict[int, int] | None = None,
                startup: Collection[int] = ()) -> dict[int, dict[str, Any]]:  # fmt: skip
    """Each approved or accepted project's facts on ``day`` for the gates of its stage, by gate letter;
    ``requested``: the amount each project asks to be paid now (gate F), 0 when absent; ``startup``: the
    projects whose request is a start-up tranche (PRJ-F4)."""
    if not projects:
        return {}
    building = [p for p in projects if p.state == ProjectState.APPROVED]
    done = [p for p in projects if p.state == ProjectState.ACCEPTED]
    applied = set(
        Lifecycle.objects.filter(project__in=building, applied_on__lte=day).values_list("project_id", flat=True)
    )
    built: dict[str, dict[int, Any]] = {
        "F": funds.funds_facts_many(projects, day, requested=requested, startup=startup),
        "C": construction.construction_facts_many(building, day),
        "K": acceptance.acceptance_facts_many([p for p in building if p.pk in applied], day),
        "E": evaluation.evaluation_facts_many(done, day),
    }
    return {p.pk: {letter: made[p.pk] for letter, made in built.items() if p.pk in made} for p in projects}


def decide(facts: dict[str, Any], rs: Ruleset) -> list[Decision]:
    """The decisions of every gate in ``facts`` (from ``stage_facts``) under ``rs``, in gate order."""
    return [d for letter, f in facts.items() for d in evaluate(letter, f, rs)]


def project_gates(projects: Sequence[Project], day: dt.date) -> dict[int, ProjectGates]:
    """``ProjectGates`` of each approved or accepted project under its jurisdiction's ruleset."""
    rulesets: dict[str, Ruleset] = {}
    out: dict[int, ProjectGates] = {}
    built = stage_facts(projects, day)
    for p in projects:
        rs = rulesets.get(p.jurisdiction_id) or rulesets.setdefault(p.jurisdiction_id, steps.ruleset_of(p))
        out[p.pk] = ProjectGates(built[p.pk], decide(built[p.pk], rs))
    return out
