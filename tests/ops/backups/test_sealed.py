"""The sealed backup file: what goes in comes out, and any change, cut or wrong key is
refused with a message that says which."""

from __future__ import annotations

import base64
import os

import pytest

from app.ops.backups import sealed
from app.ops.backups.errors import CorruptBackup, WrongKey

KEYS = {"b1": b"1" * 32}


@pytest.fixture()
def small_chunks(monkeypatch):
    # Many chunks from a small file, so reordering and cutting have parts to work on.
    monkeypatch.setattr(sealed, "CHUNK", 1024)


def _sealed(tmp_path, data: bytes, keys=KEYS, backup_id="b-1"):
    source, packed = tmp_path / "plain", tmp_path / "sealed"
    source.write_bytes(data)
    digest = sealed.seal(source, packed, backup_id=backup_id, keys=keys)
    return packed, digest


def _open(tmp_path, packed, keys=KEYS, backup_id="b-1") -> bytes:
    out = tmp_path / "opened"
    sealed.unseal(packed, out, keys=keys, backup_id=backup_id)
    return out.read_bytes()


def test_what_goes_in_comes_out_over_many_chunks(tmp_path, small_chunks):
    data = os.urandom(50_000)  # incompressible: about 50 chunks of 1 KiB

    packed, digest = _sealed(tmp_path, data)

    assert digest == sealed.checksum(packed)
    assert _open(tmp_path, packed) == data


def test_an_empty_file_round_trips(tmp_path):
    packed, _ = _sealed(tmp_path, b"")

    assert _open(tmp_path, packed) == b""


def test_the_file_is_compressed_and_holds_no_plaintext(tmp_path):
    data = b"sarah@example.lk +94771234567 Sarah Fernando\n" * 5000

    packed, _ = _sealed(tmp_path, data)

    raw = packed.read_bytes()
    assert len(raw) < len(data) / 10
    assert b"sarah" not in raw and b"94771234567" not in raw and b"Fernando" not in raw


def test_the_newest_key_seals_and_older_keys_still_open(tmp_path):
    old = {"b1": b"1" * 32}
    rotated = {"b1": b"1" * 32, "b2": b"2" * 32}
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    packed_old, _ = _sealed(tmp_path / "old", b"before rotation", keys=old)

    packed_new, _ = _sealed(tmp_path / "new", b"after rotation", keys=rotated)

    assert sealed.read_header(packed_new)["key_id"] == "b2"
    assert _open(tmp_path, packed_new, keys=rotated) == b"after rotation"
    assert sealed.read_header(packed_old)["key_id"] == "b1"
    assert _open(tmp_path, packed_old, keys=rotated) == b"before rotation"


@pytest.mark.parametrize("where", [0.3, 0.6, 0.99])
def test_one_changed_byte_anywhere_is_refused(tmp_path, small_chunks, where):
    packed, _ = _sealed(tmp_path, os.urandom(20_000))
    raw = bytearray(packed.read_bytes())
    raw[int(len(raw) * where)] ^= 0x01
    packed.write_bytes(bytes(raw))

    with pytest.raises(CorruptBackup, match="changed|damaged"):
        _open(tmp_path, packed)


def test_a_cut_off_file_is_refused(tmp_path, small_chunks):
    packed, _ = _sealed(tmp_path, os.urandom(20_000))
    raw = packed.read_bytes()
    # Cut exactly where the last chunk starts: every chunk left verifies on its own, so
    # only the "last chunk" flag can tell the file is incomplete.
    packed.write_bytes(raw[:_chunk_starts(raw)[-1]])

    with pytest.raises(CorruptBackup, match="cut off"):
        _open(tmp_path, packed)


def test_bytes_added_after_the_end_are_refused(tmp_path):
    packed, _ = _sealed(tmp_path, b"whole")
    packed.write_bytes(packed.read_bytes() + b"extra")

    with pytest.raises(CorruptBackup, match="after its last part"):
        _open(tmp_path, packed)


def test_chunks_swapped_are_refused(tmp_path, small_chunks):
    packed, _ = _sealed(tmp_path, os.urandom(5_000))
    raw = packed.read_bytes()
    starts = _chunk_starts(raw)
    first, second = raw[starts[0]:starts[1]], raw[starts[1]:starts[2]]
    packed.write_bytes(raw[:starts[0]] + second + first + raw[starts[2]:])

    with pytest.raises(CorruptBackup, match="Part 1"):
        _open(tmp_path, packed)


def test_a_key_that_is_not_held_is_named(tmp_path):
    packed, _ = _sealed(tmp_path, b"data", keys={"b7": b"7" * 32})

    with pytest.raises(WrongKey, match="'b7'.*BACKUP_KEYS does not hold"):
        _open(tmp_path, packed)


def test_another_key_under_the_same_name_is_told_apart_from_damage(tmp_path):
    packed, _ = _sealed(tmp_path, b"data", keys={"b1": b"X" * 32})

    with pytest.raises(WrongKey, match="not the one that made it"):
        _open(tmp_path, packed)


def test_a_file_swapped_for_another_backup_is_refused(tmp_path):
    packed, _ = _sealed(tmp_path, b"data", backup_id="b-2")

    with pytest.raises(CorruptBackup, match="holds backup 'b-2'"):
        _open(tmp_path, packed, backup_id="b-1")


def test_something_else_entirely_is_not_a_backup(tmp_path):
    other = tmp_path / "other"
    other.write_bytes(b"SQLite format 3\x00...")

    with pytest.raises(CorruptBackup, match="not a Kade backup"):
        _open(tmp_path, other)


def test_backup_keys_are_read_like_pii_keys_and_checked():
    key = base64.urlsafe_b64encode(b"k" * 32).decode()

    assert sealed.parse_keys(f"b1:{key}, b2:{key}") == {"b1": b"k" * 32, "b2": b"k" * 32}
    with pytest.raises(ValueError, match="BACKUP_KEYS"):
        sealed.parse_keys("b1:c2hvcnQ=")
    with pytest.raises(ValueError, match="BACKUP_KEYS holds no key"):
        sealed.parse_keys(" , ")


def _chunk_starts(raw: bytes) -> list[int]:
    import struct

    position = len(sealed.MAGIC)
    (header,) = struct.unpack(">H", raw[position:position + 2])
    position += 2 + header
    starts = []
    while position < len(raw):
        starts.append(position)
        (size,) = struct.unpack(">I", raw[position:position + 4])
        position += 4 + size
    return starts
