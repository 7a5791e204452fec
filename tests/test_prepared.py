"""Prebuilt Core SELECTs run on the driver's cursor (app/prepared.py): the same rows as
session.execute gives, in the session's transaction, seen by the engine's statement events,
and failing as SQLAlchemy fails."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Integer, bindparam, column, event, exc, literal_column, select, table

from app import db, prepared
from app.accounts import addresses
from app.accounts.models import User
from app.catalog import cards, inputs, product_view
from app.catalog.models import Product
from tests.catalog.factories import make_product
from tests.factories import make_customer
from tests.statements import statements_sent

_product = Product.__table__.c

BY_IDS = (select(_product.id, _product.slug, _product.updated_at)
          .where(_product.id.in_(bindparam("ids", expanding=True)))
          .order_by(_product.id))
NOT_IN = (select(_product.id).where(_product.id.notin_(bindparam("ids", expanding=True)))
          .order_by(_product.id))


def _as_session_gives(statement, params) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(statement, params)]


def test_a_product_page_reads_the_same_rows_with_their_types(app_ctx):
    product = make_product("Ceylon tea", attributes={"origin": "Nuwara Eliya"}, variants=[
        inputs.VariantInput(sku=f"TEA-{size[:3]}", price_cents=500_00, options={"size": size})
        for size in ("100 g", "200 g")])

    page = prepared.rows(product_view._CORE, {"slug": product.slug})

    assert page == _as_session_gives(product_view._CORE, {"slug": product.slug})
    assert len(page) == 2
    updated_at = page[0][16]
    assert isinstance(updated_at, dt.datetime) and updated_at.tzinfo == dt.UTC  # UTCDateTime
    assert isinstance(page[0][19], dict)  # the variant's options: JSON, decoded
    assert prepared.rows(product_view._CORE, {"slug": "no-such-product"}) == []


@pytest.mark.parametrize("ids", [[1], [], (2, 3)], ids=["one", "none", "a tuple"])
def test_a_list_of_ids_gives_what_in_gives(app_ctx, ids):
    made = [make_product(f"Item {n}").id for n in range(3)]
    wanted = [made[i - 1] for i in ids]

    assert prepared.rows(BY_IDS, {"ids": wanted}) == _as_session_gives(BY_IDS, {"ids": wanted})
    assert prepared.rows(NOT_IN, {"ids": wanted}) == _as_session_gives(NOT_IN, {"ids": wanted})


def test_a_list_is_one_array_on_postgresql_whatever_its_length(app_ctx, backend):
    made = [make_product(f"Item {n}").id for n in range(3)]

    with statements_sent(app_ctx) as statements:
        for count in (1, 2, 3):
            assert len(prepared.rows(BY_IDS, {"ids": made[:count]})) == count

    selects = [statement for statement in statements if statement.startswith("SELECT")]
    assert len(selects) == 3  # the engine's events see each statement
    if backend == "postgresql":
        assert len(set(selects)) == 1 and "= ANY(" in selects[0]


def test_it_reads_in_the_sessions_transaction(app_ctx):
    product = make_product("Kithul jaggery")
    assert [row[1] for row in prepared.rows(cards._PUBLISHED, {"ids": [product.id]})] == [
        product.slug]

    db.session.get(Product, product.id).status = "draft"
    db.session.flush()  # not committed: only this session's transaction sees it
    assert prepared.rows(cards._PUBLISHED, {"ids": [product.id]}) == []
    db.session.rollback()
    assert len(prepared.rows(cards._PUBLISHED, {"ids": [product.id]})) == 1


def test_a_failing_statement_raises_as_sqlalchemy_does_and_its_hooks_run(app_ctx):
    missing = select(column("id")).select_from(table("no_such_table"))
    seen = []
    engine = app_ctx.extensions["kade_engine"]

    def on_error(context):
        seen.append(context.original_exception)

    event.listen(engine, "handle_error", on_error)
    try:
        with pytest.raises(exc.DBAPIError):
            prepared.rows(missing)
    finally:
        event.remove(engine, "handle_error", on_error)
    assert len(seen) == 1
    db.session.rollback()
    assert prepared.rows(select(literal_column("1"))) == [(1,)]  # the session goes on


def test_what_it_cannot_run_as_it_is_goes_through_the_session(app_ctx):
    make_product("Coconut mug")
    limited = select(_product.slug).limit(bindparam("n", type_=Integer, literal_execute=True))

    assert prepared.rows(limited, {"n": 1}) == _as_session_gives(limited, {"n": 1})
    assert len(prepared.rows(limited, {"n": 1})) == 1


# ---- persistent objects from prebuilt rows (prepared.adopt) -------------------------------------

USER = prepared.entity(User)
USER_BY_ID = select(*USER.columns).where(User.id == bindparam("id"))


def _selects(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def _adopted_user(user_id: int) -> User:
    return prepared.adopt(USER, prepared.rows(USER_BY_ID, {"id": user_id})[0])


def test_an_adopted_object_reads_as_a_loaded_one_without_a_query(app_ctx):
    customer = make_customer(name="Nimal Perera", email="nimal@example.lk",
                             phone="+94771234567")
    db.session.remove()

    with statements_sent(app_ctx) as statements:
        user = _adopted_user(customer.id)
        values = (user.id, user.name, user.email, user.phone, user.is_active, user.created_at)

    assert len(_selects(statements)) == 1  # its row, nothing after
    assert values[:5] == (customer.id, "Nimal Perera", "nimal@example.lk", "+94771234567",
                          True)  # sealed fields opened as the ORM opens them
    assert values[5].tzinfo == dt.UTC
    assert user in db.session and not db.session.dirty  # persistent, unchanged
    assert db.session.get(User, customer.id) is user  # the identity map holds it


def test_an_adopted_object_is_changed_and_saved_as_a_loaded_one(app_ctx):
    customer = make_customer(name="Nimal Perera")
    db.session.remove()

    user = _adopted_user(customer.id)
    user.name = "Nimal Silva"
    with statements_sent(app_ctx) as statements:
        db.session.commit()

    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "name" in updates[0]  # the changed column only
    assert "session_version" not in updates[0]
    db.session.remove()
    assert db.session.get(User, customer.id).name == "Nimal Silva"


def test_relationships_not_given_load_when_read_and_given_ones_do_not(app_ctx):
    customer = make_customer()
    addresses.add_address(customer.id, addresses.AddressInput(
        recipient="Nimal", phone="+94771234567", line1="12 Galle Road", city="Colombo",
        district="colombo"))
    db.session.remove()

    user = _adopted_user(customer.id)
    with statements_sent(app_ctx) as statements:
        assert [a.city for a in user.addresses] == ["Colombo"]
    assert len(_selects(statements)) == 1  # loaded when first read, as a lazy one is

    db.session.remove()
    row = prepared.rows(USER_BY_ID, {"id": customer.id})[0]
    given = prepared.adopt(USER, row, {"addresses": []})
    with statements_sent(app_ctx) as statements:
        assert given.addresses == []
    assert statements == []


def test_an_object_the_session_holds_already_is_kept_as_it_is(app_ctx):
    customer = make_customer(name="Nimal Perera")
    db.session.remove()
    held = db.session.get(User, customer.id)
    held.name = "Changed, not saved"

    assert _adopted_user(customer.id) is held
    assert held.name == "Changed, not saved"
    other = [None] * len(USER.columns)
    other[USER.identity[0]] = customer.id + 1000
    assert prepared.held(USER, tuple(other)) is None
