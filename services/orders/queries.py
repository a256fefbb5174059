"""Reading orders: a shopper sees their own, staff see everyone's (with filters).

Somebody else's order answers exactly like a missing one (404 order_not_found), so ids cannot
be probed. `actor=None` is a trusted internal caller (another service, `nameko shell`).
"""
import sqlalchemy as sa

from kit.errors import Forbidden
from services.orders import lifecycle, presenters
from services.orders.models import Order, OrderStatusHistory, OrderTracking
from services.orders.lifecycle import is_staff, require_visible


def list_orders(session, actor, filters):
    """Newest first, one keyset page: {items, next_before_id}."""
    query = sa.select(Order)
    if actor is not None and not is_staff(actor):
        if filters["user_id"] not in (None, actor["user_id"]):
            raise Forbidden("staff_only", "Only staff may list other people's orders.",
                            {"fields": {"user_id": ["Staff only."]}})
        query = query.where(Order.user_id == actor["user_id"])
    elif filters["user_id"] is not None:
        query = query.where(Order.user_id == filters["user_id"])
    if filters["status"] is not None:
        query = query.where(Order.status == filters["status"])
    if filters["payment_status"] is not None:
        query = query.where(Order.payment_status == filters["payment_status"])
    if filters["before_id"] is not None:
        query = query.where(Order.id < filters["before_id"])
    rows = session.scalars(query.order_by(Order.id.desc()).limit(filters["limit"])).all()
    items, places = lifecycle.lines_and_address(session, [r.id for r in rows])
    page = [presenters.order(r, items.get(r.id, []), places.get(r.id)) for r in rows]
    more = len(rows) == filters["limit"]
    return {"items": page, "next_before_id": rows[-1].id if more and rows else None}


def order_details(session, actor, order_id):
    """The order with its status history (oldest first) and its tracking."""
    order = require_visible(lifecycle.find(session, order_id=order_id), actor, order_id)
    items, places = lifecycle.lines_and_address(session, [order.id])
    history = session.scalars(sa.select(OrderStatusHistory).where(
        OrderStatusHistory.order_id == order.id).order_by(OrderStatusHistory.id)).all()
    return {**presenters.order(order, items.get(order.id, []), places.get(order.id)),
            "history": [presenters.history(h) for h in history],
            "tracking": tracking_of(session, order)}


def tracking_of(session, order):
    updates = session.scalars(sa.select(OrderTracking).where(
        OrderTracking.order_id == order.id).order_by(OrderTracking.id)).all()
    return presenters.tracking(order, updates)


def tracking(session, actor, order_id):
    order = require_visible(lifecycle.find(session, order_id=order_id), actor, order_id)
    return tracking_of(session, order)
