"""A customer's address book. Another customer's address is NotFound, never Forbidden, so
ids cannot be probed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import db
from app.accounts.districts import is_district
from app.accounts.models import Address
from app.audit import services as audit
from app.db import transaction
from app.digits import is_digits
from app.errors import Invalid, NotFound
from app.security import pii

MAX_ADDRESSES = 20


class TooManyAddresses(Invalid):
    code = "too_many_addresses"
    default_message = _l("You can keep up to 20 addresses. Remove one you no longer use first.")


@dataclass(frozen=True)
class AddressInput:
    """Shape is checked by forms and API schemas; the district is checked here too, as a
    rule, because every caller must respect it."""

    recipient: str
    phone: str  # E.164
    line1: str
    city: str
    district: str
    line2: str | None = None
    postal_code: str | None = None


def place_index(line1: str, city: str, district: str) -> str:
    """A blind index of where an address is, the same however it is spelt: case, spaces and
    punctuation do not count ("5, Church St." and "5 church st" are one place). Line 2 and
    the recipient are left out, so "Flat 1" and "Flat 2" of a fake order are one place too."""
    words = "".join(ch if ch.isalnum() else " " for ch in f"{line1} {city}".casefold())
    return pii.blind_index(f"place:{district}:{' '.join(words.split())}")


def _validated(data: AddressInput) -> AddressInput:
    if not is_district(data.district):
        raise Invalid(field="district")
    if data.postal_code and not (is_digits(data.postal_code) and len(data.postal_code) == 5):
        raise Invalid(field="postal_code")
    return data


def list_addresses(user_id: int) -> list[Address]:
    return list(db.session.scalars(
        select(Address).where(Address.user_id == user_id).order_by(Address.id)))


def latest_district(user_id: int) -> str | None:
    """The district of the customer's newest saved address (where they live, most likely),
    reading no sealed column."""
    return db.session.scalar(select(Address.district).where(Address.user_id == user_id)
                             .order_by(Address.id.desc()).limit(1))


def get_address(user_id: int, address_id: int) -> Address:
    address = db.session.get(Address, address_id)
    if address is None or address.user_id != user_id:
        raise NotFound()
    return address


def add_address(user_id: int, data: AddressInput) -> Address:
    data = _validated(data)
    with transaction():
        if len(list_addresses(user_id)) >= MAX_ADDRESSES:
            raise TooManyAddresses(field="line1", limit=MAX_ADDRESSES)
        address = Address(user_id=user_id, **vars(data))
        db.session.add(address)
        db.session.flush()
        audit.record("address.add", actor_id=user_id, target_type="address",
                     target_id=address.id)
    return address


def update_address(user_id: int, address_id: int, data: AddressInput) -> Address:
    data = _validated(data)
    with transaction():
        address = get_address(user_id, address_id)
        for key, value in vars(data).items():
            setattr(address, key, value)
        audit.record("address.update", actor_id=user_id, target_type="address",
                     target_id=address.id)
    return address


def delete_address(user_id: int, address_id: int) -> None:
    with transaction():
        address = get_address(user_id, address_id)
        db.session.delete(address)
        audit.record("address.delete", actor_id=user_id, target_type="address",
                     target_id=address_id)


def check_address(data: AddressInput) -> AddressInput:
    """The address-book rules, for an address that is not kept (a guest's at checkout).
    Raises Invalid."""
    return _validated(data)
