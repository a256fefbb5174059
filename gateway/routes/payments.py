"""/api/payments: my saved cards, a payment, staff refunds and fraud reviews, and the card
provider's webhook.

Every route is one payments-service RPC with the caller as `actor`; the service decides who
sees what (somebody else's payment is 404 payment_not_found, exactly like a missing one).
Paying itself happens in POST /api/orders (orders calls payments.initiate_payment).

- POST /api/payments/methods saves a card: the number goes to the provider's vault and only
  its token, brand, last4 and expiry are kept. An optional Idempotency-Key makes a retry return
  the card saved the first time.
- POST /api/payments/{id}/refunds needs an Idempotency-Key: the same key is one refund, however
  often it is sent (201 the first time, 200 with `replayed: true` after).
- POST /api/payments/webhook has no bearer token: the body is signed by the provider
  (Aarya-Signature), and the raw body text is forwarded untouched so the signature can be
  checked over exactly what was signed.
"""
from flask import Blueprint, request

from gateway.auth import require_role, require_user
from gateway.params import json_object
from gateway.rpc import rpc
from kit.errors import BadRequest

bp = Blueprint("payments", __name__, url_prefix="/api/payments")

IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_HEADER = "Aarya-Signature"
STAFF = ("support", "admin")


def actor(principal):
    return {"user_id": principal.user_id, "role": principal.role}


def idempotency_key(required):
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if required and not key:
        raise BadRequest("idempotency_key_required",
                         f"Send an {IDEMPOTENCY_HEADER} header (a fresh random value per "
                         "request; reuse it only to retry the same request).")
    return key or None


@bp.post("/methods")
def save_method():
    """Save a card ({number, exp_month, exp_year, cvc, holder?}) for paying later."""
    me = require_user()
    key = idempotency_key(required=False)
    saved = rpc("payments").tokenize_card(me.user_id, json_object(), save=True,
                                          idempotency_key=key)
    status = 200 if saved.pop("replayed", False) else 201
    return saved, status, {"Location": f"/api/payments/methods/{saved['payment_method_id']}"}


@bp.get("/methods")
def list_methods():
    return {"items": rpc("payments").list_methods(require_user().user_id)}


@bp.delete("/methods/<method_id>")
def delete_method(method_id):
    return rpc("payments").delete_method(require_user().user_id, method_id)


@bp.get("/<payment_id>")
def get_payment(payment_id):
    return rpc("payments").get_payment(actor(require_user()), payment_id)


@bp.post("/<payment_id>/refunds")
def refund(payment_id):
    """Staff: {amount? (minor units; default: all that is left), reason?}."""
    staff = require_role(*STAFF)
    key = idempotency_key(required=True)
    body = json_object() if request.get_data(cache=True).strip() else {}  # {}: refund it all
    result = rpc("payments").refund(actor(staff), payment_id, amount=body.get("amount"),
                                    reason=body.get("reason"), idempotency_key=key)
    return result, 200 if result.get("replayed") else 201


@bp.post("/<payment_id>/review")
def review(payment_id):
    """Staff: {decision: approve | reject, note?} for a payment held for fraud."""
    staff = require_role(*STAFF)
    body = json_object()
    return rpc("payments").review_payment(actor(staff), payment_id, body.get("decision"),
                                          note=body.get("note"))


@bp.post("/webhook")
def webhook():
    """The card provider's signed event; 401 bad_signature, 409 webhook_replayed."""
    body = request.get_data(cache=True, as_text=True)
    return rpc("payments").handle_webhook(body, request.headers.get(SIGNATURE_HEADER))
