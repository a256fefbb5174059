"""OpenAPI part of cards, refunds and the provider's webhook (gateway/routes/payments.py)."""
from services.payments import schemas as payments
from gateway.openapi import errors, operation, ref

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
# The provider's webhook carries no bearer token: its body is signed instead.
SECURITY_SCHEMES = {"webhookSignature": {
    "type": "apiKey", "in": "header", "name": "Aarya-Signature",
    "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, \"<t>.<raw body>\")>; "
                   "older than 5 minutes or an event id seen before: 409 `webhook_replayed`."}}


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
    "SavedCard": payments.SavedCardOut,
    "PaymentMethod": payments.PaymentMethodOut,
    "PaymentMethodList": payments.PaymentMethodListOut,
    "PaymentMethodDeleted": payments.PaymentMethodDeletedOut,
    "Refund": payments.RefundOut,
    "ChargedWith": payments.ChargedWithOut,
    "PaymentAttempt": payments.AttemptOut,
    "FraudFlag": payments.FraudFlagOut,
    "PaymentSummary": payments.PaymentOut,
    "Payment": payments.PaymentDetailsOut,
    "RefundRequest": payments.RefundSchema(only=["amount", "reason"]),
    "FraudReviewRequest": payments.ReviewSchema(only=["decision", "note"]),
    "WebhookEvent": payments.WebhookEventSchema,
    "WebhookReceipt": payments.WebhookReceiptOut,
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
        "Review a payment held for fraud", "payments", "200", ref("PaymentSummary"), "403", "404",
        "409", body="FraudReviewRequest", params=[PAYMENT_ID],
        ok_description="approve: charged now (completed, or failed); reject: failed")},
    "/api/payments/webhook": {"post": signed_by_provider(operation(
        "Receive a card provider event", "payments", "200", ref("WebhookReceipt"), "409",
        body="WebhookEvent", auth=False,
        ok_description="Applied (or nothing was waiting for it)"))},
}
