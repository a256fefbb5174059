"""The WebSocket channels: what each one listens to from the start and which actions it takes.

/ws/notifications  the user's in-app notifications (notification.in_app, notification.read)
    {"action": "mark_read", "ids": [1, 2]}  → notifications.mark_read → {"type": "marked_read", ...}
/ws/orders         status, payment and tracking events of the user's own orders
    staff: {"action": "watch_all"} / {"action": "unwatch_all"} → {"type": "watching", "scope"}
/ws/inventory      stock changes of the products asked for
    {"action": "subscribe" | "unsubscribe", "product_ids": [...]} → {"type": "subscribed", ...}
/ws/analytics      staff only: {"type": "analytics", ...} on connect and every second it changes
    {"action": "snapshot"} → the current counts
/ws/chat           support chat (chat.py: the store, and how events and signals travel)
    every chat socket hears its user's conversations: chat.message, chat.conversation_opened,
    chat.assigned, chat.conversation_closed (staff sockets also hear every conversation opened,
    assigned or closed, to keep the waiting list current)
    shopper: {"action": "open"} → {"type": "conversation", "conversation": {...}}
    staff:   {"action": "join", "conversation_id": 7} → chat_assign, the same reply
    both:    {"action": "send", "conversation_id", "body"} → {"type": "sent", "message"}
             {"action": "history", "conversation_id", "before_id"?, "limit"?} → {"type": "history"}
             {"action": "typing", "conversation_id"} → the others get {"type": "typing", ...}
             {"action": "read", "conversation_id", "message_id"} → chat_mark_read; the sender
             and the others get {"type": "read", ...}
    typing needs the conversation opened, joined or written in on this socket first
"""
from gateway.realtime import messages, routing
from gateway.realtime.websocket import invalid, is_staff
from kit.errors import Forbidden

MAX_BODY = 4000
MAX_HISTORY = 100
MAX_MARK_READ = 500


def positive_int(message, field, required=True):
    value = message.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid(field, "A positive integer is required.")
    return value


def positive_ints(message, field, maximum):
    values = message.get(field)
    if (not isinstance(values, list) or not 1 <= len(values) <= maximum
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values)):
        raise invalid(field, f"A list of 1 to {maximum} positive integers is required.")
    return sorted(set(values))


def text(message, field, max_length):
    value = message.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise invalid(field, f"Text of 1 to {max_length} characters is required.")
    return value


class Channel:
    name = ""
    staff_only = False
    actions = {}

    def initial_keys(self, session):
        return []

    def on_ready(self, session):
        pass


# ---- /ws/notifications --------------------------------------------------------------------------

def _mark_read(session, message):
    ids = positive_ints(message, "ids", MAX_MARK_READ)
    result = session.rpc("notifications").mark_read(session.user_id, ids)
    return messages.control("marked_read", marked=result.get("marked", ids),
                            unread=result.get("unread"))


class Notifications(Channel):
    name = "notifications"
    actions = {"mark_read": _mark_read}

    def initial_keys(self, session):
        return [routing.notifications_key(session.user_id)]


# ---- /ws/orders ---------------------------------------------------------------------------------

def _watch_all(session, message):
    session.require_staff()
    session.subscribe(routing.ORDERS_ALL)
    return messages.control("watching", scope="all")


def _unwatch_all(session, message):
    session.unsubscribe(routing.ORDERS_ALL)
    return messages.control("watching", scope="own")


class Orders(Channel):
    name = "orders"
    actions = {"watch_all": _watch_all, "unwatch_all": _unwatch_all}

    def initial_keys(self, session):
        return [routing.orders_key(session.user_id)]


# ---- /ws/inventory ------------------------------------------------------------------------------

def _subscribed(session):
    return messages.control("subscribed",
                            product_ids=sorted(session.state.setdefault("products", set())))


def _subscribe_products(session, message):
    limit = session.rt.settings.max_product_subscriptions
    ids = positive_ints(message, "product_ids", limit)
    watched = session.state.setdefault("products", set())
    if len(watched | set(ids)) > limit:
        raise invalid("product_ids", f"At most {limit} products per connection.")
    for product_id in ids:
        watched.add(product_id)
        session.subscribe(routing.inventory_key(product_id))
    return _subscribed(session)


