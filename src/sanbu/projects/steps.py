"""What every lifecycle service (``funds``, ``construction``, ``acceptance``, ``operations``,
``evaluation``) does first: lock the row, check the actor's action on its scope (forbidden looks like
missing), compare the version the clerk saw, and read the project's ruleset and lifecycle record.

Kept apart from ``services`` (application to approval) so each service module imports only this.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from sanbu.policy.decisions import Decision
from sanbu.policy.rulesets import Ruleset

from .models import GateRecord, Lifecycle, Project, ProjectState

M = TypeVar("M", bound=models.Model)

NOT_FOUND = "projects.project.not_found"
# States after approval in which construction, funds and acceptance happen.
AFTER_APPROVAL = (ProjectState.APPROVED, ProjectState.ACCEPTED)


def missing(code: str = NOT_FOUND, pk: int | None = None, what: str = "项目") -> NotFound:
    return NotFound(code, f"{what}不存在或您无权办理。", id=pk)


def locked(model: type[M], pk: int, actor: Actor, action: str, *, code: str = NOT_FOUND,
           what: str = "项目") -> M:  # fmt: skip
    """``model`` row ``pk`` locked for update; NotFound unless the actor may ``action`` on its scope."""
    obj = model._default_manager.select_for_update().filter(pk=pk).first()
    if obj is None or not actor.can(action, obj.scope()):  # type: ignore[attr-defined]
        raise missing(code, pk, what)
    return obj


def check_version(obj: Any, expected_version: int | None, code: str = "projects.project.changed") -> None:
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(
            code, "已被他人办理或修改，请刷新后再操作。",
            current=obj.version, expected=expected_version,
        )  # fmt: skip


def bump(obj: Any) -> None:
    obj.version += 1


def require_state(project: Project, allowed: Sequence[str], doing: str) -> None:
    if project.state not in allowed:
        raise Conflict(
            "projects.project.wrong_state",
            f"该项目当前为“{ProjectState(project.state).label}”，不能{doing}。",
            state=project.state,
        )


def lifecycle_of(project: Project) -> Lifecycle:
    """The project's lifecycle record, created empty the first time (approval is enough to have one)."""
    lc, _ = Lifecycle.objects.get_or_create(project=project)
    return lc


def ruleset_for(jurisdiction_code: str) -> Ruleset:
    """The jurisdiction's ruleset as the platform holds it (file ruleset and published versions)."""
    from sanbu.orgs.rulesets import ruleset_for_jurisdiction

    return ruleset_for_jurisdiction(jurisdiction_code)


def ruleset_of(project: Project) -> Ruleset:
    return ruleset_for(project.jurisdiction_id)


def today() -> date:
    return timezone.localdate()


def raise_errors(errors: Sequence[FieldError | None]) -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise ValidationFailed("validation_failed", "；".join(e.message for e in found), found)


def facts_json(facts: Any) -> dict[str, Any]:
    """A facts dataclass as plain JSON (dates as ISO text), as frozen into records."""
    return json.loads(json.dumps(dataclasses.asdict(facts), default=str))


def record_gate(project: Project, gate: str, rs: Ruleset, facts: Any, ds: Sequence[Decision],
                actor: Actor) -> GateRecord:  # fmt: skip
    """The decisions a gate gave, with the facts they were computed from (what the documents print)."""
    return GateRecord.objects.create(
        project=project, gate=gate, ruleset=rs.name, ruleset_version=rs.version,
        decisions=[d.as_dict() for d in ds], facts=facts_json(facts), created_by=actor.username[:150],
    )  # fmt: skip
