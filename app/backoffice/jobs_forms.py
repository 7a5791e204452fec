"""The back-office jobs page's buttons (retry, discard, send again): a form with nothing but
its CSRF token, so each button is a plain POST that works without JavaScript."""

from __future__ import annotations

from app.forms import Form


class JobActionForm(Form):
    """Retry or discard a failed job, or send a failed message again."""
