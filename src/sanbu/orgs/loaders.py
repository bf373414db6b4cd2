"""Reference data loaded on migrate: GB/T 2260 jurisdictions and the role table."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from sanbu.core import places


def load_jurisdictions(model: Any) -> int:
    """Insert or refresh every GB/T 2260 code from stdnum's list, parents first."""
    existing = set(model.objects.values_list("code", flat=True))
    all_places = places.all_places()
    created = 0
    for level in (1, 2, 3):
        batch = []
        for place in all_places.values():
            if place.level != level or place.code in existing:
                continue
            parent = place.parent_code
            while parent and parent not in all_places:
                parent = None if parent.endswith("0000") else parent[:2] + "0000"
            batch.append(
                model(
                    code=place.code,
                    name=place.name,
                    level=level,
                    parent_id=parent,
                    valid_from=place.valid_from,
                    valid_to=place.valid_to,
                )
            )
        model.objects.bulk_create(batch, batch_size=1000)
        created += len(batch)
    return created


def role_table() -> dict[str, dict[str, Any]]:
    text = resources.files("sanbu.orgs").joinpath("data/roles.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def load_roles(model: Any) -> None:
    for code, spec in role_table().items():
        model.objects.update_or_create(
            code=code,
            defaults={
                "name": spec["name"],
                "scope_kind": spec["scope"],
                "actions": sorted(spec["actions"]),
                "description": spec.get("description", ""),
            },
        )
