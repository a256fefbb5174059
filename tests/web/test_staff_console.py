"""The staff console in a real browser on the real platform: the live dashboard, an order moved
along fulfilment and partly refunded, a variant's stock and price, a promotion created, changed
and ended — each checked in the gateway, not only on screen. Screenshots of the dashboard at
phone and desktop widths go to test-artifacts/web/.
"""
import re
import uuid

import requests
from playwright.sync_api import expect

from tests.orders.helpers import Person, new_client_ip, order_body, session_from
from tests.web.conftest import PHONE

LIVE_MS = 5_000



def count(page, test_id):
    return int(page.get_by_test_id(test_id).inner_text())


def test_the_dashboard_counts_live_and_hides_figures_the_gateway_does_not_have(
        staff_page, catalog, gateway_url, artifacts):
    product = catalog.product(5)
    page = staff_page("/staff/")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "open")
    views = page.get_by_test_id("count-views")
    expect(views).to_be_visible()
    before = count(page, "count-views")

    # A guest opens the product page: product.viewed → the tail → /ws/analytics, no reload.
    guest = session_from(new_client_ip())
    assert guest.get(f"{gateway_url}/api/products/{product['id']}", timeout=10).status_code == 200
    expect(views).not_to_have_text(str(before), timeout=LIVE_MS)
    assert count(page, "count-views") > before

    # Full figures show only when the analytics service answers; a 404 must hide the block
    # and break nothing else.
    analytics = requests.get(f"{gateway_url}/api/analytics/live", timeout=10,
                             headers={"Authorization": f"Bearer {page.evaluate(TOKEN_JS)}"})
    full = page.get_by_test_id("analytics-full")
    if analytics.status_code == 404:
        expect(full).to_have_count(0)
    else:
        assert analytics.status_code == 200, analytics.text
        expect(full).to_be_visible()
    page.screenshot(path=str(artifacts / "staff-dashboard-desktop.png"), full_page=True)

    phone = staff_page("/staff/", viewport=PHONE)
    expect(phone.get_by_test_id("count-views")).to_be_visible()
    expect(phone.get_by_role("navigation", name="Staff console")).to_be_visible()
    phone.screenshot(path=str(artifacts / "staff-dashboard-phone.png"), full_page=True)


TOKEN_JS = "JSON.parse(localStorage.getItem('aarya.session')).access_token"


def paid_order(accounts, gateway_url, catalog):
    account = accounts.new()
    shopper = Person(account.user_id, "customer", account.email,
                     account.tokens["access_token"], gateway_url)
    product = catalog.product(4, price=120000)
    variant_id = product["variants"][0]["id"]
    added = shopper.call("POST", "/api/cart/items", {"variant_id": variant_id, "quantity": 2})
    assert added.status_code in (200, 201), added.text
    placed = shopper.checkout(order_body())
    assert placed.status_code == 201, placed.text
    return shopper, shopper.wait_for(placed.json()["id"], "paid")


def test_staff_ship_an_order_and_refund_part_of_it(staff_page, accounts, gateway_url, catalog):
    shopper, order = paid_order(accounts, gateway_url, catalog)
    page = staff_page(f"/staff/order/?id={order['id']}")
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text("Paid")

    page.get_by_role("button", name="Mark packed").click()
    expect(status).to_have_text("Packed")
    # Shipping needs a carrier and a tracking number: said beside the fields, nothing sent.
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_text("Name the carrier.")).to_be_visible()
    assert shopper.order(order["id"]).json()["status"] == "fulfilled"
    page.get_by_label("Carrier").fill("Delhivery")
    page.get_by_label("Tracking number").fill("DLV123456789IN")
    page.get_by_role("button", name="Mark shipped").click()
    expect(status).to_have_text("Shipped")
    assert shopper.order(order["id"]).json()["status"] == "shipped"

    # More than is left is refused in the form; a part is refunded once.
    amount = page.get_by_label(re.compile("^Amount in INR"))
    amount.fill("5000")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text(re.compile("is left to refund"))).to_be_visible()
    amount.fill("250.50")
    page.get_by_label("Reason (optional)").fill("Late delivery")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_test_id("refund-done")).to_contain_text("₹250.50")
    payment = shopper.call("GET", f"/api/payments/{order['payment']['payment_id']}").json()
    assert payment["refunded_amount"] == 25050, payment

    # The order list shows it, filtered by status.
    page.get_by_role("link", name="All orders").click()
    # Exact: until the list has rendered, "Status" would also match the order page's
    # "Change status" form, which is no <select>.
    page.get_by_label("Status", exact=True).select_option("shipped")
    expect(page.get_by_test_id("order-row").filter(has_text=order["order_ref"])).to_be_visible()


def test_staff_set_a_variants_stock_and_price(staff_page, catalog, rpc):
    product = catalog.product(3, 7)
    variant = product["variants"][0]
    page = staff_page(f"/staff/stock/?product={product['id']}")
    card = page.locator(f'[data-variant-id="{variant["id"]}"]')
    expect(card.get_by_test_id("variant-stock")).to_have_text("Only 3 left")

    card.get_by_label("Units on shelf").fill("12")
    card.get_by_role("button", name="Save stock").click()
    expect(card.get_by_text("Say why")).to_be_visible()  # a reason is required, checked first
    card.get_by_label("Reason").fill("Shelf count")
    card.get_by_role("button", name="Save stock").click()
    expect(card.get_by_test_id("variant-stock")).to_have_text("12 in stock")

    card.get_by_label(re.compile("^Own price")).fill("999.00")
    card.get_by_role("button", name="Save price").click()
    expect(card.get_by_label(re.compile(r"^Own price in INR \(now ₹999\.00"))).to_be_visible()
    (saved,) = rpc.products.get_variants([variant["id"]])
    assert (saved["inventory_count"], saved["price"]) == (12, 99900)


def test_staff_create_change_and_end_a_promotion(staff_page, gateway_url):
    page = staff_page("/staff/promotions/")
    page.get_by_role("button", name="New promotion").click()
    page.get_by_role("button", name="Create promotion").click()
    expect(page.get_by_text("Give the promotion a title.")).to_be_visible()
    title = f"Festive week {uuid.uuid4().hex[:8]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Percent (1–90)").fill("15")
    page.get_by_role("button", name="Create promotion").click()
    row = page.get_by_test_id("promotion-row").filter(has_text=title)
    expect(row).to_contain_text("15% off")
    expect(row).to_contain_text("live")

    row.get_by_role("button", name=f"Edit {title}").click()
    page.get_by_label("Percent (1–90)").fill("20")
    page.get_by_role("button", name="Save changes").click()
    expect(row).to_contain_text("20% off")
    live = requests.get(f"{gateway_url}/api/promotions", timeout=10).json()["items"]
    assert [p["discount_percent"] for p in live if p["title"] == title] == [20]

    row.get_by_role("button", name=f"End {title} now").click()
    expect(row).to_contain_text("ended")
    live = requests.get(f"{gateway_url}/api/promotions", timeout=10).json()["items"]
    assert title not in [p["title"] for p in live]
