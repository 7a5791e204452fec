"""Request and response bodies of the API, as pydantic models; the OpenAPI document is made
from them.

Schemas check shape (types, lengths, a +94 mobile number, one of the 25 districts); services
check rules (a unique email, a strong password). Request bodies refuse unknown fields, so a
misspelt field is an error and not silently ignored. Text refuses control characters: they
have no place in a name or an address, and PostgreSQL cannot store NUL at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints as Text,
)
from pydantic_core import PydanticCustomError

from app.accounts.districts import DISTRICTS, district_name
from app.accounts.phones import normalise_phone
from app.security import characters
from app.security.passwords import MAX_LENGTH as PASSWORD_MAX, MIN_LENGTH as PASSWORD_MIN

NAME_MAX = 100
EMAIL_MAX = 254
LINE_MAX = 120
CITY_MAX = 60
ID_MAX = 2**31 - 1  # the largest id every backend stores; a larger one cannot exist


def _no_control_characters(value: str) -> str:
    # The characters the web forms refuse too (app/security/characters.py): controls, lone
    # surrogates and bidi overrides. The zero-width joiner Sinhala needs stays allowed.
    if characters.has_forbidden_characters(value):
        raise PydanticCustomError("text_characters", "text holds control characters")
    return value


def _e164(value: str) -> str:
    e164 = normalise_phone(value)
    if e164 is None:
        raise PydanticCustomError("phone", "not a Sri Lankan mobile number")
    return e164


def _email(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError("email", "not an email address") from exc
    return value


def _iso_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


# What _no_control_characters and stripping accept, for the document (and so for clients and
# the fuzzer): no control character, and something besides spaces.
_CONTROLS = characters.PATTERN_CLASS
PRINTABLE_PATTERN = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"
NO_CONTROLS_PATTERN = rf"^[^{_CONTROLS}]*$"


def _text(max_length: int, **extra):
    return Annotated[str, Text(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(_no_control_characters),
                     Field(json_schema_extra={"pattern": PRINTABLE_PATTERN}, **extra)]


Name = _text(NAME_MAX, examples=["Nimal Perera"])
Line = _text(LINE_MAX, examples=["12 Temple Road"])
City = _text(CITY_MAX, examples=["Galle"])
Email = Annotated[str, Text(strip_whitespace=True, max_length=EMAIL_MAX),
                  AfterValidator(_no_control_characters), AfterValidator(_email),
                  Field(json_schema_extra={"format": "email"}, examples=["nimal@example.lk"])]
# Typed as people type it (077 123 4567, +94 77 123 4567); answered as E.164 (+94771234567).
# No pattern in the document: it would make generated clients refuse what people type.
PHONE_FORMAT = "lk-mobile"
Phone = Annotated[str, Text(max_length=32), AfterValidator(_e164),
                  Field(description="A Sri Lankan mobile number as people write it (077 123 "
                                    "4567, +94 77 123 4567); stored and answered as E.164.",
                        json_schema_extra={"format": PHONE_FORMAT},
                        examples=["077 123 4567"])]
Password = Annotated[str, Text(min_length=1, max_length=PASSWORD_MAX),
                     AfterValidator(_no_control_characters),
                     Field(json_schema_extra={"pattern": NO_CONTROLS_PATTERN})]
NewPassword = Annotated[str, Text(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX),
                        AfterValidator(_no_control_characters),
                        Field(description="At least 10 characters, not a common password, "
                                          "not containing your name, email or phone.",
                              json_schema_extra={"pattern": NO_CONTROLS_PATTERN})]
OpaqueToken = Annotated[str, Text(min_length=1, max_length=200),
                        AfterValidator(_no_control_characters)]
Language = Literal["en", "si", "ta"]
District = Literal[tuple(DISTRICTS)]
PostalCode = Annotated[str, Text(pattern=r"^[0-9]{5}$"), Field(examples=["80000"])]
# Times are ISO 8601 with the UTC offset spelt out: 2025-01-31T04:30:00+00:00.
Timestamp = Annotated[dt.datetime, PlainSerializer(_iso_utc, return_type=str)]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    # An optional field whose type refuses null (Problem.errors, left out when no field is
    # wrong) has no `null` default to document.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and "anyOf" not in prop:
            del prop["default"]


def _drop_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Body(BaseModel):
    """A JSON request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """A PATCH body: a field left out keeps its value (`null` is a value: "clear it"), so no
    field has a default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_defaults)


class Output(BaseModel):
    model_config = ConfigDict(json_schema_extra=_drop_null_defaults)


# Problems (documentation only: app.api.problems writes the bodies).

class FieldError(Output):
    field: str | None = Field(description="The dotted path of the wrong value; null when "
                                          "the whole body is wrong.")
    message: str


class Problem(Output):
    """An error, as RFC 9457 problem+json."""

    type: str = Field(description="about:blank, or a tag URI naming `code`.")
    title: str
    status: int
    detail: str
    code: str = Field(description="A stable word to switch on: not_found, weak_password, "
                                  "validation_failed …")
    errors: list[FieldError] = Field(default=None, description="The wrong fields, when "
                                                               "fields are wrong.")


# Authentication

class RegisterIn(Body):
    name: Name
    email: Email
    phone: Phone
    password: NewPassword


class RegisteredOut(Output):
    detail: str = Field(description="What to do next: the same words whether the email was "
                                    "new or already had an account.")


class TokenIn(Body):
    # Any text: an address that cannot be an account's simply does not sign in (401).
    email: Annotated[str, Text(min_length=1, max_length=EMAIL_MAX),
                     AfterValidator(_no_control_characters),
                     Field(json_schema_extra={"pattern": NO_CONTROLS_PATTERN})]
    password: Password


class RefreshIn(Body):
    refresh_token: OpaqueToken


class TokenPairOut(Output):
    access_token: str = Field(description="Send as Authorization: Bearer <token>; lives "
                                          "15 minutes.")
    refresh_token: str = Field(description="Exchange at /auth/refresh for a new pair; lives "
                                           "30 days and works once.")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 — the scheme name, not a secret
    expires_in: int = Field(description="Seconds the access token lives.")


# The account

class UserOut(Output):
    id: int
    name: str
    email: str
    email_verified: bool
    phone: str = Field(description="E.164")
    language: Language
    created_at: Timestamp

    @classmethod
    def of(cls, user) -> UserOut:
        return cls(id=user.id, name=user.name, email=user.email,
                   email_verified=user.is_email_verified, phone=user.phone,
                   language=user.locale if user.locale in ("en", "si", "ta") else "en",
                   created_at=user.created_at)


class ProfilePatch(Patch):
    """Fields left out keep their value."""

    name: Name = None
    phone: Phone = None
    language: Language = None


class EraseIn(Body):
    password: Password = Field(description="The account's password, to confirm.")


# Addresses

class AddressIn(Body):
    recipient: Name
    phone: Phone
    line1: Line
    line2: Line | None = None
    city: City
    district: District = Field(description="One of the 25 district codes.")
    postal_code: PostalCode | None = None


class AddressPatch(Patch):
    """Fields left out keep their value; `null` clears line2 or postal_code."""

    recipient: Name = None
    phone: Phone = None
    line1: Line = None
    line2: Line | None = None
    city: City = None
    district: District = None
    postal_code: PostalCode | None = None


class AddressPath(BaseModel):
    address_id: Id


class AddressOut(Output):
    id: int
    recipient: str
    phone: str = Field(description="E.164")
    line1: str
    line2: str | None
    city: str
    district: District
    district_name: str = Field(description="In the language of Accept-Language.")
    postal_code: str | None
    created_at: Timestamp

    @classmethod
    def of(cls, address, locale: str) -> AddressOut:
        return cls(id=address.id, recipient=address.recipient, phone=address.phone,
                   line1=address.line1, line2=address.line2, city=address.city,
                   district=address.district,
                   district_name=district_name(address.district, locale),
                   postal_code=address.postal_code, created_at=address.created_at)


# The copy of my data (PDPA)

class ExportAccount(Output):
    id: int
    name: str
    email: str
    email_verified: bool
    phone: str
    language: str
    created_at: Timestamp
    last_login_at: Timestamp | None


class ExportAddress(Output):
    id: int
    recipient: str
    phone: str
    line1: str
    line2: str | None
    city: str
    district: str
    district_name: str
    postal_code: str | None


class ExportMessage(Output):
    author: Literal["customer", "staff"]
    message: str
    at: Timestamp


class ExportTicket(Output):
    """One of your support questions, with the conversation you can read."""

    number: int
    subject: str
    status: str
    order_number: str | None
    created_at: Timestamp
    closed_at: Timestamp | None
    messages: list[ExportMessage]


class ExportOut(Output):
    """Everything Kade holds about you."""

    account: ExportAccount
    addresses: list[ExportAddress]
    orders: list[dict[str, Any]]
    support_tickets: list[ExportTicket]
