"""The audit log viewer: who did what, when, from where. Ids and field names only."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from app.audit import services as audit
from app.backoffice import bp
from app.backoffice.forms import AuditFilterForm
from app.backoffice.guards import requires
from app.security.roles import Permission
from app.web import render

MAX_PAGE = 100_000


@bp.get("/audit")
@requires(Permission.READ_AUDIT_LOG)
def audit_log():
    form = AuditFilterForm(request.args, actions=audit.actions())
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    if not form.validate():
        return render("staff/audit.html", "staff/_audit_results.html", form=form, result=None,
                      filter_args=filter_args, status=422)
    # Bounded, so a silly page number is an empty page, not a database overflow.
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    result = audit.search(current_user.role, form.to_filter(), page=page)
    return render("staff/audit.html", "staff/_audit_results.html", form=form, result=result,
                  filter_args=filter_args)
