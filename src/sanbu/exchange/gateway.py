"""The data-plane gateway (EX-6): records of a mounted resource by key, for apps holding a grant.

``GET /gateway/v1/resources/<resource_id>/records?key=<value>[&<item>=<value>…][&limit=&offset=]``
with ``Authorization: Bearer <app key>``. Plain Django views (no session, no Ninja) for speed.

Deny by default: a call is answered only for a usable key whose app holds an active, unexpired,
unrevoked grant on a published, mounted resource; only the granted items are returned, each masked by
the grant's rule for it (the item's own rule unless the approver lifted it). An unknown resource and
one the app holds no grant on get the same 404. Every call, answered or refused, is written to the audit
chain (``gateway.access``) through ``exchange.accesslog`` before the answer leaves: a 200 is never sent
for a call whose record is not committed (503 instead). See docs/gateway.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from sanbu.catalog.models import MountKind, Resource, ResourceMount, ResourceState
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.sm3 import hmac_sm3_hex
from sanbu.datastore import lookup

from . import accesslog, ratelimit
from .keys import authenticate_key, parse_key
from .masking import mask_value
from .models import AppKey, Grant

MAX_LIMIT = 100
RESERVED = {"key", "limit", "offset"}
ACTION = "gateway.access"

NOT_FOUND = ("gateway.not_found", "资源不存在或未获授权。")


@lru_cache(maxsize=4)
def _hash_key(secret_key: str) -> bytes:
    return bytes.fromhex(hmac_sm3_hex(secret_key.encode(), b"sanbu.gateway.key-hash.v1"))


def key_hash(value: str) -> str:
    """Keyed SM3 (HMAC-SM3) of a looked-up key value: equal values give equal hashes, but a copy of the
    audit chain alone cannot be used to test guesses of 公民身份号码 (the key derives from SECRET_KEY)."""
    return hmac_sm3_hex(_hash_key(str(settings.SECRET_KEY)), value.strip().encode())


@dataclass
class Call:
    """What the access record of one call says; filled in as the call goes."""

    request_id: str
    resource_id: str
    key: AppKey | None = None
    key_id: str = ""
    resource: Resource | None = None
    grant: Grant | None = None
    items: list[str] = field(default_factory=list)
    key_value: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    rows: int = 0

    def actor(self) -> Actor:
        app = self.key.app if self.key is not None else None
        return Actor(
            user_id=None,
            username=f"app:{self.key.key_id}" if self.key is not None else "app:anonymous",
            department_id=app.department_id if app is not None else None,
            department_uscc=app.department.uscc if app is not None else "",
            jurisdiction=app.jurisdiction_id if app is not None else "",
            request_id=self.request_id[:64],
        )

    def change(self, outcome: str, status: int) -> audit.Change:
        app = self.key.app if self.key is not None else None
        resource = self.resource
        after = {
            "app": app.pk if app is not None else None,
            "app_key": self.key_id,
            "department": app.department.uscc if app is not None else "",
            "resource": resource.pk if resource is not None else self.resource_id,
            "items": self.items,
            "key_hash": key_hash(self.key_value) if self.key_value else "",
            "filters": sorted(self.filters),
            "rows": self.rows,
            "purpose": self.grant.request.purpose if self.grant is not None else "",
            "grant": self.grant.pk if self.grant is not None else None,
            "outcome": outcome,
            "status": status,
        }
        jurisdiction = ""
        if resource is not None:
            jurisdiction = resource.jurisdiction_id
        elif app is not None:
            jurisdiction = app.jurisdiction_id
        return audit.Change(
            action=ACTION,
            object_type="catalog.resource",
            object_id=str(resource.pk if resource is not None else self.resource_id)[:64],
            object_repr=resource.name if resource is not None and self.grant is not None else "",
            after=after,
            jurisdiction=jurisdiction,
        )


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _refuse(
    call: Call, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A refusal, recorded in the chain first (its answer does not depend on the write succeeding:
    it carries no data)."""
    accesslog.log(call.actor(), call.change(code, status))
    return _json(status, {"code": code, "message": message}, headers)


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _int_param(raw: str | None, default: int, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def records(request: HttpRequest, resource_id: str) -> HttpResponse:
    call = Call(request_id=str(getattr(request, "request_id", "")), resource_id=resource_id)
    if request.method not in ("GET", "HEAD"):
        return _json(
            405,
            {"code": "gateway.method_not_allowed", "message": "共享网关只接受 GET 请求。"},
            {"Allow": "GET"},
        )

    raw = _bearer(request)
    if raw is None:
        return _refuse(
            call, 401, "gateway.auth.missing", "缺少应用密钥：请在 Authorization 头中以 Bearer 方式提供。"
        )
    parsed = parse_key(raw)
    call.key_id = parsed.key_id if parsed is not None else ""
    key = authenticate_key(raw)
    if key is None:
        return _refuse(call, 401, "gateway.auth.invalid", "应用密钥无效、已过期或已吊销。")
    call.key = key
    app = key.app
    app.department  # noqa: B018 -- loaded once, used by the access record

    decision = ratelimit.hit(app.pk, app.rate_limit_per_minute)
    if not decision.allowed:
        return _refuse(
            call, 429, "gateway.rate_limited",
            f"调用过于频繁：该应用每分钟最多调用 {decision.limit} 次，请 {decision.retry_after} 秒后重试。",
            {"Retry-After": str(decision.retry_after)},
        )  # fmt: skip

    now = timezone.localtime()  # expiry is a date on the local calendar (Asia/Shanghai)
    resource = (
        Resource.objects.filter(pk=int(resource_id), state=ResourceState.PUBLISHED)
        .exclude(mount_kind=MountKind.NONE)
        .first()
        if resource_id.isdigit() and len(resource_id) < 19
        else None
    )
    grant = (
        Grant.objects.active_on(now)
        .filter(app_id=app.pk, resource_id=resource.pk)
        .select_related("request")
        .order_by("-granted_at", "-id")
        .first()
        if resource is not None
        else None
    )
    if resource is None or grant is None:
        return _refuse(call, 404, *NOT_FOUND)
    call.resource, call.grant = resource, grant

    all_items = list(resource.items.select_related("element").order_by("position", "id"))
    granted_ids = set(grant.items.values_list("id", flat=True))
    granted = [i for i in all_items if i.pk in granted_ids]
    call.items = [i.name for i in granted]
    by_name = {i.name: i for i in all_items}
    granted_names = {i.name for i in granted}

    params = request.GET
    filters: dict[str, str] = {}
    for name in params:
        if name in RESERVED:
            continue
        if name not in granted_names:
            call.filters = {name: ""}
            return _refuse(
                call, 403, "gateway.filter_not_granted", f"不能按未获授权的信息项“{name[:64]}”筛选。"
            )
        values = params.getlist(name)
        if len(values) != 1:
            return _refuse(call, 400, "gateway.bad_request", f"信息项“{name}”只能给出一个值。")
        filters[name] = values[0]
    call.filters = filters

    key_item = lookup.loading.key_item(all_items)
    key_value = params.get("key")
    if key_value is None and key_item is not None and key_item.name in filters:
        key_value = filters[key_item.name]
    if key_value is None or not key_value.strip():
        return _refuse(
            call, 400, "gateway.bad_request", "缺少 key 参数：请按资源的主键（如公民身份号码）查询。"
        )
    if len(key_value) > 64:
        return _refuse(call, 400, "gateway.bad_request", "key 参数过长。")
    call.key_value = key_value
    limit = _int_param(params.get("limit"), MAX_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(params.get("offset"), 0, 0, 1_000_000)
    if limit is None or offset is None:
        return _refuse(
            call, 400, "gateway.bad_request", f"limit 应为 1 至 {MAX_LIMIT} 的整数，offset 应为非负整数。"
        )

    mount = (
        ResourceMount.objects.filter(resource_id=resource.pk, is_current=True, kind=MountKind.ROWS)
        .only("id")
        .first()
    )
    if mount is None:
        return _refuse(call, 409, "gateway.not_served", "该资源以服务接口方式挂接，数据不经共享网关提供。")

    rows = lookup.find_rows(resource.pk, mount.pk, key_value, items=all_items, data_grade=resource.data_grade)
    if filters:
        rows = [r for r in rows if all(_text(r.get(n)) == v for n, v in filters.items())]
    total = len(rows)
    page = rows[offset : offset + limit]
    rules = {str(i.pk): i.masking for i in granted}
    rules.update({k: str(v) for k, v in grant.masking.items()})
    out = []
    for row in page:
        record: dict[str, Any] = {}
        for item in granted:
            value = row.get(item.name)
            rule = rules.get(str(item.pk), by_name[item.name].masking)
            record[item.name] = mask_value(value, rule)
        out.append(record)
    call.rows = len(out)

    if not accesslog.log(call.actor(), call.change("granted", 200)):
        return _json(
            503,
            {
                "code": "gateway.log_unavailable",
                "message": "访问记录暂时无法写入，本次调用未返回数据，请稍后重试。",
            },
        )
    return _json(
        200,
        {
            "resource": resource.pk,
            "total": total,
            "offset": offset,
            "limit": limit,
            "items": call.items,
            "records": out,
        },
    )


urlpatterns = [path("v1/resources/<str:resource_id>/records", records, name="gateway-records")]
