"""The phone-order desk (order managers and admins): find the caller by their mobile number or
add them, then a draft order: items from a quick search with stock shown, the address,
delivery, how it is paid (cash, transfer or a payment link), a discount with its reason, and
"Place order". Drafts wait at /staff/orders/drafts until someone finishes them.

Thin views: the draft and account services check permissions and rules (app.checkout.drafts,
app.accounts.services); placing goes through the one place-order service."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from app.accounts import addresses, services as accounts
from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.phone_orders_forms import (
    AddItemForm,
    DetailsForm,
    FindCallerForm,
    FindItemForm,
    NewCustomerForm,
    QuantityForm,
    StartDraftForm,
    as_id,
)
from app.checkout import delivery, drafts
from app.errors import DomainError, Invalid
from app.i18n import format_lkr
from app.security.roles import Permission
from app.web import redirect_to, render

# A service error's field -> the form field that shows it.
DETAIL_FIELDS = {
    "address_id": "address_choice", "name": "recipient", "recipient": "recipient",
    "phone": "address_phone", "address_phone": "address_phone", "line1": "line1",
    "city": "city", "district": "district", "postal_code": "postal_code",
    "delivery_option": "delivery_option", "payment_method": "payment_method",
    "discount": "discount_value", "discount_reason": "discount_reason", "note": "note",
    "voucher": "payment_method",
}


def actor():
    return current_user._get_current_object()


def _put_error(form, exc: DomainError, fields: dict | None = None) -> int:
    """A service error on its field; one about no field (stock ran out, the cart changed)
    is flashed above the form. A refusal is no form error."""
    if exc.status == 403 or (exc.status == 404 and exc.field is None):
        raise exc
    name = (fields or {}).get(exc.field, exc.field)
    if name and name in form:
        form[name].errors = [*form[name].errors, str(exc.message)]
    else:
        flash(str(exc.message), "error")
    return 409 if exc.status == 409 else 422


# ---- finding the caller ------------------------------------------------------------------------

@bp.get("/orders/new")
@requires(Permission.MANAGE_ORDERS)
def order_new():
    find = FindCallerForm(request.args)
    found, status = None, 200
    new_customer = NewCustomerForm(formdata=None)
    if request.args.get("phone") is not None:
        if find.validate():
            try:
                found = accounts.customers_by_phone(find.phone.data, actor=actor())
            except Invalid as exc:
                status = _put_error(find, exc)
            else:
                new_customer.phone.data = find.phone.data
        else:
            status = 422
    return render("staff/orders/new.html", "staff/orders/_callers.html", find=find,
                  found=found, new_customer=new_customer, start=StartDraftForm(formdata=None),
                  drafts_open=drafts.count_open(actor=actor()), status=status)


@bp.post("/orders/customers")
@requires(Permission.MANAGE_ORDERS)
def order_new_customer():
    form = NewCustomerForm()
    status = 422
    if form.validate_on_submit():
        try:
            customer = accounts.create_customer(
                name=form.name.data, phone=form.phone.data, email=form.email.data,
                locale=form.locale.data, actor=actor())
        except Invalid as exc:
            status = _put_error(form, exc)
        else:
            draft = drafts.start(actor=actor(), customer_id=customer.id)
            flash(_("%(name)s has an account now. Add what they order.", name=customer.name))
            return redirect_to(url_for("staff.order_draft", draft_id=draft.id))
    find = FindCallerForm(formdata=None)
    find.phone.data = form.phone.data
    return render("staff/orders/new.html", find=find, found=None, new_customer=form,
                  start=StartDraftForm(formdata=None),
                  drafts_open=drafts.count_open(actor=actor()), status=status)


@bp.post("/orders/drafts")
@requires(Permission.MANAGE_ORDERS)
def order_draft_start():
    form = StartDraftForm()
    customer_id = as_id(form.customer_id.data)
    if not form.validate_on_submit() or customer_id is None:
        flash(_("Choose the customer again."), "error")
        return redirect_to(url_for("staff.order_new"))
    draft = drafts.start(actor=actor(), customer_id=customer_id)
    return redirect_to(url_for("staff.order_draft", draft_id=draft.id))


@bp.get("/orders/drafts")
@requires(Permission.MANAGE_ORDERS)
def order_drafts():
    rows = [{"draft": d, "customer": drafts.customer_of(d),
             "priced": drafts.quote(d)} for d in drafts.open_drafts(actor=actor())]
    return render("staff/orders/drafts.html", rows=rows)


# ---- one draft ---------------------------------------------------------------------------------

def _delivery_choices(district: str | None) -> list[SelectChoice]:
    return [SelectChoice(o.code, f"{o.name('en')} ({format_lkr(o.fee_cents)})")
            for o in delivery.options_for(district)]


def _details_form(draft, *, formdata=None) -> DetailsForm:
    customer = drafts.customer_of(draft)
    saved = addresses.list_addresses(customer.id) if customer else []
    chosen = drafts.details(draft)
    district = drafts.district_of(draft, chosen)
    if formdata is not None:
        district = formdata.get("district") or district
        choice = as_id(formdata.get("address_choice"))
        if choice is not None:
            district = next((a.district for a in saved if a.id == choice), district)
    form = DetailsForm(formdata=formdata, saved_addresses=saved,
                       delivery_options=_delivery_choices(district))
    if formdata is None:
        form.fill_from(chosen)
        if form.address_choice.data is None and saved:
            form.address_choice.data = str(saved[0].id)
        elif form.address_choice.data is None:
            form.address_choice.data = "new"
    return form


def _draft_page(draft, *, details=None, quantity_errors=None, find=None, found=None,
                fragment: str | None = None, status: int = 200):
    """The draft's page; with `fragment`, only that part for an htmx request."""
    return render("staff/orders/draft.html", fragment, draft=draft,
                  customer=drafts.customer_of(draft), priced=drafts.quote(draft),
                  details=details or _details_form(draft), add=AddItemForm(formdata=None),
                  find=find or FindItemForm(request.args), found=found,
                  quantity_errors=quantity_errors or {},
                  may_discount=drafts.may_discount(actor()), draft_id=draft.id, status=status)


