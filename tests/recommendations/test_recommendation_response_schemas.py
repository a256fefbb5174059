"""What the recommendation routes really answer is what /api/openapi.json says they answer: a
guest and a signed-in shopper get their lists (made, then cached), a product's similar and
bought-together lists, their cart's list, a click is recorded, and an admin reads the model
versions; every real response validates against its documented schema."""
from tests.catalog.helpers import access_token
from tests.support.openapi import checked, served_document

FOR_ME = "/api/recommendations/for-me"


def test_real_recommendation_responses_match_their_response_schemas(config, trained, store,
                                                                    people, rpc):
    _, version = trained
    document = served_document(store.url)
    shopper = people.shopper()
    for _ in range(2):  # made by the service, then served from the cache
        guest = checked(document, FOR_ME, "get", store.get(FOR_ME, limit=5))
        mine = checked(document, FOR_ME, "get", store.get(FOR_ME, shopper, limit=5))
    assert guest["items"] and mine["model_version"] == version
    product_id = mine["items"][0]["product_id"]
    for kind in ("similar", "bought-together"):
        checked(document, f"/api/products/{{product_id}}/{kind}", "get",
                store.get(f"/api/products/{product_id}/{kind}", limit=5))
    product = rpc.products.get_product(product_id)
    # A product recommended is in stock, not each of its variants (other stories sell some out).
    variant = next(v for v in product["variants"] if v["inventory_count"] > 0)
    rpc.cart.add_item(shopper.owner, variant["id"], 1)
    checked(document, "/api/cart/recommendations", "get",
            store.get("/api/cart/recommendations", shopper, limit=5))
    checked(document, "/api/recommendations/clicks", "post", shopper.call(
        "POST", "/api/recommendations/clicks", {"product_id": product_id, "surface": "for_me",
                                               "model_version": version}), 202)

    admin = {"Authorization": f"Bearer {access_token(config, 1, 'admin')}"}
    models = checked(document, "/api/recommendations/models", "get",
                     store.http.get(f"{store.url}/api/recommendations/models", headers=admin,
                                    timeout=15))
    assert version in [m["version"] for m in models["items"]]
    checked(document, "/api/recommendations/models/{version}", "get",
            store.http.get(f"{store.url}/api/recommendations/models/{version}", headers=admin,
                           timeout=15))
    checked(document, "/api/recommendations/models/{version}/ctr", "get",
            store.http.get(f"{store.url}/api/recommendations/models/{version}/ctr",
                           headers=admin, timeout=15))
