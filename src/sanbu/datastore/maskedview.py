"""The masked view (脱敏视图) of each stored row: what a consumer with no lifted masking sees, kept beside
the row so a bulk extract does not decrypt and mask a million values one by one.

At mount time each row gets ``DataRow.view``: one CSV record (no line end) that starts with the view's
signature, then the row's values in item order, each masked by the item's own rule and written as text
exactly as an extract writes it (``text``). The signature is the SM3 of the item names and rules, so a
view made under other rules (an item's masking changed after the mount, items renamed) does not match
the resource's current ``spec`` and the extract falls back to decrypting and masking per value.

Protected items (SM4-encrypted at rest, CAT-7) whose rule is ``none`` are left out of the view: a view
never holds a protected value in the clear. Masked forms (``3703**********1234``, ``张*``) are what every
consumer without a lift receives and are stored as text; docs/encryption.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sanbu.core.sm3 import sm3_hex

from . import masking

VIEW_FORMAT = "v2"  # part of the signature: views written by an older renderer are not used


def text(value: Any) -> str:
    """A value as an extract writes it: ``None`` empty, booleans 是/否, integral floats without ``.0``."""
    if value is None:
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class ViewSpec:
    names: tuple[str, ...]
    rules: tuple[str, ...]
    signature: str

    @property
    def prefix(self) -> str:
        return self.signature + ","

    def index(self, name: str, rule: str) -> int | None:
        """Where the view holds item ``name`` masked by ``rule``; None when it does not."""
        for i, (n, r) in enumerate(zip(self.names, self.rules, strict=True)):
            if n == name:
                return i if r == rule else None
        return None


def spec(items: Sequence[Any], protected: frozenset[str] | set[str]) -> ViewSpec:
    """The view of a resource's items (in their order), given which are stored encrypted."""
    names: list[str] = []
    rules: list[str] = []
    for item in items:
        rule = str(getattr(item, "masking", "") or "none")
        if item.name in protected and rule == "none":
            continue
        names.append(item.name)
        rules.append(rule)
    layout = "\x1f".join(f"{n}\x1e{r}" for n, r in zip(names, rules, strict=True))
    signature = sm3_hex(f"{VIEW_FORMAT}\x1d{layout}".encode())[:12]
    return ViewSpec(names=tuple(names), rules=tuple(rules), signature=signature)


def renderer(view: ViewSpec) -> Callable[[Mapping[str, Any]], str]:
    """``plaintext row -> DataRow.view``."""
    buf = io.StringIO()
    # The line end must be "\r\n" even though it is cut off: the writer quotes a value holding any
    # character of the line terminator, so a value with a line break stays one field.
    writer = csv.writer(buf, lineterminator="\r\n")
    fields = [(n, masking.masker(r)) for n, r in zip(view.names, view.rules, strict=True)]
    prefix = view.prefix

    def render(row: Mapping[str, Any]) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow([text(fn(row.get(n)) if fn is not None else row.get(n)) for n, fn in fields])
        return prefix + buf.getvalue()[:-2]

    return render
