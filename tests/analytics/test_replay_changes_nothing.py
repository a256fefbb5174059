"""Stories of redelivery: the analytics consumer reads every stream from the start again, twice,
and not one figure moves (each event counts once by its id)."""
import uuid
from datetime import datetime, timezone

import requests
import sqlalchemy as sa

from services.analytics.events import STREAMS
from services.analytics.timeseries import influx_settings
from tests.analytics.helpers import (checkouts, consumer_caught_up, influx_sales, settled,
                                     side_door_counter)
from tests.realtime.support.clients import Shop
from tests.support.harness import wait_for

TABLES = ("sales_metrics", "sales_hourly", "sales_minutely", "product_metrics", "daily_counts",
          "search_misses", "user_sessions", "order_facts", "page_views", "user_events",
          "processed_events", "outbox")


def figures(analytics_db, redis_db, config, since):
    with analytics_db.connect() as conn:
        rows = {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")).all()), key=str)
                for t in TABLES if t not in ("processed_events", "outbox", "page_views",
                                             "user_events")}
        rows.update({t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                     for t in ("processed_events", "outbox", "page_views", "user_events")})
    rows["live"] = redis_db.hgetall("analytics:live")
    settings = influx_settings(config)
    rows["influx"] = influx_sales(settings["url"], settings, since)
    return rows


def test_every_event_replayed_twice_changes_no_figure(config, people, shoppers, products, shop,
                                                      redis_db, analytics_db, since):
    checkouts(people, [(shoppers[n], products[n % 3], 2) for n in range(3)])
    people.rpc().cart.add_item(shoppers[3].owner, products[2], 1)       # left in the cart
    # As the search service reports a search that found nothing (the stream is the contract;
    # the shared Elasticsearch's speed is not this story's business).
    missed = f"zx{uuid.uuid4().hex[:6]}"
    Shop(redis_db).publish("search.query", "search", {
        "search_id": str(uuid.uuid4()), "user_id": None, "query": missed, "filters": {},
        "sort": "relevance", "results_count": 0})
    requests.post(f"{shop}/api/analytics/events", timeout=10, json={
        "session_id": f"s-{uuid.uuid4().hex}", "events": [{
            "id": str(uuid.uuid4()), "type": "page_view", "path": "/",
            "occurred_at": datetime.now(timezone.utc).isoformat()}]})
    wait_for(lambda: consumer_caught_up(redis_db), timeout=30, message="consumer caught up")
    before = settled(lambda: figures(analytics_db, redis_db, config, since), quiet_s=2)
    assert before["sales_metrics"] and before["influx"][1] >= 3
    # `in`, not `==`: searches of other suites in the same session (tests/search) miss too.
    assert missed in [row[1] for row in before["search_misses"]]

    for _ in range(2):
        entries = sum(redis_db.xlen(s) for s in STREAMS if redis_db.exists(s))
        handled = side_door_counter(config, "stream_entries_handled_total",
                                    group="analytics_consumer", outcome="ok")
        for stream in STREAMS:
            if redis_db.exists(stream):
                redis_db.xgroup_setid(stream, "analytics_consumer", "0")
        wait_for(lambda: side_door_counter(config, "stream_entries_handled_total",
                                           group="analytics_consumer", outcome="ok")
                 >= handled + entries, timeout=60, message="every entry handled again")
        wait_for(lambda: consumer_caught_up(redis_db), timeout=30, message="caught up")

    assert settled(lambda: figures(analytics_db, redis_db, config, since), quiet_s=2) == before
