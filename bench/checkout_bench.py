"""Checkout end to end through the gateway: cart → POST /api/orders → the order reads `paid`.

    .venv/bin/python bench/checkout_bench.py [--env test8] [--seconds 20] [--shoppers 20]

Rebuilds a test env from scratch (default $AARYA_TEST_ENV, else `test`: its databases from
their migrations, its Redis db, its vhost's queues) and starts every process of the tree in it
with ops.platformctl, as the test suite does, with the gateway's per-IP limit raised so it
counts but never trips. Payments runs its sandbox card gateway, as in the tests.

Then N shoppers (real accounts, real tokens, each from its own loopback address) loop for the
measured seconds after a warm-up: add one unit of a random variant to the cart
(POST /api/cart/items), POST /api/orders with the sandbox's success card and a fresh
Idempotency-Key, and poll GET /api/orders/{id} until it reads `paid` (most answer `paid`
already). Prints paid orders/s, p50/p90/p99 of POST → paid, and each process's CPU per order
(steadier than orders/s on a shared machine).

Last, the oversell check: a variant with 50 units and four rounds of every shopper checking
it out at once (80 checkouts with 20 shoppers); then, for
every variant the run touched, stock at the start − stock now = units in paid orders, every
payment belongs to an order, and no order was paid twice. Prints figures, asserts nothing;
`run` returns the books (tests/orders/test_checkout_bench_books.py asserts they balance).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.config import load_config  # noqa: E402
from kit.errors import ServiceError  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from ops.platformctl import Platform, _group_members  # noqa: E402
from tests.orders.helpers import Catalog, People, new_key, order_body  # noqa: E402
from tests.support import harness  # noqa: E402

VARIANTS, STOCK_EACH, RACE_STOCK = 10, 1_000_000, 50  # VARIANTS: a multiple of 5
RETRIES_AFTER_503 = 20
TICKS = os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--idle", type=float, default=5,
                        help="seconds of no load first, to measure each process's idle CPU")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy every process during the measured seconds into DIR "
                             "(summarise with bench/profile_summary.py DIR)")
    args = parser.parse_args()
    if args.env == "dev":
        sys.exit("refusing to wipe env dev: pick a test env")
    os.environ["AARYA_TEST_ENV"] = os.environ["AARYA_ENV"] = args.env
    harness.TEST_ENV = args.env
    config = load_config(args.env)

    platform = Platform(env=args.env)
    print(f"env {args.env}: rebuilding its databases and starting every process …")
    platform.down()
    harness.reset_service_schemas(config)
    platform.migrate()
    harness.redis_client(config).flushdb()
    harness.delete_vhost_queues(config)
    for name in platform.names():
        extra = {"RATE_LIMIT_PER_MINUTE": "100000000"} if name == "gateway" else None
        platform.start(name, extra_env=extra)
    for name in platform.names():
        platform.wait_healthy(name, timeout=90)
    base_url = "http://" + str(config["GATEWAY"]["bind"])
    try:
        with ClusterRpcProxy(config, timeout=60) as rpc:
            run(args, config, platform, rpc, base_url)
    finally:
        platform.down()


def run(args, config, platform, rpc, base_url):
    catalog = Catalog(rpc, *shelf(config))
    variants = [v for _ in range(VARIANTS // 5) for v in catalog.variants(*[STOCK_EACH] * 5)]
    started_with = {v: STOCK_EACH for v in variants}
    people = People(config, base_url, workers=8)
    t0 = time.monotonic()
    shoppers = people.shoppers(args.shoppers)
    print(f"{args.shoppers} shoppers registered and signed in ({time.monotonic() - t0:.1f} s)")

    alone = []
    for _ in range(10):  # the floor: one shopper, nothing else going on
        shoppers[0].call("POST", "/api/cart/items", {"variant_id": variants[0], "quantity": 1})
        begin = time.monotonic()
        if paid_order(shoppers[0]):
            alone.append(time.monotonic() - begin)
    alone.sort()
    if alone:
        print(f"one shopper alone: POST → paid p50 {pct(alone, 50):.0f} ms, "
              f"max {pct(alone, 100):.0f} ms over {len(alone)} checkouts")

    # What every process burns with no shopper at all (timers, sweepers, stream tails), so the
    # per-order figure can be given net of it too: at a few orders/s it would swamp them.
    idle_from, idle_t0 = cpu_times(platform), time.monotonic()
    time.sleep(args.idle)
    idle_rate = {name: (cpu - idle_from.get(name, cpu)) / (time.monotonic() - idle_t0)
                 for name, cpu in cpu_times(platform).items()}

    stop_at = time.monotonic() + args.warmup + args.seconds
    measure_from = time.monotonic() + args.warmup
    samples, errors, lock = [], Counter(), threading.Lock()
    cpu_before = {}

    def shop(shopper):
        while time.monotonic() < stop_at:
            variant = random.choice(variants)
            added = shopper.call("POST", "/api/cart/items", {"variant_id": variant,
                                                             "quantity": 1})
            if added.status_code != 200:
                with lock:
                    errors[f"cart {added.status_code}"] += 1
                continue
            begin = time.monotonic()
            outcome = paid_order(shopper)
            end = time.monotonic()
            if outcome is not True:
                with lock:
                    errors[outcome or "not paid"] += 1
                continue
            if begin >= measure_from:
                with lock:
                    samples.append((end, end - begin))

    spies = []

    orders_db = sa.create_engine(config["DB_URIS"]["orders"], poolclass=sa.pool.NullPool)

    def paid_so_far():
        with orders_db.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM orders WHERE status = 'paid'"))

    def measuring():
        cpu_before.update(cpu_times(platform))
        cpu_before["paid orders"] = paid_so_far()
        cpu_before["at"] = time.monotonic()
        if args.profile:
            spies.extend(profile(platform, args.profile, args.seconds))

    threading.Timer(args.warmup, measuring).start()
    with ThreadPoolExecutor(args.shoppers) as pool:
        list(pool.map(shop, shoppers))
    cpu_after = cpu_times(platform)
    # Every order paid while the meter ran, however long its shopper waited: CPU per order
    # stays meaningful when a loaded machine pushes latencies past the measured window.
    paid_in_window = paid_so_far() - cpu_before.pop("paid orders", 0)
    metered_s = time.monotonic() - cpu_before.pop("at", time.monotonic())
    orders_db.dispose()
    for spy in spies:
        spy.wait()

    latencies = sorted(s for _, s in samples)
    window = max(min(max(t for t, _ in samples), stop_at) - measure_from, 1e-9) \
        if samples else args.seconds
    print(f"\ncheckout, cart → paid, {args.shoppers} concurrent shoppers, "
          f"{args.seconds:g} s measured after {args.warmup:g} s warm-up")
    if latencies:
        print(f"  paid orders     {len(latencies)}  ({len(latencies) / window:.1f} orders/s)")
        print(f"  POST → paid     p50 {pct(latencies, 50):.0f} ms"
              f"   p90 {pct(latencies, 90):.0f} ms   p99 {pct(latencies, 99):.0f} ms"
              f"   max {latencies[-1] * 1000:.0f} ms"
              f"   mean {statistics.mean(latencies) * 1000:.0f} ms")
    print(f"  errors          {dict(errors) or 'none'}")
    if paid_in_window and cpu_before:
        per_order = {name: (cpu_after[name] - cpu_before[name]) * 1000 / paid_in_window
                     for name in cpu_after if name in cpu_before}
        print(f"  CPU per paid order ({paid_in_window} paid while metered, ms): " + ", ".join(
            f"{name} {ms:.1f}" for name, ms in per_order.items())
            + f"; total {sum(per_order.values()):.1f}")
        net = {name: max(0.0, ms - idle_rate.get(name, 0) * metered_s * 1000 / paid_in_window)
               for name, ms in per_order.items()}
        print("  same, net of idle CPU (ms):  " + ", ".join(
            f"{name} {ms:.1f}" for name, ms in net.items())
            + f"; total {sum(net.values()):.1f}")
        if args.profile:
            Path(args.profile, "cpu_per_order.json").write_text(json.dumps(per_order))

    race_variant = catalog.variant(RACE_STOCK)
    started_with[race_variant] = RACE_STOCK
    for shopper in shoppers:
        rpc.cart.clear_cart(shopper.owner)
    won = 0
    for _ in range(4):  # every shopper races four times, each time for one unit
        racing = [s for s in shoppers if add_quietly(rpc, s, race_variant)]
        if not racing:
            break  # sold out: the cart no longer takes it
        gate = threading.Barrier(len(racing))

        def race(shopper):
            gate.wait()
            return checkout(shopper)

        with ThreadPoolExecutor(len(racing)) as pool:
            won += sum(r.status_code == 201 for r in pool.map(race, racing))
        for shopper in shoppers:
            rpc.cart.clear_cart(shopper.owner)
    books = oversell_check(config, started_with, race_variant, won,
                           [shopper.user_id for shopper in shoppers])
    people.close()
    return {"paid": len(latencies), "errors": dict(errors), "books": books}


def checkout(shopper):
    """POST /api/orders; a 503 ("retry shortly") is retried with the same Idempotency-Key,
    as the API asks of clients (it can never make a second order)."""
    key = new_key()
    for _ in range(RETRIES_AFTER_503):
        response = shopper.checkout(order_body(), key=key)
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response


def paid_order(shopper):
    """POST /api/orders, then poll until paid: True, or what went wrong."""
    response = checkout(shopper)
    if response.status_code != 201:
        return f"checkout {response.status_code}"
    order = response.json()
    while order["status"] != "paid":
        if order["status"] in ("payment_failed", "cancelled"):
            return order["status"]
        time.sleep(0.01)
        order = shopper.order(order["id"]).json()
    return True


def add_quietly(rpc, shopper, variant):
    try:
        rpc.cart.add_item(shopper.owner, variant, 1)
        return True
    except ServiceError:  # the cart refuses what the shelf no longer has
        return False


def shelf(config):
    engine = sa.create_engine(config["DB_URIS"]["products"])
    tag = uuid.uuid4().hex[:8]
    with engine.begin() as conn:
        brand = conn.execute(sa.text("INSERT INTO brands (name, slug) VALUES (:n, :s) "
                                     "RETURNING id"), {"n": f"Bench {tag}", "s": f"bench-{tag}"})
        brand_id = brand.scalar()
        category_id = conn.execute(sa.text("INSERT INTO categories (name, slug) VALUES (:n, :s) "
                                           "RETURNING id"),
                                   {"n": f"Bench {tag}", "s": f"bench-{tag}"}).scalar()
    engine.dispose()
    return brand_id, category_id


def oversell_check(config, started_with, race_variant, won, user_ids):
    for attempt in range(10):  # a shared database server may be out of connections a moment
        try:
            return _oversell_check(config, started_with, race_variant, won, user_ids)
        except sa.exc.OperationalError as exc:
            print(f"  (database busy: {str(exc.orig).strip().splitlines()[0]}; retrying)")
            time.sleep(3)


def _oversell_check(config, started_with, race_variant, won, user_ids):
    """Prints the books and returns them: {mismatched: {variant: (stock taken, units paid)},
    payments_without_order, orders_paid_twice, paid_without_payment, open_orders,
    race_sold, race_left, race_won}. Only this run's shoppers and variants are counted, so
    a database other runs (or tests) share gives the same answer."""
    products = sa.create_engine(config["DB_URIS"]["products"], poolclass=sa.pool.NullPool)
    orders = sa.create_engine(config["DB_URIS"]["orders"], poolclass=sa.pool.NullPool)
    payments_db = sa.create_engine(config["DB_URIS"]["payments"], poolclass=sa.pool.NullPool)
    ours = {"u": list(user_ids)}
    waited, deadline = time.monotonic(), time.monotonic() + 120
    while time.monotonic() < deadline:  # orders still awaiting payment hold their stock
        with orders.connect() as conn:
            open_orders = conn.scalar(sa.text(
                "SELECT count(*) FROM orders WHERE settled_at IS NULL AND user_id = ANY(:u)"),
                ours)
        if not open_orders:
            break
        time.sleep(1)
    print(f"\nall orders final and settled after {time.monotonic() - waited:.1f} s "
          f"({open_orders} still open)")
    with products.connect() as conn:
        now = dict(conn.execute(sa.text("SELECT id, inventory_count FROM product_variants "
                                        "WHERE id = ANY(:v)"), {"v": list(started_with)}).all())
    with orders.connect() as conn:
        sold = dict(conn.execute(sa.text(
            "SELECT i.variant_id, sum(i.quantity) FROM order_items i JOIN orders o "
            "ON o.id = i.order_id WHERE o.status = 'paid' GROUP BY i.variant_id")).all())
        by_status = dict(conn.execute(sa.text(
            "SELECT status, count(*) FROM orders WHERE user_id = ANY(:u) GROUP BY status"),
            ours).all())
        refs = {r for (r,) in conn.execute(sa.text("SELECT order_ref FROM orders"))}
        paid_refs = {r for (r,) in conn.execute(sa.text(
            "SELECT order_ref FROM orders WHERE status = 'paid' AND user_id = ANY(:u)"), ours)}
    with payments_db.connect() as conn:
        pays = [dict(r) for r in conn.execute(sa.text(
            "SELECT order_ref, status FROM payments WHERE user_id = ANY(:u)"), ours).mappings()]
    completed = Counter(p["order_ref"] for p in pays if p["status"] == "completed")
    mismatched = {v: (started_with[v] - now[v], sold.get(v, 0)) for v in started_with
                  if started_with[v] - now[v] != sold.get(v, 0)}
    print(f"oversell check ({len(started_with)} variants, orders by status {by_status})")
    print(f"  race: {RACE_STOCK} units, {won} checkouts answered 201, "
          f"{now[race_variant]} left on the shelf, {sold.get(race_variant, 0)} sold")
    print(f"  stock taken = units in paid orders: "
          f"{'yes, for every variant' if not mismatched else f'NO: {mismatched}'}")
    print(f"  payments without an order: {len({p['order_ref'] for p in pays} - refs)}; "
          f"orders paid twice: {sum(1 for n in completed.values() if n > 1)}; "
          f"paid orders without a completed payment: {len(paid_refs - set(completed))}")
    for engine in (products, orders, payments_db):
        engine.dispose()
    return {"mismatched": mismatched,
            "payments_without_order": len({p["order_ref"] for p in pays} - refs),
            "orders_paid_twice": sum(1 for n in completed.values() if n > 1),
            "paid_without_payment": len(paid_refs - set(completed)),
            "open_orders": open_orders, "race_won": won,
            "race_sold": sold.get(race_variant, 0), "race_left": now[race_variant]}


def profile(platform, out_dir, seconds):
    """One py-spy per process (each gunicorn worker too), sampling only busy stacks."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    spies = []
    for name in ("gateway", "orders", "products", "cart", "payments", "bridge"):
        pid = platform.pid(name) if name in platform.names() else None
        for member in _group_members(pid) if pid else []:
            spies.append(subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(member), "--duration", str(int(seconds)),
                 "--rate", "200", "--nonblocking", "--format", "raw",
                 "--output", str(Path(out_dir, f"{name}.{member}.txt"))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def cpu_times(platform):
    """CPU seconds (user + system) per process, its whole process group (gunicorn workers)."""
    found = {}
    for name in ("gateway", "orders", "products", "cart", "payments", "bridge"):
        pid = platform.pid(name) if name in platform.names() else None
        if pid:
            found[name] = sum(_cpu(p) for p in _group_members(pid))
    return found


def _cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000


if __name__ == "__main__":
    main()
