"""OpenAPI part of cards, refunds and the provider's webhook (gateway/routes/payments.py)."""
from services.payments import schemas as payments
from gateway.openapi import (CURRENCY, DATETIME, errors, _items, MONEY, NULLABLE_STRING, operation,
                             ref)

PAYMENT_ID = {"name": "payment_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^pay_[0-9a-f]{32}$"}}
METHOD_ID = {"name": "method_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^pm_[0-9a-f]{32}$"}}
REFUND_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
              "description": "A fresh random value per refund. The same key is the same refund "
                             "however often it is sent (201 first, then 200 with "
                             "`replayed: true`). Missing: 400 `idempotency_key_required`.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
SAVE_CARD_KEY = {**REFUND_KEY, "required": False,
                 "description": "Optional: a retry with the same key returns the card saved the "
                                "first time (200) instead of saving it again."}
PAYMENT_STATUS = {"type": "string", "enum": [
    "initiated", "held", "pending", "requires_action", "authorized", "completed", "failed",
    "cancelled"]}
# The provider's webhook carries no bearer token: its body is signed instead.
SECURITY_SCHEMES = {"webhookSignature": {
    "type": "apiKey", "in": "header", "name": "Aarya-Signature",
    "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, \"<t>.<raw body>\")>; "
                   "older than 5 minutes or an event id seen before: 409 `webhook_replayed`."}}
CARD_SUMMARY = {"brand": {"type": "string", "example": "visa"},
                "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                "exp_month": {"type": "integer"}, "exp_year": {"type": "integer"}}


def signed_by_provider(op):
    op["security"] = [{"webhookSignature": []}]
    op["responses"].update(errors("401"))
    return op


def also_replayed(op, description):
    op["responses"]["200"] = {"description": description,
                              "content": op["responses"]["201"]["content"]}
    return op


SCHEMAS = {
    "NewCard": payments.CardSchema,
    "SavedCard": {"type": "object", "properties": {
        "payment_method_id": {"type": "string"},
        "token": {"type": "string", "description": "Pay with it: POST /api/orders "
                                                   "payment_method {token}."},
        **CARD_SUMMARY}},
    "PaymentMethod": {"type": "object", "properties": {
        "id": {"type": "string"}, "token": {"type": "string"}, **CARD_SUMMARY,
        "created_at": DATETIME}},
    "PaymentMethodList": _items("PaymentMethod"),
    "PaymentMethodDeleted": {"type": "object", "properties": {
        "id": {"type": "string"}, "deleted": {"type": "boolean"}}},
    "Refund": {"type": "object", "properties": {
        "refund_id": {"type": "string"}, "payment_id": {"type": "string"},
        "amount": MONEY, "currency": CURRENCY,
        "status": {"type": "string", "enum": ["pending", "processed", "failed"]},
        "reason": NULLABLE_STRING, "failure_code": NULLABLE_STRING,
        "idempotency_key": {"type": "string"}, "created_at": DATETIME,
        "processed_at": {**DATETIME, "nullable": True},
        "replayed": {"type": "boolean",
                     "description": "True when this key had already made this refund."}}},
    "Payment": {"type": "object", "properties": {
        "payment_id": {"type": "string"}, "order_ref": {"type": "string"},
        "order_id": {"type": "integer"}, "user_id": {"type": "integer"},
        "amount": MONEY, "currency": CURRENCY, "status": PAYMENT_STATUS,
        "failure_code": {**NULLABLE_STRING, "example": "card_declined"},
        "next_action": {"type": "object", "nullable": True,
                        "description": "requires_action: what the shopper must do."},
        "method": {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["card"]}, "brand": {"type": "string"},
            "last4": {"type": "string"}, "payment_method_id": NULLABLE_STRING}},
        "captured_amount": MONEY, "refunded_amount": MONEY, "refundable_amount": MONEY,
        "refunds": {"type": "array", "items": ref("Refund")},
        "attempts": {"type": "array", "description": "Staff only: every call to the provider.",
                     "items": {"type": "object", "properties": {
                         "id": {"type": "integer"},
                         "kind": {"type": "string",
                                  "enum": ["authorize", "capture", "void", "refund"]},
                         "status": {"type": "string"}, "provider_ref": NULLABLE_STRING,
                         "error": NULLABLE_STRING, "latency_ms": {"type": "integer",
                                                                  "nullable": True},
                         "started_at": DATETIME}}},
        "fraud": {"type": "object", "nullable": True, "description": "Staff only.",
                  "properties": {
                      "risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
                      "reasons": {"type": "array", "items": {"type": "object"}},
                      "decision": {"type": "string", "enum": [
                          "allow", "hold", "approved", "rejected", "expired"]},
                      "reviewed_by": {"type": "integer", "nullable": True}}},
        "created_at": DATETIME, "updated_at": DATETIME,
        "completed_at": {**DATETIME, "nullable": True},
        "failed_at": {**DATETIME, "nullable": True},
        "cancelled_at": {**DATETIME, "nullable": True}}},
    "RefundRequest": payments.RefundSchema(only=["amount", "reason"]),
    "FraudReviewRequest": payments.ReviewSchema(only=["decision", "note"]),
    "WebhookEvent": payments.WebhookEventSchema,
    "WebhookReceipt": {"type": "object", "properties": {
        "received": {"type": "boolean"}, "event_id": {"type": "string"},
        "payment_id": NULLABLE_STRING, "status": {**PAYMENT_STATUS, "nullable": True},
        "applied": {"type": "boolean", "description": "False: nothing was waiting for it."}}},
}

PATHS = {
    "/api/payments/methods": {
        "get": operation("My saved cards", "payments", "200", ref("PaymentMethodList")),
        "post": also_replayed(operation(
            "Save a card", "payments", "201", ref("SavedCard"), "404", "409",
            body="NewCard", params=[SAVE_CARD_KEY], ok_description="Saved"),
            "The card this Idempotency-Key saved before"),
    },
    "/api/payments/methods/{method_id}": {"delete": operation(
        "Delete a saved card", "payments", "200", ref("PaymentMethodDeleted"), "404",
        params=[METHOD_ID])},
    "/api/payments/{payment_id}": {"get": operation(
        "A payment", "payments", "200", ref("Payment"), "404", "422", params=[PAYMENT_ID],
        ok_description="Mine (staff: any, with provider attempts and the fraud flag)")},
    "/api/payments/{payment_id}/refunds": {"post": also_replayed(operation(
        "Refund a payment", "payments", "201", ref("Refund"), "403", "404", "409",
        body="RefundRequest", params=[PAYMENT_ID, REFUND_KEY], ok_description="Refunded"),
        "This Idempotency-Key's refund, made before")},
    "/api/payments/{payment_id}/review": {"post": operation(
        "Review a payment held for fraud", "payments", "200", ref("Payment"), "403", "404",
        "409", body="FraudReviewRequest", params=[PAYMENT_ID],
        ok_description="approve: charged now (completed, or failed); reject: failed")},
    "/api/payments/webhook": {"post": signed_by_provider(operation(
        "Receive a card provider event", "payments", "200", ref("WebhookReceipt"), "409",
        body="WebhookEvent", auth=False,
        ok_description="Applied (or nothing was waiting for it)"))},
}
