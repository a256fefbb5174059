"""Stories of live order tracking on /ws/orders: each shopper sees their own orders' events at
once, nobody else's; support staff may watch every order."""
import time

from tests.realtime.support.clients import ws_connect


def test_an_order_event_reaches_its_shopper_within_a_second_and_never_another(
        gateway, shop, mint):
    a_id, a_token = mint()
    b_id, b_token = mint()
    a = ws_connect(gateway.ws_url, "/ws/orders", a_token)
    b = ws_connect(gateway.ws_url, "/ws/orders", b_token)
    try:
        assert a.ready["user_id"] == a_id and a.ready["channel"] == "orders"
        published = time.monotonic()
        entry_id = shop.order_update(a_id, order_id=7001, status="shipped")
        event = a.wait_type("order.status.updated", timeout=1)
        assert time.monotonic() - published < 1.0
        assert event["id"] == entry_id
        assert event["data"] == {"order_id": 7001, "user_id": a_id, "status": "shipped"}
        assert {"event_id", "occurred_at"} <= set(event)

        shop.order_update(b_id, order_id=7002)  # B's own event shows B's socket is live
        assert b.wait_type("order.status.updated")["data"]["order_id"] == 7002
        assert all(m["data"]["user_id"] == b_id for m in b.received if "data" in m)
        a.nothing_for(0.5, lambda m: m.get("type", "").startswith("order."))
    finally:
        a.close()
        b.close()


def test_payment_events_reach_the_paying_shopper(gateway, shop, mint):
    user_id, token = mint()
    socket = ws_connect(gateway.ws_url, "/ws/orders", token)
    try:
        entry_id = shop.publish("payment.completed", "payments",
                                {"payment_id": 55, "order_id": 7003, "user_id": user_id,
                                 "amount": 129900, "currency": "INR"})
        assert socket.wait_type("payment.completed")["id"] == entry_id
    finally:
        socket.close()


def test_support_staff_watching_all_orders_see_every_shoppers_events(gateway, shop, mint):
    shopper_id, _ = mint()
    _, agent_token = mint(role="support")
    agent = ws_connect(gateway.ws_url, "/ws/orders", agent_token)
    try:
        agent.send({"action": "watch_all", "ref": "w1"})
        assert agent.wait_type("watching") == {"type": "watching", "scope": "all", "ref": "w1"}
        shop.order_update(shopper_id, order_id=7004)
        assert agent.wait_type("order.status.updated")["data"]["user_id"] == shopper_id

        agent.send({"action": "unwatch_all"})
        assert agent.wait_type("watching")["scope"] == "own"
        shop.order_update(shopper_id, order_id=7005)
        agent.nothing_for(0.5, lambda m: m.get("type") == "order.status.updated")
    finally:
        agent.close()


def test_a_shopper_cannot_watch_all_orders_and_keeps_their_socket(gateway, shop, mint):
    user_id, token = mint()
    socket = ws_connect(gateway.ws_url, "/ws/orders", token)
    try:
        socket.send({"action": "watch_all"})
        error = socket.wait_type("error")
        assert error["code"] == "forbidden"
        shop.order_update(user_id, order_id=7006)
        assert socket.wait_type("order.status.updated")["data"]["order_id"] == 7006
    finally:
        socket.close()
