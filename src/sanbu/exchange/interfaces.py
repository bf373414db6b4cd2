"""Interface lifecycle (EX-5, 002 篇五 四 加强政务数据接口的生命周期管理): versions of a resource's
gateway interface, released, deprecated with notice and retired, and the gateway's resolution of
``?version=N``.

A version (``InterfaceVersion``) is a snapshot of the item names a published, mounted resource serves.
The provider (``exchange.interface.manage`` on the resource's department) releases versions, deprecates
one with a sunset date at least ``exchange.interface_sunset_notice_days`` working days ahead (the
ruleset's parameter, with its citation) naming the newest active version as its successor, and retires a
version after its sunset, or at once when no consumer holds an active grant on the resource. Every
consumer department holding an active grant is told in the platform (``orgs.notices``) in the same
transaction as the change and its audit record.

Services lock the resource row, so two stewards acting at once on one resource's interface are
serialised: the second sees the first's result and gets a clear 409 (``exchange.interface.changed``
when it passed the newest version number it saw as ``expected_latest``, or the state conflict).

``resolve`` is the gateway's view: which version answers a call, with what items, and whether the
requested one is deprecated (headers), gone (410) or unknown (404). It costs one indexed query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date

from sanbu.catalog.models import Resource, ShareType
from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.calendar import add_working_days
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed, text_problem
from sanbu.orgs.notices import notify
from sanbu.orgs.rulesets import current as current_ruleset
from sanbu.policy.rulesets import INTERFACE_SUNSET_NOTICE_DAYS

from .models import Grant, InterfaceState, InterfaceVersion

MANAGE = "exchange.interface.manage"
RESOURCE_NOT_FOUND = "catalog.resource.not_found"
NOT_FOUND = "exchange.interface.not_found"
VERSION_FIELDS = [
    "resource_id", "number", "item_names", "note", "state", "released_at", "released_by", "deprecated_at",
    "deprecated_by", "sunset_on", "successor_id",
]  # fmt: skip
MAX_VERSION_DIGITS = 9


def _today() -> date:
    """The service clock (one seam for tests that need a day after a sunset)."""
    return timezone.localdate()


# --- helpers ---------------------------------------------------------------------------------------


def is_retired(version: InterfaceVersion, today: date) -> bool:
    return version.is_retired_on(today)


def effective_state(version: InterfaceVersion, today: date) -> str:
    """The state a caller meets today: a deprecated version past its sunset is retired."""
    return InterfaceState.RETIRED if version.is_retired_on(today) else str(version.state)


def can_manage(actor: Actor, resource: Resource) -> bool:
    return actor.can(MANAGE, resource.scope())


def _record(
    actor: Actor, action: str, version: InterfaceVersion, resource: Resource,
    before: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """The change record, in the resource's jurisdiction (a version has no scope of its own)."""
    change = audit.Change(
        action=action, object_type=version._meta.label_lower, object_id=str(version.pk),
        object_repr=f"{resource.name} 接口 v{version.number}", before=before,
        after={**audit.snapshot(version, VERSION_FIELDS), **(extra or {})}, jurisdiction=resource.jurisdiction_id,
    )  # fmt: skip
    audit.record_many(actor=actor, changes=[change])


def _locked_resource(actor: Actor, resource_id: int) -> Resource:
    resource = Resource.objects.select_for_update().filter(pk=resource_id).first()
    if resource is None or not can_manage(actor, resource):
        raise NotFound(RESOURCE_NOT_FOUND, "资源不存在或您无权管理其接口。", resource_id=resource_id)
    return resource


def _locked_version(actor: Actor, version_id: int) -> tuple[InterfaceVersion, Resource]:
    """The version and its resource, both locked (the resource first, as every interface service does)."""
    resource_id = InterfaceVersion.objects.filter(pk=version_id).values_list("resource_id", flat=True).first()
    resource = (
        Resource.objects.select_for_update().filter(pk=resource_id).first()
        if resource_id is not None
        else None
    )
    if resource is None or not can_manage(actor, resource):
        raise NotFound(NOT_FOUND, "接口版本不存在或您无权管理。", version_id=version_id)
    version = InterfaceVersion.objects.select_for_update().get(pk=version_id)
    return version, resource


