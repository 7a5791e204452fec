"""The local PayHere sandbox: a page of our own that behaves like PayHere's hosted checkout,
so `make run` and the browser tests can pay by card with no network.

The browser posts the hosted-checkout form here instead of to PayHere. Like PayHere, the
page checks the merchant id and the `hash` (a bad one is refused), shows the order and the
amount, and offers Pay, Fail and Cancel. On a choice it posts a notification signed as
PayHere signs them (`md5sig`; status 2, -2 or -1, a made-up payment id) to the form's
notify_url, and sends the browser to return_url (pay, fail) or cancel_url (cancel).

A recurring payment's form (a plan: `recurrence`, `duration`) gets a first notification with
PayHere's recurring fields (`recurring`, `subscription_id`, `message_type` …).

The notification goes from a background thread, after this request has answered: a dev
server or the browser tests' server may serve one request at a time, and posting to itself
from inside a request would wait for itself forever. The return page polls the ledger until
the notification has landed.

Only with the local sandbox on (PAYHERE_SANDBOX and PAYHERE_LOCAL_SANDBOX, never in
production): otherwise every route here is a 404. It posts and redirects only to this
shop's own addresses.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import MethodNotAllowed

from app.extensions import csrf
from app.payments import checkout_flow, payhere

log = logging.getLogger(__name__)

bp = Blueprint("sandbox", __name__, url_prefix="/payhere-sandbox")

REQUIRED = ("merchant_id", "return_url", "cancel_url", "notify_url", "first_name",
            "last_name", "email", "phone", "address", "city", "country", "order_id", "items",
            "currency", "amount", "hash")
OPTIONAL = ("delivery_address", "delivery_city", "delivery_country", "custom_1", "custom_2",
            "recurrence", "duration")
OUTCOMES = {"pay": ("2", "Successfully completed the payment."),
            "fail": ("-2", "Payment declined by the card issuer (sandbox)."),
            "cancel": ("-1", "Payment cancelled by the customer.")}
RETRY_DELAYS = (0, 0.5, 1, 2, 4)  # seconds before each try of the notification
THREADS = "payhere_sandbox_threads"


@bp.before_request
def _only_when_on():
    if not checkout_flow.local_sandbox_on():
        abort(404)
    if request.method != "POST":
        # The routes take GET too, so that a sandbox that is off is a 404 for any method.
        raise MethodNotAllowed(valid_methods=["POST"])


def _fields() -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:1000] for name in REQUIRED + OPTIONAL}


def _our_url(url: str) -> bool:
    """An http(s) address of this shop: as the browser reached us, or PUBLIC_URL."""
    parts = urlsplit(url)
    ours = {request.host}
    if current_app.config.get("PUBLIC_URL"):
        ours.add(urlsplit(current_app.config["PUBLIC_URL"]).netloc)
    return parts.scheme in ("http", "https") and parts.netloc in ours


def _problem(fields: dict[str, str]) -> str | None:
    """Why PayHere would refuse this form, or None."""
    config = current_app.config
    missing = [name for name in REQUIRED if not fields[name]]
    if missing:
        return _("Missing fields: %(names)s.", names=", ".join(missing))
    if not hmac.compare_digest(fields["merchant_id"], config.get("PAYHERE_MERCHANT_ID") or ""):
        return _("Unknown merchant.")
    cents = payhere.parse_amount(fields["amount"])
    if cents is None or payhere.format_amount(cents) != fields["amount"]:
        return _("The amount must have two decimals, like 1250.00.")
    expected = payhere.checkout_hash(fields["merchant_id"], fields["order_id"], fields["amount"],
                                     fields["currency"], config["PAYHERE_MERCHANT_SECRET"])
    if not hmac.compare_digest(fields["hash"].upper(), expected):
        return _("The hash does not match: the form was changed, or signed with another "
                 "secret.")
    if not all(_our_url(fields[name]) for name in ("return_url", "cancel_url", "notify_url")):
        return _("The return, cancel and notify URLs must be this shop's.")
    if urlsplit(fields["notify_url"]).path != url_for("payments.payhere_notify"):
        return _("The notify URL is not this shop's PayHere notification address.")
    return None


def _refused(problem: str):
    return render_template("payments/sandbox_refused.html", problem=problem), 400


@bp.route("/pay/checkout", methods=["GET", "POST"])
@csrf.exempt  # PayHere's form carries no token of ours; the hash is what is checked
def checkout():
    fields = _fields()
    problem = _problem(fields)
    if problem:
        return _refused(problem)
    cents = payhere.parse_amount(fields["amount"])
    response = current_app.make_response(render_template(
        "payments/sandbox.html", fields=fields, amount_cents=cents))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/pay/complete", methods=["GET", "POST"])
@csrf.exempt  # checked below, after the 404 for a sandbox that is off
def complete():
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    fields = _fields()
    problem = _problem(fields)
    if problem:
        return _refused(problem)
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        return _refused(_("Choose Pay, Fail or Cancel."))
    status_code, message = OUTCOMES[outcome]
    notification = signed_notification(fields, status_code, message)
    post_in_background(fields["notify_url"], notification)
    log.info("payhere_sandbox_outcome", extra={"order_number": fields["order_id"],
                                               "outcome": outcome})
    back = fields["cancel_url"] if outcome == "cancel" else fields["return_url"]
    return redirect(_with_order_id(back, fields["order_id"]), code=303)


def _with_order_id(url: str, order_id: str) -> str:
    # PayHere adds the order id to the address it sends the shopper back to.
    if "order_id=" in urlsplit(url).query:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({"order_id": order_id})


def signed_notification(fields: dict[str, str], status_code: str, message: str) -> dict:
    """The server-to-server notification PayHere would send for this form."""
    config = current_app.config
    merchant_id, secret = config["PAYHERE_MERCHANT_ID"], config["PAYHERE_MERCHANT_SECRET"]
    return {
        "merchant_id": merchant_id, "order_id": fields["order_id"],
        "payment_id": str(320_000_000_000 + secrets.randbelow(10**11)),
        "payhere_amount": fields["amount"], "payhere_currency": fields["currency"],
        "status_code": status_code,
        "md5sig": payhere.notification_signature(merchant_id, fields["order_id"],
                                                 fields["amount"], fields["currency"],
                                                 status_code, secret),
        "custom_1": fields.get("custom_1", ""), "custom_2": fields.get("custom_2", ""),
        "status_message": message, "method": "TEST",
        "card_holder_name": f"{fields['first_name']} {fields['last_name']}".strip(),
        "card_no": "************4242", "card_expiry": "12/30",
        **_recurring(fields, status_code),
    }


def _recurring(fields: dict[str, str], status_code: str) -> dict[str, str]:
    """A recurring payment's extra fields (a plan): its first charge, as PayHere sends it."""
    if not fields.get("recurrence"):
        return {}
    months = 12 if "year" in fields["recurrence"].lower() else 1
    next_date = (dt.date.today() + dt.timedelta(days=30 * months)).isoformat()
    return {"recurring": "1",
            "subscription_id": str(420_000_000 + secrets.randbelow(10**8)),
            "message_type": ("AUTHORIZATION_SUCCESS" if status_code == "2"
                             else "AUTHORIZATION_FAILED"),
            "item_recurrence": fields["recurrence"],
            "item_duration": fields.get("duration") or "Forever", "item_rec_status": "0",
            "item_rec_date_next": next_date,
            "item_rec_install_paid": "1" if status_code == "2" else "0"}


