"""Prometheus metrics every nameko service gets from the kit, with no code of its own.

`WorkerMetrics` is a DependencyProvider on `kit.sidedoor.SideDoor`, so any service that has a
side door (all of them, and any new one) gets:
- RED per entrypoint: `entrypoint_seconds{service, entrypoint, outcome}` (a histogram: its
  `_count` is the rate, `outcome="error"` the errors, the buckets the duration), RPC methods,
  event handlers and stream handlers alike (the log line says which kind);
- at scrape time: `aarya_outbox_backlog{service}` (unsent outbox rows) if the service has an
  outbox, and `aarya_stream_lag` / `aarya_stream_pending{stream, group}` for every consumer
  group it reads (Redis 7 XINFO GROUPS `lag` and `pending`);
- `aarya_process_info{process}` = 1, so a scrape that works always shows this process.
It also writes one JSON log line per finished worker (kit.logs) with method, duration, outcome,
correlation id and the event id an event or stream handler ran for.
"""
import logging
import time

import redis
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, Histogram, generate_latest

from kit import logs
from kit.process_info import PROCESS_INFO  # noqa: F401  (one definition for every process)

log = logging.getLogger("aarya.worker")

ENTRYPOINT_SECONDS = Histogram(
    "entrypoint_seconds", "Worker run time by entrypoint and outcome",
    ["service", "entrypoint", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("aarya_outbox_backlog", "Outbox rows not yet published", ["service"])
STREAM_LAG = Gauge("aarya_stream_lag", "Entries of a stream a consumer group has not read yet",
                   ["stream", "group"])
STREAM_PENDING = Gauge("aarya_stream_pending", "Entries read by a group but not acked yet",
                       ["stream", "group"])
SCRAPE_ERRORS = Gauge("aarya_metrics_collect_errors", "Scrape-time readings that failed",
                      ["reading"])

CONTENT_TYPE = CONTENT_TYPE_LATEST


def entrypoint_kind(entrypoint):
    """'rpc', 'event', 'stream', 'http' or the entrypoint's class name, for labels and logs."""
    name = type(entrypoint).__name__
    return {"Rpc": "rpc", "EventHandler": "event", "StreamHandler": "stream",
            "HttpRequestHandler": "http", "Timer": "timer"}.get(name, name.lower())


def _event_id(worker_ctx):
    args = worker_ctx.args or ()
    if args and isinstance(args[0], dict):
        return args[0].get("id")
    return None


class MetricsView:
    """What a side-door worker gets: `exposition()` refreshes the scrape-time gauges."""

    def __init__(self, provider):
        self._provider = provider

    def exposition(self):
        self._provider.refresh()
        return generate_latest().decode()


class WorkerMetrics(DependencyProvider):
    """Times and logs every worker; reads backlog and stream lag when /metrics is scraped."""

    def __init__(self):
        self._started = {}
        self._redis = None

    def setup(self):
        PROCESS_INFO.labels(logs.process_name()).set(1)

    def get_dependency(self, worker_ctx):
        return MetricsView(self)

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        logs.bind(correlation_id=worker_ctx.data.get("correlation_id"),
                  event_id=_event_id(worker_ctx))

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        seconds = time.perf_counter() - started
        kind = entrypoint_kind(worker_ctx.entrypoint)
        outcome = "error" if exc_info else "ok"
        method = worker_ctx.entrypoint.method_name
        ENTRYPOINT_SECONDS.labels(self.container.service_name, method, outcome).observe(seconds)
        # Probes, scrapes and timers that tick every second would drown the log: DEBUG, and
        # only their failures show.
        quiet = kind == "http" or "timer" in kind
        level = logging.WARNING if exc_info else logging.DEBUG if quiet else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "%s %s.%s %s", kind, self.container.service_name, method, outcome,
                     extra={"method": f"{self.container.service_name}.{method}", "kind": kind,
                            "outcome": outcome, "duration_ms": round(seconds * 1000, 3),
                            "error": repr(exc_info[1])[:300] if exc_info else None})

    def worker_teardown(self, worker_ctx):
        logs.bind(correlation_id=None, event_id=None)

    # ---- scrape time -------------------------------------------------------------------------

    def refresh(self):
        service = self.container.service_name
        for dependency in self.container.dependencies:
            relay = getattr(dependency, "relay", None)
            if relay is not None and callable(getattr(relay, "backlog", None)):
                try:
                    OUTBOX_BACKLOG.labels(service).set(relay.backlog())
                except Exception:  # a scrape reports what it can, it never fails
                    SCRAPE_ERRORS.labels("outbox_backlog").inc()
        groups = self._consumer_groups()
        if groups:
            self._read_stream_lag(groups)

    def _consumer_groups(self):
        pairs = set()
        for entrypoint in self.container.entrypoints:
            group = getattr(entrypoint, "group", None)
            for stream in getattr(entrypoint, "streams", ()) if group else ():
                pairs.add((stream, group))
        return sorted(pairs)

    def _read_stream_lag(self, groups):
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.container.config["REDIS_URI"],
                                               socket_timeout=1, socket_connect_timeout=1,
                                               decode_responses=True)
        wanted = {}
        for stream, group in groups:
            wanted.setdefault(stream, set()).add(group)
        for stream, names in wanted.items():
            try:
                infos = self._redis.xinfo_groups(stream)
            except redis.RedisError:
                SCRAPE_ERRORS.labels("stream_lag").inc()
                continue
            for info in infos:
                if info["name"] in names:
                    # lag is None when Redis cannot tell (entries deleted mid-range): say -1.
                    lag = info.get("lag")
                    STREAM_LAG.labels(stream, info["name"]).set(-1 if lag is None else lag)
                    STREAM_PENDING.labels(stream, info["name"]).set(info.get("pending", 0))