def _latest(resource: Resource) -> int:
    found = InterfaceVersion.objects.filter(resource=resource).aggregate(n=Max("number"))["n"]
    return int(found or 0)


def _check_latest(resource: Resource, expected_latest: int | None) -> int:
    """The newest version number; 409 when the caller saw another (someone released meanwhile)."""
    current = _latest(resource)
    if expected_latest is not None and current != expected_latest:
        seen = f"v{expected_latest}" if expected_latest else "尚无版本"
        now = f"v{current}" if current else "尚无版本"
        raise Conflict(
            "exchange.interface.changed",
            f"该资源的接口版本已被他人变更（您看到的最新为{seen}，现为{now}），请刷新后再操作。",
            current=current, expected=expected_latest,
        )  # fmt: skip
    return current


def _grant_holders(resource: Resource) -> list[int]:
    """Consumer departments holding an active grant on the resource now."""
    ids = (
        Grant.objects.active_on(timezone.now())
        .filter(resource_id=resource.pk)
        .values_list("consumer_department_id", flat=True)
    )
    return sorted(set(ids))


def _note(note: str, field: str = "note", label: str = "版本说明") -> str:
    note = note.strip()
    problem = text_problem(note, 500, field, label)
    if problem is not None:
        raise ValidationFailed("exchange.interface.invalid", f"{label}填写有误。", errors=[problem])
    return note


def _link(resource_id: int) -> str:
    return reverse("exchange-interfaces", args=[resource_id])


# --- services --------------------------------------------------------------------------------------


@transaction.atomic
def interface_release(
    *, actor: Actor, resource_id: int, note: str = "", expected_latest: int | None = None
) -> InterfaceVersion:
    """Release the next version of a published, mounted resource's interface: a snapshot of the item
    names it serves now (items not shared at all, 不予共享, are never served and are left out).

    ``expected_latest`` is the newest version number the caller saw (0: none); None skips the check."""
    resource = _locked_resource(actor, resource_id)
    if not resource.is_shared:
        raise Conflict(
            "exchange.interface.not_shared",
            f"资源“{resource.name}”尚未发布或未挂接，不能发布接口版本：请先挂接数据或接口并发布资源（CAT-4）。",
            state=resource.state,
        )  # fmt: skip
    current = _check_latest(resource, expected_latest)
    note = _note(note)
    names = [
        i.name
        for i in resource.items.order_by("position", "id")
        if (i.share_type or resource.share_type) != ShareType.NONE
    ]
    if not names:
        raise Conflict(
            "exchange.interface.no_items", f"资源“{resource.name}”没有可共享的信息项，接口无内容可提供。"
        )
    try:
        with transaction.atomic():
            version = InterfaceVersion.objects.create(
                resource=resource, number=current + 1, item_names=names, note=note,
                released_at=timezone.now(), released_by=actor.username[:150],
            )  # fmt: skip
    except IntegrityError as exc:  # only without a row lock (never on PostgreSQL), kept as a guard
        raise Conflict(
            "exchange.interface.changed", "该资源的接口版本已被他人变更，请刷新后再操作。"
        ) from exc
    _record(actor, "exchange.interface.release", version, resource)
    return version


