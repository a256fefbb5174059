"""The events the notifications service emits (through its outbox) and the shape of each `data`.

notification.in_app  {notification_id, user_id, type, title, body, data, created_at}
                     a new inbox message; the gateway pushes it to the user's /ws/notifications
notification.read    {user_id, notification_ids, unread_count}
                     messages marked read, so a shopper's other open tabs can clear the badge
notification.push    {notification_id|null, user_id, type, title, body, data}
                     a mobile push to deliver (no device registry here yet)
notification.email   {email_log_id, user_id, type, title, status, attempts, error,
                      source_event_id, sent_at}
notification.sms     {sms_log_id, user_id, type, body, status, attempts, error,
                      source_event_id, sent_at}
                     an email/SMS reached its outcome: status "sent", or "failed" once no more
                     attempts will be made (permanent error or max_attempts). No addresses or
                     numbers travel in events.
"""
from services.notifications.presenters import iso

IN_APP = "notification.in_app"
READ = "notification.read"
PUSH = "notification.push"
EMAIL = "notification.email"
SMS = "notification.sms"


def in_app(row):
    return {"notification_id": row.id, "user_id": row.user_id, "type": row.type,
            "title": row.title, "body": row.body, "data": row.data,
            "created_at": iso(row.created_at)}


def read(user_id, notification_ids, unread_count):
    return {"user_id": user_id, "notification_ids": sorted(notification_ids),
            "unread_count": unread_count}


def push(user_id, notice_type, rendered, data, notification_id=None):
    return {"notification_id": notification_id, "user_id": user_id, "type": notice_type,
            "title": rendered.subject, "body": rendered.text, "data": data}


def email_outcome(row):
    return {"email_log_id": row.id, "user_id": row.user_id, "type": row.template,
            "title": row.subject, "status": row.status, "attempts": row.attempts,
            "error": row.error, "source_event_id": row.event_id, "sent_at": iso(row.sent_at)}


def sms_outcome(row):
    return {"sms_log_id": row.id, "user_id": row.user_id, "type": row.template,
            "body": row.body, "status": row.status, "attempts": row.attempts,
            "error": row.error, "source_event_id": row.event_id, "sent_at": iso(row.sent_at)}
