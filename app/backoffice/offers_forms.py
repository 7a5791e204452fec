"""The back-office form of a personal offer template. It checks shape (whole numbers, rupees
parsed to cents without floats); the offers service checks the rules again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.backoffice.catalog_forms import RupeesField
from app.forms import Form

SOURCES = {
    "buy_again": _l("Their usual re-buy, when it is due (\"Buy again\")"),
    "for_you": _l("Something new to them that they may like (\"For you\")"),
}
BENEFITS = {"percent": _l("A percent off"), "amount": _l("An amount off")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _days(label):
    return IntegerField(label, default=14, validators=[InputRequired(), NumberRange(1, 90)],
                        render_kw={"inputmode": "numeric"})


class OfferTemplateForm(Form):
    name = StringField(_l("Name"), filters=[_strip],
                       validators=[InputRequired(), Length(max=120)],
                       render_kw={"placeholder": "10 % off a usual re-buy"})
    source = SelectField(_l("The item"), choices=list(SOURCES.items()))
    benefit = RadioField(_l("The offer"), choices=list(BENEFITS.items()), default="percent")
    percent = IntegerField(_l("Percent off"), validators=[Optional(), NumberRange(1, 90)],
                           render_kw={"inputmode": "numeric"})
    amount = RupeesField(_l("Amount off (rupees)"))
    valid_days = _days(_l("The voucher lasts (days)"))
    measure_days = _days(_l("Spending is compared over (days)"))
    holdout_percent = IntegerField(_l("Held out to measure (percent)"), default=10,
                                   validators=[InputRequired(), NumberRange(0, 50)],
                                   render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("Sent each night"), default=True)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.benefit.data == "percent" and self.percent.data is None:
            self.percent.errors = [*self.percent.errors, _l("Enter a percent from 1 to 90.")]
            return False
        if self.benefit.data == "amount" and not self.amount.data:
            self.amount.errors = [*self.amount.errors, _l("Enter an amount above zero.")]
            return False
        return valid

    def to_data(self) -> dict:
        percent = self.benefit.data == "percent"
        return {"name": self.name.data, "source": self.source.data,
                "percent": self.percent.data if percent else None,
                "amount_cents": None if percent else self.amount.cents,
                "valid_days": self.valid_days.data, "measure_days": self.measure_days.data,
                "holdout_percent": self.holdout_percent.data, "active": self.active.data}

    @classmethod
    def of(cls, template) -> OfferTemplateForm:
        from app.catalog.inputs import rupees

        return cls(formdata=None, data={
            "name": template.name, "source": template.source,
            "benefit": "percent" if template.percent is not None else "amount",
            "percent": template.percent,
            "amount": rupees(template.amount_cents) if template.amount_cents else "",
            "valid_days": template.valid_days, "measure_days": template.measure_days,
            "holdout_percent": template.holdout_percent, "active": template.active})
