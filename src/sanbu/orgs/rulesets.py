"""Rulesets in the platform: each jurisdiction's ruleset, and the versions the authority publishes over it.

The files in ``sanbu/policy/rulesets/`` are the baseline shipped under version control. The authority
changes a ruleset in the platform as a new *version*: a list of changes (a parameter's new value or a
rule switched on or off), each with its citation. A draft is checked against the ruleset as it stands
(``sanbu.policy.rulesets.check_change``: the parameter exists and keeps its JSON shape); publishing gives
it the next number (1, 2, … per ruleset, contiguous) and from then on :func:`current` lays it over the file.

Selectors without an actor (what other apps read to decide something):

- ``current(name_or_code)``: the file ruleset with every published version laid over it, each level of
  the chain in turn (a version of ``zibo`` reaches ``yiyuan``); a 6-digit code picks the jurisdiction's
  ruleset. Cached per process, keyed by the latest published versions of the chain, so a version
  published by any process is seen by the next call everywhere (one small query per call).
- ``ruleset_for_jurisdiction(code)``: ``current`` of the ruleset the jurisdiction follows.
- ``draft_ruleset(version_id)``: a draft laid over the current ruleset (what it would be if published),
  or a published version as it stood then: for simulation. Callers check the actor first
  (``version_get``).

Who may edit (``policy.ruleset.edit``, decided here and in docs/rulesets.md): a ruleset decides the rules
of the jurisdictions it claims and of those claimed by rulesets inheriting from it (``applies_to``); an
authority may edit it when its jurisdiction covers every one of them (淄博市 edits ``zibo`` and so also
what ``yiyuan`` inherits; 沂源县 edits only ``yiyuan``). ``default`` decides wherever nothing is claimed
and ``district`` is claimed by nobody: both are platform-wide, edited by the platform administrator
(superuser) only. Anyone with ``policy.ruleset.view`` reads every ruleset and its published versions (they
are published policy, and simulation compares them); drafts and discarded drafts are seen by those whose
view or edit covers the ruleset the same way. Forbidden looks like missing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor, Scope
from sanbu.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed, text_problem
from sanbu.policy import rulesets as policy
from sanbu.policy.rulesets import Change, Ruleset, RulesetError, Shapes, Version

from .models import Jurisdiction, RulesetState, RulesetVersion

VIEW = "policy.ruleset.view"
EDIT = "policy.ruleset.edit"
DEFAULT = "default"
NOT_FOUND = "policy.ruleset.not_found"
VERSION_NOT_FOUND = "policy.ruleset_version.not_found"
INVALID = "policy.ruleset.invalid_change"
MAX_CHANGES = 100
TEXT_LIMIT = 1000
FIELDS = [
    "name", "number", "base", "state", "changes", "note", "revision", "created_by", "published_by",
    "published_at", "discarded_by", "discarded_at",
]  # fmt: skip


# --- the shipped files (static for the life of a process) --------------------------------------------


@functools.cache
def _files() -> dict[str, Ruleset]:
    return {rs.name: rs for rs in policy.available()}


@functools.cache
def _claims() -> dict[str, str]:
    return policy.jurisdiction_claims(_files().values())


@functools.cache
def _shapes() -> Shapes:
    return policy.shipped_shapes(_files().values())


def names() -> list[str]:
    """Every ruleset, by name."""
    return list(_files())


def ruleset_name_for(code: str) -> str:
    """The name of the ruleset jurisdiction ``code`` follows (its own or its nearest ancestor's, else
    ``default``)."""
    claims = _claims()
    return next((claims[c] for c in policy.ancestors(code) if c in claims), DEFAULT)


def applies_to(name: str) -> tuple[str, ...]:
    """The jurisdiction codes whose rules ruleset ``name`` decides: those it claims, then those claimed by
    rulesets that inherit from it. Empty for ``default`` (it decides wherever nothing is claimed) and for
    a ruleset nobody follows (``district``): both are platform-wide."""
    files = _files()
    if name == DEFAULT or name not in files:
        return ()
    own = files[name].jurisdictions
    heirs = [c for rs in files.values() if rs.name != name and name in rs.chain for c in rs.jurisdictions]
    return tuple(dict.fromkeys([*own, *heirs]))


def may(actor: Actor, action: str, name: str) -> bool:
    """Whether ``actor`` holds ``action`` over every jurisdiction ruleset ``name`` decides for (a
    platform-wide ruleset: superuser only)."""
    if actor.is_superuser:
        return True
    codes = applies_to(name)
    return bool(codes) and all(actor.can(action, Scope(jurisdiction=c)) for c in codes)


# --- the current ruleset -----------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[Any, ...], Ruleset]] = {}


def clear_cache() -> None:
    _cache.clear()


def _resolve(name_or_code: str) -> str:
    if len(name_or_code) == 6 and name_or_code.isdigit():
        return ruleset_name_for(name_or_code)
    if name_or_code not in _files():
        raise NotFound(NOT_FOUND, f"规则集“{name_or_code}”不存在。", name=name_or_code)
    return name_or_code


def _published(chain: Sequence[str], until: Any = None) -> dict[str, list[Version]]:
    qs = RulesetVersion.objects.filter(name__in=chain, state=RulesetState.PUBLISHED)
    if until is not None:
        qs = qs.filter(published_at__lte=until)
    out: dict[str, list[Version]] = {}
    for v in qs.order_by("name", "number"):
        out.setdefault(v.name, []).append(Version(v.number or 0, _changes(v)))
    return out


def _changes(v: RulesetVersion) -> tuple[Change, ...]:
    return tuple(Change.from_dict(d) for d in v.changes)


def current(name_or_code: str = DEFAULT) -> Ruleset:
    """Ruleset ``name_or_code`` (a name, or a 6-digit jurisdiction code for the ruleset it follows) as it
    stands: its file merged over its parents', with every published version of each level laid over
    that level in order. Unknown name: NotFound."""
    name = _resolve(name_or_code)
    chain = _files()[name].chain
    latest = (
        RulesetVersion.objects.filter(name__in=chain, state=RulesetState.PUBLISHED)
        .values("name")
        .annotate(number=Max("number"), at=Max("published_at"), n=Count("id"))
        .order_by("name")
    )
    key = tuple((r["name"], r["number"], r["at"], r["n"]) for r in latest)
    hit = _cache.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    rs = policy.load(name, _published(chain), shapes=_shapes())
    _cache[name] = (key, rs)
    return rs


def ruleset_for_jurisdiction(code: str) -> Ruleset:
    """The current ruleset of the jurisdiction ``code`` (GB/T 2260): its own, its nearest ancestor's, or
    ``default``."""
    return current(ruleset_name_for(code))


def draft_ruleset(version_id: int) -> Ruleset:
    """The ruleset a version gives: a draft laid over the current ruleset (``version`` is the number it
    would get if published now), a published version as the ruleset stood when it was published. A
    discarded or missing version: NotFound; a draft that no longer fits: ValidationFailed. No permission
    check: callers check the actor may see the version (``version_get``)."""
    v = RulesetVersion.objects.filter(pk=version_id).first()
    if v is None or v.state == RulesetState.DISCARDED:
        raise NotFound(VERSION_NOT_FOUND, "规则集版本不存在或已放弃。", version_id=version_id)
    if v.state == RulesetState.PUBLISHED:
        return policy.load(v.name, _published(_files()[v.name].chain, until=v.published_at), shapes=_shapes())
    base = current(v.name)
    try:
        return policy.overlay(base, _changes(v), base.version + 1, _shapes())
    except RulesetError as exc:
        raise ValidationFailed(INVALID, f"草稿与当前规则集不符：{exc}") from exc


def rulesets_under_version(version_id: int) -> dict[str, tuple[Ruleset, Ruleset]]:
    """Every ruleset a version touches, as it stands now and as it would stand with the version: the
    version's own ruleset and each one inheriting from it (沂源 under 淄博), rebuilt over the changed
    parent. Name → (in force, under the version). Errors as ``draft_ruleset``."""
    v = RulesetVersion.objects.filter(pk=version_id).first()
    if v is None or v.state == RulesetState.DISCARDED:
        raise NotFound(VERSION_NOT_FOUND, "规则集版本不存在或已放弃。", version_id=version_id)
    draft_ruleset(version_id)  # a draft that no longer fits is refused here rather than partly applied
    out: dict[str, tuple[Ruleset, Ruleset]] = {}
    for name, file in _files().items():
        if v.name not in file.chain:
            continue
        versions = _published(file.chain)
        own = [
            x
            for x in versions.get(v.name, [])
            if v.state != RulesetState.PUBLISHED or x.number <= (v.number or 0)
        ]
        if v.state != RulesetState.PUBLISHED:
            own.append(Version(current(v.name).version + 1, _changes(v)))
        out[name] = (current(name), policy.load(name, {**versions, v.name: own}, shapes=_shapes()))
    return out


# --- selectors for the actor -------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesetSummary:
    name: str
    title: str
    parent: str | None
    chain: tuple[str, ...]
    jurisdictions: list[tuple[str, str]]  # (code, name)
    version: int
    drafts: int  # open drafts the actor sees
    can_edit: bool


def _require_view(actor: Actor) -> None:
    if not actor.may(VIEW):
        raise PermissionDenied("policy.ruleset.forbidden", "您无权查看规则集。")


def jurisdiction_names(codes: Sequence[str]) -> list[tuple[str, str]]:
    found = dict(Jurisdiction.objects.filter(code__in=codes).values_list("code", "name"))
    return [(c, found.get(c, c)) for c in codes]


def ruleset_list(*, actor: Actor) -> list[RulesetSummary]:
    """Every ruleset with its title, parent, jurisdictions and current version number."""
    _require_view(actor)
    drafts = dict(
        RulesetVersion.objects.filter(state=RulesetState.DRAFT)
        .values("name")
        .annotate(n=Count("id"))
        .values_list("name", "n")
    )
    out = []
    for name, rs in _files().items():
        live = current(name)
        sees_drafts = may(actor, VIEW, name) or may(actor, EDIT, name)
        out.append(RulesetSummary(
            name=name, title=rs.title, parent=rs.parent, chain=rs.chain,
            jurisdictions=jurisdiction_names(rs.jurisdictions), version=live.version,
            drafts=drafts.get(name, 0) if sees_drafts else 0, can_edit=may(actor, EDIT, name),
        ))  # fmt: skip
    return out


def ruleset_get(*, actor: Actor, name: str) -> Ruleset:
    """The current ruleset ``name`` (NotFound when there is none)."""
    _require_view(actor)
    return current(_known(name))


def _known(name: str) -> str:
    if name not in _files():
        raise NotFound(NOT_FOUND, f"规则集“{name}”不存在。", name=name)
    return name


def _visible(actor: Actor, name: str) -> QuerySet[RulesetVersion]:
    qs = RulesetVersion.objects.filter(name=name)
    if not (may(actor, VIEW, name) or may(actor, EDIT, name)):
        qs = qs.filter(state=RulesetState.PUBLISHED)
    return qs


def version_list(*, actor: Actor, name: str) -> list[RulesetVersion]:
    """The versions of ruleset ``name`` the actor sees, newest first: published ones, and drafts and
    discarded drafts where the actor's view or edit covers the ruleset."""
    if not actor.may(VIEW):
        raise NotFound(NOT_FOUND, "规则集不存在或您无权查看。", name=name)
    return list(_visible(actor, _known(name)).order_by("-id"))


