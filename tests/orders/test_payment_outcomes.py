"""Stories of how a payment ends, and what the order and the shelf show afterwards.

The sandbox card decides: success → paid; declined and insufficient funds → payment_failed;
a provider that never answers → payment_failed (provider_timeout) after payments' retries;
a payment held for a fraud review → the order waits in payment_pending (visible to staff)
and, unreviewed past ORDERS.held_deadline_s, the sweeper cancels it; a challenge (3-D Secure)
→ payment_pending until the provider's signed webhook says how it went. Whenever an order does
not end paid, its stock goes back and the cart stays for another try.
"""
import pytest

from tests.orders.helpers import (CHALLENGE, DECLINED, NO_FUNDS, SLOW, order_body,
                                  reservation_status, stock_of)
from tests.support.harness import events_of_type, wait_for

# Held for review: payments' fraud rules score an amount at or above the large-amount line
# (₹2,00,000 = 20,000,000 paise) over the hold threshold on its own.
LARGE_PRICE = 20_000_000


@pytest.mark.parametrize("number, code", [(DECLINED, "card_declined"),
                                          (NO_FUNDS, "insufficient_funds"),
                                          (SLOW, "provider_timeout")],
                         ids=["declined", "insufficient_funds", "provider_timeout"])
def test_a_card_that_does_not_pay_fails_the_order_and_releases_its_stock(
        rpc, redis_db, products_db, catalog, shopper, number, code):
    variant = catalog.variant(3)
    rpc.cart.add_item(shopper.owner, variant, 2)

    response = shopper.checkout(order_body(number))

    assert response.status_code == 201, response.text
    order = shopper.wait_for(response.json()["id"], "payment_failed", timeout=30)
    assert (order["status_reason"], order["payment"]["failure_code"]) == (code, code)
    assert order["paid_at"] is None
    wait_for(lambda: stock_of(products_db, variant) == 3, message="stock released")
    assert reservation_status(products_db, order["order_ref"]) == "released"
    assert rpc.cart.get_cart(shopper.owner)["total_quantity"] == 2
    assert not redis_db.keys(f"inventory:lock:*:{order['order_ref']}")
    assert not events_of_type(redis_db, "order_events", "order.payment.completed",
                              order_ref=order["order_ref"])


def test_a_payment_held_for_fraud_review_waits_then_is_cancelled_unreviewed(
        rpc, products_db, catalog, people, staff):
    shopper = people.shopper()
    variant = catalog.variant(2, price=LARGE_PRICE)
    rpc.cart.add_item(shopper.owner, variant, 1)

    order = shopper.checkout(order_body()).json()

    held = shopper.wait_for(order["id"], "payment_pending")
    wait_for(lambda: shopper.order(order["id"]).json()["payment"]["status"] == "held",
             message="payment held")
    assert stock_of(products_db, variant) == 1  # still reserved while staff look at it
    review = staff.call("GET", "/api/orders?payment_status=held").json()["items"]
    assert order["id"] in [o["id"] for o in review]
    assert held["status_reason"] in ("fraud_review", "payment_initiated")

    cancelled = shopper.wait_for(order["id"], "cancelled", timeout=40)
    assert cancelled["status_reason"] == "payment_timeout"
    wait_for(lambda: stock_of(products_db, variant) == 2, message="stock released")
    assert reservation_status(products_db, order["order_ref"]) == "released"


@pytest.mark.parametrize("cvc, outcome", [("123", "paid"), ("000", "payment_failed")],
                         ids=["passes_the_challenge", "fails_the_challenge"])
def test_a_card_that_asks_for_a_challenge_ends_when_the_provider_says_so(
        rpc, products_db, catalog, shopper, cvc, outcome):
    variant = catalog.variant(3)
    rpc.cart.add_item(shopper.owner, variant, 1)
    body = order_body(CHALLENGE)
    body["payment_method"]["card"]["cvc"] = cvc

    placed = shopper.checkout(body).json()

    assert placed["status"] == "payment_pending"
    assert placed["payment"]["status"] == "requires_action"
    assert placed["payment"]["next_action"]  # what the app shows the shopper
    order = shopper.wait_for(placed["id"], outcome, timeout=30)  # the signed webhook came
    expected_stock = 2 if outcome == "paid" else 3
    wait_for(lambda: stock_of(products_db, variant) == expected_stock, message="stock settled")
    assert reservation_status(products_db, order["order_ref"]) == (
        "committed" if outcome == "paid" else "released")
