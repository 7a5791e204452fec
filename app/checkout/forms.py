"""Cart and checkout forms. They check shape (a whole number, required, length, +94 phone, one
of the 25 districts); the cart and checkout services check the rules (stock, slots, whose
address, which delivery option serves the district)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.accounts import districts
from app.accounts.forms import EMAIL_MESSAGE, NAME_MAX, SriLankanPhone
from app.checkout.cart import MAX_QUANTITY
from app.forms import Form

QUANTITY_MESSAGE = _l("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY)
ITEM_MESSAGE = _l("This item is not on sale any more.")
SLOT_MESSAGE = _l("That time cannot be booked. Choose another.")
MAX_ID = 2**31 - 1


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class WholeNumber(IntegerField):
    """A whole number as a shopper types it (or a tampered form sends it). Anything else,
    `1e9`, `٣`, `12.5`, ten digits, is refused with `message` rather than WTForms' generic
    "Not a valid integer value"."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip()
        digits = raw[1:] if raw.startswith("-") else raw
        if not (raw.isascii() and digits.isdigit() and len(digits) <= 9):
            self.data = None
            raise ValueError(self.message or _l("Enter a whole number."))
        self.data = int(raw)


# ---- cart -----------------------------------------------------------------------------------

class AddToCartForm(Form):
    variant_id = WholeNumber(message=ITEM_MESSAGE, validators=[
        InputRequired(message=ITEM_MESSAGE), NumberRange(1, MAX_ID, message=ITEM_MESSAGE)])
    quantity = WholeNumber(_l("Quantity"), message=QUANTITY_MESSAGE, default=1, validators=[
        Optional(), NumberRange(1, MAX_QUANTITY, message=QUANTITY_MESSAGE)])
    slot_id = WholeNumber(_l("Time"), message=SLOT_MESSAGE, validators=[
        Optional(), NumberRange(1, MAX_ID, message=SLOT_MESSAGE)])
    next = HiddenField()


class LineForm(Form):
    """A cart line's stepper: − and + change the quantity by one; the number sets it."""

    quantity = WholeNumber(_l("Quantity"), message=QUANTITY_MESSAGE, validators=[
        InputRequired(message=QUANTITY_MESSAGE),
        NumberRange(0, MAX_QUANTITY, message=QUANTITY_MESSAGE)])
    change = HiddenField()  # "down", "up" or empty (set), from the button pressed

    def wanted(self) -> int:
        step = {"down": -1, "up": 1}.get(self.change.data or "", 0)
        return max(self.quantity.data + step, 0)


# ---- checkout -------------------------------------------------------------------------------

def _district_choices():
    return [SelectChoice("", _l("Choose a district")),
            *(SelectChoice(code, name) for code, name in districts.choices())]


def _check_district(form, field):
    if not districts.is_district(field.data):
        raise ValidationError(_l("Choose one of the 25 districts."))


class _AddressFields:
    line1 = StringField(_l("Address line 1"), filters=[_strip],
                        validators=[InputRequired(), Length(max=120)])
    line2 = StringField(_l("Address line 2 (optional)"), filters=[_strip],
                        validators=[Optional(), Length(max=120)])
    city = StringField(_l("City or town"), filters=[_strip],
                       validators=[InputRequired(), Length(max=60)])
    district = SelectField(_l("District"), validators=[InputRequired(), _check_district],
                           validate_choice=False)
    postal_code = StringField(_l("Postal code (optional)"), filters=[_strip],
                              validators=[Optional(), Regexp(
                                  r"^[0-9]{5}$", message=_l("A postal code has 5 digits."))])

    def address_data(self, recipient: str, phone: str) -> dict:
        return {"recipient": recipient, "phone": phone, "line1": self.line1.data,
                "line2": self.line2.data or None, "city": self.city.data,
                "district": self.district.data, "postal_code": self.postal_code.data or None}


class GuestContactForm(Form):
    """A guest buying services only: who they are, no address."""

    name = StringField(_l("Full name"), filters=[_strip],
                       validators=[InputRequired(), Length(max=NAME_MAX)])
    email = EmailField(_l("Email"), filters=[_strip],
                       validators=[InputRequired(), Length(max=254),
                                   Email(message=EMAIL_MESSAGE)])
    phone = StringField(_l("Mobile number"), filters=[_strip],
                        validators=[InputRequired(), Length(max=32), SriLankanPhone()])

    def contact_data(self) -> dict:
        return {"name": self.name.data, "email": self.email.data, "phone": self.phone.e164}


class GuestAddressForm(_AddressFields, GuestContactForm):
    """A guest: who they are and where the order goes (to them, at that address)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = _district_choices()

    def address_data(self) -> dict:  # noqa: D102 — the guest is the recipient
        return super().address_data(self.name.data, self.phone.e164)


NEW = "new"


class CustomerAddressForm(_AddressFields, Form):
    """A customer: one of their saved addresses, or a new one (kept in their book when they
    tick the box)."""

    address_id = RadioField(_l("Deliver to"), validate_choice=False)
    recipient = StringField(_l("Recipient's name"), filters=[_strip],
                            validators=[InputRequired(), Length(max=NAME_MAX)])
    address_phone = StringField(_l("Recipient's mobile number"), filters=[_strip],
                                validators=[InputRequired(), Length(max=32), SriLankanPhone()])
    save_address = BooleanField(_l("Save this address in my address book"), default=True)

    NEW_FIELDS = ("recipient", "address_phone", "line1", "line2", "city", "district",
                  "postal_code")

    def __init__(self, *args, saved=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = _district_choices()
        self.address_id.choices = [*((str(a.id), a.line1) for a in saved),
                                   (NEW, _l("A new address"))]
        if not self.address_id.data:
            self.address_id.data = str(saved[0].id) if saved else NEW

    @property
    def wants_new(self) -> bool:
        return self.address_id.data == NEW

    def chosen_id(self) -> int | None:
        """The saved address picked, as sent (the service checks whose it is)."""
        raw = self.address_id.data or ""
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None

    def validate(self, extra_validators=None):
        if self.wants_new:
            return super().validate(extra_validators)
        # A saved address: the new-address fields are not asked for.
        for name in self.NEW_FIELDS:
            self[name].validators = [Optional()]
        ok = super().validate(extra_validators)
        if ok and self.chosen_id() is None:
            self.address_id.errors = [_l("Choose one of your addresses.")]
            return False
        return ok

    def address_data(self) -> dict:
        return super().address_data(self.recipient.data, self.address_phone.e164)


class DeliveryForm(Form):
    delivery_option = RadioField(_l("Delivery"), validate_choice=False,
                                 validators=[InputRequired(message=_l(
                                     "Choose a delivery option for your district."))])


class PaymentForm(Form):
    # Required by the view unless the store credit covers the whole order.
    payment_method = RadioField(_l("Payment"), validate_choice=False,
                                validators=[Optional()])
    use_credit = BooleanField(_l("Use my store credit"))
    use_points = BooleanField(_l("Use my points"))


class PlaceOrderForm(Form):
    # Made when the review page renders: a second submit of this page (a double tap, a
    # retry after a dropped connection) names the same order.
    idempotency_key = HiddenField(validators=[InputRequired(), Length(min=16, max=64)])


# ---- vouchers -------------------------------------------------------------------------------

class VoucherForm(Form):
    """A voucher code typed on the cart or the review step. Its rules (does it exist, does
    it apply) are the promotions engine's; here only its shape."""

    code = StringField(_l("Voucher code"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter a code.")),
        Length(max=40, message=_l("This code is not valid. Check it and try again."))])
    next = HiddenField()
