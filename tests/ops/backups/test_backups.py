"""`flask backup create|list|verify|restore|prune` on the shop's own database (SQLite in the
SQLite pass, PostgreSQL with pg_dump in the PostgreSQL pass), to a folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import db, migrate
from app.db import utcnow
from app.ops.backups import sealed, services as backups
from app.ops.backups.errors import CorruptBackup, RestoreRefused, WrongKey
from app.orders.models import Order
from tests.checkout.factories import place_guest_order, stocked
from tests.ops.backups.drill import destroy_database


def _orders() -> int:
    count = db.session.scalar(select(func.count()).select_from(Order))
    db.session.rollback()
    return count


def _destroy(app) -> None:
    destroy_database(app.config["DATABASE_URL"])


def _sealed_file(app, backup_id: str) -> Path:
    return Path(app.config["BACKUP_URL"].removeprefix("file://")) / f"{backup_id}.kbak"


def test_a_backup_is_listed_with_its_manifest_and_recorded_as_a_good_run(shop, backend):
    made = backups.create()

    [listed] = backups.list_backups()
    assert listed.id == made["id"]
    assert listed.database == backend
    assert listed.kind == ("snapshot" if backend == "sqlite" else "dump")
    assert listed.schema_revision == migrate.current_heads(shop.config["DATABASE_URL"])
    assert listed.sha256 == sealed.checksum(_sealed_file(shop, made["id"]))
    assert listed.key_id == "b1"
    status = backups.status()
    assert status["last_backup_id"] == made["id"]
    assert status["stale"] is False
    assert 0 <= status["age_seconds"] < 60


def test_restore_after_the_database_is_destroyed_brings_every_order_back(shop):
    placed = [place_guest_order(stocked(f"Tea {n}", units=5)).number for n in range(3)]
    made = backups.create()
    place_guest_order(stocked("Made after the backup", units=5))
    _destroy(shop)

    done = backups.restore()

    assert done["id"] == made["id"]
    numbers = set(db.session.scalars(select(Order.number)))
    assert numbers == set(placed)  # what the backup held, and nothing from after it
    assert done["schema_revision"] == migrate.current_heads(shop.config["DATABASE_URL"])


def test_restore_over_a_database_with_data_needs_consent_and_keeps_the_old_one(shop, backend):
    place_guest_order(stocked("Kept", units=5))
    backups.create()
    place_guest_order(stocked("Newer", units=5))

    with pytest.raises(RestoreRefused, match="still holds data.*--yes"):
        backups.restore()
    assert _orders() == 2  # refused: nothing touched

    done = backups.restore(replace_data=True)

    assert _orders() == 1
    assert done["kept"]
    if backend == "sqlite":
        assert Path(done["kept"]).exists()


def test_to_time_picks_the_newest_backup_made_at_or_before_it(shop):
    backups.create()
    older = backups.list_backups()[0]
    later_than_older = older.created_at + dt.timedelta(milliseconds=1)
    place_guest_order(stocked("Only in the second", units=5))
    backups.create()
    _destroy(shop)

    done = backups.restore(to_time=later_than_older)

    assert done["id"] == older.id
    assert _orders() == 0


def test_to_time_before_any_backup_is_refused(shop):
    backups.create()

    with pytest.raises(RestoreRefused, match="no .* backup made at or before"):
        backups.restore(to_time=utcnow() - dt.timedelta(days=1))


def test_one_changed_byte_fails_verify_and_restore_refuses_it(shop):
    place_guest_order(stocked("Precious", units=5))
    made = backups.create()
    path = _sealed_file(shop, made["id"])
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))

    with pytest.raises(CorruptBackup, match="does not match its checksum"):
        backups.verify(made["id"])
    _destroy(shop)
    with pytest.raises(CorruptBackup, match="does not match its checksum"):
        backups.restore()


def test_a_backup_made_under_another_key_cannot_be_restored_and_says_so(make_shop, tmp_path):
    other_key = "b1:" + __import__("base64").urlsafe_b64encode(b"o" * 32).decode()
    first = make_shop(BACKUP_KEYS=other_key)
    with first.app_context():
        place_guest_order(stocked("Sealed elsewhere", units=5))
        backups.create()
        _destroy(first)
    second = make_shop(revision=None)  # the suite's own key, also named b1
    with second.app_context():
        with pytest.raises(WrongKey, match="not the one that made it"):
            backups.verify()
        with pytest.raises(WrongKey):
            backups.restore(replace_data=True)


def test_the_backup_holds_no_plaintext_email_phone_or_name(shop, tmp_path):
    place_guest_order(stocked("Tea", units=5))  # Sarah Fernando, sarah@example.lk, 077 123 4567
    made = backups.create()
    sealed_bytes = _sealed_file(shop, made["id"]).read_bytes()
    opened = tmp_path / "opened"
    sealed.unseal(_sealed_file(shop, made["id"]), opened,
                  keys=sealed.parse_keys(shop.config["BACKUP_KEYS"]))
    inside = opened.read_bytes()

    for plain in (b"sarah@example.lk", b"771234567", b"Sarah Fernando", b"Church Street"):
        assert plain not in sealed_bytes
        # Inside too, once decrypted: the database holds these encrypted (PII_KEYS).
        assert plain not in inside, plain


def test_restoring_an_older_schema_runs_the_migrations_forward_and_the_shop_starts(
        make_shop, backend):
    old = make_shop(revision="0005")
    with old.app_context():
        backups.create()
        [made] = backups.list_backups()
        assert made.schema_revision == "0005"
        _destroy(old)

        done = backups.restore()

        head = migrate.current_heads(old.config["DATABASE_URL"])
        assert done["schema_revision"] == head != "0005"
    response = old.test_client().get("/")
    assert response.status_code == 200


def test_verify_names_the_backup_it_checked(shop):
    made = backups.create()

    assert backups.verify().id == made["id"]
    assert backups.verify(made["id"]).id == made["id"]


def test_restoring_with_no_backup_at_all_says_where_it_looked(shop):
    _destroy(shop)

    with pytest.raises(RestoreRefused, match="There is no .* backup in file://"):
        backups.restore()


def test_a_failed_backup_is_recorded_with_its_error(make_shop, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    app = make_shop(BACKUP_URL=f"file://{blocked}")
    with app.app_context():
        with pytest.raises(backups.BackupError):
            backups.create()
        status = backups.status()
    assert status["last_failure"]
    assert status["stale"] is True
