"""Each service's side door on its own port: GET /health and GET /metrics (nameko `http`).

A service class inherits `sidedoor.SideDoor` (import the module, not the class: `nameko run`
treats every class with entrypoints in a service module as a service); the launcher gives
each process WEB_SERVER_ADDRESS from config SERVICE_PORTS. /health asks every dependency that can `ping()` (database, redis, ...)
and reports the outbox backlog; /metrics is Prometheus text. Business calls never come here.
"""
import json
import time

from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest

from kit import rpc_replies  # noqa: F401  (a reply lost to a broker outage is not fatal)

ENTRYPOINT_SECONDS = Histogram(
    "entrypoint_seconds", "Worker run time by entrypoint and outcome",
    ["service", "entrypoint", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class WorkerMetrics(DependencyProvider):
    """Times every worker (RPC, event and stream handlers alike) into ENTRYPOINT_SECONDS."""

    def __init__(self):
        self._started = {}

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is not None:
            ENTRYPOINT_SECONDS.labels(
                self.container.service_name, worker_ctx.entrypoint.method_name,
                "error" if exc_info else "ok",
            ).observe(time.perf_counter() - started)


class SideDoor:
    """Mixin for service classes: health and metrics endpoints plus worker timing."""

    worker_metrics = WorkerMetrics()

    @http("GET", "/health")
    def health(self, request):
        checks = {}
        healthy = True
        for name, dependency in sorted(vars(self).items()):
            # Look on the class: an RPC proxy answers any attribute, and would make a remote call.
            if not callable(getattr(type(dependency), "ping", None)):
                continue
            ping = dependency.ping
            try:
                checks[name] = bool(ping())
            except Exception as exc:  # a health probe reports, it never raises
                checks[name] = False
                checks[f"{name}_error"] = repr(exc)[:200]
            healthy = healthy and checks[name]
        outbox = getattr(self, "outbox", None)
        if outbox is not None:
            try:
                checks["outbox_backlog"] = outbox.backlog()
            except Exception as exc:
                checks["outbox_backlog"] = None
                checks["outbox_error"] = repr(exc)[:200]
        body = {"status": "ok" if healthy else "degraded", "service": self.name, "checks": checks}
        return 200 if healthy else 503, {"Content-Type": "application/json"}, json.dumps(body)

    @http("GET", "/metrics")
    def metrics(self, request):
        return 200, {"Content-Type": CONTENT_TYPE_LATEST}, generate_latest().decode()
