"""Fixtures for the gateway: real gunicorn (gevent worker) processes, real Redis db 1, a real
broker in the `aarya_test` vhost, and — for end-to-end stories — the real users service.

- `gateway`  the gateway exactly as deployed: `gunicorn -c gateway/gunicorn_conf.py
             'gateway.app:create_app()'` with AARYA_ENV=test on the test bind (another free
             loopback port if that one is taken, e.g. by a platform another suite started).
- `probe`    the same gateway app plus /_probe routes, talking to tests/gateway/probe_service.py,
             to exercise the RPC pool, context data and the error table without the users service.
- `limited_gateway`  the gateway with a 5-requests-a-minute per-IP limit, to see it trip.
- `users_service`  `nameko run services.users.service` after `python -m kit.migrate --env test
             upgrade users`; tests that need it skip (saying why) while services/users is absent.

Processes live for this package only (scope="package"), so the test ports are free again for
suites that start the whole platform after this one. Nothing is mocked, and nothing in Redis db 1 is flushed: stories that meet a rate limit send
from loopback addresses of their own (helpers.new_client_ip) with fresh emails, so counts start
at zero even when another run shares the db. `refuse_dev` stops the run if the test config
ever pointed at dev's Redis or vhost.
"""
import subprocess
import sys

import pytest
import redis

from tests.gateway.helpers import (
    CONFIG, ROOT, child_env, free_port, refuse_dev, start_gunicorn, start_nameko, tail,
    wait_for_rpc, wait_until_healthy,
)


@pytest.fixture(scope="session")
def config():
    return CONFIG


@pytest.fixture(scope="session")
def redis_db():
    refuse_dev()
    client = redis.Redis.from_url(CONFIG["REDIS_URI"], decode_responses=True)
    yield client
    client.close()


@pytest.fixture(scope="package")
def gateway():
    refuse_dev()
    process = start_gunicorn("gateway", "gateway.app:create_app()")
    yield process
    process.stop()


@pytest.fixture(scope="package")
def base_url(gateway):
    return gateway.base_url


@pytest.fixture(scope="package")
def probe_service():
    refuse_dev()
    process = start_nameko("gateway_probe", "tests.gateway.probe_service", free_port())
    try:
        wait_for_rpc("gateway_probe", "context_data")
    except Exception:
        process.stop()
        raise RuntimeError(f"probe service did not start:\n{tail(process.log_path)}")
    yield process
    process.stop()


@pytest.fixture(scope="package")
def probe(probe_service):
    """A one-worker gateway with /_probe routes, a pool of 2 proxies and a 1 s RPC timeout."""
    process = start_gunicorn("gateway_probe_app", "tests.gateway.probe_app:create_app()",
                             GATEWAY_WORKERS=1, PROBE_POOL_SIZE=2, PROBE_RPC_TIMEOUT_S=1)
    yield process
    process.stop()


@pytest.fixture(scope="package")
def users_service():
    refuse_dev()
    migrate = subprocess.run([sys.executable, "-m", "kit.migrate", "--env", "test", "upgrade",
                              "users"], cwd=ROOT, env=child_env(), capture_output=True, text=True)
    if migrate.returncode != 0:
        pytest.fail(f"migrations failed:\n{migrate.stdout}\n{migrate.stderr}")
    process = start_nameko("users", "services.users.service",
                           int(CONFIG["SERVICE_PORTS"]["users"]))
    try:
        # Its own side door first: another users replica in the vhost could answer the ping.
        wait_until_healthy(f"http://{process.address}/health", process.proc, process.log_path,
                           timeout=60)
        wait_for_rpc("users", "ping")
    except Exception:
        process.stop()
        raise RuntimeError(f"users service did not start:\n{tail(process.log_path)}")
    yield process
    process.stop()


@pytest.fixture(scope="package")
def api(base_url, users_service):
    """Base URL of a gateway with the users service behind it."""
    return base_url




@pytest.fixture(scope="package")
def limited_gateway():
    """A one-worker gateway allowing 5 requests per IP per minute, to see the limit trip."""
    refuse_dev()
    process = start_gunicorn("gateway_limited", "gateway.app:create_app()",
                             GATEWAY_WORKERS=1, RATE_LIMIT_PER_MINUTE=5)
    yield process
    process.stop()
