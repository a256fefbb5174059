"""A checkout + browse load on every gateway replica, recording each request, and the figures.

Shoppers check out one unit at a time with an Idempotency-Key; on a 503 or a refused/reset
connection they retry the same key (on the next gateway, as a load balancer would), so an
order is never placed twice. Browsers read the product list and a product page. Every request
is kept as a Sample, so a fault's window can be cut out of the record afterwards.
"""
import itertools
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from tests.orders.helpers import new_key, order_body

# A request that takes longer than the gateway's own RPC timeout (10 s in test) plus slack for a
# machine shared by several suites (load averages of 30 on 2 cores were seen) counts as a hang.
HANG_S = 25.0


@dataclass
class Sample:
    kind: str          # "checkout" | "browse"
    started: float     # time.monotonic()
    elapsed: float
    status: int        # 0 = no HTTP answer (refused, reset, timed out)
    code: str = ""     # the JSON error code, or the exception's name
    json_error: bool = True


@dataclass
class Load:
    gateways: list
    shoppers: list
    variant_ids: list
    product_ids: list
    checkout_threads: int = 4
    browse_threads: int = 2
    samples: list = field(default_factory=list)
    accepted: dict = field(default_factory=dict)   # order_ref → (shopper, order id)
    refused: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = []
        self._gateway_cycle = itertools.cycle(range(len(self.gateways)))
        self._shopper_cycle = itertools.cycle(self.shoppers)

    # ------------------------------------------------------------------ running

    def start(self):
        for n in range(self.checkout_threads):
            self._threads.append(threading.Thread(target=self._checkouts, daemon=True,
                                                  name=f"checkout-{n}"))
        for n in range(self.browse_threads):
            self._threads.append(threading.Thread(target=self._browsing, daemon=True,
                                                  name=f"browse-{n}"))
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=130)
        self.stopped = time.monotonic()

    def _next_gateway(self):
        with self._lock:
            return self.gateways[next(self._gateway_cycle)]

    def _request(self, kind, session, method, path, **kwargs):
        base = self._next_gateway()
        t0 = time.monotonic()
        try:
            response = session.request(method, base + path, timeout=HANG_S * 2, **kwargs)
        except requests.RequestException as exc:
            sample = Sample(kind, t0, time.monotonic() - t0, 0, type(exc).__name__)
            with self._lock:
                self.samples.append(sample)
            return None
        sample = Sample(kind, t0, time.monotonic() - t0, response.status_code)
        if response.status_code >= 400:
            try:
                sample.code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                sample.json_error = False
        with self._lock:
            self.samples.append(sample)
        return response

    def _until_final(self, session, method, path, headers, body):
        """Send (same headers, same key) until a final answer: 2xx, or a 4xx other than 429.
        503s, 5xx and lost connections are retried shortly, as the API asks."""
        deadline = time.monotonic() + 120
        response = None
        while time.monotonic() < deadline:
            response = self._request("checkout", session, method, path, json=body,
                                     headers=headers)
            if response is not None and (response.status_code < 400 or (
                    response.status_code < 500 and response.status_code != 429)):
                return response
            time.sleep(0.2)
        return response

    def _checkouts(self):
        while not self._stop.is_set():
            with self._lock:
                shopper = next(self._shopper_cycle)
            auth = {"Authorization": f"Bearer {shopper.token}"}
            variant = random.choice(self.variant_ids)
            added = self._until_final(shopper.http, "POST", "/api/cart/items", auth,
                                      {"variant_id": variant, "quantity": 1})
            if added is None or added.status_code >= 400:
                continue
            headers = {**auth, "Idempotency-Key": new_key()}
            response = self._until_final(shopper.http, "POST", "/api/orders", headers,
                                         order_body())
            if response is None:
                continue
            if response.status_code in (200, 201):
                order = response.json()
                with self._lock:
                    self.accepted[order["order_ref"]] = (shopper, order["id"])
            else:
                with self._lock:
                    self.refused[self._code(response)] += 1
            time.sleep(0.05)

    @staticmethod
    def _code(response):
        try:
            return response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return str(response.status_code)

    def _browsing(self):
        session = requests.Session()
        session.trust_env = False
        while not self._stop.is_set():
            if random.random() < 0.5:
                self._request("browse", session, "GET", "/api/products?limit=10")
            else:
                self._request("browse", session, "GET",
                              f"/api/products/{random.choice(self.product_ids)}")
            time.sleep(0.02)

    # ------------------------------------------------------------------ reading the record

    def window(self, t0, t1):
        with self._lock:
            return [s for s in self.samples if t0 <= s.started < t1]

    @staticmethod
    def failed(samples):
        """Requests without a final good answer: no answer, 5xx, or 429."""
        return [s for s in samples if s.status == 0 or s.status >= 500 or s.status == 429]

    @staticmethod
    def wrong(samples, hang_s=HANG_S):
        """What a fault must never produce: a 500-class answer other than 503 (an outage is
        503 upstream_unavailable, never 502 or 500), a non-JSON error, or (if hang_s) a request
        hanging beyond the gateway's timeout."""
        return [s for s in samples
                if (s.status >= 500 and s.status != 503)
                or (s.status >= 400 and not s.json_error)
                or (hang_s and s.elapsed > hang_s)]

    @staticmethod
    def slowest(samples):
        return max((s.elapsed for s in samples), default=0.0)

    def summary(self):
        samples = list(self.samples)
        duration = (getattr(self, "stopped", time.monotonic()) - self.started) or 1
        by_kind = Counter(s.kind for s in samples)
        return (f"{len(samples)} requests in {duration:.0f}s ({len(samples) / duration:.1f}/s; "
                f"{by_kind['checkout']} checkout, {by_kind['browse']} browse), "
                f"{len(self.accepted)} orders accepted, statuses "
                f"{dict(sorted(Counter(s.status for s in samples).items()))}")
