"""Ops' Prometheus sees every process: Debian's real prometheus scrapes the running test
platform with the scrape config ops/monitoring/scrape.py generates from platformctl's process
list (so a new service is covered with no edit here), loads the alert rules, and every metric
those rules name is really exported."""
import contextlib
import json
import re

import pytest
import requests
import yaml

from kit.config import ROOT
from ops.monitoring.scrape import RULES, metrics_targets, scrape_config
from tests.deploy.conftest import running, tool
from tests.orders.helpers import register
from tests.realtime.support.clients import WsClient
from tests.support.harness import wait_for


@pytest.fixture(scope="module")
def prometheus(platform, ops_ports, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("prometheus")
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(scrape_config(metrics_targets(platform), "1s")))
    base = f"http://127.0.0.1:{ops_ports['prometheus_port']}"
    argv = [tool("prometheus"), f"--config.file={config_file}",
            f"--storage.tsdb.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{ops_ports['prometheus_port']}",
            "--log.level=warn"]
    with running(argv, f"{base}/-/ready", workdir / "prometheus.log"):
        yield base


def query(base, promql):
    response = requests.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["data"]["result"]


def test_every_process_of_the_platform_is_scraped_and_up(prometheus, platform):
    names = set(platform.names())
    # aarya_process_info{process} is set by the process itself (kit.metrics, gateway.metrics,
    # bridge.metrics): seeing it proves the sample came from that process's own /metrics.
    seen = wait_for(lambda: (lambda got: got if got >= names else None)(
        {r["metric"]["process"] for r in query(prometheus, "aarya_process_info == 1")}),
        timeout=30, interval=0.5, message=f"aarya_process_info from all of {sorted(names)}")
    assert seen == names
    up = {r["metric"]["process"]: r["value"][1] for r in query(prometheus, 'up{job="aarya"}')}
    assert up == {name: "1" for name in names}


def test_the_services_report_red_per_entrypoint_and_the_gateway_per_route(prometheus, platform):
    services = set(platform.names()) - {"bridge", "gateway"}
    timed = wait_for(lambda: (lambda got: got if got >= services else None)(
        {r["metric"]["service"] for r in query(prometheus, "sum by (service) (entrypoint_seconds_count)")}),
        timeout=30, interval=0.5, message="entrypoint_seconds from every service")
    assert timed >= services
    requests.get(f"http://{platform.config['GATEWAY']['bind']}/api/products/999999999", timeout=5)
    # Labelled by the URL rule, not the raw path: one series for every product id.
    # Other stories of the session may have read products too: ours is the GET 404 among them
    # (wait for the scrape that has it), and no series anywhere carries a raw path.
    def statuses():
        series = query(prometheus, 'aarya_http_requests_total{route="/api/products/<int:product_id>"}')
        found = {(s["metric"]["method"], s["metric"]["status"]) for s in series}
        return found if ("GET", "404") in found else None
    assert ("GET", "404") in wait_for(statuses, timeout=30, interval=0.5,
                                      message="the product route's GET 404")
    routes = {r["metric"]["route"] for r in query(prometheus, "aarya_http_requests_total")}
    assert not any("999999999" in route for route in routes), routes


def test_every_metric_the_alert_rules_name_is_exported(prometheus):
    named = set()
    for path in RULES:
        for group in yaml.safe_load(open(path))["groups"]:
            for rule in group["rules"]:
                named |= set(re.findall(r"\b((?:aarya|entrypoint)_[a-z_]+)\b", rule["expr"]))
    assert {"aarya_stream_lag", "aarya_dead_letters", "aarya_outbox_backlog"} <= named
    for metric in sorted(named):
        wait_for(lambda: query(prometheus, f'count({{__name__="{metric}"}})'), timeout=30,
                 interval=0.5, message=f"{metric} in Prometheus")
    rules = requests.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    loaded = {rule["name"] for group in rules for rule in group["rules"]}
    assert {"StreamLagHigh", "DeadLettersGrowing", "OutboxBacklogGrowing"} <= loaded
    assert all(rule["health"] != "err" for group in rules for rule in group["rules"]), rules


@contextlib.contextmanager
def an_open_sse_client(platform, topic="stock-alerts"):
    response = requests.get(f"http://{platform.config['GATEWAY']['bind']}/sse/{topic}",
                            stream=True, timeout=10)
    try:
        assert response.status_code == 200
        next(response.iter_lines())  # the body started: the client is in the hub
        yield f"sse:{topic}"
    finally:
        response.close()


def clients(prometheus, kind):
    result = query(prometheus, f'sum(aarya_realtime_clients{{kind="{kind}"}})')
    return float(result[0]["value"][1]) if result else None


def test_open_websocket_clients_are_counted_across_gateway_workers(prometheus, platform, rpc):
    shopper = register(rpc, f"http://{platform.config['GATEWAY']['bind']}")
    kind = "ws:inventory"
    socket = WsClient(f"ws://{platform.config['GATEWAY']['bind']}/ws/inventory"
                      f"?access_token={shopper.token}", timeout=10)
    try:
        socket.wait_type("ready", timeout=10)
        wait_for(lambda: clients(prometheus, kind) == 1, timeout=20, interval=0.3,
                 message=f"one {kind} client in aarya_realtime_clients")
    finally:
        socket.close()
    wait_for(lambda: clients(prometheus, kind) == 0, timeout=20, interval=0.3,
             message=f"no {kind} client once it closed")


DASHBOARDS = sorted((ROOT / "ops/monitoring/grafana/dashboards").glob("*.json"))


def test_every_grafana_panel_query_runs_on_the_real_prometheus_over_exported_metrics(
        prometheus, platform):
    assert DASHBOARDS
    with an_open_sse_client(platform) as kind:  # so the client gauge has a series
        wait_for(lambda: clients(prometheus, kind), timeout=20, interval=0.3, message=kind)
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["panels"], path.name
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = target["expr"]
                response = requests.get(f"{prometheus}/api/v1/query", params={"query": expr},
                                        timeout=5)
                assert response.status_code == 200, f"{path.name} {panel['title']}: {response.text}"
                for metric in set(re.findall(r"\b((?:aarya|entrypoint|bridge)_[a-z_]+)\b", expr)):
                    assert query(prometheus, f'count({{__name__="{metric}"}})'), \
                        f"{path.name} «{panel['title']}» reads {metric}, which no process exports"
