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

Support chat. Every chat.* event names both participants (customer_id, agent_id, the agent
null while nobody has the conversation) so the gateway fans it out without asking us.
chat.conversation_opened  {conversation_id, id, customer_id, agent_id, status, created_at,
                           updated_at}  a shopper started a conversation (not when chat_open
                           returned the one they already had)
chat.assigned             the same, status "assigned": an agent took it (by hand or claimed)
chat.conversation_closed  the same, status "closed", plus closed_by (a user id)
chat.message              {id, conversation_id, sender_id, sender_role, body, created_at,
                           customer_id, agent_id}
chat.read                 {conversation_id, user_id, last_read_message_id, customer_id,
                           agent_id}  a participant's read marker moved forward

Promotions. `data` is the promotion as promotions RPCs return it (presenters.promotion: id,
title, description, code, discount_percent|discount_amount+currency, starts_at, ends_at,
product_ids, category, status, ended_at, created_at, updated_at), status as of the event.
promotion.started  once per promotion, when starts_at has passed (at creation if it already
                   had); never for one called off before it started
promotion.updated  a live promotion changed (changes to a scheduled one say nothing yet)
promotion.ended    once per promotion, after its promotion.started: ends_at passed or staff
                   ended it; also once for a scheduled one staff called off
"""
from services.notifications.presenters import iso

IN_APP = "notification.in_app"
READ = "notification.read"
PUSH = "notification.push"
EMAIL = "notification.email"
SMS = "notification.sms"
CHAT_OPENED = "chat.conversation_opened"
CHAT_ASSIGNED = "chat.assigned"
CHAT_CLOSED = "chat.conversation_closed"
CHAT_MESSAGE = "chat.message"
CHAT_READ = "chat.read"
PROMOTION_STARTED = "promotion.started"
PROMOTION_UPDATED = "promotion.updated"
PROMOTION_ENDED = "promotion.ended"


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


def conversation(conversation_dict, **extra):
    return {"conversation_id": conversation_dict["id"], **conversation_dict, **extra}


def chat_message(message_dict, conversation_row):
    return {**message_dict, "customer_id": conversation_row.customer_id,
            "agent_id": conversation_row.agent_id}


def chat_read(read_dict, conversation_row):
    return {**read_dict, "customer_id": conversation_row.customer_id,
            "agent_id": conversation_row.agent_id}
