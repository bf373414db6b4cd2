"""ID numbers and 统一社会信用代码: check digits are errors, unknown places are warnings (hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from sanbu.core import places
from sanbu.core.identifiers import (
    USCC_ALPHABET,
    check_citizen_id,
    check_uscc,
    make_citizen_id,
    make_uscc,
    org_code_check,
)

COUNTIES = sorted(c for c, p in places.all_places().items() if p.level == 3 and p.current)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


def test_known_valid_codes() -> None:
    for code in ("91512081MA62K0260E", "91110000600037341L", "11430000743187451F"):
        assert check_uscc(code).ok, code
    for number in ("11010519491231002X", "360426199101010071", "11010519491231002x"):
        assert check_citizen_id(number).ok, number


def test_stdnum_rejects_but_we_accept_with_a_warning_at_most() -> None:
    # stdnum's ric.validate rejects this (address code not valid in 1880); the checksum is right
    assert check_citizen_id("440524188001010014").ok


def test_errors_say_what_is_wrong() -> None:
    bad = check_uscc("91512081MA62K0260F")
    assert not bad.ok and bad.code == "uscc.checksum" and "E" in bad.message
    assert check_uscc("91512081MA62K0260").code == "uscc.length"
    assert check_uscc("91512081MA62K026OE").code == "uscc.characters"
    assert check_citizen_id("110105194912310021").code == "id.checksum"
    assert check_citizen_id("110105194913310021").code == "id.birth_date"
    assert check_citizen_id("11010519491231002").code == "id.length"


def test_unknown_place_is_a_warning() -> None:
    code = make_uscc("91", "999999", "12345678")
    result = check_uscc(code)
    assert result.ok and any("999999" in w for w in result.warnings)


@given(region=st.sampled_from(COUNTIES), birth=births, seq=st.integers(0, 999))
def test_generated_ids_validate(region: str, birth: date, seq: int) -> None:
    number = make_citizen_id(region, birth, seq)
    result = check_citizen_id(number)
    assert result.ok and result.warnings == ()


@given(region=st.sampled_from(COUNTIES), birth=births, seq=st.integers(0, 999), pos=st.integers(0, 16),
       digit=st.sampled_from("0123456789"))  # fmt: skip
def test_any_single_digit_change_is_caught(region: str, birth: date, seq: int, pos: int, digit: str) -> None:
    number = make_citizen_id(region, birth, seq)
    if number[pos] == digit:
        return
    changed = number[:pos] + digit + number[pos + 1 :]
    assert not check_citizen_id(changed).ok


@given(
    authority=st.sampled_from(["11", "12", "51", "91", "92", "Y1"]),
    region=st.sampled_from(COUNTIES),
    org=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)
def test_generated_usccs_validate(authority: str, region: str, org: str) -> None:
    code = make_uscc(authority, region, org)
    assert len(code) == 18 and check_uscc(code).ok
    assert code[16] == org_code_check(org)


@given(code=st.text(alphabet=USCC_ALPHABET, min_size=18, max_size=18), pos=st.integers(0, 17),
       char=st.sampled_from(USCC_ALPHABET))  # fmt: skip
def test_uscc_single_substitution_is_caught(code: str, pos: int, char: str) -> None:
    if not check_uscc(code).ok or code[pos] == char:
        return
    assert not check_uscc(code[:pos] + char + code[pos + 1 :]).ok


@given(st.text(max_size=30))
def test_any_text_gives_an_answer_not_an_exception(text: str) -> None:
    for result in (check_uscc(text), check_citizen_id(text)):
        assert result.ok or (result.code and result.message)


def test_places_tree() -> None:
    zibo = places.get("370300")
    yiyuan = places.get("370323")
    assert zibo is not None and zibo.name == "淄博市" and zibo.level == 2
    assert yiyuan is not None and yiyuan.name == "沂源县" and yiyuan.parent_code == "370300"
    assert places.get("370000") is not None and places.get("370000").parent_code is None  # type: ignore[union-attr]
    assert len(places.all_places()) > 3000


def test_code_stdnum_rejects_is_accepted_with_a_warning() -> None:
    from stdnum.cn import uscc

    body = "Y1370300123456788"
    result = check_uscc(body + uscc.calc_check_digit(body))
    assert result.ok and any("python-stdnum" in w for w in result.warnings)
