"""The gateway's /metrics and its request log: RED per route, live WebSocket/SSE clients.

Each request is counted and timed under its URL rule (`/api/orders/<int:order_id>`, never the
raw path, so label values stay few) and logged as one JSON line (kit.logs) with the route,
method, status, duration and correlation id. gunicorn runs several workers: each writes its
samples under PROMETHEUS_MULTIPROC_DIR (gateway/gunicorn_conf.py makes it per gateway) and
/metrics adds them up, so whichever worker answers speaks for all. Outside gunicorn (tests
calling create_app) the process's own registry is served.
"""
import logging
import os
import time

from flask import Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)

from kit import logs
from kit.process_info import PROCESS_INFO  # noqa: F401  (one definition for every process)
from gateway.correlation import current_correlation_id

log = logging.getLogger("aarya.http")

REQUESTS = Counter("aarya_http_requests_total", "Gateway responses by route, method and status",
                   ["route", "method", "status"])
REQUEST_SECONDS = Histogram(
    "aarya_http_request_seconds", "Gateway time to a response (WS: the connection's life)",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
REALTIME_CLIENTS = Gauge("aarya_realtime_clients", "Open WebSocket and SSE clients by channel",
                         ["kind"], multiprocess_mode="livesum")
# Probes and scrapes are counted, not logged: they would drown the log.
_QUIET = ("/health", "/metrics")


def client_opened(kind):
    REALTIME_CLIENTS.labels(kind).inc()


def client_closed(kind):
    REALTIME_CLIENTS.labels(kind).dec()


def _route():
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def exposition():
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest()
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def init_app(app):
    """Call right after correlation.init_app: the id is known, nothing else has run yet."""
    PROCESS_INFO.labels(logs.process_name()).set(1)

    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()
        logs.bind(correlation_id=current_correlation_id())

    @app.after_request
    def count_response(response):
        route, method = _route(), request.method
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        seconds = None if started is None else time.perf_counter() - started
        if seconds is not None:
            REQUEST_SECONDS.labels(route, method).observe(seconds)
        if request.path not in _QUIET:
            log.info("%s %s %s", method, route, response.status_code,
                     extra={"route": route, "method": method, "path": request.path,
                            "status": response.status_code,
                            "duration_ms": None if seconds is None else round(seconds * 1000, 3)})
        return response

    @app.teardown_request
    def forget_context(_exc=None):
        logs.bind(correlation_id=None)

    app.add_url_rule("/metrics", "metrics", lambda: Response(exposition(),
                                                             content_type=CONTENT_TYPE_LATEST))
