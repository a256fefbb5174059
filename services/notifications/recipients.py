"""The `recipients` projection: where to reach a user, from user.created and user.updated.

We never read users_db. Events can arrive out of order (redelivery, replay), so each row keeps
the occurred_at of the newest event applied (`as_of`): an older event only fills blanks.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.notifications.models import Recipient

CONTACT_FIELDS = ("email", "phone", "full_name")


def contact_fields(event):
    """The contact details an event states, {} if none."""
    data = event["data"]
    if event["type"] == "user.created":
        return {f: data[f] for f in CONTACT_FIELDS if f in data}
    if event["type"] == "user.updated":
        changes = data.get("changes") or {}
        return {f: change.get("new") for f, change in changes.items()
                if f in CONTACT_FIELDS and isinstance(change, dict)}
    return {}


def apply_user_event(session, event):
    fields = contact_fields(event)
    user_id = event["data"].get("user_id")
    if not fields or user_id is None:
        return
    stmt = insert(Recipient).values(user_id=user_id, as_of=event["occurred_at"], **fields)
    newer = Recipient.as_of <= stmt.excluded.as_of
    updates = {
        f: sa.case((newer, getattr(stmt.excluded, f)),
                   else_=sa.func.coalesce(getattr(Recipient, f), getattr(stmt.excluded, f)))
        for f in fields
    }
    updates["as_of"] = sa.func.greatest(Recipient.as_of, stmt.excluded.as_of)
    session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=updates))


def find(session, user_id):
    return session.get(Recipient, user_id)
