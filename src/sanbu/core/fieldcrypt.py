"""SM4 field encryption and a keyed SM3 blind index for data at rest (CAT-7, GB/T 39786 密评).

Keys come from the environment, read at each call (so a restart is not needed to pick up a new key in
tests; processes in production read it once per call too, which costs a dictionary lookup):

- ``SANBU_FIELD_KEYS``: comma-separated ``id:hex32`` pairs (a key id, then a 128-bit SM4 key as 32 hex
  digits). The first is the current key that new values are encrypted under; the others are still
  accepted for reading, so a key can be rotated without downtime (``sanbu rotate_field_keys``).
- ``SANBU_BLIND_KEY``: the HMAC-SM3 key (hex, at least 16 bytes) of the blind index, kept separate
  from the encryption keys.

When a variable is missing and ``settings.SANBU_DEMO`` is true (demo and test settings), a fixed key
derived from a public label is used: good for demos, worthless as protection. With demo off a missing
or malformed key raises ``ImproperlyConfigured`` on first use.

Ciphertext: ``sm4:<keyid>:<base64(nonce12 | ciphertext | tag16)>`` with SM4-GCM (OpenSSL 3 provides
it; checked at import). Where GCM is not available the fallback is SM4-CBC with PKCS7 padding and an
HMAC-SM3 tag (encrypt-then-MAC, sub-keys derived from the field key), written as
``sm4cbc:<keyid>:<base64(iv16 | ciphertext | tag32)>``; readers accept both forms. The key id is bound
into the authenticated data, so a ciphertext cannot be relabelled to another key.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as _chmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

from .sm3 import constant_time_equal, hmac_sm3_hex, sm3_hex

FIELD_KEYS_ENV = "SANBU_FIELD_KEYS"
BLIND_KEY_ENV = "SANBU_BLIND_KEY"
DEMO_KEY_ID = "demo"
GCM_PREFIX = "sm4"
CBC_PREFIX = "sm4cbc"
NONCE_BYTES = 12
TAG_BYTES = 16

_TOKEN = re.compile(r"^(sm4|sm4cbc):([A-Za-z0-9_.-]{1,32}):([A-Za-z0-9+/]+={0,2})$")
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class FieldCryptError(Exception):
    """A stored value could not be decrypted."""


class UnknownKeyId(FieldCryptError):
    """The value was encrypted under a key id that is not in ``SANBU_FIELD_KEYS``."""


class TamperedValue(FieldCryptError):
    """The value fails authentication: modified, truncated or not a ciphertext of ours."""


def _gcm_supported() -> bool:
    try:
        enc = Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(NONCE_BYTES))).encryptor()
        enc.update(b"x")
        enc.finalize()
        return True
    except Exception:  # UnsupportedAlgorithm on OpenSSL < 3 or builds without SM4-GCM
        return False


GCM_AVAILABLE = _gcm_supported()


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyId(
                f"字段加密密钥“{key_id}”不在 {FIELD_KEYS_ENV} 中：轮换完成前不要删除旧密钥"
            ) from None


def _demo_on() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "SANBU_DEMO", False))


def _demo_key(label: str, size: int) -> bytes:
    return bytes.fromhex(sm3_hex(f"sanbu-demo-{label}-not-secret".encode()))[:size]


_cache: dict[str, Keyring] = {}


def parse_keys(spec: str) -> Keyring:
    """Parse ``id:hex32,id:hex32,…`` (first = current)."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, hexkey = part.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{FIELD_KEYS_ENV}: “{key_id}” is not a valid key id (letters, digits, _ . -; format id:hex32)"
            )
        try:
            key = bytes.fromhex(hexkey.strip())
        except ValueError:
            key = b""
        if len(key) != 16:
            raise ImproperlyConfigured(f"{FIELD_KEYS_ENV}: key “{key_id}” must be 32 hex digits (128 bits)")
        if key_id in keys:
            raise ImproperlyConfigured(f"{FIELD_KEYS_ENV}: key id “{key_id}” appears twice")
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured(f"{FIELD_KEYS_ENV} holds no key")
    return Keyring(current_id=order[0], keys=keys)


def keyring() -> Keyring:
    """The configured field keys; a fixed demo key only when ``SANBU_DEMO`` is on."""
    spec = os.environ.get(FIELD_KEYS_ENV, "").strip()
    if not spec:
        if not _demo_on():
            raise ImproperlyConfigured(
                f"{FIELD_KEYS_ENV} is not set: field encryption (CAT-7) needs at least one key, "
                "e.g. SANBU_FIELD_KEYS=k1:<32 hex digits>"
            )
        spec = f"{DEMO_KEY_ID}:{_demo_key('field', 16).hex()}"
    ring = _cache.get(spec)
    if ring is None:
        ring = parse_keys(spec)
        _cache.clear()
        _cache[spec] = ring
    return ring


def blind_key() -> bytes:
    spec = os.environ.get(BLIND_KEY_ENV, "").strip()
    if not spec:
        if not _demo_on():
            raise ImproperlyConfigured(
                f"{BLIND_KEY_ENV} is not set: the blind index of encrypted keys needs its own key "
                "(hex, at least 32 digits)"
            )
        return _demo_key("blind", 32)
    try:
        key = bytes.fromhex(spec)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ImproperlyConfigured(f"{BLIND_KEY_ENV} must be hex of at least 16 bytes")
    return key


def blind_index(value: Any) -> str:
    """Keyed HMAC-SM3 of the value's text (64 hex digits): equal values give equal indexes."""
    return hmac_sm3_hex(blind_key(), str(value).strip().encode())


