"""What the analytics stories share: paid checkouts through the gateway, the figures the
analytics service keeps (analytics_db, its RPC, InfluxDB), the truth in orders_db, and an
influxd of the stories' own for the outage story."""
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa
from influxdb_client import InfluxDBClient

from kit.config import ROOT
from kit.streams import stream_settings  # noqa: F401  (the consumer's own settings)
from services.analytics.events import STREAMS
from tests.orders.helpers import new_key, order_body
from tests.support.harness import wait_for

INFLUXD = Path("/opt/aarya/influxdb-1.13.2/bin/influxd")


def checkout_paid(people, shopper, variant, quantity=1):
    """Fill the shopper's cart, place the order through the gateway, wait until it is paid."""
    people.rpc().cart.add_item(shopper.owner, variant, quantity)
    key = new_key()
    for _ in range(3):  # a loaded machine may time the gateway out: retry as a client would,
        response = shopper.checkout(order_body(), key=key)  # the same key: one order at most
        if response.status_code != 503:
            break
    assert response.status_code == 201, response.text
    return shopper.wait_for(response.json()["id"], "paid", timeout=60)


def checkouts(people, pairs, workers=6):
    """[(shopper, variant, quantity)] → their paid orders, several at once."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda p: checkout_paid(people, *p), pairs))


def paid_orders(orders_db, refs=None):
    """(sum of total_amount, count) of the orders in orders_db that were paid (of `refs` if
    given): staff may have moved one on to shipped or refunded it since, and a sale stays a sale
    (analytics keeps refunds in their own column)."""
    where = ("EXISTS (SELECT 1 FROM order_status_history h"
             " WHERE h.order_id = orders.id AND h.new_status = 'paid')")
    params = {}
    if refs is not None:
        where += " AND order_ref = ANY(:refs)"
        params["refs"] = list(refs)
    with orders_db.connect() as conn:
        total, count = conn.execute(sa.text(
            f"SELECT COALESCE(sum(total_amount), 0), count(*) FROM orders WHERE {where}"),
            params).one()
    return int(total), int(count)


def sales_today(analytics_db):
    with analytics_db.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT total_sales, order_count FROM sales_metrics "
            "WHERE date = (now() AT TIME ZONE 'UTC')::date")).first()
    return (int(row.total_sales), int(row.order_count)) if row else (0, 0)


def influx_sales(url, settings, since, until=None):
    """(sum of amount, number of sales) InfluxDB holds since `since` (and before `until`)."""
    stop = f", stop: {until.isoformat()}" if until else ""
    flux = (f'from(bucket: "{settings["bucket"]}") |> range(start: {since.isoformat()}{stop})'
            f' |> filter(fn: (r) => r._measurement == "sales")'
            f' |> group(columns: ["_field"]) |> sum()')
    with InfluxDBClient(url=url, token=settings["token"], org=settings["org"],
                        timeout=5000) as client:
        tables = client.query_api().query(flux, org=settings["org"])
    values = {r.get_field(): int(r.get_value()) for t in tables for r in t.records}
    return values.get("amount", 0), values.get("orders", 0)


def pending_points(analytics_db):
    with analytics_db.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM influx_pending"))


def side_door_counter(config, name, **labels):
    """A counter from the analytics side door's /metrics (summed over matching samples)."""
    port = config["SERVICE_PORTS"]["analytics"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def consumer_caught_up(redis_db, group="analytics_consumer"):
    """True once the group has read every entry of its streams and acknowledged them all."""
    for stream in STREAMS:
        if not redis_db.exists(stream):
            continue
        for info in redis_db.xinfo_groups(stream):
            if info["name"] == group and (info["pending"] or info.get("lag")):
                return False
    return True


def settled(read, quiet_s=1.5, timeout=30):
    """`read()` once it has stopped changing for quiet_s (events still in flight settle)."""
    last, since = read(), time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise AssertionError(f"still changing after {timeout}s: {last}")


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class OwnInflux:
    """An influxd of this story's own (the shared one is never touched): its own config, data
    dir under var/ and ports (HTTP `port`, RPC bind `port + 1`)."""

    def __init__(self, env, port, bucket):
        self.port, self.bucket = port, bucket
        self.dir = ROOT / "var" / f"influxdb-{env}-outage"
        self.url = f"http://127.0.0.1:{port}"
        self.process = None

    def start(self):
        assert INFLUXD.exists(), f"{INFLUXD} missing: run ops/influxdb.sh install"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        conf = self.dir / "influxdb.conf"
        conf.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{self.port + 1}"\n'
            f'[meta]\n  dir = "{self.dir}/meta"\n'
            f'[data]\n  dir = "{self.dir}/data"\n  wal-dir = "{self.dir}/wal"\n'
            f'  query-log-enabled = false\n'
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  flux-enabled = true\n'
            f'  log-enabled = false\n  auth-enabled = false\n'
            f'[monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n')
        self.process = subprocess.Popen([str(INFLUXD), "-config", str(conf)],
                                        stdout=open(self.dir / "influxd.log", "wb"),
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: self._ping(), timeout=60, interval=0.2, message="own influxd up")
        requests.post(f"{self.url}/query", data={"q": f'CREATE DATABASE "{self.bucket}"'},
                      timeout=10).raise_for_status()

    def _ping(self):
        try:
            return requests.get(f"{self.url}/ping", timeout=1).status_code == 204
        except requests.RequestException:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None
