"""GB/T 2260 division codes, read from the list python-stdnum ships (``stdnum/cn/loc.dat``).

Entries carry validity years (``[1983-1999]郊区,[2000-]洛龙区``); we keep every name with its years so an
ID number issued under a retired code still resolves, and use the current name for the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: int  # 1 province, 2 city, 3 county
    valid_from: int | None
    valid_to: int | None

    @property
    def current(self) -> bool:
        return self.valid_to is None

    @property
    def parent_code(self) -> str | None:
        if self.level == 1:
            return None
        if self.level == 2:
            return self.code[:2] + "0000"
        return self.code[:4] + "00"


def _parse_names(raw: str) -> list[tuple[str, int | None, int | None]]:
    out = []
    for part in raw.split(","):
        m = _SPAN.match(part.strip())
        if m:
            start, end, name = m.groups()
            out.append((name, int(start) if start else None, int(end) if end else None))
        else:
            out.append((part.strip(), None, None))
    return out


@cache
def all_places() -> dict[str, Place]:
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    places: dict[str, Place] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            code, _, rest = line.partition(" ")
            province = code
            name = rest.split("=", 1)[1].strip('"')
            places[code + "0000"] = Place(code + "0000", name, 1, None, None)
            continue
        sub, _, rest = line.strip().partition(" ")
        code = province + sub
        if sub == "0000":
            continue
        names = _parse_names(rest.split("=", 1)[1].strip('"'))
        name, start, end = names[-1]
        if any(e is None for _, _, e in names):
            name, start, end = next(n for n in names if n[2] is None)
        level = 2 if sub.endswith("00") else 3
        places[code] = Place(code, name, level, start, end)
    return places


def exists(code: str) -> bool:
    return code in all_places()


def get(code: str) -> Place | None:
    return all_places().get(code)