def _unsubscribe_products(session, message):
    ids = positive_ints(message, "product_ids", session.rt.settings.max_product_subscriptions)
    watched = session.state.setdefault("products", set())
    for product_id in ids:
        watched.discard(product_id)
        session.unsubscribe(routing.inventory_key(product_id))
    return _subscribed(session)


class Inventory(Channel):
    name = "inventory"
    actions = {"subscribe": _subscribe_products, "unsubscribe": _unsubscribe_products}


# ---- /ws/analytics ------------------------------------------------------------------------------

def _snapshot(session, message):
    session.rt.analytics.refresh(session.rt.redis())
    return messages.Control(session.rt.analytics.snapshot())


class Analytics(Channel):
    name = "analytics"
    staff_only = True
    actions = {"snapshot": _snapshot}

    def initial_keys(self, session):
        return [routing.ANALYTICS]

    def on_ready(self, session):
        session.reply(_snapshot(session, {}))


# ---- /ws/chat -----------------------------------------------------------------------------------

def _joined(session, conversation_id):
    """The socket now hears this conversation's typing and read signals."""
    session.state.setdefault("conversations", set()).add(conversation_id)
    session.subscribe(routing.chat_key(conversation_id))
    return conversation_id


def _conversation_in_session(session, message):
    conversation_id = positive_int(message, "conversation_id")
    if conversation_id not in session.state.get("conversations", ()):
        raise Forbidden("not_in_conversation",
                        "Open, join or write in the conversation on this connection first.",
                        {"conversation_id": conversation_id})
    return conversation_id


def _open(session, message):
    if is_staff(session.role):
        raise Forbidden("agents_join", "Agents join a conversation with {\"action\": \"join\"}.")
    conversation = session.rt.chat_store(session).open(session.user_id)
    _joined(session, int(conversation["id"]))
    return messages.control("conversation", conversation=conversation)


def _join(session, message):
    session.require_staff()
    conversation_id = positive_int(message, "conversation_id")
    conversation = session.rt.chat_store(session).assign(session.user_id, conversation_id)
    _joined(session, conversation_id)
    return messages.control("conversation", conversation=conversation)


def _send(session, message):
    conversation_id = positive_int(message, "conversation_id")
    body = text(message, "body", MAX_BODY)
    posted = session.rt.chat_store(session).post(session.user_id, conversation_id, body)
    _joined(session, conversation_id)  # the store let us write: we take part
    return messages.control("sent", message=posted)


def _history(session, message):
    conversation_id = positive_int(message, "conversation_id")
    before_id = positive_int(message, "before_id", required=False)
    limit = message.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_HISTORY:
        raise invalid("limit", f"An integer from 1 to {MAX_HISTORY} is required.")
    found = session.rt.chat_store(session).history(session.user_id, conversation_id,
                                                   before_id, limit)
    _joined(session, conversation_id)
    return messages.control("history", conversation_id=conversation_id, messages=found)


def _typing(session, message):
    conversation_id = _conversation_in_session(session, message)
    session.rt.chat.send({"type": "typing", "conversation_id": conversation_id,
                          "user_id": session.user_id}, session.sub.conn_id)
    return None  # many a second while typing: no reply


def _read(session, message):
    conversation_id = positive_int(message, "conversation_id")
    message_id = positive_int(message, "message_id")
    session.rt.chat_store(session).mark_read(session.user_id, conversation_id, message_id)
    _joined(session, conversation_id)
    receipt = {"type": "read", "conversation_id": conversation_id, "user_id": session.user_id,
               "message_id": message_id}
    session.rt.chat.send(receipt, session.sub.conn_id)
    return messages.Control(dict(receipt))


class Chat(Channel):
    name = "chat"
    actions = {"open": _open, "join": _join, "send": _send, "history": _history,
               "typing": _typing, "read": _read}

    def initial_keys(self, session):
        keys = [routing.chat_user_key(session.user_id)]
        if is_staff(session.role):
            keys.append(routing.CHAT_AGENTS)
        return keys


CHANNELS = {c.name: c for c in (Notifications(), Orders(), Inventory(), Analytics(), Chat())}
