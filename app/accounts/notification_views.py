"""How a customer hears from the shop: /account/notifications (order updates by SMS, offers by
email and by SMS), and the one-click unsubscribe link of marketing mail, /unsubscribe/<token>.

Order and account mail cannot be switched off (a customer must hear that an order shipped or a
password changed), so the page only says so. The unsubscribe link works without signing in:
GET shows a page with a button (link scanners in mail systems open links, and must not
unsubscribe anyone), POST does it, also as RFC 8058's one-click POST from the mail client,
which carries no CSRF token: the signed token in the URL is what proves the link is ours.
"""

from __future__ import annotations

import logging

from flask import flash, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField

from app.accounts import services as accounts
from app.accounts.views import bp
from app.errors import NotFound
from app.extensions import csrf
from app.forms import Form
from app.notifications import links, services as notifications
from app.web import redirect_to, render

log = logging.getLogger(__name__)


class NotificationForm(Form):
    sms_updates = BooleanField(_l("Order updates by SMS"))
    marketing_email = BooleanField(_l("Offers by email"))
    marketing_sms = BooleanField(_l("Offers by SMS"))


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notification_choices():
    form = NotificationForm()
    if form.validate_on_submit():
        notifications.set_preferences(current_user.id, sms_updates=form.sms_updates.data,
                                      marketing_email=form.marketing_email.data,
                                      marketing_sms=form.marketing_sms.data)
        flash(_("Your choices are saved."))
        return redirect_to(url_for("accounts.notification_choices"))
    if not form.is_submitted():
        prefs = notifications.preferences(current_user.id)
        form.sms_updates.data = prefs.sms_updates
        form.marketing_email.data = prefs.marketing_email
        form.marketing_sms.data = prefs.marketing_sms
    status = 422 if form.is_submitted() else 200
    return render("accounts/notifications.html", form=form, status=status)


def unsubscribe(token: str):
    """The link in a marketing mail's footer and List-Unsubscribe header."""
    user_id = links.user_id_from_token(token)
    try:
        if user_id is None:
            raise NotFound()
        accounts.get_user(user_id)  # an erased account: the link leads nowhere
    except NotFound:
        return render("accounts/unsubscribe.html", state="invalid", status=404)
    if request.method == "GET":
        return render("accounts/unsubscribe.html", state="ask", token=token)
    prefs = notifications.preferences(user_id)
    notifications.set_preferences(user_id, sms_updates=prefs.sms_updates,
                                  marketing_email=False, marketing_sms=prefs.marketing_sms)
    log.info("marketing_email_unsubscribed", extra={"user_id": user_id})
    return render("accounts/unsubscribe.html", state="done")


@bp.record_once
def _unsubscribe_at_the_root(state) -> None:
    # /unsubscribe/<token>, outside /account: a short link, and one that does not suggest
    # signing in. The endpoint stays in the accounts blueprint ("accounts.unsubscribe").
    state.app.add_url_rule("/unsubscribe/<token>", endpoint="accounts.unsubscribe",
                           view_func=unsubscribe, methods=["GET", "POST"])
    csrf.exempt(unsubscribe)
