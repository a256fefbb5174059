"""Which connected clients an event reaches: the routing table of the real-time layer.

A client subscribes to keys; `deliveries(stream, entry_id, event)` names the keys an event goes
to, each with the message to send (the owner's full view, or the public view without order
references). Plain functions, no I/O: the tail calls them for every entry.

| event                                                | keys                                      |
|------------------------------------------------------|-------------------------------------------|
| order_events, payment_events (any type)              | ("orders", data.user_id), ORDERS_ALL      |
| product.inventory.updated                            | ("inventory", product_id), SSE stock-alerts (low_stock/out_of_stock/back_in_stock) |
| product.updated with a price change                  | SSE price-changes                         |
| product.* except product.viewed                      | SSE product-updates                       |
| notification.in_app, notification.read               | ("notifications", data.user_id)           |
| promotion.started/updated/ended (notification_events)| SSE promotions                            |
| chat.message                                         | ("chat_user", customer_id), ("chat_user", agent_id) |
| chat.conversation_opened                             | ("chat_user", customer_id), CHAT_AGENTS   |
| chat.assigned, chat.conversation_closed              | both participants, CHAT_AGENTS            |

product.viewed is left out of product-updates: it is analytics traffic (one per page view) and
names the viewer. The chat.* events come from the notifications service (notification_events),
which names both participants in each; chat.read is not routed: read receipts reach the other
side as ephemeral signals (chat.py), so it would arrive twice.
"""
from dataclasses import dataclass
from typing import Callable

from gateway.realtime.messages import EventMessage

ORDERS_ALL = ("orders", "*")
ANALYTICS = ("analytics",)
CHAT_AGENTS = ("chat_agents",)

STOCK_ALERT_STATUSES = frozenset({"low_stock", "out_of_stock", "back_in_stock"})
PROMOTION_TYPES = frozenset({"promotion.started", "promotion.updated", "promotion.ended"})
CHAT_TO_PARTICIPANTS = frozenset({"chat.message", "chat.conversation_opened", "chat.assigned",
                                  "chat.conversation_closed"})
CHAT_TO_AGENTS = frozenset({"chat.conversation_opened", "chat.assigned",
                            "chat.conversation_closed"})
# What the public must not see of a stock change: which order moved it, and why.
PRIVATE_FIELDS = frozenset({"order_ref", "reason", "session_id"})


def orders_key(user_id):
    return ("orders", int(user_id))


def notifications_key(user_id):
    return ("notifications", int(user_id))


def inventory_key(product_id):
    return ("inventory", int(product_id))


def chat_key(conversation_id):
    """Sockets that opened or joined a conversation: where typing and read signals go."""
    return ("chat", int(conversation_id))


def chat_user_key(user_id):
    """Every /ws/chat socket of a user: where their conversations' events go."""
    return ("chat_user", int(user_id))


def sse_key(topic_name):
    return ("sse", topic_name)


def _is_price_change(event):
    data = event["data"]
    return event["type"] == "product.updated" and (
        "new_price" in data or "price" in (data.get("changes") or {}))


def _is_stock_alert(event):
    return (event["type"] == "product.inventory.updated"
            and event["data"].get("status") in STOCK_ALERT_STATUSES)


def _is_product_update(event):
    return event["type"].startswith("product.") and event["type"] != "product.viewed"


def _is_promotion(event):
    return event["type"] in PROMOTION_TYPES


@dataclass(frozen=True)
class SseTopic:
    """A public SSE feed: one stream (its entry ids are the SSE ids) filtered by `wants`."""
    name: str
    stream: str
    wants: Callable


SSE_TOPICS = {t.name: t for t in (
    SseTopic("product-updates", "product_events", _is_product_update),
    SseTopic("price-changes", "product_events", _is_price_change),
    SseTopic("stock-alerts", "product_events", _is_stock_alert),
    SseTopic("promotions", "notification_events", _is_promotion),
)}


def _int_or_none(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def public_data(data):
    return {k: v for k, v in data.items() if k not in PRIVATE_FIELDS}


def public_message(entry_id, event):
    return EventMessage(entry_id, event, public_data(event["data"]))


def deliveries(stream, entry_id, event):
    """[(key, message)] for one stream entry; [] if no client could want it."""
    event_type, data = event["type"], event["data"]
    routed = []
    owner_view = None
    public_view = None

    def owner():
        nonlocal owner_view
        owner_view = owner_view or EventMessage(entry_id, event, data)
        return owner_view

    def public():
        nonlocal public_view
        public_view = public_view or public_message(entry_id, event)
        return public_view

    if stream in ("order_events", "payment_events"):
        user_id = _int_or_none(data.get("user_id"))
        if user_id:
            routed.append((orders_key(user_id), owner()))
        routed.append((ORDERS_ALL, owner()))
    elif stream == "notification_events" and event_type in ("notification.in_app",
                                                             "notification.read"):
        user_id = _int_or_none(data.get("user_id"))
        if user_id:
            routed.append((notifications_key(user_id), owner()))
    elif stream == "notification_events" and event_type in CHAT_TO_PARTICIPANTS:
        for field in ("customer_id", "agent_id"):
            user_id = _int_or_none(data.get(field))
            if user_id:
                routed.append((chat_user_key(user_id), owner()))
        if event_type in CHAT_TO_AGENTS:
            routed.append((CHAT_AGENTS, owner()))
    elif stream == "product_events" and event_type == "product.inventory.updated":
        product_id = _int_or_none(data.get("product_id"))
        if product_id:
            routed.append((inventory_key(product_id), public()))

    for topic in SSE_TOPICS.values():
        if topic.stream == stream and topic.wants(event):
            routed.append((sse_key(topic.name), public()))
    return routed
