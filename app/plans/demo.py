"""Demo plans, so `make run` shows plans at work: Kade Plus (free delivery island-wide,
Rs 990 a month, 14 days free) and a home-cleaning package (4 visits a month) when the demo
catalogue has the service."""

from __future__ import annotations

from sqlalchemy import func, select

from app import db
from app.catalog import services as catalog
from app.errors import NotFound
from app.plans import services as plans
from app.plans.models import Plan
from app.plans.services import PlanInput


def load_demo_plans() -> list[str]:
    if db.session.scalar(select(func.count()).select_from(Plan)):
        return []
    plans.save_plan(PlanInput(
        code="kade-plus", name_en="Kade Plus", name_si="කඩේ ප්ලස්", name_ta="கடை பிளஸ்",
        description_en="Free delivery on every order, anywhere in Sri Lanka.",
        description_si="ශ්‍රී ලංකාවේ ඕනෑම තැනකට සෑම ඇණවුමකටම නොමිලේ බෙදාහැරීම.",
        description_ta="இலங்கையில் எங்கும், ஒவ்வொரு ஆர்டருக்கும் இலவச டெலிவரி.",
        price_cents=990_00, free_delivery=True, priority_support=True, grace_days=7,
        position=1), actor=None)
    made = ["Kade Plus"]
    try:
        cleaning = catalog.get_published("home-deep-cleaning")
    except NotFound:
        cleaning = None
    if cleaning is not None:
        plans.save_plan(PlanInput(
            code="home-cleaning-4", name_en="Home cleaning, 4 visits a month",
            name_si="නිවස පිරිසිදු කිරීම, මසකට 4 වතාවක්",
            name_ta="வீட்டுச் சுத்தம், மாதம் 4 முறை",
            price_cents=8_000_00, service_credits={cleaning.id: 4}, position=2), actor=None)
        made.append("Home cleaning, 4 visits a month")
    db.session.commit()
    return [f"Demo plans: {', '.join(made)}"]
