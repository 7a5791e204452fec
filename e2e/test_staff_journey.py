"""A staff admin on a phone: first sign-in enrols an authenticator (TOTP), then the audit log
shows a customer's registration."""

import re

from playwright.sync_api import Page, expect

from e2e.staff import enrol_authenticator, enrolment_code, open_staff_area


def _register(page: Page, email: str) -> None:
    page.goto("/account/register")
    page.get_by_label("Full name").fill("Audited Customer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mobile number").fill("0712345678")
    page.get_by_label("Password").fill("a long audited phrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Check your email")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long audited phrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()


def test_admin_enrols_totp_and_finds_the_registration_in_the_audit_log(page: Page,
                                                                       live_server):
    email = "audited.customer@example.lk"
    _register(page, email)
    user_id = re.search(r"id (\d+)", live_server.flask("users", "show", email).stdout).group(1)

    # The demo's published password is not enough: the operator hands over a fresh code.
    code = enrolment_code(live_server.flask("users", "enrolment-code", "admin@kade.lk").stdout)
    page.goto("/staff/")
    page.get_by_label("Email").fill("admin@kade.lk")
    page.get_by_label("Password").fill("kade-demo-2026")
    page.get_by_role("button", name="Continue").click()
    enrol_authenticator(page, code)

    open_staff_area(page, "Audit log")  # the start page is a dashboard; areas are in the menu
    page.get_by_text("Filter", exact=True).click()  # the filters fold away on a phone
    page.get_by_label("Action").select_option("account.register")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("#audit-results tbody tr")
    expect(rows.filter(has_text=f"user #{user_id}")).to_have_count(1)
    expect(rows.filter(has_text=f"user #{user_id}")).to_contain_text("account.register")
