"""`flask recommendations compute`: the nightly job by hand (after loading a shop's history,
or to see a change at once): the lists, then tonight's personal offers from them."""

from __future__ import annotations

import click
from flask.cli import AppGroup

recommendations_cli = AppGroup("recommendations", help="The recommender's stored lists.")


@recommendations_cli.command("compute")
def compute():
    """Compute and store every recommendation list, then send tonight's personal offers, as
    the nightly job does (offers already decided this week are not sent again)."""
    from app.recommendations import nightly, offers

    summary = nightly.compute()
    click.echo(f"{summary.lists} lists from {summary.lines} order lines "
               f"({summary.customers} customers with personal lists)")
    sent = offers.run()
    click.echo(f"personal offers: {sent.sent} sent, {sent.held_out} held out")
