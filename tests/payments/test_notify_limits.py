"""PayHere's notifications are never rate limited when PayHere signed them; what is not signed
is limited per sender and overall, so a flood neither blocks real payments nor fills the
audit log."""

from __future__ import annotations

import pytest

from app import db
from app.audit.models import AuditEntry
from app.payments import views
from tests.payments.test_payhere import MERCHANT, SECRET, _form, _state

NOTIFY = "/payments/payhere/notify"
PER_SENDER = int(views.UNSIGNED_PER_SENDER.split()[0])
OVERALL = int(views.UNSIGNED_OVERALL.split()[0])


@pytest.fixture()
def payhere_app(make_app):
    """PayHere set up, with rate limits on as in production."""
    return make_app(PAYHERE_MERCHANT_ID=MERCHANT, PAYHERE_MERCHANT_SECRET=SECRET,
                    RATELIMIT_ENABLED=True)


def _post(client, form, sender="203.0.113.7"):
    return client.post(NOTIFY, data=form, environ_base={"REMOTE_ADDR": sender})


def _refusal_rows(app) -> int:
    with app.app_context():
        count = db.session.query(AuditEntry).filter_by(
            action="payments.notification_refused").count()
        db.session.remove()
    return count


def test_a_signed_notification_is_accepted_after_unsigned_ones_hit_the_limit(payhere_app,
                                                                            awaiting):
    number, total = awaiting
    client = payhere_app.test_client()

    forged = [_post(client, _form(number, total, secret="guessed")).status_code
              for _ in range(PER_SENDER + 5)]
    signed = _post(client, _form(number, total))

    assert forged == [200] * PER_SENDER + [429] * 5
    assert (signed.status_code, signed.text) == (200, "OK")
    assert _state(payhere_app, number)[:3] == ("paid", "captured", 1)


def test_signed_notifications_are_never_limited(payhere_app, awaiting):
    number, total = awaiting
    client = payhere_app.test_client()

    answers = {_post(client, _form(number, total, status=status)).status_code
               for status in ["0"] * (PER_SENDER * 3) + ["2"]}

    assert answers == {200}
    assert _state(payhere_app, number)[:3] == ("paid", "captured", 1)


@pytest.mark.parametrize("tamper", [{"secret": "guessed"}, {"merchant": "999999"},
                                    {"md5sig": ""}, {"payhere_amount": "1,250.001"}])
def test_unsigned_ones_beyond_the_limit_get_429_and_no_audit_row(payhere_app, awaiting,
                                                                 tamper):
    number, total = awaiting
    client = payhere_app.test_client()
    signing = {k: v for k, v in tamper.items() if k in ("secret", "merchant")}
    form = {**_form(number, total, **signing),
            **{k: v for k, v in tamper.items() if k not in signing}}

    answers = [_post(client, form) for _ in range(PER_SENDER * 4)]

    assert [a.status_code for a in answers].count(429) == PER_SENDER * 3
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert _refusal_rows(payhere_app) == PER_SENDER
    assert _state(payhere_app, number)[:3] == ("pending_payment", "initiated", 0)


def test_many_senders_together_add_at_most_the_overall_limit_of_audit_rows(payhere_app,
                                                                          awaiting):
    number, total = awaiting
    client = payhere_app.test_client()

    answers = [_post(client, {"order_id": number, "md5sig": "X" * 32},
                     f"198.51.{n // 250}.{n % 250}") for n in range(OVERALL + 30)]

    assert [a.status_code for a in answers] == [200] * OVERALL + [429] * 30
    assert _refusal_rows(payhere_app) == OVERALL
    # PayHere itself still gets through the flood.
    assert _post(client, _form(number, total), "198.51.100.1").status_code == 200
    assert _state(payhere_app, number)[:3] == ("paid", "captured", 1)
