"""Stories of what a client says on a socket: notifications it marks read, products whose stock
it follows, live analytics for staff — and messages the gateway cannot make sense of, which get
an error message while the socket stays open."""
import random

import sqlalchemy as sa

from tests.realtime.support.clients import ws_connect


def a_product():
    return random.randint(10 ** 6, 10 ** 7)


# ---- a malformed message is answered, never fatal ---------------------------------------------

def test_malformed_messages_get_an_error_and_the_socket_stays_open(gateway, shop, mint):
    user_id, token = mint()
    socket = ws_connect(gateway.ws_url, "/ws/inventory", token)
    try:
        cases = [
            ("{not json", "malformed_json"),
            ("[1, 2]", "json_object_required"),
            ({"product_ids": [1]}, "validation_failed"),                      # no action
            ({"action": "levitate", "ref": 9}, "unknown_action"),
            ({"action": "subscribe", "product_ids": "12"}, "validation_failed"),
            ({"action": "subscribe", "product_ids": [1, -4]}, "validation_failed"),
            ({"action": "subscribe", "product_ids": list(range(1, 500))}, "validation_failed"),
        ]
        for sent, code in cases:
            socket.send(sent)
            error = socket.wait_type("error")
            assert error["code"] == code, (sent, error)
        assert error["details"]["fields"] == {
            "product_ids": ["A list of 1 to 200 positive integers is required."]}
        socket.send({"action": "levitate", "ref": 9})
        assert socket.wait_type("error")["ref"] == 9

        product = a_product()
        socket.send({"action": "subscribe", "product_ids": [product]})
        assert socket.wait_type("subscribed")["product_ids"] == [product]
        entry_id = shop.stock_change(product, "low_stock")
        assert socket.wait_type("product.inventory.updated")["id"] == entry_id
    finally:
        socket.close()


# ---- /ws/inventory ------------------------------------------------------------------------------

def test_stock_changes_reach_only_the_sockets_following_that_product(gateway, shop, mint):
    kurta, saree = a_product(), a_product()
    _, token = mint()
    follows_kurta = ws_connect(gateway.ws_url, "/ws/inventory", token)
    follows_saree = ws_connect(gateway.ws_url, "/ws/inventory", token)
    try:
        follows_kurta.send({"action": "subscribe", "product_ids": [kurta]})
        follows_kurta.wait_type("subscribed")
        follows_saree.send({"action": "subscribe", "product_ids": [saree, kurta]})
        assert follows_saree.wait_type("subscribed")["product_ids"] == sorted([saree, kurta])
        follows_saree.send({"action": "unsubscribe", "product_ids": [kurta]})
        assert follows_saree.wait_type("subscribed")["product_ids"] == [saree]

        kurta_change = shop.stock_change(kurta, "in_stock", new=12)  # any status, not just alerts
        saree_change = shop.stock_change(saree, "out_of_stock", new=0)
        event = follows_kurta.wait_type("product.inventory.updated")
        assert event["id"] == kurta_change and event["data"]["new"] == 12
        assert "order_ref" not in event["data"]
        assert follows_saree.wait_type("product.inventory.updated")["id"] == saree_change
        follows_kurta.nothing_for(0.3, lambda m: m.get("type") == "product.inventory.updated")
        follows_saree.nothing_for(0.3, lambda m: m.get("type") == "product.inventory.updated")
    finally:
        follows_kurta.close()
        follows_saree.close()


# ---- /ws/notifications --------------------------------------------------------------------------

def test_in_app_notifications_reach_their_owner_only(gateway, shop, mint):
    owner_id, owner_token = mint()
    other_id, other_token = mint()
    owner = ws_connect(gateway.ws_url, "/ws/notifications", owner_token)
    other = ws_connect(gateway.ws_url, "/ws/notifications", other_token)
    try:
        entry_id = shop.publish("notification.in_app", "notifications", {
            "notification_id": 1, "user_id": owner_id, "type": "order_shipped",
            "title": "Your order is on its way", "body": "…", "data": {},
            "created_at": "2026-11-23T10:00:00Z"})
        event = owner.wait_type("notification.in_app")
        assert event["id"] == entry_id and event["data"]["title"] == "Your order is on its way"
        shop.publish("notification.email", "notifications", {"user_id": owner_id})  # not pushed
        other.nothing_for(0.5)
        owner.nothing_for(0.3)
    finally:
        owner.close()
        other.close()


def test_marking_a_notification_read_from_the_socket(gateway, mint, config):
    user_id, token = mint()
    engine = sa.create_engine(config["DB_URIS"]["notifications"])
    with engine.begin() as conn:  # an inbox message, as the notifications service writes them
        notification_id = conn.scalar(sa.text(
            "INSERT INTO notifications (user_id, type, title, body) "
            "VALUES (:u, 'order_shipped', 'On its way', 'Your order shipped.') RETURNING id"),
            {"u": user_id})
    engine.dispose()
    socket = ws_connect(gateway.ws_url, "/ws/notifications", token)
    try:
        socket.send({"action": "mark_read", "ids": [notification_id], "ref": "m1"})
        reply = socket.wait_type("marked_read", timeout=15)
        assert reply == {"type": "marked_read", "marked": [notification_id], "unread": 0,
                         "ref": "m1"}
        # The service's notification.read event comes back through the bridge and the tail,
        # for the user's other tabs.
        read = socket.wait_type("notification.read", timeout=15)
        assert read["data"]["notification_ids"] == [notification_id]

        socket.send({"action": "mark_read", "ids": [notification_id + 10 ** 9]})
        error = socket.wait_type("error", timeout=15)
        assert error["code"] == "notification_not_found"
        socket.send({"action": "ping"})
        assert socket.wait_type("pong")  # still open
    finally:
        socket.close()


# ---- /ws/analytics ------------------------------------------------------------------------------

def test_staff_see_live_counts_of_orders_and_events_per_minute(gateway, shop, mint):
    _, admin = mint(role="admin")
    socket = ws_connect(gateway.ws_url, "/ws/analytics", admin)
    try:
        first = socket.wait_type("analytics")
        assert len(first["minutes"]) == 5
        before = first["minutes"][-1]
        shop.publish("order.created", "orders", {"order_id": 9100, "user_id": 1, "total": 999})
        shop.publish("order.created", "orders", {"order_id": 9101, "user_id": 2, "total": 999})

        def orders_since(message):  # the minute may turn while we wait
            return sum(m["orders"] for m in message["minutes"] if m["minute"] >= before["minute"])

        latest = socket.wait_for(
            lambda m: m.get("type") == "analytics" and orders_since(m) >= before["orders"] + 2,
            timeout=5, what="the two new orders counted")
        assert sum(m["by_type"].get("order.created", 0) for m in latest["minutes"]) >= 2
    finally:
        socket.close()
