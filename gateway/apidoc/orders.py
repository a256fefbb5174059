"""OpenAPI part of checkout and orders (gateway/routes/orders.py)."""
from services.orders import schemas as orders
from gateway.openapi import BEFORE_ID, _id_param, json_content, operation, _query, ref

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
SCHEMAS = {
    "Address": orders.AddressOut,
    "Card": {"type": "object", "additionalProperties": False,
             "required": ["number", "exp_month", "exp_year", "cvc", "holder"],
             "properties": {
                 "number": {"type": "string"},
                 "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
                 "exp_year": {"type": "integer"},
                 "cvc": {"type": "string", "pattern": "^[0-9]{3,4}$"},
                 "holder": {"type": "string", "maxLength": 100}}},
    "OrderRequest": orders.CreateOrderSchema,
    "OrderLine": orders.OrderLineOut,
    "PaidWith": orders.PaidWithOut,
    "OrderPayment": orders.OrderPaymentOut,
    "Cancellation": orders.CancellationOut,
    "Order": orders.OrderOut,
    "OrderPage": orders.OrderPageOut,
    "StatusChange": orders.StatusChangeOut,
    "TrackingUpdate": orders.TrackingUpdateOut,
    "Tracking": orders.TrackingOut,
    "OrderDetails": orders.OrderDetailsOut,
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
