"""The masked view stored with each row: one CSV record per row, masked by each item's own rule."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sanbu.datastore import maskedview
from sanbu.datastore.masking import mask_value


@dataclass
class Item:
    name: str
    masking: str


ITEMS = [Item("公民身份号码", "id_number"), Item("姓名", "name"), Item("备注", "none"), Item("电话", "none")]


def test_protected_items_without_masking_are_left_out() -> None:
    spec = maskedview.spec(ITEMS, frozenset({"公民身份号码", "电话"}))
    assert spec.names == ("公民身份号码", "姓名", "备注")
    assert spec.index("姓名", "name") == 1
    assert spec.index("姓名", "none") is None  # a lifted grant cannot use the view
    assert spec.index("电话", "none") is None


def test_signature_changes_with_any_rule_or_name() -> None:
    base = maskedview.spec(ITEMS, frozenset())
    assert maskedview.spec(ITEMS, frozenset()).signature == base.signature
    other_rule = [Item("公民身份号码", "full"), *ITEMS[1:]]
    renamed = [Item("身份证号", "id_number"), *ITEMS[1:]]
    assert maskedview.spec(other_rule, frozenset()).signature != base.signature
    assert maskedview.spec(renamed, frozenset()).signature != base.signature


values = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans(), st.floats(allow_nan=False))


@given(st.lists(values, min_size=4, max_size=4))
def test_a_view_parses_back_to_the_masked_texts(row_values: list[Any]) -> None:
    spec = maskedview.spec(ITEMS, frozenset())
    row = {i.name: v for i, v in zip(ITEMS, row_values, strict=True)}
    view = maskedview.renderer(spec)(row)
    assert view.startswith(spec.prefix)
    parsed = next(csv.reader([view[len(spec.prefix) :]]))
    expected = [maskedview.text(mask_value(row[n], r)) for n, r in zip(spec.names, spec.rules, strict=True)]
    assert parsed == expected


def test_line_breaks_inside_a_value_stay_in_one_quoted_field() -> None:
    spec = maskedview.spec(ITEMS, frozenset())
    view = maskedview.renderer(spec)({"备注": "第一行\r\n第二行", "电话": "\r"})
    parsed = next(csv.reader([view[len(spec.prefix) :]]))
    assert parsed[2] == "第一行\r\n第二行"
    assert parsed[3] == "\r"
