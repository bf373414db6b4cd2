"""The data-plane gateway (EX-6): records of a mounted resource by key, for apps holding a grant.

``GET /gateway/v1/resources/<resource_id>/records?key=<value>[&<item>=<value>…][&limit=&offset=]``
with ``Authorization: Bearer <app key>``. Plain Django views (no session, no Ninja) for speed. Bulk
extracts (``…/extract``) live in ``exchange.extracts`` and share ``authorize`` with ``records``.

Deny by default: a call is answered only for a usable key whose app holds an active, unexpired,
unrevoked grant on a published, mounted resource; only the granted items are returned, each masked by
the grant's rule for it (the item's own rule unless the approver lifted it). An unknown resource and
one the app holds no grant on get the same 404. Every call, answered or refused, is written to the audit
chain (``gateway.access``) through ``exchange.accesslog`` before the answer leaves: a 200 is never sent
for a call whose record is not committed (503 instead). See docs/gateway.md.

The hot path reads the security state (key, app, grant, resource, current mount) with two raw queries
on every call and caches nothing of it. What it does cache, per process, is derived from rows that do
not change while that state holds: a resource's items (keyed by the resource's revision and update time)
and a grant's items and purpose (keyed by the grant id and its masking, both read on every call).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from sanbu.catalog.models import MountKind, Resource, ResourceItem, ResourceMount, ResourceState
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.sm3 import hmac_sm3_hex
from sanbu.datastore import loading, lookup, maskedview, masking

from . import accesslog, interfaces, ratelimit
from .keys import GatewayKey, authenticate_gateway, parse_key
from .models import Grant, ShareRequest

MAX_LIMIT = 100
RESERVED = {"key", "limit", "offset", "version"}
ACTION = "gateway.access"

NOT_FOUND = ("gateway.not_found", "资源不存在或未获授权。")


@lru_cache(maxsize=4)
def _hash_key(secret_key: str) -> bytes:
    return bytes.fromhex(hmac_sm3_hex(secret_key.encode(), b"sanbu.gateway.key-hash.v1"))


def key_hash(value: str) -> str:
    """Keyed SM3 (HMAC-SM3) of a looked-up key value: equal values give equal hashes, but a copy of the
    audit chain alone cannot be used to test guesses of 公民身份号码 (the key derives from SECRET_KEY)."""
    return hmac_sm3_hex(_hash_key(str(settings.SECRET_KEY)), value.strip().encode())


# --- what is cached per process: derived, never a decision ----------------------------------------------


@dataclass(frozen=True)
class ResourceView:
    """A resource's items as the gateway uses them, for one revision of the resource."""

    pk: int
    revision: tuple[Any, ...]
    name: str
    jurisdiction: str
    data_grade: str
    items: tuple[ResourceItem, ...]
    by_name: dict[str, ResourceItem]
    plan: lookup.KeyPlan
    view: maskedview.ViewSpec  # the masked view its rows carry when mounted under these items


