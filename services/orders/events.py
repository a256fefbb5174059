"""The events the orders service emits (through its outbox) and the shape of each `data`.

order.created            {order_id, order_ref, user_id, items[{variant_id, product_id, sku, name,
                          size, colour, quantity, unit_price, line_total}], item_count,
                          total_quantity, total_amount, currency, shipping_address}
order.status.updated     {order_id, order_ref, user_id, old_status, new_status, reason}
order.payment.completed  {order_id, order_ref, user_id, payment_id, amount, currency}
order.shipped            {order_id, order_ref, user_id, carrier, tracking_number,
                          estimated_delivery}
order.tracking.updated   {order_id, order_ref, user_id, carrier, tracking_number,
                          current_location, estimated_delivery, note}

Every status change writes one order.status.updated (a payment that completes before orders
heard it was initiated walks pending → payment_pending → paid: two events, in order).
"""
ORDER_CREATED = "order.created"
STATUS_UPDATED = "order.status.updated"
PAYMENT_COMPLETED = "order.payment.completed"
ORDER_SHIPPED = "order.shipped"
TRACKING_UPDATED = "order.tracking.updated"


def _iso_date(value):
    return value.isoformat() if value is not None else None


def _order(order):
    return {"order_id": order.id, "order_ref": order.order_ref, "user_id": order.user_id}


def order_created(order, items, address):
    return {
        **_order(order),
        "items": [{"variant_id": i.variant_id, "product_id": i.product_id, "sku": i.sku,
                   "name": i.name, "size": i.size, "colour": i.colour, "quantity": i.quantity,
                   "unit_price": i.unit_price, "line_total": i.line_total} for i in items],
        "item_count": order.item_count,
        "total_quantity": order.total_quantity,
        "total_amount": order.total_amount,
        "currency": order.currency,
        "shipping_address": {k: getattr(address, k) for k in (
            "full_name", "line1", "line2", "city", "state", "postal_code", "country")},
    }


def status_updated(order, old_status, new_status, reason):
    return {**_order(order), "old_status": old_status, "new_status": new_status,
            "reason": reason}


def payment_completed(order):
    return {**_order(order), "payment_id": order.payment_id, "amount": order.total_amount,
            "currency": order.currency}


def order_shipped(order, tracking):
    return {**_order(order), "carrier": tracking.carrier,
            "tracking_number": tracking.tracking_number,
            "estimated_delivery": _iso_date(tracking.estimated_delivery)}


def tracking_updated(order, tracking):
    return {**_order(order), "carrier": tracking.carrier,
            "tracking_number": tracking.tracking_number,
            "current_location": tracking.current_location,
            "estimated_delivery": _iso_date(tracking.estimated_delivery), "note": tracking.note}
