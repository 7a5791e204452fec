"""Background jobs in the back office (administrators only): the RQ queues with their counts,
the failed jobs with their error (retry, discard, and a page with the traceback), and the
outbox (its counts and the messages that gave up, which may be sent again). Without Redis the
page says jobs run in this process and shows the outbox. app.ops.jobs checks MANAGE_JOBS
again and writes the audit entries; these views render and redirect."""

from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.jobs_forms import JobActionForm
from app.errors import Conflict
from app.ops import jobs
from app.security.roles import Permission
from app.web import client_ip, redirect_to, render


def actor():
    return current_user._get_current_object()


@bp.get("/jobs")
@requires(Permission.MANAGE_JOBS)
def job_list():
    return render("staff/jobs/list.html", overview=jobs.overview(actor()),
                  form=JobActionForm())


@bp.get("/jobs/<job_id>")
@requires(Permission.MANAGE_JOBS)
def job_detail(job_id: str):
    return render("staff/jobs/detail.html", job=jobs.job(job_id, actor()),
                  form=JobActionForm())


def _act(action, done: str):
    """Run a retry or discard; a stale button (already done elsewhere) or Redis going away
    comes back to the list with the reason, an unknown job is the 404 page."""
    form = JobActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect_to(url_for("staff.job_list"))
    try:
        action(actor(), client_ip())
    except (Conflict, jobs.RedisUnavailable) as exc:
        flash(str(exc.message), "error")
    else:
        flash(done)
    return redirect_to(url_for("staff.job_list"))


@bp.post("/jobs/<job_id>/retry")
@requires(Permission.MANAGE_JOBS)
def job_retry(job_id: str):
    return _act(lambda who, ip: jobs.retry(job_id, who, ip=ip),
                _("The job is back on its queue."))


@bp.post("/jobs/<job_id>/discard")
@requires(Permission.MANAGE_JOBS)
def job_discard(job_id: str):
    return _act(lambda who, ip: jobs.discard(job_id, who, ip=ip), _("The job is discarded."))


@bp.post("/jobs/events/<int:handling_id>/retry")
@requires(Permission.MANAGE_JOBS)
def job_reaction_retry(handling_id: int):
    return _act(lambda who, ip: jobs.retry_reaction(handling_id, who, ip=ip),
                _("The reaction will run again."))


@bp.post("/jobs/outbox/<int:message_id>/retry")
@requires(Permission.MANAGE_JOBS)
def job_message_retry(message_id: int):
    return _act(lambda who, ip: jobs.retry_message(message_id, who, ip=ip),
                _("The message will be sent again."))
