"""What the orders stories share: shoppers with real accounts and tokens, their HTTP clients,
the sandbox cards, and direct reads of the databases to check what the services did.

Shoppers are registered and signed in through the users service's RPC (real argon2 hashes,
real access tokens); they reach the gateway from a loopback address of their own, as the
per-IP rate limit would see separate people. Everything checked in a database is only read.
"""
import itertools
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy
from requests.adapters import HTTPAdapter

SUCCESS, DECLINED, NO_FUNDS, CHALLENGE, SLOW = (
    "4242424242424242", "4000000000000002", "4000000000009995", "4000000000003220",
    "4000000000000119")
FINAL = ("delivered", "payment_failed", "cancelled", "refunded")

ADDRESS = {"full_name": "Asha Rao", "line1": "12 MG Road", "line2": "Flat 4B",
           "city": "Bengaluru", "state": "Karnataka", "postal_code": "560001", "country": "IN",
           "phone": "+91 98765 43210"}

_NET = random.randrange(1, 250)      # per run: runs sharing Redis never share an address
_ADDRESSES = itertools.count()


def card(number=SUCCESS, holder="Asha Rao", cvc="123"):
    return {"card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": cvc,
                     "holder": holder}}


def order_body(number=SUCCESS, holder="Asha Rao", **extra):
    return {"shipping_address": dict(ADDRESS), "payment_method": card(number, holder), **extra}


def new_key():
    return f"chk-{uuid.uuid4().hex}"


def new_client_ip():
    n = next(_ADDRESSES)
    return f"127.{_NET}.{n // 250 + 1}.{n % 250 + 1}"


def session_from(ip):
    class FromAddress(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (ip, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = False
    session.mount("http://", FromAddress(pool_maxsize=20))
    return session


@dataclass
class Person:
    """A signed-in user and their HTTP client to the gateway."""
    user_id: int
    role: str
    email: str
    token: str
    base_url: str
    ip: str = field(default_factory=new_client_ip)

    def __post_init__(self):
        self.http = session_from(self.ip)

    @property
    def owner(self):
        return {"user_id": self.user_id}

    @property
    def actor(self):
        return {"user_id": self.user_id, "role": self.role}

    def call(self, method, path, body=None, key=None, raw=None, timeout=30):
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        if raw is not None:
            headers["Content-Type"] = "application/json"
        return self.http.request(method, f"{self.base_url}{path}", json=body, data=raw,
                                 headers=headers, timeout=timeout)

    def checkout(self, body=None, key="new"):
        key = new_key() if key == "new" else key
        return self.call("POST", "/api/orders", body or order_body(), key=key)

    def order(self, order_id):
        return self.call("GET", f"/api/orders/{order_id}")

    def wait_for(self, order_id, statuses, timeout=30):
        """The order once its status is one of `statuses` (polled through the gateway)."""
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        deadline = time.monotonic() + timeout
        while True:
            response = self.order(order_id)
            assert response.status_code == 200, response.text
            order = response.json()
            if order["status"] in statuses:
                return order
            if time.monotonic() > deadline:
                raise AssertionError(f"order {order_id} is {order['status']} after {timeout}s, "
                                     f"not {statuses}: {order}")
            time.sleep(0.1)


def register(rpc, base_url, role="customer"):
    tag = uuid.uuid4().hex[:12]
    email, password = f"shopper-{tag}@example.com", f"pw-{tag}"
    user = rpc.users.register({"email": email, "username": f"s_{tag}", "password": password,
                               "full_name": f"Shopper {tag}"})
    tokens = rpc.users.login(email, password)
    return Person(user["id"], role, email, tokens["access_token"], base_url)


class People:
    """Registers shoppers through the users service, several at once (argon2 is slow on
    purpose: each account costs a hash and a verify)."""

    def __init__(self, config, base_url, workers=6):
        self.config = config
        self.base_url = base_url
        self.workers = workers
        self._local = threading.local()
        self._proxies = []
        self._lock = threading.Lock()

    def rpc(self):
        """This thread's own RPC proxy (a standalone proxy serves one call at a time)."""
        if not hasattr(self._local, "rpc"):
            proxy = ClusterRpcProxy(self.config, timeout=120)
            self._local.rpc = proxy.start()
            with self._lock:
                self._proxies.append(proxy)
        return self._local.rpc

    def shoppers(self, count):
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(lambda _: register(self.rpc(), self.base_url),
                                 range(count)))

    def shopper(self):
        return self.shoppers(1)[0]

    def close(self):
        for proxy in self._proxies:
            proxy.stop()


class Catalog:
    """Products for the stories, made through the products service's RPC."""

    STAFF = {"user_id": 1, "role": "admin"}

    def __init__(self, rpc, brand_id, category_id):
        self.rpc = rpc
        self.brand_id = brand_id
        self.category_id = category_id

    def variants(self, *stocks, price=149900):
        tag = uuid.uuid4().hex[:10]
        sizes = ["S", "M", "L", "XL", "XXL", "XS"]
        product = self.rpc.products.create_product(self.STAFF, {
            "name": f"Block-print kurta {tag}", "brand_id": self.brand_id,
            "category_id": self.category_id, "price": price, "currency": "INR",
            "variants": [{"sku": f"KRT-{tag}-{n}", "size": sizes[n], "colour": "Indigo",
                          "inventory_count": count} for n, count in enumerate(stocks)]})
        by_sku = {v["sku"].upper(): v["id"] for v in product["variants"]}
        return [by_sku[f"KRT-{tag}-{n}".upper()] for n in range(len(stocks))]

    def variant(self, stock, price=149900):
        return self.variants(stock, price=price)[0]


# --- reading the databases --------------------------------------------------------------------

def stock_of(products_db, variant_id):
    with products_db.connect() as conn:
        return conn.scalar(sa.text("SELECT inventory_count FROM product_variants WHERE id = :v"),
                           {"v": variant_id})


def reservation_status(products_db, order_ref):
    with products_db.connect() as conn:
        return conn.scalar(sa.text("SELECT min(status) FROM inventory_reservations "
                                   "WHERE order_ref = :r"), {"r": order_ref})


def ledger_reasons(products_db, order_ref):
    with products_db.connect() as conn:
        return [r for (r,) in conn.execute(sa.text(
            "SELECT reason FROM inventory_logs WHERE order_ref = :r ORDER BY id"),
            {"r": order_ref})]


def orders_rows(orders_db, where="TRUE", **params):
    with orders_db.connect() as conn:
        return conn.execute(sa.text(f"SELECT * FROM orders WHERE {where} ORDER BY id"),
                            params).mappings().all()


def history(orders_db, order_id):
    with orders_db.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT old_status, new_status FROM order_status_history WHERE order_id = :o "
            "ORDER BY id"), {"o": order_id})]


def payment_rows(payments_db):
    """Every payment as {order_ref, status}, from the payments service's own database."""
    with payments_db.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT order_ref, status FROM payments")).mappings()]


def restart(platform, name):
    platform.start(name)
    platform.wait_healthy(name, timeout=90)
