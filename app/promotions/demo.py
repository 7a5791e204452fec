"""Demo promotions, so `make run` shows badges, a voucher and free delivery at work: a
"buy 2 get 1 free" on tea and spices, HELLO10 (10 % off a first order in Colombo) and free
delivery in Colombo over Rs. 5,000."""

from __future__ import annotations

from sqlalchemy import func, select

from app import db
from app.catalog import services as catalog
from app.db import transaction
from app.errors import NotFound
from app.promotions import offers
from app.promotions.models import Promotion, VoucherCode

ALL_CLASSES = ["line", "order", "delivery"]


def load_demo_promotions() -> list[str]:
    if db.session.scalar(select(func.count()).select_from(Promotion)):
        return []
    try:
        tea = catalog.get_category("tea-spices").id
    except NotFound:
        tea = None
    with transaction():
        if tea is not None:
            db.session.add(Promotion(
                name_en="Buy 2 get 1 free: tea & spices",
                name_si="තේ සහ කුළුබඩු: 2ක් ගත් විට 1ක් නොමිලේ",
                name_ta="தேநீர் & மசாலா: 2 வாங்கினால் 1 இலவசம்",
                description_en="Any three from tea and spices: the cheapest is free.",
                benefit="buy_x_get_y", buy_quantity=2, get_quantity=1, percent=100,
                category_ids=[tea], combines_with=ALL_CLASSES, priority=10))
        welcome = Promotion(
            name_en="Welcome: 10% off your first order",
            name_si="සාදරයෙන් පිළිගනිමු: ඔබේ පළමු ඇණවුමට 10% වට්ටමක්",
            name_ta="வரவேற்பு: உங்கள் முதல் ஆர்டருக்கு 10% தள்ளுபடி",
            description_en="For a first order delivered in Colombo, with the code HELLO10.",
            benefit="order_percent", percent=10, first_order_only=True,
            districts=["colombo"], requires_code=True, combines_with=ALL_CLASSES,
            max_uses_per_customer=1)
        welcome.codes.append(VoucherCode(code="HELLO10"))
        db.session.add(welcome)
        db.session.add(Promotion(
            name_en="Free delivery in Colombo over Rs. 5,000",
            name_si="රු. 5,000ට වැඩි ඇණවුම් සඳහා කොළඹ තුළ නොමිලේ බෙදාහැරීම",
            name_ta="ரூ. 5,000க்கு மேல் கொழும்பில் இலவச விநியோகம்",
            benefit="delivery", percent=100, min_subtotal_cents=5_000_00,
            districts=["colombo"], combines_with=ALL_CLASSES))
    offers.invalidate()
    return ["Promotions: buy 2 get 1 free on tea & spices, HELLO10, free delivery in "
            "Colombo over Rs. 5,000"]
