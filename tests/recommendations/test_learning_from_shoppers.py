"""Stories of shoppers the service learns from as they browse and buy, without a retrain:
views move "for me" within seconds, a bought product never comes back, and an order counts
as bought only once it is paid (a failed payment teaches nothing about buying)."""
import time

import sqlalchemy as sa

from tests.orders.helpers import DECLINED, SUCCESS, order_body
from tests.support.harness import wait_for

FOR_ME = "/api/recommendations/for-me"


def categories_of(items):
    return [i["category"]["slug"] for i in items]


def in_stock_variant(rpc, product_id):
    product = rpc.products.get_product(product_id)
    return next(v["id"] for v in product["variants"]
                if v["is_active"] and v["inventory_count"] > 0)


def test_after_viewing_five_products_of_a_category_for_me_turns_toward_it_without_a_retrain(
        trained, store, people, recs_db):
    shopper = people.shopper()
    before = store.items(FOR_ME, shopper, limit=10)
    assert before and {i["reason"] for i in before} == {"popular"}, before
    shown = set(categories_of(before))
    with recs_db.connect() as conn:
        by_category = conn.execute(sa.text(
            "SELECT category->>'slug', array_agg(product_id ORDER BY product_id) "
            "FROM catalog_items WHERE is_active GROUP BY 1 HAVING count(*) >= 8 "
            "ORDER BY 1")).all()
        slug, product_ids = next((s, p) for s, p in by_category if s not in shown)
        versions_before = conn.scalar(sa.text("SELECT count(*) FROM recommendation_models"))

    for product_id in product_ids[:5]:
        response = shopper.call("GET", f"/api/products/{product_id}")
        assert response.status_code == 200, response.text
    viewed_at = time.monotonic()

    def turned():
        items = store.items(FOR_ME, shopper, limit=10)
        return items if categories_of(items).count(slug) >= 3 else None

    after = wait_for(turned, timeout=5, interval=0.2, message=f"for-me to turn toward {slug}")
    took = time.monotonic() - viewed_at
    print(f"\nfor-me before: {categories_of(before)}\nafter viewing five {slug} "
          f"({took:.1f}s): {categories_of(after)}")
    assert categories_of(before).count(slug) == 0
    assert categories_of(after).count(slug) <= 4, "still diverse: at most 40 % one category"
    assert {i["reason"] for i in after} - {"popular"}, "the list is personal now"
    with recs_db.connect() as conn:  # learned by folding the views in, not by training
        assert conn.scalar(sa.text("SELECT count(*) FROM recommendation_models")) \
            == versions_before


def test_a_bought_product_is_never_recommended_again_and_a_failed_payment_buys_nothing(
        trained, store, people, rpc, recs_db):
    shopper = people.shopper()
    first, second = store.ids(FOR_ME, shopper, limit=50)[:2]

    rpc.cart.add_item(shopper.owner, in_stock_variant(rpc, second), 1)
    failed = shopper.checkout(order_body(DECLINED))
    assert failed.status_code == 201, failed.text
    shopper.wait_for(failed.json()["id"], "payment_failed")

    rpc.cart.clear_cart(shopper.owner)
    rpc.cart.add_item(shopper.owner, in_stock_variant(rpc, first), 1)
    paid = shopper.checkout(order_body(SUCCESS))
    assert paid.status_code == 201, paid.text
    shopper.wait_for(paid.json()["id"], "paid")

    def purchases():
        with recs_db.connect() as conn:
            return set(conn.scalars(sa.text(
                "SELECT product_id FROM user_interactions WHERE user_id = :u "
                "AND kind = 'purchase'"), {"u": shopper.user_id}))

    assert wait_for(purchases, timeout=10, message="the paid order to count") == {first}
    # Gone within seconds from every surface, for this shopper, without a retrain.
    wait_for(lambda: first not in store.ids(FOR_ME, shopper, limit=50), timeout=5,
             message="the bought product to leave for-me")
    similar = store.ids(f"/api/products/{second}/similar", shopper, limit=50)
    together = store.ids(f"/api/products/{second}/bought-together", shopper, limit=50)
    cart = store.ids("/api/cart/recommendations", shopper, limit=50)
    assert first not in similar and first not in together and first not in cart
    # The product whose payment failed was never bought: it is still recommended.
    assert second in store.ids(FOR_ME, shopper, limit=50)
    with recs_db.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT paid, cancelled, counted FROM order_purchases WHERE order_id = :o"),
            {"o": failed.json()["id"]}).one() == (False, True, False)
