"""A staff member's own security page: when they enrolled their authenticator, where they
are signed in, and "sign out everywhere" (a lost phone, a shared counter computer)."""

from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import sessions, signin
from app.backoffice import bp
from app.backoffice.guards import staff_required
from app.web import client_ip, redirect_to, render


@bp.get("/security")
@staff_required
def security():
    return render("staff/security.html", live=sessions.live_sessions(current_user.id),
                  this_session=sessions.key_hash(current_user.session_key),
                  apps=sessions.live_token_families(current_user.id))


@bp.post("/security/end-all")
@staff_required
def sign_out_everywhere():
    sessions.sign_out_everywhere(current_user.id, ip=client_ip())
    signin.sign_out()
    flash(_("You are signed out everywhere, on this device too."))
    return redirect_to(url_for("staff.login"))
