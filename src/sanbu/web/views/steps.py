"""Forms of the lifecycle pages as data: one ``Step`` per service call (title, hint, who may see it, its
fields, and the call), drawn by ``lifecycle/_step.html`` and posted to one view per page. The services
check permission and state again; the page only hides what the actor could not do anyway.

A field's raw text is read into its type here (``read``): a bad date or number is a field error in
Chinese, raised as ``ValidationFailed`` like the services' own, so both show beside the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sanbu.core.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | date | int | bool | choice | multi
    required: bool = True
    choices: Sequence[tuple[str, str]] = ()
    hint: str = ""
    initial: Any = None


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    call: Callable[
        ..., object
    ]  # (actor, pk, the fields read, the version posted) -> whatever the service gives
    fields: Sequence[Field] = ()
    hint: str = ""
    done: str = "已办理。"  # shown after success, formatted with the fields read (``{period}``)
    button: str = "提交"
    versioned: bool = False  # posts the version the clerk saw
    version_of: str = "lifecycle"  # whose version: "lifecycle" (the default) or "project"
    extra: dict[str, Any] = field(default_factory=dict)


class _Bad(Exception):
    def __init__(self, error: FieldError) -> None:
        self.error = error


def _bad(f: Field, code: str, message: str) -> _Bad:
    return _Bad(FieldError(f.name, code, message))


def _one(f: Field, raw: Any, multi: list[str]) -> Any:
    text = (raw or "").strip() if isinstance(raw, str) or raw is None else raw
    if f.kind == "bool":
        return bool(raw)
    if f.kind == "multi":
        return [v for v in multi if v in dict(f.choices)]
    if text == "":
        if f.required:
            raise _bad(f, "required", f"请填写“{f.label}”。")
        return None if f.kind in ("date", "int") else ""
    if f.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _bad(f, "invalid", f"“{f.label}”应为日期，如 2026-11-25。") from None
    if f.kind == "int":
        if not text.lstrip("-").isdigit() or len(text) > 15:
            raise _bad(f, "invalid", f"“{f.label}”应为整数。")
        return int(text)
    if f.kind == "choice" and text not in dict(f.choices):
        raise _bad(f, "invalid", f"请选择“{f.label}”。")
    return text


def read(step: Step, post: Mapping[str, Any], getlist: Callable[[str], list[str]]) -> dict[str, Any]:
    """The step's fields read from a POST, or ValidationFailed naming every bad field."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for f in step.fields:
        try:
            values[f.name] = _one(f, post.get(f.name), getlist(f.name) if f.kind == "multi" else [])
        except _Bad as exc:
            errors.append(exc.error)
    if errors:
        raise ValidationFailed("validation_failed", "填写有误，请按提示修改。", errors)
    return values
