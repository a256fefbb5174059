"""What the integration tests share: the test env's config, clean slates, waiting, stream reads.

Everything here talks to the real servers, in the test env only (config/test.yaml: its own
databases `*_db_test`, Redis db 1, RabbitMQ vhost `aarya_test`, ports 81xx), so a platform
started with `make up` is never touched.
"""
import json
import os
import time
import urllib.parse

import redis
import requests
import sqlalchemy as sa

from kit.config import load_config
from kit.envelope import from_stream_fields
from kit.migrate import services_with_migrations

# AARYA_TEST_ENV lets a second checkout or helper run its own copy (e.g. config/test2.yaml).
TEST_ENV = os.environ.get("AARYA_TEST_ENV", "test")


def test_config():
    return load_config(TEST_ENV)


def assert_isolated_from_dev(config, dev):
    """The test env must not share a database, Redis db, vhost or port with dev."""
    assert set(config["DB_URIS"].values()).isdisjoint(dev["DB_URIS"].values())
    assert config["REDIS_URI"] != dev["REDIS_URI"]
    assert config["AMQP_URI"] != dev["AMQP_URI"]
    assert set(config["SERVICE_PORTS"].values()).isdisjoint(dev["SERVICE_PORTS"].values())
    assert config["GATEWAY"]["bind"] != dev["GATEWAY"]["bind"]


def wait_for(predicate, timeout=15.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def reset_service_schemas(config):
    """Give every test database a blank schema; migrations then rebuild it, seed rows included."""
    for service in services_with_migrations():
        engine = sa.create_engine(config["DB_URIS"][service])
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()


def delete_search_indices(config):
    """Drop the env's Elasticsearch indices (its SEARCH.index_prefix): the databases start blank,
    so documents of an earlier run would name orders and users whose ids are handed out again.
    By name, one at a time: ES refuses wildcard deletes (action.destructive_requires_name)."""
    prefix = (config.get("SEARCH") or {}).get("index_prefix")
    assert prefix, "tests must run with their own SEARCH.index_prefix"
    base = str(config["ELASTICSEARCH_URI"]).rstrip("/")
    listed = requests.get(f"{base}/_cat/indices/{prefix}_*", params={"format": "json"},
                          timeout=30)
    listed.raise_for_status()
    for index in listed.json():
        requests.delete(f"{base}/{index['index']}", timeout=30).raise_for_status()


def delete_vhost_queues(config):
    """Drop every queue of the test vhost (leftovers of an earlier run), via the management API."""
    vhost = urllib.parse.urlsplit(config["AMQP_URI"]).path.lstrip("/")
    assert vhost, "tests must run in their own vhost"
    base = "http://127.0.0.1:15672/api/queues/" + urllib.parse.quote(vhost, safe="")
    auth = ("guest", "guest")
    for queue in requests.get(base, auth=auth, timeout=10).json():
        requests.delete(f"{base}/{urllib.parse.quote(queue['name'], safe='')}", auth=auth,
                        timeout=10)


def redis_client(config):
    return redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)


def stream_events(client, stream):
    """Every entry of a stream as (entry_id, envelope)."""
    return [(entry_id, from_stream_fields(fields)) for entry_id, fields in client.xrange(stream)]


def events_of_type(client, stream, event_type, **data_match):
    return [e for _, e in stream_events(client, stream) if e["type"] == event_type
            and all(e["data"].get(k) == v for k, v in data_match.items())]


def json_or_text(response):
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text
