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
    return hmac_sm3_hex(_hmac_key(str(settings.SECRET_KEY)), f"{key_id}.{secret}".encode())


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
