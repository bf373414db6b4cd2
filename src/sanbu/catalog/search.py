"""Catalog search. Interface used by the API, pages and services:

- ``index_resources(ids)``: refresh the search index rows of these resources (called by services in
  their transaction, so the index never lags the catalog);
- ``search_resources(actor=, q=, filters=, limit=, offset=)`` → ``SearchPage``.

This first version matches with icontains; the full-text engine replaces the internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from sanbu.core.actor import Actor

from .models import Resource
from .selectors import ResourceFilters, resource_list


@dataclass(frozen=True)
class SearchPage:
    results: list[Resource]
    total: int


def index_resources(ids: Iterable[int]) -> None:
    return None


def search_resources(
    *, actor: Actor, q: str = "", filters: ResourceFilters | None = None, limit: int = 20, offset: int = 0
) -> SearchPage:
    qs = resource_list(actor=actor, filters=filters)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(summary__icontains=q) | Q(items__name__icontains=q) | Q(department__name__icontains=q)
        ).distinct()
    total = qs.count()
    return SearchPage(list(qs[offset : offset + limit]), total)
