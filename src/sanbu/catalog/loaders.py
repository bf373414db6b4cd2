from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def base_elements() -> list[dict[str, Any]]:
    text = resources.files("sanbu.catalog").joinpath("data/elements.yaml").read_text(encoding="utf-8")
    data: list[dict[str, Any]] = yaml.safe_load(text)
    return data


def load_base_elements(model: Any) -> int:
    created = 0
    for spec in base_elements():
        _, was_created = model.objects.update_or_create(
            identifier=spec["identifier"],
            defaults={
                "name": spec["name"],
                "synonyms": list(spec.get("synonyms", [])),
                "data_type": spec["data_type"],
                "length": str(spec.get("length", "")),
                "format": spec.get("format", ""),
                "value_domain": spec.get("value_domain", ""),
                "definition": spec.get("definition", ""),
                "is_base": True,
            },
        )
        created += int(was_created)
    return created
