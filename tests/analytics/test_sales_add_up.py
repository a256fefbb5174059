"""Stories of the sales figures: thirty shoppers check out through the gateway, and the
analytics service's figures for today match what orders_db says was paid, to the paisa, in
PostgreSQL, through the staff API and in InfluxDB."""
import random
from datetime import datetime, timedelta, timezone

import pytest

from kit import analytics_live
from services.analytics.timeseries import influx_settings
from tests.analytics.helpers import (checkouts, influx_sales, paid_orders, sales_today,
                                     settled)
from tests.support.harness import wait_for


def test_thirty_checkouts_add_up_to_the_paisa_everywhere(config, people, shoppers, products,
                                                          orders_db, analytics_db, staff, since):
    pairs = [(shopper, products[n % 3], 1 + n % 2) for n, shopper in enumerate(shoppers)]
    orders = checkouts(people, pairs)
    assert len(orders) == 30 and {o["status"] for o in orders} == {"paid"}

    mine = paid_orders(orders_db, refs=[o["order_ref"] for o in orders])
    assert mine == (sum(o["total_amount"] for o in orders), 30)
    total, count = paid_orders(orders_db)  # with earlier stories' orders, if any ran first
    # The rollup only ever grows, so it either reaches the truth exactly or it overshoots.
    assert settled(lambda: sales_today(analytics_db)) == (total, count)

    response = staff.call("GET", "/api/analytics/metrics/sales_today")
    assert response.status_code == 200, response.text
    figures = response.json()
    assert (figures["total_sales"], figures["order_count"]) == (total, count)
    assert figures["avg_order_value"] == total // count

    live = staff.call("GET", "/api/analytics/live").json()
    assert (live["sales_today"], live["orders_today"]) == (total, count)

    settings = influx_settings(config)
    assert wait_for(lambda: influx_sales(settings["url"], settings, since) == (total, count),
                    timeout=20, message="InfluxDB's sales to match orders_db")


def test_staff_read_metrics_and_bad_questions_get_stable_codes(staff, people, analytics_db):
    by_day = staff.call("GET", "/api/analytics/metrics/sales_by_day?from=2026-01-01&to=2026-12-31")
    assert by_day.status_code == 200, by_day.text
    assert len(by_day.json()["days"]) == 365

    for name in ("funnel", "top_products", "cart_abandonment", "sales_by_hour",
                 "average_order_value", "search_terms_without_results"):
        response = staff.call("GET", f"/api/analytics/metrics/{name}")
        assert response.status_code == 200, (name, response.text)
    funnel = staff.call("GET", "/api/analytics/metrics/funnel").json()
    assert [s["stage"] for s in funnel["steps"]] == ["view", "add_to_cart", "checkout", "paid"]
    top = staff.call("GET", "/api/analytics/metrics/top_products?by=purchases").json()
    assert top["products"] and top["products"][0]["purchases"] >= top["products"][-1]["purchases"]

    def code(path):
        response = staff.call("GET", path)
        assert 400 <= response.status_code < 500, response.text
        return response.status_code, response.json()["error"]["code"]

    assert code("/api/analytics/metrics/revenue_by_moon") == (404, "unknown_metric")
    assert code("/api/analytics/series/moon_phase?start=2026-12-01T00:00:00Z") == (
        404, "unknown_metric")
    assert code("/api/analytics/metrics/sales_by_day?from=2026-12-05&to=2026-12-01") == (
        422, "invalid_range")
    assert code("/api/analytics/metrics/sales_by_day?from=2024-01-01&to=2026-12-01") == (
        422, "range_too_long")
    assert code("/api/analytics/metrics/sales_by_day?from=yesterday") == (
        422, "validation_failed")
    assert code("/api/analytics/series/sales?start=2026-12-02T00:00:00Z"
                "&stop=2026-12-01T00:00:00Z") == (422, "invalid_range")

    shopper = people.shopper()
    refused = shopper.call("GET", "/api/analytics/metrics/sales_today")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")


def test_the_gateways_request_latencies_become_a_series(staff):
    start = (datetime.now(timezone.utc) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def latency_points():
        response = staff.call("GET", f"/api/analytics/series/latency_ms?start={start}&every=1m")
        assert response.status_code == 200, response.text
        return response.json()["points"]

    points = wait_for(latency_points, timeout=20, message="request latencies in InfluxDB")
    assert all(p["value"] > 0 for p in points)


def test_latency_ms_weighs_each_second_by_its_requests(staff, redis_db):
    """The gateway pushes one sample per worker, route and second; the series' mean is over
    requests: 1×10 ms, 3 requests summing 30 ms and an older one-request sample of 50 ms are
    (10+30+50)/5 = 18 ms, not the 23.3 ms mean of the three samples. A past minute of its own
    (random, in 2025) so no live request joins it."""
    minute = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(
        minutes=random.randrange(365 * 24 * 60))
    at_ms = int(minute.timestamp() * 1000)
    redis_db.rpush(analytics_live.LATENCY,
                   analytics_live.latency_sample("GET /story", 1, 10.0, 10.0, at_ms // 1000),
                   analytics_live.latency_sample("GET /story", 3, 30.0, 20.0, at_ms // 1000 + 7),
                   f"GET /story|50.0|{at_ms + 20_000}")
    start = minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    stop = (minute + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    seen = []

    def the_minute():  # the three may be flushed in two batches: wait for all of them
        response = staff.call(
            "GET", f"/api/analytics/series/latency_ms?start={start}&stop={stop}&every=1m")
        assert response.status_code == 200, response.text
        seen.append([p["value"] for p in response.json()["points"]])
        return seen[-1] == [pytest.approx(18.0)]

    try:
        wait_for(the_minute, timeout=20)
    except AssertionError:
        raise AssertionError(f"the story's minute: saw {seen[-3:]}, want [18.0]") from None
