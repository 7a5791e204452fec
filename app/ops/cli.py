"""`flask ops promote|replication`: the hot standby (docs/RECOVERY.md, "Hot standby and
failover"). Each prints what it did and exits non-zero when it failed."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from app.ops import replication

ops_cli = AppGroup("ops", help="Operations: the hot standby (docs/RECOVERY.md).")


def _fail(message: str) -> None:
    click.echo(f"FAILED: {message}", err=True)
    sys.exit(1)


def _standby_url(url: str | None) -> str:
    url = url or current_app.config.get("DATABASE_STANDBY_URL")
    if not url:
        _fail("which standby? Give --url postgresql+psycopg://…@standby-host/kade or set "
              "DATABASE_STANDBY_URL")
    return url


@ops_cli.command("promote")
@click.option("--url", help="The standby's database URL, one host (default: "
                            "DATABASE_STANDBY_URL).")
@click.option("--wait", "wait_seconds", type=int, default=replication.PROMOTE_WAIT_SECONDS,
              show_default=True, help="Seconds to wait for it to take writes.")
def promote(url, wait_seconds):
    """Promote the standby to primary, once the primary is lost for good.

    Stop the old primary first if it still runs, and never start it again as a primary:
    rebuild it as a standby of the new one (pg_rewind or scripts/standby.sh)."""
    url = _standby_url(url)
    try:
        done = replication.promote(url, wait_seconds=wait_seconds)
    except replication.PromotionError as error:
        _fail(str(error))
    except OperationalError as error:
        _fail(f"the standby does not answer: {str(error.orig).strip()}")
    click.echo(f"promoted {done['server']} to primary in {done['seconds']:.1f} s "
               f"(timeline {done['timeline']}): it takes writes now")
    click.echo("  the app's processes reconnect to it by themselves when DATABASE_URL lists "
               "both hosts with target_session_attrs=read-write")
    click.echo("  the old primary must not start again as a primary: rebuild it as a standby "
               "of this one (docs/RECOVERY.md)")


@ops_cli.command("replication")
@click.option("--url", help="The server to ask (default: DATABASE_URL, whichever host takes "
                            "writes).")
def replication_status(url):
    """This server's role, its standbys and the replica lag."""
    target = url or current_app.extensions["kade_engine"]
    try:
        found = replication.status(target)
    except OperationalError as error:
        _fail(f"the server does not answer: {str(error.orig).strip()}")
    lag = found["replica_lag_seconds"]
    click.echo(f"role {found['role']}")
    click.echo(f"replica lag {'-' if lag is None else f'{lag:.3f} s'}")
    click.echo(f"standbys streaming {found['standbys']}, synchronous "
               f"{found['synchronous_standbys']}")
    if found["role"] == "standby":
        click.echo(f"receiving from its primary {'yes' if found['streaming'] else 'no'}")
