"""Personal data never reaches the database in plaintext: not in the SQLite file (nor its
WAL), not in a pg_dump of PostgreSQL."""

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import db
from app.security import pii
from tests.factories import make_address, make_customer

SECRETS = {
    "name": "Wickramasinghe Tharindu",
    "email": "tharindu.unique@example.lk",
    "phone": "+94779876543",
    "line1": "77 Jasmine Lane Secretville",
    "city": "Kuliyapitiya",
}


def _database_bytes(url: str) -> bytes:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        path = Path(parsed.database)
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed for this test"
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run([pg_dump, "--data-only", plain], check=True,
                          capture_output=True).stdout


def test_customer_pii_is_not_stored_in_plaintext(app_ctx, migrated, db_session):
    user = make_customer(name=SECRETS["name"], email=SECRETS["email"], phone=SECRETS["phone"])
    make_address(user.id, recipient=SECRETS["name"], phone=SECRETS["phone"],
                 line1=SECRETS["line1"], city=SECRETS["city"])
    db_session.commit()

    dump = _database_bytes(migrated)

    assert dump  # the dump really holds the data…
    assert db_session.get(type(user), user.id).email == SECRETS["email"]  # …readable via the app
    for label, value in SECRETS.items():
        for form in {value, value.lower(), value.replace("+", "")}:
            assert form.encode() not in dump, f"{label} found in plaintext"
            assert form.encode("utf-16-le") not in dump


def test_sealed_values_name_their_key_and_rotation_reseals(app_ctx, db_session):
    from app.security.rotation import rotate_all

    user = make_customer(email="rotate@example.lk")
    raw = db_session.execute(text("SELECT email FROM accounts_user WHERE id = :id"),
                             {"id": user.id}).scalar_one()
    old_vault = pii.vault()
    assert raw.startswith(old_vault.active_key_id + ":")

    # Add a new key at the end of PII_KEYS, then rotate.
    new_spec = "t1:" + "a" * 43 + "=," + "t2:" + "b" * 43 + "="
    new_spec = ",".join([f"{kid}:{__import__('base64').urlsafe_b64encode(key).decode()}"
                         for kid, key in old_vault.keys.items()] + [
        "t2:" + __import__("base64").urlsafe_b64encode(b"n" * 32).decode()])
    index_key = __import__("base64").urlsafe_b64encode(old_vault.index_key).decode()
    try:
        pii.configure(new_spec, index_key)
        counts = rotate_all()
        db_session.expire_all()
        resealed = db_session.execute(text("SELECT email FROM accounts_user WHERE id = :id"),
                                      {"id": user.id}).scalar_one()
        assert counts["accounts_user"] >= 1
        assert resealed.startswith("t2:")
        assert db_session.get(type(user), user.id).email == "rotate@example.lk"
    finally:
        pii.configure(",".join(f"{kid}:{__import__('base64').urlsafe_b64encode(k).decode()}"
                               for kid, k in old_vault.keys.items()), index_key)
        db_session.rollback()


def test_a_tampered_sealed_value_is_refused(app_ctx):
    sealed = pii.seal("0771234567")
    kid, body = sealed.split(":", 1)
    flipped = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")

    with pytest.raises(pii.PiiKeyError):
        pii.unseal(f"{kid}:{flipped}")


def test_blind_index_finds_by_email_regardless_of_case(app_ctx):
    from app.accounts import services as accounts

    user = make_customer(email="Case.Mix@Example.lk")

    assert accounts.find_by_email("case.mix@example.LK").id == user.id


def test_a_sealed_file_opens_only_under_its_own_name_and_unchanged(app_ctx):
    picture = b"RIFF\x00\x00\x00\x00WEBPVP8 a customer's slip"
    sealed = pii.seal_file(picture, "private/slips/KD-2026-000001/a.webp")
    changed = bytearray(sealed)
    changed[-1] ^= 1

    assert sealed.startswith(pii.FILE_MAGIC) and b"WEBP" not in sealed
    assert pii.vault().file_key_id(sealed) == pii.vault().active_key_id
    assert pii.open_file(sealed, "private/slips/KD-2026-000001/a.webp") == picture
    assert pii.vault().file_key_id(picture) is None  # never sealed
    for blob, name in ((sealed, "private/slips/KD-2026-000002/a.webp"),
                       (bytes(changed), "private/slips/KD-2026-000001/a.webp"),
                       (picture, "private/slips/KD-2026-000001/a.webp")):
        with pytest.raises(pii.PiiKeyError):
            pii.open_file(blob, name)
