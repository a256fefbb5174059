"""Moving an order through the status machine, and knowing what each status still owes.

`move` is the only place an order's status changes: it checks the machine (status.py), stamps
the time, writes `order_status_history` and stages `order.status.updated` in the caller's
transaction. `followups` is pure: from an order's status and bookkeeping columns it says which
idempotent calls to other services are still to be made (the saga's "what is left").
"""
import sqlalchemy as sa

from kit.errors import NotFound
from services.orders import events, status
from services.orders.models import (FROM_CART, STAFF_ROLES, Order, OrderAddress, OrderItem,
                                    OrderStatusHistory, utcnow)
from services.orders.status import OrderStatus as S

# The idempotent calls of the saga, in the order they must run.
COMMIT_STOCK = "commit_stock"     # products.commit_stock: the held units are sold
CLEAR_CART = "clear_cart"         # cart.clear_cart(owner, order_ref): the hold goes too
RELEASE_STOCK = "release_stock"   # products.release_stock + cart.release_hold
REFUND = "refund"                 # payments.refund (a cancelled paid order, or late money)
RETURN_STOCK = "return_stock"     # products.return_stock: refunded before shipping

STAMPS = {S.PAID: "paid_at", S.SHIPPED: "shipped_at", S.DELIVERED: "delivered_at",
          S.CANCELLED: "cancelled_at"}


def order_not_found(order_id):
    return NotFound("order_not_found", f"Order {order_id} does not exist.",
                    {"order_id": order_id})


def is_staff(actor):
    return actor is not None and actor.get("role") in STAFF_ROLES


def require_visible(order, actor, order_id):
    """Staff see every order; a shopper only their own (anyone else's does not exist)."""
    if order is None or (actor is not None and not is_staff(actor)
                         and order.user_id != actor["user_id"]):
        raise order_not_found(order_id)
    return order


def find(session, order_id=None, order_ref=None, lock=False):
    query = sa.select(Order)
    query = query.where(Order.id == order_id) if order_id is not None \
        else query.where(Order.order_ref == order_ref)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def require(session, order_id, lock=False):
    order = find(session, order_id=order_id, lock=lock)
    if order is None:
        raise order_not_found(order_id)
    return order


def lines_and_address(session, order_ids):
    """({order_id: [OrderItem]}, {order_id: shipping OrderAddress}) for a page of orders."""
    items, places = {}, {}
    if not order_ids:
        return items, places
    for row in session.scalars(sa.select(OrderItem).where(OrderItem.order_id.in_(order_ids))):
        items.setdefault(row.order_id, []).append(row)
    for row in session.scalars(sa.select(OrderAddress).where(
            OrderAddress.order_id.in_(order_ids), OrderAddress.kind == "shipping")):
        places[row.order_id] = row
    return items, places


def followups(order):
    """The saga calls this order still needs, in order (pure: reads the row only)."""
    current = S(order.status)
    steps = []
    if current in status.SOLD or current == S.REFUNDED:
        if order.stock_committed_at is None:
            steps.append(COMMIT_STOCK)
        if current != S.REFUNDED and order.source == FROM_CART and order.cart_cleared_at is None:
            steps.append(CLEAR_CART)
    if current in (S.PAYMENT_FAILED, S.CANCELLED) and order.stock_released_at is None:
        steps.append(RELEASE_STOCK)
    if order.refund_requested_at is not None and order.refund_completed_at is None \
            and order.payment_status != "refund_failed":  # a failed refund is staff's now
        steps.append(REFUND)
    if current == S.REFUNDED and order.stock_returned_at is None:
        steps.append(RETURN_STOCK)
    return steps


def unsettled(order):
    """Something is still owed, or the order was never marked settled since it last moved."""
    return bool(followups(order)) or (
        order.settled_at is None and S(order.status) not in status.AWAITING_PAYMENT)


def mark_settled_if_done(order):
    """settled_at: set once nothing is owed; an order awaiting payment is never settled."""
    done = S(order.status) not in status.AWAITING_PAYMENT and not followups(order)
    order.settled_at = utcnow() if done else None


def move(session, outbox, order, new, reason=None, actor_id=None):
    """One legal step of the machine, with its history row and order.status.updated."""
    old = order.status
    new = status.check(old, new)
    now = utcnow()
    order.status = new.value
    order.status_reason = reason
    order.updated_at = now
    if new in STAMPS:
        setattr(order, STAMPS[new], now)
    mark_settled_if_done(order)
    session.add(OrderStatusHistory(order_id=order.id, old_status=old, new_status=new.value,
                                   reason=reason, actor_id=actor_id, created_at=now))
    outbox.add(session, events.STATUS_UPDATED,
               events.status_updated(order, old, new.value, reason))
    if new == S.PAID:
        outbox.add(session, events.PAYMENT_COMPLETED, events.payment_completed(order))


def advance(session, outbox, order, target, reason=None, actor_id=None):
    """Walk the shortest legal path to `target` (pending → payment_pending → paid), one
    history row and event per step. Returns the statuses passed through."""
    chain = status.path(order.status, target)
    for step in chain:
        move(session, outbox, order, step, reason, actor_id)
    return chain
