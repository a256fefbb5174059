"""What the cart stories share: a real catalog in the real products service, shoppers, events.

The products service is the real one (started by the `platform` fixture). Only its brands and
categories are written straight into its test database, because products has no RPC to create
them yet; every product, variant, price and stock change goes through products' own RPCs.
"""
import secrets
import uuid

import pytest

from services.cart.keys import guest_hash
from tests.support.catalog import own_brand_and_category
from tests.support.harness import events_of_type, stream_events

STAFF = {"user_id": 1, "role": "admin"}


class Catalog:
    """Products for the stories, made through the products service's RPC."""

    def __init__(self, rpc, brand_id, category_id):
        self.rpc = rpc
        self.brand_id = brand_id
        self.category_id = category_id

    def product(self, stock, price=129900, name="Linen kurta"):
        """A product with one variant per entry of `stock` (its opening stock); returns
        {"product_id", "variant_ids": [...]} in the order given."""
        tag = uuid.uuid4().hex[:10]
        sizes = ["S", "M", "L", "XL", "XXL", "XS"]
        product = self.rpc.products.create_product(STAFF, {
            "name": f"{name} {tag}", "brand_id": self.brand_id,
            "category_id": self.category_id, "price": price, "currency": "INR",
            "variants": [{"sku": f"SKU-{tag}-{n}", "size": sizes[n], "colour": "Indigo",
                          "inventory_count": count} for n, count in enumerate(stock)]})
        by_sku = {v["sku"].upper(): v["id"] for v in product["variants"]}
        return {"product_id": product["id"],
                "variant_ids": [by_sku[f"SKU-{tag}-{n}".upper()] for n in range(len(stock))]}

    def variant(self, stock, price=129900):
        return self.product([stock], price)["variant_ids"][0]

    def set_stock(self, variant_id, quantity):
        self.rpc.products.set_stock(STAFF, variant_id, quantity, "cart test: shelf count")

    def set_price(self, variant_id, price):
        self.rpc.products.update_variant(STAFF, variant_id, {"price": price})

    def deactivate(self, product_id):
        self.rpc.products.deactivate_product(STAFF, product_id)


@pytest.fixture(scope="session")
def catalog(config, platform, rpc):
    brand_id, category_id = own_brand_and_category(config, "Aarya Basics", "Kurtas")
    return Catalog(rpc, brand_id, category_id)


@pytest.fixture
def shopper():
    """A signed-in shopper's cart owner (the cart trusts the gateway for who is signed in)."""
    return {"user_id": secrets.randbelow(10**9) + 10**6}


@pytest.fixture
def guest():
    return {"session_id": secrets.token_urlsafe(24)}


def cart_id(owner):
    return (f"user:{owner['user_id']}" if "user_id" in owner
            else f"guest:{guest_hash(owner['session_id'])}")


def cart_events(redis_db, owner, event_type, **match):
    """Envelopes of `event_type` for this owner's cart in the cart_events stream."""
    return events_of_type(redis_db, "cart_events", event_type, cart_id=cart_id(owner), **match)


def analytics_entries(redis_db, owner):
    return [f for _, f in redis_db.xrange("cart:analytics") if f["cart_id"] == cart_id(owner)]


def outbox_envelopes(redis_db):
    import json
    return [json.loads(f["envelope"]) for _, f in redis_db.xrange("outbox:cart")]


def all_cart_events(redis_db, owner):
    return [e for _, e in stream_events(redis_db, "cart_events")
            if e["data"].get("cart_id") == cart_id(owner)]
