"""What the payments stories share: the sandbox's cards, orders to pay for, tokens for the
gateway, and read-only looks at payments_db, the payment_events stream and the sandbox."""
import json
import random
import uuid
from datetime import datetime, timezone

import requests
import sqlalchemy as sa

from kit.tokens import issue_access_token
from tests.support.harness import events_of_type, wait_for

SUCCESS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NO_FUNDS = "4000 0000 0000 9995"
CHALLENGE = "4000 0000 0000 3220"
SLOW = "4000 0000 0000 0119"
STREAM = "payment_events"

STAFF = {"user_id": 9101, "role": "admin"}
SUPPORT = {"user_id": 9102, "role": "support"}
SYSTEM = {"user_id": 0, "role": "system"}


def card(number=SUCCESS, cvc="123", holder="Asha Rao"):
    return {"number": number, "exp_month": 12, "exp_year": datetime.now(timezone.utc).year + 3,
            "cvc": cvc, "holder": holder}


def new_shopper():
    return random.randint(10_000_000, 900_000_000)


def new_ip():
    """An address of its own per story, so no story trips another's IP velocity check."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def new_order():
    return {"order_ref": f"ord_{uuid.uuid4().hex}", "order_id": random.randint(1, 10 ** 9)}


def pay(rpc, number=SUCCESS, amount=149900, currency="INR", user_id=None, ip="new",
        method=None, cvc="123", **extra):
    """Initiate a payment for a fresh order, as the orders service does; returns
    (payment, request) so a story can retry the same request."""
    request = {**new_order(), "user_id": user_id or new_shopper(), "amount": amount,
               "currency": currency,
               "payment_method": method or {"card": card(number, cvc=cvc)},
               "ip": new_ip() if ip == "new" else ip,
               "shipping_address": {"full_name": "Asha Rao", "line1": "12 MG Road",
                                    "city": "Bengaluru", "state": "KA", "postal_code": "560001",
                                    "country": "IN", "phone": "+919876543210"}, **extra}
    return rpc.payments.initiate_payment(**request), request


def wait_status(rpc, payment_id, status, timeout=20):
    return wait_for(lambda: (lambda p: p if p["status"] == status else None)(
        rpc.payments.get_payment(STAFF, payment_id)), timeout=timeout,
        message=f"payment {payment_id} to be {status}")


def events(redis_db, event_type, payment_id):
    return events_of_type(redis_db, STREAM, event_type, payment_id=payment_id)


def wait_event(redis_db, event_type, payment_id, timeout=15):
    return wait_for(lambda: events(redis_db, event_type, payment_id), timeout=timeout,
                    message=f"{event_type} for {payment_id} on {STREAM}")[0]


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def attempts(engine, payment_id):
    return rows(engine, "SELECT kind, status, error, latency_ms, provider_ref FROM "
                        "payment_attempts WHERE payment_id = :p ORDER BY id", p=payment_id)


def payment_row(engine, payment_id):
    return rows(engine, "SELECT * FROM payments WHERE id = :p", p=payment_id)[0]


def provider_ref(engine, payment_id):
    return payment_row(engine, payment_id)["provider_ref"]


def sandbox_webhook(redis_db, provider_ref_):
    """What the sandbox keeps of the webhook it sent about a charge (its 'dashboard')."""
    event_id = redis_db.hget(f"sandbox:charge:{provider_ref_}", "webhook_id")
    return event_id, redis_db.hgetall(f"sandbox:webhook:{event_id}")


def webhook_body(event_id, event_type, provider_ref_, **data):
    return json.dumps({"id": event_id, "type": event_type, "created": 0,
                       "data": {"provider_ref": provider_ref_, **data}}, separators=(",", ":"))


class Gateway:
    """HTTP to the gateway as a client would, with tokens minted like the users service's."""

    def __init__(self, url, config):
        self.url = url
        self.config = config

    def headers(self, user_id, role="customer", **extra):
        token = issue_access_token(self.config["AUTH"], user_id, role,
                                   f"payments-test-{uuid.uuid4()}")
        return {"Authorization": f"Bearer {token}", **extra}

    def get(self, path, headers=None):
        return requests.get(self.url + path, headers=headers or {}, timeout=30)

    def post(self, path, body=None, headers=None, data=None):
        if data is not None:
            return requests.post(self.url + path, data=data, headers=headers or {}, timeout=30)
        return requests.post(self.url + path, json=body, headers=headers or {}, timeout=30)

    def delete(self, path, headers=None):
        return requests.delete(self.url + path, headers=headers or {}, timeout=30)


def assert_error(response, status, code=None):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
