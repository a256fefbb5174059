"""A PostgreSQL restart must not take a service process down (issue 14: orders died for good).

What killed orders: a worker read through `self.db.session` (a transaction stays open until
the worker ends); the server terminated that connection; kit/db.py's worker_teardown closed the
session, the rollback raised OperationalError, and nameko kills the whole container on an
exception in worker_teardown. Both replicas of orders were gone after one restart.

The first test shows it on the kit alone (a real connection to the chaos PostgreSQL, terminated
by the server); the second restarts the chaos PostgreSQL under a checkout load and checks that
every orders replica is the same process as before, healthy, and takes an order to paid.
"""
import time

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from kit.db import WorkerDatabase, make_engine
from ops.platformctl import replica_name
from tests.resilience.checks import product_ids
from tests.resilience.conftest import REPLICAS, chaos_servers, figure
from tests.resilience.load import Load
from tests.resilience.test_server_restarts import checkout_goes_through

HEAL_LIMIT_S = 30


class _Provider:
    """What WorkerDatabase reads from kit.db.Database after its setup: engine and Session."""

    def __init__(self, uri):
        self.engine = make_engine(uri, pool_size=2, max_overflow=0)
        self.Session = sessionmaker(bind=self.engine, expire_on_commit=False)


def test_a_worker_session_on_a_terminated_connection_closes_without_raising(chaos_config,
                                                                            chaos_db):
    provider = _Provider(chaos_config["DB_URIS"]["orders"])
    try:
        worker_db = WorkerDatabase(provider)
        backend = worker_db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with chaos_db["orders"].begin() as conn:  # what a server restart does to a backend
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                {"pid": backend}).scalar()
        time.sleep(0.2)
        worker_db.close()  # worker_teardown: must not raise (it would kill the container)
        # The dead connection is not handed out again: the next worker's session works.
        again = WorkerDatabase(provider)
        assert again.session.execute(sa.text("SELECT 1")).scalar() == 1
        again.close()
        # And a transaction on a terminated connection raises the server's error, not the
        # rollback's, so the entrypoint can answer it as an outage (503).
        with provider.engine.connect() as conn:
            backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        try:
            with again.transaction() as session:
                assert session.execute(sa.text("SELECT pg_backend_pid()")).scalar() == backend
                with chaos_db["orders"].begin() as conn:
                    conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
                time.sleep(0.2)
                session.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as error:
            assert "terminat" in str(error) or "closed" in str(error), error
        else:
            raise AssertionError("a statement on a terminated connection did not fail")
    finally:
        provider.engine.dispose()


def test_orders_survives_a_postgresql_restart_under_load(
        chaos, chaos_db, chaos_catalog, chaos_people, gateways):
    orders = [replica_name("orders", i) for i in range(1, REPLICAS + 1)]
    pids = {name: chaos.pid(name) for name in orders}
    assert all(pids.values()), pids
    variants = chaos_catalog.variants(10_000, 10_000)
    prober, *crowd = chaos_people.shoppers(4)
    load = Load(gateways, crowd, variants, product_ids(chaos_db, variants),
                checkout_threads=3, browse_threads=1).start()
    try:
        time.sleep(3)
        chaos_servers("restart", "postgresql", 3)
        t_up = time.monotonic()
        healed, why = None, ""
        while time.monotonic() - t_up < HEAL_LIMIT_S:
            dead = [name for name in orders if chaos.pid(name) != pids[name]]
            assert not dead, f"{dead} died on the PostgreSQL restart (see var/chaos/log)"
            sick = [name for name in orders if not chaos.healthy(name, timeout=2)]
            ref, why = (None, f"unhealthy: {sick}") if sick else \
                checkout_goes_through(prober, gateways[0], variants[0])
            if ref:
                healed = time.monotonic() - t_up
                break
            time.sleep(0.5)
    finally:
        load.stop()
    figure(f"[pg-restart] {load.summary()}; healed "
           f"{f'{healed:.1f}s' if healed is not None else 'NEVER'} after it was back")
    assert healed is not None, f"not healed within {HEAL_LIMIT_S}s: {why}"
    assert all(chaos.pid(name) == pids[name] for name in orders)
