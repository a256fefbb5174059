"""Fixtures for the bridge: a real `python -m bridge --env test` process, real RabbitMQ and Redis.

No mocks: the bridge's whole job is the hand-off between two servers, so that is what runs.
The bridge is started, killed and stopped through ops.platformctl's supervisor for the test
env (own process group, waits on /health), the same registry the session `platform` fixture
uses, so the two never race for the port; a bridge the session had running is left running.

Before each test the bridge is stopped and what it owns in the test env is emptied: the nine
domain streams, dead_letter, its `bridge:seen:*` markers, and its queue (Redis db and vhost of
config/test.yaml only, checked against dev). Other processes of a session platform may still
publish into the test vhost, so tests look only at the events they published themselves.
"""
import json
import socket
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests
from kombu import Connection

from bridge.settings import bridge_settings
from kit.config import load_config
from kit.envelope import make_envelope
from kit.topology import ALL_STREAMS, DEAD_LETTER_STREAM, events_exchange
from ops.platformctl import Platform
from tests.support import harness

BRIDGE = "bridge"


@pytest.fixture(scope="session")
def settings(config):
    harness.assert_isolated_from_dev(config, load_config("dev"))
    return bridge_settings(config)


@pytest.fixture(scope="session")
def supervisor(settings):
    """The test env's supervisor; at the end the bridge is as this suite found it."""
    platform = Platform(env=harness.TEST_ENV)
    was_running = platform.alive(BRIDGE)
    yield platform
    if was_running:
        platform.start(BRIDGE)
        platform.wait_healthy(BRIDGE, timeout=30)
    else:
        platform.stop(BRIDGE)


@pytest.fixture(scope="session")
def amqp(settings):
    with Connection(settings.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.ensure_connection(max_retries=3)
        yield conn


def clean(redis_db, amqp, settings):
    """Empty the streams, the seen-markers and the bridge queue of the test env."""
    redis_db.delete(*ALL_STREAMS, DEAD_LETTER_STREAM)
    keys = list(redis_db.scan_iter("bridge:seen:*", count=1000))
    for start in range(0, len(keys), 1000):
        redis_db.delete(*keys[start:start + 1000])
    with amqp.channel() as channel:
        channel.queue_delete(settings.queue)


class BridgeHandle:
    """The bridge process of the test env, as a test drives it."""

    def __init__(self, supervisor, settings):
        self.supervisor = supervisor
        self.base = f"http://127.0.0.1:{settings.port}"

    def start(self):
        self.supervisor.start(BRIDGE)
        self.supervisor.wait_healthy(BRIDGE, timeout=30)

    def kill(self):
        """SIGKILL the process group: no cleanup, no ack of the batch in hand."""
        self.supervisor.kill(BRIDGE)

    def terminate(self, grace=10):
        """SIGTERM; returns the seconds it took to exit (SIGKILL after `grace`)."""
        started = time.monotonic()
        self.supervisor.stop(BRIDGE, grace=grace)
        return time.monotonic() - started

    def log(self, lines=40):
        return self.supervisor.log_tail(BRIDGE, lines)

    def health(self):
        response = requests.get(f"{self.base}/health", timeout=2)
        return response.status_code, response.json()

    def metric(self, name, labels=""):
        """A sample's value from /metrics, 0.0 if absent."""
        wanted = f"{name}{labels}"
        for line in requests.get(f"{self.base}/metrics", timeout=2).text.splitlines():
            sample, _, value = line.rpartition(" ")
            if sample == wanted:
                return float(value)
        return 0.0


@pytest.fixture
def bridge(supervisor, settings, redis_db, amqp):
    """A freshly started bridge on an emptied test env."""
    handle = BridgeHandle(supervisor, settings)
    supervisor.stop(BRIDGE)
    with socket.socket() as probe:  # checked before cleaning: the env may be someone else's
        if probe.connect_ex(("127.0.0.1", settings.port)) == 0:
            pytest.fail(f"port {settings.port} is taken by a bridge this checkout did not start")
    clean(redis_db, amqp, settings)
    handle.start()
    yield handle
    print(f"--- bridge log ---\n{handle.log()}")  # pytest shows it when the test failed


@pytest.fixture
def publish(amqp):
    """publish(envelope or raw text, source=…, routing_key=…) to `<source>.events`, persistent."""
    producer = amqp.Producer()

    def _publish(event, source=None, routing_key=None):
        if isinstance(event, dict):
            body = json.dumps(event)
            source = source or event["source"]
            routing_key = routing_key or event["type"]
        else:
            body = event
        producer.publish(body, exchange=events_exchange(source), routing_key=routing_key or "",
                         delivery_mode=2, content_type="application/json",
                         content_encoding="utf-8", retry=True)
    return _publish


@pytest.fixture
def new_user_event():
    """new_user_event(n) → a fresh `user.created` envelope from the users service."""
    def _make(n=0):
        return make_envelope("user.created", "users", {"user_id": n, "email": f"u{n}@example.com"},
                             correlation_id=f"req-{uuid.uuid4()}")
    return _make


class StreamReader:
    """What a stream consumer sees, narrowed to the events a test published."""

    def __init__(self, client):
        self.redis = client

    def entries(self, stream, ids=None):
        entries = [fields for _id, fields in self.redis.xrange(stream)]
        return entries if ids is None else [f for f in entries if f.get("id") in ids]

    def ids(self, stream, ids=None):
        return [fields.get("id") for fields in self.entries(stream, ids)]

    def count(self, ids):
        """How many entries across the domain streams carry one of these event ids."""
        return sum(len(self.ids(stream, ids)) for stream in ALL_STREAMS)

    def dead_letters(self, containing):
        return [f for f in self.entries(DEAD_LETTER_STREAM)
                if f.get("origin") == "bridge" and containing in f.get("body", "")]

    def wait_for(self, predicate, timeout=15, what="condition"):
        return harness.wait_for(predicate, timeout=timeout, message=what)


@pytest.fixture
def streams(redis_db):
    return StreamReader(redis_db)


@pytest.fixture
def management(settings):
    """(base URL, auth, quoted vhost) of the RabbitMQ management API for the test vhost."""
    uri = urlsplit(settings.amqp_uri)
    base = f"http://{uri.hostname}:15672/api"
    auth = (uri.username or "guest", uri.password or "guest")
    # `make up` / .ci/run enable the management plugin: its absence is a failure, not a skip.
    requests.get(f"{base}/overview", auth=auth, timeout=5).raise_for_status()
    return base, auth, quote(uri.path[1:] or "/", safe="")
