"""Every gate and check of a project's life, by letter, with the facts it reads.

- S 申报 and A 立项: ``ProjectFacts`` (``rules.projects``);
- F 资金 and C 建设: ``FundsFacts`` and ``ConstructionFacts`` (``rules.funds``);
- K 验收, O 运维经费 and E 绩效评价: ``AcceptanceFacts``, ``OperationsFacts`` and ``EvaluationFacts``
  (``rules.acceptance``).

``evaluate(letter, facts, ruleset)`` runs the rules of the letter that the ruleset enables, in order;
``FACTS[letter]`` is the dataclass to build (or parse with ``facts.from_json``) for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import lifecycle_facts_f, lifecycle_facts_k
from .decisions import Decision
from .facts import FactsError, ProjectFacts
from .rules import acceptance, funds, projects
from .rules.projects import Rule
from .rulesets import Ruleset

GATES = ("S", "A", "F", "K", "O")  # the gates money and approval wait on
CHECKS = ("C", "E")  # checked during construction and after acceptance
LETTERS = GATES + CHECKS
TITLES = {
    "S": "申报",
    "A": "立项",
    "F": "资金拨付",
    "K": "竣工验收",
    "O": "运维经费",
    "C": "建设管理",
    "E": "绩效评价",
}

FACTS: dict[str, type] = {
    "S": ProjectFacts,
    "A": ProjectFacts,
    **lifecycle_facts_f.FACTS,
    **lifecycle_facts_k.FACTS,
}
RULES: dict[str, tuple[Rule, ...]] = {
    "S": projects.GATES[projects.Gate.S],
    "A": projects.GATES[projects.Gate.A],
    "F": funds.GATE_F,
    "C": funds.CHECKS_C,
    "K": acceptance.GATE_K,
    "O": acceptance.GATE_O,
    "E": acceptance.CHECKS_E,
}


EVALUATORS: dict[str, Callable[[Any, Ruleset], list[Decision]]] = {
    "F": funds.evaluate_f,
    "C": funds.evaluate_c,
    "K": acceptance.evaluate_k,
    "O": acceptance.evaluate_o,
    "E": acceptance.evaluate_e,
}


class UnknownGate(LookupError):
    """A letter that names no gate or check."""


def facts_class(letter: str) -> type:
    if letter not in FACTS:
        raise UnknownGate(
            f"未知的关口“{letter}”，应为：{'、'.join(f'{k}（{TITLES[k]}）' for k in LETTERS)}。"
        )
    return FACTS[letter]


def evaluate(letter: str, facts: Any, ruleset: Ruleset) -> list[Decision]:
    """The decisions of every rule of gate or check ``letter`` that ``ruleset`` enables, in order."""
    cls = facts_class(letter)
    if not isinstance(facts, cls):
        raise FactsError(
            "", f"关口 {letter}（{TITLES[letter]}）需要 {cls.__name__} 事实，收到 {type(facts).__name__}"
        )
    if isinstance(facts, ProjectFacts):  # S and A also check that gate A has its approval facts
        return projects.evaluate(letter, facts, ruleset)
    return EVALUATORS[letter](facts, ruleset)  # each validates its facts first (e.g. no negative amounts)
