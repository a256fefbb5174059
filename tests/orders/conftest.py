"""Fixtures for the orders stories: the whole platform, a catalog, shoppers and staff.

Everything is real: the `platform` fixture (tests/conftest.py) runs every service (payments
with its sandbox card gateway included), the bridge and the gateway in the test env; shoppers
are registered and signed in through the users service and check out through the gateway.
Only brands and categories are written straight into products_db, because products has no
RPC for them.
"""
import uuid

import pytest
import sqlalchemy as sa

from services.users.create_admin import create_admin
from tests.orders.helpers import Catalog, People, Person
from tests.support.catalog import own_brand_and_category


def _engine(config, service):
    return sa.create_engine(config["DB_URIS"][service], pool_size=5)


@pytest.fixture(scope="session")
def orders_db(config):
    engine = _engine(config, "orders")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def payments_db(config):
    engine = _engine(config, "payments")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def shop(platform, gateway_url):
    """The running platform, as shoppers reach it: the gateway's base URL."""
    return gateway_url


@pytest.fixture(scope="session")
def catalog(config, platform, rpc):
    brand_id, category_id = own_brand_and_category(config, "Aarya Studio", "Kurtas")
    return Catalog(rpc, brand_id, category_id)


@pytest.fixture(scope="session")
def people(config, shop):
    registry = People(config, shop)
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def staff(config, rpc, shop):
    """An admin, created with the users service's create_admin command, signed in by RPC."""
    tag = uuid.uuid4().hex[:10]
    email, password = f"admin-{tag}@example.com", f"pw-{tag}-admin"
    user_id = create_admin(config, email, f"admin_{tag}", password)
    tokens = rpc.users.login(email, password)
    return Person(user_id, "admin", email, tokens["access_token"], shop)


@pytest.fixture
def shopper(people):
    return people.shopper()
