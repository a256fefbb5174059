"""Fixtures for the recommendation stories: the real platform with the demo catalog, a model
trained by the train command `make up` users run, shoppers who browse and check out through
the gateway, and a brand and category of our own for products made during a story.

The recommendations database is only read (to see what was counted as bought); every change
goes through the gateway, the services' RPC or the train command.
"""
import os
import re
import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
import sqlalchemy as sa

from kit.config import ROOT
from tests.orders.helpers import Catalog, People
from tests.support import harness
from tests.support.catalog import own_brand_and_category

TRAIN_ARGS = ("--no-tune", "--quiet")


def train(*extra):
    """Run the train command; returns (stdout, the version it wrote)."""
    result = subprocess.run(
        [sys.executable, "-m", "services.recommendations.train", "--env", harness.TEST_ENV,
         *TRAIN_ARGS, *extra], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "AARYA_ENV": harness.TEST_ENV})
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    found = re.search(r"model version (\d+)", result.stdout)
    return result.stdout, int(found.group(1)) if found else None


@pytest.fixture(scope="session")
def trained(platform, demo_catalog):
    """The first model: the catalog synced from products, trained and activated."""
    return train("--shoppers", "600")


@pytest.fixture(scope="session")
def recs_db(config):
    engine = sa.create_engine(config["DB_URIS"]["recommendations"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def people(config, gateway_url):
    registry = People(config, gateway_url)
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def own_catalog(config, platform, rpc):
    """A brand and category of our own, products created through the products service."""
    brand_id, category_id = own_brand_and_category(config, "Recwell", "Kurtas")
    return Catalog(rpc, brand_id, category_id)


class Storefront:
    """The recommendation routes as the storefront calls them (signed in or as a guest)."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path, person=None, **params):
        if person is not None:
            return person.call("GET", path + _query(params))
        return self.http.get(f"{self.url}{path}", params=params, timeout=30)

    def items(self, path, person=None, **params):
        response = self.get(path, person, **params)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def ids(self, path, person=None, **params):
        return [i["product_id"] for i in self.items(path, person, **params)]


def _query(params):
    return ("?" + "&".join(f"{k}={v}" for k, v in params.items())) if params else ""


@pytest.fixture(scope="session")
def store(gateway_url):
    return Storefront(gateway_url)


def metric(base_url, name, **labels):
    """The sum of a /metrics sample's values over the series that carry these labels."""
    text = requests.get(f"{base_url}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
