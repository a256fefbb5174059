"""The consumer applies a read's events in one transaction, summed per key (recording.Tally):
the figures must be what one-by-one counting gives, and an event twice in one read counts once."""
import random
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from kit import analytics_live
from kit.envelope import make_envelope, to_stream_fields
from tests.analytics.helpers import consumer_caught_up
from tests.support.harness import wait_for


def test_a_burst_of_views_and_add_to_carts_adds_up_per_product_and_counts_a_repeat_once(
        redis_db, analytics_db, platform):
    base = random.randrange(7_000_000, 8_000_000) * 10
    products = [base + n for n in range(3)]
    session_id = f"s-{uuid.uuid4().hex}"
    adds = [make_envelope("cart.item_added", "cart", {
        "cart_id": f"batch:{n}", "user_id": None, "variant_id": 1, "product_id": products[n % 3],
        "sku": "BATCH", "unit_price": 100, "currency": "INR", "quantity": 1, "line_quantity": 1},
        correlation_id="test-batches") for n in range(30)]
    views = [make_envelope("product.viewed", "products", {
        "product_id": products[n % 2], "session_id": session_id, "user_id": None},
        correlation_id="test-batches") for n in range(9)]
    pipe = redis_db.pipeline(transaction=True)  # one MULTI: the consumer reads them together
    for envelope in adds + [adds[0]]:           # adds[0] twice: a redelivery inside the batch
        pipe.xadd("cart_events", to_stream_fields(envelope))
    for envelope in views:
        pipe.xadd("product_events", to_stream_fields(envelope))
    pipe.execute()

    ids = [e["id"] for e in adds + views]
    with analytics_db.connect() as conn:
        wait_for(lambda: conn.scalar(sa.text(
            "SELECT count(*) FROM processed_events WHERE event_id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": ids}) == len(ids), timeout=30, message="every event claimed")
    wait_for(lambda: consumer_caught_up(redis_db), timeout=30, message="consumer caught up")

    day = datetime.now(timezone.utc).date()
    with analytics_db.connect() as conn:
        rows = {r.product_id: (r.views, r.add_to_carts) for r in conn.execute(sa.text(
            "SELECT product_id, views, add_to_carts FROM product_metrics "
            "WHERE date = :d AND product_id = ANY(:p)"), {"d": day, "p": products})}
        visit = conn.execute(sa.text(
            "SELECT started_at, ended_at, pages_visited FROM user_sessions WHERE session_id = :s"),
            {"s": session_id}).one()
    assert rows == {products[0]: (5, 10), products[1]: (4, 10), products[2]: (0, 10)}
    times = sorted(datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00"))
                   for e in views)
    assert (visit.started_at, visit.ended_at, visit.pages_visited) == (times[0], times[-1], 0)
    for board, column in (("views", 0), ("add_to_carts", 1)):
        key = analytics_live.top_key(board, day)
        for product_id in products:
            expected = rows[product_id][column]
            score = redis_db.zscore(key, str(product_id))
            assert (score or 0) == expected, (board, product_id, score, expected)
