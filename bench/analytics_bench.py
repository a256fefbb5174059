"""Analytics throughput and dashboard latency, measured in one run. Prints figures, asserts nothing.

    .venv/bin/python bench/analytics_bench.py [--env test4] [--count 5000] [--queries 200]

Runs in a test env (default `test`; never dev: it writes generated rows into that env's
analytics_db and InfluxDB bucket). It starts the env's platform if it is not running (and stops
what it started); other processes in the same env skew the figures: run it alone.

(a) consumer vs bridge: N cart.item_added events published to the cart service's events
    exchange (as its outbox would); bridge rate = N / (last stream entry - first publish), by
    Redis's entry-id clock; consumer rate = N / (when analytics_db has claimed all N - first
    publish). Both from the same events in the same run, so the ratio is what counts.
    Then the consumer alone: N more XADDed straight into cart_events (no broker, no bridge);
    rate = N / (all claimed - first XADD). `--skip-dashboard` stops after (a).
(b) dashboard queries over 30 days of generated history: 30 days of rollups (sales per day
    and hour, 500 products' daily boards, funnel counts) written straight into analytics_db and
    30 days of one-minute sales points into InfluxDB, then each staff metric for the 30-day
    range through the gateway (--queries times each): p50 / p99 per metric.
"""
import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
import sqlalchemy as sa
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from kombu import Connection, Exchange, Producer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.config import load_config  # noqa: E402
from kit.envelope import make_envelope  # noqa: E402
from kit.tokens import issue_access_token  # noqa: E402
from kit.topology import events_exchange  # noqa: E402
from ops.platformctl import Platform  # noqa: E402
from services.analytics import points  # noqa: E402
from services.analytics.timeseries import influx_settings  # noqa: E402

METRICS = ("sales_by_day", "sales_by_hour", "average_order_value", "funnel", "top_products",
           "cart_abandonment", "search_terms_without_results")
BENCH_PRODUCT_BASE = 9_000_000   # generated product ids, far from the catalog's


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def bench_envelopes(count):
    run = uuid.uuid4().hex[:8]
    return [make_envelope("cart.item_added", "cart", {
        "cart_id": f"bench:{run}:{n}", "user_id": None, "variant_id": 1,
        "product_id": BENCH_PRODUCT_BASE + n % 500, "sku": "BENCH", "unit_price": 100,
        "currency": "INR", "quantity": 1, "line_quantity": 1}, correlation_id=f"bench-{run}")
        for n in range(count)]


def wait_claimed(engine, ids, started):
    with engine.connect() as conn:
        while time.time() - started < 600:
            done = conn.scalar(sa.text(
                "SELECT count(*) FROM processed_events WHERE event_id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": ids})
            if done >= len(ids):
                break
            time.sleep(0.1)
    return time.time()


