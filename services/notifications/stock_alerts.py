"""Back-in-stock requests: a shopper asks once per variant; the alert fires once, then closes."""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.notifications.models import BackInStockSubscription as Subscription

_OPEN = Subscription.notified_at.is_(None)


def subscribe(session, user_id, product_id, variant_id):
    """(open subscription, created?) — asking twice keeps the first request."""
    inserted = session.execute(
        insert(Subscription)
        .values(user_id=user_id, product_id=product_id, variant_id=variant_id)
        .on_conflict_do_nothing(index_elements=["user_id", "variant_id"],
                                index_where=sa.text("notified_at IS NULL"))
        .returning(Subscription.id)).scalar()
    row = session.scalar(sa.select(Subscription).where(
        Subscription.user_id == user_id, Subscription.variant_id == variant_id, _OPEN))
    return row, inserted is not None


def cancel(session, user_id, variant_id):
    """True if an open request was withdrawn."""
    return session.execute(sa.delete(Subscription).where(
        Subscription.user_id == user_id, Subscription.variant_id == variant_id, _OPEN)
    ).rowcount > 0


def open_for_user(session, user_id):
    return session.scalars(sa.select(Subscription).where(Subscription.user_id == user_id, _OPEN)
                           .order_by(Subscription.id.desc())).all()


def close_waiting(session, variant_id, event_id):
    """Close every open request for the variant; returns them (the users to alert)."""
    return session.scalars(
        sa.update(Subscription)
        .where(Subscription.variant_id == variant_id, _OPEN)
        .values(notified_at=sa.func.now(), notified_event_id=event_id)
        .returning(Subscription)).all()
