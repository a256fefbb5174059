"""The chaos env: dedicated servers (ops/chaos_servers.sh) and two replicas of every process.

The stories here SIGKILL processes and restart RabbitMQ, Redis and PostgreSQL under load, so
they never run on the shared servers: env `chaos` (config/chaos.yaml, derived from test.yaml by
ops.chaosenv) points at PostgreSQL :5433, RabbitMQ :5673 and Redis :6390, which the
`chaos_servers` fixture starts (and leaves running, like ops/servers.sh does for the shared ones).

Figures: every story prints its own (load held, faults, failures per fault, recovery, events
checked) and appends them to var/chaos/figures.txt. `make chaos` runs the long version
(AARYA_CHAOS=long): longer load per fault, more fuzz examples.
"""
import os
import subprocess
import time
import urllib.parse
import uuid

import pytest
import requests
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

from kit.config import ROOT, load_config
from ops import chaosenv
from ops.platformctl import Platform, replica_name
from tests.orders.helpers import Catalog, People
from tests.support import harness

CHAOS_ENV = "chaos"
REPLICAS = 2
LONG = os.environ.get("AARYA_CHAOS") == "long"
FIGURES = ROOT / "var" / CHAOS_ENV / "figures.txt"


def figure(line):
    """Print a figure line and keep it in var/chaos/figures.txt for the closing note."""
    print(line)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES, "a") as fh:
        fh.write(f"{time.strftime('%H:%M:%S')} {line}\n")


def chaos_servers(*args, check=True):
    sudo = ["sudo", "-n"] if os.geteuid() != 0 else []  # it manages servers: root, as make's $(SUDO)
    result = subprocess.run([*sudo, "bash", str(ROOT / "ops" / "chaos_servers.sh"), *map(str, args)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _reset_vhost(config):
    """A blank vhost on the chaos node (its management API, :15673)."""
    vhost = urllib.parse.urlsplit(config["AMQP_URI"]).path.lstrip("/")
    base = f"http://127.0.0.1:{chaosenv.AMQP_MANAGEMENT_PORT}/api"
    auth, quoted = ("guest", "guest"), urllib.parse.quote(vhost, safe="")
    requests.delete(f"{base}/vhosts/{quoted}", auth=auth, timeout=30)
    requests.put(f"{base}/vhosts/{quoted}", auth=auth, timeout=30).raise_for_status()
    requests.put(f"{base}/permissions/{quoted}/guest", auth=auth, timeout=30,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()


@pytest.fixture(scope="session")
def chaos_config():
    chaos_servers("start")
    return load_config(CHAOS_ENV)


@pytest.fixture(scope="session")
def chaos(chaos_config):
    """Every process of the tree × 2 in env chaos, on clean databases, Redis and vhost."""
    p = Platform(env=CHAOS_ENV)
    p.down()
    harness.reset_service_schemas(chaos_config)
    harness.redis_client(chaos_config).flushdb()
    _reset_vhost(chaos_config)
    t0 = time.monotonic()  # up() migrates, then starts everything at once
    p.up(replicas=REPLICAS, timeout=180)
    figure(f"chaos env up: {len(p.names())} processes × {REPLICAS} replicas healthy in "
           f"{time.monotonic() - t0:.0f}s")
    yield p
    if not os.environ.get("AARYA_CHAOS_KEEP"):  # keep it running to look at a failure
        p.down()


@pytest.fixture(scope="session")
def gateways(chaos):
    return ["http://" + chaos.url(replica_name("gateway", i)).split("/")[2]
            for i in range(1, REPLICAS + 1)]


@pytest.fixture(scope="session")
def chaos_rpc(chaos_config, chaos):
    with ClusterRpcProxy(chaos_config, timeout=60) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def chaos_db(chaos_config):
    """service name → engine on its chaos database."""
    engines = {name: sa.create_engine(uri, pool_size=2, pool_pre_ping=True)
               for name, uri in chaos_config["DB_URIS"].items()}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def chaos_catalog(chaos_db, chaos_rpc):
    tag = uuid.uuid4().hex[:8]
    with chaos_db["products"].begin() as conn:
        brand_id = conn.execute(sa.text(
            "INSERT INTO brands (name, slug) VALUES (:n, :s) RETURNING id"),
            {"n": f"Chaos Studio {tag}", "s": f"chaos-studio-{tag}"}).scalar()
        category_id = conn.execute(sa.text(
            "INSERT INTO categories (name, slug) VALUES (:n, :s) RETURNING id"),
            {"n": f"Chaos {tag}", "s": f"chaos-{tag}"}).scalar()
    return Catalog(chaos_rpc, brand_id, category_id)


@pytest.fixture(scope="session")
def chaos_people(chaos_config, gateways):
    registry = People(chaos_config, gateways[0])
    yield registry
    registry.close()
