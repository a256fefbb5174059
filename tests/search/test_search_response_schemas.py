"""What the search routes really answer is what /api/openapi.json says they answer: a shopper
searches the indexed demo catalog (with hits, facets and highlights, and with nothing found),
completes a word, clicks a hit, reads the trending searches and finds their own order; staff
find the shopper; every real response validates against its documented schema."""
from tests.catalog.helpers import access_token
from tests.support.harness import wait_for
from tests.support.openapi import assert_matches, checked, served_document


def test_real_search_responses_match_their_response_schemas(config, shop, indexed_catalog,
                                                            catalog, people, rpc):
    document = served_document(shop.url)
    http = shop.http
    page = checked(document, "/api/search", "get", shop.search(q="kurta", limit=3))
    assert page["items"] and page["next_cursor"] and page["facets"]["brand"]
    assert any(hit["highlight"] for hit in page["items"])
    checked(document, "/api/search", "get",
            shop.search(q="kurta", limit=3, cursor=page["next_cursor"]))
    checked(document, "/api/search", "get",
            shop.search(q="kurta", in_stock="true", sort="price_asc", min_rating=0))
    nothing = checked(document, "/api/search", "get", shop.search(q="qzxwv skinnny"))
    assert nothing["total"] == 0
    checked(document, "/api/search/suggest", "get",
            http.get(f"{shop.url}/api/search/suggest", params={"q": "bomb"}, timeout=15))
    checked(document, "/api/search/click", "post", http.post(
        f"{shop.url}/api/search/click", timeout=15, json={
            "search_id": page["search_id"], "product_id": page["items"][0]["product_id"],
            "position": 0}), 202)
    trending = checked(document, "/api/search/trending", "get",
                       http.get(f"{shop.url}/api/search/trending", timeout=15))
    assert trending["items"]

    shopper = people.shopper()
    rpc.cart.add_item(shopper.owner, catalog.variant(3), 1)
    order = shopper.checkout().json()
    mine = wait_for(lambda: (lambda r: r if r.json()["total"] else None)(
        shopper.call("GET", "/api/search/orders")), timeout=20, message="the order indexed")
    assert_matches(document, "/api/search/orders", "get", mine)
    assert [o["order_id"] for o in mine.json()["items"]] == [order["id"]]

    staff = {"Authorization": f"Bearer {access_token(config, 1, 'admin')}"}
    tag = shopper.email.split("-", 1)[1].split("@")[0]
    found = wait_for(lambda: (lambda r: r if r.json()["total"] else None)(
        http.get(f"{shop.url}/api/search/users", params={"q": tag}, headers=staff,
                 timeout=15)), timeout=20, message="the shopper indexed")
    assert_matches(document, "/api/search/users", "get", found)
    checked(document, "/api/search/orders", "get",
            http.get(f"{shop.url}/api/search/orders", params={"limit": 1}, headers=staff,
                     timeout=15))
