"""The shop's load mix, in the shape of Online Boutique's load generator: browse 10, product
page 5, add to cart 3, view cart 2, checkout 1, search 2 (weights per shopper).

Run headless by bench/loadgen_bench.py (which starts the platform and prints the figures):

    locust -f bench/loadgen/locustfile.py --headless -u 30 -r 10 -t 20s --host http://…

Each simulated shopper registers and signs in through the gateway when it starts, so every
request after that carries a real access token. Checkout pays with the sandbox's success
card under a fresh Idempotency-Key. The catalog must have products (the demo catalog).
"""
import random
import uuid

from locust import HttpUser, between, events, task

CARD = {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031,
                 "cvc": "123", "holder": "Load Mix"}}
ADDRESS = {"full_name": "Load Mix", "line1": "12 MG Road", "city": "Bengaluru",
           "state": "Karnataka", "postal_code": "560001", "country": "IN",
           "phone": "+91 98765 43210"}
QUERIES = ("kurta", "saree", "cotton", "silk", "blue", "linen shirt", "dupatta", "jacket")

CATALOG = {"products": [], "variants": []}  # learnt once per locust process


@events.test_start.add_listener
def learn_catalog(environment, **_):
    """The product and variant ids the shoppers pick from (active, in stock)."""
    import requests

    if Shopper not in environment.user_classes:
        return
    host = environment.host
    listing = requests.get(f"{host}/api/products", params={"limit": 50}, timeout=30).json()
    CATALOG["products"] = [p["id"] for p in listing.get("items", [])]
    for product_id in CATALOG["products"][:20]:
        detail = requests.get(f"{host}/api/products/{product_id}", timeout=30).json()
        CATALOG["variants"] += [v["id"] for v in detail.get("variants", [])
                                if v.get("is_active") and v.get("inventory_count", 0) > 10]
    if not CATALOG["products"] or not CATALOG["variants"]:
        raise RuntimeError("the catalog is empty: load the demo catalog first")


class Shopper(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self):
        tag = uuid.uuid4().hex[:12]
        email, password = f"load-{tag}@example.com", f"pw-{tag}-load"
        self.client.post("/api/auth/register", json={
            "email": email, "username": f"l_{tag}", "password": password,
            "full_name": f"Load {tag}"}, name="(setup) register")
        tokens = self.client.post("/api/auth/login", json={"email": email, "password": password},
                                  name="(setup) login").json()
        self.client.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    @task(10)
    def browse(self):
        self.client.get("/api/products", params={"limit": random.choice((12, 20, 24))},
                        name="browse /api/products")

    @task(5)
    def product_page(self):
        self.client.get(f"/api/products/{random.choice(CATALOG['products'])}",
                        name="product /api/products/{id}")

    @task(3)
    def add_to_cart(self):
        self.client.post("/api/cart/items", json={"variant_id": random.choice(
            CATALOG["variants"]), "quantity": 1}, name="add to cart /api/cart/items")

    @task(2)
    def view_cart(self):
        self.client.get("/api/cart", name="view cart /api/cart")

    @task(1)
    def checkout(self):
        self.client.post("/api/cart/items", json={"variant_id": random.choice(
            CATALOG["variants"]), "quantity": 1}, name="add to cart /api/cart/items")
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
