"""Staff sign-in: the password, then a code from the authenticator app (enrolling it the
first time). Between the two steps nobody is signed in: the session holds only a pending
marker (user id, session version, expiry), so a password alone never opens a staff page."""

from __future__ import annotations

from flask import flash, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.accounts import services as accounts, sessions, signin, staff
from app.accounts.errors import AccountLocked, InvalidCode, InvalidCredentials
from app.accounts.models import User
from app.backoffice import bp
from app.backoffice.forms import CodeForm, EnrolmentCodeForm, StaffLoginForm
from app.backoffice.guards import mark_verified, public, staff_verified
from app.db import utcnow
from app.extensions import AUTH_LIMIT, limiter
from app.web import client_ip, fresh_session, redirect_to, render, safe_next, with_retry_after

PENDING_KEY = "staff_pending"
PENDING_SECONDS = 5 * 60


def _now() -> int:
    return int(utcnow().timestamp())


def _start_pending(user: User, next_url: str) -> None:
    fresh_session()
    session[PENDING_KEY] = {"user": user.id, "version": user.session_version,
                            "until": _now() + PENDING_SECONDS, "next": next_url}


def _mark_pending(**changes) -> None:
    session[PENDING_KEY] = {**session[PENDING_KEY], **changes}


def _pending() -> tuple[User | None, dict | None]:
    """The user half-way through signing in, or None. Expired or stale markers are dropped;
    the second value tells the caller the marker had expired."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None, None
    if marker.get("until", 0) < _now():
        session.pop(PENDING_KEY, None)
        return None, marker
    # The same check as a signed-in session: active, and no password change since step one.
    user = accounts.active_user(marker.get("user"), marker.get("version"))
    if user is None or not user.is_staff:
        session.pop(PENDING_KEY, None)
        return None, None
    return user, marker


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    if staff_verified():
        return redirect_to(url_for("staff.home"))
    form = StaffLoginForm()
    status, retry_after = (422 if form.is_submitted() else 200), None
    if form.validate_on_submit():
        try:
            user = _step(form.password, staff.authenticate_staff, form.email.data,
                         form.password.data)
        except _Refused as refused:
            status, retry_after = refused.status, refused.retry_after
        else:
            _start_pending(user, safe_next(request.args.get("next"), url_for("staff.home")))
            step = "staff.login_code" if user.totp_enrolled_at else "staff.login_enrol"
            return redirect_to(url_for(step))
    return with_retry_after(render("staff/login.html", form=form, status=status), retry_after)


class _Refused(Exception):
    """A sign-in step said no; its message is on the form's field already."""

    def __init__(self, status: int, retry_after: int | None = None):
        self.status, self.retry_after = status, retry_after


def _step(field, check, *args):
    """Run one sign-in step's service. A wrong password or code, or the lock, goes onto
    `field` and raises _Refused with the page's status (429 with Retry-After when locked)."""
    try:
        return check(*args, ip=client_ip())
    except AccountLocked as exc:
        field.errors = [str(exc.message)]
        raise _Refused(429, exc.retry_after) from exc
    except (InvalidCredentials, InvalidCode) as exc:
        field.errors = [str(exc.message)]
        raise _Refused(422) from exc


def _back_to_start(marker):
    if marker is not None:
        flash(_("Signing in took too long. Please start again."), "info")
    return redirect_to(url_for("staff.login"))


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login_enrol():
    """First sign-in, between the password and the authenticator: the one-time enrolment
    code given with the account. Only then is an authenticator secret shown."""
    user, marker = _pending()
    if user is None:
        return _back_to_start(marker)
    if user.totp_enrolled_at is not None:
        return redirect_to(url_for("staff.login_code"))
    form = EnrolmentCodeForm()
    status, retry_after = (422 if form.is_submitted() else 200), None
    if form.validate_on_submit():
        try:
            _step(form.enrolment_code, staff.start_totp_enrolment, user.id,
                  form.enrolment_code.data)
        except _Refused as refused:
            status, retry_after = refused.status, refused.retry_after
        else:
            _mark_pending(enrol=True)
            return redirect_to(url_for("staff.login_code"))
    return with_retry_after(render("staff/login_enrol.html", form=form, status=status),
                            retry_after)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login_code():
    user, marker = _pending()
    if user is None:
        return _back_to_start(marker)
    enrolling = user.totp_enrolled_at is None
    if enrolling and not (marker.get("enrol") and user.totp_secret):
        return redirect_to(url_for("staff.login_enrol"))
    form = CodeForm()
    status, retry_after = (422 if form.is_submitted() else 200), None
    if form.validate_on_submit():
        check = staff.confirm_totp_enrolment if enrolling else staff.verify_totp
        try:
            user = _step(form.code, check, user.id, form.code.data)
        except _Refused as refused:
            status, retry_after = refused.status, refused.retry_after
        else:
            signin.sign_in(user, kind=sessions.STAFF)
            mark_verified(user)
            if enrolling:
                flash(_("Your authenticator app is set up. Use it every time you sign in."))
            return redirect_to(marker["next"])
    context = {}
    if enrolling:
        # The secret the enrolment code opened: the same until confirmed.
        # segno builds the SVG from our own URI; nothing in it comes from page input.
        context = {"secret": user.totp_secret,
                   "qr": Markup(staff.qr_svg(staff.provisioning_uri(user)))}  # noqa: S704
    response = render("staff/login_code.html", form=form, enrolling=enrolling, status=status,
                      **context)
    return with_retry_after(response, retry_after)


@bp.post("/logout")
@public
def logout():
    signin.sign_out()
    flash(_("You are signed out."))
    return redirect_to(url_for("staff.login"))
