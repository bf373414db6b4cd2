"""Proposing catalog resources for a data need (供需对接, EX-3), ranked with the reasons for each.

Only resources that are shared (published and mounted, CAT-4) *and* visible to the actor are ever
proposed: candidates come from ``Resource.objects.visible_to(actor).shared()`` and nothing else, and the
needing department's own resources are left out (it does not ask itself for its own data).

How a resource scores, for each desired item (the names the department wrote, in its own words):

1. **data element** (strongest, 100): the desired item names a standard data element, by its name or a
   synonym (``catalog.elements.ElementIndex``: exact, else a close fuzzy match), and one of the
   resource's items is linked to that element. "身份证号" finds an item "公民身份号码" linked to DE00001.
2. **item name** (exact 90, fuzzy up to 80): an item of the resource has the same name, or a name close
   by ``rapidfuzz`` (one character off in a four-character name, "出身日期" ~ "出生日期").

The item score is the mean over desired items of the best match for each (0 when an item is not
covered); an item counts as *covered* at ``COVERED`` or above. Then **full text** (up to 20): the need's
title searched in resource names, items and summaries through ``catalog.search`` (the same Chinese
full-text search as the catalog page), higher for a better rank. Total = 0.8 × item score + text score,
0–100. Ties go to the resource covering more items, then the lower id (a stable order).

A need is *covered* when the best proposal covers every desired item; otherwise it may be routed to the
**likely provider**: the authority department (一数一源, ``DataElement.authority``) of the elements its
desired items name. The provider is *clear* when those elements have exactly one authority besides the
needing department itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from sanbu.catalog.elements import ElementIndex
from sanbu.catalog.models import DataElement, Resource, ResourceItem
from sanbu.catalog.search import search_resources
from sanbu.core.actor import Actor

ELEMENT_SCORE = 100
EXACT_NAME_SCORE = 90
FUZZY_NAME_MAX = 80
FUZZY_THRESHOLD = 75  # rapidfuzz ratio: Chinese item names are short, one character off in four is 75
COVERED = 70  # an item matched at least this well counts as covered
TEXT_MAX = 20
TEXT_RANKS = 10  # full-text hits beyond this rank add nothing
DEFAULT_LIMIT = 5
MAX_DESIRED = 50


@dataclass(frozen=True)
class Proposal:
    """A resource proposed for a need: its score (0–100), why, and which desired items it covers."""

    resource_id: int
    resource_name: str
    department_id: int
    department_name: str
    score: int
    reasons: tuple[str, ...]
    covered: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The form stored on ``DataNeed.proposals``."""
        return {
            "resource": self.resource_id, "name": self.resource_name, "department": self.department_id,
            "department_name": self.department_name, "score": self.score, "reasons": list(self.reasons),
            "covered": list(self.covered),
        }  # fmt: skip


@dataclass(frozen=True)
class MatchResult:
    desired: tuple[str, ...]
    proposals: list[Proposal]
    elements: dict[str, int] = field(default_factory=dict)  # desired item → data element id
    providers: tuple[int, ...] = ()  # authority departments of the named elements, most named first

    @property
    def covered(self) -> bool:
        """Some proposal covers every desired item."""
        return bool(self.desired) and any(len(p.covered) == len(self.desired) for p in self.proposals)

    @property
    def likely_provider(self) -> int | None:
        """The one department that is the authoritative source of the named elements, if there is one."""
        return self.providers[0] if len(self.providers) == 1 else None


def clean_items(names: list[str]) -> list[str]:
    """Desired item names stripped, blanks dropped, duplicates removed (first kept), in order."""
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def _fuzzy(a: str, b: str) -> int:
    return int(fuzz.ratio(a, b))


@dataclass
class _Scored:
    resource: Resource
    best: dict[str, tuple[int, str]] = field(default_factory=dict)  # desired → (score, reason)
    text: int = 0
    text_reason: str = ""

    def offer(self, desired: str, score: int, reason: str) -> None:
        if score > self.best.get(desired, (0, ""))[0]:
            self.best[desired] = (score, reason)