@bp.get("/orders/drafts/<int:draft_id>")
@requires(Permission.MANAGE_ORDERS)
def order_draft(draft_id: int):
    draft = drafts.get(draft_id, actor=actor())
    find = FindItemForm(request.args)
    found = None
    if find.q.data and find.validate():
        found = drafts.find_items(find.q.data, actor=actor())
    return _draft_page(draft, found=found)


@bp.get("/orders/drafts/<int:draft_id>/items")
@requires(Permission.MANAGE_ORDERS)
def order_draft_find(draft_id: int):
    """The quick search's results (htmx), or the draft page with them (no JavaScript)."""
    draft = drafts.get(draft_id, actor=actor())
    find = FindItemForm(request.args)
    found = (drafts.find_items(find.q.data, actor=actor())
             if find.validate() and find.q.data else [])
    return _draft_page(draft, find=find, found=found, fragment="staff/orders/_draft_found.html")


@bp.post("/orders/drafts/<int:draft_id>/items")
@requires(Permission.MANAGE_ORDERS)
def order_draft_add(draft_id: int):
    draft = drafts.get(draft_id, actor=actor())
    form = AddItemForm()
    if form.validate_on_submit():
        try:
            drafts.add_item(draft.id, form.variant_id.data, form.quantity.data,
                            slot_id=form.slot_id.data, actor=actor())
        except DomainError as exc:
            if exc.status == 403:
                raise
            flash(str(exc.message), "error")
        return redirect_to(url_for("staff.order_draft", draft_id=draft.id) + "#draft-lines")
    flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect_to(url_for("staff.order_draft", draft_id=draft.id) + "#draft-lines")


@bp.post("/orders/drafts/<int:draft_id>/lines/<int:line_id>")
@requires(Permission.MANAGE_ORDERS)
def order_draft_quantity(draft_id: int, line_id: int):
    draft = drafts.get(draft_id, actor=actor())
    form = QuantityForm()
    if form.validate_on_submit():
        try:
            if form.quantity.data == 0:
                drafts.remove_line(draft.id, line_id, actor=actor())
            else:
                drafts.set_quantity(draft.id, line_id, form.quantity.data, actor=actor())
        except DomainError as exc:
            if exc.status == 403:
                raise
            return _draft_page(draft, quantity_errors={line_id: str(exc.message)},
                               status=409 if exc.status == 409 else 422)
        return redirect_to(url_for("staff.order_draft", draft_id=draft.id) + "#draft-lines")
    errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return _draft_page(draft, quantity_errors={line_id: errors}, status=422)


@bp.post("/orders/drafts/<int:draft_id>/details")
@requires(Permission.MANAGE_ORDERS)
def order_draft_details(draft_id: int):
    """Save the details; with the "place" button, place the order too."""
    draft = drafts.get(draft_id, actor=actor())
    form = _details_form(draft, formdata=request.form)
    placing = request.form.get("action") == "place"
    if not form.validate_on_submit():
        return _draft_page(draft, details=form, status=422)
    try:
        drafts.save_details(draft.id, form.to_details(), actor=actor())
        if placing:
            order = drafts.place(draft.id, actor=actor())
    except DomainError as exc:
        return _draft_page(draft, details=form, status=_put_error(form, exc, DETAIL_FIELDS))
    if not placing:
        flash(_("Draft saved. It holds no stock until the order is placed."))
        return redirect_to(url_for("staff.order_draft", draft_id=draft.id))
    flash(_("Order %(number)s placed.", number=order.number))
    return redirect_to(url_for("staff.order_detail", number=order.number))


@bp.post("/orders/drafts/<int:draft_id>/discard")
@requires(Permission.MANAGE_ORDERS)
def order_draft_discard(draft_id: int):
    drafts.discard(draft_id, actor=actor())
    flash(_("Draft discarded."))
    return redirect_to(url_for("staff.order_drafts"))

