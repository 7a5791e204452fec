"""Forms of the phone-order desk: finding the caller, adding a customer, adding items and the
order's details. They check shape; the draft and account services check the rules."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.accounts import districts
from app.accounts.addresses import AddressInput
from app.checkout import drafts
from app.checkout.staff_discount import StaffDiscount
from app.digits import whole_number
from app.forms import Form

LANGUAGES = [SelectChoice("en", "English"), SelectChoice("si", "සිංහල"),
             SelectChoice("ta", "தமிழ்")]
NEW_ADDRESS = "new"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def as_id(text) -> int | None:
    """A posted id, or None when it is none: ASCII digits only (str.isdigit() also takes "²",
    which int() refuses, and other scripts' digits) and at most 9 of them, so it fits the
    database's integer instead of overflowing the query."""
    return whole_number(str(text or ""), max_digits=9)


class FindCallerForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    phone = StringField(_l("Caller's mobile number"), filters=[_strip],
                        validators=[InputRequired(_l("Enter the caller's mobile number.")),
                                    Length(max=32)],
                        render_kw={"inputmode": "tel", "placeholder": "077 123 4567"})


class NewCustomerForm(Form):
    name = StringField(_l("Name"), id="customer-name", filters=[_strip],
                       validators=[InputRequired(_l("Enter the customer's name.")),
                                   Length(max=120)])
    phone = StringField(_l("Mobile number"), id="customer-phone", filters=[_strip],
                        validators=[InputRequired(_l("Enter the caller's mobile number.")),
                                    Length(max=32)],
                        render_kw={"inputmode": "tel"})
    email = StringField(_l("Email"), id="customer-email", filters=[_strip],
                        validators=[InputRequired(_l("Enter a valid email address.")),
                                    Length(max=254)],
                        render_kw={"inputmode": "email", "autocapitalize": "none",
                                   "spellcheck": "false"})
    locale = SelectField(_l("Language for messages"), choices=LANGUAGES, default="en",
                         id="customer-locale")


class StartDraftForm(Form):
    customer_id = HiddenField(validators=[InputRequired()])


class FindItemForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Find a product or service"), filters=[_strip],
                    validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "autocomplete": "off",
                               "placeholder": _l("Name or SKU")})


class AddItemForm(Form):
    variant_id = IntegerField(validators=[InputRequired(), NumberRange(min=1)])
    slot_id = IntegerField(validators=[Optional(), NumberRange(min=1)])
    quantity = IntegerField(_l("Quantity"), default=1,
                            validators=[InputRequired(_l("Enter a quantity from 1 to 99.")),
                                        NumberRange(min=1, max=99,
                                                    message=_l("Enter a quantity from 1 "
                                                               "to 99."))])


class QuantityForm(Form):
    quantity = IntegerField(_l("Quantity"),
                            validators=[InputRequired(_l("Enter a quantity from 0 to 99.")),
                                        NumberRange(min=0, max=99,
                                                    message=_l("Enter a quantity from 0 "
                                                               "to 99."))])


