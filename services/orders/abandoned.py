"""Abandoned carts, from cart.abandoned on cart_events: one row per idle period of a cart,
and later the order that won it back (checkout.py marks it when the shopper orders).

cart.abandoned data: {cart_id, user_id, last_touched_at, idle_s, lines, item_count,
total_quantity}; the same idle period reported twice (a redelivery) is one row.
"""
import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.orders import presenters
from services.orders.models import AbandonedCart

log = logging.getLogger(__name__)

CART_ABANDONED = "cart.abandoned"


def _when(text):
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def record(session, event):
    """Store one cart.abandoned; False if it was malformed (logged, never retried)."""
    data = event["data"]
    try:
        row = {"cart_id": str(data["cart_id"]), "user_id": data.get("user_id"),
               "last_touched_at": _when(data["last_touched_at"]), "idle_s": int(data["idle_s"]),
               "lines": data.get("lines") or {}, "item_count": int(data.get("item_count") or 0),
               "total_quantity": int(data.get("total_quantity") or 0),
               "event_id": event["id"], "abandoned_at": _when(event["occurred_at"])}
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("cart.abandoned %s is malformed (%r): skipped", event["id"], exc)
        return False
    session.execute(insert(AbandonedCart).values(**row).on_conflict_do_nothing(
        index_elements=["cart_id", "last_touched_at"]))
    return True


def list_abandoned(session, filters):
    query = sa.select(AbandonedCart)
    if filters["user_id"] is not None:
        query = query.where(AbandonedCart.user_id == filters["user_id"])
    if filters["recovered"] is not None:
        recovered = AbandonedCart.recovered_order_id.is_not(None)
        query = query.where(recovered if filters["recovered"] else sa.not_(recovered))
    if filters["before_id"] is not None:
        query = query.where(AbandonedCart.id < filters["before_id"])
    rows = session.scalars(query.order_by(AbandonedCart.id.desc())
                           .limit(filters["limit"])).all()
    more = len(rows) == filters["limit"]
    return {"items": [presenters.abandoned_cart(r) for r in rows],
            "next_before_id": rows[-1].id if more and rows else None}
