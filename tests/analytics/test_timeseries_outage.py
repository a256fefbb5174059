"""Stories of InfluxDB going away: checkouts never notice, the rollups keep serving, the series
answer 503, and once InfluxDB is back every point arrives, none missing, none doubled.

The shared InfluxDB is never touched: the story restarts the analytics service pointed at a
port of its own (ANALYTICS.test_influx_port) where nothing listens yet, so every write really
fails; then it starts its own influxd there (own data dir under var/) and the queue drains.
"""
import pytest

from services.analytics.timeseries import influx_settings
from tests.analytics.helpers import (OwnInflux, checkouts, influx_sales, paid_orders,
                                     pending_points, port_open, sales_today, settled,
                                     side_door_counter)
from tests.support import harness
from tests.support.harness import wait_for


@pytest.fixture
def own_influx(config, platform):
    port = int(config["ANALYTICS"]["test_influx_port"])
    assert not port_open(port), f"something already listens on {port}"
    influx = OwnInflux(harness.TEST_ENV, port, influx_settings(config)["bucket"])
    platform.restart("analytics", extra_env={"INFLUXDB_URL": influx.url})
    yield influx
    influx.stop()
    platform.restart("analytics")  # back on the shared InfluxDB for whatever runs next


def test_checkouts_carry_on_while_influxdb_is_down_and_the_series_catch_up(
        config, people, shoppers, products, orders_db, analytics_db, staff, own_influx, since):
    failures_before = side_door_counter(config, "influx_write_failures_total")
    pairs = [(shoppers[n % len(shoppers)], products[n % 3], 1 + n % 3) for n in range(50)]
    orders = checkouts(people, pairs)

    refs = [o["order_ref"] for o in orders]
    assert paid_orders(orders_db, refs) == (sum(o["total_amount"] for o in orders), 50)
    total, count = paid_orders(orders_db)
    assert settled(lambda: sales_today(analytics_db)) == (total, count)  # rollups unaffected
    rollup = staff.call("GET", "/api/analytics/metrics/sales_today")
    assert rollup.status_code == 200 and rollup.json()["total_sales"] == total
    series = staff.call("GET", "/api/analytics/series/sales?start=" + since.isoformat()
                        .replace("+00:00", "Z"))
    assert (series.status_code, series.json()["error"]["code"]) == (503, "timeseries_unavailable")
    assert pending_points(analytics_db) >= 100           # a sale and a conversion per order
    wait_for(lambda: side_door_counter(config, "influx_write_failures_total")
             > failures_before, message="failed writes counted")

    own_influx.start()
    settings = influx_settings(config)
    wait_for(lambda: pending_points(analytics_db) == 0, timeout=30, message="queue drained")
    assert influx_sales(own_influx.url, settings, since) == (
        sum(o["total_amount"] for o in orders), 50)
    series = staff.call("GET", "/api/analytics/series/sales?every=1d&start="
                        + since.isoformat().replace("+00:00", "Z"))
    assert series.status_code == 200, series.text
    assert sum(p["value"] for p in series.json()["points"]) == sum(
        o["total_amount"] for o in orders)
