"""Cash on delivery on a phone: a guest places an order paid at the door; staff find its
payment on /staff/payments and mark the cash collected; the guest's order shows it paid."""


from playwright.sync_api import Page, expect

from e2e.mail import first_link, wait_for_mail
from e2e.shopper import Guest, place_cod_order
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff

EMAIL = "kamal.cod@example.lk"
GUEST = Guest("Kamal Silva", EMAIL, "077 765 4321", "22 Lighthouse Street", "Galle", "Galle")
STAFF_EMAIL = "amaya.payments@kade.lk"
STAFF_PASSWORD = "coins in a clay till"  # noqa: S105 — a test login



def test_staff_mark_a_cash_on_delivery_order_collected_and_it_shows_paid(page: Page,
                                                                          live_server):
    number = place_cod_order(page, GUEST)
    expect(page.locator("#order-status")).to_have_text("Confirmed")
    expect(page.get_by_text("Cash on delivery · Paid")).to_have_count(0)
    order_link = first_link(wait_for_mail(live_server.outbox_dir, EMAIL, "order"))

    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Amaya Payments", password=STAFF_PASSWORD)
        open_staff_area(staff_page, "Payments")  # on a phone the areas fold into one menu
        expect(staff_page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
        staff_page.get_by_label("Order number").fill(number)
        staff_page.get_by_role("button", name="Search").click()
        staff_page.get_by_role("link", name=number).click()

        expect(staff_page.get_by_role("heading", name=f"Payment for {number}")).to_be_visible()
        expect(staff_page.locator("#payment-status")).to_have_text("Started")
        collected = staff_page.get_by_label("Cash collected (rupees)")
        expect(collected).not_to_have_value("")  # the order's total, ready to confirm
        staff_page.get_by_role("button", name="Mark cash collected").click()

        expect(staff_page.get_by_text(f"Cash collected: order {number} is paid.")).to_be_visible()
        expect(staff_page.locator("#payment-status")).to_have_text("Paid")
        expect(staff_page.locator("#history")).to_contain_text("Money received")
        expect(staff_page.get_by_role("button", name="Mark cash collected")).to_have_count(0)
    finally:
        staff.close()

    page.goto(order_link)
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_text("Cash on delivery · Paid")).to_be_visible()
