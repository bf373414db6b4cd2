"""The dispatcher: every gate and check by letter, with the facts it reads; example files for the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from sanbu.policy import gates
from sanbu.policy.facts import FactsError, from_json
from sanbu.policy.rulesets import load

from .test_acceptance_rules import acc, ev, ops
from .test_funds_rules import construction, funds
from .test_project_rules import facts

EXAMPLES = Path(__file__).resolve().parents[4] / "docs" / "examples"
SAMPLES: dict[str, Any] = {"S": facts(), "A": facts(), "F": funds(), "C": construction(), "K": acc(),
                           "O": ops(), "E": ev()}  # fmt: skip


@pytest.mark.parametrize("letter", gates.LETTERS)
def test_every_letter_runs_its_own_rules_in_order(letter: str) -> None:
    decisions = gates.evaluate(letter, SAMPLES[letter], load("yiyuan"))
    expected = [r.id for r in gates.RULES[letter] if load("yiyuan").enabled(r.id)]
    assert [d.rule_id for d in decisions] == expected and expected
    assert all(d.source and d.source != "POLICY.md" for d in decisions)


def test_facts_of_another_gate_are_refused() -> None:
    with pytest.raises(FactsError, match="AcceptanceFacts"):
        gates.evaluate("K", funds(), load("default"))
    with pytest.raises(gates.UnknownGate, match="未知的关口"):
        gates.facts_class("Z")


def test_negative_amounts_are_refused_before_any_rule() -> None:
    with pytest.raises(FactsError):
        gates.evaluate("F", funds(requested=-5), load("default"))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize(("letter", "name"), [("F", "funds-facts"), ("C", "construction-facts"),
                                              ("K", "acceptance-facts"), ("O", "operations-facts"),
                                              ("E", "evaluation-facts")])  # fmt: skip
def test_the_example_files_parse_as_their_gates_facts(letter: str, name: str) -> None:
    """docs/examples/<name>.json are what `sanbu policy evaluate --gate <letter>` reads (regenerated with
    SANBU_WRITE_EXAMPLES=1)."""
    import os

    path = EXAMPLES / f"{name}.json"
    data = _plain(dataclasses.asdict(SAMPLES[letter]))
    if os.environ.get("SANBU_WRITE_EXAMPLES"):
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    parsed = from_json(json.loads(path.read_text(encoding="utf-8")), gates.FACTS[letter])
    assert parsed == SAMPLES[letter]
