"""The rules every list keeps, and bad input: only in-stock products (a sell-out leaves the
lists within seconds), popularity with `reason: "popular"` for guests and products nobody has
touched, and 4xx JSON errors with a stable code for what cannot be answered."""
from tests.support.harness import wait_for


def test_an_out_of_stock_product_leaves_every_list_within_seconds(trained, store, own_catalog,
                                                                  rpc):
    variants = [own_catalog.variant(5) for _ in range(3)]
    products = [rpc.products.get_variants([v])[0]["product_id"] for v in variants]
    first, selling_out, other = products

    # product.created reaches our catalog from the stream: the new kurtas resemble each other.
    wait_for(lambda: {selling_out, other} <= set(
        store.ids(f"/api/products/{first}/similar", limit=50)), timeout=10,
        message="new products to be recommended")

    rpc.products.set_stock(own_catalog.STAFF, variants[1], 0, "sold out")

    wait_for(lambda: selling_out not in store.ids(f"/api/products/{first}/similar", limit=50),
             timeout=5, message="the sold-out product to leave similar")
    similar = store.ids(f"/api/products/{first}/similar", limit=50)
    assert other in similar
    assert selling_out not in store.ids(f"/api/products/{other}/similar", limit=50)
    assert selling_out not in store.ids("/api/recommendations/for-me", limit=50)


def test_guests_and_untouched_products_get_popular_never_an_error(trained, store, own_catalog,
                                                                  rpc):
    guest = store.items("/api/recommendations/for-me", limit=10)
    assert len(guest) == 10 and {i["reason"] for i in guest} == {"popular"}
    assert len({i["category"]["slug"] for i in guest}) >= 3, "diverse across categories"

    fresh = rpc.products.get_variants([own_catalog.variant(2)])[0]["product_id"]
    together = store.items(f"/api/products/{fresh}/bought-together", limit=5)
    assert together, "a product nobody bought yet still gets a list"
    assert fresh not in [i["product_id"] for i in together]


def test_bad_input_is_a_json_error_with_a_stable_code(trained, store, people):
    cases = [
        ("/api/products/987654321/similar", {}, 404, "product_not_found"),
        ("/api/products/987654321/bought-together", {}, 404, "product_not_found"),
        ("/api/recommendations/for-me", {"limit": 51}, 422, "limit_too_large"),
        ("/api/products/1/similar", {"limit": 0}, 422, "validation_failed"),
        ("/api/cart/recommendations", {"limit": "ten"}, 422, "validation_failed"),
    ]
    for path, params, status, code in cases:
        response = store.get(path, **params)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]["code"] == code, (path, response.text)

    shopper = people.shopper()
    item = store.items("/api/recommendations/for-me", shopper, limit=1)[0]
    unknown = shopper.call("POST", "/api/recommendations/clicks",
                           {"product_id": item["product_id"], "surface": "for_me",
                            "model_version": 9999})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    bad = shopper.call("POST", "/api/recommendations/clicks",
                       {"product_id": item["product_id"], "surface": "sidebar"})
    assert bad.status_code == 422 and "surface" in bad.json()["error"]["details"]["fields"]


def test_clicks_are_counted_per_model_version(trained, store, people, rpc):
    _, version = trained
    shopper = people.shopper()
    before = {r["model_version"]: r for r in rpc.recommendations.click_through_rates()}
    items = store.items("/api/recommendations/for-me", shopper, limit=10)
    clicked = shopper.call("POST", "/api/recommendations/clicks",
                           {"product_id": items[0]["product_id"], "surface": "for_me",
                            "model_version": version})
    assert clicked.status_code == 202, clicked.text
    after = rpc.recommendations.click_through_rates(version)[0]
    assert after["clicked"] == before.get(version, {"clicked": 0})["clicked"] + 1
    assert after["shown"] >= after["clicked"] and 0 < after["ctr"] <= 1
