"""OpenAPI part of checkout and orders (gateway/routes/orders.py)."""
from services.orders import schemas as orders
from gateway.openapi import (BEFORE_ID, CURRENCY, DATETIME, _id_param, _items, json_content, MONEY,
                             NULLABLE_STRING, operation, _query, ref)

ORDER_ID = _id_param("order_id")
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
                   "description": "A fresh random value per checkout (e.g. a UUID). A retry with "
                                  "the same key and body gets the first response again, never a "
                                  "second order; the same key with another body is 422 "
                                  "`idempotency_key_reused`. Missing: 400 "
                                  "`idempotency_key_required`.",
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
ORDER_STATUS = {"type": "string", "enum": [
    "pending", "payment_pending", "paid", "fulfilled", "shipped", "delivered",
    "payment_failed", "cancelled", "refunded"]}
ORDER_FILTERS = [
    _query("status", ORDER_STATUS),
    _query("user_id", {"type": "integer", "minimum": 1}, "Staff only: one shopper's orders."),
    _query("payment_status", {"type": "string"},
           "e.g. `held`: payments waiting for a fraud review (staff)."),
    BEFORE_ID,
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
]
TRACKING_FIELDS = {
    "carrier": {"type": "string", "maxLength": 60},
    "tracking_number": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9 -]{2,79}$"},
    "current_location": {"type": "string", "maxLength": 200, "nullable": True},
    "estimated_delivery": {"type": "string", "format": "date", "nullable": True},
    "note": {"type": "string", "maxLength": 500, "nullable": True},
}

SCHEMAS = {
    "Address": {"type": "object", "additionalProperties": False,
                "required": ["full_name", "line1", "city", "state", "postal_code", "country",
                             "phone"],
                "properties": {
                    "full_name": {"type": "string", "maxLength": 120},
                    "line1": {"type": "string", "maxLength": 200},
                    "line2": {"type": "string", "maxLength": 200, "nullable": True},
                    "city": {"type": "string", "maxLength": 100},
                    "state": {"type": "string", "maxLength": 100},
                    "postal_code": {"type": "string", "maxLength": 20,
                                    "description": "Checked against the country's format."},
                    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$",
                                "description": "ISO 3166-1 alpha-2, e.g. IN."},
                    "phone": {"type": "string", "description": "7-15 digits, optional +."}}},
    "Card": {"type": "object", "additionalProperties": False,
             "required": ["number", "exp_month", "exp_year", "cvc", "holder"],
             "properties": {
                 "number": {"type": "string"},
                 "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
                 "exp_year": {"type": "integer"},
                 "cvc": {"type": "string", "pattern": "^[0-9]{3,4}$"},
                 "holder": {"type": "string", "maxLength": 100}}},
    "OrderRequest": orders.CreateOrderSchema,
    "OrderLine": {"type": "object", "properties": {
        "variant_id": {"type": "integer"}, "product_id": {"type": "integer"},
        "sku": {"type": "string"}, "name": {"type": "string"}, "size": NULLABLE_STRING,
        "colour": NULLABLE_STRING, "unit_price": MONEY, "quantity": {"type": "integer"},
        "line_total": MONEY}},
    "Order": {"type": "object", "properties": {
        "id": {"type": "integer"}, "order_ref": {"type": "string"},
        "user_id": {"type": "integer"}, "status": ORDER_STATUS,
        "status_reason": NULLABLE_STRING, "currency": CURRENCY, "subtotal_amount": MONEY,
        "total_amount": MONEY, "refunded_amount": MONEY, "item_count": {"type": "integer"},
        "total_quantity": {"type": "integer"},
        "items": {"type": "array", "items": ref("OrderLine")},
        "shipping_address": ref("Address"),
        "payment": {"type": "object", "properties": {
            "payment_id": NULLABLE_STRING, "status": NULLABLE_STRING,
            "failure_code": NULLABLE_STRING,
            "next_action": {"type": "object", "nullable": True},
            "method": {"type": "object", "properties": {
                "type": {"type": "string", "enum": ["card", "token"]},
                "last4": {"type": "string"}}}}},
        "cancellation": {"type": "object", "nullable": True, "properties": {
            "reason": NULLABLE_STRING, "refund_requested_at": DATETIME,
            "refund_id": NULLABLE_STRING, "refunded_at": {**DATETIME, "nullable": True}}},
        "notes": NULLABLE_STRING, "created_at": DATETIME,
        "paid_at": {**DATETIME, "nullable": True}, "shipped_at": {**DATETIME, "nullable": True},
        "delivered_at": {**DATETIME, "nullable": True},
        "cancelled_at": {**DATETIME, "nullable": True}, "updated_at": DATETIME}},
    "OrderDetails": {"allOf": [ref("Order"), {"type": "object", "properties": {
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "old_status": {**ORDER_STATUS, "nullable": True}, "new_status": ORDER_STATUS,
            "reason": NULLABLE_STRING, "actor_id": {"type": "integer", "nullable": True},
            "at": DATETIME}}},
        "tracking": ref("Tracking")}}]},
    "OrderPage": _items("Order", next_before_id={
        "type": "integer", "nullable": True, "description": "Send as `before_id` for more."}),
    "TrackingUpdate": {"type": "object", "properties": {
        **TRACKING_FIELDS, "at": DATETIME}},
    "Tracking": {"type": "object", "properties": {
        "order_id": {"type": "integer"}, "order_ref": {"type": "string"},
        "status": ORDER_STATUS, "carrier": NULLABLE_STRING, "tracking_number": NULLABLE_STRING,
        "current_location": NULLABLE_STRING,
        "estimated_delivery": {"type": "string", "format": "date", "nullable": True},
        "shipped_at": {**DATETIME, "nullable": True},
        "delivered_at": {**DATETIME, "nullable": True},
        "updates": {"type": "array", "items": ref("TrackingUpdate")}}},
    "TrackingRequest": orders.TrackingSchema,
    "OrderStatusChange": orders.StatusChangeSchema,
    "CancelRequest": orders.CancelSchema,
}