def process_cpu_s(env, module):
    """CPU seconds (user + system) the env's `module` process has used so far, or None."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            if module.encode() not in cmdline or f"config/{env}.yaml".encode() not in cmdline:
                continue
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return None


def consumer_alone(engine, rdb, count, env):
    from kit.envelope import to_stream_fields
    envelopes = bench_envelopes(count)
    cpu_before = process_cpu_s(env, "services.analytics.service")
    started = time.time()
    for n in range(0, count, 500):
        pipe = rdb.pipeline(transaction=False)
        for envelope in envelopes[n:n + 500]:
            pipe.xadd("cart_events", to_stream_fields(envelope))
        pipe.execute()
    consumed = wait_claimed(engine, [e["id"] for e in envelopes], started)
    cpu_after = process_cpu_s(env, "services.analytics.service")
    rate = count / max(consumed - started, 1e-6)
    print(f"    consumer alone       {rate:8.0f} events/s  "
          f"({count} XADDed straight to cart_events → all claimed)")
    if cpu_before is not None and cpu_after is not None:
        per_event = (cpu_after - cpu_before) / count
        print(f"    analytics process CPU {per_event * 1e3:.3f} ms/event → one whole core "
              f"would absorb {1 / max(per_event, 1e-9):.0f} events/s; it used "
              f"{per_event * rate:.2f} core(s) at the rate above "
              f"(load average {os.getloadavg()[0]:.1f})")


def consumer_vs_bridge(config, engine, rdb, count):
    envelopes = bench_envelopes(count)
    ids = [e["id"] for e in envelopes]
    with engine.connect() as conn:
        claimed_before = conn.scalar(sa.text("SELECT count(*) FROM processed_events"))
    stream_before = rdb.xlen("cart_events")
    started = time.time()
    with Connection(config["AMQP_URI"]) as amqp:
        exchange = Exchange(events_exchange("cart"), type="topic", durable=True)
        producer = Producer(amqp.channel(), exchange=exchange, serializer="json")
        for envelope in envelopes:
            producer.publish(envelope, routing_key=envelope["type"], delivery_mode=2)
    published = time.time()
    while rdb.xlen("cart_events") < stream_before + count and time.time() - started < 300:
        time.sleep(0.05)
    last_entry = rdb.xrevrange("cart_events", count=1)[0][0]
    bridged = int(last_entry.split("-")[0]) / 1000.0
    consumed = wait_claimed(engine, ids, started)
    print(f"(a) {count} cart.item_added: published in {published - started:.2f}s")
    bridge_rate = count / max(bridged - started, 1e-6)
    consumer_rate = count / max(consumed - started, 1e-6)
    print(f"    bridge mirror rate   {bridge_rate:8.0f} events/s  (first publish → last entry)")
    print(f"    analytics_consumer   {consumer_rate:8.0f} events/s  (first publish → all claimed)")
    print(f"    consumer / bridge    {consumer_rate / bridge_rate:8.2f}")
    del claimed_before


def generate_history(config, engine, days=30, products=500):
    today = datetime.now(timezone.utc).date()
    rng = random.Random(30)
    with engine.begin() as conn:
        for d in range(1, days + 1):
            day = today - timedelta(days=d)
            orders = rng.randint(80, 400)
            total = sum(rng.randint(20_000, 600_000) for _ in range(orders))
            conn.execute(sa.text(
                "INSERT INTO sales_metrics (date, total_sales, order_count, avg_order_value) "
                "VALUES (:d, :t, :n, :a) ON CONFLICT (date) DO NOTHING"),
                {"d": day, "t": total, "n": orders, "a": total // orders})
            start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            conn.execute(sa.text(
                "INSERT INTO sales_hourly (hour, total_sales, order_count) VALUES (:h, :t, :n) "
                "ON CONFLICT (hour) DO NOTHING"),
                [{"h": start + timedelta(hours=h), "t": total // 24, "n": orders // 24}
                 for h in range(24)])
            conn.execute(sa.text(
                "INSERT INTO daily_counts (date, stage, count) VALUES (:d, :s, :n) "
                "ON CONFLICT (date, stage, shard) DO NOTHING"),
                [{"d": day, "s": s, "n": n} for s, n in (
                    ("view", orders * 40), ("add_to_cart", orders * 6), ("checkout", orders * 2),
                    ("paid", orders), ("abandoned", orders * 3))])
            conn.execute(sa.text(
                "INSERT INTO product_metrics (date, product_id, views, add_to_carts, purchases) "
                "VALUES (:d, :p, :v, :a, :b) ON CONFLICT (date, product_id) DO NOTHING"),
                [{"d": day, "p": BENCH_PRODUCT_BASE + p, "v": rng.randint(0, 500),
                  "a": rng.randint(0, 60), "b": rng.randint(0, 20)} for p in range(products)])
            conn.execute(sa.text(
                "INSERT INTO search_misses (date, query, count) VALUES (:d, :q, :n) "
                "ON CONFLICT (date, query) DO NOTHING"),
                [{"d": day, "q": f"bench miss {q}", "n": rng.randint(1, 30)} for q in range(50)])
    settings = influx_settings(config)
    with InfluxDBClient(url=settings["url"], token=settings["token"], org=settings["org"],
                        timeout=30_000) as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        lines = [points.sale(uuid.uuid4(), now - timedelta(minutes=m), rng.randint(0, 90_000),
                             "INR") for m in range(1, days * 1440)]
        for n in range(0, len(lines), 5000):
            write.write(bucket=settings["bucket"], org=settings["org"], record=lines[n:n + 5000])
    print(f"(b) history: {days} days of rollups ({products} products/day) and "
          f"{days * 1440} one-minute sales points")


def dashboard_queries(config, queries):
    token = issue_access_token(config["AUTH"], 1, "admin", f"bench-{uuid.uuid4()}")
    http = requests.Session()
    http.trust_env = False
    http.headers["Authorization"] = f"Bearer {token}"
    base = "http://" + str(config["GATEWAY"]["bind"]) + "/api/analytics"
    today = datetime.now(timezone.utc).date()
    span = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
    start = (datetime.now(timezone.utc) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    paths = {m: f"/metrics/{m}?{span}" for m in METRICS}
    paths["top_products"] += "&by=purchases&limit=20"
    paths["live"] = "/live"
    paths["(floor) /health"] = "/../../health"
    paths["series sales 1d"] = f"/series/sales?start={start}&every=1d"
    paths["series sales 1h"] = f"/series/sales?start={start}&every=1h"
    print(f"    {'query (30 days)':28s} {'p50 ms':>8s} {'p99 ms':>8s}")
    worst = 0
    for name, path in paths.items():
        times = []
        if path.startswith("/../../"):
            path = path[len("/../.."):]
            url = base[:-len("/api/analytics")] + path
        else:
            url = base + path
        for _ in range(queries):
            t0 = time.perf_counter()
            response = http.get(url, timeout=30)
            times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                print(f"    {name}: {response.status_code} {response.text[:200]}")
                break
        p99 = pct(times, 99)
        worst = max(worst, p99) if not name.startswith("(floor)") else worst
        print(f"    {name:28s} {statistics.median(times):8.1f} {p99:8.1f}")
    print(f"    worst p99 {worst:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-dashboard", action="store_true", help="only (a)")
    args = parser.parse_args()
    if args.env == "dev":
        sys.exit("run it in a test env: it writes generated rows")
    config = load_config(args.env)
    platform = Platform(env=args.env)
    started = [n for n in platform.names() if not platform.alive(n)]
    if started:
        print(f"starting {', '.join(started)} in env {args.env}")
        platform.up(started)
    try:
        run(config, args)
    finally:
        if started:
            platform.down(started)


def run(config, args):
    import redis
    rdb = redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)
    engine = sa.create_engine(config["DB_URIS"]["analytics"])
    print(f"analytics bench, env {args.env}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    consumer_vs_bridge(config, engine, rdb, args.count)
    consumer_alone(engine, rdb, args.count, args.env)
    if not args.skip_dashboard:
        generate_history(config, engine)
        dashboard_queries(config, args.queries)
    engine.dispose()


if __name__ == "__main__":
    main()
