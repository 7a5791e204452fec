"""Staff members: list, add, change a role, deactivate. The services check MANAGE_STAFF and
write the audit entries; these views parse and render."""

from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import staff
from app.backoffice import bp
from app.backoffice.forms import RoleForm, StaffCreateForm
from app.backoffice.guards import requires
from app.errors import DomainError
from app.security.roles import Permission
from app.web import client_ip, put_error, redirect_to, render


def _actor():
    return current_user._get_current_object()


@bp.get("/users")
@requires(Permission.MANAGE_STAFF)
def user_list():
    return render("staff/users.html", members=staff.list_staff(actor=_actor()))


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def user_new():
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            invite = staff.create_staff(email=form.email.data, name=form.name.data,
                                        role=form.role.data, password=form.password.data,
                                        actor=_actor(), ip=client_ip())
        except DomainError as exc:
            put_error(form, exc, "email")
        else:
            # Shown on this answer only (no redirect): the code is not kept anywhere.
            return _detail_page(invite.user, enrolment_code=invite.enrolment_code, status=201)
    return render("staff/user_new.html", form=form,
                  status=422 if form.is_submitted() else 200)


def _detail_page(member, role_form=None, status=200, enrolment_code=None):
    if role_form is None:
        role_form = RoleForm(formdata=None, role=member.role)
    return render("staff/user_detail.html", member=member, role_form=role_form, status=status,
                  enrolment_code=enrolment_code)


@bp.get("/users/<int:user_id>")
@requires(Permission.MANAGE_STAFF)
def user_detail(user_id: int):
    return _detail_page(staff.get_staff(user_id, actor=_actor()))


@bp.post("/users/<int:user_id>/role")
@requires(Permission.MANAGE_STAFF)
def user_change_role(user_id: int):
    member = staff.get_staff(user_id, actor=_actor())
    form = RoleForm()
    if form.validate_on_submit():
        try:
            staff.change_role(member.id, form.role.data, actor=_actor(), ip=client_ip())
        except DomainError as exc:
            if exc.status != 422:
                raise  # Forbidden, NotFound: the error page says it
            put_error(form, exc, "role")
        else:
            flash(_("Role changed."))
            return redirect_to(url_for("staff.user_detail", user_id=member.id))
    return _detail_page(member, form, status=422)


@bp.post("/users/<int:user_id>/deactivate")
@requires(Permission.MANAGE_STAFF)
def user_deactivate(user_id: int):
    # The CSRF check ran before the view (CSRFProtect); there is nothing else to parse.
    staff.deactivate_staff(user_id, actor=_actor(), ip=client_ip())
    flash(_("Account deactivated. Its sessions have ended."))
    return redirect_to(url_for("staff.user_detail", user_id=user_id))


@bp.post("/users/<int:user_id>/reactivate")
@requires(Permission.MANAGE_STAFF)
def user_reactivate(user_id: int):
    staff.reactivate_staff(user_id, actor=_actor(), ip=client_ip())
    flash(_("Account active again."))
    return redirect_to(url_for("staff.user_detail", user_id=user_id))


@bp.post("/users/<int:user_id>/reset-authenticator")
@requires(Permission.MANAGE_STAFF)
def user_reset_totp(user_id: int):
    code = staff.reset_totp(user_id, actor=_actor(), ip=client_ip())
    return _detail_page(staff.get_staff(user_id, actor=_actor()), enrolment_code=code)


@bp.post("/users/<int:user_id>/enrolment-code")
@requires(Permission.MANAGE_STAFF)
def user_enrolment_code(user_id: int):
    """A new one-time enrolment code for someone who has not set up an authenticator yet."""
    code = staff.issue_enrolment_code(user_id, actor=_actor(), ip=client_ip())
    return _detail_page(staff.get_staff(user_id, actor=_actor()), enrolment_code=code)