class DetailsForm(Form):
    """Where it goes, how it is paid, a discount and a note. The address is one of the
    customer's (by id) or "new", with the new address's fields."""

    address_choice = RadioField(_l("Address"), validate_choice=False,
                                validators=[Optional()])
    recipient = StringField(_l("Recipient"), filters=[_strip],
                            validators=[Optional(), Length(max=120)])
    address_phone = StringField(_l("Phone at the address"), filters=[_strip],
                                validators=[Optional(), Length(max=32)],
                                render_kw={"inputmode": "tel"})
    line1 = StringField(_l("House and street"), filters=[_strip],
                        validators=[Optional(), Length(max=200)])
    line2 = StringField(_l("Address line 2 (optional)"), filters=[_strip],
                        validators=[Optional(), Length(max=200)])
    city = StringField(_l("Town or city"), filters=[_strip],
                       validators=[Optional(), Length(max=80)])
    district = SelectField(_l("District"), validators=[Optional()])
    postal_code = StringField(_l("Postal code (optional)"), filters=[_strip],
                              validators=[Optional(), Length(max=5)],
                              render_kw={"inputmode": "numeric"})
    delivery_option = SelectField(_l("Delivery"), validators=[Optional()],
                                  validate_choice=False)
    payment_method = RadioField(_l("Payment"), validators=[Optional()], choices=[
        SelectChoice("cod", _l("Cash on delivery")),
        SelectChoice("bank_transfer", _l("Bank transfer")),
        SelectChoice("payhere", _l("Payment link (card, by SMS and email)")),
    ])
    discount_kind = SelectField(_l("Discount"), default="", choices=[
        SelectChoice("", _l("No discount")),
        SelectChoice("amount", _l("An amount (Rs)")),
        SelectChoice("percent", _l("A percentage")),
    ])
    discount_value = DecimalField(_l("How much"), places=2,
                                  validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    discount_reason = StringField(_l("Why (for the audit log)"), filters=[_strip],
                                  validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("Note for the order's timeline (staff only)"), filters=[_strip],
                         validators=[Optional(), Length(max=drafts.MAX_NOTE)],
                         render_kw={"rows": 2})
    locale = SelectField(_l("Language for messages"), choices=LANGUAGES, default="en")

    def __init__(self, *args, saved_addresses=(), delivery_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = [SelectChoice("", _l("Choose a district")),
                                 *(SelectChoice(code, name)
                                   for code, name in districts.choices())]
        self.address_choice.choices = [
            *(SelectChoice(str(a.id), f"{a.recipient}, {a.line1}, {a.city}")
              for a in saved_addresses),
            SelectChoice(NEW_ADDRESS, _l("A new address"))]
        self.delivery_option.choices = [SelectChoice("", _l("Choose delivery")),
                                        *delivery_options]

    def validate_address_choice(self, field):
        if (field.data or "") not in ("", NEW_ADDRESS) and as_id(field.data) is None:
            raise ValidationError(_l("Choose one of the customer's addresses."))

    def validate_discount_value(self, field):
        if self.discount_kind.data and field.data is None:
            raise ValidationError(_l("Enter how much to take off."))
        if self.discount_kind.data == "percent" and field.data is not None and field.data % 1:
            raise ValidationError(_l("Give a whole percentage, like 10."))

    def fill_from(self, chosen: drafts.DraftDetails) -> None:
        """Show what was saved (a GET of the draft page)."""
        if chosen.address_id is not None:
            self.address_choice.data = str(chosen.address_id)
        elif chosen.address is not None:
            self.address_choice.data = NEW_ADDRESS
            for name in ("recipient", "line1", "line2", "city", "district", "postal_code"):
                getattr(self, name).data = getattr(chosen.address, name)
            self.address_phone.data = chosen.address.phone
        self.delivery_option.data = chosen.delivery_option or ""
        self.payment_method.data = chosen.payment_method
        if chosen.discount is not None:
            self.discount_kind.data = "percent" if chosen.discount.percent else "amount"
            self.discount_value.data = (chosen.discount.percent if chosen.discount.percent
                                        else Decimal(chosen.discount.amount_cents) / 100)
            self.discount_reason.data = chosen.discount.reason
        self.note.data = chosen.note
        self.locale.data = chosen.locale

    def to_details(self) -> drafts.DraftDetails:
        choice = self.address_choice.data or ""
        address_id = as_id(choice)
        address = None
        if choice == NEW_ADDRESS or (address_id is None and self.line1.data):
            address = AddressInput(
                recipient=self.recipient.data or "", phone=self.address_phone.data or "",
                line1=self.line1.data or "", city=self.city.data or "",
                district=self.district.data or "", line2=self.line2.data or None,
                postal_code=self.postal_code.data or None)
        discount = None
        if self.discount_kind.data in ("amount", "percent"):
            value = self.discount_value.data or 0
            discount = (StaffDiscount(self.discount_reason.data or "",
                                      amount_cents=int(round(value * 100)))
                        if self.discount_kind.data == "amount" else
                        StaffDiscount(self.discount_reason.data or "", percent=int(value)))
        return drafts.DraftDetails(
            address_id=address_id, address=address,
            delivery_option=self.delivery_option.data or None,
            payment_method=self.payment_method.data or None, discount=discount,
            note=self.note.data or "", locale=self.locale.data or "en")
