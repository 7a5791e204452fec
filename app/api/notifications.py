"""Routes of my notification choices: /me/notifications. Order and account mail is always sent
and is not a choice; these are the rest: order updates by SMS, offers by email and by SMS."""

from __future__ import annotations

from pydantic import Field, StrictBool

from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.openapi import error_responses
from app.api.schemas import Body, Output
from app.notifications import services as notifications


class NotificationChoicesIn(Body):
    """All three choices: PUT replaces them."""

    sms_updates: StrictBool = Field(description="A text when an order is placed, paid, sent "
                                                "and delivered.")
    marketing_email: StrictBool = Field(description="Offers by email.")
    marketing_sms: StrictBool = Field(description="Offers by SMS.")


class NotificationChoicesOut(Output):
    """How the customer hears from the shop. Order and account mail is always sent."""

    sms_updates: bool = Field(description="A text when an order is placed, paid, sent and "
                                          "delivered (on unless switched off).")
    marketing_email: bool = Field(description="Offers by email (off unless switched on).")
    marketing_sms: bool = Field(description="Offers by SMS (off unless switched on).")

    @classmethod
    def of(cls, prefs) -> NotificationChoicesOut:
        return cls(sms_updates=prefs.sms_updates, marketing_email=prefs.marketing_email,
                   marketing_sms=prefs.marketing_sms)


@bp.get("/me/notifications")
@bp.auth_required(auth)
@bp.output(NotificationChoicesOut)
@bp.doc(tags=["Me"], responses=error_responses(401))
def notification_choices():
    """My notification choices

    Order and account mail (confirmations, deliveries, password changes) is always sent and
    is not listed.
    """
    return NotificationChoicesOut.of(notifications.preferences(current_customer().id))


@bp.put("/me/notifications")
@bp.auth_required(auth)
@bp.input(NotificationChoicesIn, arg_name="body")
@bp.output(NotificationChoicesOut)
@bp.doc(tags=["Me"], responses=error_responses(400, 401, 422))
def set_notification_choices(body: NotificationChoicesIn):
    """Change my notification choices

    All three fields are required (`true` or `false`). Order and account mail cannot be
    switched off.
    """
    prefs = notifications.set_preferences(current_customer().id, sms_updates=body.sms_updates,
                                          marketing_email=body.marketing_email,
                                          marketing_sms=body.marketing_sms)
    return NotificationChoicesOut.of(prefs)
