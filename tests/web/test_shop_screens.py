"""Screenshots of the shopper's pages at phone and desktop widths, saved as test artifacts
(test-artifacts/web/, git-ignored; a few are copied by hand to docs/screens/). Each page must
show its real content first, so a broken page fails here rather than being photographed."""
import json
import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.orders.helpers import order_body
from tests.web.conftest import DESKTOP, PHONE


@pytest.fixture(scope="module")
def shopper_with_history(accounts, catalog, web_url):
    """A shopper with a paid order and a cart holding another item (made through the gateway)."""
    account = accounts.new()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {account.tokens['access_token']}"
    bought, wanted = catalog.product(6, 4, 2), catalog.product(8, 3)
    r = http.post(f"{web_url}/api/cart/items", json={"variant_id": bought["variants"][1]["id"],
                                                      "quantity": 1}, timeout=10)
    assert r.status_code == 200, r.text
    r = http.post(f"{web_url}/api/orders", json=order_body(), timeout=30,
                  headers={"Idempotency-Key": f"screens-{uuid.uuid4().hex}"})
    assert r.status_code == 201, r.text
    order = r.json()
    deadline = time.monotonic() + 20
    while http.get(f"{web_url}/api/orders/{order['id']}", timeout=10).json()["status"] != "paid":
        assert time.monotonic() < deadline, "the screenshot order never got paid"
        time.sleep(0.2)
    for product in (wanted, bought):
        r = http.post(f"{web_url}/api/cart/items", json={
            "variant_id": product["variants"][0]["id"], "quantity": 1}, timeout=10)
        assert r.status_code == 200, r.text
    return account, bought, order


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots_of_home_product_cart_and_order(open_page, artifacts, shopper_with_history,
                                                    width):
    account, product, order = shopper_with_history
    page = open_page("/", viewport=DESKTOP if width == "desktop" else PHONE)
    stored = {**account.tokens, "expires_at": int(time.time() * 1000) + 600_000}
    page.evaluate("s => localStorage.setItem('aarya.session', s)", json.dumps(stored))

    shots = [
        ("home", "/", lambda: expect(page.get_by_test_id("product-card").first).to_be_visible()),
        ("product", f"/product/?id={product['id']}",
         lambda: expect(page.get_by_test_id("stock")).to_have_text("6 in stock")),
        ("cart", "/cart/", lambda: expect(page.get_by_test_id("cart-line")).to_have_count(2)),
        ("order", f"/order/?id={order['id']}",
         lambda: expect(page.get_by_test_id("order-status")).to_have_text("Paid")),
    ]
    for name, path, ready in shots:
        page.goto(path)
        ready()
        expect(page.get_by_test_id("live-reconnecting")).to_have_count(0)
        target = artifacts / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000, f"{target} looks blank"
