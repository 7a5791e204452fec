"""Printed papers of an order: the invoice the customer keeps and the packing slip that goes
in the parcel. Both are A4 PDFs in the order's language (en, si, ta).

Sinhala and Tamil need text shaping: a vowel sign such as ො is typed after its consonant
but drawn around it, and without HarfBuzz (`set_text_shaping`) it lands beside the letter.
The Noto fonts live next to this module (SIL OFL, see fonts/OFL.txt), so a new machine needs
no system font package. Text is drawn in Noto Sans; Sinhala and Tamil letters fall back to
Noto Sans Sinhala and Noto Sans Tamil (see `_Document` for the care the joiners need).

Amounts are integer cents of LKR throughout; the VAT share of a total is computed in integer
arithmetic (`vat_included_cents`).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from babel.dates import format_date, format_datetime
from flask import current_app
from flask_babel import force_locale, gettext as _
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.output import OutputProducer
from fpdf.syntax import PDFContentStream

from app.accounts.districts import district_name
from app.accounts.phones import display_phone
from app.content import services as content
from app.i18n import COLOMBO, FORMAT_LOCALES, LANGUAGES, format_lkr
from app.orders import services as orders
from app.orders.models import Order, OrderLine

FONT_DIR = Path(__file__).parent / "fonts"
LATIN, SINHALA, TAMIL = "NotoSans", "NotoSansSinhala", "NotoSansTamil"
_FAMILIES = (LATIN, SINHALA, TAMIL)

_GREY = (100, 100, 100)
_LIGHT = (235, 235, 235)


# ---- VAT -------------------------------------------------------------------------------------

def vat_included_cents(total_cents: int, percent: int) -> int:
    """The VAT inside a price that includes it: total × p / (100 + p), rounded half up, in
    integer arithmetic so no float ever touches money. Raises ValueError for a negative
    total or rate."""
    if not isinstance(total_cents, int) or not isinstance(percent, int):
        raise TypeError("money and the VAT rate are integers")
    if total_cents < 0 or percent < 0:
        raise ValueError("a total and a VAT rate are not negative")
    # round(a / b) half up for a, b >= 0 is (2a + b) // 2b.
    numerator, denominator = total_cents * percent, 100 + percent
    return (2 * numerator + denominator) // (2 * denominator)


def _vat(config) -> tuple[str, int] | None:
    """(VAT number, rate in percent) when the shop is VAT-registered, else None."""
    number = (config.get("SHOP_VAT_NUMBER") or "").strip()
    if not number:
        return None
    return number, int(config.get("SHOP_VAT_PERCENT", 18))


# ---- the two documents -----------------------------------------------------------------------

def invoice_pdf(order: Order) -> bytes:
    """The customer's invoice (a tax invoice with the VAT share when SHOP_VAT_NUMBER is set),
    in the order's language. Needs an app context."""
    config = current_app.config
    locale = _locale(order)
    shop = content.shop_details(locale)  # staff-saved, else the SHOP_* settings
    vat = _vat(config)
    with force_locale(locale):
        title = _("Tax invoice") if vat else _("Invoice")
        pdf = _Document(locale, f"{title} {order.number}", shop.name)
        _shop_header(pdf, shop, vat)
        pdf.heading(title)
        pdf.facts([(_("Invoice number"), order.number),
                   (_("Date"), _date(order.placed_at, locale)),
                   (_("Payment method"), _payment_label(order))])
        pdf.ln(3)
        pdf.label(_("Bill to"))
        visit = order.has_visit and bool(order.ship_line1)
        for text in _customer_lines(order, locale, with_address=not visit):
            pdf.line_of(text)
        if visit:
            # Where the service is done, under its own heading: the team goes there.
            pdf.ln(2)
            pdf.label(_("Delivery and service address") if order.needs_shipping
                      else _("Service at your address"))
            for text in _address_lines(order, locale):
                pdf.line_of(text)
            if order.ship_phone:
                pdf.line_of(display_phone(order.ship_phone))
        pdf.ln(4)
        _invoice_lines(pdf, order, locale)
        pdf.ln(2)
        _invoice_totals(pdf, order, locale)
        if vat:
            percent = vat[1]
            pdf.ln(1)
            pdf.line_of(_("VAT %(percent)s %% included: %(amount)s", percent=percent,
                          amount=format_lkr(vat_included_cents(order.total_cents, percent),
                                            locale)), size=9, grey=True, align="R")
        pdf.ln(8)
        pdf.line_of(_("Thank you for shopping with %(shop)s.", shop=shop.name),
                    size=9, grey=True)
    return pdf.bytes()