def instalment_notification(*, order_id: str, subscription_id: str, amount_cents: int,
                            failed: bool = False, recurrence: str = "1 Month",
                            paid: int = 2) -> dict:
    """The notification PayHere sends when it charges (or fails to charge) a recurring
    payment's next instalment: signed like the others, with its own payment id."""
    config = current_app.config
    merchant_id, secret = config["PAYHERE_MERCHANT_ID"], config["PAYHERE_MERCHANT_SECRET"]
    amount, status = payhere.format_amount(amount_cents), "-2" if failed else "2"
    months = 12 if "year" in recurrence.lower() else 1
    return {
        "merchant_id": merchant_id, "order_id": order_id,
        "payment_id": str(320_000_000_000 + secrets.randbelow(10**11)),
        "payhere_amount": amount, "payhere_currency": "LKR", "status_code": status,
        "md5sig": payhere.notification_signature(merchant_id, order_id, amount, "LKR", status,
                                                 secret),
        "status_message": ("Payment declined by the card issuer (sandbox)." if failed
                           else "Successfully completed the payment."),
        "method": "TEST", "recurring": "1", "subscription_id": subscription_id,
        "message_type": ("RECURRING_INSTALLMENT_FAILED" if failed
                         else "RECURRING_INSTALLMENT_SUCCESS"),
        "item_recurrence": recurrence, "item_duration": "Forever", "item_rec_status": "0",
        "item_rec_date_next": (dt.date.today() + dt.timedelta(days=30 * months)).isoformat(),
        "item_rec_install_paid": str(paid - 1 if failed else paid),
    }


def deliver(url: str, data: dict) -> bool:
    """Post a notification now (the command line's sandbox instalments)."""
    return _deliver(url, data)


def post_in_background(url: str, data: dict) -> threading.Thread:
    app = current_app._get_current_object()
    thread = threading.Thread(target=_deliver, args=(url, data), daemon=True,
                              name="payhere-sandbox-notify")
    threads = app.extensions.setdefault(THREADS, [])
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()
    return thread


def _deliver(url: str, data: dict) -> bool:
    if urlsplit(url).scheme not in ("http", "https"):
        return False
    body = urlencode(data).encode()
    for delay in RETRY_DELAYS:
        time.sleep(delay)
        # http(s) only, and _problem made sure it is this shop's own notify address.
        request_ = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "Kade local PayHere sandbox"})
        try:
            with urllib.request.urlopen(request_, timeout=10) as answer:  # noqa: S310
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            continue
    log.warning("payhere_sandbox_notify_failed", extra={"order_number": data.get("order_id")})
    return False


def wait_for_notifications(app, timeout: float = 30) -> None:
    """Tests: let the notifications posted in the background arrive."""
    threads = app.extensions.get(THREADS, [])
    while threads:
        threads.pop(0).join(timeout)
