"""Loads the demo catalog (`flask seed demo`): categories, 60 products, 6 services with
booking slots, pictures drawn on the spot, stock. Existing slugs are skipped, so running it
again adds nothing."""

from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from app import db
from app.catalog import booking_slots, editing, inputs, pictures
from app.catalog.demo_data import (
    CATEGORIES,
    PRODUCTS,
    SERVICES,
    VARIANT_SETS,
    translated_options,
    value_translations,
)
from app.catalog.models import Category, Product
from app.db import utcnow
from app.i18n import COLOMBO
from app.inventory import services as inventory

PALETTE = ["#8a1c3c", "#1d4ed8", "#047857", "#b45309", "#6d28d9", "#0e7490", "#be123c",
           "#4d7c0f"]


def picture(label: str, colour: str) -> bytes:
    """A plain square with the product's initials: a stand-in photograph."""
    image = Image.new("RGB", (600, 600), colour)
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in label.split()[:2]).upper()
    draw.ellipse((150, 150, 450, 450), fill="white")
    draw.text((300, 300), initials, fill=colour, anchor="mm", font_size=140)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load_catalog() -> list[str]:
    rng = random.Random(2026)  # the same shop every time
    existing = set(db.session.scalars(select(Category.slug)))
    for slug, (en, si, ta, parent) in CATEGORIES.items():
        if slug not in existing:
            editing.create_category(slug, en, name_si=si, name_ta=ta, parent_slug=parent,
                                    position=list(CATEGORIES).index(slug))
    known = set(db.session.scalars(select(Product.slug)))
    added = 0
    for number, (en, si, ta, category, rupees, variant_set, attrs) in enumerate(PRODUCTS, 1):
        slug = inputs.slugify(en)
        if slug in known:
            continue
        variants = [inputs.VariantInput(sku=f"KD-{number:04d}-{i + 1}", options=options,
                                        options_si=translated_options(options, "si"),
                                        options_ta=translated_options(options, "ta"),
                                        price_cents=round(rupees * factor) * 100,
                                        cost_cents=demo_cost(round(rupees * factor) * 100,
                                                             number, i),
                                        weight_grams=500)
                    for i, (options, factor) in enumerate(VARIANT_SETS[variant_set])]
        product = editing.create_product(inputs.ProductInput(
            name_en=en, name_si=si, name_ta=ta, slug=slug, category_slug=category,
            description_en=f"{en}, chosen for Sri Lankan homes. Delivered island-wide.",
            description_si=f"{si} — ශ්‍රී ලාංකික නිවෙස් සඳහා. දිවයින පුරා බෙදා හරිනු ලැබේ.",
            description_ta=f"{ta} — இலங்கை வீடுகளுக்காக. நாடு முழுவதும் விநியோகம்.",
            variants=variants, attributes=attrs, status="published",
            is_featured=number % 7 == 1))
        if attrs:
            editing.set_attributes(product.id, list(attrs.items()),
                                   translations=value_translations(attrs))
        pictures.add_image(product.id, picture(en, PALETTE[number % len(PALETTE)]), alt=en)
        for variant in product.variants:
            # Most things in stock; every ninth product sold out, to show how that looks.
            inventory.set_on_hand(variant.id, 0 if number % 9 == 0 else rng.randint(3, 40))
        added += 1
    for number, (en, si, ta, rupees, minutes, where, districts) in enumerate(SERVICES, 1):
        slug = inputs.slugify(en)
        if slug in known:
            continue
        service = editing.create_product(inputs.ProductInput(
            name_en=en, name_si=si, name_ta=ta, slug=slug, kind="service",
            category_slug="services", duration_minutes=minutes, status="published",
            service_location=where, service_districts=districts,
            description_en=f"{en} by a trained Kade partner, {PLACES[where]}.",
            # Machine-quality Sinhala and Tamil: needs review by a native speaker.
            description_si=f"{si} — පුහුණු Kade හවුල්කරුවෙකු විසින්, {PLACES_SI[where]}.",
            description_ta=f"{ta} — பயிற்சி பெற்ற Kade கூட்டாளரால், {PLACES_TA[where]}.",
            variants=[inputs.VariantInput(sku=f"KD-S{number:03d}", price_cents=rupees * 100)],
            is_featured=number == 1))
        pictures.add_image(service.id, picture(en, PALETTE[-number]), alt=en)
        _add_slots(service.id)
        added += 1
    db.session.commit()
    total = db.session.scalar(select(func.count()).select_from(Product))
    return [f"catalog: {total} products and services ({added} added now)"]


def demo_cost(price_cents: int, number: int, position: int) -> int | None:
    """A plausible cost price: 55 to 70 % of the price, in whole rupees, varying from product
    to product. Every tenth product has none, so the stock report shows stock of unknown
    cost beside stock valued at cost. Worked out, not drawn from the shop's random numbers,
    so the stock levels stay what they were."""
    if number % 10 == 0:
        return None
    percent = 55 + (number * 7 + position * 5) % 16
    return (price_cents * percent + 5000) // 10000 * 100


PLACES = {"address": "at your home", "shop": "at our Colombo shop",
          "online": "online, by video call"}
# Machine-quality Sinhala and Tamil: needs review by a native speaker.
PLACES_SI = {"address": "ඔබේ නිවසේදී", "shop": "අපගේ කොළඹ සාප්පුවේදී",
             "online": "අන්තර්ජාලයෙන්, වීඩියෝ ඇමතුමකින්"}
PLACES_TA = {"address": "உங்கள் வீட்டில்", "shop": "எங்கள் கொழும்பு கடையில்",
             "online": "இணையத்தில், காணொளி அழைப்பில்"}


def _add_slots(product_id: int) -> None:
    """Two slots a day (9:00 and 14:00 Colombo time) for the next ten days."""
    today = utcnow().astimezone(COLOMBO).date()
    for day in range(1, 11):
        for hour in (9, 14):
            local = dt.datetime.combine(today + dt.timedelta(days=day), dt.time(hour),
                                        tzinfo=COLOMBO)
            booking_slots.add_slot(product_id, local.astimezone(dt.UTC), capacity=2)
