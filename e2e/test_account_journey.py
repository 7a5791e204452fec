"""A new customer on a phone: register, verify by mail, sign in, add an address, switch to
Sinhala, sign out."""

from playwright.sync_api import Page, expect

from e2e.mail import first_link, wait_for_mail


def test_register_verify_sign_in_add_address_switch_language(page: Page, live_server):
    email = "journey.customer@example.lk"
    password = "a long journey phrase"

    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Full name").fill("Journey Customer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mobile number").fill("077 555 1234")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    # The same answer whether or not the email had an account; then the person signs in.
    expect(page.get_by_role("status")).to_contain_text("Check your email")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Your email is not verified yet")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    link = first_link(wait_for_mail(live_server.outbox_dir, email, "verify"))
    page.goto(link)
    expect(page.get_by_role("status")).to_contain_text("Your email is verified")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_text("Your email is not verified yet")).to_have_count(0)

    page.get_by_role("link", name="Addresses").click()
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Recipient's name").fill("Journey Customer")
    page.get_by_label("Recipient's mobile number").fill("0775551234")
    page.get_by_label("Address line 1").fill("21 Lighthouse Street")
    page.get_by_label("City or town").fill("Galle Fort")
    page.get_by_label("District").select_option(label="Galle")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_role("status")).to_contain_text("Address added.")
    expect(page.locator("#addresses")).to_contain_text("21 Lighthouse Street")

    page.get_by_role("button", name="සිංහල").click()
    expect(page.locator("html")).to_have_attribute("lang", "si")
    expect(page.get_by_role("link", name="මගේ ගිණුම")).to_be_visible()
    page.get_by_role("button", name="ඉවත් වන්න").click()
    expect(page.get_by_role("link", name="පිවිසෙන්න")).to_be_visible()


def test_phone_layout_has_no_horizontal_scroll(page: Page, live_server):
    for path in ["/", "/account/register", "/account/login", "/nowhere"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px phone"


def test_a_wrong_password_shows_its_message(page: Page, live_server):
    page.goto("/account/login")
    page.get_by_label("Email").fill("sarah@example.lk")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_text("Email or password is not right.")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