def version_get(*, actor: Actor, version_id: int) -> RulesetVersion:
    v = RulesetVersion.objects.filter(pk=version_id).first()
    if v is None or not actor.may(VIEW) or not _visible(actor, v.name).filter(pk=v.pk).exists():
        raise NotFound(VERSION_NOT_FOUND, "规则集版本不存在或您无权查看。", version_id=version_id)
    return v


def open_draft(*, actor: Actor, name: str) -> RulesetVersion | None:
    """The newest draft of ruleset ``name`` the actor may edit (the page adds proposed changes to it)."""
    if not may(actor, EDIT, _known(name)):
        raise NotFound(NOT_FOUND, "规则集不存在或您无权修改。", name=name)
    return RulesetVersion.objects.filter(name=name, state=RulesetState.DRAFT).order_by("-id").first()


# --- services ----------------------------------------------------------------------------------------


def _validate(base: Ruleset, changes: Sequence[Change], note: str) -> list[Change]:
    """The changes checked against ``base`` (every problem a field error ``changes[i].field``), with their
    citation trimmed and ``old`` set to what they replace."""
    errors: list[FieldError] = []
    if not changes:
        errors.append(FieldError("changes", "required", "请至少提出一项修改。"))
    elif len(changes) > MAX_CHANGES:
        errors.append(
            FieldError("changes", "too_many", f"一个版本最多 {MAX_CHANGES} 项修改，当前 {len(changes)} 项。")
        )
    seen: dict[tuple[str, str], int] = {}
    out: list[Change] = []
    for i, change in enumerate(changes[:MAX_CHANGES]):
        at = f"changes[{i}]"
        citation = change.citation.strip() if isinstance(change.citation, str) else ""
        change = replace(change, citation=citation)
        problems = [
            FieldError(f"{at}.{p.field}", p.code, p.message)
            for p in policy.check_change(base, change, _shapes())
        ]
        label = change.key or "该修改"
        problems += [
            e for e in (
                text_problem(change.key, 100, f"{at}.key", "参数或规则编号"),
                text_problem(citation, TEXT_LIMIT, f"{at}.citation", f"{label} 的修改依据"),
            ) if e is not None
        ]  # fmt: skip
        if (change.kind, change.key) in seen:
            problems.append(FieldError(
                f"{at}.key", "duplicate",
                f"{label} 在本版本中已有一项修改（第 {seen[(change.kind, change.key)] + 1} 项），请合并为一项。",
            ))  # fmt: skip
        seen.setdefault((change.kind, change.key), i)
        if change.kind == policy.PARAMETER and change.key in base.parameters:
            now = base.parameters[change.key]
            old, same = now.value, (now.value, now.citation) == (change.new, citation)
        else:
            switch = base.rules.get(change.key)
            old = base.enabled(change.key)
            same = switch is not None and (switch.enabled, switch.citation) == (change.new, citation)
        if same and not problems:
            problems.append(
                FieldError(f"{at}.new", "unchanged", f"{label} 的新值和依据与当前相同，无需修改。")
            )
        errors += problems
        out.append(replace(change, old=old))
    problem = text_problem(note, TEXT_LIMIT, "note", "说明")
    if problem is not None:
        errors.append(problem)
    if errors:
        raise ValidationFailed(INVALID, "规则集修改有误，请按提示逐项修改。", errors=errors)
    return out


