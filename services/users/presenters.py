"""Plain dicts the users service returns over RPC (never ORM objects, never password hashes)."""
from kit.presenters import iso as _iso


def public_user(user):
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "bio": user.bio,
        "avatar_url": user.avatar_url,
        "role": user.role,
        "is_online": user.is_online,
        "last_seen": _iso(user.last_seen),
        "created_at": _iso(user.created_at),
    }


def private_user(user):
    return {**public_user(user), "email": user.email, "phone": user.phone,
            "is_active": user.is_active, "updated_at": _iso(user.updated_at)}


def activity(row):
    return {"id": row.id, "user_id": row.user_id, "type": row.activity_type, "data": row.data,
            "created_at": _iso(row.created_at)}
