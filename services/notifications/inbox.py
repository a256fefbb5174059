"""The in-app inbox: a shopper's messages, newest first, and what they have read.

A shopper only ever touches their own messages; someone else's id is reported as not found
(never as forbidden, which would confirm it exists).
"""
import sqlalchemy as sa

from kit.errors import NotFound
from services.notifications.models import Notification


def page(session, user_id, unread_only=False, limit=20, before_id=None):
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id:
        query = query.where(Notification.id < before_id)
    return session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()


def unread_count(session, user_id):
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(session, user_id, notification_ids):
    """Mark the user's messages read, all or none; returns the ids that were unread."""
    wanted = set(notification_ids)
    own = set(session.scalars(sa.select(Notification.id).where(
        Notification.id.in_(wanted), Notification.user_id == user_id)).all())
    missing = sorted(wanted - own)
    if missing:
        raise NotFound("notification_not_found",
                       f"No such notification: {', '.join(map(str, missing))}.",
                       {"notification_ids": missing})
    return set(session.scalars(
        sa.update(Notification)
        .where(Notification.id.in_(own), Notification.read_at.is_(None))
        .values(read_at=sa.func.now()).returning(Notification.id)
        .execution_options(synchronize_session=False)).all())


def mark_all_read(session, user_id):
    return set(session.scalars(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=sa.func.now()).returning(Notification.id)
        .execution_options(synchronize_session=False)).all())
