"""Low-stock alerts: one mail per shortage to each staff member who looks after stock."""

from __future__ import annotations

import pytest

from app.accounts import staff
from app.inventory import alerts, services as inventory
from jobs.inventory import alert_low_stock as alert_job
from tests.checkout.factories import stocked
from tests.factories import make_staff


@pytest.fixture()
def team(db_session):
    """Who works at the shop: three roles that manage stock, one that does not, and a
    stock manager who has left."""
    people = {role: make_staff(role) for role in
              ("admin", "catalog_manager", "order_manager", "support_agent")}
    people["left"] = make_staff("order_manager")
    staff.deactivate_staff(people["left"].id, actor=None)
    return people


def low_stock_mails(outbox, user):
    return outbox.to(user.email, "low_stock")


def run_low(variant, *, threshold: int, available: int):
    """Set a threshold and bring the stock to `available` units."""
    inventory.set_threshold(variant.id, threshold)
    level = inventory.set_on_hand(variant.id, available)
    assert level.available == available
    return level


def test_a_level_at_its_threshold_mails_each_inventory_manager_once(team, outbox):
    tea = stocked("Ceylon tea", units=10, sku="TEA-250")
    run_low(tea, threshold=5, available=5)  # at the threshold counts

    assert alerts.alert_low_stock() == 1

    for role in ("admin", "catalog_manager", "order_manager"):
        [mail] = low_stock_mails(outbox, team[role])
        text = outbox.text(mail)
        assert "Low stock: 1 item" in mail["Subject"]
        assert "TEA-250" in text and "Ceylon tea" in text
        assert "5 available, threshold 5" in text
        assert "MAIN" in text
        assert "/staff/inventory?low=y" in text
    assert low_stock_mails(outbox, team["support_agent"]) == []
    assert low_stock_mails(outbox, team["left"]) == []


def test_a_second_run_sends_nothing_new(team, outbox):
    tea = stocked(units=10)
    run_low(tea, threshold=3, available=2)
    assert alerts.alert_low_stock() == 1
    sent = len(outbox.messages())

    assert alerts.alert_low_stock() == 0
    assert alert_job() == 0

    assert len(outbox.messages()) == sent


def test_after_a_receipt_lifts_it_a_new_shortage_alerts_again(team, outbox):
    tea = stocked(units=10)
    run_low(tea, threshold=3, available=2)
    assert alerts.alert_low_stock() == 1

    inventory.receive(tea.id, 10)  # 12 available: above the threshold again
    assert alerts.alert_low_stock() == 0
    inventory.adjust(tea.id, -10, reason="breakage")  # 2 available: low again

    assert alerts.alert_low_stock() == 1
    assert len(low_stock_mails(outbox, team["admin"])) == 2
    assert len(low_stock_mails(outbox, team["support_agent"])) == 0


def test_a_receipt_that_leaves_it_low_does_not_alert_again(team, outbox):
    tea = stocked(units=10)
    run_low(tea, threshold=5, available=1)
    assert alerts.alert_low_stock() == 1

    inventory.receive(tea.id, 2)  # 3 available: still at or below 5

    assert alerts.alert_low_stock() == 0
    assert len(low_stock_mails(outbox, team["admin"])) == 1


def test_several_low_levels_make_one_mail_listing_them_all(team, outbox):
    tea = stocked("Ceylon tea", units=10, sku="TEA-1")
    kettle = stocked("Kettle", units=10, sku="KET-1")
    plenty = stocked("Rice", units=50, sku="RICE-1")
    run_low(tea, threshold=4, available=4)
    run_low(kettle, threshold=2, available=0)
    inventory.set_threshold(plenty.id, 5)  # 50 available: not low

    assert alerts.alert_low_stock() == 2

    [mail] = low_stock_mails(outbox, team["catalog_manager"])
    text = outbox.text(mail)
    assert "Low stock: 2 items" in mail["Subject"]
    assert "TEA-1" in text and "KET-1" in text and "RICE-1" not in text
    assert "0 available, threshold 2" in text


def test_levels_without_a_threshold_never_alert(team, outbox):
    stocked(units=0)
    tea = stocked(units=1)
    inventory.set_on_hand(tea.id, 0)

    assert alerts.alert_low_stock() == 0
    assert outbox.messages() == []


def test_stock_reserved_by_orders_counts_as_gone(team, outbox):
    tea = stocked(units=6)
    inventory.set_threshold(tea.id, 2)
    inventory.reserve("KD-TEST-1", {tea.id: 4})

    assert alerts.alert_low_stock() == 1
    assert "2 available, threshold 2" in outbox.text(low_stock_mails(outbox, team["admin"])[0])


def test_a_new_threshold_on_a_level_already_reported_alerts_again(team, outbox):
    tea = stocked(units=10)
    run_low(tea, threshold=3, available=3)
    assert alerts.alert_low_stock() == 1

    inventory.set_threshold(tea.id, 4)

    assert alerts.alert_low_stock() == 1
    assert len(low_stock_mails(outbox, team["order_manager"])) == 2


def test_product_names_with_markup_are_escaped_in_the_html_mail(team, outbox):
    tea = stocked("Tea <script>x</script>", units=5)
    run_low(tea, threshold=5, available=5)

    alerts.alert_low_stock()

    [mail] = low_stock_mails(outbox, team["admin"])
    html = mail.get_body(("html",)).get_content()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html


def test_nobody_to_tell_still_marks_the_level(db_session, outbox):
    tea = stocked(units=5)
    run_low(tea, threshold=5, available=5)

    assert alerts.alert_low_stock() == 1
    assert alerts.alert_low_stock() == 0
    assert inventory.levels_to_alert() == []


def test_the_job_and_the_command_line_send_the_alert(app, team, outbox):
    tea = stocked(units=5)
    run_low(tea, threshold=5, available=1)

    result = app.test_cli_runner().invoke(args=["inventory", "alert-low-stock"])

    assert result.exit_code == 0, result.output
    assert "1 low stock levels reported" in result.output
    assert len(low_stock_mails(outbox, team["admin"])) == 1
    assert alert_job() == 0
