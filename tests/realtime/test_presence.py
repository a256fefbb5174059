"""Stories of presence: a shopper is online while any of their sockets is open, on any gateway
process; the users service hears the first connection and the last one going, once each."""
import time

from tests.realtime.support.clients import ws_connect
from tests.support.harness import events_of_type, wait_for


def presence_events(redis_db, user_id):
    return [e["type"] for e in events_of_type(redis_db, "user_events", "user.online",
                                               user_id=user_id)
            + events_of_type(redis_db, "user_events", "user.offline", user_id=user_id)]


def is_online(rpc, user_id):
    return rpc.users.get_user(user_id)["is_online"]


def test_two_tabs_make_one_online_and_closing_both_one_offline(gateway, brisk_gateway, shopper,
                                                              rpc, redis_db):
    user, token = shopper
    uid = user["id"]
    # Two tabs on two gateway processes (the platform's and another one).
    first = ws_connect(gateway.ws_url, "/ws/notifications", token)
    second = ws_connect(brisk_gateway.ws_url, "/ws/orders", token)
    try:
        wait_for(lambda: events_of_type(redis_db, "user_events", "user.online", user_id=uid),
                 timeout=15, message="user.online on user_events")
        assert is_online(rpc, uid)

        first.close()
        time.sleep(2)  # long enough for a wrong user.offline to show up
        assert is_online(rpc, uid)
        assert presence_events(redis_db, uid) == ["user.online"]
    finally:
        first.close()
        second.close()
    wait_for(lambda: events_of_type(redis_db, "user_events", "user.offline", user_id=uid),
             timeout=15, message="user.offline on user_events")
    assert not is_online(rpc, uid)
    time.sleep(1)
    assert sorted(presence_events(redis_db, uid)) == ["user.offline", "user.online"]


def test_tabs_opening_and_closing_at_once_settle_on_the_truth(gateway, brisk_gateway, shopper,
                                                             rpc, redis_db):
    user, token = shopper
    uid = user["id"]
    for _ in range(3):
        tabs = [ws_connect(url, "/ws/orders", token)
                for url in (gateway.ws_url, brisk_gateway.ws_url) * 2]
        for tab in tabs:
            tab.close()
    keeper = ws_connect(gateway.ws_url, "/ws/orders", token)
    try:
        wait_for(lambda: is_online(rpc, uid), timeout=15, message="online while a tab is open")
        time.sleep(1.5)
        assert is_online(rpc, uid)
    finally:
        keeper.close()
    wait_for(lambda: not is_online(rpc, uid), timeout=15, message="offline once all closed")


def test_the_connections_of_a_crashed_gateway_expire_and_their_user_goes_offline(
        brisk_gateway, shopper, rpc, redis_db):
    from tests.realtime.support.processes import start_gateway

    user, token = shopper
    uid = user["id"]
    doomed = start_gateway("doomed-gateway", heartbeat_s=1, presence_ttl_s=3)
    try:
        tab = ws_connect(doomed.ws_url, "/ws/orders", token)
        wait_for(lambda: is_online(rpc, uid), timeout=15, message="online")
        doomed.signal(9)  # SIGKILL: no goodbye, its Redis entries stay behind
        doomed.proc.wait(10)
        # Any live gateway sweeps every heartbeat (brisk_gateway: 2 s); the entry lapses in 3 s.
        wait_for(lambda: not is_online(rpc, uid), timeout=40, message="offline after expiry")
        # The event travels outbox → RabbitMQ → bridge → stream after the presence entry lapses.
        wait_for(lambda: events_of_type(redis_db, "user_events", "user.offline", user_id=uid),
                 timeout=10, message="user.offline on user_events")
        tab.close()
    finally:
        doomed.stop()
