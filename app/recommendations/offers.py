"""Personal offers: templates staff define, the nightly job that sends them, and the proof
that they work.

Each night (after the lists are computed), for every active template, the customers who may
get it are those with a list of the template's source ("for you" or "buy again"), who said
yes to offers by mail or SMS, did not say no to personalisation, and had fewer than
PERSONAL_OFFERS_PER_WEEK decisions in the last 7 days. Each gets one decision per template
and Colombo week (a second run changes nothing):

- held out (`holdout_percent` of them, drawn at random but reproducibly from the template,
  the customer and the week): nothing is sent; the decision is recorded, so the report can
  compare;
- treated: a single-use voucher from the promotions engine for the first item of their list
  that can be bought now, sent by mail and SMS (as they chose) in their language.

The report compares what treated and held-out customers spent in the `measure_days` after
each decision: the uplift per customer with a 95 % confidence interval (Welch's, normal
approximation), and the share of vouchers used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app import db
from app.accounts import services as accounts
from app.catalog import services as catalog
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.i18n import COLOMBO, format_lkr, local_time
from app.links import external_url
from app.notifications import services as notifications
from app.notifications.links import unsubscribe_url
from app.orders import history
from app.promotions import personal
from app.recommendations import lists, tracking
from app.recommendations.models import OFFER_SOURCES, OfferSend, OfferTemplate, StoredList
from app.security.roles import Permission, require

log = logging.getLogger(__name__)

LANGUAGES = ("en", "si", "ta")
LOOK_AT = 10  # items of a customer's list tried for one that can be bought now
Z_95 = 1.959964


# ---- templates (staff) ---------------------------------------------------------------------

def templates(actor) -> list[OfferTemplate]:
    require(actor, Permission.MANAGE_PROMOTIONS)
    return list(db.session.scalars(select(OfferTemplate).order_by(OfferTemplate.id)))


def get_template(actor, template_id: int) -> OfferTemplate:
    require(actor, Permission.MANAGE_PROMOTIONS)
    found = db.session.get(OfferTemplate, template_id)
    if found is None:
        raise NotFound()
    return found


def _whole(data: Mapping, name: str, low: int, high: int, message) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(message, field=name)
    return value


def _checked(data: Mapping) -> dict:
    name = " ".join(str(data.get("name") or "").split())
    if not name or len(name) > 120:
        raise Invalid(_l("Give the offer a name of up to 120 characters."), field="name")
    if data.get("source") not in OFFER_SOURCES:
        raise Invalid(_l("Pick which list the item comes from."), field="source")
    percent, amount = data.get("percent"), data.get("amount_cents")
    if (percent is None) == (amount is None):
        raise Invalid(_l("Give a percent off or an amount off, not both."), field="percent")
    clean = {"name": name, "source": data["source"], "percent": None, "amount_cents": None}
    if percent is not None:
        clean["percent"] = _whole(data, "percent", 1, 90, _l("Enter a percent from 1 to 90."))
    else:
        clean["amount_cents"] = _whole(data, "amount_cents", 1, 10_000_000,
                                       _l("Enter an amount above zero."))
    clean["valid_days"] = _whole(data, "valid_days", 1, 90,
                                 _l("Enter a number of days from 1 to 90."))
    clean["measure_days"] = _whole(data, "measure_days", 1, 90,
                                   _l("Enter a number of days from 1 to 90."))
    clean["holdout_percent"] = _whole(data, "holdout_percent", 0, 50,
                                      _l("Enter a percent from 0 to 50."))
    clean["active"] = bool(data.get("active", True))
    return clean


def save_template(actor, data: Mapping, template_id: int | None = None) -> OfferTemplate:
    """A new template, or a change to one (sends already made keep what they were).
    Raises Forbidden, NotFound, Invalid(field=…)."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    clean = _checked(data)
    with transaction():
        template = (get_template(actor, template_id) if template_id is not None
                    else OfferTemplate())
        for key, value in clean.items():
            setattr(template, key, value)
        template.updated_at = utcnow()
        db.session.add(template)
    return template


# ---- the nightly job -----------------------------------------------------------------------

@dataclass(frozen=True)
class RunSummary:
    sent: int
    held_out: int


def colombo_week(now: dt.datetime) -> str:
    year, week, _day = now.astimezone(COLOMBO).isocalendar()
    return f"{year}-W{week:02d}"


