"""A PostgreSQL restart must not take a service process down (issue 14: orders died for good).

What killed orders: a worker read through `self.db.session` (a transaction stays open until
the worker ends); the server terminated that connection; kit/db.py's worker_teardown closed the
session, the rollback raised OperationalError, and nameko kills the whole container on an
exception in worker_teardown. Both replicas of orders were gone after one restart.

Shown here on the kit alone (a real connection to the chaos PostgreSQL, terminated by the
server). Under load, test_server_restarts.py restarts PostgreSQL and checks that every process,
both orders replicas included, is the same process afterwards, healthy, and takes an order to paid.
"""
import time

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from kit.db import WorkerDatabase, make_engine


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
