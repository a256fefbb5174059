"""Shoppers find clothes: typos, facets that add up, suggestions, refusals of bad input."""
import requests
import sqlalchemy as sa

from tests.support.harness import events_of_type, wait_for


def test_typo_queries_find_the_demo_catalogs_jeans_and_jackets_in_the_top_five(
        shop, indexed_catalog):
    for typo, word in (("jeens", "jeans"), ("jaket", "jacket")):
        page = shop.found(q=typo, limit=5)
        names = [item["name"].lower() for item in page["items"]]
        assert len(names) == 5 and all(word in n for n in names), (typo, names)
        assert all("<em>" in " ".join(i["highlight"].get("name", [])) for i in page["items"])


def test_brand_facet_counts_equal_products_db_for_the_same_category(shop, indexed_catalog,
                                                                    products_db):
    category = "men-bottomwear-jeans"
    with products_db.connect() as conn:
        expected = dict(conn.execute(sa.text("""
            SELECT b.slug, count(DISTINCT p.id) FROM products p
            JOIN brands b ON b.id = p.brand_id
            JOIN categories c ON c.id = p.category_id
            WHERE c.slug = :c AND p.is_active
              AND EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id
                          AND v.is_active)
            GROUP BY b.slug"""), {"c": category}).all())
        in_stock = conn.scalar(sa.text("""
            SELECT count(DISTINCT p.id) FROM products p JOIN categories c ON c.id = p.category_id
            JOIN product_variants v ON v.product_id = p.id
            WHERE c.slug = :c AND p.is_active AND v.is_active AND v.inventory_count > 0"""),
            {"c": category})
    assert expected, "the demo catalog has jeans"
    page = shop.found(category=category, limit=1)
    assert {b["value"]: b["count"] for b in page["facets"]["brand"]} == expected
    assert page["total"] == sum(expected.values())
    assert page["facets"]["in_stock"]["true"] == in_stock
    brand = max(expected, key=expected.get)
    narrowed = shop.found(category=category, brand=brand, limit=100)
    assert narrowed["total"] == expected[brand]
    assert {i["brand"]["slug"] for i in narrowed["items"]} == {brand}
    # a facet ignores its own filter: the other brands stay selectable with their counts
    assert {b["value"]: b["count"] for b in narrowed["facets"]["brand"]} == expected


def test_pages_follow_the_cursor_without_gaps_or_repeats(shop, indexed_catalog):
    first = shop.found(q="shirt", sort="price_asc", limit=7)
    second = shop.found(q="shirt", sort="price_asc", limit=7, cursor=first["next_cursor"])
    whole = shop.found(q="shirt", sort="price_asc", limit=14)
    assert ([i["product_id"] for i in first["items"] + second["items"]]
            == [i["product_id"] for i in whole["items"]])
    prices = [i["price"] for i in whole["items"]]
    assert prices == sorted(prices)


def test_nothing_found_says_did_you_mean_and_suggest_completes_a_word(shop, indexed_catalog):
    page = shop.found(q="qzxwv skinnny")
    assert page["total"] == 0 and page["did_you_mean"] and "skinny" in page["did_you_mean"]
    reply = shop.http.get(f"{shop.url}/api/search/suggest", params={"q": "bomb"}, timeout=15)
    assert reply.status_code == 200, reply.text
    texts = [s["text"].lower() for s in reply.json()["suggestions"]]
    assert texts and all("bomb" in t for t in texts)


def test_bad_input_is_a_422_with_a_stable_code_and_writes_nothing(shop, indexed_catalog,
                                                                   config):
    db = sa.create_engine(config["DB_URIS"]["search"])
    with db.connect() as conn:
        before = conn.scalar(sa.text("SELECT count(*) FROM search_queries"))
    cases = [({"q": "x" * 2000}, "query_too_long"), ({"colour_code": "red"}, "unknown_filter"),
             ({"min_price": 5000, "max_price": 100}, "invalid_price_range"),
             ({"limit": 500}, "limit_too_large"), ({"q": "shirt", "cursor": "bm90LWEtY3Vyc29y"},
                                                   "invalid_cursor")]
    for params, code in cases:
        response = shop.search(**params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == code
    empty = shop.http.get(f"{shop.url}/api/search/suggest", params={"q": "  "}, timeout=15)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_query"
    with db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM search_queries")) == before
    db.dispose()


def test_a_click_is_recorded_once_and_the_query_trends(shop, indexed_catalog, redis_db):
    page = shop.found(q="kurta")
    body = {"search_id": page["search_id"], "product_id": page["items"][0]["product_id"],
            "position": 0}
    for _ in range(2):
        reply = shop.http.post(f"{shop.url}/api/search/click", json=body, timeout=15)
        assert reply.status_code == 202, reply.text
    unknown = shop.http.post(f"{shop.url}/api/search/click", timeout=15, json={
        **body, "search_id": "00000000-0000-4000-8000-000000000000"})
    assert unknown.status_code == 404
    wait_for(lambda: len(events_of_type(redis_db, "search_events", "search.result.clicked",
                                        search_id=page["search_id"])) == 1,
             message="one search.result.clicked on the stream")
    trending = requests.get(f"{shop.url}/api/search/trending", timeout=15).json()["items"]
    assert "kurta" in [t["query"] for t in trending]