def held_out(template: OfferTemplate, customer_id: int, week: str) -> bool:
    """The random draw, reproducible: the same template, customer and week always draw the
    same, so a second run of the job holds out the same customers."""
    digest = hashlib.sha256(f"{template.id}:{customer_id}:{week}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < template.holdout_percent


def _offer_names(template: OfferTemplate, product_names: Mapping[str, str]) -> dict[str, str]:
    """The voucher's name per language, as the customer reads it at checkout."""
    names = {}
    for locale in LANGUAGES:
        with force_locale(locale):
            product = product_names.get(locale) or product_names["en"]
            if template.percent is not None:
                names[locale] = _("%(percent)d%% off %(product)s, for you",
                                  percent=template.percent, product=product)
            else:
                names[locale] = _("%(amount)s off %(product)s, for you",
                                  amount=format_lkr(template.amount_cents, locale),
                                  product=product)
    return names


def _buyable(product_ids: set[int]) -> dict[int, object]:
    """{product id: card} of those that can be bought now (published, a variant, in stock or
    a service)."""
    cards = {}
    ids = sorted(product_ids)
    for start in range(0, len(ids), 1000):
        for card in catalog.cards_by_id(ids[start:start + 1000]):
            if card.variants and (card.is_service or card.units > 0):
                cards[card.id] = card
    return cards


def _eligible(template: OfferTemplate, now: dt.datetime, week: str,
              cap: int) -> dict[int, list[lists.Item]]:
    """{customer id: their list} of the customers who may get a decision tonight."""
    rows = db.session.execute(select(StoredList.owner, StoredList.items)
                              .where(StoredList.kind == template.source)).all()
    found = {int(owner): lists.decode(items) for owner, items in rows}
    consenting = notifications.marketing_consenting(list(found))
    declined = tracking.declined_customers()
    decided = set(db.session.scalars(select(OfferSend.customer_id).where(
        OfferSend.template_id == template.id, OfferSend.week == week)))
    recent = dict(db.session.execute(
        select(OfferSend.customer_id, func.count())
        .where(OfferSend.created_at > now - dt.timedelta(days=7))
        .group_by(OfferSend.customer_id)).all())
    return {customer: items for customer, items in found.items()
            if customer in consenting and customer not in declined
            and customer not in decided and recent.get(customer, 0) < cap}


def run(now: dt.datetime | None = None) -> RunSummary:
    """Tonight's decisions for every active template. Safe to run twice: one decision per
    template, customer and week, and the messages' dedupe keys name the decision."""
    now = now or utcnow()
    week = colombo_week(now)
    cap = int(current_app.config.get("PERSONAL_OFFERS_PER_WEEK", 1))
    sent = held = 0
    active = db.session.scalars(select(OfferTemplate).where(OfferTemplate.active.is_(True))
                                .order_by(OfferTemplate.id)).all()
    for template in active:
        eligible = _eligible(template, now, week, cap)
        customers = {u.id: u for u in accounts.reachable_customers(list(eligible))}
        cards = _buyable({i.product_id for items in eligible.values()
                          for i in items[:LOOK_AT]})
        for customer_id in sorted(customers):
            product = next((cards[i.product_id] for i in eligible[customer_id][:LOOK_AT]
                            if i.product_id in cards), None)
            if product is None:
                continue
            if held_out(template, customer_id, week):
                with transaction():
                    _record(template, customer_id, week, now, product_id=product.id)
                held += 1
            else:
                _send(template, customers[customer_id], product, week, now)
                sent += 1
    log.info("personal_offers_run", extra={"sent": sent, "held_out": held})
    return RunSummary(sent, held)


def _record(template, customer_id, week, now, **values) -> OfferSend:
    decision = OfferSend(template_id=template.id, customer_id=customer_id, week=week,
                         held_out="promotion_id" not in values, created_at=now, **values)
    db.session.add(decision)
    db.session.flush()
    return decision


def _send(template: OfferTemplate, user, product, week: str, now: dt.datetime) -> None:
    names = {locale: product.text("name", locale) for locale in LANGUAGES}
    with transaction():
        voucher = personal.make(customer_id=user.id, product_id=product.id,
                                names=_offer_names(template, names),
                                percent=template.percent, amount_cents=template.amount_cents,
                                days=template.valid_days, now=now)
        decision = _record(template, user.id, week, now, product_id=product.id,
                           promotion_id=voucher.promotion_id, code=voucher.code)
        ends = now + dt.timedelta(days=template.valid_days)
        notifications.notify(
            "personal_offer", email=user.email, phone=user.phone, locale=user.locale,
            user_id=user.id, dedupe_key=f"offer:{decision.id}", purpose="marketing",
            name=user.name, product=names.get(user.locale) or names["en"],
            percent=template.percent, amount_cents=template.amount_cents, code=voucher.code,
            link=external_url("catalog.product", slug=product.slug),
            choices=external_url("recommendations.personalisation"),
            unsubscribe_url=unsubscribe_url(user.id),
            # Numeric, so it reads the same in every language of the message.
            until=local_time(ends - dt.timedelta(seconds=1), "%Y-%m-%d"))


# ---- the proof -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    customers: int  # decisions measured (a customer decided in two weeks counts twice)
    revenue_cents: int  # spent in the window after each decision, in all
    mean_cents: float
    variance: float  # of the spend per decision (cents²), n − 1


@dataclass(frozen=True)
class OfferReport:
    template: OfferTemplate
    treated: Group
    held_out: Group
    vouchers_used: int
    still_measuring: int  # decisions whose window has not ended (left out of the figures)

    @property
    def redemption_rate(self) -> float | None:
        return self.vouchers_used / self.treated.customers if self.treated.customers else None

    @property
    def uplift_cents(self) -> float | None:
        """What a treated customer spent more than a held-out one, on average."""
        if not (self.treated.customers and self.held_out.customers):
            return None
        return self.treated.mean_cents - self.held_out.mean_cents

    @property
    def interval_cents(self) -> tuple[float, float] | None:
        """The uplift's 95 % confidence interval (None with fewer than two in a group)."""
        t, c = self.treated, self.held_out
        if t.customers < 2 or c.customers < 2:
            return None
        error = math.sqrt(t.variance / t.customers + c.variance / c.customers)
        return (self.uplift_cents - Z_95 * error, self.uplift_cents + Z_95 * error)


def _group(spends: list[int]) -> Group:
    n = len(spends)
    if not n:
        return Group(0, 0, 0.0, 0.0)
    mean = sum(spends) / n
    variance = sum((s - mean) ** 2 for s in spends) / (n - 1) if n > 1 else 0.0
    return Group(n, sum(spends), mean, variance)


def report(actor, template_id: int, now: dt.datetime | None = None) -> OfferReport:
    """Treated against held out for one template, over the decisions whose window ended."""
    template = get_template(actor, template_id)
    now = now or utcnow()
    window = dt.timedelta(days=template.measure_days)
    decisions = db.session.scalars(select(OfferSend).where(OfferSend.template_id == template.id)
                                   .order_by(OfferSend.id)).all()
    measured = [d for d in decisions if d.created_at + window <= now]
    spends: dict[int, int] = defaultdict(int)
    if measured:
        orders_of: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
        for customer, placed, total in history.sale_totals(
                {d.customer_id for d in measured}, since=min(d.created_at for d in measured),
                until=max(d.created_at for d in measured) + window):
            orders_of[customer].append((placed, total))
        for decision in measured:  # each against its own customer's orders only
            ends = decision.created_at + window
            spends[decision.id] = sum(total for placed, total in orders_of[decision.customer_id]
                                      if decision.created_at <= placed < ends)
    used = personal.redeemed([d.promotion_id for d in measured if d.promotion_id])
    return OfferReport(
        template=template,
        treated=_group([spends[d.id] for d in measured if not d.held_out]),
        held_out=_group([spends[d.id] for d in measured if d.held_out]),
        vouchers_used=sum(1 for d in measured if d.promotion_id in used),
        still_measuring=len(decisions) - len(measured))


@dataclass(frozen=True)
class Summary:
    sent: int
    used: int
    revenue_cents: int  # of the orders that used a personal offer


def summary(actor, since: dt.datetime) -> Summary:
    """The dashboard's card: offers sent since `since`, how many were used, and what the
    orders that used them came to."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    sent = db.session.execute(select(OfferSend.promotion_id).where(
        OfferSend.created_at >= since, OfferSend.held_out.is_(False))).scalars().all()
    used, revenue = personal.used_with_revenue([p for p in sent if p])
    return Summary(len(sent), used, revenue)
