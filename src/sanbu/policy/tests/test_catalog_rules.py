from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.decisions import Outcome
from sanbu.policy.rules.catalog import (
    ItemFacts,
    ResourceFacts,
    can_publish,
    grading,
    items_reference_elements,
    keys,
    secrecy,
    share_attribute,
)


def facts(**over: object) -> ResourceFacts:
    base = dict(code="101000370300/000001", share_type="unconditional", share_condition="", no_share_basis="",
                secrecy="non_secret", data_grade="general", mounted=True, state="mounted",
                items=(ItemFacts("姓名", "unconditional", "姓名"),))  # fmt: skip
    base.update(over)
    return ResourceFacts(**base)  # type: ignore[arg-type]


def test_ready_resource_is_allowed() -> None:
    decisions = can_publish(facts())
    assert [d.rule_id for d in decisions] == ["CAT-5", "CAT-6", "CAT-7", "CAT-3", "CAT-8", "CAT-4"]
    assert {d.outcome for d in decisions} == {Outcome.ALLOW}


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
    d = items_reference_elements(facts(items=(ItemFacts("备注", "unconditional", None),)))
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


def test_secret_data_cannot_be_unconditional_or_open() -> None:
    d = secrecy(facts(secrecy="secret"))
    assert d.blocks and d.rule_id == "CAT-6" and "无条件共享" in d.reason and "审批" in d.remedy
    assert secrecy(facts(secrecy="secret", share_type="conditional", open_to_public=True)).blocks
    assert not secrecy(facts(secrecy="secret", share_type="conditional", share_condition="经双方审批")).blocks


def test_core_data_is_not_opened_and_personal_items_are_masked() -> None:
    assert grading(facts(data_grade="core", open_to_public=True)).blocks
    person = ItemFacts("身份证号", "unconditional", "公民身份号码", element_id="DE00001", element_type="C")
    warn = grading(facts(data_grade="important", items=(person,)))
    assert warn.outcome is Outcome.WARN and warn.fact is not None and warn.fact.value == ["身份证号"]
    masked = ItemFacts("身份证号", "unconditional", "公民身份号码", element_id="DE00001", masking="id_number")
    assert grading(facts(data_grade="important", items=(masked,))).outcome is Outcome.ALLOW
    assert grading(facts(data_grade="general", items=(person,))).outcome is Outcome.ALLOW


def test_item_type_must_match_its_element() -> None:
    wrong = ItemFacts(
        "身份证号", "unconditional", "公民身份号码", element_id="DE00001", element_type="C", data_type="N"
    )
    d = items_reference_elements(facts(items=(wrong,)))
    assert d.blocks and d.rule_id == "CAT-3" and "C" in d.remedy
    memo = ItemFacts(
        "经营范围", "unconditional", "经营范围", element_id="DE00014", element_type="M", data_type="C"
    )
    assert not items_reference_elements(facts(items=(memo,))).blocks


def test_population_resources_are_keyed_by_citizen_id() -> None:
    d = keys(facts(subclass="人口"))
    assert d.outcome is Outcome.WARN and d.rule_id == "CAT-8" and "公民身份号码" in d.remedy
    key = ItemFacts("公民身份号码", "unconditional", "公民身份号码", element_id="DE00001", is_key=True)
    assert keys(facts(subclass="人口", items=(key,))).outcome is Outcome.ALLOW
    assert keys(facts(subclass="法人单位", items=(key,))).outcome is Outcome.WARN


def test_decision_as_dict_is_what_the_api_shows() -> None:
    d = share_attribute(facts(share_type="none"))
    assert d.as_dict() == {
        "rule_id": "CAT-5", "outcome": "block", "reason": d.reason,
        "fact": {"name": "no_share_basis", "value": ""}, "remedy": d.remedy, "source": d.source,
    }  # fmt: skip
    assert share_attribute(facts()).as_dict()["fact"] is None
