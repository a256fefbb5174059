"""Demo shopper traffic through the real platform, so the dashboard has something to show.

    python -m services.analytics.traffic [--env dev] [--sessions 200] [--shoppers 20] [--days 3]
                                         [--if-empty]

Everything goes through the gateway, as a storefront would: shoppers register and sign in,
browse (GET /api/products/<id>: product.viewed), send their page views as client event batches
(POST /api/analytics/events), add to cart, and then check out (most pay, some cards decline)
or walk away (the cart service reports the cart abandoned once it has idled past
CART.abandon_after_s). Guests browse without an account.

History: the sessions are spread over --days simulated days, oldest first. For each past day
the generator moves the platform's business clock back (kit.demo_clock: a shift in Redis that
every outbox and the cart's idle clock read, on in dev and test only), runs that day's shoppers,
waits until their orders are paid or declined, and moves on; at the end the shift is removed,
also on Ctrl-C. So a sale, its payment, its funnel steps and its InfluxDB points all land on
the day it was made, and a cart left on a past day is reported abandoned on that day as soon
as the next day starts. --if-empty does nothing when analytics already has sales (`make up`
runs it so). Needs the demo catalog (`make up` loads it).
"""
import argparse
import os
import random
import sys
import time
import uuid
from datetime import timedelta

import redis
import requests
from sqlalchemy import text
from tqdm import tqdm

from kit.config import load_config
from kit.db import database_uri, make_engine
from kit.demo_clock import EventClock, demo_enabled, iso, set_shift

SUCCESS, DECLINED = "4242424242424242", "4000000000000002"
ADDRESS = {"full_name": "Demo Shopper", "line1": "12 MG Road", "city": "Bengaluru",
           "state": "Karnataka", "postal_code": "560001", "country": "IN",
           "phone": "+91 98765 43210"}
PAGES = ("/", "/c/kurtas", "/c/sarees", "/search?q=linen", "/c/dupattas", "/offers")


class Storefront:
    """One shopper's (or guest's) HTTP client to the gateway, patient with rate limits."""

    def __init__(self, base_url, token=None):
        self.base_url, self.token = base_url, token
        self.http = requests.Session()
        self.http.trust_env = False
        self.session_id = f"demo-{uuid.uuid4().hex}"

    def call(self, method, path, body=None, headers=None, ok=(200, 201, 202)):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for _ in range(5):
            response = self.http.request(method, self.base_url + path, json=body,
                                         headers=headers, timeout=30)
            if response.status_code != 429:
                break
            time.sleep(min(10, int(response.headers.get("Retry-After", "1"))))
        if response.status_code not in ok:
            return None
        return response.json()


def sign_up(base_url, n):
    tag = uuid.uuid4().hex[:10]
    guest = Storefront(base_url)
    account = {"email": f"demo-{tag}@example.com", "username": f"demo_{tag}",
               "password": f"demo-{tag}-password", "full_name": f"Demo Shopper {n}"}
    guest.call("POST", "/api/auth/register", account)
    tokens = guest.call("POST", "/api/auth/login",
                        {"email": account["email"], "password": account["password"]})
    return Storefront(base_url, tokens["access_token"]) if tokens else None


def catalog(base_url, limit=60):
    store = Storefront(base_url)
    listing = store.call("GET", f"/api/products?limit={min(limit, 100)}") or {"items": []}
    products = []
    for item in listing["items"]:
        detail = store.call("GET", f"/api/products/{item['id']}")
        variants = [v["id"] for v in (detail or {}).get("variants", [])
                    if v.get("inventory_count", 1) > 0]
        if variants:
            products.append((item["id"], variants))
    return products


def page_views(store, rng, clock, products):
    """A few page views that ended just now on the (simulated) day's clock."""
    now = clock.now()
    count = rng.randint(2, 8)
    events = []
    for n in range(count):
        product = rng.choice(products)[0] if rng.random() < 0.6 else None
        events.append({"id": str(uuid.uuid4()), "type": "page_view",
                       "path": f"/p/{product}" if product else rng.choice(PAGES),
                       "product_id": product,
                       "occurred_at": iso(now - timedelta(seconds=40 * (count - 1 - n)))})
    store.call("POST", "/api/analytics/events", {"session_id": store.session_id,
                                                 "events": events})