def _subkeys(key: bytes) -> tuple[bytes, bytes]:
    enc = bytes.fromhex(hmac_sm3_hex(key, b"sanbu-sm4-cbc-enc"))[:16]
    mac = bytes.fromhex(hmac_sm3_hex(key, b"sanbu-sm4-cbc-mac"))
    return enc, mac


def _mac(key: bytes, data: bytes) -> bytes:
    mac = _chmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def _aad(prefix: str, key_id: str) -> bytes:
    return f"sanbu-field:{prefix}:{key_id}".encode()


def encrypt(plaintext: str, *, key_id: str | None = None, gcm: bool | None = None) -> str:
    """Encrypt text under the current key (or ``key_id``); ``gcm=False`` forces the CBC form."""
    ring = keyring()
    kid = key_id or ring.current_id
    key = ring.key(kid)
    data = plaintext.encode()
    use_gcm = GCM_AVAILABLE if gcm is None else gcm
    if use_gcm:
        nonce = os.urandom(NONCE_BYTES)
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(_aad(GCM_PREFIX, kid))
        body = enc.update(data) + enc.finalize()
        blob = nonce + body + enc.tag
        return f"{GCM_PREFIX}:{kid}:{base64.b64encode(blob).decode()}"
    enc_key, mac_key = _subkeys(key)
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    cbc = Cipher(algorithms.SM4(enc_key), modes.CBC(iv)).encryptor()
    body = cbc.update(padded) + cbc.finalize()
    tag = _mac(mac_key, _aad(CBC_PREFIX, kid) + iv + body)
    return f"{CBC_PREFIX}:{kid}:{base64.b64encode(iv + body + tag).decode()}"


def encryptor(*, key_id: str | None = None) -> Callable[[str], str]:
    """A fast ``encrypt`` for many values (bulk loads): the key is resolved once, not per value.

    Produces exactly what ``encrypt`` does (the GCM form where available, the CBC form otherwise); the
    environment is not read again, so use it for one load, not across a key rotation.
    """
    ring = keyring()
    kid = key_id or ring.current_id
    key = ring.key(kid)
    if not GCM_AVAILABLE:
        return lambda plaintext: encrypt(plaintext, key_id=kid, gcm=False)
    sm4 = algorithms.SM4(key)
    aad = _aad(GCM_PREFIX, kid)
    head = f"{GCM_PREFIX}:{kid}:"
    urandom, b64 = os.urandom, base64.b64encode

    def encrypt_one(plaintext: str) -> str:
        nonce = urandom(NONCE_BYTES)
        enc = Cipher(sm4, modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext.encode()) + enc.finalize()
        return head + b64(nonce + body + enc.tag).decode()

    return encrypt_one


def blind_indexer() -> Callable[[Any], str]:
    """A fast ``blind_index`` for many values (bulk loads and lookups): the key is read once."""
    key = blind_key()
    sm3 = hashes.SM3()

    def index_one(value: Any) -> str:
        mac = _chmac.HMAC(key, sm3)
        mac.update(str(value).strip().encode())
        return mac.finalize().hex()

    return index_one


def is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("sm4:", "sm4cbc:")) and bool(_TOKEN.match(value))


def key_id_of(token: str) -> str | None:
    m = _TOKEN.match(token)
    return m.group(2) if m else None


def decrypt(token: str) -> str:
    """The plaintext of a ``sm4:``/``sm4cbc:`` value; raises ``FieldCryptError`` when it cannot be read."""
    m = _TOKEN.match(token)
    if not m:
        raise TamperedValue("不是字段密文")
    prefix, kid, b64 = m.groups()
    key = keyring().key(kid)
    try:
        blob = base64.b64decode(b64, validate=True)
    except ValueError:
        raise TamperedValue("字段密文已损坏") from None
    if prefix == GCM_PREFIX:
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise TamperedValue("字段密文已损坏")
        nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
        try:
            dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
            dec.authenticate_additional_data(_aad(GCM_PREFIX, kid))
            data = dec.update(body) + dec.finalize()
        except InvalidTag:
            raise TamperedValue("字段密文校验失败：数据被篡改或密钥不符") from None
    else:
        if len(blob) < 16 + 16 + 32 or (len(blob) - 48) % 16:
            raise TamperedValue("字段密文已损坏")
        iv, body, tag = blob[:16], blob[16:-32], blob[-32:]
        enc_key, mac_key = _subkeys(key)
        expected = _mac(mac_key, _aad(CBC_PREFIX, kid) + iv + body)
        if not constant_time_equal(expected.hex(), tag.hex()):
            raise TamperedValue("字段密文校验失败：数据被篡改或密钥不符")
        cbc = Cipher(algorithms.SM4(enc_key), modes.CBC(iv)).decryptor()
        padded = cbc.update(body) + cbc.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        data = unpadder.update(padded) + unpadder.finalize()
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise TamperedValue("字段密文解出的不是文本") from None


def read(value: Any) -> Any:
    """Decrypt a field-encrypted value; anything else passes through unchanged."""
    return decrypt(value) if is_encrypted(value) else value


def needs_rotation(value: Any, ring: Keyring | None = None) -> bool:
    """True for a field-encrypted value that is not under the current key."""
    if not is_encrypted(value):
        return False
    ring = ring or keyring()
    return key_id_of(value) != ring.current_id


def sm4_ecb_block(key: bytes, block: bytes) -> bytes:
    """One raw SM4 block (for checking the primitive against the GB/T 32907 vector only)."""
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()
