"""Plain dicts the notifications service returns over RPC (never ORM objects)."""


def iso(value):
    return value.isoformat() if value is not None else None


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
