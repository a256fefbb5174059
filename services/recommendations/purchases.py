"""When an order counts as a purchase: once it is PAID, never while it is only placed, and
never if it was cancelled (or failed, or refunded).

The order's events arrive on one stream but are handled by concurrent workers, so
`order.created` (which names the products) and `order.payment.completed` (which says it is
paid) may be applied in either order. Each merges its fact into one `order_purchases` row
(an upsert that waits on the row lock of the other); whichever completes the picture — items
known, paid, not cancelled — counts the purchase, once (`counted`). A refund after that takes
the purchase back: its interactions leave and their weight leaves the taste profile. Two
events say "refunded" (the order's status and the payment's whole refund, `refund.processed`);
whichever comes first takes it back, the other finds nothing counted. The purchase rows carry
an id made from the order id, so the refund finds them and a replay can never count them twice.
A partial refund (some money back, the order stands) takes nothing back: it does not say
which line.
"""
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.recommendations import algorithms, interactions
from services.recommendations.models import OrderPurchase

CREATED = "order.created"
PAID = "order.payment.completed"
STATUS = "order.status.updated"
REFUND = "refund.processed"     # payment_events
ORDER_EVENTS = (CREATED, PAID, STATUS, REFUND)
NOT_BOUGHT = ("cancelled", "payment_failed", "refunded")
_NAMESPACE = uuid.UUID("6f1d3c1e-6c8e-4d59-9a7e-6c0a3f1b2d44")


def purchase_event_id(order_id):
    return str(uuid.uuid5(_NAMESPACE, f"order:{order_id}"))


def _facts(event):
    data = event.get("data") or {}
    facts = {"order_id": data.get("order_id"), "user_id": data.get("user_id"),
             "product_ids": None, "paid": False, "cancelled": False}
    if event["type"] == CREATED:
        facts["product_ids"] = sorted({int(i["product_id"]) for i in data.get("items") or []
                                       if i.get("product_id")})
    elif event["type"] == PAID:
        facts["paid"] = True
    elif event["type"] == STATUS:
        if data.get("new_status") == "paid":
            facts["paid"] = True
        elif data.get("new_status") in NOT_BOUGHT:
            facts["cancelled"] = True
        else:
            return None
    elif event["type"] == REFUND:
        refunded, paid = data.get("refunded_total"), data.get("captured_amount") \
            or data.get("payment_amount")
        if not isinstance(refunded, int) or not isinstance(paid, int) or refunded < paid:
            return None  # partial: the order stands
        facts["cancelled"] = True
    return facts


def apply(session, event):
    """(purchases to record [(user, product, "purchase", weight)], user whose purchases were
    taken back or None)."""
    facts = _facts(event)
    if not facts or not isinstance(facts["order_id"], int) \
            or not isinstance(facts["user_id"], int) or facts["user_id"] <= 0:
        return [], None
    stmt = insert(OrderPurchase).values(**facts)
    row = session.execute(stmt.on_conflict_do_update(
        index_elements=["order_id"],
        set_={"product_ids": sa.func.coalesce(stmt.excluded.product_ids,
                                              OrderPurchase.product_ids),
              "paid": OrderPurchase.paid | stmt.excluded.paid,
              "cancelled": OrderPurchase.cancelled | stmt.excluded.cancelled,
              "updated_at": sa.func.now()})
        .returning(OrderPurchase.order_id, OrderPurchase.user_id, OrderPurchase.product_ids,
                   OrderPurchase.paid, OrderPurchase.cancelled, OrderPurchase.counted)).one()
    if row.cancelled and row.counted:  # refunded after it was paid: no longer bought
        interactions.take_back(session, row.user_id, purchase_event_id(row.order_id))
        _set_counted(session, row.order_id, False)
        return [], row.user_id
    if row.paid and not row.cancelled and not row.counted and row.product_ids is not None:
        _set_counted(session, row.order_id, True)
        return [(row.user_id, p, "purchase", algorithms.WEIGHTS["purchase"])
                for p in row.product_ids], None
    return [], None


def _set_counted(session, order_id, counted):
    session.execute(sa.update(OrderPurchase).where(OrderPurchase.order_id == order_id)
                    .values(counted=counted))
