"""Stories of shoppers and staff using the catalog through the gateway: listings that match an
independent SQL query page for page, staff edits that show at once, reviews by their authors,
and bad requests answered with the right status while nothing is written."""
import uuid

import pytest
import requests
import sqlalchemy as sa

from tests.catalog.helpers import access_token, assert_error

ORDER_BY = {
    "newest": "p.created_at DESC, p.id DESC",
    "price_asc": "p.price ASC, p.id ASC",
    "price_desc": "p.price DESC, p.id DESC",
    "rating": "p.rating_avg DESC, p.id DESC",
    "name": "p.name ASC, p.id ASC",
}


def expected_ids(engine, filters):
    """The listing's question asked of products_db directly, written apart from the service."""
    where, params = ["p.is_active"], {}
    if "category" in filters:
        params["category"] = str(filters["category"])
        where.append("""p.category_id IN (
            WITH RECURSIVE below(id) AS (
                SELECT id FROM categories WHERE slug = :category OR id::text = :category
                UNION ALL SELECT c.id FROM categories c JOIN below b ON c.parent_id = b.id)
            SELECT id FROM below)""")
    if "brand" in filters:
        params["brand"] = filters["brand"]
        where.append("p.brand_id = (SELECT id FROM brands WHERE slug = :brand)")
    for name, op in (("min_price", ">="), ("max_price", "<=")):
        if name in filters:
            params[name] = int(filters[name])
            where.append(f"p.price {op} :{name}")
    if "currency" in filters:
        params["currency"] = filters["currency"]
        where.append("p.currency = :currency")
    if "q" in filters:
        params["q"] = filters["q"].lower()
        where.append("strpos(lower(p.name), :q) > 0")
    variant = ["v.product_id = p.id", "v.is_active"]
    for name in ("size", "colour"):
        if name in filters:
            params[name] = filters[name].lower()
            variant.append(f"lower(v.{name}) = :{name}")
    matching = f"EXISTS (SELECT 1 FROM product_variants v WHERE {' AND '.join(variant)}"
    in_stock = filters.get("in_stock")
    if in_stock == "true":
        where.append(matching + " AND v.inventory_count > 0)")
    elif in_stock == "false":
        where += [matching + ")", "NOT " + matching + " AND v.inventory_count > 0)"]
    elif "size" in filters or "colour" in filters:
        where.append(matching + ")")
    sql = (f"SELECT p.id FROM products p WHERE {' AND '.join(where)} "
           f"ORDER BY {ORDER_BY[filters.get('sort', 'newest')]}")
    with engine.connect() as conn:
        return list(conn.scalars(sa.text(sql), params))


