from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sanbu.core.actor import Actor, Assignment, Scope, jurisdiction_covers, jurisdiction_prefix


def test_prefixes() -> None:
    assert jurisdiction_prefix("370000") == "37"
    assert jurisdiction_prefix("370300") == "3703"
    assert jurisdiction_prefix("370323") == "370323"
    assert jurisdiction_covers("370300", "370323")
    assert not jurisdiction_covers("370300", "370100")
    assert jurisdiction_covers("370000", "370100")


@given(st.from_regex(r"^[1-6][0-9](0[1-9]|[1-9][0-9])(0[1-9]|[1-9][0-9])$", fullmatch=True))
def test_county_is_covered_by_its_city_and_province(code: str) -> None:
    assert jurisdiction_covers(code[:4] + "00", code)
    assert jurisdiction_covers(code[:2] + "0000", code)
    assert not jurisdiction_covers(code, code[:4] + "00")


def test_scope_rules() -> None:
    steward = Actor(1, "s", assignments=(Assignment("steward", frozenset({"x"}), department_id=5),))
    authority = Actor(2, "a", assignments=(Assignment("authority", frozenset({"x"}), jurisdiction="370300"),))
    assert steward.can("x", Scope("370300", 5))
    assert not steward.can("x", Scope("370300", 6))
    assert not steward.can("y", Scope("370300", 5))
    assert authority.can("x", Scope("370323", 9))
    assert not authority.can("x", Scope("370102", 9))
    assert Actor(3, "root", is_superuser=True).can("anything", Scope("110000"))
    assert not Actor(None, "").has_any_role
