from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.decisions import Outcome
from sanbu.policy.rules.catalog import ItemFacts, ResourceFacts, can_publish, share_attribute


def facts(**over: object) -> ResourceFacts:
    base = dict(code="101000370300/000001", share_type="unconditional", share_condition="", no_share_basis="",
                secrecy="non_secret", data_grade="general", mounted=True, state="mounted",
                items=(ItemFacts("姓名", "unconditional", "姓名"),))  # fmt: skip
    base.update(over)
    return ResourceFacts(**base)  # type: ignore[arg-type]


def test_ready_resource_is_allowed() -> None:
    assert [d.outcome for d in can_publish(facts())] == [Outcome.ALLOW] * 3


def test_conditional_needs_condition_and_cites_cat5() -> None:
    d = share_attribute(facts(share_type="conditional"))
    assert (
        d.blocks
        and d.rule_id == "CAT-5"
        and "第十一条" in d.source
        and d.fact
        and d.fact.name == "share_condition"
    )


def test_not_shared_needs_basis() -> None:
    assert share_attribute(facts(share_type="none")).blocks
    assert not share_attribute(
        facts(share_type="none", no_share_basis="《中华人民共和国保守国家秘密法》")
    ).blocks


def test_unmounted_blocks_publish_with_remedy() -> None:
    blocking = [d for d in can_publish(facts(mounted=False)) if d.blocks]
    assert [d.rule_id for d in blocking] == ["CAT-4"] and "挂接" in blocking[0].remedy


def test_unlinked_items_warn() -> None:
    d = can_publish(facts(items=(ItemFacts("备注", "unconditional", None),)))[2]
    assert d.outcome is Outcome.WARN and d.rule_id == "CAT-3"


@given(share=st.sampled_from(["unconditional", "conditional", "none"]), cond=st.text(max_size=5),
       basis=st.text(max_size=5), mounted=st.booleans())  # fmt: skip
def test_blocks_exactly_when_a_rule_fails(share: str, cond: str, basis: str, mounted: bool) -> None:
    decisions = can_publish(
        facts(share_type=share, share_condition=cond, no_share_basis=basis, mounted=mounted)
    )
    expected = (
        (share == "conditional" and not cond.strip())
        or (share == "none" and not basis.strip())
        or not mounted
    )
    assert any(d.blocks for d in decisions) == expected
    assert all(d.source for d in decisions)
