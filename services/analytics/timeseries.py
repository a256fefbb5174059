"""InfluxDB through influxdb-client, as a nameko dependency: a durable pending queue, a flusher,
and the dashboard's series queries.

Writing: the consumer puts each point (line protocol) into `influx_pending` in the transaction
that applies its event, so a point exists exactly when its figure does. A managed green thread
takes the oldest rows in batches, writes them with the client's write API and deletes them once
InfluxDB answered 204. While InfluxDB is down every failed batch is counted
(`influx_write_failures_total`) and retried with backoff; the rows wait, so the series catch up
with nothing missing when it is back, even across a restart of this service. A retried point
overwrites itself (see points.py), so a batch that was written but not acknowledged never doubles.

Reading: Flux through the client's query API. A failed query raises Unavailable
`timeseries_unavailable` (503 at the gateway); the PostgreSQL rollups do not depend on it.
"""
import json
import logging
import time
from datetime import datetime, timezone

import redis as redis_lib
import sqlalchemy as sa
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge

from kit import analytics_live
from kit.db import database_uri, make_engine
from kit.errors import Unavailable
from kit.retry import run_forever

log = logging.getLogger(__name__)

WRITTEN = Counter("influx_points_written_total", "Points InfluxDB acknowledged")
FAILURES = Counter("influx_write_failures_total", "Batches InfluxDB did not take (retried)")
PENDING = Gauge("influx_points_pending", "Points waiting in influx_pending (last flush pass)")

SERIES = {
    # metric: (measurement, field, Flux aggregate)
    "sales": ("sales", "amount", "sum"),
    "orders": ("sales", "orders", "sum"),
    "page_views": ("page_views", "count", "sum"),
    "add_to_cart": ("add_to_cart", "count", "sum"),
    "conversions": ("conversions", "count", "sum"),
    # a mean weighted by requests: sum of sum_ms over sum of count (points are route-seconds)
    "latency_ms": ("latency", ("sum_ms", "count"), "ratio"),
}
EVERY_S = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86400}


def influx_settings(config):
    s = config.get("INFLUXDB", {})
    return {
        "url": s.get("url", "http://127.0.0.1:8086"),
        # InfluxDB 1.x's v2 API: bucket "db/rp" (or just "db"), token "user:password" (any
        # token while auth is off); InfluxDB 2 takes a real org and token from the same keys.
        "token": s.get("token", "aarya:aarya"),
        "org": s.get("org", "aarya"),
        "bucket": s["bucket"],
        "query_bucket": s.get("query_bucket") or s["bucket"],
        "batch": int(s.get("batch", 5000)),
        "flush_interval_ms": int(s.get("flush_interval_ms", 250)),
        "timeout_ms": int(s.get("timeout_ms", 3000)),
        "max_backoff_s": float(s.get("max_backoff_s", 5)),
    }


