"""Errors with stable codes. Views and the API map them to HTTP in one place.

Every error carries a stable machine code (``catalog.resource.not_found``), a Chinese message that says
what was wrong and how to fix it, and optional details. The API answers ``{"code", "message", "details"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanbu.policy.decisions import Decision


class SanbuError(Exception):
    status = 400

    def __init__(self, code: str, message: str = "", **details: Any) -> None:
        self.code = code
        self.message = message or code
        self.details = details
        super().__init__(f"{code}: {self.message}")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(SanbuError):
    """Missing and forbidden look alike, so nobody learns what exists outside their scope."""

    status = 404

    def __init__(self, code: str, message: str = "", **details: Any) -> None:
        super().__init__(code, message or "对象不存在或您无权访问。", **details)


class PermissionDenied(SanbuError):
    status = 403


class NotAuthenticated(SanbuError):
    status = 401

    def __init__(self) -> None:
        super().__init__("auth.required", "请先登录，或在请求头中提供有效的凭证。")


class Conflict(SanbuError):
    status = 409


class ValidationFailed(SanbuError):
    status = 400

    def __init__(self, code: str, message: str, errors: list[FieldError] | None = None, **details: Any):
        super().__init__(code, message, **details)
        self.errors = errors or []

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["errors"] = [e.__dict__ for e in self.errors]
        return data


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


def text_problem(
    value: str, limit: int | None, field: str, label: str, required: bool = False
) -> FieldError | None:
    """The one check of free text: no NUL characters (PostgreSQL refuses them), filled in when required,
    and within its column's length."""
    if "\x00" in value:
        return FieldError(field, "invalid_character", f"{label}含有空字符（NUL），请删除后重新填写。")
    if required and not value.strip():
        return FieldError(field, "required", f"请填写{label}。")
    if limit and len(value.strip()) > limit:
        return FieldError(field, "too_long", f"{label}不超过 {limit} 字，当前 {len(value.strip())} 字。")
    return None


def decision_text(d: Decision) -> str:
    """One decision as a sentence: what failed, which rule and where it comes from, what would pass."""
    return f"{d.reason}（{d.rule_id}，依据：{d.source}）。{d.remedy}"


class RuleBlocked(SanbuError):
    status = 422

    """A policy rule blocks: carries every blocking decision (rule id, reason, fact, remedy, source)."""

    def __init__(self, decisions: list[Decision]) -> None:
        first = decisions[0]
        super().__init__(
            f"rule.{first.rule_id}",
            "；".join(decision_text(d) for d in decisions),
        )
        self.decisions = decisions

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["decisions"] = [d.as_dict() for d in self.decisions]
        return data


def raise_if_blocked(decisions: list[Decision]) -> list[Decision]:
    """Raise RuleBlocked for blocking decisions; return the warnings for the caller to show."""
    blocking = [d for d in decisions if d.blocks]
    if blocking:
        raise RuleBlocked(blocking)
    return [d for d in decisions if d.outcome.value in ("warn", "needs-review")]
