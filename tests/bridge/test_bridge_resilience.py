"""The bridge loses nothing and duplicates nothing when it is killed, stopped or cut off."""
import threading
import time
from urllib.parse import quote

import pytest
import requests
from kombu import Connection

from kit.envelope import make_envelope
from kit.topology import ALL_STREAMS, STREAM_FOR_SOURCE, events_exchange

SOURCES = ("users", "orders", "products", "payments", "cart")


class Publisher(threading.Thread):
    """Publishes `count` events (persistent, confirmed one by one) over its own connection."""

    def __init__(self, amqp_uri, count):
        super().__init__(daemon=True)
        self.amqp_uri = amqp_uri
        self.events = [make_envelope(f"{SOURCES[n % len(SOURCES)]}.probe",
                                     SOURCES[n % len(SOURCES)], {"n": n}) for n in range(count)]
        self.ids = {event["id"] for event in self.events}
        self.sent = 0
        self.error = None

    def run(self):
        try:
            with Connection(self.amqp_uri, transport_options={"confirm_publish": True}) as conn:
                producer = conn.Producer()
                for event in self.events:
                    producer.publish(event, exchange=events_exchange(event["source"]),
                                     routing_key=event["type"], delivery_mode=2,
                                     serializer="json", retry=True)
                    self.sent += 1
        except Exception as exc:  # surfaced by the test, not lost in the thread
            self.error = exc

    def assert_each_event_exactly_once(self, streams):
        for stream in ALL_STREAMS:
            expected = {e["id"] for e in self.events if STREAM_FOR_SOURCE[e["source"]] == stream}
            ids = streams.ids(stream, self.ids)
            assert len(ids) == len(set(ids)), f"{stream} has duplicate entries"
            assert set(ids) == expected, f"{stream} misses events"


@pytest.mark.slow
def test_a_bridge_killed_mid_flow_mirrors_every_event_exactly_once(bridge, streams, settings):
    publisher = Publisher(settings.amqp_uri, 2000)
    publisher.start()
    streams.wait_for(lambda: streams.count(publisher.ids) >= 300, what="the first 300 entries")

    bridge.kill()  # SIGKILL: its batch in hand was written, or not, but never acked
    sent_at_kill = publisher.sent
    bridge.start()
    publisher.join(60)

    assert publisher.error is None
    assert sent_at_kill < 2000, "the publisher had finished before the kill: nothing was in flight"
    streams.wait_for(lambda: streams.count(publisher.ids) >= 2000, timeout=60,
                     what="all 2,000 entries")
    time.sleep(0.5)  # a duplicate, if there were one, would land right after
    publisher.assert_each_event_exactly_once(streams)
    print(f"sent at kill: {sent_at_kill}; redeliveries skipped after restart: "
          f"{bridge.metric('bridge_duplicates_skipped_total'):.0f}")


@pytest.mark.slow
def test_sigterm_finishes_the_batch_and_exits_cleanly(bridge, streams, settings):
    publisher = Publisher(settings.amqp_uri, 1000)
    publisher.start()
    streams.wait_for(lambda: streams.count(publisher.ids) >= 200, what="the first 200 entries")

    took = bridge.terminate(grace=10)
    log = bridge.log(lines=10)
    bridge.start()
    publisher.join(60)

    assert took < 5 and "bridge stopped" in log, log
    assert publisher.error is None
    streams.wait_for(lambda: streams.count(publisher.ids) >= 1000, timeout=60,
                     what="all 1,000 entries")
    time.sleep(0.5)
    publisher.assert_each_event_exactly_once(streams)


def _bridge_connections(base, auth, vhost):
    response = requests.get(f"{base}/vhosts/{vhost}/connections", auth=auth, timeout=5)
    response.raise_for_status()
    return [c["name"] for c in response.json()
            if c.get("client_properties", {}).get("connection_name") == "aarya-bridge"]


def test_the_bridge_reconnects_when_rabbitmq_drops_its_connection(
        bridge, streams, publish, new_user_event, management):
    base, auth, vhost = management
    # The management API lists a new connection only after its next stats emission.
    names = streams.wait_for(lambda: _bridge_connections(base, auth, vhost), timeout=20,
                             what="the bridge's connection in the management API")

    for name in names:
        requests.delete(f"{base}/connections/{quote(name, safe='')}", auth=auth, timeout=5,
                        headers={"X-Reason": "test: bridge reconnect"}).raise_for_status()
    event = new_user_event(1)
    publish(event)  # the queue is durable: the event waits for the bridge to come back

    streams.wait_for(lambda: streams.ids("user_events", {event["id"]}), timeout=30,
                     what="the event published while the bridge was reconnecting")
    assert bridge.metric("bridge_reconnects_total") >= 1
    status, health = bridge.health()
    assert (status, health["status"], health["amqp"]) == (200, "ok", True)


@pytest.mark.slow
def test_dropped_redis_connections_lose_and_duplicate_nothing(bridge, streams, settings, redis_db):
    publisher = Publisher(settings.amqp_uri, 1000)
    publisher.start()
    for threshold in (150, 400, 700):
        streams.wait_for(lambda: streams.count(publisher.ids) >= threshold, what=f"{threshold} entries")
        for client in redis_db.client_list():
            if client.get("name") == "aarya-bridge":
                redis_db.client_kill(client["addr"])
    publisher.join(60)

    assert publisher.error is None
    streams.wait_for(lambda: streams.count(publisher.ids) >= 1000, timeout=60,
                     what="all 1,000 entries")
    time.sleep(0.5)
    publisher.assert_each_event_exactly_once(streams)


def test_each_reconnect_after_a_working_session_starts_the_backoff_over(
        bridge, streams, management):
    """Five drops in a row, each after the bridge was consuming again: the fifth reconnect is as
    quick as the first. The backoff (0.25 s doubling to 3 s) used to reset only when a session
    returned, which a session never does, so the fifth waited 4 s, and after one long outage
    every later reconnect waited the cap."""
    base, auth, vhost = management
    waits, dropped_names = [], set()
    for _ in range(5):
        # The management API may still list a connection it already closed: wait for a new one.
        names = streams.wait_for(
            lambda: [n for n in _bridge_connections(base, auth, vhost) if n not in dropped_names],
            timeout=30, what="the bridge's new connection in the management API")
        reconnects = bridge.metric("bridge_reconnects_total")
        for name in names:
            requests.delete(f"{base}/connections/{quote(name, safe='')}", auth=auth, timeout=5,
                            headers={"X-Reason": "test: bridge backoff"}).raise_for_status()
            dropped_names.add(name)
        dropped = time.monotonic()
        streams.wait_for(lambda: bridge.metric("bridge_reconnects_total") > reconnects
                         and bridge.health()[1]["amqp"], timeout=30,
                         what="the bridge consuming again")
        waits.append(time.monotonic() - dropped)
    # Without the reset the waits double: 0.25, 0.5, 1, 2, 4 s (+ the time to notice).
    assert waits[-1] < 2.5, f"reconnects took {[round(w, 2) for w in waits]} s"
