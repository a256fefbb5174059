"""Session fixtures: a clean test env and the real platform processes running in it.

`platform` rebuilds the test databases from their migrations, empties the test Redis db and
the test vhost's queues, then starts every process of the tree (each service, the bridge, the gateway)
as real processes with the same launcher `make up` uses, and stops them at the end.
Nothing here is mocked.
"""
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

import kit.errors  # noqa: F401  (registers our error types so RPC errors arrive as themselves)
from kit.config import ROOT
from ops.platformctl import Platform
from tests.support import harness


def pytest_collection_modifyitems(items):
    """`runs_last` stories go after all others, in their order: the demo traffic story moves
    the env's business clock back by days, which the stories comparing orders_db with today's
    figures must not see."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)


@pytest.fixture(scope="session")
def config():
    return harness.test_config()


@pytest.fixture(scope="session")
def platform(config):
    p = Platform(env=harness.TEST_ENV)
    p.down()
    harness.reset_service_schemas(config)
    p.migrate()
    harness.redis_client(config).flushdb()
    harness.delete_vhost_queues(config)
    harness.delete_search_indices(config)
    names = p.names()
    for name in names:
        p.start(name)
    for name in names:
        p.wait_healthy(name, timeout=90)
    yield p
    p.down()


@pytest.fixture(scope="session")
def redis_db(config):
    return harness.redis_client(config)


@pytest.fixture(scope="session")
def rpc(config, platform):
    with ClusterRpcProxy(config, timeout=30) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def gateway_url(config, platform):
    return "http://" + str(config["GATEWAY"]["bind"])


@pytest.fixture(scope="session")
def products_db(config):
    engine = sa.create_engine(config["DB_URIS"]["products"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_catalog(platform):
    """The demo catalog, loaded once per session with the command `make up` uses."""
    result = subprocess.run(
        [sys.executable, "-m", "services.products.demo_catalog", "--env", harness.TEST_ENV,
         "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "AARYA_ENV": harness.TEST_ENV})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
