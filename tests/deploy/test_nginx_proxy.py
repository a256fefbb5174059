"""Shoppers reach the gateway through Debian's real nginx with ops/proxy/nginx.conf.template:
TLS terminated with a certificate made for this test, REST, a WebSocket (upgrade, both ways,
server push) and an SSE stream that resumes from Last-Event-ID and streams live events
unbuffered; plain HTTP only redirects, /metrics stays inside, and a burst from one address
meets the per-IP limit in the API's error shape."""
import json
import subprocess
import time
import uuid

import pytest
import requests

from kit.envelope import make_envelope, to_stream_fields
from kit.topology import STREAM_FOR_SOURCE
from ops.proxy.render import render
from tests.deploy.conftest import running, tool
from tests.orders.helpers import register
from tests.realtime.support.clients import WsClient

MAIN_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/aarya.conf;
}}
"""


@pytest.fixture(scope="module")
def proxy(platform, config, ops_ports, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("nginx")
    cert, key = workdir / "aarya.pem", workdir / "aarya.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    (workdir / "aarya.conf").write_text(render({
        "GATEWAY_UPSTREAM": config["GATEWAY"]["bind"], "SERVER_NAME": "localhost",
        "HTTP_PORT": ops_ports["nginx_http_port"], "HTTPS_PORT": ops_ports["nginx_https_port"],
        "TLS_CERT": cert, "TLS_KEY": key, "API_RATE_PER_S": 5, "API_BURST": 10,
    }))
    main = workdir / "nginx.conf"
    main.write_text(MAIN_CONF.format(dir=workdir))
    nginx = tool("nginx")
    checked = subprocess.run([nginx, "-t", "-q", "-p", str(workdir), "-c", str(main)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    base = f"https://localhost:{ops_ports['nginx_https_port']}"
    argv = [nginx, "-p", str(workdir), "-c", str(main), "-g", "daemon off; user root;"]
    with running(argv, f"{base}/health", workdir / "nginx.out", verify=str(cert)):
        session = requests.Session()
        session.verify = str(cert)
        session.trust_env = False
        yield type("Proxy", (), {"base": base, "cert": str(cert), "http": session,
                                 "plain": f"http://localhost:{ops_ports['nginx_http_port']}",
                                 "ws": f"wss://localhost:{ops_ports['nginx_https_port']}"})


@pytest.fixture(scope="module")
def shopper(rpc, proxy):
    return register(rpc, proxy.base)


def publish(redis_db, event_type, data):
    envelope = make_envelope(event_type, "products", data, correlation_id="test-proxy")
    return redis_db.xadd(STREAM_FOR_SOURCE["products"], to_stream_fields(envelope))


def stock_alert(redis_db, product_id, status):
    return publish(redis_db, "product.inventory.updated", {
        "product_id": product_id, "variant_id": product_id * 10, "sku": f"SKU-{product_id}",
        "old": 4, "new": 3, "delta": -1, "status": status, "previous_status": "in_stock",
        "low_stock_threshold": 5, "reason": "order", "order_ref": "ord-hidden"})


def test_rest_passes_through_tls_with_the_correlation_id_both_ways(proxy, shopper):
    correlation = f"proxy-{uuid.uuid4().hex}"
    response = proxy.http.get(f"{proxy.base}/api/users/me", timeout=10, headers={
        "Authorization": f"Bearer {shopper.token}", "X-Correlation-ID": correlation})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == shopper.user_id
    assert response.headers["X-Correlation-ID"] == correlation
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    refused = proxy.http.get(f"{proxy.base}/api/users/me", timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"]  # the gateway's own


def test_plain_http_redirects_and_metrics_stay_inside(proxy):
    redirect = requests.get(f"{proxy.plain}/api/products", allow_redirects=False, timeout=10)
    assert redirect.status_code == 308
    assert redirect.headers["Location"] == f"{proxy.base}/api/products"
    assert proxy.http.get(f"{proxy.base}/metrics", timeout=10).status_code == 404


def test_a_websocket_upgrades_and_carries_messages_both_ways(proxy, shopper, redis_db):
    product = int(time.time() * 1000) % 10 ** 9
    socket = WsClient(f"{proxy.ws}/ws/inventory?access_token={shopper.token}",
                      sslopt={"ca_certs": proxy.cert}, timeout=10)
    try:
        ready = socket.wait_type("ready", timeout=10)
        assert ready["user_id"] == shopper.user_id and ready["channel"] == "inventory"
        socket.send({"action": "subscribe", "product_ids": [product], "ref": "r1"})
        subscribed = socket.wait_type("subscribed", timeout=10)
        assert subscribed["product_ids"] == [product]
        entry = stock_alert(redis_db, product, "low_stock")
        pushed = socket.wait_for(lambda m: m.get("type") == "product.inventory.updated",
                                 timeout=10, what="the stock change")
        assert pushed["id"] == entry and pushed["data"]["product_id"] == product
    finally:
        socket.close()


class Sse:
    """An SSE response read frame by frame through the proxy."""

    def __init__(self, proxy, path, last_event_id=None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.response = proxy.http.get(f"{proxy.base}{path}", headers=headers, stream=True,
                                       timeout=10)
        self.lines = self.response.iter_lines(decode_unicode=True)

    def next(self):
        frame = {}
        for line in self.lines:
            if line == "":
                if "data" in frame or "event" in frame:
                    return frame
                frame = {}
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                frame[field] = value.lstrip()
        raise AssertionError("stream ended")

    def close(self):
        self.response.close()


def test_an_sse_stream_resumes_from_last_event_id_and_streams_live_unbuffered(proxy, redis_db):
    product = int(time.time() * 1000) % 10 ** 9 + 1
    missed_from = stock_alert(redis_db, product, "low_stock")
    missed = stock_alert(redis_db, product, "out_of_stock")
    stream = Sse(proxy, "/sse/stock-alerts", last_event_id=missed_from)
    try:
        assert stream.response.status_code == 200
        assert stream.response.headers["Content-Type"].startswith("text/event-stream")
        ready = stream.next()
        assert ready["event"] == "ready"
        assert json.loads(ready["data"]) == {"topic": "stock-alerts", "resumed": True,
                                             "after": missed_from}
        replayed = stream.next()
        assert replayed["id"] == missed  # the one it missed, nothing before it
        # Live: one small event must arrive now, not when some buffer fills.
        started = time.monotonic()
        live = stock_alert(redis_db, product, "back_in_stock")
        arrived = stream.next()
        assert arrived["id"] == live
        assert time.monotonic() - started < 3, "the proxy held the event back"
    finally:
        stream.close()


def test_a_burst_from_one_address_meets_the_per_ip_limit(proxy):
    statuses = []
    for _ in range(80):
        response = proxy.http.get(f"{proxy.base}/api/openapi.json", timeout=10)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["error"]["code"] == "rate_limited"
            assert response.headers["Retry-After"]
            break
    assert 429 in statuses and statuses[0] == 200, statuses
