"""An administrator on a phone: the backups page says there is no backup yet, "Back up now"
takes one (jobs run in the web process in the embedded default), and the page then shows it
as up to date."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.staff import sign_in_new_staff


def test_an_administrator_takes_a_backup_from_the_back_office(page: Page, live_server):
    sign_in_new_staff(page, live_server, email="ops@kade.lk", role="admin",
                      name="Ops Admin", password="correct horse battery")

    page.goto(f"{live_server.url}/staff/backups")
    expect(page.get_by_role("heading", name="Backups", exact=True)).to_be_visible()
    page.get_by_role("button", name="Back up now").click()
    expect(page.get_by_text("A backup has been queued.")).to_be_visible()

    for _ in range(20):  # the job runs in a thread of the server: reload until it is done
        page.reload()
        if page.get_by_text("Backups are up to date").is_visible():
            break
        page.wait_for_timeout(250)
    expect(page.get_by_text("Backups are up to date")).to_be_visible()
    expect(page.locator("code", has_text="Z-sqlite-snapshot-").first).to_be_visible()
    expect(page.get_by_text("Done").first).to_be_visible()
