"""Staff move a paid order through the warehouse: fulfilled → shipped (with its carrier and
tracking number) → delivered, and post tracking updates while it travels.

Only these moves are made by hand; payment, cancellation and refund belong to the saga.
A move the machine does not allow is Conflict illegal_transition (409) before any field is
looked at; a shipment without its carrier or number is 422.
"""
import sqlalchemy as sa

from kit.errors import Conflict, Forbidden
from kit.schemas import load
from services.orders import events, lifecycle, status
from services.orders.models import OrderTracking, utcnow
from services.orders.lifecycle import is_staff
from services.orders.schemas import ShipmentSchema, TrackingSchema
from services.orders.status import OrderStatus as S


def require_staff(actor):
    if not is_staff(actor):
        raise Forbidden("staff_only", "Only staff may do this.",
                        {"required_roles": ["support", "admin"]})
    return actor["user_id"]


def change_status(session, outbox, actor, order_id, change):
    actor_id = require_staff(actor)
    order = lifecycle.require(session, order_id, lock=True)
    target = status.check(order.status, change["status"])
    shipment = load(ShipmentSchema(), change.get("tracking") or {}) if target == S.SHIPPED \
        else None
    lifecycle.move(session, outbox, order, target, change.get("note") or f"marked_{target}",
                   actor_id)
    if shipment is not None:
        row = _track(session, order, shipment, actor_id)
        outbox.add(session, events.ORDER_SHIPPED, events.order_shipped(order, row))
    return order


def add_tracking(session, outbox, actor, order_id, update):
    """A tracking update for a shipped order; carrier and number default to the last ones."""
    actor_id = require_staff(actor)
    update = load(TrackingSchema(), update or {})
    order = lifecycle.require(session, order_id, lock=True)
    if order.status != S.SHIPPED.value:
        raise Conflict("order_not_shipped", "Tracking updates are for orders on their way.",
                       {"order_id": order.id, "status": order.status})
    latest = session.scalars(sa.select(OrderTracking).where(OrderTracking.order_id == order.id)
                             .order_by(OrderTracking.id.desc()).limit(1)).first()
    update = {**update, "carrier": update.get("carrier") or latest.carrier,
              "tracking_number": update.get("tracking_number") or latest.tracking_number}
    if update["estimated_delivery"] is None:
        update["estimated_delivery"] = latest.estimated_delivery
    row = _track(session, order, update, actor_id)
    order.updated_at = utcnow()
    outbox.add(session, events.TRACKING_UPDATED, events.tracking_updated(order, row))
    return order


def _track(session, order, fields, actor_id):
    row = OrderTracking(order_id=order.id, carrier=fields["carrier"],
                        tracking_number=fields["tracking_number"],
                        current_location=fields.get("current_location"),
                        estimated_delivery=fields.get("estimated_delivery"),
                        note=fields.get("note"), actor_id=actor_id, created_at=utcnow())
    session.add(row)
    session.flush()
    return row
