"""An order's statuses in one table: each status's code, its label, where it may go next and
what it means for the rules that look at it (cancelling, returns, refunds, mail, erasure).

Every reader (the order services, the customer's and the staff's pages, the API, the privacy
rules) takes its list, labels and transitions from here, so a new status is one new row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Status:
    code: str
    label: object  # a lazy string: words in the language of the page that shows it
    next: frozenset[str]
    # The mail template the customer gets when their order arrives here (None: no mail).
    mail: str | None = None
    # A step of sending goods: a services-only order skips it (confirmed, then completed).
    is_shipment: bool = False
    # Paid for, goods not sent yet: leaving for a shipment or collection sells the stock
    # still held; a full refund gives it back.
    is_unsent: bool = False
    # The customer may cancel it themselves (while nothing has been sent).
    customer_may_cancel: bool = False
    # The shop still has to reach or deliver to the customer: their erasure waits.
    is_in_progress: bool = False
    # The goods reached the customer: they may ask to return them.
    is_returnable: bool = False
    # A part refund marks it "partially refunded" (before sending, the order keeps its
    # status and still has to go out; the refund is a line in its timeline).
    is_partly_refundable: bool = False
    # Set only by the refund service, so the status and the money paid back agree.
    is_refund: bool = False

    @property
    def is_final(self) -> bool:
        return not self.next


TABLE: tuple[Status, ...] = (
    Status("pending_payment", _l("Waiting for payment"), frozenset({"paid", "cancelled"}),
           customer_may_cancel=True, is_in_progress=True),
    Status("paid", _l("Paid"), frozenset({"processing", "cancelled", "refunded"}),
           mail="order_paid", is_unsent=True, customer_may_cancel=True, is_in_progress=True),
    Status("processing", _l("Confirmed"),
           frozenset({"shipped", "ready_for_collection", "completed", "cancelled", "refunded"}),
           is_unsent=True, customer_may_cancel=True, is_in_progress=True),
    Status("shipped", _l("Shipped"), frozenset({"delivered", "refunded"}),
           mail="order_shipped", is_shipment=True, is_in_progress=True),
    Status("ready_for_collection", _l("Ready for collection"),
           frozenset({"completed", "refunded"}),
           mail="order_ready", is_shipment=True, is_in_progress=True),
    Status("delivered", _l("Delivered"),
           frozenset({"completed", "refunded", "partially_refunded"}),
           mail="order_delivered", is_shipment=True, is_returnable=True,
           is_partly_refundable=True),
    # After "delivered", completed mails nothing: "delivered" already thanked them (_move).
    Status("completed", _l("Completed"), frozenset({"refunded", "partially_refunded"}),
           mail="order_completed", is_returnable=True, is_partly_refundable=True),
    Status("cancelled", _l("Cancelled"), frozenset(), mail="order_cancelled"),
    Status("refunded", _l("Refunded"), frozenset(), is_refund=True),
    Status("partially_refunded", _l("Partly refunded"), frozenset({"refunded"}),
           is_refund=True),
)

BY_CODE: dict[str, Status] = {row.code: row for row in TABLE}
STATUSES: tuple[str, ...] = tuple(BY_CODE)
LABELS = {row.code: row.label for row in TABLE}


def codes(**flags) -> frozenset[str]:
    """The statuses whose flags have these values: `codes(is_refund=True)`."""
    return frozenset(row.code for row in TABLE
                     if all(getattr(row, name) == value for name, value in flags.items()))


def label(code: str | None) -> str | None:
    """The status's words in the current language (None for no such status)."""
    row = BY_CODE.get(code or "")
    return str(row.label) if row else None


def next_of(code: str, *, services_only: bool = False) -> frozenset[str]:
    """Where an order in `code` may go; a services-only order skips the shipment steps.
    Raises KeyError for no such status."""
    allowed = BY_CODE[code].next
    return allowed - SHIPMENT if services_only else allowed


SHIPMENT = codes(is_shipment=True)
REFUND = codes(is_refund=True)
UNSENT = codes(is_unsent=True)
CUSTOMER_CANCELLABLE = codes(customer_may_cancel=True)
IN_PROGRESS = codes(is_in_progress=True)
RETURNABLE = codes(is_returnable=True)
PARTLY_REFUNDABLE = codes(is_partly_refundable=True)
MAILED = {row.code: row.mail for row in TABLE if row.mail}