def propose(
    *, actor: Actor, title: str, desired_items: list[str], department_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> MatchResult:  # fmt: skip
    """Shared resources visible to ``actor`` that fit the need, best first (at most ``limit``)."""
    desired = clean_items(desired_items)[:MAX_DESIRED]
    candidates = Resource.objects.visible_to(actor).shared()
    if department_id is not None:
        candidates = candidates.exclude(department_id=department_id)
    index = ElementIndex()
    named: dict[str, DataElement] = {}
    for name in desired:
        found = index.suggest(name)
        if found is not None:
            named[name] = found[0]

    items = list(
        ResourceItem.objects.filter(resource__in=candidates.values("pk")).values_list(
            "resource_id", "name", "element_id"
        )
    )
    scored: dict[int, _Scored] = {}
    resources: dict[int, Resource] = {}

    def entry(resource_id: int) -> _Scored:
        if resource_id not in scored:
            if not resources:
                resources.update(
                    Resource.objects.filter(pk__in={r for r, _, _ in items})
                    .select_related("department")
                    .in_bulk()
                )
            scored[resource_id] = _Scored(resources[resource_id])
        return scored[resource_id]

    by_element: dict[int, list[tuple[int, str]]] = {}
    by_name: dict[str, list[int]] = {}
    for resource_id, item_name, element_id in items:
        if element_id is not None:
            by_element.setdefault(element_id, []).append((resource_id, item_name))
        by_name.setdefault(item_name, []).append(resource_id)
    names = list(by_name)
    for wanted in desired:
        element = named.get(wanted)
        if element is not None:
            via = "" if wanted == element.name else f"（“{wanted}”即数据元“{element.name}”）"
            for resource_id, item_name in by_element.get(element.pk, []):
                reason = f"信息项“{item_name}”引用数据元“{element.name}”{via}"
                entry(resource_id).offer(wanted, ELEMENT_SCORE, reason)
        for resource_id in by_name.get(wanted, []):
            entry(resource_id).offer(wanted, EXACT_NAME_SCORE, f"信息项名称“{wanted}”与需求一致")
        for other, ratio, _ in process.extract(wanted, names, scorer=fuzz.ratio, limit=20):
            if other == wanted or ratio < FUZZY_THRESHOLD:
                continue
            score = int(ratio * FUZZY_NAME_MAX / 100)
            for resource_id in by_name[other]:
                reason = f"信息项名称“{other}”与“{wanted}”相近（相似度 {int(ratio)}）"
                entry(resource_id).offer(wanted, score, reason)

    if title.strip():
        shared_ids = set(candidates.values_list("pk", flat=True))
        page = search_resources(actor=actor, q=title, limit=TEXT_RANKS * 3)
        rank = 0
        for hit in page.results:
            if hit.pk not in shared_ids:
                continue
            if rank >= TEXT_RANKS:
                break
            if hit.pk not in resources:
                resources.update(Resource.objects.filter(pk=hit.pk).select_related("department").in_bulk())
            s = entry(hit.pk)
            s.text = max(1, TEXT_MAX - rank * (TEXT_MAX // TEXT_RANKS))
            s.text_reason = f"资源名称、信息项或摘要与“{title.strip()[:30]}”相符（全文检索第 {rank + 1} 位）"
            rank += 1

    proposals = []
    for s in scored.values():
        item_score = sum(score for score, _ in s.best.values()) / len(desired) if desired else 0
        total = round(0.8 * item_score + s.text)
        if total <= 0:
            continue
        covered = tuple(d for d in desired if s.best.get(d, (0, ""))[0] >= COVERED)
        reasons = [reason for d in desired if (reason := s.best.get(d, (0, ""))[1])]
        if s.text_reason:
            reasons.append(s.text_reason)
        missing = [d for d in desired if d not in covered]
        if missing and covered:
            reasons.append(f"未覆盖：{'、'.join(missing)}")
        r = s.resource
        proposals.append(
            Proposal(
                r.pk, r.name, r.department_id, r.department.name, min(total, 100), tuple(reasons), covered
            )
        )
    proposals.sort(key=lambda p: (-p.score, -len(p.covered), p.resource_id))

    authorities = Counter(
        e.authority_id
        for e in named.values()
        if e.authority_id is not None and e.authority_id != department_id
    )
    providers = tuple(d for d, _ in authorities.most_common())
    return MatchResult(
        desired=tuple(desired), proposals=proposals[: max(0, limit)],
        elements={k: v.pk for k, v in named.items()}, providers=providers,
    )  # fmt: skip
