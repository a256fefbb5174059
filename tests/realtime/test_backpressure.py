"""Stories of clients that cannot keep up, and of a gateway going away: a slow client is let go
without slowing anyone else down; a stopping gateway says goodbye (1001) to its sockets."""
import random
import socket as socketlib
import threading
import time

from tests.realtime.support.clients import SseClient, WsClient, ws_connect
from tests.realtime.support.processes import start_gateway
from tests.support.harness import wait_for

TRY_AGAIN_LATER = 1013
GOING_AWAY = 1001
EVENTS = 250
PADDING = "x" * 16000  # big events fill a slow reader's socket buffers quickly


def test_a_slow_client_is_dropped_while_a_fast_one_keeps_receiving(shop, mint):
    gateway = start_gateway("backpressure-gateway", client_buffer=16, drop_grace_s=15)
    product = random.randint(10 ** 6, 10 ** 7)
    _, token = mint()
    try:
        fast = ws_connect(gateway.ws_url, "/ws/inventory", token)
        slow = WsClient(f"{gateway.ws_url}/ws/inventory?access_token={token}",
                        sockopt=((socketlib.SOL_SOCKET, socketlib.SO_RCVBUF, 4096),))
        for client in (fast, slow):
            client.send({"action": "subscribe", "product_ids": [product]})
            client.wait_type("subscribed")
        # From here on `slow` reads nothing while the events pour in.

        received = []
        reader = threading.Thread(target=lambda: received.extend(
            fast.wait_type("product.inventory.updated", timeout=30) for _ in range(EVENTS)))
        reader.start()
        published = [shop.stock_change(product, "low_stock", padding=PADDING)
                     for _ in range(EVENTS)]
        reader.join(40)
        assert [m["id"] for m in received] == published  # every one, in order

        closed = slow.closed(timeout=15)  # now it reads: what was in flight, then the close
        got = [m for m in slow.received if m.get("type") == "product.inventory.updated"]
        assert (closed.code, closed.reason) == (TRY_AGAIN_LATER, "slow_consumer")
        assert len(got) < EVENTS
        assert [m["id"] for m in got] == published[:len(got)]  # what it did get was in order

        shop.stock_change(product, "out_of_stock", new=0)
        assert fast.wait_type("product.inventory.updated")["data"]["status"] == "out_of_stock"
        fast.close()
        slow.close()
    finally:
        gateway.stop()


def test_a_stopping_gateway_closes_its_sockets_with_1001_and_ends_its_feeds(shopper, rpc):
    gateway = start_gateway("stopping-gateway")
    user, token = shopper
    try:
        socket = ws_connect(gateway.ws_url, "/ws/orders", token)
        wait_for(lambda: rpc.users.get_user(user["id"])["is_online"], timeout=15,
                 message="online")
        feed = SseClient(f"{gateway.base_url}/sse/product-updates")
        assert feed.next(timeout=10).event == "ready"
        stopping = time.monotonic()
        gateway.signal(15)
        closed = socket.closed(timeout=10)
        assert (closed.code, closed.reason) == (GOING_AWAY, "going_away")
        assert feed.ended.wait(10)
        gateway.proc.wait(15)
        assert time.monotonic() - stopping < 10  # not the whole graceful_timeout
        # Before it went, it told the users service its last socket of this shopper closed.
        assert not rpc.users.get_user(user["id"])["is_online"]
        socket.close()
    finally:
        gateway.stop()
