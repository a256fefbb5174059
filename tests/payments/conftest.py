"""Fixtures for the payments stories: the whole platform, payments_db, the gateway.

Everything is real: the `platform` fixture (tests/conftest.py) runs every service, the bridge
and the gateway in the test env (AARYA_TEST_ENV); payments talks to its sandbox provider,
whose webhooks really travel by HTTP through the gateway. Stories call payments by RPC as the
orders service does, or speak HTTP to the gateway as a client does, and read payments_db, the
payment_events stream and the sandbox's Redis keys only to check what happened. The only pure
unit tests are the fraud rules (test_fraud_rules.py), which need no platform.
"""
import pytest
import sqlalchemy as sa

from tests.payments.helpers import Gateway


@pytest.fixture(scope="session")
def payments_db(config, platform):
    engine = sa.create_engine(config["DB_URIS"]["payments"], pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def gateway(config, gateway_url):
    return Gateway(gateway_url, config)


@pytest.fixture(scope="session")
def webhook_secret(config):
    return config["PAYMENTS"]["webhook_secret"]
