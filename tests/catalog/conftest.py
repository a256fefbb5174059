"""Fixtures for the catalog and cart stories told through the gateway.

Everything is real: the `platform` fixture (tests/conftest.py) starts every service, the
bridge and the gateway (gunicorn, gevent workers) in the test env; the demo catalog is loaded
with the command `make up` uses. Tests speak HTTP to the gateway like a client would, and read
products_db, the streams and the gateway's Redis keys only to check what happened.
"""
import uuid

import pytest
import requests
import sqlalchemy as sa

from tests.catalog.helpers import Api, access_token


@pytest.fixture(scope="session")
def api(config, gateway_url, redis_db, products_db, demo_catalog):
    return Api(gateway_url, config, redis_db, products_db)


@pytest.fixture(scope="session")
def staff(config):
    """Headers of a signed-in merchandiser (admin)."""
    return {"Authorization": f"Bearer {access_token(config, 9001, 'admin')}"}


@pytest.fixture(scope="session")
def customer(config):
    """Headers of a signed-in shopper with no staff rights."""
    return {"Authorization": f"Bearer {access_token(config, 4242, 'customer')}"}


@pytest.fixture(scope="session")
def shelf(products_db, demo_catalog):
    """A brand and a leaf category of the demo catalog to put new products on."""
    with products_db.connect() as conn:
        return {"brand_id": conn.scalar(sa.text(
                    "SELECT id FROM brands WHERE slug = 'aarya-basics'")),
                "category_id": conn.scalar(sa.text(
                    "SELECT id FROM categories WHERE slug = 'men-topwear-t-shirts'"))}


@pytest.fixture
def new_product(api, staff, shelf):
    """A fresh product created by staff through the gateway, its events already handled by
    every gateway worker (so nothing in flight can drop a cache entry a test just made)."""
    def make(price=99900, stocks=(10, 4), name=None):
        tag = uuid.uuid4().hex[:8]
        response = requests.post(f"{api.url}/api/products", headers=staff, timeout=15, json={
            "name": name or f"Gateway Tee {tag}", "brand_id": shelf["brand_id"],
            "category_id": shelf["category_id"], "price": price, "currency": "INR",
            "variants": [{"sku": f"GW-{tag}-{n}", "size": ["S", "M", "L", "XL"][n],
                          "colour": "Black", "inventory_count": stock}
                         for n, stock in enumerate(stocks)],
            "images": [{"url": f"https://cdn.aarya.example/gw/{tag}.jpg"}]})
        assert response.status_code == 201, response.text
        product = response.json()
        api.settle(product["id"])
        return product
    return make
