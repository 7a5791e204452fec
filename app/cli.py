"""Command-line tools: `flask db …`, `flask seed demo`, `flask users …`, `flask pii …`,
`flask orders …`, `flask inventory …`, `flask plans …`, `flask backup …`
(app/ops/backups/cli.py), `flask ops …` (app/ops/cli.py), `flask analytics export`
(app/reports/cli.py)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app import migrate


def register(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(pii_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(inventory_cli)
    app.cli.add_command(plans_cli)

    from app.ops.backups.cli import backup_cli

    app.cli.add_command(backup_cli)

    from app.ops.cli import ops_cli

    app.cli.add_command(ops_cli)

    from app.reports.cli import analytics_cli

    app.cli.add_command(analytics_cli)

    from app.recommendations.cli import recommendations_cli

    app.cli.add_command(recommendations_cli)


db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Migrate the database forward (to the newest schema by default)."""
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url, revision)
    click.echo(f"database at revision {migrate.current_heads(url)}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Autogenerate a migration from the models (read and fix it before committing)."""
    from alembic import command

    command.revision(migrate.alembic_config(current_app.config["DATABASE_URL"]),
                     message=message, autogenerate=True)


seed_cli = AppGroup("seed", help="Sample data.")


@seed_cli.command("demo")
def seed_demo():
    """Load the demo shop. Safe to run again: existing records are kept, not duplicated.
    Refused in production and on a database that holds real orders."""
    from app.demo import DemoRefused, load_demo

    try:
        lines = load_demo()
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    for line in lines:
        click.echo(line)


users_cli = AppGroup("users", help="Staff and customer accounts.")


@users_cli.command("create-staff")
@click.argument("email")
@click.option("--role", required=True,
              type=click.Choice(["admin", "catalog_manager", "order_manager", "support_agent",
                                 "marketing"]))
@click.option("--name", default="")
@click.password_option(help="Asked for when not given.")
def create_staff(email, role, name, password):
    """Create a staff account (or give an existing customer a staff role)."""
    from app.accounts import staff
    from app.errors import DomainError

    try:
        invite = staff.create_staff(email=email, role=role, password=password, name=name)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"staff user {invite.user.id} created with role {role}")
    _echo_enrolment_code(invite.enrolment_code)


def _echo_enrolment_code(code: str) -> None:
    days = current_app.config["STAFF_ENROLMENT_DAYS"]
    click.echo(f"enrolment code: {code}")
    click.echo(f"  their first sign-in at /staff asks for it (once, within {days} days) before "
               "they set up an authenticator app; give it to them yourself")


@users_cli.command("enrolment-code")
@click.argument("email")
def enrolment_code(email):
    """A new one-time enrolment code for a staff member who has not set up an authenticator
    app yet (the first code expired or was lost). The older code stops working."""
    from app.accounts import services as accounts, staff
    from app.errors import DomainError

    user = accounts.find_by_email(email)
    if user is None or not user.is_staff:
        raise click.ClickException("no staff account with that email")
    try:
        code = staff.issue_enrolment_code(user.id, actor=None)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    _echo_enrolment_code(code)


@users_cli.command("show")
@click.argument("email")
def show_user(email):
    """An account's id, role and state, found by email (for support and operators)."""
    from app.accounts import services as accounts

    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException("no account with that email")
    click.echo(f"id {user.id}")
    click.echo(f"role {user.role or 'customer'}")
    click.echo(f"email verified {'yes' if user.is_email_verified else 'no'}")
    click.echo(f"active {'yes' if user.is_active else 'no'}")


@users_cli.command("count")
def count_users():
    """How many customers and staff accounts exist (erased accounts not counted)."""
    from app.accounts import services as accounts

    customers, staff_members = accounts.count_accounts()
    click.echo(f"customers {customers}, staff {staff_members}")


pii_cli = AppGroup("pii", help="Encryption of personal data.")


@pii_cli.command("rotate-key")
@click.option("--batch", default=500, show_default=True)
def rotate_key(batch):
    """Re-seal every personal field and transfer slip under the newest key of PII_KEYS
    (slips kept before sealing began are sealed too).

    Add the new key at the end of PII_KEYS first (old keys stay until this finishes)."""
    from app.payments.slips import seal_stored_slips
    from app.pii_rotation import rotate_all

    counts = rotate_all(batch_size=batch)
    for table, n in counts.items():
        click.echo(f"{table}: {n} rows re-sealed")
    click.echo(f"transfer slips: {seal_stored_slips()} files sealed")


orders_cli = AppGroup("orders", help="Orders.")


@orders_cli.command("expire-unpaid")
def expire_unpaid():
    """Cancel orders left unpaid past UNPAID_ORDER_HOURS and give their stock back (the
    customers are told by mail). Safe to run from cron as often as you like."""
    from app.orders import services as orders

    numbers = orders.expire_unpaid()
    for number in numbers:
        click.echo(f"cancelled {number}")
    click.echo(f"{len(numbers)} unpaid orders expired")


inventory_cli = AppGroup("inventory", help="Stock.")


@inventory_cli.command("alert-low-stock")
def alert_low_stock():
    """Mail the inventory staff about stock at or below its threshold (once per shortage).
    Safe to run from cron as often as you like."""
    from app.inventory import alerts

    click.echo(f"{alerts.alert_low_stock()} low stock levels reported")


plans_cli = AppGroup("plans", help="Plans and subscriptions.")


@plans_cli.command("sandbox-instalment")
@click.argument("email")
@click.option("--fail", is_flag=True, help="A declined charge instead of a paid one.")
def sandbox_instalment(email, fail):
    """Play PayHere's next recurring charge for the customer's plan (the local sandbox only):
    the signed notification is posted to the shop's notification address, as PayHere
    would, so a renewal or a failed payment can be tried on `make run`."""
    from app.accounts import services as accounts
    from app.errors import DomainError
    from app.links import external_url
    from app.payments import sandbox
    from app.plans import payhere_flow

    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    try:
        data = sandbox.instalment_notification(**payhere_flow.next_instalment(user.id),
                                               failed=fail)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from None
    url = external_url("payments.payhere_notify")
    if not sandbox.deliver(url, data):
        raise click.ClickException(f"the shop did not answer at {url}: is it running?")
    click.echo(f"{data['message_type']} posted for {data['order_id']}")
