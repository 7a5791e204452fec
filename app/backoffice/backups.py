"""Backups in the back office (administrators): how old the recovery point is, the recent
runs with their errors, the backups stored, and a button to take one now. Restores are a
command-line job (docs/RECOVERY.md): the web processes are stopped while one runs."""

from __future__ import annotations

import datetime as dt

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.jobs_forms import JobActionForm
from app.ops.backups import staff as backups
from app.security.roles import Permission
from app.web import client_ip, redirect_to, render


@bp.get("/backups")
@requires(Permission.MANAGE_JOBS)
def backup_list():
    overview = backups.overview(current_user)
    status = overview["status"]
    return render("staff/backups.html", overview=overview, freshness=status,
                  age=_span(status["age_seconds"]),
                  recovery_age=_span(status["recovery_point_age_seconds"]),
                  wal_age=_span((status["archive"] or {}).get("age_seconds")),
                  limit=_span(status["max_age_seconds"]), form=JobActionForm())


def _span(seconds: float | None) -> dt.timedelta | None:
    return None if seconds is None else dt.timedelta(seconds=seconds)


@bp.post("/backups")
@requires(Permission.MANAGE_JOBS)
def backup_now():
    if not JobActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        backups.request_backup(current_user._get_current_object(), ip=client_ip())
        flash(_("A backup has been queued. Reload this page in a minute to see it."))
    return redirect_to(url_for("staff.backup_list"))
