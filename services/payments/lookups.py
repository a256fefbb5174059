"""Finding and locking a payment, and who may see it: the helpers every payments module uses."""
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from kit.errors import Forbidden, NotFound
from services.payments.models import STAFF_ROLES, Payment


def utcnow():
    return datetime.now(timezone.utc)


def new_payment_id():
    return f"pay_{uuid.uuid4().hex}"


def payment_not_found(payment_id=None, order_ref=None):
    what = payment_id or f"order {order_ref}"
    return NotFound("payment_not_found", f"No payment {what}.",
                    {"payment_id": payment_id} if payment_id else {"order_ref": order_ref})


def is_staff(actor):
    return actor.get("role") in STAFF_ROLES


def require_staff(actor):
    if not is_staff(actor):
        raise Forbidden("staff_only", "Only support and admin staff may do this.")
    return actor["user_id"]


def lock_order_ref(session, order_ref):
    """One initiation per order at a time (a retry racing the original waits, then replays)."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"payment_for_order:{order_ref}"})


def find(session, payment_id=None, order_ref=None, provider_ref=None, lock=False,
         skip_locked=False):
    if payment_id is not None:
        query = sa.select(Payment).where(Payment.id == payment_id)
    elif order_ref is not None:
        query = sa.select(Payment).where(Payment.order_ref == order_ref)
    else:
        query = sa.select(Payment).where(Payment.provider_ref == provider_ref)
    if lock:
        query = query.with_for_update(skip_locked=skip_locked)
    return session.scalars(query).first()


def lease_active(payment, now=None):
    return payment.lease_until is not None and payment.lease_until > (now or utcnow())

