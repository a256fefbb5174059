"""The analytics service: the shop's figures, kept current from the event streams.

Entry points only. recording.py turns the stream events into rollups (once per event id, up to
CONSUMER_BATCH events per transaction with their InfluxDB points and analytics.* events);
client_events.py takes the gateway's batches of page views and clicks; metrics.py answers the
staff metrics from the PostgreSQL rollups; timeseries.py writes InfluxDB from a durable queue
and reads its series; live.py keeps the dashboard's live figures in Redis (keys:
kit/analytics_live.py); events.py lists what it reads and emits.

A sale counts when orders says the order is paid (order.payment.completed), never at
order.created; refunds are kept beside it.

Error codes: NotFound unknown_metric · Forbidden staff_only · ValidationFailed
validation_failed (details.fields), invalid_range, range_too_long, batch_too_large ·
Unavailable timeseries_unavailable (InfluxDB is not answering; the rollups still serve).
"""
import logging
import uuid
from datetime import datetime, timezone

import redis as redis_lib
from nameko.timer import timer

from kit import analytics_live, service_base
from kit.errors import Forbidden, NotFound
from kit.redis_client import Redis
from kit.rpc import rpc
from kit.streams import stream_handler
from services.analytics import client_events, events, metrics, points, recording, schemas
from services.analytics.live import Live
from services.analytics.timeseries import SERIES, TimeSeries

log = logging.getLogger(__name__)

CONSUMER = "analytics_consumer"
CONSUMER_BATCH = 1000  # stream entries per transaction (kit/streams.py batches)
CONSUMER_IN_FLIGHT = 2  # batches applied at once: one commits while the next is read
STAFF_ROLES = ("support", "admin")
LATENCY_DRAIN_S = 1
LATENCY_BATCH = 5000
TOP_BOARDS = ("views", "add_to_carts", "purchases")


def require_staff(actor):
    if not isinstance(actor, dict) or actor.get("role") not in STAFF_ROLES:
        raise Forbidden("staff_only", "Analytics is for staff.")


class AnalyticsService(service_base.SqlService):
    name = "analytics"

    # db, outbox: service_base.SqlService
    redis = Redis()
    timeseries = TimeSeries()

    # --- fed by the streams -------------------------------------------------------------------

    @stream_handler(*events.STREAMS, group=CONSUMER, batch=CONSUMER_BATCH,
                    in_flight=CONSUMER_IN_FLIGHT)
    def record_events(self, batch):
        """Apply a read's events to the rollups in one transaction, each once (by event id),
        then move the live figures."""
        batch = [event for event in batch if recording.wanted(event["type"])]
        if not batch:
            return
        with self.db.transaction() as session:
            effects, applied = recording.apply_batch_counted(session, self.outbox, batch)
        if applied:
            Live(self.redis).apply_all(effects, rollups_changed=True)

    @rpc
    def record_client_events(self, batch):
        """A batch of the storefront's page views and clicks: all valid or nothing written;
        each event counts once by its client-made id. → {accepted, duplicates}"""
        batch = schemas.load_batch(batch)
        with self.db.transaction() as session:
            accepted, duplicates = client_events.record_batch(session, self.outbox, batch)
        live = Live(self.redis)
        live.seen(batch["user_id"] or batch["session_id"])
        if accepted:
            live.apply_all([], rollups_changed=True)
        return {"accepted": accepted, "duplicates": duplicates}

    @timer(interval=LATENCY_DRAIN_S)
    def record_latencies(self):
        """The gateway's request latencies (a Redis list of per-worker route-seconds) become
        InfluxDB points, one a sample."""
        samples = self.redis.lpop(analytics_live.LATENCY, LATENCY_BATCH) or []
        lines = []
        for sample in samples:
            try:
                route, count, sum_ms, max_ms, at_ms = analytics_live.parse_latency_sample(sample)
                at = datetime.fromtimestamp(at_ms / 1000, timezone.utc)
                lines.append(points.latency(uuid.uuid4(), at, route, count, sum_ms, max_ms))
            except ValueError:
                log.warning("skipping malformed latency sample %r", sample[:100])
        if lines:
            with self.db.transaction() as session:
                recording.queue_points(session, *lines)

    # --- for staff ----------------------------------------------------------------------------

    @rpc
    def metric(self, actor, name, params=None):
        """One metric from the rollups over whole UTC days [from, to] (see metrics.METRICS)."""
        require_staff(actor)
        if name not in metrics.METRICS:
            raise NotFound("unknown_metric", f"No metric called {name!r}.",
                           {"metrics": sorted(metrics.METRICS)})
        args = schemas.load_range(params or {})
        gen = self._generation()
        answer = {"metric": name, **metrics.METRICS[name](self.db.session, args)}
        self._store("metric", name, params, gen, answer)
        return answer

    @rpc
    def series(self, actor, name, params=None):
        """A time series from InfluxDB over [start, stop) in windows of `every`."""
        require_staff(actor)
        if name not in SERIES:
            raise NotFound("unknown_metric", f"No series called {name!r}.",
                           {"series": sorted(SERIES)})
        args = schemas.load_series(params or {})
        return {"metric": name, "every": args["every"],
                "start": args["start"].isoformat(), "stop": args["stop"].isoformat(),
                "points": self.timeseries.series(name, args["start"], args["stop"],
                                                 args["every"])}

    def _generation(self):
        try:
            return analytics_live.generation(self.redis)
        except redis_lib.RedisError:
            return None

    def _store(self, kind, name, params, gen, answer):
        """Keep the answer for the gateway to serve until the rollups move (kit/analytics_live);
        Redis away only means the next request asks again."""
        if gen is None:
            return
        try:
            analytics_live.store_answer(self.redis, kind, name, params, gen, answer)
        except redis_lib.RedisError as exc:
            log.warning("answer not cached: %r", exc)

    @rpc
    def live(self, actor, limit=5):
        """The dashboard's live figures as Redis holds them, today's top boards, and how far
        InfluxDB is behind."""
        require_staff(actor)
        live = Live(self.redis)
        figures = live.snapshot()
        limit = max(1, min(int(limit or 5), 50))
        return {**figures, "top_products": {board: live.top(board, figures["day"], limit)
                                            for board in TOP_BOARDS},
                "timeseries": self.timeseries.status()}
