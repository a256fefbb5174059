"""/api/notifications, back-in-stock alerts and /api/chat: the notifications service's REST side.

Every route needs a signed-in user, and "me" is always the token's user, never a parameter:
nobody reads another shopper's inbox, preferences or chats through here.

- The inbox: list (newest first, pages by before_id), the unread count, mark some or all read,
  and the preferences matrix {channel: {category: enabled}}.
- Back-in-stock: ask once to hear when a variant is back (201 the first time, 200 after), or
  withdraw the request. The variant must exist under that product (asked of products).
- Support chat: a shopper opens their conversation (or gets back the one still open) and
  writes in it; staff (support, admin) see their own and the waiting ones, take one and
  answer. Anyone but a conversation's customer and its agent hears 404
  conversation_not_found, never that it exists. Live delivery is /ws/chat (gateway/realtime);
  these routes are what it builds on.
"""
from flask import Blueprint, request

from gateway.auth import require_role, require_user
from gateway.params import json_object, query_int
from gateway.rpc import rpc
from kit.errors import NotFound, ValidationFailed

bp = Blueprint("notifications", __name__, url_prefix="/api")

STAFF_ROLES = ("support", "admin")
MAX_ID = 2 ** 63 - 1  # BIGINT: a larger id cannot exist
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def page(items, limit):
    """Newest first; `next_before_id` fetches the following page while one may exist."""
    more = len(items) == limit and items
    return {"items": items, "next_before_id": items[-1]["id"] if more else None}


def query_flag(name):
    raw = request.args.get(name, "").strip().lower()
    if not raw:
        return False
    if raw in TRUE or raw in FALSE:
        return raw in TRUE
    raise ValidationFailed("validation_failed", "Some query parameters are invalid.",
                           {"fields": {name: ["Not a valid boolean (true or false)."]}})


def existing(kind, value):
    """Ids outside BIGINT cannot exist: 404 without asking the service."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"{kind}_not_found", f"No such {kind}: {value}.", {f"{kind}_id": value})
    return value


# ---- the inbox -------------------------------------------------------------------------------

@bp.get("/notifications")
def list_notifications():
    me = require_user()
    unread_only = query_flag("unread_only")
    limit = query_int("limit", default=20, minimum=1, maximum=100)
    before_id = query_int("before_id", minimum=1, maximum=MAX_ID)
    items = rpc("notifications").list_notifications(me.user_id, unread_only=unread_only,
                                                    limit=limit, before_id=before_id)
    return page(items, limit)


@bp.get("/notifications/unread-count")
def unread_count():
    return rpc("notifications").unread_count(require_user().user_id)


@bp.post("/notifications/read")
def mark_read():
    """{"ids": [...]}: all of them are the caller's, or nothing is marked (404)."""
    me = require_user()
    ids = json_object().get("ids")
    if not isinstance(ids, list):
        raise ValidationFailed("validation_failed", "Some fields are invalid.",
                               {"fields": {"ids": ["A list of notification ids is required."]}})
    try:
        return rpc("notifications").mark_read(me.user_id, ids)
    except ValidationFailed as exc:  # the service calls them notification_ids; the client, ids
        fields = dict(exc.details.get("fields", {}))
        if "notification_ids" in fields:
            fields["ids"] = fields.pop("notification_ids")
        raise ValidationFailed(exc.code, exc.message, {**exc.details, "fields": fields})


@bp.post("/notifications/read-all")
def mark_all_read():
    return rpc("notifications").mark_all_read(require_user().user_id)


@bp.get("/notifications/preferences")
def get_preferences():
    return rpc("notifications").get_preferences(require_user().user_id)


@bp.patch("/notifications/preferences")
def update_preferences():
    me = require_user()
    return rpc("notifications").update_preferences(me.user_id, json_object())


# ---- back-in-stock alerts --------------------------------------------------------------------

@bp.post("/products/<int:product_id>/variants/<int:variant_id>/back-in-stock")
def ask_back_in_stock(product_id, variant_id):
    me = require_user()
    existing("product", product_id)
    (variant,) = rpc("products").get_variants([existing("variant", variant_id)])
    if variant["product_id"] != product_id:
        raise NotFound("variant_not_found", f"Product {product_id} has no variant {variant_id}.",
                       {"product_id": product_id, "variant_id": variant_id})
    subscription = rpc("notifications").notify_when_back_in_stock(me.user_id, product_id,
                                                                  variant_id)
    return subscription, 201 if subscription["created"] else 200


@bp.delete("/products/<int:product_id>/variants/<int:variant_id>/back-in-stock")
def cancel_back_in_stock(product_id, variant_id):
    me = require_user()
    existing("product", product_id)
    return rpc("notifications").cancel_back_in_stock(me.user_id, existing("variant", variant_id))


# ---- support chat ----------------------------------------------------------------------------

@bp.get("/chat/conversations")
def my_conversations():
    me = require_user()
    return {"items": rpc("notifications").chat_list(me.user_id, me.role)}


@bp.post("/chat/conversations")
def open_conversation():
    """The caller's conversation that is not closed, started if they have none."""
    return rpc("notifications").chat_open(require_user().user_id)


@bp.get("/chat/conversations/<int:conversation_id>/messages")
def conversation_messages(conversation_id):
    me = require_user()
    limit = query_int("limit", default=50, minimum=1, maximum=100)
    before_id = query_int("before_id", minimum=1, maximum=MAX_ID)
    items = rpc("notifications").chat_history(
        me.user_id, existing("conversation", conversation_id), before_id=before_id, limit=limit)
    return page(items, limit)


@bp.post("/chat/conversations/<int:conversation_id>/messages")
def post_message(conversation_id):
    me = require_user()
    body = json_object().get("body")
    message = rpc("notifications").chat_post(me.user_id, existing("conversation",
                                                                  conversation_id), body)
    return message, 201


@bp.post("/chat/conversations/<int:conversation_id>/assign")
def assign_conversation(conversation_id):
    """Staff take a waiting conversation for themselves."""
    me = require_role(*STAFF_ROLES)
    return rpc("notifications").chat_assign(me.user_id, existing("conversation",
                                                                 conversation_id))


@bp.post("/chat/conversations/<int:conversation_id>/close")
def close_conversation(conversation_id):
    me = require_user()
    return rpc("notifications").chat_close(me.user_id, existing("conversation",
                                                                conversation_id))
