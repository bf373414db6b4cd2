"""SM3 (GB/T 32905), the national standard hash, from ``cryptography``."""

from __future__ import annotations

import hmac as _hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    mac = _chmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return _hmac.compare_digest(a.encode(), b.encode())