def walk(api, filters, limit):
    """Every page of a listing through the gateway, following next_cursor to the end."""
    ids, cursor, pages = [], None, 0
    while True:
        response = api.get("/api/products", **filters, limit=limit,
                           **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(page["items"]) == limit


LISTINGS = [
    ({}, 100),
    ({"sort": "price_asc", "category": "men"}, 37),
    ({"sort": "name", "brand": "indigo-loom"}, 5),
    ({"sort": "price_desc", "min_price": "100000", "max_price": "250000"}, 50),
    ({"size": "M", "colour": "navy", "in_stock": "true"}, 7),
    ({"in_stock": "false", "sort": "name"}, 11),
    ({"q": "kurta", "sort": "price_asc", "currency": "INR"}, 8),
    ({"category": "kids", "size": "4-5Y", "max_price": "80000", "sort": "rating"}, 3),
]


@pytest.mark.parametrize("filters,limit", LISTINGS,
                         ids=[",".join(f"{k}={v}" for k, v in f.items()) or "all"
                              for f, _ in LISTINGS])
def test_paging_a_listing_through_the_gateway_returns_exactly_what_sql_finds(
        api, products_db, filters, limit):
    expected = expected_ids(products_db, filters)
    assert expected, f"the demo catalog should have products for {filters}"
    seen, pages = walk(api, filters, limit)
    assert seen == expected
    assert pages == max(1, -(-len(expected) // limit))
    assert walk(api, filters, limit) == (seen, pages)  # the second walk, from the cache


# ---- refusals ------------------------------------------------------------------------------

def catalog_state(engine, api):
    """Everything a write would touch: product tables, the outbox, and changing events."""
    with engine.connect() as conn:
        counts = {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in (
            "products", "product_variants", "product_images", "product_reviews",
            "inventory_logs")}
        # Views recorded asynchronously by earlier reads may still land: they do not count.
        counts["outbox"] = conn.scalar(sa.text(
            "SELECT count(*) FROM outbox WHERE event_type <> 'product.viewed'"))
        counts["stock"] = conn.scalar(sa.text("SELECT sum(inventory_count) FROM product_variants"))
        counts["prices"] = conn.scalar(sa.text("SELECT sum(price) FROM products"))
    counts["events"] = len([e for e in api.events() if e[1] != "product.viewed"])
    return counts


def test_bad_requests_get_404_422_403_and_write_nothing(
        api, products_db, staff, customer, new_product):
    product = new_product()
    pid, vid = product["id"], product["variants"][0]["id"]
    missing = 987654321
    before = catalog_state(products_db, api)
    cases = [
        # (method, path, headers, json or query, status, code, field)
        ("get", f"/api/products/{missing}", None, None, 404, "product_not_found", None),
        ("get", f"/api/products/{2 ** 70}", None, None, 404, "product_not_found", None),
        ("get", "/api/products", None, {"min_price": "abc"}, 422, "validation_failed",
         "min_price"),
        ("get", "/api/products", None, {"max_price": "-5"}, 422, None, "max_price"),
        ("get", "/api/products", None, {"limit": "0"}, 422, None, "limit"),
        ("get", "/api/products", None, {"in_stock": "maybe"}, 422, None, "in_stock"),
        ("get", "/api/products", None, {"currency": "JPY"}, 422, None, "currency"),
        ("get", "/api/products", None, {"sort": "popular"}, 422, None, "sort"),
        ("get", "/api/products", None, {"cursor": "not-a-cursor"}, 422, None, "cursor"),
        ("get", "/api/products", None, {"category": "martian-wear"}, 404,
         "category_not_found", None),
        ("get", "/api/products/trending", None, {"limit": "lots"}, 422, None, "limit"),
        ("get", f"/api/products/{missing}/reviews", None, None, 404, "product_not_found", None),
        ("patch", f"/api/products/{missing}", staff, {"price": 100}, 404,
         "product_not_found", None),
        ("patch", f"/api/products/{pid}", staff, {"price": "abc"}, 422, None, "price"),
        ("patch", f"/api/products/{pid}", staff, {"price": 10.5}, 422, None, "price"),
        ("patch", f"/api/products/{pid}", staff, {"price": -1}, 422, None, "price"),
        ("patch", f"/api/products/{pid}", staff, {"currency": "XYZ"}, 422, None, "currency"),
        ("post", f"/api/products/{missing}/deactivate", staff, {}, 404, None, None),
        ("post", f"/api/products/{missing}/variants", staff,
         {"sku": "NOPE-1", "size": "M", "colour": "Red"}, 404, "product_not_found", None),
        ("post", f"/api/products/{pid}/images", staff, {"url": "not a url"}, 422, None, "url"),
        ("patch", f"/api/variants/{missing}", staff, {"price": 100}, 404,
         "variant_not_found", None),
        ("put", f"/api/variants/{missing}/stock", staff, {"quantity": 5, "reason": "count"},
         404, "variant_not_found", None),
        ("put", f"/api/variants/{vid}/stock", staff, {"quantity": -1, "reason": "count"},
         422, None, "quantity"),
        ("put", f"/api/variants/{vid}/stock", staff, {"quantity": "five", "reason": "count"},
         422, None, "quantity"),
        ("post", f"/api/variants/{vid}/stock-adjustments", staff, {"delta": 0, "reason": "x"},
         422, None, "delta"),
        ("post", f"/api/variants/{vid}/stock-adjustments", staff,
         {"delta": -1000, "reason": "write-off"}, 409, "insufficient_stock", None),
        ("post", "/api/products", customer, {"name": "Sneaky"}, 403, "forbidden", None),
        ("patch", f"/api/products/{pid}", customer, {"price": 1}, 403, "forbidden", None),
        ("post", f"/api/products/{pid}/deactivate", customer, {}, 403, "forbidden", None),
        ("put", f"/api/variants/{vid}/stock", customer, {"quantity": 0, "reason": "x"}, 403,
         "forbidden", None),
        ("post", f"/api/variants/{vid}/stock-adjustments", customer,
         {"delta": 5, "reason": "x"}, 403, "forbidden", None),
        ("patch", f"/api/products/{pid}", None, {"price": 1}, 401, "missing_token", None),
        ("get", f"/api/products/{pid}", {"Authorization": "Bearer junk"}, None, 401,
         "invalid_token", None),
        ("post", f"/api/products/{pid}/reviews", customer,
         {"rating": 7, "title": "Great", "body": "Lovely fabric."}, 422, None, "rating"),
        ("post", f"/api/products/{pid}/reviews", None,
         {"rating": 5, "title": "Great", "body": "Lovely fabric."}, 401, None, None),
        ("post", f"/api/products/{missing}/reviews", customer,
         {"rating": 5, "title": "Great", "body": "Lovely fabric."}, 404, "product_not_found",
         None),
        ("patch", f"/api/reviews/{missing}", customer, {"rating": 4}, 404, "review_not_found",
         None),
    ]
    for method, path, headers, payload, status, code, field in cases:
        kwargs = {"params": payload} if method == "get" else {"json": payload}
        response = requests.request(method, f"{api.url}{path}", headers=headers or {},
                                    timeout=15, **kwargs)
        assert_error(response, status, code, field)
    assert catalog_state(products_db, api) == before


# ---- staff ---------------------------------------------------------------------------------

def test_a_merchandiser_builds_a_product_and_shoppers_see_each_step(api, staff, new_product):
    product = new_product(stocks=(3,))
    pid = product["id"]
    assert api.product(pid).json()["variants"][0]["inventory_count"] == 3

    tag = uuid.uuid4().hex[:6]
    variant = requests.post(f"{api.url}/api/products/{pid}/variants", headers=staff, timeout=15,
                            json={"sku": f"GW-{tag}-XL", "size": "XXL", "colour": "Black",
                                  "inventory_count": 2, "price": 109900})
    assert variant.status_code == 201, variant.text
    vid = variant.json()["id"]
    image = requests.post(f"{api.url}/api/products/{pid}/images", headers=staff, timeout=15,
                          json={"url": f"https://cdn.aarya.example/gw/{tag}-back.jpg"})
    assert image.status_code == 201, image.text
    repriced = requests.patch(f"{api.url}/api/variants/{vid}", headers=staff, timeout=15,
                              json={"price": 119900})
    assert repriced.status_code == 200 and repriced.json()["price"] == 119900
    delivered = requests.post(f"{api.url}/api/variants/{vid}/stock-adjustments", headers=staff,
                              json={"delta": 5, "reason": "delivery"}, timeout=15)
    assert delivered.status_code == 200 and delivered.json()["inventory_count"] == 7
    api.settle(pid)

    page = api.product(pid).json()
    assert {v["size"]: (v["price"], v["inventory_count"]) for v in page["variants"]} == {
        "S": (99900, 3), "XXL": (119900, 7)}
    assert len(page["images"]) == 2

    gone = requests.post(f"{api.url}/api/products/{pid}/deactivate", headers=staff, timeout=15)
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    api.settle(pid)
    assert_error(api.product(pid), 404, "product_not_found")
    assert pid not in [i["id"] for i in api.get("/api/products", q=product["name"]).json()["items"]]


def test_support_staff_may_count_stock_too(api, config, new_product):
    product = new_product(stocks=(4,))
    support = {"Authorization": f"Bearer {access_token(config, 9002, 'support')}"}
    counted = requests.put(f"{api.url}/api/variants/{product['variants'][0]['id']}/stock",
                           headers=support, json={"quantity": 9, "reason": "recount"},
                           timeout=15)
    assert counted.status_code == 200 and counted.json()["inventory_count"] == 9


# ---- reviews -------------------------------------------------------------------------------

def test_shoppers_review_a_product_and_only_the_author_may_edit(api, config, new_product):
    product = new_product()
    pid = product["id"]
    authors = [{"Authorization": f"Bearer {access_token(config, 70000 + n, 'customer')}"}
               for n in range(3)]
    ids = []
    for n, author in enumerate(authors):
        posted = requests.post(f"{api.url}/api/products/{pid}/reviews", headers=author,
                               json={"rating": 3 + n % 3, "title": f"Review {n}",
                                     "body": "Soft cotton, true to size."}, timeout=15)
        assert posted.status_code == 201, posted.text
        ids.append(posted.json()["id"])
    again = requests.post(f"{api.url}/api/products/{pid}/reviews", headers=authors[0],
                          json={"rating": 1, "title": "Again", "body": "Twice?"}, timeout=15)
    assert_error(again, 409, "review_exists")

    first = api.get(f"/api/products/{pid}/reviews", limit=2).json()
    rest = api.get(f"/api/products/{pid}/reviews", limit=2, cursor=first["next_cursor"]).json()
    assert [r["id"] for r in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None

    not_mine = requests.patch(f"{api.url}/api/reviews/{ids[0]}", headers=authors[1],
                              json={"rating": 1}, timeout=15)
    assert_error(not_mine, 403, "not_review_author")
    mine = requests.patch(f"{api.url}/api/reviews/{ids[0]}", headers=authors[0],
                          json={"rating": 5}, timeout=15)
    assert mine.status_code == 200 and mine.json()["rating"] == 5
    api.settle(pid)
    rating = api.product(pid).json()["rating"]
    assert rating["count"] == 3 and rating["histogram"]["5"] == 2
