"""The products service's own read cache never serves a page older than the last write."""
import pytest

from services.products import product_cache
from tests.products.helpers import STAFF


@pytest.fixture
def unknown_product_id(redis_db):
    """An id no product has; its cache keys are removed after the test so no one reads them."""
    product_id = 2_000_000_123
    yield product_id
    redis_db.delete(product_cache.generation_key(product_id),
                    product_cache.generation_key(product_id)[:-len(":gen")])


def test_a_reader_that_raced_a_writer_cannot_put_the_old_page_back(redis_db, unknown_product_id):
    product_id = unknown_product_id
    page, generation = product_cache.read(redis_db, product_id)
    assert page is None
    redis_db.incr(product_cache.generation_key(product_id))  # a write lands meanwhile
    product_cache.store_if_current(redis_db, product_id, generation, {"price": 100})
    assert product_cache.read(redis_db, product_id)[0] is None
    _, current = product_cache.read(redis_db, product_id)
    product_cache.store_if_current(redis_db, product_id, current, {"price": 120})
    assert product_cache.read(redis_db, product_id)[0] == {"price": 120}


def test_a_price_change_is_seen_on_the_next_read_of_a_cached_product(rpc, demo_catalog):
    product_id = rpc.products.list_products({"limit": 1})["items"][0]["id"]
    first = rpc.products.get_product(product_id)
    assert rpc.products.get_product(product_id) == first  # now served from the cache
    rpc.products.update_product(STAFF, product_id, {"price": first["price"] + 100})
    assert rpc.products.get_product(product_id)["price"] == first["price"] + 100
