"""Decisions: what a rule says, why, which fact failed, what would make it pass, and where the rule comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ALLOW = "allow"
    WARN = "warn"
    BLOCK = "block"
    NEEDS_REVIEW = "needs-review"


@dataclass(frozen=True)
class Fact:
    name: str
    value: Any = None


@dataclass(frozen=True)
class Decision:
    rule_id: str
    outcome: Outcome
    reason: str = ""
    fact: Fact | None = None
    remedy: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return self.outcome is Outcome.BLOCK

    def as_dict(self) -> dict[str, Any]:
        out = {
            "rule_id": self.rule_id,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "fact": None if self.fact is None else {"name": self.fact.name, "value": self.fact.value},
            "remedy": self.remedy,
            "source": self.source,
        }
        if self.extra:  # e.g. the review route of PRJ-A1, the ruleset parameters a decision read
            out["extra"] = self.extra
        return out


def cite(rule_id: str, outcome: Outcome, reason: str, fact: Fact, remedy: str) -> Decision:
    """A decision carrying its rule's source (POLICY.md), so what users see and the policy never drift."""
    from .sources import source_of

    return Decision(rule_id, outcome, reason, fact, remedy, source_of(rule_id))


def allow(rule_id: str) -> Decision:
    from .sources import source_of

    return Decision(rule_id, Outcome.ALLOW, source=source_of(rule_id))
