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
    from app.pii_rotation import rotate_all

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


# ---- what customers write: ticket subjects, cancel and return reasons ------------------------

WRITTEN = {
    "subject": "Parcel for Tharindu at 0779876543",
    "cancel": "Ordered twice, call Tharindu 0779876543",
    "return": "Box crushed, deliver to 77 Jasmine Lane",
}


def _written_rows(customer):
    """A ticket, a cancelled order and a returned one, with the customer's words in them."""
    from app.orders import services as orders
    from app.support import services as support
    from tests.checkout.factories import customer_order, stocked

    ticket = support.open_ticket(customer.id, subject=WRITTEN["subject"], body="Any news?")
    cancelled = customer_order(customer, (stocked("Tea", units=5), 1))
    orders.cancel_by_customer(cancelled, reason=WRITTEN["cancel"])
    returned = customer_order(customer, (stocked("Rice", units=5), 1))
    orders.change_status(returned.number, "shipped")
    orders.change_status(returned.number, "delivered")
    orders.request_return(orders.find_by_number(returned.number), WRITTEN["return"])
    db.session.commit()
    return ticket.id, cancelled.number, returned.number


def _raw_values() -> list[str]:
    return [value for (value,) in db.session.execute(text(
        "SELECT subject FROM support_ticket UNION ALL "
        "SELECT note FROM orders_order_event WHERE note IS NOT NULL"))]


def _read_back(ticket_id, cancelled, returned) -> set[str]:
    from app.orders import services as orders
    from app.support.models import Ticket

    db.session.expire_all()
    notes = {event.note for number in (cancelled, returned)
             for event in orders.find_by_number(number).events if event.note}
    return {db.session.get(Ticket, ticket_id).subject, *notes}


def test_ticket_subjects_and_cancel_and_return_reasons_are_sealed(app_ctx, migrated,
                                                                  db_session):
    customer = make_customer()
    rows = _written_rows(customer)

    dump = _database_bytes(migrated)
    raw = _raw_values()

    assert _read_back(*rows) == set(WRITTEN.values())  # the app reads them…
    assert len(raw) == 3 and all(value.startswith(pii.vault().active_key_id + ":")
                                 for value in raw)  # …the rows hold sealed values
    for label, value in WRITTEN.items():
        for part in (value, "0779876543", "Jasmine Lane"):
            assert part.encode() not in dump, f"{label} found in plaintext"


def test_staff_still_find_a_ticket_by_words_of_its_sealed_subject(app_ctx, db_session):
    from app.support import services as support
    from tests.factories import make_staff

    customer = make_customer()
    parcel = support.open_ticket(customer.id, subject="Parcel  LATE again", body="Hi")
    support.open_ticket(customer.id, subject="Refund please", body="Hi")
    agent = make_staff("admin")

    def found(query):
        tickets, total = support.staff_tickets(support.TicketFilter(query=query), actor=agent)
        return [t.id for t in tickets], total

    assert found("parcel late") == ([parcel.id], 1)
    assert found(f"#{parcel.id}") == ([parcel.id], 1)
    assert found("nothing like it") == ([], 0)


def test_migration_0016_seals_the_rows_already_there_and_its_downgrade_opens_them(
        scratch_url, tmp_path):
    """Rows written before 0016 are plaintext; after it, sealed and readable; a downgrade
    gives the plaintext back."""
    from app import create_app, migrate
    from app.db import dispose_engines
    from tests.conftest import base_config

    migrate.upgrade(scratch_url)
    shop = create_app(base_config(scratch_url, tmp_path))
    with shop.app_context():
        rows = _written_rows(make_customer())
        db.session.remove()
    dispose_engines()

    migrate.downgrade(scratch_url, "0016-1")  # the revision before 0016, whichever it is
    with shop.app_context():
        before = sorted(_raw_values())
        db.session.remove()
    dispose_engines()
    migrate.upgrade(scratch_url)

    with shop.app_context():
        after = _raw_values()
        read = _read_back(*rows)
        db.session.remove()
    dispose_engines()
    assert before == sorted(WRITTEN.values())
    assert all(value.startswith(pii.vault().active_key_id + ":") for value in after)
    assert read == set(WRITTEN.values())
