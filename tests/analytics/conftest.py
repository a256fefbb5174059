"""Fixtures for the analytics stories: the whole platform (tests/conftest.py), shoppers, staff
and a catalog from the orders stories' fixtures (imported, not copied), and direct reads of
analytics_db, orders_db and InfluxDB to check what the analytics service made of it all.

The shared InfluxDB keeps this env's bucket across runs, so every InfluxDB figure here is read
over a window that starts with this session.
"""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.orders.conftest import catalog, orders_db, people, shop, staff  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def since():
    """When this session began: InfluxDB points of earlier runs lie before it."""
    return datetime.now(timezone.utc) - timedelta(seconds=1)


@pytest.fixture(scope="session")
def analytics_db(config):
    engine = sa.create_engine(config["DB_URIS"]["analytics"], pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def products(catalog):  # noqa: F811
    """Three variants with prices that do not round: any lost paisa shows."""
    return [catalog.variant(500, price=price) for price in (149950, 89975, 25033)]


@pytest.fixture(scope="session")
def shoppers(people):  # noqa: F811
    return people.shoppers(30)
