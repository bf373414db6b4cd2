"""Policy simulation: what a ruleset change would change, decision by decision (issue 6).

``compare(before, after)`` lists the rules whose outcome differs between two evaluations of the same
facts; ``Difference`` is one project's (or system's) differences with the money it carries; ``summarize``
counts the projects that a change would newly block or unblock and the money behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .decisions import Decision, Outcome


@dataclass(frozen=True)
class DecisionChange:
    rule_id: str
    before: Outcome | None  # None: the rule did not run (switched off)
    after: Outcome | None
    reason: str  # the reason after the change (or before, when the rule no longer runs)


@dataclass(frozen=True)
class Difference:
    key: int
    amount: int
    changes: tuple[DecisionChange, ...]
    blocked_before: bool
    blocked_after: bool


def compare(before: Sequence[Decision], after: Sequence[Decision]) -> tuple[DecisionChange, ...]:
    """The rules whose outcome differs, in the order they run (a rule switched on that allows, or switched
    off where it allowed, changes nothing)."""
    old = {d.rule_id: d for d in before}
    new = {d.rule_id: d for d in after}
    order = [d.rule_id for d in after] + [r for r in old if r not in new]
    out = []
    for rule_id in order:
        a, b = old.get(rule_id), new.get(rule_id)
        # a rule that does not run decides nothing: the same as one that allows
        if (a.outcome if a else Outcome.ALLOW) != (b.outcome if b else Outcome.ALLOW):
            shown = b if b is not None else a
            out.append(DecisionChange(rule_id, a.outcome if a else None, b.outcome if b else None,
                                      shown.reason if shown else ""))  # fmt: skip
    return tuple(out)


def difference(
    key: int, amount: int, before: Sequence[Decision], after: Sequence[Decision]
) -> Difference | None:
    """One project's differences, or None when the change decides nothing differently for it."""
    changes = compare(before, after)
    if not changes:
        return None
    return Difference(key, amount, changes, any(d.blocks for d in before), any(d.blocks for d in after))


def summarize(differences: Iterable[Difference]) -> dict[str, int]:
    diffs = list(differences)
    newly = [d for d in diffs if d.blocked_after and not d.blocked_before]
    freed = [d for d in diffs if d.blocked_before and not d.blocked_after]
    return {
        "changed": len(diffs),
        "newly_blocked": len(newly),
        "newly_blocked_amount": sum(d.amount for d in newly),
        "unblocked": len(freed),
        "unblocked_amount": sum(d.amount for d in freed),
    }
