"""App keys: the format, the keyed hash, and ``authenticate_key`` for the gateway.

A full key is ``sk_<8 hex>.<secret>``, the secret being 32 random bytes in URL-safe base64
(``secrets.token_urlsafe``, 43 characters). Only ``key_id`` and HMAC-SM3(``key_id.secret``) are stored;
the HMAC key is derived from ``settings.SECRET_KEY``, so a copy of the database alone cannot be used to
test guesses (changing SECRET_KEY invalidates every app key: rotate them afterwards).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from sanbu.core.sm3 import constant_time_equal, hmac_sm3_hex

from .models import AppKey, AppStatus

KEY_PREFIX = "sk_"
SECRET_BYTES = 32
LAST_USED_RESOLUTION = timedelta(minutes=1)
_FORMAT = re.compile(r"(sk_[0-9a-f]{8})\.([A-Za-z0-9_-]{32,128})", re.ASCII)
# Compared against when the key id is unknown, so a miss costs about what a hit does.
_DUMMY_HASH = "0" * 64


@dataclass(frozen=True)
class ParsedKey:
    key_id: str
    secret: str


@lru_cache(maxsize=4)
def _hmac_key(secret_key: str) -> bytes:
    """A key for app-key hashes only, derived from SECRET_KEY (never SECRET_KEY itself)."""
    return bytes.fromhex(hmac_sm3_hex(secret_key.encode(), b"sanbu.exchange.app-key.v1"))


def secret_hash(key_id: str, secret: str) -> str:
    """HMAC-SM3 of ``key_id.secret`` (the id is bound in, so a hash cannot be moved to another id)."""
    return _secret_hash(str(settings.SECRET_KEY), key_id, secret)


@lru_cache(maxsize=2048)
def _secret_hash(secret_key: str, key_id: str, secret: str) -> str:
    """Memoized per process: an app presents the same key on every call, and the hash only depends on
    the key and SECRET_KEY. This caches a computation, not a decision: the stored hash, revocation,
    expiry and the app's status are still read from the database on every call."""
    return hmac_sm3_hex(_hmac_key(secret_key), f"{key_id}.{secret}".encode())


def new_key_id() -> str:
    return f"{KEY_PREFIX}{secrets.token_hex(4)}"


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def parse_key(raw: object) -> ParsedKey | None:
    """The parts of a well-formed key, else None (never raises, whatever it is given)."""
    if not isinstance(raw, str) or len(raw) > 160:
        return None
    m = _FORMAT.fullmatch(raw.strip())
    return ParsedKey(m.group(1), m.group(2)) if m else None


def authenticate_key(raw: object) -> AppKey | None:
    """The usable key a caller presented, else None: unknown, wrong secret, revoked, expired, or its
    app disabled all look the same. Revocation takes effect on the next call (nothing is cached).

    ``last_used_at`` is written at most once a minute per key, by a conditional update, so many
    worker processes serving one key do not all write.
    """
    parsed = parse_key(raw)
    if parsed is None:
        return None
    key = AppKey.objects.select_related("app").filter(key_id=parsed.key_id).first()
    presented = secret_hash(parsed.key_id, parsed.secret)
    if not constant_time_equal(presented, key.secret_hash if key else _DUMMY_HASH) or key is None:
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if key.app.status != AppStatus.ACTIVE:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        if AppKey.objects.filter(stale, pk=key.pk).update(last_used_at=now):
            key.last_used_at = now
    return key


@dataclass(frozen=True)
class GatewayKey:
    """What the gateway needs of a usable key and its app, read in one query per call."""

    pk: int
    key_id: str
    app_id: int
    rate_limit: int
    department_id: int
    department_uscc: str
    jurisdiction: str


def _gateway_sql() -> str:
    from sanbu.orgs.models import Department

    from .models import ConsumerApp

    q = connection.ops.quote_name
    k, a, d = (q(m._meta.db_table) for m in (AppKey, ConsumerApp, Department))
    return (
        f"SELECT k.id, k.secret_hash, a.id, a.rate_limit_per_minute, a.department_id, d.uscc, a.jurisdiction_id, "
        f"CASE WHEN k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > %s) AND a.status = %s "
        f"THEN 1 ELSE 0 END, "
        f"CASE WHEN k.last_used_at IS NULL OR k.last_used_at <= %s THEN 1 ELSE 0 END "
        f"FROM {k} k JOIN {a} a ON a.id = k.app_id JOIN {d} d ON d.id = a.department_id WHERE k.key_id = %s"
    )


_SQL: dict[str, str] = {}


def authenticate_gateway(parsed: ParsedKey | None) -> GatewayKey | None:
    """``authenticate_key`` for the gateway's hot path: the same checks (stored hash compared in
    constant time, revoked, expired, app disabled: all ``None``), in one raw query with no model
    instances. Nothing about the key's state is cached, so a revocation holds from the next call."""
    if parsed is None:
        return None
    sql = _SQL.get(connection.vendor)
    if sql is None:
        sql = _SQL[connection.vendor] = _gateway_sql()
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [adapt(now), AppStatus.ACTIVE.value, adapt(now - LAST_USED_RESOLUTION), parsed.key_id]
        )
        row = cursor.fetchone()
    presented = secret_hash(parsed.key_id, parsed.secret)
    if not constant_time_equal(presented, row[1] if row else _DUMMY_HASH) or row is None or not row[7]:
        return None
    pk = int(row[0])
    if row[8]:  # last used more than a minute ago: a conditional write, at most once a minute per key
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        AppKey.objects.filter(stale, pk=pk).update(last_used_at=now)
    return GatewayKey(
        pk=pk, key_id=parsed.key_id, app_id=int(row[2]), rate_limit=int(row[3]), department_id=int(row[4]),
        department_uscc=str(row[5]), jurisdiction=str(row[6]),
    )  # fmt: skip
