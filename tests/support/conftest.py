"""Support test helpers: customers with orders, staff signed in through the real two-step
form (the back office's fixture, shared here)."""

from __future__ import annotations

import pytest

from tests.backoffice.conftest import sign_in_staff  # noqa: F401  (a fixture)
from tests.checkout.factories import customer_order, stocked
from tests.factories import make_staff


@pytest.fixture()
def agent(db_session):
    return make_staff("support_agent")


@pytest.fixture()
def agent_client(client, agent, sign_in_staff):  # noqa: F811
    return sign_in_staff(agent)


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=20, price_cents=1_250_00)


@pytest.fixture()
def order_of(tea):
    """`order_of(customer)`: an order placed by that customer through checkout."""

    def place(customer):
        return customer_order(customer, (tea, 1))

    return place
