"""The demo shop's logins are published: `flask seed demo` never runs in production, never
into a real shop's database, and its staff still need an enrolment code to set up a second
factor."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from app.accounts.models import User
from app.catalog.models import Product, Variant
from tests.checkout.factories import place_guest_order, stocked

ROOT = Path(__file__).resolve().parents[2]


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_seed_demo_in_production_exits_non_zero_and_creates_nothing(tmp_path):
    database = tmp_path / "shop.db"
    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
           "KADE_ENV": "production", "DATABASE_URL": f"sqlite:///{database}",
           "KADE_INSTANCE_PATH": str(tmp_path / "instance"),
           "SECRET_KEY": "s" * 32, "PII_KEYS": f"p1:{_key()}", "PII_INDEX_KEY": _key(),
           "BACKUP_KEYS": f"b1:{_key()}", "PUBLIC_URL": "https://shop.example.lk",
           "METRICS_TOKEN": "m" * 32, "SMTP_URL": "smtps://mail.example.lk:465",
           "SMS_GATEWAY_URL": "https://sms.example.lk/send", "SMS_USER_ID": "1",
           "SMS_API_KEY": "k", "REDIS_URL": ""}
    assert _flask(env, "db", "upgrade").returncode == 0

    seeded = _flask(env, "seed", "demo")

    assert seeded.returncode != 0
    assert "never loaded in production" in seeded.stderr
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        counts = [conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                  for table in ("accounts_user", "catalog_product", "orders_order")]
    engine.dispose()
    assert counts == [0, 0, 0]


def test_seed_demo_refuses_a_database_holding_a_real_shops_orders(app, db_session):
    place_guest_order((stocked("Ceylon tea"), 1))
    users_before = db_session.scalar(select(func.count()).select_from(User))

    result = app.test_cli_runner().invoke(args=["seed", "demo"])

    assert result.exit_code != 0
    assert "already holds a real shop's orders (1)" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(User)) == users_before


def test_seed_demo_prints_an_enrolment_code_for_each_staff_login(app, db_session):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed", "demo"])
    again = runner.invoke(args=["seed", "demo"])  # the codes are not kept: new ones

    assert first.exit_code == 0, first.output
    codes = re.findall(r"enrolment code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", first.output)
    assert len(codes) == 3
    assert again.exit_code == 0, again.output
    assert set(re.findall(r"enrolment code (\S+)\)", again.output)).isdisjoint(codes)
    # The demo shop reads in Sinhala and Tamil all the way: options and attribute values too.
    tea = db_session.scalar(select(Product).where(Product.slug == "ceylon-black-tea-leaves"))
    assert [v.label("ta") for v in tea.variants] == ["250 கிராம்", "500 கிராம்", "1 கிலோ"]
    assert [v.label("si") for v in tea.variants] == ["ග්‍රෑම් 250", "ග්‍රෑම් 500", "කිලෝ 1"]
    assert all(a.value_si and a.value_ta for a in tea.attributes if a.name != "brand")
    # Most goods have a cost price, a few none: the stock report shows both.
    goods = list(db_session.scalars(select(Variant).join(Variant.product)
                                    .where(Product.kind == "product")))
    costed = [v for v in goods if v.cost_cents is not None]
    assert 0 < len(goods) - len(costed) < len(goods) // 5
    assert all(54 <= v.cost_cents * 100 // v.price_cents <= 70 for v in costed)


def test_the_published_demo_password_opens_no_account_in_production(app, db_session,
                                                                     monkeypatch):
    from app.accounts import services as accounts
    from app.accounts.errors import InvalidCredentials
    from app.security.passwords import DEMO_PASSWORD
    from tests.factories import make_customer

    user = make_customer(password=DEMO_PASSWORD)
    assert accounts.authenticate(user.email, DEMO_PASSWORD).id == user.id  # development

    monkeypatch.setitem(app.config, "KADE_ENV", "production")

    with pytest.raises(InvalidCredentials):
        accounts.authenticate(user.email, DEMO_PASSWORD)
