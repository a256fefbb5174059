"""Stories of a cart's recommendations served from Redis (a changed cart is a new list, an
unchanged one is a cache hit that costs the recommendations service nothing), and of a refund
that takes a purchase back out of the shopper's taste profile, once, whichever of the two
refund events (the order's `refunded`, the payment's `refund.processed`) comes first."""
import uuid

import sqlalchemy as sa

from tests.orders.helpers import SUCCESS, order_body
from tests.payments.helpers import STAFF
from tests.recommendations.conftest import metric
from tests.support.harness import wait_for

CART = "/api/cart/recommendations"


def test_cart_recommendations_are_served_from_redis_until_the_cart_changes(
        trained, store, people, own_catalog, rpc, gateway_url, config):
    variants = [own_catalog.variant(5) for _ in range(3)]
    first, second, third = [rpc.products.get_variants([v])[0]["product_id"] for v in variants]
    shopper = people.shopper()
    rpc.cart.add_item(shopper.owner, variants[0], 1)
    # Our new kurtas reach the recommendations catalog from product_events (a generation bump).
    wait_for(lambda: {second, third} <= set(store.ids(CART, shopper, limit=50)), timeout=10,
             message="the new products to go with the cart")
    sidedoor = f"http://127.0.0.1:{config['SERVICE_PORTS']['recommendations']}"

    def counts():
        return (metric(gateway_url, "aarya_recommendation_lists_total", surface="cart",
                       cache="hit"),
                metric(gateway_url, "aarya_recommendation_lists_total", surface="cart",
                       cache="miss"),
                metric(sidedoor, "entrypoint_seconds_count", service="recommendations",
                       entrypoint="for_cart"))

    before = counts()
    again = shopper.call("GET", f"{CART}?limit=50")
    assert again.status_code == 200 and again.headers["X-Cache"] == "hit", again.text
    assert counts() == (before[0] + 1, before[1], before[2]), "a hit: no RPC, one more hit"
    assert first not in [i["product_id"] for i in again.json()["items"]]

    rpc.cart.add_item(shopper.owner, variants[1], 1)  # the cart changed: its list is remade
    changed = shopper.call("GET", f"{CART}?limit=50")
    assert changed.status_code == 200 and changed.headers["X-Cache"] == "miss", changed.text
    ids = [i["product_id"] for i in changed.json()["items"]]
    assert first not in ids and second not in ids and third in ids
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    repeated = shopper.call("GET", f"{CART}?limit=50")
    assert repeated.headers["X-Cache"] == "hit" and repeated.json() == changed.json()

    rpc.cart.remove_item(shopper.owner, variants[1])  # back to the first contents: still cached
    back = shopper.call("GET", f"{CART}?limit=50")
    assert back.headers["X-Cache"] == "hit" and back.json() == again.json()
    assert counts() == (before[0] + 3, before[1] + 1, before[2] + 1)


def test_a_refund_takes_the_purchase_out_of_the_taste_profile_once(
        trained, store, people, own_catalog, rpc, recs_db):
    variant, sibling_variant = own_catalog.variant(5), own_catalog.variant(5)
    product, sibling = [rpc.products.get_variants([v])[0]["product_id"]
                        for v in (variant, sibling_variant)]
    wait_for(lambda: _in_catalog(recs_db, product) and _in_catalog(recs_db, sibling),
             timeout=10, message="the products to reach the recommendations catalog")
    shopper = people.shopper()
    rpc.cart.add_item(shopper.owner, variant, 1)

    def profile():
        prefs = rpc.recommendations.get_preferences(shopper.user_id)
        return prefs["categories"], prefs["brands"], prefs["interactions"]

    # The add-to-cart is learned first; that is the profile the refund must come back to.
    before = wait_for(lambda: profile() if profile()[2] >= 1 else None, timeout=10,
                      message="the add-to-cart to be learned")
    paid = shopper.checkout(order_body(SUCCESS))
    assert paid.status_code == 201, paid.text
    order = shopper.wait_for(paid.json()["id"], "paid")
    bought = wait_for(lambda: profile() if profile()[2] > before[2] else None, timeout=10,
                      message="the purchase to reach the taste profile")
    category = str(own_catalog.category_id)
    assert bought[0][category] > before[0][category]
    assert product in _purchases(recs_db, shopper.user_id)
    wait_for(lambda: product not in store.ids(f"/api/products/{sibling}/similar", shopper,
                                              limit=50), timeout=5,
             message="the bought product to leave similar for this shopper")
    refunds_seen = _processed(recs_db, "refund.processed")

    refund = rpc.payments.refund(STAFF, order["payment"]["payment_id"], reason="returned",
                                 idempotency_key=f"recs-refund-{uuid.uuid4().hex}")
    assert refund["status"] == "processed", refund
    shopper.wait_for(order["id"], "refunded")

    wait_for(lambda: profile() == before, timeout=10,
             message=f"the taste profile to be back at {before}, not {profile()}")
    # Both refund events are handled; the second finds nothing left to take back.
    wait_for(lambda: _processed(recs_db, "refund.processed") > refunds_seen, timeout=10,
             message="refund.processed to be handled")
    assert profile() == before
    assert product not in _purchases(recs_db, shopper.user_id)
    with recs_db.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT paid, cancelled, counted FROM order_purchases WHERE order_id = :o"),
            {"o": order["id"]}).one() == (True, True, False)
    # No longer bought, so no longer left out: it is recommended to this shopper again.
    wait_for(lambda: product in store.ids(f"/api/products/{sibling}/similar", shopper, limit=50),
             timeout=5, message="the refunded product to be recommended again")


def _in_catalog(recs_db, product_id):
    with recs_db.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM catalog_items WHERE product_id = :p"),
                           {"p": product_id}) == 1


def _purchases(recs_db, user_id):
    with recs_db.connect() as conn:
        return set(conn.scalars(sa.text(
            "SELECT product_id FROM user_interactions WHERE user_id = :u AND kind = 'purchase'"),
            {"u": user_id}))


def _processed(recs_db, event_type):
    with recs_db.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM processed_events WHERE event_type = :t"),
                           {"t": event_type})
