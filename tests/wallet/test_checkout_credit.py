"""Store credit at checkout: part or whole of an order, a tender of its own in the payment
ledger, given back when the order is cancelled, and never spent twice by two checkouts at
the same instant (the race runs on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import pytest

from app import db
from app.checkout import cart as carts
from app.checkout.services import CheckoutChoices, place_order
from app.errors import Invalid
from app.orders import services as orders
from app.payments.models import Payment
from app.wallet import services as wallet
from tests.checkout.factories import guest_cart, guest_choices, starter_delivery, stocked
from tests.checkout.races import checkouts_at_once
from tests.factories import make_address, make_customer, make_staff


def _choices(customer, **overrides) -> CheckoutChoices:
    address = make_address(customer.id)
    data = {"payment_method": "cod", "delivery_option": "island-wide", "address_id": address.id}
    return CheckoutChoices(**{**data, **overrides})


def _cart(customer, variant, quantity=1):
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, variant.id, quantity)
    return cart


def _payments(number: str) -> dict[str, tuple[str, int, int]]:
    return {p.method: (p.status, p.amount_cents, p.captured_cents)
            for p in db.session.query(Payment).filter_by(order_number=number)}


def test_part_of_an_order_is_paid_with_credit_and_the_rest_by_cash(db_session):
    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 500_00, kind="refund")
    cart = _cart(customer, stocked("Kithul treacle", price_cents=1_250_00))

    order, created = place_order(cart, _choices(customer, credit_cents=500_00), user=customer)

    assert created and order.credit_cents == 500_00
    assert order.due_cents == order.total_cents - 500_00
    assert (order.payment_method, order.payment_status) == ("cod", "unpaid")
    assert _payments(order.number) == {"store_credit": ("captured", 500_00, 500_00),
                                       "cod": ("initiated", order.due_cents, 0)}
    assert wallet.balance(customer.id) == 0
    assert wallet.history(customer.id)[0].order_number == order.number


def test_credit_that_covers_the_total_pays_the_whole_order(db_session):
    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 5_000_00, kind="goodwill", reason="sorry")
    cart = _cart(customer, stocked("Ceylon tea", price_cents=1_250_00))

    # Asking for more than the total spends only the total.
    order, _ = place_order(cart, _choices(customer, credit_cents=5_000_00), user=customer)

    assert order.credit_cents == order.total_cents and order.due_cents == 0
    assert (order.payment_method, order.status, order.payment_status) == (
        "store_credit", "processing", "paid")
    assert set(_payments(order.number)) == {"store_credit"}
    assert wallet.balance(customer.id) == 5_000_00 - order.total_cents


def test_a_cancelled_order_gives_its_credit_back(db_session):
    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 300_00, kind="refund")
    cart = _cart(customer, stocked("Coconut oil", price_cents=900_00))
    order, _ = place_order(cart, _choices(customer, credit_cents=300_00), user=customer)

    orders.change_status(order.number, "cancelled", actor=make_staff("order_manager"))

    assert wallet.balance(customer.id) == 300_00
    assert _payments(order.number)["store_credit"] == ("refunded", 300_00, 300_00)
    assert [e.kind for e in wallet.history(customer.id)] == ["returned", "spent", "refund"]


def test_asking_for_more_credit_than_held_places_nothing(db_session, app):
    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 200_00, kind="refund")
    cart = _cart(customer, stocked("Jaggery", price_cents=1_000_00))

    with pytest.raises(wallet.NotEnoughCredit) as refused:
        place_order(cart, _choices(customer, credit_cents=250_00), user=customer)

    assert (refused.value.field, refused.value.data["balance"]) == ("credit", 200_00)
    with app.test_request_context():
        assert "Rs. 200.00" in str(refused.value.message)
    assert db.session.query(Payment).count() == 0
    assert carts.open_cart(user_id=customer.id).id == cart.id  # still open, still theirs
    assert wallet.balance(customer.id) == 200_00


def test_a_guest_cannot_pay_with_credit(db_session):
    starter_delivery()
    cart = guest_cart(stocked("Cinnamon", price_cents=500_00))
    with pytest.raises(Invalid) as refused:
        place_order(cart, guest_choices(credit_cents=100_00))
    assert refused.value.field == "credit"


def test_two_checkouts_spending_the_same_credit_at_once_one_is_refused(app):
    with app.app_context():
        starter_delivery()
        customer = make_customer()
        wallet.add(customer.id, 500_00, kind="refund")
        variant = stocked("Rambutan box", units=10, price_cents=1_000_00)
        choices = _choices(customer, credit_cents=400_00)
        cart_ids = [guest_cart(variant).id for _ in range(2)]
        customer_id = customer.id
        db.session.remove()

    def as_customer(cart_id: int) -> None:
        from app.accounts.models import User
        from app.checkout.models import Cart

        place_order(db.session.get(Cart, cart_id), choices,
                    user=db.session.get(User, customer_id))

    def outcome_of(error: Exception) -> str:
        if isinstance(error, wallet.NotEnoughCredit):
            return f"refused, balance {error.data['balance']}"
        return repr(error)

    outcomes = checkouts_at_once(app, cart_ids, outcome_of,
                                 placed_by={cart_id: as_customer for cart_id in cart_ids})

    assert sorted(outcomes) == ["ordered", "refused, balance 10000"]
    with app.app_context():
        assert wallet.balance(customer_id) == 100_00
        assert [e.kind for e in wallet.history(customer_id)] == ["spent", "refund"]
        assert db.session.query(Payment).filter_by(method="store_credit").count() == 1


def test_a_refund_taken_as_credit_adds_exactly_the_refunded_amount(db_session, outbox):
    from app.payments import refunds

    starter_delivery()
    customer = make_customer()
    cart = _cart(customer, stocked("Woven mat", price_cents=2_000_00))
    order, _ = place_order(cart, _choices(customer), user=customer)
    manager = make_staff("order_manager")
    from app.payments import services as payments

    payments.mark_collected(order.number, order.due_cents, actor=manager)

    refund = refunds.refund(order.number, 750_00, reason="One mat arrived torn",
                            actor=manager, as_credit=True)

    assert (refund.mode, refund.state) == ("credit", "credited")
    assert wallet.balance(customer.id) == 750_00
    [entry] = wallet.history(customer.id)
    assert (entry.kind, entry.amount, entry.order_number) == ("refund", 750_00, order.number)
    [mail] = [m for m in outbox.to(customer.email)
              if ":order_refunded:" in m["X-Kade-Dedupe-Key"]]
    assert "It is in your store credit now" in outbox.text(mail)


def test_a_guest_refund_cannot_be_credit(db_session):
    from app.payments import refunds, services as payments

    starter_delivery()
    cart = guest_cart(stocked("Clay pot", price_cents=1_500_00))
    order, _ = place_order(cart, guest_choices())
    manager = make_staff("order_manager")
    payments.mark_collected(order.number, order.due_cents, actor=manager)

    with pytest.raises(Invalid) as refused:
        refunds.refund(order.number, 100_00, reason="Chipped", actor=manager, as_credit=True)
    assert refused.value.field == "as_credit"


def test_money_from_the_wallet_goes_back_there_and_a_later_cancel_adds_no_more(db_session):
    from app.payments import refunds

    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 10_000_00, kind="refund")
    cart = _cart(customer, stocked("Brass lamp", price_cents=3_000_00))
    order, _ = place_order(cart, _choices(customer, credit_cents=10_000_00), user=customer)
    manager = make_staff("order_manager")
    before = wallet.balance(customer.id)

    refund = refunds.refund(order.number, 1_000_00, reason="Late", actor=manager)
    assert refund.state == "credited"  # paid from the wallet: back to the wallet
    orders.change_status(order.number, "cancelled", actor=manager)

    # The refund gave 1,000 back; the cancel gives the rest of what was spent, no more.
    assert wallet.balance(customer.id) == before + order.total_cents
    assert _payments(order.number)["store_credit"][0] == "refunded"


def test_the_invoice_shows_the_credit_as_paid_and_what_is_left(db_session):
    from app.i18n import format_lkr
    from app.orders.documents import invoice_pdf
    from tests.orders.test_documents import pdf_text

    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 400_00, kind="refund")
    cart = _cart(customer, stocked("Handloom towel", price_cents=1_500_00))
    order, _ = place_order(cart, _choices(customer, credit_cents=400_00), user=customer)

    text = pdf_text(invoice_pdf(order))

    assert "Paid with store credit" in text and format_lkr(400_00) in text
    assert "Left to pay" in text and format_lkr(order.due_cents) in text
    assert format_lkr(order.total_cents) in text  # the total (and its VAT) stands


def test_a_refund_that_falls_all_to_the_credit_is_still_made_once_and_names_its_items(
        db_session):
    from app.payments import refunds, services as payments

    starter_delivery()
    customer = make_customer()
    wallet.add(customer.id, 50_000_00, kind="refund")
    cart = _cart(customer, stocked("Brass lamp", price_cents=49_660_00))
    total = carts.priced(cart).total_cents  # delivery is free at this price
    order, _ = place_order(cart, _choices(customer, credit_cents=total - 10_00),
                           user=customer)
    assert order.due_cents == 10_00  # Rs 10 in cash, the rest from the wallet
    payments.mark_collected(order.number, 10_00)
    manager = make_staff("order_manager")
    [line] = orders.find_by_number(order.number).lines
    before = wallet.balance(customer.id)

    # Rs 20 back for the lamp: its share of the Rs 10 cash rounds to nothing.
    first = refunds.refund(order.number, 20_00, lines={line.id: 1}, reason="Dented",
                           actor=manager, request_key="form-1")
    again = refunds.refund(order.number, 20_00, lines={line.id: 1}, reason="Dented",
                           actor=manager, request_key="form-1")

    assert again.id == first.id
    assert wallet.balance(customer.id) == before + 20_00
    [left] = refunds.lines_left(orders.find_by_number(order.number))
    assert left.refunded_units == 1
