"""What the catalog and the cart really answer is what /api/openapi.json says they answer:
staff make a product, a variant, an image and move its stock, a shopper reviews it, browses and
fills a cart, and every real response validates against its operation's documented schema."""
import uuid

import requests

from tests.support.openapi import assert_matches, served_document


def test_real_catalog_responses_match_their_response_schemas(api, staff, customer, shelf):
    document = served_document(api.url)
    url = api.url
    tag = uuid.uuid4().hex[:8]
    created = requests.post(f"{url}/api/products", headers=staff, timeout=15, json={
        "name": f"Schema Kurta {tag}", "brand_id": shelf["brand_id"],
        "category_id": shelf["category_id"], "price": 129900, "currency": "INR",
        "description": None,
        "variants": [{"sku": f"SCH-{tag}-S", "size": "S", "colour": "Indigo",
                      "inventory_count": 5, "price": 119900}],
        "images": [{"url": f"https://cdn.aarya.example/schema/{tag}.jpg"}]})
    product = assert_matches(document, "/api/products", "post", created)
    assert created.status_code == 201 and product["description"] is None
    pid = product["id"]
    assert product["variants"][0]["price_override"] == 119900

    def check(method, path, template, status, **kwargs):
        response = requests.request(method, f"{url}{path}", timeout=15, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        return assert_matches(document, template, method.lower(), response)

    check("PATCH", f"/api/products/{pid}", "/api/products/{product_id}", 200, headers=staff,
          json={"description": "Hand block-printed."})
    variant = check("POST", f"/api/products/{pid}/variants", "/api/products/{product_id}/variants",
                    201, headers=staff, json={"sku": f"SCH-{tag}-M", "size": "M",
                                              "colour": "Indigo", "inventory_count": 0})
    assert variant["price_override"] is None and variant["availability"] == "out_of_stock"
    vid = variant["id"]
    check("POST", f"/api/products/{pid}/images", "/api/products/{product_id}/images", 201,
          headers=staff, json={"url": f"https://cdn.aarya.example/schema/{tag}-2.jpg",
                               "alt_text": "Back"})
    check("PATCH", f"/api/variants/{vid}", "/api/variants/{variant_id}", 200, headers=staff,
          json={"low_stock_threshold": 2})
    check("PUT", f"/api/variants/{vid}/stock", "/api/variants/{variant_id}/stock", 200,
          headers=staff, json={"quantity": 3, "reason": "shelf count"})
    check("POST", f"/api/variants/{vid}/stock-adjustments",
          "/api/variants/{variant_id}/stock-adjustments", 200, headers=staff,
          json={"delta": 4, "reason": "delivery"})
    review = check("POST", f"/api/products/{pid}/reviews", "/api/products/{product_id}/reviews",
                   201, headers=customer, json={"rating": 4, "title": "Soft", "body": "Fits."})
    check("PATCH", f"/api/reviews/{review['id']}", "/api/reviews/{review_id}", 200,
          headers=customer, json={"rating": 5})
    api.settle(pid)

    page = check("GET", f"/api/products/{pid}", "/api/products/{product_id}", 200)
    check("GET", f"/api/products/{pid}", "/api/products/{product_id}", 200,
          headers={"Cache-Control": "no-cache"})  # from the service, not the cache
    assert page["rating"]["count"] == 1 and len(page["images"]) == 2
    check("GET", f"/api/products/{pid}/reviews", "/api/products/{product_id}/reviews", 200)
    listing = check("GET", "/api/products", "/api/products", 200, params={"limit": 2})
    assert listing["items"] and listing["next_cursor"]
    check("GET", "/api/products/trending", "/api/products/trending", 200)
    tree = check("GET", "/api/categories", "/api/categories", 200)
    assert any(root["children"] for root in tree["items"])  # the nesting is checked too
    check("GET", "/api/brands", "/api/brands", 200)
    check("GET", "/api/system/ping", "/api/system/ping", 200)

    guest = requests.Session()
    guest.trust_env = False
    for method, path, template, body in (
            ("POST", "/api/cart/items", "/api/cart/items", {"variant_id": vid, "quantity": 2}),
            ("PATCH", f"/api/cart/items/{vid}", "/api/cart/items/{variant_id}",
             {"quantity": 1}),
            ("GET", "/api/cart", "/api/cart", None),
            ("DELETE", f"/api/cart/items/{vid}", "/api/cart/items/{variant_id}", None),
            ("DELETE", "/api/cart", "/api/cart", None)):
        response = guest.request(method, f"{url}{path}", json=body, timeout=15)
        assert response.status_code == 200, (method, path, response.text)
        assert_matches(document, template, method.lower(), response)

    gone = check("POST", f"/api/products/{pid}/deactivate",
                 "/api/products/{product_id}/deactivate", 200, headers=staff)
    assert gone["is_active"] is False
