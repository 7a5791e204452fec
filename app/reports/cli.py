"""`flask analytics export`: the analytics export by hand (docs/ANALYTICS.md). With no
option it does what the nightly job does; `--day` writes one day again, `--from/--to` a range
(the first backfill of a shop's history, or days to refresh after a change the nightly run
no longer looks back to)."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app
from flask.cli import AppGroup

analytics_cli = AppGroup("analytics", help="The analytics export (docs/ANALYTICS.md).")


def _day(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a Colombo date like 2026-03-01") from None


@analytics_cli.command("export")
@click.option("--day", callback=_day, help="One Colombo day, YYYY-MM-DD.")
@click.option("--from", "first", callback=_day, help="The first day of a range.")
@click.option("--to", "last", callback=_day, help="The last day of a range (default: yesterday).")
def export_command(day, first, last):
    """Write days of orders, payments and refunds as Parquet files under BACKUP_URL/analytics."""
    # Imported here: pyarrow is for this command and the job, not for every `flask` start.
    from app.reports import days, export

    if day and (first or last):
        raise click.UsageError("give --day, or --from (and --to), not both")
    if last and not first:
        raise click.UsageError("--to needs --from")
    try:
        if day:
            export.export_day(day)
            written = [day]
        elif first:
            last = last or days.today() - dt.timedelta(days=1)
            if last < first:
                raise click.UsageError("--to is before --from")
            written = list(export.export_days(first, last))
        else:
            written = export.nightly()
    except export.ExportError as error:
        click.echo(f"FAILED: {error}", err=True)
        sys.exit(1)
    where = export.store_for(current_app.config).describe()
    click.echo(f"{len(written)} day(s) written to {where}: "
               f"{written[0].isoformat()} to {written[-1].isoformat()}")
