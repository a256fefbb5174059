"""Stories of who may open a socket: the token comes before any data, as ?access_token= or as
the first message; anything else closes the socket with 1008 and sends nothing first."""
import time

import pytest
import requests

from tests.realtime.support.clients import Closed, WsClient, ws_connect

POLICY_VIOLATION = 1008


def closed_before_data(url, send=None, timeout=8):
    client = WsClient(url)
    try:
        if send is not None:
            client.send(send)
        with pytest.raises(Closed) as closed:
            client.next(timeout=timeout)
        assert client.received == []  # not one message before the close
        return closed.value
    finally:
        client.close()


def test_a_socket_without_a_token_is_closed_with_1008_before_any_data(gateway):
    started = time.monotonic()
    closed = closed_before_data(f"{gateway.ws_url}/ws/orders")
    assert closed.code == POLICY_VIOLATION and closed.reason == "auth_timeout"
    assert 4 <= time.monotonic() - started < 7  # the 5 s allowed to send the token


@pytest.mark.parametrize("path", ["/ws/notifications", "/ws/orders", "/ws/inventory",
                                  "/ws/analytics", "/ws/chat"])
def test_a_bad_token_is_closed_with_1008_on_every_channel(gateway, path):
    closed = closed_before_data(f"{gateway.ws_url}{path}?access_token=not-a-token")
    assert (closed.code, closed.reason) == (POLICY_VIOLATION, "invalid_token")


def test_a_socket_closes_with_1008_when_its_token_expires(brisk_gateway, mint, config):
    ttl = int(config["AUTH"]["access_ttl_s"])
    _, token = mint(now=time.time() - ttl + 3)  # 3 s left
    socket = ws_connect(brisk_gateway.ws_url, "/ws/orders", token)
    try:
        closed = socket.closed(timeout=10)
        assert (closed.code, closed.reason) == (POLICY_VIOLATION, "token_expired")
    finally:
        socket.close()


def test_a_fresh_token_keeps_the_socket_open_past_the_old_ones_expiry(brisk_gateway, mint,
                                                                       config):
    ttl = int(config["AUTH"]["access_ttl_s"])
    user_id, old = mint(now=time.time() - ttl + 3)
    _, fresh = mint(user_id=user_id)
    _, someone_else = mint()
    socket = ws_connect(brisk_gateway.ws_url, "/ws/orders", old)
    try:
        socket.send({"action": "auth", "token": someone_else})
        assert socket.wait_type("error")["code"] == "different_user"
        socket.send({"action": "auth", "token": fresh})
        assert socket.wait_type("authenticated")["user_id"] == user_id
        socket.nothing_for(6)  # two heartbeats past the old token's exp: still open
    finally:
        socket.close()


def test_expired_or_foreign_tokens_are_closed_with_1008(gateway, mint):
    _, expired = mint(now=time.time() - 3600)
    _, forged = mint(secret="not-our-secret-0123456789abcdef0123")
    for token in (expired, forged):
        closed = closed_before_data(f"{gateway.ws_url}/ws/orders?access_token={token}")
        assert (closed.code, closed.reason) == (POLICY_VIOLATION, "invalid_token")


def test_a_first_message_that_is_not_auth_is_closed_with_1008(gateway):
    closed = closed_before_data(f"{gateway.ws_url}/ws/orders", send={"action": "watch_all"})
    assert (closed.code, closed.reason) == (POLICY_VIOLATION, "auth_required")


def test_the_token_may_come_as_the_first_message(gateway, mint, shop):
    user_id, token = mint()
    client = WsClient(f"{gateway.ws_url}/ws/orders")
    try:
        client.send({"action": "auth", "token": token})
        assert client.wait_type("ready")["user_id"] == user_id
        shop.order_update(user_id, order_id=8001)
        assert client.wait_type("order.status.updated")["data"]["order_id"] == 8001
    finally:
        client.close()


def test_a_signed_out_session_cannot_open_a_socket(gateway, shopper):
    _, token = shopper
    signed_out = requests.post(f"{gateway.base_url}/api/auth/logout", timeout=15,
                               headers={"Authorization": f"Bearer {token}"})
    assert signed_out.status_code == 200, signed_out.text
    closed = closed_before_data(f"{gateway.ws_url}/ws/notifications?access_token={token}")
    assert (closed.code, closed.reason) == (POLICY_VIOLATION, "session_revoked")


def test_live_analytics_are_for_staff_only(gateway, mint):
    _, customer = mint()
    closed = closed_before_data(f"{gateway.ws_url}/ws/analytics?access_token={customer}")
    assert (closed.code, closed.reason) == (POLICY_VIOLATION, "forbidden")


def test_a_plain_http_request_to_a_socket_route_is_a_400(gateway):
    response = requests.get(f"{gateway.base_url}/ws/orders", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_socket_open_when_its_session_is_signed_out_is_closed_with_1008(
        gateway, brisk_gateway, shopper):
    _, token = shopper
    socket = ws_connect(brisk_gateway.ws_url, "/ws/orders", token)
    try:
        requests.post(f"{gateway.base_url}/api/auth/logout", timeout=15,
                      headers={"Authorization": f"Bearer {token}"})
        closed = socket.closed(timeout=10)  # checked every heartbeat (here 2 s)
        assert (closed.code, closed.reason) == (POLICY_VIOLATION, "session_revoked")
    finally:
        socket.close()
