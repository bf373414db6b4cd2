"""Masking (脱敏) of item values by rule, for the gateway and bulk extracts (CAT-7, EX-8).

Pure functions, no database. The rules are the ``catalog.models.Masking`` choices; the profiles follow
common practice (STANDARDS.md "Masking profiles"):

- ``id_number``: keep the first 4 and the last 4 characters, a star for each one between, so an
  18-character 公民身份号码 becomes ``3703**********1234`` (length preserved). Values of 8 characters or
  fewer are starred entirely.
- ``mobile``: keep the first 3 and the last 4 (``138****8000``, length preserved); values shorter than
  8 characters are starred entirely.
- ``name``: keep the surname (the first character) and star the rest, one star per character:
  ``张三`` → ``张*``, ``王小明`` → ``王**``. Compound surnames (欧阳) keep only their first character; a
  one-character value becomes ``*``.
- ``address``: keep up to the district/county and star the rest (one star per character). After a
  leading province (``省``/``自治区``), the city is the first ``市``/``州``/``盟``/``地区``; the district is the first ``区``/``县``/``市``/``旗`` at least two
  characters after it (so ``济南市市中区`` is kept whole). Without a city the first ``区``/``县``/``旗`` is
  used; without either the first 6 characters are kept.
- ``bank_card``: keep the last 4, star the rest (length preserved); 4 characters or fewer → all stars.
- ``full``: always ``******`` (fixed length: the length of the value is hidden too).
- ``none`` (or an unknown rule name): unchanged.

``None`` stays ``None`` under every rule. Other non-string values are turned into text (integral
floats without ``.0``) before a masking rule other than ``none`` applies.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

FULL_MASK = "******"
STAR = "*"

_CITY_MARKS = ("地区", "市", "州", "盟")
_DISTRICT_MARKS = ("区", "县", "市", "旗")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _keep(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return STAR * len(text)
    return text[:head] + STAR * (len(text) - head - tail) + (text[len(text) - tail :] if tail else "")


def mask_id_number(text: str) -> str:
    return _keep(text, 4, 4)


def mask_mobile(text: str) -> str:
    return _keep(text, 3, 4)


def mask_bank_card(text: str) -> str:
    return _keep(text, 0, 4)


def mask_name(text: str) -> str:
    if len(text) <= 1:
        return STAR * len(text)
    return text[0] + STAR * (len(text) - 1)


def _first_mark(text: str, marks: tuple[str, ...], start: int) -> int | None:
    """The end index (exclusive) of the first of ``marks`` found at or after ``start``."""
    best: int | None = None
    for mark in marks:
        pos = text.find(mark, start)
        if pos >= 0 and (best is None or pos + len(mark) < best):
            best = pos + len(mark)
    return best


def address_keep_length(text: str) -> int:
    """How many leading characters of an address the ``address`` rule keeps."""
    start = 0
    for province in ("自治区", "省"):
        pos = text.find(province, 0, 10)
        if pos > 0:
            start = pos + len(province)
            break
    city_end = _first_mark(text, _CITY_MARKS, start + 1)
    if city_end is not None:
        if text[city_end : city_end + 1] == "市":  # 广州市, 自治州 … 市
            city_end += 1
        district_end = _first_mark(text, _DISTRICT_MARKS, city_end + 1)
        if district_end is not None:
            return district_end
    district_end = _first_mark(text, ("区", "县", "旗"), start + 1)
    if district_end is not None:
        return district_end
    return min(6, len(text))


def mask_address(text: str) -> str:
    keep = address_keep_length(text)
    return text[:keep] + STAR * (len(text) - keep)


_RULES = {
    "id_number": mask_id_number,
    "mobile": mask_mobile,
    "name": mask_name,
    "address": mask_address,
    "bank_card": mask_bank_card,
}


def mask_value(value: Any, rule: str | None) -> Any:
    """The value as a caller without a lifted grant may see it under ``rule``."""
    if value is None or not rule or rule == "none":
        return value
    if rule == "full":
        return FULL_MASK
    fn = _RULES.get(rule)
    if fn is None:
        return value
    return fn(_text(value))


def masker(rule: str | None) -> Callable[[Any], Any] | None:
    """The function that masks a value under ``rule`` (None when values pass unchanged): the same results
    as ``mask_value`` without looking the rule up per value."""
    if not rule or rule == "none":
        return None
    if rule == "full":
        return lambda v: v if v is None else FULL_MASK
    fn = _RULES.get(rule)
    if fn is None:
        return None
    return lambda v: v if v is None else fn(v if isinstance(v, str) else _text(v))


def mask_record(
    record: Mapping[str, Any], rules: Mapping[str, str], lifted: Collection[str] = frozenset()
) -> dict[str, Any]:
    """A copy of ``record`` with each item masked by its rule, except items whose masking the grant lifts.

    Items without a rule are returned unchanged: choosing which items a caller may see at all is the
    grant's job, not this function's.
    """
    return {
        name: value if name in lifted else mask_value(value, rules.get(name))
        for name, value in record.items()
    }
