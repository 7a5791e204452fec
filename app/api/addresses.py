"""Routes of my address book: /me/addresses. Another customer's address answers 404, as an
unknown one does, so ids cannot be probed."""

from __future__ import annotations

import dataclasses

from app.accounts import addresses
from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.pagination import Page, PageQuery, page_of
from app.api.schemas import AddressIn, AddressOut, AddressPatch, AddressPath


class AddressPage(Page[AddressOut]):
    """One page of my addresses, oldest first."""


@bp.get("/me/addresses")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(AddressPage)
@bp.doc(tags=["Addresses"], responses=error_responses(401, 422))
def list_addresses(query: PageQuery):
    """My addresses

    `district_name` is in the language of Accept-Language.
    """
    locale = api_locale()
    found = addresses.list_addresses(current_customer().id)
    page = page_of(found, query)
    page["items"] = [AddressOut.of(address, locale) for address in page["items"]]
    return page


@bp.post("/me/addresses")
@bp.auth_required(auth)
@bp.input(AddressIn, arg_name="body")
@bp.output(AddressOut, status_code=201, description="The new address.")
@bp.doc(tags=["Addresses"], responses=error_responses(400, 401, 422))
def add_address(body: AddressIn):
    """Add an address

    `district` is one of the 25 district codes (`colombo`, `galle`, `jaffna` …). At most 20
    addresses: the 21st is a 422.
    """
    address = addresses.add_address(current_customer().id,
                                    addresses.AddressInput(**body.model_dump()))
    return AddressOut.of(address, api_locale())


@bp.get("/me/addresses/<int:address_id>")
@bp.auth_required(auth)
@bp.input(AddressPath, location="path", arg_name="path")
@bp.output(AddressOut)
@bp.doc(tags=["Addresses"], responses=error_responses(401, 404, 422))
def get_address(address_id: int, path: AddressPath):
    """One of my addresses"""
    return AddressOut.of(addresses.get_address(current_customer().id, path.address_id),
                         api_locale())


@bp.patch("/me/addresses/<int:address_id>")
@bp.auth_required(auth)
@bp.input(AddressPath, location="path", arg_name="path")
@bp.input(AddressPatch, arg_name="body")
@bp.output(AddressOut)
@bp.doc(tags=["Addresses"], responses=error_responses(400, 401, 404, 422))
def update_address(address_id: int, path: AddressPath, body: AddressPatch):
    """Change an address

    Fields left out keep their value; `null` clears `line2` or `postal_code`.
    """
    customer_id = current_customer().id
    current = addresses.get_address(customer_id, path.address_id)
    kept = {field.name: getattr(current, field.name)
            for field in dataclasses.fields(addresses.AddressInput)}
    data = addresses.AddressInput(**(kept | body.model_dump(exclude_unset=True)))
    address = addresses.update_address(customer_id, path.address_id, data)
    return AddressOut.of(address, api_locale())


@bp.delete("/me/addresses/<int:address_id>")
@bp.auth_required(auth)
@bp.input(AddressPath, location="path", arg_name="path")
@bp.doc(tags=["Addresses"], responses={204: "Removed."} | error_responses(401, 404, 422))
def delete_address(address_id: int, path: AddressPath):
    """Remove an address"""
    addresses.delete_address(current_customer().id, path.address_id)
    return "", 204
