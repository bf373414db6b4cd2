"""The production URLs plus one bench-only view: the gateway's key lookup with no authentication,
rate limit, grant, masking or access record (``bare_rps`` of ``bench/run_gateway.py``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from sanbu.catalog.models import MountKind, ResourceItem, ResourceMount
from sanbu.catalog.models import Resource as CatalogResource
from sanbu.config.urls import urlpatterns as production
from sanbu.datastore import lookup

_plans: dict[int, tuple[lookup.KeyPlan, int]] = {}


def _plan(resource_id: int) -> tuple[lookup.KeyPlan, int]:
    found = _plans.get(resource_id)
    if found is None:
        resource = CatalogResource.objects.get(pk=resource_id)
        items = list(ResourceItem.objects.filter(resource_id=resource_id).select_related("element"))
        mount = ResourceMount.objects.get(resource_id=resource_id, is_current=True, kind=MountKind.ROWS)
        found = _plans[resource_id] = (lookup.key_plan(items, resource.data_grade), mount.pk)
    return found


def bare(request: HttpRequest, resource_id: str) -> HttpResponse:
    rid = int(resource_id)
    plan, mount_id = _plan(rid)
    stored = plan.stored(request.GET.get("key", "")) or ""
    rows: list[dict[str, Any]] = lookup.rows_by_stored_key(rid, mount_id, stored, decrypt=True)
    body = {"resource": rid, "total": len(rows), "records": rows}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
    )


urlpatterns = [path("bench/bare/<str:resource_id>/records", bare), *production]