PATHS = {
    "/api/orders": {
        "post": operation(
            "Place an order", "orders", "201", ref("Order"), "403", "404", "409",
            body="OrderRequest", params=[IDEMPOTENCY_KEY],
            ok_description="Created: the order as it stands (`payment_pending`, or already "
                           "`paid` / `payment_failed`). 409 `cart_empty`, `out_of_stock` "
                           "(details.lines)."),
        "get": operation("List orders", "orders", "200", ref("OrderPage"), "403", "422",
                         params=ORDER_FILTERS),
    },
    "/api/orders/{order_id}": {"get": operation(
        "An order", "orders", "200", ref("OrderDetails"), "404", params=[ORDER_ID])},
    "/api/orders/{order_id}/cancel": {"post": {**operation(
        "Cancel an order", "orders", "200", ref("OrderDetails"), "400", "404", "409", "413",
        "422",
        params=[ORDER_ID],
        ok_description="Cancelled (not yet paid), or refund under way / refunded (paid). "
                       "409 `illegal_transition` once shipped."),
        "requestBody": {"required": False, "content": json_content(ref("CancelRequest"))}}},
    "/api/orders/{order_id}/status": {"post": operation(
        "Move an order's fulfilment", "orders", "200", ref("OrderDetails"), "403", "404",
        "409", body="OrderStatusChange", params=[ORDER_ID])},
    "/api/orders/{order_id}/tracking": {
        "get": operation("An order's tracking", "orders", "200", ref("Tracking"), "404",
                         params=[ORDER_ID]),
        "post": operation("Add a tracking update", "orders", "201", ref("Tracking"), "403",
                          "404", "409", body="TrackingRequest", params=[ORDER_ID],
                          ok_description="Created"),
    },
}