def packing_slip_pdf(order: Order) -> bytes:
    """What to put in the parcel: ship-to, delivery option and, per product line, the SKU and
    the units still to pack (ordered less already sent). No prices. Needs an app context."""
    locale = _locale(order)
    shop = content.shop_details(locale)
    with force_locale(locale):
        title = _("Packing slip")
        pdf = _Document(locale, f"{title} {order.number}", shop.name)
        pdf.line_of(shop.name, size=12, bold=True)
        for text in (_one_line(shop.address), shop.hotline_display):
            if text:
                pdf.line_of(text, size=9, grey=True)
        pdf.ln(2)
        pdf.heading(title)
        pdf.facts([(_("Order number"), order.number),
                   (_("Date"), _date(order.placed_at, locale)),
                   (_("Delivery"), order.delivery_name_in(locale) or _("No delivery"))])
        pdf.ln(3)
        if order.ship_line1:
            pdf.label(_("Service at") if order.has_visit and not order.needs_shipping
                      else _("Ship to and service at") if order.has_visit else _("Ship to"))
            for text in _address_lines(order, locale):
                pdf.line_of(text)
            if order.ship_phone:
                pdf.line_of(display_phone(order.ship_phone))
        elif order.needs_shipping:
            pdf.label(_("Collection from the shop"))
            pdf.line_of(order.contact_name)
            pdf.line_of(display_phone(order.contact_phone))
        pdf.ln(4)
        products = [line for line in order.lines if line.kind == "product"]
        if products:
            _packing_lines(pdf, products, locale)
        else:
            pdf.line_of(_("Nothing to pack: this order has services only."))
        services = [line for line in order.lines if line.kind == "service"]
        if services:
            pdf.ln(4)
            pdf.label(_("Services"))
            for line in services:
                pdf.line_of(_line_description(line, locale, staff=True).replace("\n", " · "))
    return pdf.bytes()


# ---- parts -----------------------------------------------------------------------------------

def _locale(order: Order) -> str:
    return order.locale if order.locale in LANGUAGES else "en"


def _date(value: dt.datetime, locale: str) -> str:
    return format_date(value.astimezone(COLOMBO), "d MMMM y", locale=FORMAT_LOCALES[locale])


def _payment_label(order: Order) -> str:
    if order.payment_method == "cod" and order.is_services_only:
        return _("Cash on the day of the booking")
    label = orders.payment_method_label(order.payment_method)
    return str(label) if label else order.payment_method


def service_place(line: OrderLine, *, staff: bool = False,
                  locale: str | None = None) -> str | None:
    """Where a service line happens, in words ("At your address", "At the shop: <address>",
    "Online"); None for products and for services ordered before orders kept the place. The
    shop's address is the one staff saved, in `locale`."""
    if line.kind != "service" or not line.service_location:
        return None
    if line.service_location == "address":
        return _("At the customer's address") if staff else _("At your address")
    if line.service_location == "online":
        return _("Online")
    return _("At the shop: %(address)s", address=content.shop_details(locale).address)


def _address_lines(order: Order, locale: str) -> list[str]:
    place = ", ".join(part for part in (
        order.ship_city, district_name(order.district, locale) if order.district else None,
        order.postal_code) if part)
    return [text for text in (order.ship_recipient, order.ship_line1, order.ship_line2, place)
            if text]


