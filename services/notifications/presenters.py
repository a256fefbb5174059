"""Plain dicts the notifications service returns over RPC (never ORM objects)."""
from kit.presenters import iso


def notification(row):
    return {
        "id": row.id,
        "user_id": row.user_id,
        "type": row.type,
        "title": row.title,
        "body": row.body,
        "data": row.data,
        "is_read": row.read_at is not None,
        "read_at": iso(row.read_at),
        "created_at": iso(row.created_at),
    }


def preferences(user_id, matrix):
    return {"user_id": user_id, "channels": matrix}


def subscription(row, created=None):
    result = {
        "id": row.id,
        "user_id": row.user_id,
        "product_id": row.product_id,
        "variant_id": row.variant_id,
        "created_at": iso(row.created_at),
        "notified_at": iso(row.notified_at),
    }
    if created is not None:
        result["created"] = created
    return result


def conversation(row):
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "agent_id": row.agent_id,
        "status": row.status,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def chat_message(row):
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "sender_id": row.sender_id,
        "sender_role": row.sender_role,
        "body": row.body,
        "created_at": iso(row.created_at),
    }


def chat_read(row):
    return {"conversation_id": row.conversation_id, "user_id": row.user_id,
            "last_read_message_id": row.last_read_message_id}


def promotion_status(row, now):
    """scheduled · live · ended, as of `now` (ended early by staff counts as ended)."""
    if row.ended_at is not None or row.ends_at <= now:
        return "ended"
    return "live" if row.starts_at <= now else "scheduled"


def promotion(row, now):
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "code": row.code,
        "discount_percent": row.discount_percent,
        "discount_amount": row.discount_amount,
        "currency": row.currency,
        "starts_at": iso(row.starts_at),
        "ends_at": iso(row.ends_at),
        "product_ids": list(row.product_ids) if row.product_ids is not None else None,
        "category": row.category,
        "status": promotion_status(row, now),
        "ended_at": iso(row.ended_at),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
