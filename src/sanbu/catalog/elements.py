"""Finding data elements by name, synonym or identifier, and suggesting links for unlinked items."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .models import DataElement

FUZZY_THRESHOLD = 85
# Chinese item names are short: one character off in four ("出身日期" → 出生日期) is a typo worth flagging.
SHORT_NAME_THRESHOLD = 75


class ElementIndex:
    """All elements keyed by identifier, name and synonyms (loaded once per operation)."""

    def __init__(self, elements: list[DataElement] | None = None) -> None:
        self.elements = elements if elements is not None else list(DataElement.objects.all())
        self.by_key: dict[str, DataElement] = {}
        for e in self.elements:
            self.by_key[e.identifier.upper()] = e
            for n in e.all_names():
                self.by_key.setdefault(n.strip(), e)

    def find(self, ref: str) -> DataElement | None:
        ref = ref.strip()
        return self.by_key.get(ref) or self.by_key.get(ref.upper())

    def suggest(self, item_name: str) -> tuple[DataElement, int] | None:
        """An element the item looks like: exact name or synonym, else a close fuzzy match."""
        exact = self.by_key.get(item_name.strip())
        if exact is not None:
            return exact, 100
        names = {n: e for e in self.elements for n in e.all_names()}
        best = process.extractOne(item_name, list(names), scorer=fuzz.ratio)
        threshold = SHORT_NAME_THRESHOLD if len(item_name.strip()) <= 4 else FUZZY_THRESHOLD
        if best and best[1] >= threshold:
            return names[best[0]], int(best[1])
        return None


@dataclass(frozen=True)
class LinkSuggestion:
    item_id: int
    item_name: str
    resource_id: int
    resource_name: str
    element_id: int
    element_name: str
    score: int
