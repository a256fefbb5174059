"""Fan a Notice out to its channels, in the caller's transaction, as the shopper's preferences
allow: an in-app message, a queued email, a queued SMS (when we know a mobile number) and a
push event. Nothing is sent here: delivery.py sends the queued logs once this commits.

Opting out of a channel still writes the email/SMS log, as `skipped`, so support can see why a
shopper got nothing. Events are acted on once: the (event id, consumer) row in
processed_events commits with everything the event caused.
"""
import dataclasses
import uuid

import sqlalchemy as sa

import kit.db
from services.notifications import events, preferences, recipients
from services.notifications.channels.sms import normalise_number
from services.notifications.models import EmailLog, Notification, ProcessedEvent, SmsLog
from services.notifications.templates import TEMPLATE_CATEGORY, newest_by_channel, render

CONSUMER = "notification_consumer"
# Facts that must notify at most once across events ("order 42 shipped") share the table,
# keyed by a UUID5 of the fact under this consumer name.
ONCE_CONSUMER = "notification_consumer:once"
_ONCE_NAMESPACE = uuid.UUID("6f0c1f8e-4a5e-4c1e-9d37-2b8a3e6c7d10")


@dataclasses.dataclass
class Queued:
    """Log ids to send after the commit."""
    email_ids: list = dataclasses.field(default_factory=list)
    sms_ids: list = dataclasses.field(default_factory=list)


def first_time(session, event_id, event_type, consumer=CONSUMER):
    """Record that `consumer` handled `event_id`; False if it already had."""
    return kit.db.first_time(session, ProcessedEvent, event_id, event_type, consumer)


def _context(notice, recipient, settings):
    return {
        "shop_name": settings["shop_name"],
        "shop_url": settings["shop_url"],
        "full_name": (recipient.full_name if recipient and recipient.full_name else "there"),
        **notice.context,
    }


def dispatch(session, outbox, notice, event_id, settings, queued):
    """Write what `notice` causes on every channel; append queued log ids to `queued`."""
    if notice.once and not first_time(session, str(uuid.uuid5(_ONCE_NAMESPACE, notice.once)),
                                      notice.once, ONCE_CONSUMER):
        return
    templates = newest_by_channel(session, notice.template)
    category = TEMPLATE_CATEGORY[notice.template]
    recipient = recipients.find(session, notice.user_id)
    wants = preferences.matrix(session, notice.user_id)
    context = _context(notice, recipient, settings)
    notification_id = None

    if "in_app" in templates and wants["in_app"][category]:
        rendered = render(templates["in_app"], context)
        row = Notification(user_id=notice.user_id, type=notice.template,
                           title=rendered.subject[:200], body=rendered.text,
                           data=notice.data or {}, event_id=event_id)
        session.add(row)
        session.flush()
        outbox.add(session, events.IN_APP, events.in_app(row))
        notification_id = row.id

    if "email" in templates:
        rendered = render(templates["email"], context)
        row = EmailLog(user_id=notice.user_id, template=notice.template,
                       template_version=rendered.version,
                       to_address=recipient.email if recipient else None,
                       subject=rendered.subject[:200], body_text=rendered.text,
                       body_html=rendered.html, event_id=event_id,
                       **_initial_status(wants["email"][category], "email", category))
        session.add(row)
        session.flush()
        if row.status == "queued":
            queued.email_ids.append(row.id)

    number = normalise_number(recipient.phone if recipient else None)
    if "sms" in templates and number:
        rendered = render(templates["sms"], context)
        row = SmsLog(user_id=notice.user_id, template=notice.template,
                     template_version=rendered.version, to_number=number, body=rendered.text,
                     event_id=event_id,
                     **_initial_status(wants["sms"][category], "sms", category))
        session.add(row)
        session.flush()
        if row.status == "queued":
            queued.sms_ids.append(row.id)

    if "push" in templates and wants["push"][category]:
        rendered = render(templates["push"], context)
        outbox.add(session, events.PUSH, events.push(notice.user_id, notice.template, rendered,
                                                     notice.data or {}, notification_id))


def _initial_status(enabled, channel, category):
    if enabled:
        return {"status": "queued", "attempts": 0, "next_attempt_at": sa.func.now()}
    return {"status": "skipped", "attempts": 0, "next_attempt_at": None,
            "error": f"opted out of {category} by {channel}"}
