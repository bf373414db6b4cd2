"""Masking rules used by the gateway and extracts (CAT-7, EX-8)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sanbu.datastore.masking import FULL_MASK, mask_address, mask_record, mask_value

digits = st.text(alphabet="0123456789", min_size=1)


def test_id_number_example_from_the_issue() -> None:
    assert mask_value("370303198001010012", "id_number") == "3703" + "*" * 10 + "0012"
    assert mask_value("11010519491231002X", "id_number") == "1101**********002X"


def test_mobile_name_bank_card_full_none() -> None:
    assert mask_value("13812348000", "mobile") == "138****8000"
    assert mask_value(13812348000, "mobile") == "138****8000"  # non-strings are stringified
    assert mask_value("张三", "name") == "张*"
    assert mask_value("王小明", "name") == "王**"
    assert mask_value("李", "name") == "*"
    assert mask_value("6222021234567890123", "bank_card") == "*" * 15 + "0123"
    assert mask_value("123", "bank_card") == "***"
    assert mask_value("anything at all", "full") == FULL_MASK
    assert mask_value(12345, "full") == FULL_MASK
    assert mask_value(12345, "none") == 12345
    assert mask_value("x", "no-such-rule") == "x"
    assert mask_value(3.0, "bank_card") == "*"  # integral floats as "3"


def test_none_stays_none_under_every_rule() -> None:
    for rule in ("none", "id_number", "mobile", "name", "address", "bank_card", "full"):
        assert mask_value(None, rule) is None


def test_address_keeps_up_to_the_district() -> None:
    assert mask_address("山东省淄博市张店区人民西路1号") == "山东省淄博市张店区" + "*" * 6
    assert mask_address("北京市朝阳区建国路") == "北京市朝阳区***"
    assert mask_address("贵州省贵阳市南明区中华路") == "贵州省贵阳市南明区***"
    assert mask_address("济南市市中区经十路") == "济南市市中区***"
    assert mask_address("广州市天河区体育西路") == "广州市天河区****"
    assert mask_address("内蒙古自治区呼和浩特市新城区某路") == "内蒙古自治区呼和浩特市新城区**"
    assert mask_address("山东省桓台县索镇") == "山东省桓台县**"
    assert mask_address("张店区华光路") == "张店区***"
    assert mask_address("人民路100号院") == "人民路100**"
    assert mask_value("短", "address") == "短"


def test_mask_record_with_rules_and_lifted_items() -> None:
    record = {"公民身份号码": "370303198001010012", "姓名": "张三", "手机": "13812348000", "人数": 3}
    rules = {"公民身份号码": "id_number", "姓名": "name", "手机": "mobile"}
    assert mask_record(record, rules, set()) == {
        "公民身份号码": "3703**********0012", "姓名": "张*", "手机": "138****8000", "人数": 3,
    }  # fmt: skip
    lifted = mask_record(record, rules, {"姓名"})
    assert lifted["姓名"] == "张三" and lifted["手机"] == "138****8000"
    assert record["姓名"] == "张三"  # the input is not modified


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_id_middle_digits_never_shown(body: str, check: str) -> None:
    number = body + check
    masked = mask_value(number, "id_number")
    assert len(masked) == 18
    assert masked[4:14] == "*" * 10
    assert number[4:14] not in masked
    assert not any(ch.isdigit() for ch in masked[4:14])
    assert masked[:4] == number[:4] and masked[14:] == number[14:]


@given(digits)
def test_length_preserved_for_id_and_mobile(value: str) -> None:
    assert len(mask_value(value, "id_number")) == len(value)
    assert len(mask_value(value, "mobile")) == len(value)
    assert len(mask_value(value, "bank_card")) == len(value)


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)))
def test_full_is_idempotent(value: object) -> None:
    once = mask_value(value, "full")
    assert once == FULL_MASK and mask_value(once, "full") == once


@given(st.text(min_size=1))
def test_rules_are_idempotent_on_their_output(value: str) -> None:
    for rule in ("id_number", "mobile", "name", "bank_card"):
        once = mask_value(value, rule)
        assert mask_value(once, rule) == once
