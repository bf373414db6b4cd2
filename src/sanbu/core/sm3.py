"""SM3 (GB/T 32905), the national standard hash.

``sm3_hex`` uses OpenSSL's SM3 through ``hashlib`` when the interpreter's OpenSSL has it (a copy of one
prepared context costs about 0.3 µs per call on top of the hashing itself, against about 1.7 µs for a new
``cryptography`` ``Hash`` object), and ``cryptography``'s ``hashes.SM3`` otherwise. Both are checked
against the standard's test vector at import; the audit chain verifies at a rate where that overhead
counts (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac

# GB/T 32905-2016, appendix A.1: SM3("abc")
ABC_VECTOR = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"

_SM3 = hashes.SM3()


def sm3_hex_cryptography(data: bytes) -> str:
    digest = hashes.Hash(_SM3)
    digest.update(data)
    return digest.finalize().hex()


def _openssl_prototype() -> Any | None:
    try:
        proto = hashlib.new("sm3")
    except (ValueError, TypeError):  # this OpenSSL has no SM3
        return None
    probe = proto.copy()
    probe.update(b"abc")
    return proto if probe.hexdigest() == ABC_VECTOR else None


def _make_sm3_hex() -> Callable[[bytes], str]:
    proto = _openssl_prototype()
    if proto is None:
        return sm3_hex_cryptography
    copy = proto.copy

    def sm3_hex_openssl(data: bytes) -> str:
        h = copy()
        h.update(data)
        return str(h.hexdigest())

    return sm3_hex_openssl


sm3_hex: Callable[[bytes], str] = _make_sm3_hex()
"""SM3 of ``data`` as 64 lowercase hex digits (the fastest implementation available)."""

SM3_BACKEND = "openssl-hashlib" if sm3_hex is not sm3_hex_cryptography else "cryptography"


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    mac = _chmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return _hmac.compare_digest(a.encode(), b.encode())
