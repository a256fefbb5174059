"""Stories of product views: what is hot now, what cooled off, and who cannot game it."""
import time
import uuid

import pytest
import sqlalchemy as sa

from kit.errors import NotFound
from services.products import trending
from tests.products.helpers import table_counts
from tests.support.harness import events_of_type, wait_for

HALF_LIFE = trending.DEFAULT_HALF_LIFE_S


@pytest.fixture
def scratch_key(redis_db):
    key = f"test:trending:{uuid.uuid4().hex}"
    yield key
    redis_db.delete(key)


def test_a_fresh_view_outranks_older_ones_that_have_decayed(redis_db, scratch_key):
    now = time.time()
    old, fresh = 9_000_001, 9_000_002
    for viewer in range(3):  # three views two half-lives ago are worth 3/4 of a view today
        trending.record(redis_db, old, session_id=f"s{viewer}-{scratch_key}",
                        at=now - 2 * HALF_LIFE, key=scratch_key)
    trending.record(redis_db, fresh, session_id=f"fresh-{scratch_key}", at=now, key=scratch_key)

    ranked = trending.top(redis_db, 10, now=now, key=scratch_key)
    assert [pid for pid, _, _ in ranked] == [fresh, old]
    assert ranked[0][1] == pytest.approx(1.0) and ranked[1][1] == pytest.approx(0.75)


def test_scores_stay_finite_a_decade_on(redis_db, scratch_key):
    later = trending.EPOCH + 10 * 365 * 24 * 3600  # 2^14600 would overflow a double
    for n in range(4):
        trending.record(redis_db, 9_000_003, session_id=f"{n}-{scratch_key}", at=later,
                        key=scratch_key)
    ((_, count, _),) = trending.top(redis_db, 1, now=later, key=scratch_key)
    assert count == pytest.approx(4.0)


def test_trending_lists_the_most_viewed_products_first(rpc, redis_db, products_db, make_product):
    hot, warm, mild = (make_product() for _ in range(3))
    for product, viewers in ((mild, 1), (hot, 4), (warm, 2)):
        for n in range(viewers):
            rpc.products.record_view(product["id"], session_id=f"sess-{uuid.uuid4().hex[:8]}")

    top = rpc.products.get_trending(10)
    ids = [p["id"] for p in top]
    assert ids[0] == hot["id"]
    assert ids.index(hot["id"]) < ids.index(warm["id"]) < ids.index(mild["id"])
    assert top[0]["views"] == 4 and top[0]["trending_score"] == pytest.approx(4, rel=0.01)
    assert redis_db.get(f"product_views:{hot['id']}") == "4"


def test_one_shopper_refreshing_a_page_counts_once_towards_trending(rpc, redis_db, products_db,
                                                                    make_product):
    product = make_product()
    for _ in range(5):
        rpc.products.record_view(product["id"], user_id=777)

    with products_db.connect() as conn:
        history = conn.scalar(sa.text(
            "SELECT count(*) FROM product_view_history WHERE product_id = :p AND user_id = 777"),
            {"p": product["id"]})
    assert history == 5
    assert redis_db.get(f"product_views:{product['id']}") == "5"
    entry = next(p for p in rpc.products.get_trending(100) if p["id"] == product["id"])
    assert entry["trending_score"] == pytest.approx(1, rel=0.01)
    viewed = wait_for(lambda: (lambda found: found if len(found) >= 5 else None)(
        events_of_type(redis_db, "product_events", "product.viewed", product_id=product["id"])),
        timeout=20, message="five product.viewed events")
    assert all(e["data"]["user_id"] == 777 for e in viewed)


def test_viewing_an_unknown_product_is_not_found(rpc, products_db, demo_catalog):
    before = table_counts(products_db)
    with pytest.raises(NotFound) as missing:
        rpc.products.record_view(987654321, session_id="s")
    assert missing.value.code == "product_not_found"
    assert table_counts(products_db) == before
