"""A backup file: compressed, then encrypted with AES-256-GCM in chunks, under BACKUP_KEYS.

Layout: MAGIC, a 2-byte header length, the header (JSON: backup id, key id, a key check,
the nonce prefix), then chunks, each a 4-byte length and the ciphertext with its tag.

Why chunks: a database of 100 000 orders does not have to fit in memory, and GCM needs a
fresh nonce per message. Each chunk's nonce is the file's random 8-byte prefix plus the
chunk's counter, and its associated data binds the header, the counter and a "last chunk"
flag, so chunks cannot be reordered, dropped, swapped between backups or cut off at the end
without the tag failing (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár).

The key check (an HMAC of a constant under the key) tells "made under another key" apart
from "changed bytes" before any chunk is tried; it reveals nothing about the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.ops.backups.errors import CorruptBackup, WrongKey

MAGIC = b"KADEBAK1"
CHUNK = 4 * 1024 * 1024  # plaintext bytes per chunk (compressed data)
READ = 1024 * 1024


def parse_keys(spec: str) -> dict[str, bytes]:
    """`b1:<base64>,b2:<base64>` -> ordered {id: key}; the last one seals new backups."""
    from app.security.pii import parse_keys as parse

    return parse(spec, setting="BACKUP_KEYS")


def key_check(key: bytes) -> str:
    return hmac.new(key, b"kade backup key check", hashlib.sha256).hexdigest()[:16]


def _aad(header: bytes, counter: int, last: bool) -> bytes:
    return header + struct.pack(">I?", counter, last)


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


def seal(source: Path, target: Path, *, backup_id: str, keys: dict[str, bytes]) -> str:
    """Compress and encrypt `source` into `target` under the newest key. Returns the
    SHA-256 (hex) of the sealed file, for the manifest."""
    key_id, key = list(keys.items())[-1]
    prefix = os.urandom(8)
    header = json.dumps({"backup_id": backup_id, "key_id": key_id, "key_check": key_check(key),
                         "nonce_prefix": prefix.hex(), "compression": "zlib"},
                        sort_keys=True).encode()
    aead = AESGCM(key)
    digest = hashlib.sha256()

    with target.open("wb") as out:
        def write(data: bytes) -> None:
            out.write(data)
            digest.update(data)

        write(MAGIC + struct.pack(">H", len(header)) + header)
        counter = 0
        pending = b""

        def emit(plain: bytes, last: bool) -> None:
            nonlocal counter
            sealed = aead.encrypt(_nonce(prefix, counter), plain, _aad(header, counter, last))
            write(struct.pack(">I", len(sealed)) + sealed)
            counter += 1

        squeeze = zlib.compressobj(6)
        with source.open("rb") as src:
            while block := src.read(READ):
                pending += squeeze.compress(block)
                while len(pending) > CHUNK:
                    emit(pending[:CHUNK], last=False)
                    pending = pending[CHUNK:]
        pending += squeeze.flush()
        while len(pending) > CHUNK:
            emit(pending[:CHUNK], last=False)
            pending = pending[CHUNK:]
        emit(pending, last=True)  # always one last chunk, even for an empty file
    return digest.hexdigest()


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(READ):
            digest.update(block)
    return digest.hexdigest()


def read_header(path: Path) -> dict:
    with path.open("rb") as src:
        return _header(src)[0]


def _header(src) -> tuple[dict, bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise CorruptBackup("This is not a Kade backup file (its first bytes are wrong).")
    try:
        (length,) = struct.unpack(">H", src.read(2))
        raw = src.read(length)
        return json.loads(raw), raw
    except (struct.error, ValueError) as exc:
        raise CorruptBackup("The backup's header is damaged.") from exc


def unseal(source: Path, target: Path, *, keys: dict[str, bytes],
           backup_id: str | None = None) -> None:
    """Decrypt and decompress `source` into `target`. Raises WrongKey when no key of
    BACKUP_KEYS made it, CorruptBackup when any byte was changed, cut off or added."""
    with source.open("rb") as src, target.open("wb") as out:
        header, raw = _header(src)
        key_id = header.get("key_id")
        if key_id not in keys:
            raise WrongKey(f"This backup was sealed under backup key {key_id!r}, which "
                           "BACKUP_KEYS does not hold. Add that key to BACKUP_KEYS.")
        key = keys[key_id]
        if not hmac.compare_digest(header.get("key_check", ""), key_check(key)):
            raise WrongKey(f"This backup was sealed under another key named {key_id!r}: the "
                           "key in BACKUP_KEYS with that name is not the one that made it.")
        if backup_id and header.get("backup_id") != backup_id:
            raise CorruptBackup(f"The file holds backup {header.get('backup_id')!r}, "
                                f"not {backup_id!r}.")
        aead = AESGCM(key)
        prefix = bytes.fromhex(header["nonce_prefix"])
        inflate = zlib.decompressobj()
        counter = 0
        while True:
            size_bytes = src.read(4)
            if len(size_bytes) < 4:
                raise CorruptBackup("The backup is cut off: its last part is missing.")
            (size,) = struct.unpack(">I", size_bytes)
            sealed = src.read(size)
            plain, last = _open_chunk(aead, prefix, raw, counter, sealed)
            out.write(inflate.decompress(plain))
            counter += 1
            if last:
                break
        if src.read(1):
            raise CorruptBackup("The backup has bytes after its last part.")
        out.write(inflate.flush())
        if not inflate.eof:
            raise CorruptBackup("The backup's compressed data is incomplete.")


def _open_chunk(aead: AESGCM, prefix: bytes, header: bytes, counter: int,
                sealed: bytes) -> tuple[bytes, bool]:
    for last in (False, True):
        try:
            return aead.decrypt(_nonce(prefix, counter), sealed,
                                _aad(header, counter, last)), last
        except InvalidTag:
            continue
    raise CorruptBackup(f"Part {counter + 1} of the backup does not verify: the file was "
                        "changed after it was made.")
