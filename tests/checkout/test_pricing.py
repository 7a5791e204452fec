"""The pricing pipeline: unit prices -> line discounts -> order discounts -> delivery -> total."""

from __future__ import annotations

from app.checkout import delivery, pricing
from app.checkout.pricing import Adjustment, Item
from tests.catalog.factories import make_product
from tests.checkout.factories import service_with_slot, starter_delivery, stocked


class TenPercentOffTea:
    """A stand-in for a promotion: 10 % off lines named tea, Rs. 100 off orders over Rs. 3,000."""

    def line_discounts(self, context, line):
        if "tea" in line.names["en"].lower():
            return [Adjustment("tea10", "10% off tea", line.gross_cents // 10)]
        return []

    def order_discounts(self, context, cart):
        if cart.subtotal_cents >= 3_000_00:
            return [Adjustment("big-basket", "Rs. 100 off big baskets", 100_00)]
        return []


class GreedyRule:
    """A rule that asks for more than there is to discount."""

    def line_discounts(self, context, line):
        return [Adjustment("all", "everything free", line.gross_cents * 5)]

    def order_discounts(self, context, cart):
        return [Adjustment("more", "and then some", 10**9)]


def test_lines_are_priced_from_the_catalog(db_session):
    tea = stocked("Ceylon tea", price_cents=1_250_00)
    priced = pricing.price([Item(tea.id, 3)])
    [line] = priced.lines
    assert (line.unit_cents, line.gross_cents, line.total_cents) == (1_250_00, 3_750_00, 3_750_00)
    assert priced.subtotal_cents == priced.total_cents == 3_750_00
    assert priced.delivery is None and priced.needs_delivery


def test_a_rule_plugs_into_the_pipeline(db_session):
    starter_delivery()
    tea = stocked("Ceylon tea", price_cents=1_250_00)
    spoon = stocked("Coconut spoon", price_cents=400_00)
    island = delivery.get_option("island-wide")
    items = [Item(tea.id, 3), Item(spoon.id, 1)]
    without = pricing.price(items, district="galle", delivery=island)
    with pricing.rule_applied(TenPercentOffTea()):
        priced = pricing.price(items, district="galle", delivery=island)
    after = pricing.price(items, district="galle", delivery=island)

    tea_line, spoon_line = priced.lines
    assert tea_line.discount_cents == 375_00 and tea_line.total_cents == 3_375_00
    assert spoon_line.discount_cents == 0
    assert priced.subtotal_cents == 3_375_00 + 400_00
    assert [d.code for d in priced.order_discounts] == ["big-basket"]
    assert priced.delivery_fee_cents == 350_00
    assert priced.total_cents == 3_775_00 - 100_00 + 350_00
    assert priced.savings_cents == 475_00
    # The rule was only there for the block.
    assert after.total_cents == without.total_cents == 4_150_00 + 350_00


def test_discounts_never_take_a_price_below_zero(db_session):
    tea = stocked("Ceylon tea", price_cents=1_000_00)
    with pricing.rule_applied(GreedyRule()):
        priced = pricing.price([Item(tea.id, 2)])
    assert priced.lines[0].total_cents == 0
    assert priced.discount_cents == 0 and priced.total_cents == 0


def test_free_delivery_over_the_threshold_and_only_where_served(db_session):
    starter_delivery()
    same_day = delivery.get_option("colombo-same-day")
    cheap, dear = stocked("Jar", price_cents=500_00), stocked("Rice cooker", price_cents=20_000_00)
    assert pricing.price([Item(cheap.id, 1)], district="colombo",
                         delivery=same_day).delivery_fee_cents == 450_00
    assert pricing.price([Item(dear.id, 1)], district="colombo",
                         delivery=same_day).delivery_fee_cents == 0
    # Same-day does not reach Jaffna: no delivery is priced, checkout must ask again.
    assert pricing.price([Item(cheap.id, 1)], district="jaffna", delivery=same_day).delivery is None


def test_services_need_no_delivery(db_session):
    visit, slot = service_with_slot(price_cents=5_000_00)
    priced = pricing.price([Item(visit.id, 1, slot.id)], district="galle")
    assert not priced.needs_delivery and priced.total_cents == 5_000_00
    assert priced.lines[0].slot_starts_at == slot.starts_at


def test_items_no_longer_on_sale_are_set_apart(db_session):
    draft = make_product("Secret recipe", status="draft").variants[0]
    tea = stocked("Ceylon tea")
    priced = pricing.price([Item(draft.id, 1), Item(tea.id, 1), Item(999_999, 1)])
    assert [line.item.variant_id for line in priced.lines] == [tea.id]
    assert [item.variant_id for item in priced.unavailable] == [draft.id, 999_999]


def test_names_come_in_the_shoppers_language(db_session):
    tea = stocked("Tea leaves", name_si="තේ කොළ")
    [line] = pricing.price([Item(tea.id, 1)], locale="si").lines
    assert line.name("si") == "තේ කොළ" and line.name("ta") == "Tea leaves"
