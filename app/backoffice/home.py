"""The back-office start page: a dashboard of the cards this role may see (sales, orders to
act on, best sellers, low stock, support, jobs and backups, personal offers), then the areas
it may use."""

from __future__ import annotations

import datetime as dt

from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import staff_required
from app.db import utcnow
from app.i18n import current_language
from app.recommendations import offers
from app.reports import dashboard
from app.reports.database import reading
from app.reports.sales import period_label
from app.web import render


@bp.get("/")
@staff_required
def home():
    me = current_user._get_current_object()
    cards = dashboard.cards_for(me)
    locale = current_language()
    figures: dict = {}
    readers = {
        "sales": lambda reads: dashboard.sales_card(reads, actor=me),
        "to_do": lambda reads: dashboard.to_do(reads, actor=me),
        "top_products": lambda reads: dashboard.top_products(reads, actor=me, locale=locale),
        "low_stock": lambda reads: dashboard.low_stock(reads, actor=me, locale=locale),
        "support": lambda reads: dashboard.support_card(reads, actor=me),
    }
    if any(card in readers for card in cards):
        with reading() as reads:
            figures = {card: readers[card](reads) for card in cards if card in readers}
    if "operations" in cards:
        figures["operations"] = dashboard.operations_card(actor=me)
    if "offers" in cards:  # from the primary: the offers' own small tables
        figures["offers"] = offers.summary(me, utcnow() - dt.timedelta(days=30))
    chart = []
    if "sales" in figures:
        chart = [(period_label(dt.date.fromisoformat(row.key), "day", locale), row.total_cents)
                 for row in figures["sales"].chart]
    return render("staff/home.html", cards=cards, figures=figures, sales_chart=chart)
