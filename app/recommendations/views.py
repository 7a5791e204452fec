"""The recommendations' pages: the customer's choice about personalisation
(/account/personalisation: whether what they view and buy may shape what the shop suggests
and offers them; saying no deletes what was recorded of them and stops recording, PDPA's
right not to be subject to automated decisions), and the strips other pages fetch by htmx."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import BooleanField

from app.accounts.districts import district_name
from app.catalog import category_tree
from app.checkout import shopper
from app.db import reads_only
from app.forms import Form
from app.i18n import current_language
from app.recommendations import strips, tracking, visitors
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


# ---- the strips, fetched by htmx once a page is there ---------------------------------------
#
# Each is the visitor's own (never cached, `private, no-store`), so the page around it stays
# the same for everyone and the page cache can keep it. A strip with nothing to show is an
# empty answer: htmx swaps the placeholder for nothing.

def _title(strip: strips.Strip) -> str:
    locale = current_language()
    if strip.kind == "popular_category" and strip.about is not None:
        node = category_tree.node(strip.about)
        if node is not None:
            return _("Popular in %(category)s", category=node.text("name", locale))
    if strip.kind == "popular_district" and strip.about:
        return _("Popular in %(district)s", district=district_name(strip.about, locale))
    return str(STRIP_TITLES.get(strip.kind, STRIP_TITLES["popular"]))


STRIP_TITLES = {
    "buy_again": _l("Buy again"),
    "for_you": _l("For you"),
    "together": _l("Often bought together"),
    "complete": _l("Complete your order"),
    "popular": _l("Popular right now"),
    "popular_category": _l("Popular right now"),
    "popular_district": _l("Popular right now"),
}


def _notes(strip: strips.Strip) -> dict[int, str]:
    """Why each product is there, where a product explains it."""
    locale = current_language()
    because = (_("Because you bought %(name)s", name=reason.text("name", locale))
               if strip.kind == "for_you" else
               _("Goes with %(name)s", name=reason.text("name", locale))
               for reason in strip.reasons.values())
    return dict(zip(strip.reasons, because, strict=True))


def _strips(found: list[strips.Strip | None], *, place: str):
    shown = [strip for strip in found if strip]
    response = make_response(_rendered(shown, place))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/recommendations/home")
@reads_only
def home_strips():
    """"Buy again" and "For you" (or what is popular) under the home page's welcome."""
    return _strips(strips.home(customer_id=shopper.customer_id(), visitor_id=visitors.visitor_id(),
                               in_cart=shopper.product_ids_in_cart()), place="home")


def _rendered(shown: list[strips.Strip], place: str) -> str:
    return render_template("recommendations/_strips.html", place=place,
                           entries=[(strip, _title(strip), _notes(strip)) for strip in shown],
                           cards=[card for strip in shown for card in strip.cards])


def below_product(product_id: int) -> Markup | str:
    """"Often bought together" under a product page, in the visitor's fragment the catalog
    fetches after the page (app/catalog/below_product.py); the product's view is recorded
    here, as the page itself is the same for everyone and may come from the page cache."""
    visitors.record_here("view", product_id=product_id)
    strip = strips.product(product_id, in_cart=shopper.product_ids_in_cart())
    # Our own template's output, escaped by Jinja as it rendered.
    return Markup(_rendered([strip], "product")) if strip else ""  # noqa: S704


@bp.get("/recommendations/cart")
@reads_only
def cart_strip():
    """"Complete your order" under the cart."""
    return _strips([strips.cart(shopper.product_ids_in_cart())], place="cart")


@bp.get("/recommendations/search")
@reads_only
def search_strip():
    """A search is recorded here (its words made plain, and whether it found anything); one
    that found nothing is offered what is popular."""
    found = request.args.get("found") == "1"
    words = tracking.plain_query(request.args.get("q"))
    visitors.record_here("search", query=words, found=found)
    if found:
        return _strips([], place="search")
    return _strips([strips.popular(leave_out=shopper.product_ids_in_cart())], place="search")
