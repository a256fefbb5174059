"""The routing table and the hub's buffers as plain code: which keys an event reaches, what the
public sees of it, and that one full buffer drops one client only. No servers needed."""
import gevent

from gateway.realtime import routing
from gateway.realtime.analytics import LiveCounts
from gateway.realtime.hub import SLOW_CONSUMER, Hub, Subscriber
from gateway.realtime.messages import parse_entry_id
from kit.envelope import make_envelope


def keys(stream, event_type, source, data):
    event = make_envelope(event_type, source, data)
    return [key for key, _ in routing.deliveries(stream, "1764000000000-0", event)]


def test_order_and_payment_events_go_to_their_owner_and_to_staff_watching_all():
    assert keys("order_events", "order.status.updated", "orders", {"user_id": 7}) == [
        ("orders", 7), routing.ORDERS_ALL]
    assert keys("payment_events", "refund.processed", "payments", {"user_id": "7"}) == [
        ("orders", 7), routing.ORDERS_ALL]
    assert keys("order_events", "order.created", "orders", {}) == [routing.ORDERS_ALL]


def test_stock_changes_go_to_followers_and_alerts_and_never_show_order_details():
    data = {"product_id": 42, "status": "low_stock", "order_ref": "ord-1", "reason": "order",
            "new": 3}
    event = make_envelope("product.inventory.updated", "products", data)
    routed = dict(routing.deliveries("product_events", "5-0", event))
    assert set(routed) == {("inventory", 42), ("sse", "stock-alerts"), ("sse", "product-updates")}
    assert routed[("inventory", 42)].payload["data"] == {"product_id": 42, "status": "low_stock",
                                                         "new": 3}
    in_stock = keys("product_events", "product.inventory.updated", "products",
                    {"product_id": 42, "status": "in_stock"})
    assert ("sse", "stock-alerts") not in in_stock


def test_only_price_changes_reach_the_price_feed_and_views_reach_no_feed():
    renamed = keys("product_events", "product.updated", "products",
                   {"product_id": 1, "changes": {"name": {"old": "a", "new": "b"}}})
    repriced = keys("product_events", "product.updated", "products",
                    {"product_id": 1, "changes": {"price": {"old": 1, "new": 2}},
                     "old_price": 1, "new_price": 2})
    assert renamed == [("sse", "product-updates")]
    assert repriced == [("sse", "product-updates"), ("sse", "price-changes")]
    assert keys("product_events", "product.viewed", "products", {"product_id": 1}) == []


def test_notifications_promotions_and_chat():
    assert keys("notification_events", "notification.in_app", "notifications",
                {"user_id": 3}) == [("notifications", 3)]
    assert keys("notification_events", "notification.email", "notifications",
                {"user_id": 3}) == []
    assert keys("notification_events", "promotion.started", "notifications", {"id": 1}) == [
        ("sse", "promotions")]
    assert keys("notification_events", "chat.message", "notifications",
                {"conversation_id": 9, "customer_id": 3, "agent_id": 4}) == [
        ("chat_user", 3), ("chat_user", 4)]
    assert keys("notification_events", "chat.conversation_opened", "notifications",
                {"conversation_id": 9, "customer_id": 3, "agent_id": None}) == [
        ("chat_user", 3), routing.CHAT_AGENTS]
    assert keys("notification_events", "chat.read", "notifications",
                {"conversation_id": 9, "customer_id": 3, "agent_id": 4}) == []


def test_a_full_buffer_drops_that_client_only_and_once():
    hub = Hub(drop_grace_s=0.1)
    slow, fast = Subscriber("ws:orders", 2), Subscriber("ws:orders", 2)
    hub.add(slow, [("orders", 1)])
    hub.add(fast, [("orders", 1), routing.ORDERS_ALL])
    for n in range(3):
        hub.dispatch([(("orders", 1), f"m{n}"), (routing.ORDERS_ALL, f"m{n}")])
        if n < 2:
            assert fast.queue.get_nowait() == f"m{n}"  # a fast client got each one once
    assert slow.dropped == SLOW_CONSUMER and fast.dropped is None
    assert hub.listeners(("orders", 1)) == 1 and hub.stats()["dropped_slow"] == 1
    assert [slow.queue.get_nowait() for _ in range(2)] == ["m0", "m1"]
    gevent.sleep(0)


def test_entry_ids_compare_as_numbers_and_counts_bucket_by_minute():
    assert parse_entry_id("10-0") > parse_entry_id("9-5")
    assert parse_entry_id("1764000000000") == (1764000000000, 0)
    assert parse_entry_id("nope") is None and parse_entry_id("1-2-3") is None
    counts = LiveCounts()
    counts.count("120000-0", "order.created")
    counts.count("179999-3", "order.created")
    counts.count("180000-0", "payment.completed")
    assert {m: dict(c) for m, c in counts.minutes.items()} == {
        2: {"order.created": 2}, 3: {"payment.completed": 1}}
