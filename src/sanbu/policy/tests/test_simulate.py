"""Simulation: the decisions a ruleset change would change, and the money behind them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.decisions import Decision, Outcome
from sanbu.policy.simulate import compare, difference, summarize

OUTCOMES = st.sampled_from(list(Outcome))


def d(rule: str, outcome: Outcome, reason: str = "") -> Decision:
    return Decision(rule, outcome, reason or f"{rule} {outcome.value}")


def test_only_changed_outcomes_are_listed_with_the_new_reason() -> None:
    before = [d("PRJ-A5", Outcome.ALLOW), d("PRJ-A6", Outcome.WARN)]
    after = [d("PRJ-A5", Outcome.ALLOW), d("PRJ-A6", Outcome.BLOCK, "新理由"), d("PRJ-A7", Outcome.BLOCK)]
    changes = compare(before, after)
    assert [(c.rule_id, c.before, c.after) for c in changes] == [
        ("PRJ-A6", Outcome.WARN, Outcome.BLOCK), ("PRJ-A7", None, Outcome.BLOCK)]  # fmt: skip
    assert changes[0].reason == "新理由"
    off = compare(after, before)  # PRJ-A7 switched off again
    assert ("PRJ-A7", Outcome.BLOCK, None) in [(c.rule_id, c.before, c.after) for c in off]
    # switched on where it allows: no decision changes
    assert compare([d("PRJ-A5", Outcome.ALLOW)], [d("PRJ-A5", Outcome.ALLOW), d("PRJ-A7", Outcome.ALLOW)]) == ()


def test_the_summary_counts_projects_and_money_both_ways() -> None:
    newly = difference(1, 500_000, [d("PRJ-A7", Outcome.ALLOW)], [d("PRJ-A7", Outcome.BLOCK)])
    freed = difference(2, 300_000, [d("PRJ-S4", Outcome.BLOCK)], [d("PRJ-S4", Outcome.NEEDS_REVIEW)])
    same = difference(3, 9, [d("PRJ-S1", Outcome.ALLOW)], [d("PRJ-S1", Outcome.ALLOW)])
    assert same is None and newly is not None and freed is not None
    assert summarize([newly, freed]) == {"changed": 2, "newly_blocked": 1, "newly_blocked_amount": 500_000,
                                         "unblocked": 1, "unblocked_amount": 300_000}  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), OUTCOMES), unique_by=lambda t: t[0]),
       st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), OUTCOMES), unique_by=lambda t: t[0]))  # fmt: skip
def test_nothing_changes_against_itself_and_changes_are_symmetric(
    a: list[tuple[str, Outcome]], b: list[tuple[str, Outcome]]
) -> None:
    before, after = [d(r, o) for r, o in a], [d(r, o) for r, o in b]
    assert compare(before, before) == ()
    assert {c.rule_id for c in compare(before, after)} == {c.rule_id for c in compare(after, before)}
