"""The customer's choice about personalisation, /account/personalisation: whether what they
view and buy may shape what the shop suggests and offers them. Saying no deletes what was
recorded of them and stops recording (PDPA's right not to be subject to automated
decisions)."""

from __future__ import annotations

from flask import Blueprint, flash, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField

from app.forms import Form
from app.recommendations import tracking
from app.web import redirect_to, render

bp = Blueprint("recommendations", __name__)


class PersonalisationForm(Form):
    personalised = BooleanField(_l("Suggest things and send me offers from what I view and "
                                   "buy"))


@bp.route("/account/personalisation", methods=["GET", "POST"])
@login_required
def personalisation():
    form = PersonalisationForm()
    if form.validate_on_submit():
        tracking.set_personalised(current_user.id, form.personalised.data)
        flash(_("Your choice is saved.") if form.personalised.data else
              _("Your choice is saved. What we had recorded of your visits is deleted."))
        return redirect_to(url_for("recommendations.personalisation"))
    if not form.is_submitted():
        form.personalised.data = tracking.personalised(current_user.id)
    return render("recommendations/personalisation.html", form=form,
                  status=422 if form.is_submitted() else 200)