def _customer_lines(order: Order, locale: str, *, with_address: bool = True) -> list[str]:
    lines = [order.contact_name]
    if order.ship_line1 and with_address:
        address = _address_lines(order, locale)
        if address and address[0] == order.contact_name:
            address = address[1:]  # the recipient is the customer: say the name once
        lines += address
    return lines + [text for text in (display_phone(order.contact_phone), order.contact_email)
                    if text]


def _one_line(text: str | None) -> str:
    return ", ".join(part.strip().rstrip(",") for part in (text or "").splitlines()
                     if part.strip())


def _shop_header(pdf: _Document, shop, vat) -> None:
    """The shop's name, address (in the order's language), hotline and email."""
    pdf.line_of(shop.name, size=16, bold=True)
    for text in (_one_line(shop.address), shop.hotline_display, shop.email):
        if text:
            pdf.line_of(text, size=9, grey=True)
    if vat:
        pdf.line_of(_("VAT registration number: %(number)s", number=vat[0]), size=9,
                    grey=True)
    pdf.ln(4)


def _line_description(line: OrderLine, locale: str, *, staff: bool = False) -> str:
    parts = [line.name(locale)]
    if line.options_text(locale):
        parts.append(line.options_text(locale))
    if line.slot_starts_at:
        parts.append(format_datetime(line.slot_starts_at.astimezone(COLOMBO), "d MMM y, HH:mm",
                                     tzinfo=COLOMBO, locale=FORMAT_LOCALES[locale]))
    place = service_place(line, staff=staff, locale=locale)
    if place:
        parts.append(place)
    return "\n".join(parts)


def _invoice_lines(pdf: _Document, order: Order, locale: str) -> None:
    rows = [(_("Item"), _("Qty"), _("Unit price"), _("Amount"))]
    for line in order.lines:
        amount = format_lkr(line.total_cents, locale)
        discounts = [a for a in order.adjustments if a.line_id == line.id]
        for adjustment in discounts:
            amount += "\n" + adjustment.label(locale) + " − " + format_lkr(
                adjustment.amount_cents, locale)
        if line.discount_cents and not discounts:
            amount += "\n" + _("incl. discount %(amount)s",
                               amount="− " + format_lkr(line.discount_cents, locale))
        rows.append((_line_description(line, locale), str(line.quantity),
                     format_lkr(line.unit_cents, locale), amount))
    pdf.grid(rows, widths=(88, 14, 39, 39), align=("LEFT", "RIGHT", "RIGHT", "RIGHT"))


def _invoice_totals(pdf: _Document, order: Order, locale: str) -> None:
    """Subtotal, each discount by name (as it was when the order was placed), delivery and
    the total."""
    pdf.amount(_("Subtotal"), format_lkr(order.subtotal_cents, locale))
    order_discounts = order.adjustments_of("order")
    for adjustment in order_discounts:
        pdf.amount(adjustment.label(locale), "− " + format_lkr(adjustment.amount_cents, locale))
    if order.discount_cents and not order_discounts:
        pdf.amount(_("Discount"), "− " + format_lkr(order.discount_cents, locale))
    if order.needs_shipping or order.delivery_fee_cents:
        delivery_discounts = order.adjustments_of("delivery")
        pdf.amount(_("Delivery"), format_lkr(order.delivery_fee_cents
                                             + order.delivery_discount_cents, locale))
        for adjustment in delivery_discounts:
            pdf.amount(adjustment.label(locale),
                       "− " + format_lkr(adjustment.amount_cents, locale))
    pdf.amount(_("Total"), format_lkr(order.total_cents, locale), bold=True)
    # Store credit and points are tenders, not discounts: the total (and its VAT) stands.
    if order.credit_cents:
        pdf.amount(_("Paid with store credit"), "− " + format_lkr(order.credit_cents, locale))
    if order.points_cents:
        pdf.amount(_("Paid with points"), "− " + format_lkr(order.points_cents, locale))
    if order.credit_cents or order.points_cents:
        pdf.amount(_("Left to pay"), format_lkr(order.due_cents, locale))


