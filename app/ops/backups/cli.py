"""`flask backup create|list|verify|restore|prune|status`: each prints a summary and exits
non-zero when it failed, so cron, scripts and tired engineers can trust the exit code."""

from __future__ import annotations

import datetime as dt
import sys
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from app.ops.backups import services as backups
from app.ops.backups.errors import BackupError

COLOMBO = ZoneInfo("Asia/Colombo")

backup_cli = AppGroup("backup", help="Backups and restores (docs/RECOVERY.md).")


def _fail(error: Exception) -> None:
    click.echo(f"FAILED: {error}", err=True)
    sys.exit(1)


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(COLOMBO).strftime("%Y-%m-%d %H:%M:%S %Z")


def _size(count: int | None) -> str:
    if count is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def parse_time(text: str) -> dt.datetime:
    """'2026-11-27 14:05' (Colombo time), or ISO 8601 with an offset or Z. Returns UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            "use a time like '2026-11-27 14:05' (Colombo) or '2026-11-27T08:35:00Z'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COLOMBO)
    return moment.astimezone(dt.UTC)


@backup_cli.command("create")
@click.option("--kind", type=click.Choice(["snapshot", "dump", "full", "diff", "incr"]),
              help="Default: the database's own copy (SQLite snapshot or pg_dump).")
def create(kind):
    """Take a backup now and store it in BACKUP_URL."""
    try:
        done = backups.create(kind)
    except BackupError as error:
        _fail(error)
    click.echo(f"backup {done['id']} ({done['kind']}, {_size(done['size'])}) "
               f"stored in {done['target']} at {_local(done['created_at'])}")


@backup_cli.command("list")
@click.option("--limit", type=int, default=50, show_default=True)
def list_(limit):
    """The backups in BACKUP_URL, newest first."""
    try:
        found = backups.list_backups(limit)
    except BackupError as error:
        _fail(error)
    if not found:
        click.echo("no backups yet")
        return
    for item in found:
        click.echo(f"{item.id}  {_local(item.created_at)}  {item.kind:8}  "
                   f"{_size(item.size):>10}  schema {item.schema_revision or '-'}  "
                   f"key {item.key_id}")


@backup_cli.command("verify")
@click.argument("backup_id", required=False)
def verify(backup_id):
    """Check a backup can be restored (the newest by default)."""
    try:
        found = backups.verify(backup_id)
    except BackupError as error:
        _fail(error)
    click.echo(f"OK: {found.id} verifies (checksum, encryption and the database inside)")


@backup_cli.command("restore")
@click.argument("backup_id", required=False)
@click.option("--latest", is_flag=True, help="The newest recovery point (the default).")
@click.option("--to-time", "to_time", help="Recover to this moment: '2026-11-27 14:05' "
              "(Colombo time) or ISO 8601 with an offset.")
@click.option("--yes", is_flag=True, help="Replace a database that still holds data (it "
              "is kept aside, not deleted).")
def restore(backup_id, latest, to_time, yes):
    """Bring the database back from a backup, then migrate it to this code's schema.
    Stop the web and worker processes first."""
    if backup_id and (latest or to_time):
        raise click.UsageError("give a backup ID, or --latest, or --to-time: not both")
    moment = parse_time(to_time) if to_time else None
    try:
        done = backups.restore(backup_id, to_time=moment, replace_data=yes)
    except BackupError as error:
        _fail(error)
    click.echo(f"restored from {done['id'] or done['source']} "
               f"(recovery point {_local(done['recovered_to'])}) in {done['seconds']} s; "
               f"schema now at {done['schema_revision']}")
    if done.get("kept"):
        click.echo(f"the database that was there is kept as {done['kept']}")


@backup_cli.command("prune")
def prune():
    """Delete the backups retention no longer keeps."""
    try:
        gone = backups.prune()
    except BackupError as error:
        _fail(error)
    click.echo(f"pruned {len(gone)} backup(s)")


@backup_cli.command("status")
def status():
    """How old the last good backup is; exits 1 when older than BACKUP_MAX_AGE_MINUTES."""
    info = backups.status()
    age = info["recovery_point_age_seconds"]
    click.echo(f"last good backup: {info['last_backup_id'] or 'none'} "
               f"at {_local(info['last_ok_at'])}")
    click.echo(f"recovery point age: {'-' if age is None else f'{age} s'} "
               f"(limit {info['max_age_seconds']} s)")
    if info["last_failure"]:
        click.echo(f"last failure at {_local(info['last_failure_at'])}: {info['last_failure']}")
    if info["stale"]:
        click.echo("STALE: no recent enough backup", err=True)
        sys.exit(1)
