"""Rate limits per route class (GATEWAY.rate_limits): sign-in routes, writes, search, analytics
events and reads each have their own budget per caller and minute, kept in Redis.

Two extra gateway replicas run beside the session's gateway with small limits (RATE_LIMIT_<CLASS>),
on the same Redis and services; every story alternates its requests between them, so a limit
that trips at exactly its number is one both replicas (and their two workers each) count
together. Each story uses a fresh account and a fresh loopback address, so no other story's
counts move, and the session's own gateway keeps the test config's limits (which never trip).
"""
import time
import uuid

import pytest

from ops.platformctl import replica_name
from tests.orders.helpers import new_client_ip, session_from
from tests.security.conftest import _account

LIMITS = {"auth": 4, "events": 5, "search": 6, "writes": 7, "reads": 8}


@pytest.fixture(scope="module")
def limited_gateways(platform, config):
    """Two gateway replicas (two workers each) with LIMITS, on the session's Redis and services."""
    env = {f"RATE_LIMIT_{cls.upper()}": limit for cls, limit in LIMITS.items()}
    env["GATEWAY_WORKERS"] = 2
    host, _, port = str(config["GATEWAY"]["bind"]).rpartition(":")
    names = {replica_name("gateway", 2): {}, replica_name("gateway", 3): {
        "GATEWAY_BIND": f"{host}:{int(port) + 15}"}}  # replica 3's own slot is the next env's
    for name, bind in names.items():
        platform.start(name, extra_env={**env, **bind})
    for name in names:
        platform.wait_healthy(name, timeout=90)
    yield ["http://" + platform.url(name, extra).split("/")[2] for name, extra in names.items()]
    for name in names:
        platform.stop(name)


class Shopper:
    """A fresh account signed in, sending from an address of its own."""

    def __init__(self, rpc, users_db, ip=None):
        tokens, _, _ = _account(rpc, users_db, "", f"rl{uuid.uuid4().hex[:4]}", "customer")
        self.user_id = tokens["user"]["id"]
        self.token = tokens["access_token"]
        self.ip = ip or new_client_ip()
        self.http = session_from(self.ip)

    def send(self, base, method, path, json=None, signed_in=True):
        headers = {"Authorization": f"Bearer {self.token}"} if signed_in else {}
        return self.http.request(method, base + path, json=json, headers=headers, timeout=30)


# One request of each class, as a shopper sends it (what the route answers does not matter here,
# only that it was let through to the route or refused with 429 before it).
REQUESTS = {
    "auth": lambda s, base: s.send(base, "POST", "/api/auth/refresh",
                                   {"refresh_token": "not-a-token"}, signed_in=False),
    "events": lambda s, base: s.send(base, "POST", "/api/analytics/events", {
        "session_id": f"rl-{s.user_id}", "events": [
            {"type": "page_view", "path": "/", "occurred_at": time.time()}]}),
    "search": lambda s, base: s.send(base, "GET", "/api/search/suggest?q=sh"),
    "writes": lambda s, base: s.send(base, "DELETE", "/api/cart"),
    "reads": lambda s, base: s.send(base, "GET", "/api/cart"),
}


def start_of_a_fresh_window(needed_s=10):
    # Limits count per clock minute: never start a count in the window's last seconds.
    if time.time() % 60 > 60 - needed_s:
        time.sleep(60 - time.time() % 60 + 0.2)


def spend(shopper, gateways, cls, n):
    """n requests of class `cls`, alternating between the gateways; their statuses."""
    return [REQUESTS[cls](shopper, gateways[i % len(gateways)]).status_code for i in range(n)]


def assert_limited(response, cls):
    assert response.status_code == 429, f"{cls}: {response.status_code} {response.text[:200]}"
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["details"]["route_class"] == cls
    assert error["details"]["limit_per_minute"] == LIMITS[cls]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("cls", list(LIMITS))
def test_each_route_class_trips_at_its_own_limit_across_replicas_and_blocks_no_other(
        limited_gateways, rpc, users_db, cls):
    start_of_a_fresh_window()
    shopper = Shopper(rpc, users_db)
    statuses = spend(shopper, limited_gateways, cls, LIMITS[cls])
    assert 429 not in statuses, f"{cls} refused before its limit of {LIMITS[cls]}: {statuses}"
    # The next one, on either replica: the replicas counted together.
    for base in limited_gateways:
        assert_limited(REQUESTS[cls](shopper, base), cls)
    # The same shopper from the same address still gets every other class.
    for other in LIMITS:
        if other != cls:
            response = REQUESTS[other](shopper, limited_gateways[0])
            assert response.status_code != 429, f"{cls} spent, {other}: {response.text[:200]}"


def test_writes_count_per_user_wherever_they_come_from_and_per_address_when_anonymous(
        limited_gateways, rpc, users_db):
    start_of_a_fresh_window()
    limit = LIMITS["writes"]
    roaming = Shopper(rpc, users_db)
    home = roaming.ip
    # One account from changing addresses (a phone between networks) counts as one caller.
    for i in range(limit):
        roaming.http = session_from(new_client_ip())
        assert REQUESTS["writes"](roaming, limited_gateways[i % 2]).status_code != 429
    assert_limited(REQUESTS["writes"](roaming, limited_gateways[1]), "writes")
    # A second account on the first one's first address has a budget of its own.
    neighbour = Shopper(rpc, users_db, ip=home)
    assert REQUESTS["writes"](neighbour, limited_gateways[0]).status_code != 429
    # Signed out, the address is the caller: its writes run out, its signed-in user's do not.
    anonymous = session_from(new_client_ip())
    body = {"variant_id": 1, "quantity": 1}
    for i in range(limit):
        assert anonymous.post(f"{limited_gateways[i % 2]}/api/cart/items", json=body,
                              timeout=30).status_code != 429
    refused = anonymous.post(f"{limited_gateways[0]}/api/cart/items", json=body, timeout=30)
    assert_limited(refused, "writes")


def test_a_class_limit_reports_in_the_headers_and_health_is_never_limited(limited_gateways, rpc,
                                                                          users_db):
    start_of_a_fresh_window()
    shopper = Shopper(rpc, users_db)
    remaining = [int(REQUESTS["auth"](shopper, limited_gateways[i % 2])
                     .headers["X-RateLimit-Remaining"]) for i in range(LIMITS["auth"])]
    assert remaining == list(range(LIMITS["auth"] - 1, -1, -1))
    for base in limited_gateways:
        assert session_from(shopper.ip).get(f"{base}/health", timeout=10).status_code == 200


def test_route_classes():
    from gateway.ratelimit import route_class
    assert route_class("POST", "/api/auth/login") == "auth"
    assert route_class("POST", "/api/auth/refresh") == "auth"
    assert route_class("POST", "/api/auth/logout") == "writes"  # signed in: per user
    assert route_class("POST", "/api/analytics/events") == "events"
    assert route_class("GET", "/api/search") == "search"
    assert route_class("POST", "/api/search/click") == "search"
    assert route_class("GET", "/api/searches") == "reads"
    assert route_class("PATCH", "/api/users/me") == "writes"
    assert route_class("DELETE", "/api/cart") == "writes"
    assert route_class("GET", "/api/products/1") == "reads"
    assert route_class("HEAD", "/api/products") == "reads"
