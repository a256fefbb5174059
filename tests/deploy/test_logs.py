"""Ops follow one checkout through the logs: every process writes JSON lines (kit/logs.py), and
the correlation id a client sends with POST /api/orders shows up in the gateway's request line,
in the orders, products and payments workers it caused, and in the bridge's line for each event
it mirrored, with the fields Kibana's saved search shows (ops/logging/)."""
import json
import uuid

import pytest
import requests
import sqlalchemy as sa

from kit.config import ROOT
from tests.orders.helpers import Catalog, order_body, register
from tests.support.harness import wait_for

FOLLOWED = ("gateway", "orders", "products", "payments", "bridge")
ALWAYS = ("timestamp", "level", "process", "logger", "message")


def since_last_start(platform, name):
    """(lines before the first JSON line, JSON lines) of the process's current run."""
    text = platform.logfile(name).read_text(errors="replace")
    run = text.rsplit("===== platformctl start", 1)[-1].splitlines()[1:]
    first = next((i for i, line in enumerate(run) if line.startswith("{")), len(run))
    return run[:first], [line for line in run[first:] if line.strip()]


def records(platform, name):
    _, lines = since_last_start(platform, name)
    return [json.loads(line) for line in lines]


def test_once_logging_is_configured_every_process_writes_only_json_lines(platform):
    for name in platform.names():
        _, lines = since_last_start(platform, name)
        assert lines, f"{name} logged nothing"
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                raise AssertionError(f"{name}: not a JSON line: {line[:300]}")
            assert all(record.get(k) for k in ALWAYS), (name, record)
            assert record["process"] == name, (name, record)


def follow(platform, correlation):
    """{process: its JSON records with this correlation id}, once every FOLLOWED one has some."""
    def followed():
        found = {name: [r for r in records(platform, name) if r.get("correlation_id") == correlation]
                 for name in FOLLOWED}
        return found if all(found.values()) else None

    return wait_for(followed, timeout=20, interval=0.3, message=f"{correlation} in {FOLLOWED}")


@pytest.fixture(scope="module")
def checkout(platform, config, rpc, gateway_url):
    """One paid order placed through the gateway with a correlation id of the client's."""
    engine = sa.create_engine(config["DB_URIS"]["products"])
    tag = uuid.uuid4().hex[:8]
    with engine.begin() as conn:
        brand = conn.execute(sa.text("INSERT INTO brands (name, slug) VALUES (:n, :s) "
                                     "RETURNING id"), {"n": f"Logs {tag}", "s": f"logs-{tag}"}).scalar()
        category = conn.execute(sa.text("INSERT INTO categories (name, slug) VALUES (:n, :s) "
                                        "RETURNING id"), {"n": f"Logs {tag}", "s": f"logs-{tag}"}).scalar()
    engine.dispose()
    variant = Catalog(rpc, brand, category).variant(5)
    shopper = register(rpc, gateway_url)
    rpc.cart.add_item(shopper.owner, variant, 1)

    correlation = f"chk-{uuid.uuid4().hex}"
    response = shopper.http.post(f"{gateway_url}/api/orders", json=order_body(), timeout=30,
                                 headers={"Authorization": f"Bearer {shopper.token}",
                                          "Idempotency-Key": f"k-{tag}",
                                          "X-Correlation-ID": correlation})
    assert response.status_code == 201, response.text
    shopper.wait_for(response.json()["id"], "paid")
    return correlation, response.json()["order_ref"]


def test_one_checkout_is_followed_by_its_correlation_id_through_five_processes(platform, checkout):
    correlation, order_ref = checkout
    found = follow(platform, correlation)

    (request,) = [r for r in found["gateway"] if r.get("route") == "/api/orders"]
    assert (request["method"], request["status"]) == ("POST", 201)
    assert request["duration_ms"] > 0 and request["level"] == "INFO"
    methods = {r.get("method") for name in ("orders", "products", "payments") for r in found[name]}
    assert {"orders.create_order", "products.reserve_stock", "payments.initiate_payment"} <= methods
    assert all(r["duration_ms"] >= 0 for name in ("orders", "products", "payments")
               for r in found[name] if "method" in r)
    mirrored = {r["event_type"]: r for r in found["bridge"] if "event_type" in r}
    assert "order.created" in mirrored and mirrored["order.created"]["event_id"]
    assert mirrored["order.created"]["stream"] == "order_events"
    # And the events themselves carry it: a stream handler's line names the event it ran for.
    handled = [r for name in FOLLOWED[1:4] for r in found[name] if r.get("kind") == "stream"]
    assert handled and all(r.get("event_id") for r in handled), found["orders"]
    assert order_ref.startswith("ord_")


def test_the_index_template_takes_those_lines_and_finds_the_request_by_its_id(platform, config,
                                                                           checkout):
    """The real Elasticsearch with ops/logging/index-template.json (under this env's name):
    the lines go in as Filebeat would send them, and a term query on correlation_id finds
    every process's lines of that checkout (keyword, not analysed text)."""
    correlation, _ = checkout
    es, name = config["ELASTICSEARCH_URI"], config["OPS"]["logs_index"]
    template = json.loads((ROOT / "ops/logging/index-template.json").read_text())
    template["index_patterns"] = [name]
    # A plain index, not the data stream Filebeat writes: this Elasticsearch build (the
    # integ-test zip) can create data streams but has no API to delete them again.
    template.pop("data_stream", None)
    http = requests.Session()
    http.trust_env = False
    http.delete(f"{es}/{name}", timeout=30)  # a run that died before its cleanup
    try:
        put = http.put(f"{es}/_index_template/{name}", json=template, timeout=30)
        assert put.status_code == 200, put.text
        assert template["template"]["mappings"]["properties"]["correlation_id"]
        bulk = []
        for lines in follow(platform, correlation).values():
            for record in lines:
                bulk += [json.dumps({"create": {}}),
                         json.dumps({**record, "@timestamp": record["timestamp"]})]
        sent = http.post(f"{es}/{name}/_bulk?refresh=true", data="\n".join(bulk) + "\n",
                         headers={"Content-Type": "application/x-ndjson"}, timeout=30)
        assert sent.status_code == 200 and not sent.json()["errors"], sent.text[:2000]
        mapping = http.get(f"{es}/{name}/_mapping", timeout=30).json()
        (fields,) = [m["mappings"]["properties"] for m in mapping.values()]
        assert fields["correlation_id"]["type"] == "keyword"
        assert fields["duration_ms"]["type"] == "float"
        found = http.post(f"{es}/{name}/_search", timeout=30, json={
            "size": 0, "query": {"term": {"correlation_id": correlation}},
            "aggs": {"processes": {"terms": {"field": "process"}}}}).json()
        processes = {b["key"] for b in found["aggregations"]["processes"]["buckets"]}
        assert processes == set(FOLLOWED)
        assert found["hits"]["total"]["value"] == len(bulk) // 2
    finally:
        http.delete(f"{es}/{name}", timeout=30)
        http.delete(f"{es}/_index_template/{name}", timeout=30)
