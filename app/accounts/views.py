"""Customer account pages. Thin: parse the form, call a service, render or redirect."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts import addresses, privacy, services as accounts, sessions, signin
from app.accounts.errors import AccountLocked, InvalidCredentials, InvalidToken
from app.accounts.forms import (
    AddressForm,
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.accounts.phones import display_phone
from app.errors import Conflict, DomainError
from app.extensions import AUTH_LIMIT, limiter
from app.web import (
    client_ip,
    form_status,
    put_error,
    redirect_to,
    render,
    safe_next,
    with_retry_after,
)

bp = Blueprint("accounts", __name__, url_prefix="/account")

CHECK_YOUR_EMAIL = _l("Thank you! Check your email: we sent you a message to finish "
                      "registering. Then sign in here.")



def _start_session(user, remember: bool = False) -> None:
    signin.sign_in(user, kind=sessions.CUSTOMER, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect_to(url_for("accounts.profile"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register(**form.data_for_service(), locale=session.get("locale", "en"),
                              ip=client_ip())
        except DomainError as exc:
            put_error(form, exc, "email")
        else:
            # The same answer, and no session, whether the email was new or already had an
            # account (its owner got a mail about it): the page tells nobody who is a customer.
            flash(CHECK_YOUR_EMAIL)
            return redirect_to(url_for("accounts.login"))
    return render("accounts/register.html", form=form, status=form_status(form))


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        accounts.verify_email(token)
    except InvalidToken as exc:
        return render("accounts/message.html", title=_("Verification link"),
                      message=exc.message, status=400)
    flash(_("Your email is verified. Thank you!"))
    target = "accounts.profile" if current_user.is_authenticated else "accounts.login"
    return redirect_to(url_for(target))


@bp.post("/verify/resend")
@login_required
@limiter.limit("3 per minute")
def resend_verification():
    accounts.resend_verification(current_user.id)
    flash(_("We sent a new verification link."))
    return redirect_to(url_for("accounts.profile"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect_to(url_for("accounts.profile"))
    form = LoginForm()
    status = form_status(form)
    retry_after = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, ip=client_ip())
        except AccountLocked as exc:
            form.password.errors = [str(exc.message)]
            status, retry_after = 429, exc.retry_after
        except InvalidCredentials as exc:
            form.password.errors = [str(exc.message)]
            status = 401
        else:
            if user.is_staff:
                form.email.errors = [_("Staff sign in at the back office.")]
                status = 403
            else:
                _start_session(user, remember=form.remember.data)
                return redirect_to(safe_next(request.args.get("next"),
                                             url_for("accounts.profile")))
    return with_retry_after(render("accounts/login.html", form=form, status=status),
                            retry_after)


@bp.post("/logout")
def logout():
    signin.sign_out()
    flash(_("You are signed out."))
    return redirect_to(url_for("pages.home"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, ip=client_ip())
        # The same answer whether or not the account exists.
        flash(_("If an account uses that email, we sent it a link to choose a new password."))
        return redirect_to(url_for("accounts.login"))
    return render("accounts/forgot.html", form=form, status=form_status(form))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_password(token: str):
    try:
        accounts.check_reset_token(token)
    except InvalidToken as exc:
        return render("accounts/message.html", title=_("Choose a new password"),
                      message=exc.message, status=400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, ip=client_ip())
        except DomainError as exc:
            put_error(form, exc, "password")
        else:
            signin.sign_out()
            flash(_("Your password is changed. Sign in with the new one."))
            return redirect_to(url_for("accounts.login"))
    return render("accounts/reset.html", form=form, status=form_status(form))


@bp.route("", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=None if request.method == "POST" else current_user)
    if request.method == "GET":
        form.phone.data = display_phone(current_user.phone)
    if form.validate_on_submit():
        accounts.update_profile(current_user.id, name=form.name.data, phone=form.phone.e164)
        flash(_("Your details are saved."))
        return redirect_to(url_for("accounts.profile"))
    return render("accounts/profile.html", form=form, status=form_status(form),
                  browsers=len(sessions.live_sessions(current_user.id)),
                  apps=sessions.live_token_families(current_user.id))


@bp.post("/sessions/end-all")
@login_required
def sign_out_everywhere():
    """Every browser and app signed in to this account signs in again, this one too: for a
    lost phone or a shared computer."""
    sessions.sign_out_everywhere(current_user.id, ip=client_ip())
    signin.sign_out()
    flash(_("You are signed out everywhere, on this device too."))
    return redirect_to(url_for("accounts.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    status, retry_after = form_status(form), None
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user.id, form.current_password.data,
                                            form.password.data, ip=client_ip())
        except InvalidCredentials:
            form.current_password.errors = [_("That is not your current password.")]
        except AccountLocked as exc:
            form.current_password.errors = [str(exc.message)]
            status, retry_after = 429, exc.retry_after
        except DomainError as exc:
            put_error(form, exc, "password")
        else:
            _start_session(user)  # this device stays signed in; the others are signed out
            flash(_("Your password is changed. Other devices are signed out."))
            return redirect_to(url_for("accounts.profile"))
    return with_retry_after(render("accounts/change_password.html", form=form, status=status),
                            retry_after)


@bp.get("/addresses")
@login_required
def address_list():
    return render("accounts/addresses.html",
                  addresses=addresses.list_addresses(current_user.id))


def _address_form_page(form, address=None):
    if form.validate_on_submit():
        data = addresses.AddressInput(**form.data_for_service())
        try:
            if address is None:
                addresses.add_address(current_user.id, data)
                flash(_("Address added."))
            else:
                addresses.update_address(current_user.id, address.id, data)
                flash(_("Address saved."))
        except DomainError as exc:
            put_error(form, exc, "line1")
        else:
            return redirect_to(url_for("accounts.address_list"))
    return render("accounts/address_form.html", form=form, address=address,
                  status=form_status(form))


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def address_new():
    return _address_form_page(AddressForm())


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def address_edit(address_id: int):
    address = addresses.get_address(current_user.id, address_id)  # NotFound -> 404 page
    form = AddressForm(obj=None if request.method == "POST" else address)
    if request.method == "GET":
        form.phone.data = display_phone(address.phone)
    return _address_form_page(form, address)


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def address_delete(address_id: int):
    addresses.delete_address(current_user.id, address_id)
    flash(_("Address removed."))
    return redirect_to(url_for("accounts.address_list"))


@bp.get("/privacy")
@login_required
def privacy_page():
    return render("accounts/privacy.html")


@bp.get("/export")
@login_required
def export_data():
    data = privacy.export_data(current_user.id)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="kade-my-data.json"',
        "Cache-Control": "no-store"})


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def delete_account():
    form = DeleteAccountForm()
    status, retry_after = form_status(form), None
    if form.validate_on_submit():
        try:
            privacy.erase_account(current_user.id, password=form.password.data,
                                  ip=client_ip())
        except InvalidCredentials:
            form.password.errors = [_("That is not your password.")]
        except AccountLocked as exc:
            form.password.errors = [str(exc.message)]
            status, retry_after = 429, exc.retry_after
        except Conflict as refusal:  # an order still on its way
            flash(str(refusal.message), "error")
        else:
            signin.sign_out()
            flash(_("Your account and personal data are erased."))
            return redirect_to(url_for("pages.home"))
    return with_retry_after(render("accounts/delete.html", form=form, status=status),
                            retry_after)