@transaction.atomic
def interface_deprecate(
    *, actor: Actor, version_id: int, sunset_on: date, expected_latest: int | None = None,
    ruleset: str | None = None,
) -> InterfaceVersion:  # fmt: skip
    """Deprecate an active version: it keeps answering (with Deprecation/Sunset headers) through
    ``sunset_on``, which must be at least the ruleset's notice period of working days ahead; its
    successor is the newest active version, which must exist and be newer. Every consumer department
    holding an active grant on the resource is notified."""
    version, resource = _locked_version(actor, version_id)
    today = _today()
    if version.state != InterfaceState.ACTIVE or version.is_retired_on(today):
        state = InterfaceState(effective_state(version, today))
        raise Conflict(
            "exchange.interface.not_active",
            f"接口 v{version.number} 当前为“{state.label}”，只能弃用在用的版本。",
            state=str(state),
        )
    _check_latest(resource, expected_latest)
    successor = (
        InterfaceVersion.objects.filter(
            resource=resource, state=InterfaceState.ACTIVE, number__gt=version.number
        )
        .order_by("-number")
        .first()
    )
    if successor is None:
        raise Conflict(
            "exchange.interface.no_successor",
            f"接口 v{version.number} 是该资源最新的在用版本，没有可替代的版本：请先发布新版本，再弃用 v{version.number}。",
            version=version.number,
        )  # fmt: skip
    rules = current_ruleset(ruleset or resource.jurisdiction_id)
    param = rules.param(INTERFACE_SUNSET_NOTICE_DAYS)
    days = int(param.value)
    earliest = add_working_days(today, days)
    if sunset_on < earliest.date:
        when = f"{earliest.date:%Y-%m-%d}" + (
            "（暂定，该年节假日安排尚未确认）" if earliest.provisional else ""
        )
        message = (
            f"停用日期 {sunset_on:%Y-%m-%d} 太近：须在 {days} 个工作日之后，即不早于 {when}。"
            f"依据：规则集参数 {INTERFACE_SUNSET_NOTICE_DAYS}（{param.citation}）。"
        )
        raise ValidationFailed(
            "exchange.interface.sunset_too_soon", message,
            errors=[FieldError("sunset_on", "too_soon", message)], parameter=INTERFACE_SUNSET_NOTICE_DAYS,
            days=days, earliest=earliest.date.isoformat(), citation=param.citation,
        )  # fmt: skip
    before = audit.snapshot(version, VERSION_FIELDS)
    version.state = InterfaceState.DEPRECATED
    version.deprecated_at = timezone.now()
    version.deprecated_by = actor.username[:150]
    version.sunset_on = sunset_on
    version.successor = successor
    version.save(update_fields=["state", "deprecated_at", "deprecated_by", "sunset_on", "successor"])
    holders = _grant_holders(resource)
    dropped = [n for n in version.item_names if n not in set(successor.item_names)]
    body = (
        f"提供部门弃用了资源“{resource.name}”（{resource.code}）的共享接口 v{version.number}："
        f"该版本照常应答至 {sunset_on:%Y-%m-%d}，此后停用并返回 410。"
        f"请在此之前改用 v{successor.number}（调用时带参数 version={successor.number}，或不带 version 调用最新版本）。"
    )
    if dropped:
        body += f"v{successor.number} 不再提供：{'、'.join(dropped)}。"
    notify(
        department_ids=holders, kind="exchange.interface.deprecated",
        title=f"接口停用通知：{resource.name} v{version.number} 将于 {sunset_on:%Y-%m-%d} 停用，请改用 v{successor.number}",
        body=body, link=_link(resource.pk),
    )  # fmt: skip
    _record(
        actor, "exchange.interface.deprecate", version, resource, before,
        extra={"successor_number": successor.number, "notified_departments": holders,
               "notice_days": days, "ruleset": rules.name},
    )  # fmt: skip
    return version


@transaction.atomic
def interface_retire(*, actor: Actor, version_id: int, note: str = "") -> InterfaceVersion:
    """Retire a version now: after its sunset date, or at any time when no consumer holds an active
    grant on the resource (nobody can be calling it). Calls pinning it get 410 from then on."""
    version, resource = _locked_version(actor, version_id)
    if version.state == InterfaceState.RETIRED:
        raise Conflict("exchange.interface.retired", f"接口 v{version.number} 已停用。", state=version.state)
    today = _today()
    sunset_passed = version.sunset_on is not None and version.sunset_on < today
    holders = _grant_holders(resource)
    if holders and not sunset_passed:
        if version.sunset_on is not None:
            how = f"其停用日期为 {version.sunset_on:%Y-%m-%d}，请在该日之后停用"
        else:
            how = "请先弃用该版本并设定停用日期、通知使用部门改用新版本，到期后再停用"
        raise Conflict(
            "exchange.interface.in_use",
            f"仍有 {len(holders)} 个部门持有该资源的有效授权，不能立即停用接口 v{version.number}：{how}；"
            "或待授权全部撤销、到期后再停用。",
            departments=len(holders), sunset_on=version.sunset_on.isoformat() if version.sunset_on else None,
        )  # fmt: skip
    note = _note(note, "note", "停用说明")
    before = audit.snapshot(version, VERSION_FIELDS)
    version.state = InterfaceState.RETIRED
    version.save(update_fields=["state"])
    if holders:
        notify(
            department_ids=holders, kind="exchange.interface.retired",
            title=f"接口已停用：{resource.name} v{version.number}",
            body=f"资源“{resource.name}”（{resource.code}）的共享接口 v{version.number} 已停用，调用将返回 410。"
            + (f"请改用 v{version.successor.number}。" if version.successor is not None else ""),
            link=_link(resource.pk),
        )  # fmt: skip
    _record(
        actor, "exchange.interface.retire", version, resource, before,
        extra={"note": note, "after_sunset": sunset_passed, "notified_departments": holders},
    )  # fmt: skip
    return version