def _packing_lines(pdf: _Document, lines: list[OrderLine], locale: str) -> None:
    rows = [(_("SKU"), _("Item"), _("Ordered"), _("To pack"))]
    for line in lines:
        rows.append((line.sku, _line_description(line, locale), str(line.quantity),
                     str(line.quantity - line.fulfilled_quantity)))
    pdf.grid(rows, widths=(38, 98, 22, 22), align=("LEFT", "LEFT", "RIGHT", "RIGHT"))


# ---- the page --------------------------------------------------------------------------------

_JOINERS = frozenset({0x200C, 0x200D})  # ZWNJ, ZWJ


class _Document(FPDF):
    """An A4 page with the three Noto families, shaping on, and a few ways to put text.

    Text is drawn in Noto Sans; Sinhala and Tamil letters fall back to their own font. The
    joiners need care: ශ්‍රී and ක්‍ෂ are written with a zero-width joiner, which Noto Sans
    also has, so it would be drawn in Noto Sans and split the Sinhala run in two, and the
    conjunct would fall apart. Noto Sans is made to forget the joiners, and a joiner then
    goes with the letters before it. Text goes through `multi_cell` (also inside tables),
    which shapes a run of one font as a whole.

    Text is always drawn as given: no markdown or HTML, so a `**` or `<b>` in a product
    name prints as typed."""

    def __init__(self, locale: str, title: str, author: str):
        # fontTools reports every table it subsets at INFO: noise in the app's JSON log.
        logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
        super().__init__(orientation="portrait", unit="mm", format="A4")
        for family in _FAMILIES:
            self.add_font(family, "", FONT_DIR / f"{family}-Regular.ttf")
            self.add_font(family, "B", FONT_DIR / f"{family}-Bold.ttf")
        for key in (LATIN.lower(), LATIN.lower() + "B"):
            for joiner in _JOINERS:
                self.fonts[key].cmap.pop(joiner, None)
        self._last_fallback: str | None = None
        # Noto Sans is in the list too: fpdf2 2.8 loses track of the page's font after a
        # line that starts in a fallback font unless the main font is a fallback as well
        # (the next line came out in the wrong font, as gibberish).
        self.set_fallback_fonts(list(_FAMILIES), exact_match=False)
        self.set_text_shaping(True)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_lang(locale)
        self.set_title(title)
        self.set_author(author)
        self.set_creator(author)
        # fpdf2 swaps the alias for the page count wherever it appears, so it must be a
        # string no shop text can hold: noncharacters, which `_clean` removes from text.
        self.alias_nb_pages(_PAGES_ALIAS)
        self.page_label = _("Page %(page)s of %(pages)s", page="{page}", pages=_PAGES_ALIAS)
        self.add_page()

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        if ord(char) in _JOINERS:
            previous = self._last_fallback
            if previous and ord(char) in self.fonts[previous].cmap:
                return previous
            return None
        self._last_fallback = super().get_fallback_font(char, style)
        return self._last_fallback

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(LATIN, "", 8)
        self.set_text_color(*_GREY)
        self.multi_cell(0, 5, self.page_label.replace("{page}", str(self.page_no())),
                        align="R")
        self.set_text_color(0)

    def line_of(self, text: str, *, size: float = 10, bold: bool = False,
                grey: bool = False, align: str = "L") -> None:
        self.set_font(LATIN, "B" if bold else "", size)
        if grey:
            self.set_text_color(*_GREY)
        self.multi_cell(0, size * 0.5, _clean(text), align=align, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        self.line_of(text, size=15, bold=True)
        self.ln(2)

    def label(self, text: str) -> None:
        self.line_of(text, size=9, bold=True, grey=True)

    def facts(self, pairs: list[tuple[str, str]]) -> None:
        """Label: value lines, the labels in one column."""
        for name, value in pairs:
            self._two(name, value, 45, self.epw - 45, ("L", "L"), bold_value=True)

    def amount(self, name: str, value: str, *, bold: bool = False) -> None:
        """One line of the totals, right-aligned under the amount column."""
        self._two(name, value, 71, 39, ("R", "R"), bold_name=bold, bold_value=bold,
                  x=self.w - self.r_margin - 110)

    def _two(self, name: str, value: str, name_width: float, value_width: float, align,
             *, bold_name: bool = False, bold_value: bool = False,
             x: float | None = None) -> None:
        """A label and its value side by side; the next line starts below the taller."""
        x = self.l_margin if x is None else x
        top = self.get_y()
        self.set_xy(x, top)
        self.set_font(LATIN, "B" if bold_name else "", 10)
        if not bold_name:
            self.set_text_color(*_GREY)
        self.multi_cell(name_width, 6, _clean(name), align=align[0], new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        below_name = self.get_y()
        self.set_text_color(0)
        self.set_xy(x + name_width, top)
        self.set_font(LATIN, "B" if bold_value else "", 10)
        self.multi_cell(value_width, 6, _clean(value), align=align[1], new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_xy(self.l_margin, max(below_name, self.get_y()))

    def grid(self, rows: list[tuple[str, ...]], *, widths, align) -> None:
        """A table whose first row is the heading."""
        self.set_font(LATIN, "", 10)
        with self.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=align,
                        borders_layout=TableBordersLayout.HORIZONTAL_LINES, line_height=5.5,
                        padding=(1.5, 1), v_align="TOP", markdown=False,
                        headings_style=FontFace(emphasis="BOLD", size_pt=9,
                                                fill_color=_LIGHT)) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_clean(value))

    def bytes(self) -> bytes:
        return bytes(self.output(output_producer_class=_Producer))


def _clean(text) -> str:
    """Printable text: no control characters (a stray tab or NUL from an import) and no
    Unicode noncharacters, which serve here as markers (the page count, `_Producer`)."""
    return "".join(char for char in str(text or "") if char == "\n" or (
        ord(char) >= 0x20 and not 0x7F <= ord(char) < 0xA0 and not _noncharacter(ord(char))))


def _noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


_PAGES_ALIAS = "\uFDD0\uFDD1"  # stands for the number of pages until the PDF is written


# ---- text that can be copied and searched ----------------------------------------------------

_NO_TEXT = 0xFFFE  # a noncharacter: never in text (see `_clean`), so safe as a marker


class _Producer(OutputProducer):
    """Writes the PDF as fpdf2 does, with one repair to the fonts' ToUnicode maps.

    After shaping, fpdf2 gives a cluster's text to its first glyph and leaves the other
    glyphs of the cluster unmapped: ො around ක is three glyphs (ෙ, ක, ා), and the last two
    would come out of a copy or a text extraction as stray control characters (`කො\\x0b\\x0c`).
    Mapping them to no text makes the copied text exactly the typed text. Drawing is
    unchanged; if a later fpdf2 no longer has these internals, this does nothing."""

    def _add_fonts(self, *args, **kwargs):
        for font in self.fpdf.fonts.values():
            subset = getattr(font, "subset", None)
            if subset is None:
                continue
            for glyph, _code in subset.items():
                if glyph is not None and glyph.unicode == ():
                    glyph.unicode = (_NO_TEXT,)
        return super()._add_fonts(*args, **kwargs)

    def _add_pdf_obj(self, pdf_obj, trace_label=None):
        if (trace_label == "fonts" and isinstance(pdf_obj, PDFContentStream)
                and pdf_obj.filter is None):
            contents = pdf_obj.content_stream()
            marker = f"> <{_NO_TEXT:04X}>\n".encode()
            if b"begincmap" in contents and marker in contents and hasattr(pdf_obj, "_contents"):
                # In place: the font object already points at this stream.
                pdf_obj._contents = contents.replace(marker, b"> <>\n")
                pdf_obj.length = len(pdf_obj._contents)
        return super()._add_pdf_obj(pdf_obj, trace_label)
