"""Sending queued email and SMS logs, and retrying failed ones with exponential backoff.

A sender first *claims* due rows in one short transaction (status sending, attempts + 1, and
next_attempt_at pushed to the lease's end, FOR UPDATE SKIP LOCKED), so a replica or the retry
timer never sends the same row at once. The send happens outside any transaction; its outcome
is written in a second one:
  sent                     status sent, next_attempt_at NULL, a notification.email/sms event
  failed, may retry        status failed, the error, next_attempt_at = attempt + backoff
  failed, final            permanent error or max_attempts reached: next_attempt_at NULL, event
A process that dies mid-send leaves the lease to expire, and the row is tried again: delivery
is at least once, and an email keeps one Message-ID across attempts so mail systems can dedupe.
"""
import logging
import time
from datetime import timedelta
from email.utils import parseaddr

import sqlalchemy as sa

from services.notifications import events, recipients
from services.notifications.channels import DeliveryFailed
from services.notifications.channels.email import compose
from services.notifications.models import EmailLog, SmsLog
from services.notifications.settings import backoff_s

log = logging.getLogger(__name__)


class EmailChannel:
    model = EmailLog
    event_type = events.EMAIL
    outcome = staticmethod(events.email_outcome)

    def __init__(self, mailer):
        self.mailer = mailer
        self.domain = parseaddr(mailer.from_address)[1].rpartition("@")[2] or "aarya.local"

    def prepare(self, session, row):
        """Address each attempt to the newest address we know (it may have been unknown when
        the message was queued, or changed since); the log keeps the one last tried."""
        recipient = recipients.find(session, row.user_id)
        if recipient is not None and recipient.email and recipient.email != row.to_address:
            row.to_address = recipient.email  # the row is in this session: flushed at commit

    def send(self, row):
        if not row.to_address:
            raise DeliveryFailed(f"no email address on file for user {row.user_id}")
        message = compose(
            self.mailer.from_address, row.to_address, row.subject, row.body_text, row.body_html,
            message_id=f"<email-{row.id}.{int(row.created_at.timestamp())}@{self.domain}>",
            headers={"X-Aarya-Template": row.template,
                     "X-Aarya-Event-Id": row.event_id or ""})
        self.mailer.send(message)
        return {}


class SmsChannel:
    model = SmsLog
    event_type = events.SMS
    outcome = staticmethod(events.sms_outcome)

    def __init__(self, provider):
        self.provider = provider

    def prepare(self, session, row):
        pass

    def send(self, row):
        message_id = self.provider.send(row.to_number, row.body)
        return {"provider": self.provider.name, "provider_message_id": message_id}


def claim(session, model, limit, lease_s, ids=None):
    """Take up to `limit` due rows (only among `ids` if given) for one attempt each."""
    due = sa.select(model.id).where(model.next_attempt_at <= sa.func.now())
    if ids is not None:
        due = due.where(model.id.in_(ids))
    due = due.order_by(model.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    return session.scalars(
        sa.update(model).where(model.id.in_(due.scalar_subquery()))
        .values(status="sending", attempts=model.attempts + 1, last_attempt_at=sa.func.now(),
                next_attempt_at=sa.func.now() + sa.func.make_interval(
                    0, 0, 0, 0, 0, 0, float(lease_s)))
        .returning(model)
        .execution_options(synchronize_session=False)).all()


def record_outcome(session, outbox, channel, row, settings, sent=None, failure=None):
    """Write the attempt's result; emit the outcome event once the row is final."""
    model = channel.model
    if failure is None:
        values = {"status": "sent", "sent_at": sa.func.now(), "next_attempt_at": None,
                  "error": None, **(sent or {})}
        final = True
    else:
        final = failure.permanent or row.attempts >= settings["max_attempts"]
        retry_at = row.last_attempt_at + timedelta(seconds=backoff_s(settings, row.attempts))
        values = {"status": "failed", "error": str(failure)[:1000],
                  "next_attempt_at": None if final else retry_at}
    # Only if nobody re-claimed the row meanwhile (our lease ran out): theirs is the newer try.
    updated = session.scalars(
        sa.update(model).where(model.id == row.id, model.attempts == row.attempts)
        .values(**values).returning(model).execution_options(synchronize_session=False)).first()
    if updated is None:
        log.warning("%s %s was re-claimed during attempt %s; outcome dropped",
                    model.__tablename__, row.id, row.attempts)
    elif final:
        outbox.add(session, channel.event_type, channel.outcome(updated))
    return updated


def send_due(db, outbox, channel, settings, ids=None, limit=20):
    """Claim due rows of one channel, send each, record each outcome. Returns {status: n}."""
    if ids is not None and not ids:
        return {}
    with db.transaction() as session:
        rows = claim(session, channel.model, limit, settings["send_lease_s"], ids)
        for row in rows:
            channel.prepare(session, row)
    counts = {}
    for row in rows:
        sent, failure = None, None
        try:
            sent = channel.send(row)
        except DeliveryFailed as exc:
            failure = exc
        except Exception as exc:  # a bug or an odd provider error: retried like a transient one
            log.exception("sending %s %s failed", channel.model.__tablename__, row.id)
            failure = DeliveryFailed(f"{type(exc).__name__}: {exc}")
        with db.transaction() as session:
            updated = record_outcome(session, outbox, channel, row, settings, sent, failure)
        status = updated.status if updated is not None else "superseded"
        counts[status] = counts.get(status, 0) + 1
    return counts


def send_all_due(db, outbox, channel, settings, batch=20, budget_s=5.0):
    """Batches of send_due until nothing is due or the time budget is spent (a big
    back-in-stock alert drains fast, and the next timer tick carries on)."""
    deadline = time.monotonic() + budget_s
    totals = {}
    while True:
        counts = send_due(db, outbox, channel, settings, limit=batch)
        for status, n in counts.items():
            totals[status] = totals.get(status, 0) + n
        if sum(counts.values()) < batch or time.monotonic() > deadline:
            return totals
