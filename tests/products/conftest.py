"""Fixtures for the products stories: the real platform, the demo catalog, fresh products.

Everything runs against the real servers of the test env (AARYA_TEST_ENV, default `test`):
the `platform` fixture of tests/conftest.py starts every process, the demo catalog is loaded
with the same command `make up` uses, and the tests read products_db and Redis directly only
to check what the service did. Nothing is mocked.
"""
import uuid

import pytest
import sqlalchemy as sa

from tests.products.helpers import STAFF


@pytest.fixture(scope="session")
def shelf(products_db, demo_catalog):
    """A brand and a leaf category of the demo catalog to hang test products on."""
    with products_db.connect() as conn:
        brand_id = conn.scalar(sa.text("SELECT id FROM brands WHERE slug = 'aarya-basics'"))
        category_id = conn.scalar(sa.text(
            "SELECT id FROM categories WHERE slug = 'men-topwear-t-shirts'"))
    return {"brand_id": brand_id, "category_id": category_id}


@pytest.fixture
def make_product(rpc, shelf):
    """Create a fresh product through the staff RPC: one variant per (size, stock) given."""
    def make(stocks=(10,), price=99900, threshold=5, name=None, **extra):
        tag = uuid.uuid4().hex[:8]
        payload = {
            "name": name or f"Test Tee {tag}", "brand_id": shelf["brand_id"],
            "category_id": shelf["category_id"], "price": price, "currency": "INR",
            "variants": [{"sku": f"T-{tag}-{n}", "size": f"S{n}", "colour": "Black",
                          "inventory_count": stock, "low_stock_threshold": threshold}
                         for n, stock in enumerate(stocks)],
            "images": [{"url": f"https://cdn.aarya.example/test/{tag}.jpg"}],
            **extra,
        }
        return rpc.products.create_product(STAFF, payload)
    return make

