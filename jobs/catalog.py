"""Catalog jobs. Thin: they open an app context and call a service."""

from flask import has_app_context

from jobs.context import app_context


def run_import(import_id: int) -> None:
    """Check and apply one CSV import. Safe to run twice: the service claims only a queued
    import, so a second run does nothing."""
    from app.catalog import imports

    if has_app_context():  # run in a thread of the app that queued it (no Redis)
        imports.run_import(import_id)
        return
    with app_context():
        imports.run_import(import_id)
