"""The shop's load mix, in the shape of Online Boutique's load generator: browse 10, product
page 5, add to cart 3, view cart 2, checkout 1, search 2 (weights per shopper).

Run headless by bench/loadgen_bench.py (which starts the platform and prints the figures):

    locust -f bench/loadgen/locustfile.py --headless -u 30 -r 10 -t 20s --host http://…

The shoppers' accounts are registered and signed in before locust starts (see `fixture`):
argon2 hashing at sign-up is not what the mix measures, and inside the timed run it ate most of
it. Each simulated shopper takes one token, so every request carries a real access token. Checkout pays with the sandbox's success
card under a fresh Idempotency-Key. The catalog must have products (the demo catalog).
"""
import json
import os
import random
import uuid

from locust import HttpUser, between, task

CARD = {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031,
                 "cvc": "123", "holder": "Load Mix"}}
ADDRESS = {"full_name": "Load Mix", "line1": "12 MG Road", "city": "Bengaluru",
           "state": "Karnataka", "postal_code": "560001", "country": "IN",
           "phone": "+91 98765 43210"}
QUERIES = ("kurta", "saree", "cotton", "silk", "blue", "linen shirt", "dupatta", "jacket")

_FIXTURE = {}


def fixture():
    """What bench/loadgen_bench.py prepared before locust started (AARYA_LOAD_FIXTURE, JSON):
    the shoppers' access tokens and the product and variant ids they pick from (active, in
    stock). Made outside the timed run: locust's --run-time clock already runs during its
    test_start hooks, and on a loaded machine they ate the whole run."""
    if not _FIXTURE:
        with open(os.environ["AARYA_LOAD_FIXTURE"]) as fh:
            _FIXTURE.update(json.load(fh))
    return _FIXTURE


def next_token():
    """One pre-made shopper's access token per simulated shopper (round robin past the end)."""
    tokens = fixture()["tokens"]
    token = tokens.pop(0)
    tokens.append(token)
    return token


class Shopper(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {next_token()}"

    @task(10)
    def browse(self):
        self.client.get("/api/products", params={"limit": random.choice((12, 20, 24))},
                        name="browse /api/products")

    @task(5)
    def product_page(self):
        self.client.get(f"/api/products/{random.choice(fixture()['products'])}",
                        name="product /api/products/{id}")

    @task(3)
    def add_to_cart(self):
        self.client.post("/api/cart/items", json={"variant_id": random.choice(
            fixture()["variants"]), "quantity": 1}, name="add to cart /api/cart/items")

    @task(2)
    def view_cart(self):
        self.client.get("/api/cart", name="view cart /api/cart")

    @task(1)
    def checkout(self):
        self.client.post("/api/cart/items", json={"variant_id": random.choice(
            fixture()["variants"]), "quantity": 1}, name="add to cart /api/cart/items")
        self.client.post("/api/orders", json={"shipping_address": ADDRESS,
                                              "payment_method": CARD},
                         headers={"Idempotency-Key": f"load-{uuid.uuid4().hex}"},
                         name="checkout /api/orders")

    @task(2)
    def search(self):
        self.client.get("/api/search", params={"q": random.choice(QUERIES)},
                        name="search /api/search")


class HealthProbe(HttpUser):
    """The paired baseline: the gateway's /health (no Redis, no RPC) at the same concurrency
    and think time. Picked by class name: `locust … HealthProbe`."""
    wait_time = between(0.05, 0.3)

    @task
    def health(self):
        self.client.get("/health", name="baseline /health")
