"""Encryption of personal data at rest, and blind indexes to find it again.

Each value is sealed with AES-256-GCM under the newest key of PII_KEYS and stored as
`<key id>:<base64 nonce+ciphertext>`, so old rows stay readable after a new key is added
and `flask pii rotate-key` can re-seal them. Lookups (a user by email or phone) use a keyed
HMAC of the normalised value: equal inputs give equal indexes, but the index reveals nothing
without PII_INDEX_KEY, which never rotates with the encryption keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class PiiKeyError(Exception):
    """A sealed value names a key id that PII_KEYS does not hold, or was tampered with."""


@dataclass(frozen=True)
class Vault:
    keys: dict[str, bytes]  # key id -> 32-byte key; insertion order = age, last is active
    index_key: bytes

    @property
    def active_key_id(self) -> str:
        return next(reversed(self.keys))

    def seal(self, plaintext: str) -> str:
        kid = self.active_key_id
        nonce = os.urandom(NONCE_BYTES)
        # The key id is bound as associated data so a value cannot be relabelled.
        sealed = AESGCM(self.keys[kid]).encrypt(nonce, plaintext.encode(), kid.encode())
        return f"{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, token: str) -> str:
        kid, _, body = token.partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise PiiKeyError(f"unknown PII key id {kid!r}")
        raw = base64.urlsafe_b64decode(body)
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode())
        except Exception as exc:  # InvalidTag: wrong key or altered bytes
            raise PiiKeyError("sealed value does not verify") from exc
        return plain.decode()

    def key_id_of(self, token: str) -> str:
        return token.partition(":")[0]

    def blind_index(self, normalised: str) -> str:
        return hmac.new(self.index_key, normalised.encode(), hashlib.sha256).hexdigest()


def parse_keys(spec: str, *, setting: str = "PII_KEYS") -> dict[str, bytes]:
    """`k1:<base64>,k2:<base64>` -> ordered {id: key}; the last one seals new values.
    Also reads BACKUP_KEYS (`setting` names it in the errors)."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, sep, encoded = part.partition(":")
        if not sep or not kid:
            raise ValueError(f"{setting} entries look like 'k1:<base64 of 32 bytes>'")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(key) != 32:
            raise ValueError(f"{setting}: key {kid!r} must be 32 bytes")
        keys[kid] = key
    if not keys:
        raise ValueError(f"{setting} holds no key")
    return keys


_vault: Vault | None = None


def configure(keys_spec: str, index_key: str) -> Vault:
    global _vault
    index = base64.urlsafe_b64decode(index_key + "=" * (-len(index_key) % 4))
    _vault = Vault(parse_keys(keys_spec), index)
    return _vault


def vault() -> Vault:
    if _vault is None:
        raise RuntimeError("PII vault is not configured: create the app first")
    return _vault


def seal(plaintext: str) -> str:
    return vault().seal(plaintext)


def unseal(token: str) -> str:
    return vault().open(token)


def blind_index(normalised: str) -> str:
    return vault().blind_index(normalised)
