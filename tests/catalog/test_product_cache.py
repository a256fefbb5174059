"""Stories of the gateway's response cache: product pages and listings come from Redis without
an RPC, with ETags, and are dropped by product events (never by a timer) the moment a change
reaches product_events."""
import signal
import threading
import time

import requests
import sqlalchemy as sa

from gateway import catalog_cache
from kit.envelope import make_envelope, to_stream_fields
from tests.catalog.helpers import STREAM, access_token
from tests.support.harness import wait_for


def read_twice(api, product_id):
    """A miss that fills the cache, then a hit; both the same body and ETag."""
    first, second = api.product(product_id), api.product(product_id)
    assert first.status_code == second.status_code == 200, first.text
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.content == second.content
    return second


def test_a_price_change_by_staff_reaches_the_next_read_through_product_events(
        api, staff, new_product):
    product = new_product(price=99900)
    cached = read_twice(api, product["id"])
    assert cached.json()["price"] == 99900
    # The TTL is a distant safety net: what drops the entry below is the event.
    assert api.redis.ttl(catalog_cache.product_key(product["id"])) > 500
    tail, listings_before = api.stream_tail(), api.listing_gen()

    changed = requests.patch(f"{api.url}/api/products/{product['id']}", headers=staff,
                             json={"price": 79900}, timeout=15)
    assert changed.status_code == 200, changed.text

    _, _, data = api.wait_event("product.updated", product["id"], after=tail)
    assert (data["old_price"], data["new_price"]) == (99900, 79900)
    seen_at = time.monotonic()
    wait_for(lambda: not api.cached(product["id"]), timeout=1.0,
             message="the cache entry to go once the event is on the stream")
    assert time.monotonic() - seen_at < 1.0
    # Every gateway worker runs a listener, and each saw the one event.
    wait_for(lambda: api.listing_gen() == listings_before + api.workers, timeout=2,
             message="each worker to retire the listings once")

    fresh = api.product(product["id"])
    assert fresh.headers["X-Cache"] == "miss" and fresh.json()["price"] == 79900
    assert fresh.headers["ETag"] != cached.headers["ETag"]
    again = api.product(product["id"])
    assert again.headers["X-Cache"] == "hit" and again.json()["price"] == 79900


def test_a_cached_read_costs_no_rpc_the_products_service_may_even_be_down(
        api, platform, new_product):
    product = new_product()
    cached = read_twice(api, product["id"])
    platform.stop("products")
    try:
        assert not platform.alive("products")
        while_down = api.product(product["id"])
        assert while_down.status_code == 200
        assert while_down.headers["X-Cache"] == "hit"
        assert while_down.headers["ETag"] == cached.headers["ETag"]
        assert while_down.content == cached.content
        not_modified = api.product(product["id"], {"If-None-Match": cached.headers["ETag"]})
        assert not_modified.status_code == 304
        # ...while anything that needs the service really cannot be answered.
        assert api.get("/api/system/ping").status_code == 503
    finally:
        platform.start("products")
        platform.wait_healthy("products", timeout=90)
    assert api.get("/api/system/ping").json() == {"products": "pong"}


def test_views_do_not_invalidate_but_every_change_does(api, staff, new_product):
    product = new_product(stocks=(10,))
    tail = api.stream_tail()
    cached = read_twice(api, product["id"])
    # The reads were recorded as views (asynchronously): product.viewed leaves the entry alone.
    viewed_id, _, _ = api.wait_event("product.viewed", product["id"], after=tail)
    wait_for(lambda: api.listeners_past(viewed_id), timeout=5,
             message="the listeners to pass the view")
    time.sleep(0.2)
    assert api.cached(product["id"])["etag"] == cached.headers["ETag"].strip('"')
    assert api.product(product["id"]).headers["X-Cache"] == "hit"

    # A stock count is a change a shopper must see.
    variant_id = product["variants"][0]["id"]
    counted = requests.put(f"{api.url}/api/variants/{variant_id}/stock", headers=staff,
                           json={"quantity": 0, "reason": "shelf count"}, timeout=15)
    assert counted.status_code == 200, counted.text
    api.wait_event("product.inventory.updated", product["id"], after=tail)
    wait_for(lambda: not api.cached(product["id"]), timeout=1.0, message="the entry to go")
    page = api.product(product["id"]).json()
    assert page["in_stock"] is False and page["variants"][0]["inventory_count"] == 0


