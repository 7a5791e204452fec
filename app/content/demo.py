"""The demo shop's details in three languages (its pages show the starting texts of
app.content.defaults until staff edit them)."""

from __future__ import annotations

from app import db
from app.content import services as content
from app.content.defaults import DEMO_DETAILS
from app.content.models import ShopDetails


def load_details() -> None:
    """Save the demo details unless staff have saved some (never overwrites theirs)."""
    if db.session.get(ShopDetails, content.ROW_ID) is None:
        content.save_details(DEMO_DETAILS)
