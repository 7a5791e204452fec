"""Encryption of personal data at rest, and blind indexes to find it again.

Each value is sealed with AES-256-GCM under the newest key of PII_KEYS and stored as
`<key id>:<base64 nonce+ciphertext>`, so old rows stay readable after a new key is added
and `flask pii rotate-key` can re-seal them. Lookups (a user by email or phone) use a keyed
HMAC of the normalised value: equal inputs give equal indexes, but the index reveals nothing
without PII_INDEX_KEY, which never rotates with the encryption keys.

Files holding personal data (transfer slips) are sealed the same way as bytes: FILE_MAGIC,
the key id's length and the key id, then the nonce and ciphertext. Their associated data
also binds a context (the file's storage key), so one customer's sealed file cannot be
moved into another's place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
FILE_MAGIC = b"KADEPII1"


class PiiKeyError(Exception):
    """A sealed value names a key id that PII_KEYS does not hold, or was tampered with."""


@dataclass(frozen=True)
class Vault:
    keys: dict[str, bytes]  # key id -> 32-byte key; insertion order = age, last is active
    index_key: bytes

    @property
    def active_key_id(self) -> str:
        return next(reversed(self.keys))

    def _encrypt(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        kid = self.active_key_id
        nonce = os.urandom(NONCE_BYTES)
        # The key id is bound as associated data so a value cannot be relabelled.
        return kid, nonce + AESGCM(self.keys[kid]).encrypt(nonce, plaintext, kid.encode() + aad)

    def _decrypt(self, kid: str, raw: bytes, aad: bytes) -> bytes:
        key = self.keys.get(kid)
        if key is None:
            raise PiiKeyError(f"unknown PII key id {kid!r}")
        try:
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode() + aad)
        except Exception as exc:  # InvalidTag: wrong key or altered bytes
            raise PiiKeyError("sealed value does not verify") from exc

    def seal(self, plaintext: str) -> str:
        kid, sealed = self._encrypt(plaintext.encode(), b"")
        return f"{kid}:{base64.urlsafe_b64encode(sealed).decode()}"

    def open(self, token: str) -> str:
        kid, _, body = token.partition(":")
        return self._decrypt(kid, base64.urlsafe_b64decode(body), b"").decode()

    def key_id_of(self, token: str) -> str:
        return token.partition(":")[0]

    def seal_file(self, data: bytes, context: str) -> bytes:
        kid, sealed = self._encrypt(data, b"\x00" + context.encode())
        label = kid.encode()
        return FILE_MAGIC + bytes([len(label)]) + label + sealed

    def open_file(self, blob: bytes, context: str) -> bytes:
        """Raises PiiKeyError for an unknown key, another context or changed bytes."""
        kid = self.file_key_id(blob)
        if kid is None:
            raise PiiKeyError("not a sealed file")
        start = len(FILE_MAGIC) + 1 + blob[len(FILE_MAGIC)]
        return self._decrypt(kid, blob[start:], b"\x00" + context.encode())

    def file_key_id(self, blob: bytes) -> str | None:
        """The key id a sealed file names; None for a file that was never sealed."""
        if not blob.startswith(FILE_MAGIC) or len(blob) <= len(FILE_MAGIC):
            return None
        start = len(FILE_MAGIC) + 1
        return blob[start:start + blob[len(FILE_MAGIC)]].decode(errors="replace")

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


def seal_file(data: bytes, context: str) -> bytes:
    return vault().seal_file(data, context)


def open_file(blob: bytes, context: str) -> bytes:
    return vault().open_file(blob, context)


def blind_index(normalised: str) -> str:
    return vault().blind_index(normalised)
