"""The series' open windows are kept in Redis between two flushes of their measurement: the same
question asked again is not asked of InfluxDB, and the next flush of a sale makes the next
answer include it (kept answers never hide a written point)."""
from datetime import datetime, timedelta, timezone

from tests.analytics.helpers import checkout_paid, pending_points
from tests.support.harness import wait_for


def test_a_kept_series_answer_gives_way_to_the_next_flushed_sale(
        people, shoppers, products, staff, analytics_db, redis_db):
    # A start well before the last LATE_S, so the answer has closed and open windows; hour
    # windows, so the open part's key (it starts at the first open window) stays the same
    # through the story and only the flush can make the answer change.
    start = (datetime.now(timezone.utc) - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = f"/api/analytics/series/sales?every=1h&start={start}"

    def total():
        response = staff.call("GET", path)
        assert response.status_code == 200, response.text
        return sum(p["value"] for p in response.json()["points"])

    wait_for(lambda: pending_points(analytics_db) == 0, timeout=30, message="queue drained")
    first = total()
    kept = redis_db.keys("analytics:series-open:sales:1h:*")
    assert kept, "the open windows' answer was not kept"
    assert total() == first

    order = checkout_paid(people, shoppers[0], products[0])
    assert wait_for(lambda: total() == first + order["total_amount"], timeout=20,
                    message="the flushed sale in the series")
