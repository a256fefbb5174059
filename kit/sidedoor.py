"""Each service's side door on its own port: GET /health and GET /metrics (nameko `http`).

A service class inherits `sidedoor.SideDoor`, through kit.service_base (import the module, not
the class: `nameko run` treats every class with entrypoints in a service module as a service);
the launcher gives each process WEB_SERVER_ADDRESS from config SERVICE_PORTS. /health asks every
dependency that can `ping()` (database, redis, ...) and reports the outbox backlog; /metrics is
Prometheus text (kit.metrics: RED per entrypoint, outbox backlog, stream lag per consumer group).
Business calls never come here.
"""
import json

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.web.handlers import http

from kit import nameko_patches
from kit.metrics import CONTENT_TYPE, ENTRYPOINT_SECONDS, WorkerMetrics  # noqa: F401
from kit.secret_guard import SecretGuard

# Every service imports this module: consumers back within 3 s of the broker, and an ack or a
# reply lost to a broker outage is not fatal (the why of each: kit/nameko_patches.py).
nameko_patches.apply()


class SideDoor:
    """Mixin for service classes: health and metrics endpoints plus worker timing."""

    worker_metrics = WorkerMetrics()
    secret_guard = SecretGuard()  # a production config refuses weak secrets
    config = Config()  # the service's settings classes read from it

    @rpc
    def ping(self):
        """A no-op round trip, for health checks and benchmarks."""
        return "pong"

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
        return 200, {"Content-Type": CONTENT_TYPE}, self.worker_metrics.exposition()
