"""Retention, and the `flask backup` commands as an operator types them: summaries and exit
codes."""

from __future__ import annotations

import datetime as dt
import re

from app.ops.backups import services as backups
from app.ops.backups.cli import parse_time
from tests.checkout.factories import place_guest_order, stocked

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def _id(moment: dt.datetime, family: str = "sqlite-snapshot", tail: str = "0000") -> str:
    return f"{moment:%Y%m%dT%H%M%S}.000Z-{family}-{tail}"


def test_every_backup_of_the_last_48_hours_stays_then_one_a_day_for_30_days():
    every_5_minutes = [_id(NOW - dt.timedelta(minutes=5 * n)) for n in range(0, 12 * 24 * 40)]

    doomed = set(backups.to_prune(every_5_minutes, NOW, keep_all_hours=48, keep_daily_days=30))
    kept = sorted(set(every_5_minutes) - doomed)

    recent = [i for i in every_5_minutes if backups._time_of(i) >= NOW - dt.timedelta(hours=48)]
    assert set(recent) <= set(kept)
    older_days = {backups._time_of(i).date() for i in kept if i not in recent}
    # One a day for the days between 48 hours and 30 days back (the 30th day is partial).
    assert len(kept) - len(recent) == len(older_days)
    assert min(older_days) >= (NOW - dt.timedelta(days=30)).date()
    # The last of each day (before the 48 hours) is the one kept.
    for day in older_days:
        [kept_that_day] = [i for i in kept if backups._time_of(i).date() == day
                           and i not in recent]
        assert kept_that_day == max(i for i in every_5_minutes if i not in recent
                                    and backups._time_of(i).date() == day)


def test_the_newest_backup_of_each_kind_is_never_pruned_however_old():
    ancient_snapshot = _id(NOW - dt.timedelta(days=90))
    ancient_dump = _id(NOW - dt.timedelta(days=95), "postgresql-dump")
    older_dump = _id(NOW - dt.timedelta(days=96), "postgresql-dump")

    doomed = backups.to_prune([ancient_snapshot, ancient_dump, older_dump], NOW, 48, 30)

    assert doomed == [older_dump]


def test_prune_deletes_what_retention_lets_go_from_the_store(shop):
    backups.create()
    [made] = backups.list_backups()
    assert backups.prune(now=made.created_at + dt.timedelta(days=3)) == []  # the newest stays
    backups.create()

    gone = backups.prune(now=made.created_at + dt.timedelta(days=3))

    assert gone == [made.id]
    assert [m.id for m in backups.list_backups()] != [made.id]
    assert len(backups.list_backups()) == 1


def test_times_are_read_in_colombo_unless_they_say_otherwise():
    assert parse_time("2026-11-27 14:05") == dt.datetime(2026, 11, 27, 8, 35, tzinfo=dt.UTC)
    assert parse_time("2026-11-27T08:35:00Z") == dt.datetime(2026, 11, 27, 8, 35, tzinfo=dt.UTC)


def test_the_commands_say_what_they_did_and_exit_non_zero_on_failure(shop):
    runner = shop.test_cli_runner()
    place_guest_order(stocked("Tea", units=5))

    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    backup_id = re.search(r"backup (\S+) \(", made.output).group(1)
    assert "stored in file://" in made.output

    listed = runner.invoke(args=["backup", "list"])
    assert backup_id in listed.output and "schema" in listed.output

    verified = runner.invoke(args=["backup", "verify", backup_id])
    assert verified.exit_code == 0 and f"OK: {backup_id} verifies" in verified.output

    refused = runner.invoke(args=["backup", "restore", "--latest"])
    assert refused.exit_code == 1
    assert "still holds data" in refused.output

    restored = runner.invoke(args=["backup", "restore", "--latest", "--yes"])
    assert restored.exit_code == 0, restored.output
    assert f"restored from {backup_id}" in restored.output
    assert "kept as" in restored.output

    status = runner.invoke(args=["backup", "status"])
    assert status.exit_code == 0 and "recovery point age" in status.output

    unknown = runner.invoke(args=["backup", "verify", "20200101T000000.000Z-sqlite-x-0000"])
    assert unknown.exit_code == 1 and "FAILED" in unknown.output

    both = runner.invoke(args=["backup", "restore", backup_id, "--latest"])
    assert both.exit_code == 2 and "not both" in both.output

    bad_time = runner.invoke(args=["backup", "restore", "--to-time", "yesterday"])
    assert bad_time.exit_code == 2 and "2026-11-27 14:05" in bad_time.output


def test_status_exits_1_when_backups_are_stale(shop):
    result = shop.test_cli_runner().invoke(args=["backup", "status"])

    assert result.exit_code == 1
    assert "last good backup: none" in result.output
