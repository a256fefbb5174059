"""Two shoppers on one product page: when one buys the last unit, the other's page says so live
and the gateway refuses the other's add-to-cart (its message shown as it words it)."""
import time

import requests
from playwright.sync_api import expect

from tests.orders.helpers import SUCCESS
from tests.web.conftest import sign_in
from tests.web.test_shop_checkout import fill_checkout

LIVE_WITHIN_MS = 2_000


def test_the_last_unit_sold_shows_out_of_stock_on_the_other_page_within_2s(
        open_page, catalog, accounts, web_url):
    product = catalog.product(1)
    buyer = open_page("/")
    sign_in(buyer, accounts.new())
    watcher = open_page(f"/product/?id={product['id']}")  # a guest in another browser context
    stock = watcher.get_by_test_id("stock")
    expect(stock).to_have_text("Only 1 left")
    expect(watcher.get_by_test_id("live-state")).to_have_attribute("data-state", "open")

    buyer.goto(f"/product/?id={product['id']}")
    buyer.get_by_test_id("add-to-cart").click()
    expect(buyer.get_by_test_id("added")).to_be_visible()
    buyer.goto("/checkout/")
    fill_checkout(buyer, SUCCESS)  # returns once the order exists: its stock is reserved
    sold_at = time.monotonic()

    expect(stock).to_have_text("Out of stock", timeout=LIVE_WITHIN_MS)
    assert time.monotonic() - sold_at < LIVE_WITHIN_MS / 1000 + 0.25
    assert "Out of stock" in watcher.content()  # and no reload was needed to see it

    watcher.get_by_test_id("add-to-cart").click()
    refusal = watcher.get_by_test_id("add-error")
    expect(refusal).to_be_visible()
    # Exactly what the gateway says to anyone who tries now.
    answer = requests.post(f"{web_url}/api/cart/items", timeout=10, json={
        "variant_id": product["variants"][0]["id"], "quantity": 1})
    assert answer.status_code == 422, answer.text
    expect(refusal).to_have_text(answer.json()["error"]["message"])
    expect(watcher.get_by_test_id("cart-count")).to_have_count(0)
