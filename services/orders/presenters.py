"""Plain dicts the orders service returns over RPC (never ORM objects, never Decimals).

`order` is what a shopper and the checkout response see; `order_details` adds the status
history and the latest tracking. A checkout's stored idempotent response is an `order`.
"""
from kit.presenters import iso

ADDRESS_FIELDS = ("full_name", "line1", "line2", "city", "state", "postal_code", "country",
                  "phone")


def item(row):
    return {"variant_id": row.variant_id, "product_id": row.product_id, "sku": row.sku,
            "name": row.name, "size": row.size, "colour": row.colour,
            "unit_price": row.unit_price, "quantity": row.quantity,
            "line_total": row.line_total}


def address(row):
    return {k: getattr(row, k) for k in ADDRESS_FIELDS} if row is not None else None


def payment(order):
    return {"payment_id": order.payment_id, "status": order.payment_status,
            "failure_code": order.payment_failure_code, "next_action": order.payment_next_action,
            "method": order.payment_method}


def cancellation(order):
    if order.refund_requested_at is None:
        return None
    return {"reason": order.refund_reason, "refund_requested_at": iso(order.refund_requested_at),
            "refund_id": order.refund_id, "refunded_at": iso(order.refund_completed_at)}


def order(row, items, shipping_address):
    return {
        "id": row.id,
        "order_ref": row.order_ref,
        "user_id": row.user_id,
        "status": row.status,
        "status_reason": row.status_reason,
        "currency": row.currency,
        "subtotal_amount": row.subtotal_amount,
        "total_amount": row.total_amount,
        "refunded_amount": row.refunded_amount,
        "item_count": row.item_count,
        "total_quantity": row.total_quantity,
        "items": [item(i) for i in sorted(items, key=lambda i: i.variant_id)],
        "shipping_address": address(shipping_address),
        "payment": payment(row),
        "cancellation": cancellation(row),
        "notes": row.notes,
        "created_at": iso(row.created_at),
        "paid_at": iso(row.paid_at),
        "shipped_at": iso(row.shipped_at),
        "delivered_at": iso(row.delivered_at),
        "cancelled_at": iso(row.cancelled_at),
        "updated_at": iso(row.updated_at),
    }


def history(row):
    return {"old_status": row.old_status, "new_status": row.new_status, "reason": row.reason,
            "actor_id": row.actor_id, "at": iso(row.created_at)}


def tracking_update(row):
    return {"carrier": row.carrier, "tracking_number": row.tracking_number,
            "current_location": row.current_location,
            "estimated_delivery": iso(row.estimated_delivery), "note": row.note,
            "at": iso(row.created_at)}


def tracking(order_row, updates):
    """Where the parcel is now (the newest update) and how it got there (oldest first)."""
    latest = updates[-1] if updates else None
    return {
        "order_id": order_row.id,
        "order_ref": order_row.order_ref,
        "status": order_row.status,
        "carrier": latest.carrier if latest else None,
        "tracking_number": latest.tracking_number if latest else None,
        "current_location": latest.current_location if latest else None,
        "estimated_delivery": iso(latest.estimated_delivery) if latest else None,
        "shipped_at": iso(order_row.shipped_at),
        "delivered_at": iso(order_row.delivered_at),
        "updates": [tracking_update(u) for u in updates],
    }


def abandoned_cart(row):
    return {"id": row.id, "cart_id": row.cart_id, "user_id": row.user_id,
            "last_touched_at": iso(row.last_touched_at), "idle_s": row.idle_s,
            "lines": row.lines, "item_count": row.item_count,
            "total_quantity": row.total_quantity, "abandoned_at": iso(row.abandoned_at),
            "recovered_order_id": row.recovered_order_id, "recovered_at": iso(row.recovered_at)}
