"""What the payment routes really answer is what /api/openapi.json says they answer: a shopper
saves a card (and retries with the same key), lists and deletes it, staff refund a payment (and
repeat the key), review a payment held for fraud, and the provider's webhook is acknowledged;
every real response validates against its documented schema."""
import uuid

from services.payments import signatures
from tests.payments.helpers import STAFF, card, new_shopper, pay, webhook_body
from tests.support.openapi import checked, served_document


def test_real_payment_responses_match_their_response_schemas(rpc, gateway, webhook_secret):
    document = served_document(gateway.url)
    shopper = new_shopper()
    me = gateway.headers(shopper)
    key = {"Idempotency-Key": f"card-{uuid.uuid4().hex}"}
    saved = checked(document, "/api/payments/methods", "post",
                    gateway.post("/api/payments/methods", card(), headers={**me, **key}), 201)
    again = checked(document, "/api/payments/methods", "post",
                    gateway.post("/api/payments/methods", card(), headers={**me, **key}), 200)
    assert again["payment_method_id"] == saved["payment_method_id"]
    listed = checked(document, "/api/payments/methods", "get",
                     gateway.get("/api/payments/methods", me), 200)
    assert [m["id"] for m in listed["items"]] == [saved["payment_method_id"]]

    payment, _ = pay(rpc, user_id=shopper, method={"token": saved["token"]})
    path = f"/api/payments/{payment['payment_id']}"
    checked(document, "/api/payments/{payment_id}", "get", gateway.get(path, me), 200)
    staff = gateway.headers(STAFF["user_id"], STAFF["role"])
    refund_key = {"Idempotency-Key": f"refund-{uuid.uuid4().hex}"}
    checked(document, "/api/payments/{payment_id}/refunds", "post",
            gateway.post(f"{path}/refunds", {"amount": 10000, "reason": "torn sleeve"},
                         headers={**staff, **refund_key}), 201)
    replayed = checked(document, "/api/payments/{payment_id}/refunds", "post",
                       gateway.post(f"{path}/refunds", {"amount": 10000, "reason": "torn sleeve"},
                                    headers={**staff, **refund_key}), 200)
    assert replayed["replayed"] is True
    details = checked(document, "/api/payments/{payment_id}", "get", gateway.get(path, staff),
                      200)
    assert details["refunds"] and details["attempts"] and details["fraud"] is not None
    checked(document, "/api/payments/methods/{method_id}", "delete",
            gateway.delete(f"/api/payments/methods/{saved['payment_method_id']}", me), 200)

    held, _ = pay(rpc, amount=25_000_000)
    assert held["status"] == "held"
    rejected = checked(document, "/api/payments/{payment_id}/review", "post",
                       gateway.post(f"/api/payments/{held['payment_id']}/review",
                                    {"decision": "reject"}, headers=staff), 200)
    assert rejected["status"] == "failed"

    event_id = f"evt_stray_{uuid.uuid4().hex}"
    body = webhook_body(event_id, "authorization.succeeded", f"ch_{uuid.uuid4().hex}")
    receipt = checked(document, "/api/payments/webhook", "post", gateway.post(
        "/api/payments/webhook", data=body,
        headers={signatures.HEADER: signatures.sign(webhook_secret, body),
                 "Content-Type": "application/json"}), 200)
    assert receipt["applied"] is False
