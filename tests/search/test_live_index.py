"""The index follows the shop live: a sale, a restock, a shopper's purchases, a crash."""
import threading
import time

import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

from tests.orders.helpers import order_body
from tests.support.harness import wait_for


def visible(shop, name, **filters):
    return [i["product_id"] for i in shop.found(q=name, limit=10, **filters)["items"]
            if i["name"] == name]


def test_the_last_unit_sells_and_in_stock_drops_it_within_2s_then_a_restock_returns_it(
        rpc, shop, catalog, people, indexed_catalog):
    variant = catalog.variant(1)
    product_id = rpc.products.get_variants([variant])[0]["product_id"]
    name = rpc.products.get_product(product_id)["name"]
    wait_for(lambda: visible(shop, name, in_stock="true") == [product_id], timeout=10,
             message="the new product is searchable")
    shopper = people.shopper()
    rpc.cart.add_item(shopper.owner, variant, 1)

    response = shopper.checkout(order_body())
    assert response.status_code == 201, response.text
    sold = time.monotonic()
    wait_for(lambda: visible(shop, name, in_stock="true") == [], timeout=2,
             message="the sold-out product leaves the in-stock results within 2 s")
    assert time.monotonic() - sold <= 2
    assert visible(shop, name) == [product_id]  # still found, just not in stock
    assert visible(shop, name, in_stock="false") == [product_id]

    rpc.products.set_stock({"user_id": 1, "role": "admin"}, variant, 3, "restock")
    restocked = time.monotonic()
    wait_for(lambda: visible(shop, name, in_stock="true") == [product_id], timeout=2,
             message="the restocked product returns within 2 s")
    assert time.monotonic() - restocked <= 2


def test_a_brand_loyal_shopper_sees_that_brand_higher_with_the_same_results(
        rpc, shop, people, products_db, indexed_catalog):
    query = "jeans"
    newcomer, loyal = people.shoppers(2)
    base = shop.found(headers=_auth(newcomer), q=query, limit=100)
    ids = [i["product_id"] for i in base["items"]]
    brands = {}
    for pos, item in enumerate(base["items"]):
        brands.setdefault(item["brand"]["slug"], []).append(pos)
    # the brand the newcomer sees lowest (on average) among those with a product in stock
    brand = max((b for b in brands if len(brands[b]) >= 2),
                key=lambda b: sum(brands[b]) / len(brands[b]))
    with products_db.connect() as conn:
        variant = conn.scalar(sa.text("""
            SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
            JOIN brands b ON b.id = p.brand_id
            WHERE b.slug = :b AND v.is_active AND p.is_active AND v.inventory_count >= 3
            ORDER BY v.inventory_count DESC LIMIT 1"""), {"b": brand})
    assert variant, f"a {brand} variant in stock"
    orders = []
    for _ in range(3):
        rpc.cart.add_item(loyal.owner, variant, 1)
        response = loyal.checkout(order_body())
        assert response.status_code == 201, response.text
        orders.append(response.json()["id"])
    for order_id in orders:
        loyal.wait_for(order_id, "paid")

    def ranked():
        page = shop.found(headers=_auth(loyal), q=query, limit=100)
        return page if page["personalised"] else None

    page = wait_for(ranked, timeout=15, message="the loyal shopper's ranking is personalised")
    page = ranked()
    mine = [i["product_id"] for i in page["items"]]
    assert sorted(mine) == sorted(ids) and page["total"] == base["total"]
    positions = [p for p, i in enumerate(page["items"]) if i["brand"]["slug"] == brand]
    assert sum(positions) / len(positions) < sum(brands[brand]) / len(brands[brand])
    assert not base["personalised"]


def _auth(person):
    return {"Authorization": f"Bearer {person.token}"}


def test_after_a_crash_during_a_burst_of_updates_the_index_equals_products_db(
        config, rpc, shop, catalog, platform, es, products_alias, products_db, indexed_catalog):
    variants = catalog.variants(20, 20, 20, 20)
    product_id = rpc.products.get_variants([variants[0]])[0]["product_id"]
    name = rpc.products.get_product(product_id)["name"]
    wait_for(lambda: visible(shop, name) == [product_id], timeout=10,
             message="the product is searchable")
    staff = {"user_id": 1, "role": "admin"}
    done = threading.Event()

    def burst():  # its own proxy: a standalone proxy serves one thread
        with ClusterRpcProxy(config, timeout=30) as own:
            for n in range(60):
                own.products.adjust_stock(staff, variants[n % len(variants)], -1, "burst")
                if n % 10 == 0:
                    own.products.update_product(staff, product_id, {"price": 150000 + n})
        done.set()

    worker = threading.Thread(target=burst)
    worker.start()
    time.sleep(0.3)
    platform.kill("search")
    worker.join(60)
    assert done.is_set()
    platform.start("search")
    platform.wait_healthy("search", timeout=90)

    with products_db.connect() as conn:
        truth = dict(conn.execute(sa.text(
            "SELECT id, inventory_count FROM product_variants WHERE product_id = :p"),
            {"p": product_id}).all())
        price = conn.scalar(sa.text("SELECT price FROM products WHERE id = :p"),
                            {"p": product_id})

    def indexed():
        doc = es.get(index=products_alias, id=str(product_id))["_source"]
        return ({v["variant_id"]: v["inventory_count"] for v in doc["variants"]},
                doc["list_price"])

    wait_for(lambda: indexed() == (truth, price), timeout=30,
             message="the index equals products_db after the restart")
    assert sum(truth.values()) == 80 - 60 and price == 150050