def shop_session(store, rng, products, outcome):
    """Browse, maybe add to cart, then check out or walk away; what happened."""
    picks = rng.sample(products, k=min(len(products), rng.randint(1, 4)))
    for product_id, _ in picks:
        store.call("GET", f"/api/products/{product_id}")
    if not store.token or rng.random() < 0.35:
        return "browsed", None
    for product_id, variants in picks[:rng.randint(1, len(picks))]:
        store.call("POST", "/api/cart/items", {"variant_id": rng.choice(variants),
                                               "quantity": rng.randint(1, 2)})
    if outcome == "abandon":
        return "abandoned", None
    card = DECLINED if outcome == "decline" else SUCCESS
    order = store.call("POST", "/api/orders", {
        "shipping_address": ADDRESS,
        "payment_method": {"card": {"number": card, "exp_month": 12, "exp_year": 2031,
                                    "cvc": "123", "holder": "Demo Shopper"}}},
        headers={"Idempotency-Key": f"demo-{uuid.uuid4().hex}"})
    if not order:
        return "failed", None
    return ("declined" if outcome == "decline" else "ordered"), (store, order["id"])


def settle(orders, timeout_s=90):
    """Wait until every order has left pending/payment_pending (the saga is done with it);
    returns the orders as last read."""
    deadline = time.monotonic() + timeout_s
    final, waiting = [], list(orders)
    while waiting:
        still = []
        for store, order_id in waiting:
            order = store.call("GET", f"/api/orders/{order_id}") or {"id": order_id}
            busy = order.get("status") in (None, "pending", "payment_pending")
            if busy and time.monotonic() < deadline:
                still.append((store, order_id))
            else:
                final.append(order)
        waiting = still
        if waiting:
            time.sleep(0.5)
    return final


def has_sales(config):
    engine = make_engine(database_uri(config, "analytics"), pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT EXISTS (SELECT 1 FROM sales_metrics)")).scalar()
    finally:
        engine.dispose()


def drive(config, sessions, shoppers, days, seed=7):
    """Run the demo: {"outcomes": {result: count}, "orders": {date: [orders as last read]}}."""
    base_url = "http://" + str(config["GATEWAY"]["bind"])
    rng = random.Random(seed)
    products = catalog(base_url)
    if not products:
        raise SystemExit("no products with stock: load the demo catalog first (make up)")
    accounts = [s for s in (sign_up(base_url, n) for n in range(shoppers)) if s]
    client = redis.Redis.from_url(config["REDIS_URI"])
    clock = EventClock(client)
    outcomes, orders_by_day = {}, {}
    try:
        with tqdm(total=sessions, unit="session", desc="demo traffic") as bar:
            for day in range(days):
                back = days - 1 - day
                set_shift(client, -back * 86400)
                bar.set_description(f"demo traffic, {back} day(s) ago" if back else
                                    "demo traffic, today")
                date, orders = clock.now().date(), []
                for _ in range(sessions * (day + 1) // days - sessions * day // days):
                    signed_in = accounts and rng.random() < 0.7
                    store = rng.choice(accounts) if signed_in else Storefront(base_url)
                    store.session_id = f"demo-{uuid.uuid4().hex}"
                    page_views(store, rng, clock, products)
                    outcome = rng.choices(["pay", "decline", "abandon"], weights=[6, 1, 3])[0]
                    result, order = shop_session(store, rng, products, outcome)
                    orders += [order] if order else []
                    outcomes[result] = outcomes.get(result, 0) + 1
                    bar.set_postfix(outcomes)
                    bar.update()
                # The day's sagas finish on the day's clock before it moves on.
                orders_by_day[date] = settle(orders)
    finally:
        set_shift(client, 0)
    return {"outcomes": outcomes, "orders": orders_by_day}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_ENV", "dev"))
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--days", type=int, default=3, choices=range(1, 8))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--if-empty", action="store_true",
                        help="do nothing if analytics already has sales")
    args = parser.parse_args(argv)
    config = load_config(args.env)
    if args.if_empty and has_sales(config):
        print("analytics already has sales: no demo traffic")
        return 0
    days = args.days if demo_enabled(config) else 1
    if days < args.days:
        print("DEMO.clock is off in this env: every session is today's", file=sys.stderr)
    run = drive(config, args.sessions, args.shoppers, days, args.seed)
    print("sessions:", ", ".join(f"{k} {v}" for k, v in sorted(run["outcomes"].items())))
    for date, orders in sorted(run["orders"].items()):
        statuses = {}
        for order in orders:
            statuses[order.get("status")] = statuses.get(order.get("status"), 0) + 1
        print(f"{date}: orders", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items(), key=str)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