def test_if_none_match_gets_a_304_until_the_product_changes(api, staff, new_product):
    product = new_product()
    etag = read_twice(api, product["id"]).headers["ETag"]
    for offered in (etag, f"W/{etag}", f'"something-else", {etag}', "*"):
        response = api.product(product["id"], {"If-None-Match": offered})
        assert response.status_code == 304, offered
        assert response.content == b"" and response.headers["ETag"] == etag
    assert api.product(product["id"], {"If-None-Match": '"stale"'}).status_code == 200

    tail = api.stream_tail()
    requests.patch(f"{api.url}/api/products/{product['id']}", headers=staff,
                   json={"name": "Renamed Tee"}, timeout=15).raise_for_status()
    api.wait_event("product.updated", product["id"], after=tail)
    wait_for(lambda: not api.cached(product["id"]), timeout=1.0, message="the entry to go")
    changed = api.product(product["id"], {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed Tee"
    assert changed.headers["ETag"] != etag


def test_no_cache_skips_the_cache_read_and_refreshes_it(api, new_product):
    product = new_product()
    read_twice(api, product["id"])
    bypass = api.product(product["id"], {"Cache-Control": "no-cache"})
    assert bypass.status_code == 200 and bypass.headers["X-Cache"] == "bypass"
    assert api.product(product["id"]).headers["X-Cache"] == "hit"


def test_an_event_landing_while_a_read_is_in_flight_leaves_no_stale_entry(
        api, platform, new_product):
    """The read notes the product's generation, asks the (frozen) service; meanwhile an event
    about the product is handled by the listeners; the answer is served but not cached."""
    product = new_product()
    assert not api.cached(product["id"])
    gen_before = api.product_gen(product["id"])
    platform.send_signal("products", signal.SIGSTOP)
    result = {}
    try:
        reader = threading.Thread(target=lambda: result.update(
            response=api.product(product["id"])))
        reader.start()
        time.sleep(0.5)  # the read is now waiting on the frozen service
        # The frozen service cannot emit, so this stands in for the entry the bridge would write.
        api.redis.xadd(STREAM, to_stream_fields(make_envelope(
            "product.updated", "products", {"product_id": product["id"], "variant_id": None,
                                            "currency": "INR", "changes": {}})))
        wait_for(lambda: api.product_gen(product["id"]) == gen_before + api.workers,
                 timeout=2, message="the listeners to bump the product's generation")
    finally:
        platform.send_signal("products", signal.SIGCONT)
    reader.join(30)
    assert result["response"].status_code == 200
    assert not api.cached(product["id"]), "a read that raced an event must not be cached"
    assert api.product(product["id"]).headers["X-Cache"] == "miss"
    assert api.product(product["id"]).headers["X-Cache"] == "hit"


def test_listings_are_cached_and_retired_by_any_product_event(api, staff, new_product):
    tag = f"Listing Probe {time.time_ns()}"
    product = new_product(price=150000, name=tag)
    question = {"q": tag, "max_price": 200000}
    first, second = (api.get("/api/products", **question) for _ in range(2))
    assert [i["id"] for i in first.json()["items"]] == [product["id"]]
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    # Parameter order and defaults do not split the cache.
    same = api.get(f"/api/products?max_price=200000&limit=24&q={tag}&sort=newest")
    assert same.headers["X-Cache"] == "hit" and same.content == second.content

    tail = api.stream_tail()
    requests.patch(f"{api.url}/api/products/{product['id']}", headers=staff,
                   json={"price": 250000}, timeout=15).raise_for_status()
    api.wait_event("product.updated", product["id"], after=tail)
    api.settle(product["id"])
    after = api.get("/api/products", **question)
    assert after.headers["X-Cache"] == "miss" and after.json()["items"] == []
    dearer = api.get("/api/products", q=tag).json()["items"]
    assert [(i["id"], i["price"]) for i in dearer] == [(product["id"], 250000)]


def test_categories_brands_and_trending_are_cached_too(api):
    for path in ("/api/categories", "/api/brands", "/api/products/trending"):
        first, second = api.get(path), api.get(path)
        assert first.status_code == second.status_code == 200, first.text
        assert second.headers["X-Cache"] == "hit", path
        assert first.content == second.content
    names = [root["name"] for root in api.get("/api/categories").json()["items"]]
    # Other stories of the session add root categories of their own; the demo's come in order.
    assert [n for n in names if n in ("Men", "Women", "Kids")] == ["Men", "Women", "Kids"]
    assert len(api.get("/api/brands").json()["items"]) >= 30


def test_each_viewer_counts_once_however_often_they_reload(api, products_db, config,
                                                           new_product):
    """Views are recorded off the request path; a reload by the same viewer within a few
    seconds is not a new view (or every cached read would cost products a write)."""
    product = new_product()
    guest_a, guest_b = "guest-a-" + "a" * 16, "guest-b-" + "b" * 16
    shopper = {"Authorization": f"Bearer {access_token(config, 5150, 'customer')}"}
    for headers in ([{"X-Cart-Session": guest_a}] * 3 + [{"X-Cart-Session": guest_b}]
                    + [shopper] * 2):
        assert api.product(product["id"], headers).status_code == 200

    def views():
        with products_db.connect() as conn:
            return conn.execute(sa.text(
                "SELECT coalesce(user_id::text, session_id), count(*) FROM product_view_history "
                "WHERE product_id = :id GROUP BY 1"), {"id": product["id"]}).all()
    wait_for(lambda: len(views()) == 3, timeout=10, message="three viewers' views")
    time.sleep(0.5)  # anything still in flight would land by now
    assert dict(views()) == {guest_a: 1, guest_b: 1, "5150": 1}
