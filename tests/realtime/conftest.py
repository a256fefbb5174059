"""Fixtures for the real-time stories: real gunicorn gevent gateways, real Redis, real sockets.

- The session `platform` (tests/conftest.py) runs every process of the tree in the test env
  (AARYA_TEST_ENV, e.g. test5): its gateway (2 gevent workers) is the one most stories use,
  its users and notifications services answer presence and mark_read, its bridge carries their
  events onto the streams.
- `shop` XADDs well-formed envelopes onto the streams, as the owning services would.
- Stories that need a second gateway process, a tiny client buffer or a gateway they may stop
  start their own (support/processes.py) through support/app.py.
Nothing is mocked; clients are websocket-client and requests (stream=True).
"""
import random
import uuid
from types import SimpleNamespace

import pytest
import requests

from kit.config import load_config
from kit.tokens import issue_access_token
from tests.realtime.support.clients import Shop
from tests.realtime.support.processes import start_gateway
from tests.support import harness


@pytest.fixture(scope="session")
def gateway(config, platform):
    """Base URLs of the platform's gateway."""
    harness.assert_isolated_from_dev(config, load_config("dev"))
    bind = str(config["GATEWAY"]["bind"])
    return SimpleNamespace(base_url=f"http://{bind}", ws_url=f"ws://{bind}")


@pytest.fixture(scope="session")
def shop(redis_db, platform):
    return Shop(redis_db)


@pytest.fixture(scope="session")
def mint(config):
    """mint(user_id=None, role="customer", ...) → (user_id, token) signed like the users
    service signs them. A user id of nobody registered unless given (presence then learns the
    user does not exist, which is fine for stories about routing)."""
    def mint_token(user_id=None, role="customer", session_id=None, now=None, secret=None):
        user_id = user_id or random.randint(10 ** 8, 10 ** 9)
        auth = dict(config["AUTH"])
        if secret:
            auth["jwt_secret"] = secret
        token = issue_access_token(auth, user_id, role, session_id or f"rt-{uuid.uuid4()}",
                                   now=now)
        return user_id, token
    return mint_token


@pytest.fixture
def shopper(gateway):
    """A shopper registered and signed in through the gateway: (user, access_token)."""
    return sign_up(gateway.base_url)


def sign_up(base_url):
    tag = uuid.uuid4().hex[:10]
    account = {"email": f"rt-{tag}@example.com", "username": f"rt_{tag}",
               "password": "correct horse battery", "full_name": f"Realtime {tag}"}
    created = requests.post(f"{base_url}/api/auth/register", json=account, timeout=30)
    assert created.status_code == 201, created.text
    signed_in = requests.post(f"{base_url}/api/auth/login", timeout=30,
                              json={"email": account["email"], "password": account["password"]})
    assert signed_in.status_code == 200, signed_in.text
    return created.json(), signed_in.json()["access_token"]


@pytest.fixture(scope="session")
def brisk_gateway(platform):
    """One gateway worker that beats every 2 s (pings, presence refresh, session checks) with a
    presence TTL of 6 s, so stories about what heartbeats do take seconds, not minutes."""
    process = start_gateway("brisk-gateway", heartbeat_s=2, presence_ttl_s=6)
    yield process
    process.stop()
