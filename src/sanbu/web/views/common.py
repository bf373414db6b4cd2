"""Helpers shared by the page views: the actor, htmx detection, errors shown in place, pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest

from sanbu.core.actor import ANONYMOUS, Actor
from sanbu.core.errors import Conflict, NotFound, RuleBlocked, SanbuError, ValidationFailed

PAGE_SIZE = 20


def actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    return actor if actor is not None else ANONYMOUS


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def int_or_none(value: Any) -> int | None:
    """A positive database-sized integer from user input, else None (never an overflow later)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def raise_404(exc: NotFound) -> Http404:
    return Http404(exc.message)


@dataclass(frozen=True)
class ErrorView:
    """A service error prepared for a template: title, message, decisions, field errors."""

    kind: str  # "conflict", "blocked", "invalid", "error"
    code: str
    title: str
    message: str
    decisions: list[dict[str, Any]]
    errors: list[dict[str, str]]
    status: int

    @property
    def is_conflict(self) -> bool:
        return self.kind == "conflict"


def error_view(exc: SanbuError) -> ErrorView:
    decisions: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    if isinstance(exc, RuleBlocked):
        kind, title = "blocked", "规则不允许此操作"
        for d in exc.decisions:
            decisions.append(
                {
                    "rule_id": d.rule_id,
                    "reason": d.reason,
                    "fact": "" if d.fact is None else f"{d.fact.name} = {d.fact.value!r}",
                    "remedy": d.remedy,
                    "source": d.source,
                }
            )
    elif isinstance(exc, Conflict):
        kind, title = "conflict", "操作未完成：已被他人修改，请刷新"
        if exc.code != "catalog.resource.changed":
            title = "操作未完成：当前状态已变化，请刷新"
    elif isinstance(exc, ValidationFailed):
        kind, title = "invalid", "填写有误"
        errors = [{"field": e.field, "code": e.code, "message": e.message} for e in exc.errors]
    else:
        kind, title = "error", "操作未完成"
    return ErrorView(kind, exc.code, title, exc.message, decisions, errors, exc.status)


@dataclass(frozen=True)
class Pager:
    """Page numbers for ``total`` results shown ``size`` at a time (with gaps for long ranges)."""

    page: int
    size: int
    total: int

    @classmethod
    def from_request(cls, request: HttpRequest, total: int, size: int = PAGE_SIZE) -> Pager:
        page = int_or_none(request.GET.get("page")) or 1
        pages = max(1, -(-total // size))
        return cls(min(max(page, 1), pages), size, total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def first_index(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def previous(self) -> int:
        return self.page - 1

    @property
    def next(self) -> int:
        return self.page + 1

    def numbers(self) -> list[int | None]:
        """Page numbers to show; None marks a gap (…)."""
        shown = {1, self.pages, *range(self.page - 2, self.page + 3)}
        out: list[int | None] = []
        last = 0
        for n in sorted(p for p in shown if 1 <= p <= self.pages):
            if n - last > 1:
                out.append(None)
            out.append(n)
            last = n
        return out
