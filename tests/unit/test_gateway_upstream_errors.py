"""A service whose database is unreachable answers the gateway with a RemoteError that names only
the error class; the gateway must call that an outage (503, retry later), not a bug (502/500).

The errors here are real ones: a real psycopg2 connection to a port nobody listens on, carried
through nameko's own serialize/deserialize as an RPC reply would carry it."""
import sqlalchemy as sa
from flask import Flask
from nameko.exceptions import deserialize, serialize

from gateway import errors


def remote(exc):
    return deserialize(serialize(exc))


def answer(exc):
    app = Flask("t")
    with app.test_request_context("/api/orders"):
        response = errors.handle_error(exc)
        return response.status_code, response.get_json()["error"]["code"]


def real_database_outage():
    engine = sa.create_engine("postgresql+psycopg2://nobody@127.0.0.1:9/none",
                              connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("something listens on port 9")


def test_a_service_whose_database_is_down_is_a_503():
    assert answer(remote(real_database_outage())) == (503, "upstream_unavailable")


def test_a_service_whose_pool_is_exhausted_is_a_503():
    assert answer(remote(sa.exc.TimeoutError("QueuePool limit reached"))) == \
        (503, "upstream_unavailable")


def test_any_other_remote_failure_stays_a_502():
    assert answer(remote(KeyError("oops"))) == (502, "upstream_error")
    assert answer(remote(sa.exc.IntegrityError("INSERT", {}, Exception("dup")))) == \
        (502, "upstream_error")


def test_a_database_outage_two_services_away_is_a_503():
    # orders called products, whose database was down: orders passes that RemoteError on
    inner = remote(real_database_outage())
    assert answer(remote(inner)) == (503, "upstream_unavailable")


def test_a_service_saying_a_dependency_is_unavailable_is_a_503():
    class ServiceUnavailable(Exception):  # the name orders' own wrapper has
        pass
    assert answer(remote(ServiceUnavailable("products.get_variants: failed: OperationalError"))) \
        == (503, "upstream_unavailable")