# --- selectors -------------------------------------------------------------------------------------


def interface_list(*, actor: Actor, resource_id: int) -> list[InterfaceVersion]:
    """The versions of a resource the actor may see (anyone who sees the resource: consumers need them
    to migrate), newest first."""
    resource = Resource.objects.visible_to(actor).filter(pk=resource_id).first()
    if resource is None:
        raise NotFound(RESOURCE_NOT_FOUND, "资源不存在或您无权查看。", resource_id=resource_id)
    versions = list(
        InterfaceVersion.objects.filter(resource=resource).select_related("successor").order_by("-number")
    )
    for v in versions:
        v.resource = resource
    return versions


def interface_get(*, actor: Actor, version_id: int) -> InterfaceVersion:
    version = (
        InterfaceVersion.objects.filter(pk=version_id, resource__in=Resource.objects.visible_to(actor))
        .select_related("resource", "successor")
        .first()
    )
    if version is None:
        raise NotFound(NOT_FOUND, "接口版本不存在或您无权查看。", version_id=version_id)
    return version


# --- the gateway's resolution ----------------------------------------------------------------------


@dataclass(frozen=True)
class InterfaceCheck:
    version: int | None  # the version answering (None: the resource has no released versions → all items)
    item_names: frozenset[str] | None  # names this version serves (None = all)
    gone: bool  # the requested version is retired → 410
    unknown: bool  # the requested version does not exist → 404 gateway.interface.unknown
    successor: int | None  # number of the version to move to
    sunset_on: date | None  # set while deprecated (Deprecation/Sunset headers); when gone: the day it ended
    deprecated_at: datetime | None = None  # when it was deprecated (the Deprecation header's date)

    @property
    def deprecated(self) -> bool:
        return not self.gone and not self.unknown and self.sunset_on is not None


ALL_ITEMS = InterfaceCheck(
    version=None, item_names=None, gone=False, unknown=False, successor=None, sunset_on=None
)


class _Row(NamedTuple):
    id: int
    number: int
    item_names: list[str]
    state: str
    sunset_on: date | None
    successor_id: int | None
    deprecated_at: datetime | None


def _retired(row: _Row, today: date) -> bool:
    return row.state == InterfaceState.RETIRED or (row.sunset_on is not None and row.sunset_on < today)


def _parse_version(requested: str | None) -> int | bool | None:
    """None: absent (or empty); False: not a version number; else the number."""
    if requested is None or not requested.strip():
        return None
    raw = requested.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_VERSION_DIGITS):
        return False
    return int(raw)


_VERSIONS_SQL: dict[str, str] = {}


def _version_rows(resource_id: int) -> list[_Row]:
    """The resource's versions, newest first, by one raw indexed query (the gateway's hot path: the
    ORM's query building cost more than the query)."""
    sql = _VERSIONS_SQL.get(connection.vendor)
    if sql is None:
        q = connection.ops.quote_name
        sql = _VERSIONS_SQL[connection.vendor] = (
            "SELECT id, number, item_names, state, sunset_on, successor_id, deprecated_at "
            f"FROM {q(InterfaceVersion._meta.db_table)} WHERE resource_id = %s ORDER BY number DESC"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [resource_id])
        raw = cursor.fetchall()
    if not raw:
        return []
    rows = []
    for pk, number, names, state, sunset, successor, deprecated in raw:
        # SQLite hands back JSON as text and datetimes naive (stored in UTC); PostgreSQL typed values
        if isinstance(names, str):
            names = json.loads(names)
        if isinstance(sunset, str):
            sunset = date.fromisoformat(sunset)
        if isinstance(deprecated, str):
            deprecated = parse_datetime(deprecated)
        if isinstance(deprecated, datetime) and timezone.is_naive(deprecated):
            deprecated = deprecated.replace(tzinfo=UTC)
        rows.append(_Row(int(pk), int(number), list(names or []), str(state), sunset, successor, deprecated))
    return rows