@dataclass(frozen=True)
class GrantView:
    """A grant's items (in the resource's order) and the masking rule of each."""

    pk: int
    purpose: str
    items: tuple[ResourceItem, ...]
    names: tuple[str, ...]
    rules: tuple[str, ...]  # masking rule per granted item
    maskers: tuple[Callable[[Any], Any] | None, ...]  # None where the value passes unchanged
    decrypt: tuple[bool, ...]  # stored encrypted (protected item of a 重要/核心 resource)

    def only(self, names: frozenset[str]) -> GrantView:
        """The grant narrowed to the items an interface version serves (EX-5)."""
        keep = [n in names for n in self.names]
        if all(keep):
            return self

        def pick(values: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(v for v, k in zip(values, keep, strict=True) if k)

        return GrantView(
            pk=self.pk, purpose=self.purpose, items=pick(self.items), names=pick(self.names),
            rules=pick(self.rules), maskers=pick(self.maskers), decrypt=pick(self.decrypt),
        )  # fmt: skip


_cache_lock = threading.Lock()
_resources: dict[tuple[Any, ...], ResourceView] = {}
_grants: dict[tuple[Any, ...], GrantView] = {}
CACHE_ENTRIES = 512


def clear_caches() -> None:
    with _cache_lock:
        _resources.clear()
        _grants.clear()


def _remember(cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    with _cache_lock:
        if len(cache) >= CACHE_ENTRIES:
            cache.clear()
        cache[key] = value


def _resource_view(
    pk: int, name: str, jurisdiction: str, data_grade: str, revision: tuple[Any, ...]
) -> ResourceView:
    key = (pk, data_grade, *revision)
    view = _resources.get(key)
    if view is None:
        items = tuple(
            ResourceItem.objects.filter(resource_id=pk).select_related("element").order_by("position", "id")
        )
        view = ResourceView(
            pk=pk, revision=key, name=name, jurisdiction=jurisdiction, data_grade=data_grade, items=items,
            by_name={i.name: i for i in items}, plan=lookup.key_plan(items, data_grade),
            view=loading.view_spec(items, data_grade),
        )  # fmt: skip
        _remember(_resources, key, view)
    return view


def _grant_view(pk: int, request_id: int, rules_raw: Any, resource: ResourceView) -> GrantView:
    rules_text = rules_raw if isinstance(rules_raw, str) else json.dumps(rules_raw, sort_keys=True)
    key = (pk, rules_text, *resource.revision)
    view = _grants.get(key)
    if view is None:
        rules: dict[str, Any] = json.loads(rules_raw) if isinstance(rules_raw, str) else dict(rules_raw or {})
        granted_ids = set(
            Grant.items.through.objects.filter(grant_id=pk).values_list("resourceitem_id", flat=True)
        )
        purpose = ShareRequest.objects.filter(pk=request_id).values_list("purpose", flat=True).first() or ""
        granted = tuple(i for i in resource.items if i.pk in granted_ids)
        item_rules = tuple(str(rules.get(str(i.pk), i.masking)) for i in granted)
        view = GrantView(
            pk=pk, purpose=purpose, items=granted, names=tuple(i.name for i in granted), rules=item_rules,
            maskers=tuple(masking.masker(r) for r in item_rules),
            decrypt=tuple(i.name in resource.plan.protected_names for i in granted),
        )  # fmt: skip
        _remember(_grants, key, view)
    return view


# --- one call ---------------------------------------------------------------------------------------------


@dataclass
class Call:
    """What the access record of one call says; filled in as the call goes."""

    request_id: str
    resource_id: str
    action: str = ACTION
    key: GatewayKey | None = None
    key_id: str = ""
    resource: ResourceView | None = None
    grant: GrantView | None = None
    items: list[str] = field(default_factory=list)
    key_value: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # more fields of the record (extracts)

    def actor(self) -> Actor:
        key = self.key
        return Actor(
            user_id=None,
            username=f"app:{key.key_id}" if key is not None else "app:anonymous",
            department_id=key.department_id if key is not None else None,
            department_uscc=key.department_uscc if key is not None else "",
            jurisdiction=key.jurisdiction if key is not None else "",
            request_id=self.request_id[:64],
        )

    def change(self, outcome: str, status: int) -> audit.Change:
        key = self.key
        resource = self.resource
        after: dict[str, Any] = {
            "app": key.app_id if key is not None else None,
            "app_key": self.key_id,
            "department": key.department_uscc if key is not None else "",
            "resource": resource.pk if resource is not None else self.resource_id,
            "items": self.items,
        }
        if self.action == ACTION:
            after["key_hash"] = key_hash(self.key_value) if self.key_value else ""
            after["filters"] = sorted(self.filters)
        after.update(self.extra)
        after.update(
            rows=self.rows,
            purpose=self.grant.purpose if self.grant is not None else "",
            grant=self.grant.pk if self.grant is not None else None,
            outcome=outcome,
            status=status,
        )
        jurisdiction = ""
        if resource is not None:
            jurisdiction = resource.jurisdiction
        elif key is not None:
            jurisdiction = key.jurisdiction
        return audit.Change(
            action=self.action,
            object_type="catalog.resource",
            object_id=str(resource.pk if resource is not None else self.resource_id)[:64],
            object_repr=resource.name if resource is not None and self.grant is not None else "",
            after=after,
            jurisdiction=jurisdiction,
        )


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def refuse(
    call: Call, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A refusal, recorded in the chain first (its answer does not depend on the write succeeding:
    it carries no data)."""
    accesslog.log(call.actor(), call.change(code, status))
    return json_response(status, {"code": code, "message": message}, headers)


LOG_UNAVAILABLE = {
    "code": "gateway.log_unavailable",
    "message": "访问记录暂时无法写入，本次调用未返回数据，请稍后重试。",
}


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
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


# --- authentication, rate limit and grant: shared by records and extracts -------------------------------


@dataclass(frozen=True)
class Access:
    """A call that passed authentication, the rate limit and the grant check."""

    key: GatewayKey
    resource: ResourceView
    grant: GrantView  # narrowed to the items of the interface version answering
    mount_id: int | None  # the current mount of rows; None when served as an interface
    headers: dict[str, str]  # Deprecation/Sunset/Link while the version answering is deprecated


def _grant_sql() -> str:
    q = connection.ops.quote_name
    g, r, m = (q(x._meta.db_table) for x in (Grant, Resource, ResourceMount))
    return (
        f"SELECT g.id, g.request_id, g.masking, r.id, r.name, r.jurisdiction_id, r.data_grade, r.version, "
        f"r.updated_at, (SELECT m.id FROM {m} m WHERE m.resource_id = r.id AND m.is_current = %s "
        f"AND m.kind = %s ORDER BY m.id DESC LIMIT 1) "
        f"FROM {g} g JOIN {r} r ON r.id = g.resource_id "
        f"WHERE g.app_id = %s AND g.resource_id = %s AND g.revoked_at IS NULL "
        f"AND (g.expires_on IS NULL OR g.expires_on >= %s) AND r.state = %s AND r.mount_kind <> %s "
        f"ORDER BY g.granted_at DESC, g.id DESC LIMIT 1"
    )


_SQL: dict[str, str] = {}


def _find_grant(app_id: int, resource_id: int) -> tuple[GrantView, ResourceView, int | None] | None:
    """The newest active grant of the app on a published, mounted resource, read on every call."""
    sql = _SQL.get(connection.vendor)
    if sql is None:
        sql = _SQL[connection.vendor] = _grant_sql()
    today = timezone.localdate()  # expiry is a date on the local calendar (Asia/Shanghai)
    with connection.cursor() as cursor:
        cursor.execute(sql, [
            True, MountKind.ROWS.value, app_id, resource_id, connection.ops.adapt_datefield_value(today),
            ResourceState.PUBLISHED.value, MountKind.NONE.value,
        ])  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return None
    gid, request_pk, rules_raw, rid, name, jurisdiction, grade, version, updated, mount_id = row
    resource = _resource_view(int(rid), str(name), str(jurisdiction), str(grade), (version, str(updated)))
    grant = _grant_view(int(gid), int(request_pk), rules_raw, resource)
    return grant, resource, int(mount_id) if mount_id is not None else None


def authorize(request: HttpRequest, call: Call) -> Access | HttpResponse:
    """Steps 1-3 of every gateway call: key, rate limit, resource and grant. A refusal comes back as the
    response to send (already recorded); a pass as ``Access``, with ``call`` filled in."""
    if request.method not in ("GET", "HEAD"):
        return json_response(
            405,
            {"code": "gateway.method_not_allowed", "message": "共享网关只接受 GET 请求。"},
            {"Allow": "GET"},
        )
    raw = _bearer(request)
    if raw is None:
        return refuse(
            call, 401, "gateway.auth.missing", "缺少应用密钥：请在 Authorization 头中以 Bearer 方式提供。"
        )
    parsed = parse_key(raw)
    call.key_id = parsed.key_id if parsed is not None else ""
    key = authenticate_gateway(parsed)
    if key is None:
        return refuse(call, 401, "gateway.auth.invalid", "应用密钥无效、已过期或已吊销。")
    call.key = key

    decision = ratelimit.hit(key.app_id, key.rate_limit)
    if not decision.allowed:
        return refuse(
            call, 429, "gateway.rate_limited",
            f"调用过于频繁：该应用每分钟最多调用 {decision.limit} 次，请 {decision.retry_after} 秒后重试。",
            {"Retry-After": str(decision.retry_after)},
        )  # fmt: skip

    rid = call.resource_id
    found = _find_grant(key.app_id, int(rid)) if rid.isdigit() and len(rid) < 19 else None
    if found is None:
        return refuse(call, 404, *NOT_FOUND)
    grant, resource, mount_id = found
    call.resource, call.grant = resource, grant

    # EX-5: which version of the resource's interface answers, after the grant check (so a version
    # number reveals nothing to an app without a grant).
    check = interfaces.resolve(resource.pk, request.GET.get("version"), timezone.localdate())
    if check.version is not None:
        call.extra["version"] = check.version
    if check.unknown:
        return refuse(call, 404, "gateway.interface.unknown", interfaces.unknown_message(
            request.GET.get("version"), check))  # fmt: skip
    if check.gone:
        headers = {"Link": f'<{request.path}?version={check.successor}>; rel="successor-version"'}
        return refuse(
            call, 410, "gateway.interface.retired", interfaces.gone_message(check),
            headers if check.successor is not None else None,
        )  # fmt: skip
    if check.item_names is not None:
        grant = grant.only(check.item_names)
        call.grant = grant
    call.items = list(grant.names)
    return Access(
        key=key, resource=resource, grant=grant, mount_id=mount_id,
        headers=interfaces.deprecation_headers(check, request.path),
    )  # fmt: skip


def not_served(call: Call) -> HttpResponse:
    return refuse(call, 409, "gateway.not_served", "该资源以服务接口方式挂接，数据不经共享网关提供。")


# --- records by key -----------------------------------------------------------------------------------------


def records(request: HttpRequest, resource_id: str) -> HttpResponse:
    call = Call(request_id=str(getattr(request, "request_id", "")), resource_id=resource_id)
    access = authorize(request, call)
    if isinstance(access, HttpResponse):
        return access
    resource, grant = access.resource, access.grant

    params = request.GET
    filters: dict[str, str] = {}
    granted_names = set(grant.names)
    for name in params:
        if name in RESERVED:
            continue
        if name not in granted_names:
            call.filters = {name: ""}
            return refuse(
                call, 403, "gateway.filter_not_granted", f"不能按未获授权的信息项“{name[:64]}”筛选。"
            )
        values = params.getlist(name)
        if len(values) != 1:
            return refuse(call, 400, "gateway.bad_request", f"信息项“{name}”只能给出一个值。")
        filters[name] = values[0]
    call.filters = filters

    key_item = resource.plan.item
    key_value = params.get("key")
    if key_value is None and key_item is not None and key_item.name in filters:
        key_value = filters[key_item.name]
    if key_value is None or not key_value.strip():
        return refuse(
            call, 400, "gateway.bad_request", "缺少 key 参数：请按资源的主键（如公民身份号码）查询。"
        )
    if len(key_value) > 64:
        return refuse(call, 400, "gateway.bad_request", "key 参数过长。")
    call.key_value = key_value
    limit = _int_param(params.get("limit"), MAX_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(params.get("offset"), 0, 0, 1_000_000)
    if limit is None or offset is None:
        return refuse(
            call, 400, "gateway.bad_request", f"limit 应为 1 至 {MAX_LIMIT} 的整数，offset 应为非负整数。"
        )
    if access.mount_id is None:
        return not_served(call)

    stored = resource.plan.stored(key_value)
    rows = lookup.rows_by_stored_key(
        resource.pk, access.mount_id, stored or "", decrypt=bool(resource.plan.protected_names)
    )
    if filters:
        rows = [r for r in rows if all(maskedview.text(r.get(n)) == v for n, v in filters.items())]
    total = len(rows)
    fields = list(zip(grant.names, grant.maskers, strict=True))
    out = [
        {name: (fn(row.get(name)) if fn is not None else row.get(name)) for name, fn in fields}
        for row in rows[offset : offset + limit]
    ]
    call.rows = len(out)

    if not accesslog.log(call.actor(), call.change("granted", 200)):
        return json_response(503, LOG_UNAVAILABLE)
    return json_response(
        200,
        {
            "resource": resource.pk,
            "total": total,
            "offset": offset,
            "limit": limit,
            "items": call.items,
            "records": out,
        },
        access.headers,
    )


def extract(request: HttpRequest, resource_id: str) -> HttpResponse | StreamingHttpResponse:
    """Bulk extract of a granted resource: see ``exchange.extracts`` (imported here lazily: it builds
    on the helpers above)."""
    from .extracts import extract as view

    return view(request, resource_id)


urlpatterns = [
    path("v1/resources/<str:resource_id>/records", records, name="gateway-records"),
    path("v1/resources/<str:resource_id>/extract", extract, name="gateway-extract"),
]
