"""The expert draw (PRJ-A2): reproducible from its seed, with recusal and the secrecy-pool minimum.

``draw(candidates, size, secrecy_needed, seed)`` first draws ``secrecy_needed`` experts from the secrecy
pool, then the rest of the panel from everyone left, each with ``random.Random(int(seed, 16)).sample``
over the candidates sorted by id. The same seed and the same candidates give the same panel on any
machine (CPython's ``Random`` with an integer seed and ``sample`` are stable), so the seed recorded in
the audit chain lets anyone redo a draw.

Recusal happens before the draw (``recuse``): an expert of the applying unit, one who declared a conflict
with it, or one already excluded by the caller does not enter the candidate list.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    id: int
    secrecy: bool = False
    department: int | None = None  # the expert's own department, when a government one
    conflicts: frozenset[int] = frozenset()  # departments the expert declared a conflict with
    specialties: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Recused:
    id: int
    reason: str


class DrawError(ValueError):
    """The pool cannot make the panel asked for; ``code`` is stable, the message says how to fix it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def recuse(
    pool: Iterable[Candidate], unit: int, specialty: str = ""
) -> tuple[list[Candidate], list[Recused]]:
    """Candidates that may sit on the unit's panel, and those recused with the reason."""
    eligible: list[Candidate] = []
    recused: list[Recused] = []
    for c in sorted(pool, key=lambda c: c.id):
        if c.department == unit:
            recused.append(Recused(c.id, "本单位人员，回避"))
        elif unit in c.conflicts:
            recused.append(Recused(c.id, "申报了与项目单位的利益冲突，回避"))
        elif specialty and specialty not in c.specialties:
            continue
        else:
            eligible.append(c)
    return eligible, recused


def draw(candidates: Sequence[Candidate], size: int, secrecy_needed: int, seed: str) -> list[Candidate]:
    """The panel: ``secrecy_needed`` from the secrecy pool first, then the rest from everyone left."""
    if size < 3 or size % 2 == 0:
        raise DrawError("projects.draw.size", f"评审专家人数应为不少于 3 人的单数，当前为 {size} 人。")
    if secrecy_needed > size:
        raise DrawError("projects.draw.size", f"评审专家人数 {size} 人少于所需保密专家 {secrecy_needed} 人。")
    ordered = sorted(candidates, key=lambda c: c.id)
    secret = [c for c in ordered if c.secrecy]
    if len(secret) < secrecy_needed:
        raise DrawError(
            "projects.draw.secrecy_pool",
            f"回避后保密专家库只有 {len(secret)} 名可抽取专家，少于涉密项目所需的 {secrecy_needed} 名；"
            "请先充实保密专家库。",
        )
    if len(ordered) < size:
        raise DrawError(
            "projects.draw.pool",
            f"回避后专家库只有 {len(ordered)} 名可抽取专家，少于评审所需的 {size} 名；请减少人数或充实专家库。",
        )
    rng = random.Random(int(seed, 16))
    first = rng.sample(secret, secrecy_needed)
    chosen = {c.id for c in first}
    rest = [c for c in ordered if c.id not in chosen]
    return first + rng.sample(rest, size - secrecy_needed)
