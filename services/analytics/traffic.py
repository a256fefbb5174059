"""Demo shopper traffic through the real platform, so the dashboard has something to show.

    python -m services.analytics.traffic [--env dev] [--sessions 200] [--shoppers 20] [--days 3]

Everything goes through the gateway, as a storefront would: shoppers register and sign in,
browse (GET /api/products/<id>: product.viewed), send their page views as client event batches
(POST /api/analytics/events), add to cart, and then check out (most pay, some cards decline)
or walk away (the cart service reports the cart abandoned once it has idled past
CART.abandon_after_s). Guests browse without an account.

History: the services stamp every fact with the time it happened, so orders, carts and product
views are today's; page views are sent with their own `occurred_at` spread over the last
--days days (client events may be up to 7 days old), which gives the traffic series and the
funnel's first step their history. Needs the demo catalog (`make up` loads it).
"""
import argparse
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import requests
from tqdm import tqdm

from kit.config import load_config

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


def page_views(store, rng, days, products):
    now = datetime.now(timezone.utc)
    back = timedelta(days=rng.randrange(days), seconds=rng.randrange(6 * 3600))
    start = max(now - back, now - timedelta(days=6, hours=23))
    events = []
    for n in range(rng.randint(2, 8)):
        product = rng.choice(products)[0] if rng.random() < 0.6 else None
        events.append({"id": str(uuid.uuid4()), "type": "page_view",
                       "path": f"/p/{product}" if product else rng.choice(PAGES),
                       "product_id": product,
                       "occurred_at": min(start + timedelta(seconds=40 * n), now).isoformat()})
    store.call("POST", "/api/analytics/events", {"session_id": store.session_id,
                                                 "events": events})


def shop_session(store, rng, products, outcome):
    """Browse, maybe add to cart, then check out or walk away; what happened."""
    picks = rng.sample(products, k=min(len(products), rng.randint(1, 4)))
    for product_id, _ in picks:
        store.call("GET", f"/api/products/{product_id}")
    if not store.token or rng.random() < 0.35:
        return "browsed"
    for product_id, variants in picks[:rng.randint(1, len(picks))]:
        store.call("POST", "/api/cart/items", {"variant_id": rng.choice(variants),
                                               "quantity": rng.randint(1, 2)})
    if outcome == "abandon":
        return "abandoned"
    card = DECLINED if outcome == "decline" else SUCCESS
    order = store.call("POST", "/api/orders", {
        "shipping_address": ADDRESS,
        "payment_method": {"card": {"number": card, "exp_month": 12, "exp_year": 2031,
                                    "cvc": "123", "holder": "Demo Shopper"}}},
        headers={"Idempotency-Key": f"demo-{uuid.uuid4().hex}"})
    return ("declined" if outcome == "decline" else "ordered") if order else "failed"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_ENV", "dev"))
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--days", type=int, default=3, choices=range(1, 8))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    config = load_config(args.env)
    base_url = "http://" + str(config["GATEWAY"]["bind"])
    rng = random.Random(args.seed)

    products = catalog(base_url)
    if not products:
        print("no products with stock: load the demo catalog first (make up)", file=sys.stderr)
        return 1
    shoppers = [s for s in (sign_up(base_url, n) for n in range(args.shoppers)) if s]
    outcomes = {}
    with tqdm(total=args.sessions, unit="session", desc="demo traffic") as bar:
        for _ in range(args.sessions):
            signed_in = shoppers and rng.random() < 0.7
            store = rng.choice(shoppers) if signed_in else Storefront(base_url)
            store.session_id = f"demo-{uuid.uuid4().hex}"
            page_views(store, rng, args.days, products)
            outcome = rng.choices(["pay", "decline", "abandon"], weights=[6, 1, 3])[0]
            result = shop_session(store, rng, products, outcome)
            outcomes[result] = outcomes.get(result, 0) + 1
            bar.set_postfix(outcomes)
            bar.update()
    print("sessions:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
