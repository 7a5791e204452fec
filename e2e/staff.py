"""Staff in the browser: a new staff member made with the CLI signs in, gives the enrolment
code the command printed, and enrols TOTP."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Page, expect

# A second browser context for the staff side of a journey, on a phone like the shopper's.
STAFF_CONTEXT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                 "has_touch": True}


def enrolment_code(command_output: str) -> str:
    """The one-time code `flask users create-staff` or `enrolment-code` printed."""
    found = re.search(r"enrolment code: ([A-Z0-9-]+)", command_output)
    assert found, f"no enrolment code in:\n{command_output}"
    return found.group(1)


def enrol_authenticator(page: Page, code: str) -> None:
    """On the enrolment-code step of a first sign-in: the code, then the authenticator."""
    page.get_by_label("Enrolment code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    secret = page.get_by_label("Setup key").input_value().strip()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Finish setup").click()


def sign_in_new_staff(page: Page, live_server, *, email: str, role: str, name: str,
                      password: str) -> None:
    created = live_server.flask("users", "create-staff", email, "--role", role, "--name", name,
                                "--password", password)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your enrolment code")).to_be_visible()
    enrol_authenticator(page, enrolment_code(created.stdout))
    expect(page.get_by_role("heading", name="Back office")).to_be_visible()


def open_staff_area(page: Page, name: str) -> None:
    """Go to a back-office area from its menu, unfolding the menu first on a phone."""
    menu = page.get_by_role("navigation", name="Back office")
    folded = menu.locator("details.staff-menu")
    if folded.is_visible() and folded.get_attribute("open") is None:
        menu.locator("summary").click()
    menu.get_by_role("link", name=name, exact=True).click()
