"""Fixtures for the search stories: the real platform, the demo catalog indexed by the reindex
command `make up` runs, shoppers who check out through the gateway, and Elasticsearch itself
(read only to check what the index holds; every write goes through the search service).
"""
import os
import subprocess
import sys

import pytest
import requests
from elasticsearch import Elasticsearch

from kit.config import ROOT
from services.search.settings import SearchSettings
from tests.orders.helpers import Catalog, People
from tests.support import harness
from tests.support.catalog import own_brand_and_category


def reindex(*kinds):
    result = subprocess.run(
        [sys.executable, "-m", "services.search.reindex", "--env", harness.TEST_ENV, "--quiet",
         *kinds], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "AARYA_ENV": harness.TEST_ENV})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def indexed_catalog(platform, demo_catalog):
    """The demo catalog, indexed with the command `make up` runs after loading it."""
    return reindex("products")


@pytest.fixture(scope="session")
def es(config):
    client = Elasticsearch(config["ELASTICSEARCH_URI"], request_timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="session")
def products_alias(config):
    return f"{SearchSettings.from_config(config).index_prefix}_products"


@pytest.fixture(scope="session")
def shop(gateway_url):
    return Shop(gateway_url)


@pytest.fixture(scope="session")
def people(config, gateway_url):
    registry = People(config, gateway_url)
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def catalog(config, platform, rpc):
    """A brand and category of our own, products created through the products service."""
    brand_id, category_id = own_brand_and_category(config, "Searchwell", "Kurtas")
    return Catalog(rpc, brand_id, category_id)


class Shop:
    """The gateway's search routes, as a storefront calls them."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False

    def search(self, headers=None, **params):
        return self.http.get(f"{self.url}/api/search", params=params, headers=headers,
                             timeout=15)

    def found(self, headers=None, **params):
        response = self.search(headers=headers, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def ids(self, headers=None, **params):
        return [i["product_id"] for i in self.found(headers=headers, **params)["items"]]