def _snapshot(v: RulesetVersion) -> dict[str, Any]:
    return audit.snapshot(v, FIELDS)


def _editable(actor: Actor, version_id: int) -> RulesetVersion:
    v = RulesetVersion.objects.filter(pk=version_id).only("id", "name").first()
    if v is None or not may(actor, EDIT, v.name):
        raise NotFound(VERSION_NOT_FOUND, "规则集版本不存在或您无权修改。", version_id=version_id)
    return v


def _lock_ruleset(name: str) -> None:
    """One writer of a ruleset's versions at a time: lock every version row of the ruleset, in id order
    (so two writers never wait on each other crosswise). SQLite serialises writers by itself."""
    list(
        RulesetVersion.objects.select_for_update()
        .filter(name=name)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _require_draft(v: RulesetVersion, expected_state: str, doing: str) -> None:
    if v.state != expected_state or v.state != RulesetState.DRAFT:
        raise Conflict(
            "policy.ruleset_version.changed",
            f"该版本当前为“{v.get_state_display()}”，不能{doing}：请刷新页面。",
            state=v.state,
        )


def _latest(name: str) -> int:
    found = RulesetVersion.objects.filter(name=name, state=RulesetState.PUBLISHED).aggregate(n=Max("number"))
    return int(found["n"] or 0)


@transaction.atomic
def ruleset_draft(*, actor: Actor, name: str, changes: Sequence[Change], note: str = "") -> RulesetVersion:
    """Propose a new version of ruleset ``name``: the changes are checked against the ruleset as it stands
    and kept as a draft (no number until published)."""
    if name not in _files() or not may(actor, EDIT, name):
        raise NotFound(NOT_FOUND, "规则集不存在或您无权修改。", name=name)
    clean = _validate(current(name), changes, note)
    now = timezone.now()
    v = RulesetVersion.objects.create(
        name=name, base=_latest(name), state=RulesetState.DRAFT, changes=[c.as_dict() for c in clean],
        note=note.strip(), created_by=actor.username[:150], created_at=now, updated_by=actor.username[:150],
        updated_at=now,
    )  # fmt: skip
    audit.record(actor=actor, action="policy.ruleset.draft", obj=v, after=_snapshot(v))
    return v


@transaction.atomic
def ruleset_draft_update(
    *,
    actor: Actor,
    version_id: int,
    changes: Sequence[Change],
    note: str = "",
    expected_revision: int | None = None,
) -> RulesetVersion:
    """Replace a draft's changes and note. The draft is checked again against the ruleset as it stands
    now and based on its latest published version (so a draft left behind by another publication can be
    brought up to date and published)."""
    name = _editable(actor, version_id).name
    _lock_ruleset(name)
    v = RulesetVersion.objects.get(pk=version_id)
    _require_draft(v, RulesetState.DRAFT, "修改")
    if expected_revision is not None and v.revision != expected_revision:
        raise Conflict(
            "policy.ruleset_version.changed", "该草稿已被他人修改，请刷新页面后重试。", current=v.revision
        )
    clean = _validate(current(name), changes, note)
    before = _snapshot(v)
    v.changes = [c.as_dict() for c in clean]
    v.note = note.strip()
    v.base = _latest(name)
    v.revision += 1
    v.updated_by, v.updated_at = actor.username[:150], timezone.now()
    v.save()
    audit.record(actor=actor, action="policy.ruleset.draft_update", obj=v, before=before, after=_snapshot(v))
    return v


@transaction.atomic
def ruleset_publish(
    *, actor: Actor, version_id: int, expected_state: str = RulesetState.DRAFT
) -> RulesetVersion:
    """Publish a draft as the ruleset's next version. Published versions are numbered 1, 2, … without
    gaps, one at a time: a draft based on an older version than the latest (another draft was published
    meanwhile) is a Conflict, to be brought up to date (``ruleset_draft_update``) and checked again."""
    name = _editable(actor, version_id).name
    _lock_ruleset(name)
    v = RulesetVersion.objects.get(pk=version_id)
    _require_draft(v, expected_state, "发布")
    latest = _latest(name)
    if v.base != latest:
        raise Conflict(
            "policy.ruleset.stale",
            f"规则集“{name}”已发布第 {latest} 版，本草稿基于第 {v.base} 版起草："
            "请刷新后按最新版本核对修改、保存草稿，再发布。",
            current=latest,
            base=v.base,
        )
    clean = _validate(current(name), _changes(v), v.note)  # the files may have changed since drafting
    before = _snapshot(v)
    now = timezone.now()
    v.changes = [c.as_dict() for c in clean]
    v.number, v.state, v.revision = latest + 1, RulesetState.PUBLISHED, v.revision + 1
    v.published_by, v.published_at = actor.username[:150], now
    v.updated_by, v.updated_at = actor.username[:150], now
    try:
        with transaction.atomic():
            v.save()
    except IntegrityError as exc:  # pragma: no cover - only without the row locks above
        raise Conflict("policy.ruleset.stale", "规则集刚刚发布了新版本，请刷新后重试。") from exc
    audit.record(actor=actor, action="policy.ruleset.publish", obj=v, before=before, after=_snapshot(v))
    return v


@transaction.atomic
def ruleset_discard(
    *, actor: Actor, version_id: int, expected_state: str = RulesetState.DRAFT, reason: str = ""
) -> RulesetVersion:
    """Give a draft up: it stays in the history as discarded and can no longer be published."""
    name = _editable(actor, version_id).name
    _lock_ruleset(name)
    v = RulesetVersion.objects.get(pk=version_id)
    _require_draft(v, expected_state, "放弃")
    problem = text_problem(reason, TEXT_LIMIT, "reason", "放弃原因")
    if problem is not None:
        raise ValidationFailed(INVALID, "放弃原因填写有误。", errors=[problem])
    before = _snapshot(v)
    now = timezone.now()
    v.state, v.revision = RulesetState.DISCARDED, v.revision + 1
    if reason.strip():
        v.note = f"{v.note}\n放弃原因：{reason.strip()}".strip()[:TEXT_LIMIT]
    v.discarded_by, v.discarded_at = actor.username[:150], now
    v.updated_by, v.updated_at = actor.username[:150], now
    v.save()
    audit.record(actor=actor, action="policy.ruleset.discard", obj=v, before=before, after=_snapshot(v))
    return v
