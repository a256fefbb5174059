"""A shopper's whole path in a real browser: guest cart → sign up → checkout → live order page;
and a declined card, which must leave the order unpaid and give the stock back."""
import re

import requests
from playwright.sync_api import expect

from tests.orders.helpers import DECLINED, SUCCESS, stock_of
from tests.web.conftest import Accounts, sign_in

ORDER_URL = re.compile(r"/order/\?id=(\d+)")


def add_to_cart(page, product, size=None):
    page.goto(f"/product/?id={product['id']}")
    expect(page.get_by_test_id("product-name")).to_have_text(product["name"])
    if size:
        page.get_by_role("radio", name=size, exact=True).click()
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added")).to_be_visible()


def fill_checkout(page, card_number):
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    page.get_by_label("Address line 1").fill("12 MG Road")
    page.get_by_label("City").fill("Bengaluru")
    page.get_by_label("State").fill("Karnataka")
    page.get_by_label("PIN code").fill("560001")
    page.get_by_label("Phone").fill("+91 98765 43210")
    page.get_by_label("Card number").fill(card_number)
    page.get_by_label("Expiry (MM/YY)").fill("12/31")
    page.get_by_label("CVC").fill("123")
    page.get_by_test_id("place-order").click()
    page.wait_for_url(ORDER_URL, wait_until="commit")  # a client-side navigation
    return int(ORDER_URL.search(page.url).group(1))


def test_a_guest_cart_survives_sign_up_and_the_order_turns_paid_without_a_reload(
        open_page, catalog):
    kurta, dupatta = catalog.product(5, 5), catalog.product(4)
    page = open_page("/")

    add_to_cart(page, kurta, size="M")
    add_to_cart(page, dupatta)
    page.goto("/cart/")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)

    page.get_by_test_id("signup-to-checkout").click()
    page.get_by_label("Full name").fill("Asha Rao")
    page.get_by_label("Email").fill(Accounts.fresh_email())
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign up").click()

    # Signed in now, on the checkout page, with the guest's two lines merged into the account.
    expect(page.get_by_test_id("sign-out")).to_be_visible()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    order_id = fill_checkout(page, SUCCESS)

    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "paid", timeout=20_000)
    expect(status).to_have_text("Paid")
    assert page.evaluate("window.__sameDocument === true"), "the order page reloaded"
    assert f"id={order_id}" in page.url


def test_a_declined_card_shows_the_decline_leaves_the_order_unpaid_and_returns_the_stock(
        open_page, catalog, accounts, products_db, web_url):
    product = catalog.product(3)
    variant_id = product["variants"][0]["id"]
    shopper = accounts.new()
    page = open_page("/")
    sign_in(page, shopper)
    add_to_cart(page, product)
    add_to_cart(page, product)  # two units
    page.goto("/checkout/")

    order_id = fill_checkout(page, DECLINED)

    failure = page.get_by_test_id("payment-failure")
    expect(failure).to_contain_text("declined", timeout=20_000)
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "payment_failed")
    order = requests.get(f"{web_url}/api/orders/{order_id}", timeout=10, headers={
        "Authorization": f"Bearer {shopper.tokens['access_token']}"}).json()
    assert (order["status"], order["paid_at"], order["payment"]["failure_code"]) == (
        "payment_failed", None, "card_declined")

    # The two reserved units come back: in the database and on the product page.
    assert stock_of(products_db, variant_id) == 3
    page.goto(f"/product/?id={product['id']}")
    expect(page.get_by_test_id("stock")).to_have_attribute("data-count", "3")
