"""Story of the demo traffic generator: shoppers driven through the gateway over three simulated
days leave three days of history — each day's sales in sales_metrics, the staff API and
InfluxDB on the day they were made, and each day's page views in the funnel.

It moves the env's business clock (kit.demo_clock), so it runs after every other story
(`runs_last`, tests/conftest.py): the sales stories compare all of orders_db with today.
"""
from datetime import datetime, time, timedelta, timezone

import uuid

import pytest
import sqlalchemy as sa

from kit.demo_clock import SHIFT_KEY
from services.analytics import traffic
from services.analytics.timeseries import influx_settings
from services.users.create_admin import create_admin
from tests.analytics.helpers import influx_sales, pending_points, settled
from tests.orders.helpers import Person
from tests.support.harness import wait_for

pytestmark = pytest.mark.runs_last


def day_sales(analytics_db, dates):
    with analytics_db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT date, total_sales, order_count FROM sales_metrics WHERE date = ANY(:d)"),
            {"d": list(dates)}).all()
    found = {r.date: (int(r.total_sales), int(r.order_count)) for r in rows}
    return {d: found.get(d, (0, 0)) for d in dates}


def day_views(analytics_db, dates):
    with analytics_db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT date, sum(count) AS n FROM daily_counts WHERE stage = 'view' "
            "AND date = ANY(:d) GROUP BY date"), {"d": list(dates)}).all()
    found = {r.date: int(r.n) for r in rows}
    return {d: found.get(d, 0) for d in dates}


@pytest.fixture
def staff_now(config, rpc, shop):
    """An admin signed in now: this story runs last, when the session's `staff` token (15 min)
    may have expired."""
    tag = uuid.uuid4().hex[:10]
    email, password = f"admin-{tag}@example.com", f"pw-{tag}-admin"
    user_id = create_admin(config, email, f"admin_{tag}", password)
    return Person(user_id, "admin", email, rpc.users.login(email, password)["access_token"], shop)


def test_three_simulated_days_leave_three_days_of_history(config, products, staff_now,
                                                          analytics_db, redis_db):
    today = datetime.now(timezone.utc).date()
    dates = [today - timedelta(days=n) for n in (2, 1, 0)]
    influx = influx_settings(config)
    past = (datetime.combine(dates[0], time(), tzinfo=timezone.utc),
            datetime.combine(today, time(), tzinfo=timezone.utc))
    assert wait_for(lambda: pending_points(analytics_db) == 0, timeout=30)
    sales_before = settled(lambda: day_sales(analytics_db, dates))
    views_before = day_views(analytics_db, dates)
    influx_before = settled(lambda: influx_sales(influx["url"], influx, *past))

    run = traffic.drive(config, sessions=45, shoppers=4, days=3, seed=11)

    assert redis_db.get(SHIFT_KEY) is None  # the clock is back to the real time
    assert sorted(run["orders"]) == dates
    placed = [o for orders in run["orders"].values() for o in orders]
    assert {o.get("status") for o in placed} <= {"paid", "payment_failed"}, placed
    paid = {d: [o for o in orders if o["status"] == "paid"] for d, orders in run["orders"].items()}
    assert paid[dates[0]] and paid[dates[1]], "seed 11 pays on both past days"

    expected = {d: (sales_before[d][0] + sum(o["total_amount"] for o in paid[d]),
                    sales_before[d][1] + len(paid[d])) for d in dates}
    assert settled(lambda: day_sales(analytics_db, dates)) == expected

    response = staff_now.call("GET", f"/api/analytics/metrics/sales_by_day?from={dates[0]}&to={today}")
    assert response.status_code == 200, response.text
    assert {d["date"]: (d["total_sales"], d["order_count"]) for d in response.json()["days"]} == {d.isoformat(): expected[d] for d in dates}

    views = day_views(analytics_db, dates)
    assert all(views[d] > views_before[d] for d in dates), (views_before, views)

    # InfluxDB's points of the two past days (their own window, today's left out).
    added = (sum(o["total_amount"] for d in dates[:2] for o in paid[d]),
             sum(len(paid[d]) for d in dates[:2]))
    assert wait_for(lambda: influx_sales(influx["url"], influx, *past) ==
                    (influx_before[0] + added[0], influx_before[1] + added[1]),
                    timeout=20, message="InfluxDB's sales of the two past days")
