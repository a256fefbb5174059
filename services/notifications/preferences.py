"""Who wants what: per user, channel (email/sms/push/in_app) and category (orders, ...).

A missing row means the default: everything on except promotions, which a shopper opts into.
Rows are written only for what a shopper changed.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.notifications.models import CATEGORIES, CHANNELS, NotificationPreference

OPT_IN_CATEGORIES = ("promotions",)


def default_enabled(channel, category):
    return category not in OPT_IN_CATEGORIES


def matrix(session, user_id):
    """{channel: {category: enabled}} for every channel and category, defaults filled in."""
    result = {ch: {cat: default_enabled(ch, cat) for cat in CATEGORIES} for ch in CHANNELS}
    rows = session.scalars(sa.select(NotificationPreference)
                           .where(NotificationPreference.user_id == user_id)).all()
    for row in rows:
        if row.channel in result and row.category in result[row.channel]:
            result[row.channel][row.category] = row.enabled
    return result


def update(session, user_id, changes):
    """Apply {channel: {category: enabled}}; returns the full matrix afterwards."""
    values = [{"user_id": user_id, "channel": channel, "category": category, "enabled": enabled}
              for channel, flags in changes.items() for category, enabled in flags.items()]
    if values:
        stmt = insert(NotificationPreference).values(values)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["user_id", "channel", "category"],
            set_={"enabled": stmt.excluded.enabled, "updated_at": sa.func.now()}))
    return matrix(session, user_id)
