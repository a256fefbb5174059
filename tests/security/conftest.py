"""Who is who for the security stories: shopper A (who owns the resources), shopper B, a support
agent and an admin, all real accounts signed in through the real users service (staff get their
role in the users database before they sign in, the way `create_admin` makes one), and A's
resources made through the gateway: a cart, a paid order and its payment, a saved method, a
notification, a chat conversation, a review. Everything runs on the session's `platform`.
"""
import uuid
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from tests.orders.helpers import (
    Catalog, card, new_client_ip, new_key, order_body, session_from,
)
from tests.support.harness import wait_for
from tests.support.catalog import own_brand_and_category

ROLES = ("anonymous", "shopper_b", "shopper_a", "support", "admin")


@dataclass
class Caller:
    """One column of the matrix: a token (None for anonymous) and its own client address, so
    the per-IP limits of one caller never spill onto another."""
    name: str
    base_url: str
    token: str | None = None
    user_id: int | None = None
    role: str | None = None
    session_id: str | None = None
    refresh_token: str | None = None
    ip: str = field(default_factory=new_client_ip)

    def __post_init__(self):
        self.http = session_from(self.ip)

    def request(self, method, path, json=None, headers=None, data=None, timeout=30):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.request(method, self.base_url + path, json=json, data=data,
                                 headers=headers, timeout=timeout)


def _account(rpc, users_db, base_url, name, role):
    tag = uuid.uuid4().hex[:12]
    email, password = f"{name}-{tag}@example.com", f"pw-{tag}-Secret"
    user = rpc.users.register({"email": email, "username": f"{name[:6]}_{tag}",
                               "password": password, "full_name": f"{name} {tag}"})
    if role != "customer":
        with users_db.begin() as conn:
            conn.execute(sa.text("UPDATE users SET role = :r WHERE id = :i"),
                         {"r": role, "i": user["id"]})
    tokens = rpc.users.login(email, password)
    assert tokens["user"]["role"] == role
    return tokens, email, password


@pytest.fixture(scope="session")
def users_db(config):
    engine = sa.create_engine(config["DB_URIS"]["users"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def callers(config, rpc, users_db, gateway_url):
    out = {"anonymous": Caller("anonymous", gateway_url)}
    for name, role in (("shopper_a", "customer"), ("shopper_b", "customer"),
                       ("support", "support"), ("admin", "admin")):
        tokens, email, password = _account(rpc, users_db, gateway_url, name, role)
        claims = _claims(config, tokens["access_token"])
        out[name] = Caller(name, gateway_url, tokens["access_token"], tokens["user"]["id"],
                           role, claims["sid"], tokens.get("refresh_token"))
        out[name].email, out[name].password = email, password
    return out


def _claims(config, token):
    from kit.tokens import decode_access_token
    return decode_access_token(config["AUTH"], token)


@pytest.fixture(scope="session")
def security_catalog(platform, config, rpc):
    brand_id, category_id = own_brand_and_category(config, "Matrix Studio", "Matrix")
    return Catalog(rpc, brand_id, category_id)


def ok(response, *statuses):
    statuses = statuses or (200, 201, 202)
    assert response.status_code in statuses, f"{response.status_code} {response.text[:300]}"
    return response.json() if response.content else None


def paid_order(caller, variant_id):
    """A's order through the gateway, waited for until it is paid."""
    ok(caller.request("DELETE", "/api/cart"))
    ok(caller.request("POST", "/api/cart/items", {"variant_id": variant_id, "quantity": 1}))
    order = ok(caller.request("POST", "/api/orders", order_body(),
                              headers={"Idempotency-Key": new_key()}))
    order_id = order["id"]

    def paid():
        got = ok(caller.request("GET", f"/api/orders/{order_id}"))
        return got if got["status"] not in ("pending", "payment_pending", "awaiting_payment",
                                             "reserved", "created") else None
    return wait_for(paid, timeout=60, interval=0.2, message=f"order {order_id} settled")


@pytest.fixture(scope="session")
def resources(callers, security_catalog, rpc):
    """A's things (and a few the staff made), by name, for the matrix's paths and bodies."""
    a, b, admin = callers["shopper_a"], callers["shopper_b"], callers["admin"]
    variants = security_catalog.variants(50, 50, 50)
    res = {"variant": variants[0], "variant_2": variants[1], "variant_3": variants[2]}
    res["product"] = _product_of(rpc, variants[0])
    order = paid_order(a, variants[0])
    res["order"] = order["id"]
    res["payment"] = order["payment"]["payment_id"]
    res["order_to_cancel"] = _order_to_cancel(a, variants[1])
    # the cart stays with one line, so the cart routes have something of A's to touch
    ok(a.request("POST", "/api/cart/items", {"variant_id": variants[2], "quantity": 1}))
    method = ok(a.request("POST", "/api/payments/methods", card()["card"],
                          headers={"Idempotency-Key": new_key()}))
    res["method"] = method["payment_method_id"]
    res["method_b"] = ok(b.request("POST", "/api/payments/methods", card()["card"],
                                   headers={"Idempotency-Key": new_key()}))["payment_method_id"]
    conversation = ok(a.request("POST", "/api/chat/conversations"))
    res["conversation"] = conversation["id"]
    res["review"] = ok(a.request("POST", f"/api/products/{res['product']}/reviews",
                                 {"rating": 5, "title": "Lovely", "body": "Fits well."}))["id"]
    res["promotion"] = ok(admin.request("POST", "/api/promotions", _promotion()))["id"]
    notes = wait_for(lambda: ok(a.request("GET", "/api/notifications"))["items"], timeout=30,
                     message="a notification for A")
    res["notification"] = notes[0]["id"]
    return res


def _product_of(rpc, variant_id):
    variant = rpc.products.get_variants([variant_id])
    first = variant[0] if isinstance(variant, list) else next(iter(variant.values()))
    return first["product_id"]


def _order_to_cancel(caller, variant_id):
    """An order A may still cancel: a card that waits for a 3-D Secure challenge."""
    from tests.orders.helpers import CHALLENGE
    ok(caller.request("DELETE", "/api/cart"))
    ok(caller.request("POST", "/api/cart/items", {"variant_id": variant_id, "quantity": 1}))
    order = ok(caller.request("POST", "/api/orders", order_body(CHALLENGE),
                              headers={"Idempotency-Key": new_key()}))
    return order["id"]


def _promotion():
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    return {"title": "Matrix week", "description": "Only for the matrix.", "discount_percent": 5,
            "starts_at": (now + timedelta(days=30)).isoformat(),
            "ends_at": (now + timedelta(days=31)).isoformat()}
