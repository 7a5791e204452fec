"""The shop's pages and details in the back office (admins and marketing: MANAGE_CONTENT):
the list of the five pages, a page's texts in three languages, and the shop's details. The
content service checks the permission again, validates and writes the audit entry; these
views parse and render. The forms live here: they are the back office's alone."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.backoffice import bp
from app.backoffice.guards import requires
from app.content import services as content
from app.content.models import MAX_BODY, MAX_TITLE
from app.errors import DomainError
from app.forms import Form
from app.security.roles import Permission
from app.web import redirect_to, render

LANGUAGE_NAMES = {"en": _l("English"), "si": _l("Sinhala"), "ta": _l("Tamil")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _title(locale: str, required: bool = False):
    return StringField(_l("Title (%(language)s)", language=LANGUAGE_NAMES[locale]),
                       filters=[_strip], validators=[
                           DataRequired(_l("Write the English title.")) if required
                           else Optional(), Length(max=MAX_TITLE)])


def _body(locale: str, required: bool = False):
    return TextAreaField(_l("Text (%(language)s)", language=LANGUAGE_NAMES[locale]),
                         filters=[_strip], render_kw={"rows": 14}, validators=[
                             DataRequired(_l("Write the English text.")) if required
                             else Optional(), Length(max=MAX_BODY)])


class PageForm(Form):
    title_en = _title("en", required=True)
    body_en = _body("en", required=True)
    title_si = _title("si")
    body_si = _body("si")
    title_ta = _title("ta")
    body_ta = _body("ta")

    def to_input(self) -> content.PageInput:
        return content.PageInput(
            titles={loc: self[f"title_{loc}"].data for loc in LANGUAGE_NAMES},
            bodies={loc: self[f"body_{loc}"].data for loc in LANGUAGE_NAMES})


def _lines(label):
    return TextAreaField(label, filters=[_strip], render_kw={"rows": 3},
                         validators=[Optional(), Length(max=content.MAX_DETAIL)])


class DetailsForm(Form):
    name = StringField(_l("Shop name"), filters=[_strip],
                       validators=[Optional(), Length(max=content.MAX_NAME)])
    hotline = StringField(_l("Hotline"), filters=[_strip], render_kw={"inputmode": "tel"},
                          validators=[Optional(), Length(max=32)])
    whatsapp = StringField(_l("WhatsApp number"), filters=[_strip],
                           render_kw={"inputmode": "tel"},
                           validators=[Optional(), Length(max=32)])
    email = StringField(_l("Email"), filters=[_strip], render_kw={"inputmode": "email"},
                        validators=[Optional(), Length(max=254)])
    address_en = _lines(_l("Address (English)"))
    address_si = _lines(_l("Address (Sinhala)"))
    address_ta = _lines(_l("Address (Tamil)"))
    hours_en = _lines(_l("Opening hours (English)"))
    hours_si = _lines(_l("Opening hours (Sinhala)"))
    hours_ta = _lines(_l("Opening hours (Tamil)"))


def actor():
    return current_user._get_current_object()


def _put_error(form, exc: DomainError) -> None:
    if exc.status in (403, 404) and exc.field is None:
        raise exc
    field = form[exc.field] if exc.field in form else next(iter(form))
    field.errors = [*field.errors, str(exc.message)]


@bp.get("/content")
@requires(Permission.MANAGE_CONTENT)
def content_list():
    pages = [(slug, content.PAGE_LABELS[slug], content.page(slug, "en"))
             for slug in content.SLUGS]
    return render("staff/content/list.html", pages=pages,
                  details=content.shop_details("en"))


@bp.route("/content/pages/<slug>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CONTENT)
def content_page_edit(slug: str):
    stored = content.page_for_editing(slug, actor=actor())  # NotFound for other slugs
    if request.method == "GET":
        form = PageForm(formdata=None, data=stored)
        return render("staff/content/page_form.html", form=form, slug=slug,
                      label=content.PAGE_LABELS[slug])
    form = PageForm()
    if form.validate():
        try:
            content.save_page(slug, form.to_input(), actor=actor())
        except DomainError as exc:
            _put_error(form, exc)
        else:
            flash(_("Page “%(title)s” saved.", title=form.title_en.data))
            return redirect_to(url_for("staff.content_list"))
    return render("staff/content/page_form.html", form=form, slug=slug,
                  label=content.PAGE_LABELS[slug], status=422)


@bp.route("/content/details", methods=["GET", "POST"])
@requires(Permission.MANAGE_CONTENT)
def content_details():
    if request.method == "GET":
        form = DetailsForm(formdata=None, data=content.details_for_editing(actor=actor()))
        return render("staff/content/details_form.html", form=form)
    form = DetailsForm()
    if form.validate():
        try:
            content.save_details({name: form[name].data for name in content.DETAIL_FIELDS},
                                 actor=actor())
        except DomainError as exc:
            _put_error(form, exc)
        else:
            flash(_("The shop's details are saved."))
            return redirect_to(url_for("staff.content_list"))
    return render("staff/content/details_form.html", form=form, status=422)