class TimeSeriesWriter:
    def __init__(self, engine, settings, redis=None):
        self.engine = engine
        self.redis = redis
        self.s = settings
        self.client = InfluxDBClient(url=settings["url"], token=settings["token"],
                                     org=settings["org"], timeout=settings["timeout_ms"],
                                     retries=False)
        self.write_api = self.client.write_api(write_options=SYNCHRONOUS)
        self.query_api = self.client.query_api()
        self.last_error = None
        self.failures = 0
        self._running = False

    def flush_once(self):
        """Write one batch of pending points; returns how many InfluxDB took."""
        with self.engine.begin() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, line FROM influx_pending ORDER BY id LIMIT :n "
                "FOR UPDATE SKIP LOCKED"), {"n": self.s["batch"]}).all()
            if not rows:
                return 0
            lines = [r.line for r in rows]
            self.write_api.write(bucket=self.s["bucket"], org=self.s["org"], record=lines)
            conn.execute(sa.text("DELETE FROM influx_pending WHERE id = ANY(:ids)"),
                         {"ids": [r.id for r in rows]})
        WRITTEN.inc(len(rows))
        self._note_late(lines)
        self._note_flushed(lines)
        return len(rows)

    def _note_late(self, lines):
        """A point older than LATE_S may fall in a closed window someone cached: new generation.
        Timed after the write, so an answer read before it is never kept under the new one."""
        if self.redis is None:
            return
        oldest = min(int(line.rsplit(" ", 1)[1]) for line in lines) / 1e9
        if oldest < time.time() - analytics_live.LATE_S:
            try:
                self.redis.incr(analytics_live.SERIES_GEN)
            except redis_lib.RedisError as exc:
                log.warning("late points written but the series cache not renewed: %r", exc)

    def _note_flushed(self, lines):
        """The open windows of every measurement just written may answer differently now."""
        if self.redis is None:
            return
        measurements = {line.split(" ", 1)[0].split(",", 1)[0] for line in lines}
        try:
            pipe = self.redis.pipeline(transaction=False)
            for measurement in measurements:
                pipe.incr(analytics_live.SERIES_OPEN_GEN + measurement)
            pipe.execute()
        except redis_lib.RedisError as exc:
            log.warning("points written but the open series cache not renewed: %r", exc)

    def pending(self):
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM influx_pending")).scalar()

    def _flush_step(self):
        try:
            written = self.flush_once()
        except Exception as exc:  # InfluxDB (or the DB) away: keep the rows, count, retry
            self.failures += 1
            FAILURES.inc()
            self.last_error = repr(exc)[:300]
            raise
        self.last_error = None
        if written < self.s["batch"]:
            time.sleep(self.s["flush_interval_ms"] / 1000.0)

    def run(self):
        self._running = True
        run_forever(self._flush_step, name="influx flusher", stopped=lambda: not self._running,
                    start=0.2, cap=self.s["max_backoff_s"], quiet=(Exception,))

    def stop(self):
        self._running = False
        self.client.close()

    # ---- reading -----------------------------------------------------------------------------

    def series(self, metric, start, stop, every):
        """Points over [start, stop): the windows that closed LATE_S before now come from Redis
        when they were asked before (one Flux query then, none after); the open ones likewise
        until the next flush writes a point of the metric's measurement. Windows align to the epoch either way, so the two parts join
        into exactly the answer one query over the whole range would give."""
        step = EVERY_S.get(every)
        closed = None
        if step and self.redis is not None:
            edge = (int(time.time()) - analytics_live.LATE_S) // step * step
            closed = min(datetime.fromtimestamp(edge, timezone.utc), stop)
            if closed <= start:
                closed = None
        if closed is None:
            return self._query_series(metric, start, stop, every)
        points = self._closed_series(metric, start, closed, every)
        if closed < stop:
            points += self._open_series(metric, closed, stop, every)
        return points

    def _closed_series(self, metric, start, stop, every):
        key = f"analytics:series:{metric}:{every}:{_rfc(start)}:{_rfc(stop)}"
        return self._kept(key, analytics_live.SERIES_GEN, analytics_live.SERIES_TTL_S,
                          metric, start, stop, every)

    def _open_series(self, metric, start, stop, every):
        """The windows still filling, kept until the next flush of this metric's measurement.
        A range that ends in the future asks for "up to now": every point that could change
        that answer arrives through a flush, so the key says "now" rather than the moment.
        While the flusher cannot write, InfluxDB is asked each time: away, it answers 503
        (`timeseries_unavailable`) rather than a figure that misses the queued points."""
        if self.last_error is not None:
            return self._query_series(metric, start, stop, every)
        until = "now" if stop.timestamp() >= time.time() else _rfc(stop)
        key = f"analytics:series-open:{metric}:{every}:{_rfc(start)}:{until}"
        return self._kept(key, analytics_live.SERIES_OPEN_GEN + SERIES[metric][0],
                          analytics_live.SERIES_OPEN_TTL_S, metric, start, stop, every)

    def _kept(self, key, gen_key, ttl, metric, start, stop, every):
        """The query's answer as kept under the generation's current value, else asked and kept.
        The generation is read before the query: a write in between leaves this answer under
        a generation nobody reads any more. Redis away: ask InfluxDB."""
        try:
            gen = self.redis.get(gen_key) or "0"
            hit = self.redis.get(f"{key}:{gen}")
        except redis_lib.RedisError:
            return self._query_series(metric, start, stop, every)
        if hit is not None:
            return json.loads(hit)
        points = self._query_series(metric, start, stop, every)
        try:
            self.redis.set(f"{key}:{gen}", json.dumps(points), ex=ttl)
        except redis_lib.RedisError:
            pass
        return points

    def _query_series(self, metric, start, stop, every):
        measurement, field, agg = SERIES[metric]
        window = f'aggregateWindow(every: {every}, fn: {"sum" if agg == "ratio" else agg}, ' \
                 f'createEmpty: false, timeSrc: "_start")'
        tables = self._flux(measurement, field, start, stop, window)
        if agg == "ratio":
            return _ratio_points(tables, *field)
        return [{"time": r.get_time().isoformat(),
                 "value": r.get_value() if agg == "mean" else int(r.get_value() or 0)}
                for table in tables for r in table.records]

    def total(self, metric, start, stop):
        """One number over [start, stop): the sum (or mean) of the metric's field."""
        measurement, field, agg = SERIES[metric]
        tables = self._flux(measurement, field, start, stop,
                            "sum()" if agg == "ratio" else f"{agg}()")
        if agg == "ratio":
            values = {r.values.get("_field"): r.get_value() for t in tables for r in t.records}
            return values[field[0]] / values[field[1]] if values.get(field[1]) else 0
        values = [r.get_value() for t in tables for r in t.records]
        return values[0] if values else 0

    def _flux(self, measurement, field, start, stop, then):
        """The tables of `measurement`'s `field` (or of each of a pair of fields, a table a
        field) over [start, stop), piped through `then`."""
        if isinstance(field, tuple):
            fields = " or ".join(f'r._field == "{name}"' for name in field)
            group = 'group(columns: ["_field"])'
        else:
            fields, group = f'r._field == "{field}"', "group()"
        flux = (
            f'from(bucket: "{self.s["query_bucket"]}")'
            f' |> range(start: {_rfc(start)}, stop: {_rfc(stop)})'
            f' |> filter(fn: (r) => r._measurement == "{measurement}" and ({fields}))'
            f' |> {group} |> {then}'
        )
        try:
            return self.query_api.query(flux, org=self.s["org"])
        except Exception as exc:
            raise Unavailable("timeseries_unavailable",
                              "The time-series store is not answering; try again shortly.",
                              {"reason": type(exc).__name__})

    def status(self):
        """What /health and the staff API show: InfluxDB's state never fails the service."""
        return {"pending": self.pending(), "write_failures": self.failures,
                "last_error": self.last_error}


def _ratio_points(tables, numerator, denominator):
    """Per window: the numerator field's sum over the denominator field's (windows without
    any of the denominator are left out)."""
    sums = {}
    for table in tables:
        for record in table.records:
            sums.setdefault(record.get_time(), {})[record.values.get("_field")] = record.get_value()
    return [{"time": at.isoformat(), "value": pair[numerator] / pair[denominator]}
            for at, pair in sorted(sums.items())
            if pair.get(denominator) and pair.get(numerator) is not None]


def _rfc(value):
    return value.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TimeSeries(DependencyProvider):
    """One writer (client, flusher thread) per service process; workers get the writer."""

    def setup(self):
        config = self.container.config
        self.engine = make_engine(database_uri(config, self.container.service_name),
                                  pool_size=2, max_overflow=2)
        self.redis = redis_lib.Redis.from_url(config["REDIS_URI"], decode_responses=True,
                                              socket_timeout=2, socket_connect_timeout=2)
        self.writer = TimeSeriesWriter(self.engine, influx_settings(config), self.redis)

    def start(self):
        self.container.spawn_managed_thread(self.writer.run, identifier="influx_flusher")

    def stop(self):
        self.writer.stop()
        self.engine.dispose()
        self.redis.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.writer