def resolve(resource_id: int, requested: str | None, today: date) -> InterfaceCheck:
    """Which version of the resource's interface answers a call asking for ``requested`` (the raw
    ``version`` query parameter) on ``today``: absent → the newest version not retired; a number →
    that version (gone when retired, unknown when it does not exist); anything else → unknown.
    A resource with no released versions answers with all items. One indexed query (none for a
    malformed ``requested``)."""
    wanted = _parse_version(requested)
    if wanted is False:
        return InterfaceCheck(None, None, gone=False, unknown=True, successor=None, sunset_on=None)
    rows = _version_rows(resource_id)
    if not rows:
        return ALL_ITEMS if wanted is None else InterfaceCheck(None, None, False, True, None, None)
    live = [r for r in rows if not _retired(r, today)]
    newest_live = live[0] if live else None
    if wanted is None:
        row = newest_live if newest_live is not None else rows[0]
    else:
        found = next((r for r in rows if r.number == wanted), None)
        if found is None:
            return InterfaceCheck(
                None, None, gone=False, unknown=True,
                successor=newest_live.number if newest_live else None, sunset_on=None,
            )  # fmt: skip
        row = found

    def successor() -> int | None:
        stored = next((r for r in live if r.id == row.successor_id), None)
        if stored is not None:
            return stored.number
        if newest_live is not None and newest_live.number > row.number:
            return newest_live.number
        return None

    names = frozenset(row.item_names or [])
    if _retired(row, today):
        return InterfaceCheck(
            row.number, names, gone=True, unknown=False, successor=successor(), sunset_on=row.sunset_on,
            deprecated_at=row.deprecated_at,
        )  # fmt: skip
    if row.state == InterfaceState.DEPRECATED:
        return InterfaceCheck(
            row.number, names, gone=False, unknown=False, successor=successor(), sunset_on=row.sunset_on,
            deprecated_at=row.deprecated_at,
        )  # fmt: skip
    return InterfaceCheck(row.number, names, gone=False, unknown=False, successor=None, sunset_on=None)


def gone_message(check: InterfaceCheck) -> str:
    """The 410 message: which version ended, when, and the version to move to."""
    name = f"v{check.version}" if check.version is not None else "所请求的版本"
    when = f"已于 {check.sunset_on:%Y-%m-%d} 到期停用" if check.sunset_on is not None else "已停用"
    if check.successor is not None:
        return (
            f"接口版本 {name} {when}，请改用 v{check.successor}"
            f"（请求参数 version={check.successor}，或不带 version 参数调用最新版本）。"
        )
    return f"接口版本 {name} {when}，该资源目前没有可用的接口版本，请联系提供部门。"


def unknown_message(requested: str | None, check: InterfaceCheck) -> str:
    """The 404 message for a version that does not exist (``requested`` is echoed only when short)."""
    shown = (requested or "").strip()
    shown = f"“{shown}”" if shown and len(shown) <= 16 else ""
    hint = f"当前可用的最新版本为 v{check.successor}。" if check.successor is not None else ""
    return f"接口版本{shown}不存在：version 参数应为已发布的版本号（正整数）。{hint}"


def sunset_instant(sunset_on: date) -> datetime:
    """The moment a version stops answering: the start of the day after its sunset date, local time."""
    return datetime.combine(sunset_on + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())


def deprecation_headers(check: InterfaceCheck, records_path: str) -> dict[str, str]:
    """``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594, an HTTP-date) and ``Link: <…>;
    rel="successor-version"`` for a call answered by a deprecated version; empty otherwise.
    ``records_path`` is the path the call was made to (``request.path``): the link adds ``?version=N``."""
    if not check.deprecated or check.sunset_on is None:
        return {}
    headers = {
        "Deprecation": f"@{int(check.deprecated_at.timestamp())}" if check.deprecated_at else "true",
        "Sunset": http_date(sunset_instant(check.sunset_on).timestamp()),
    }
    if check.successor is not None:
        headers["Link"] = f'<{records_path}?version={check.successor}>; rel="successor-version"'
    return headers


def state_today(version: InterfaceVersion) -> str:
    """``effective_state`` on today's date (for lists and API answers)."""
    return effective_state(version, _today())
