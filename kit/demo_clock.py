"""The time the platform stamps on its events, which a demo may move back by whole days.

`services.analytics.traffic` gives a fresh dashboard a few days of history through the real
services: it sets a shift (say -2 days) in Redis, drives one simulated day of shoppers through
the gateway, waits for the platform to settle, moves to the next day and at the end removes the
shift. Every outbox envelope (kit.outbox) and the cart's idle clock read `EventClock`, so a
whole saga — order.created, payment, order.paid, the analytics sale — lands on the simulated day,
and the consumers bucket it there as they would any event.

Off unless config `DEMO.clock` is true (dev and test; never in a production config): then the
clock is datetime.now. On, each process reads the shift at most every `REFRESH_S`, and a Redis
that cannot be read counts as no shift (a demo must never stop the shop). What the shift does
not move: database defaults (orders_db's created_at is the real time), token expiry, rate
limits, TTLs — only the business time of events.
"""
import time
from datetime import datetime, timedelta, timezone

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

SHIFT_KEY = "demo:clock-shift-s"
REFRESH_S = 0.5
UNREADABLE_PAUSE_S = 10.0  # after a failed read, no shift and no new try for this long


def iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def demo_enabled(config):
    return str((config.get("DEMO") or {}).get("clock", "false")).lower() in ("1", "true", "yes")


class EventClock:
    """utc now, plus the demo shift when one is set (`client`: a Redis client, or None: off)."""

    def __init__(self, client=None):
        self.client = client
        self._shift, self._read_at = 0.0, float("-inf")

    @classmethod
    def from_config(cls, config):
        if not demo_enabled(config):
            return cls()
        # One quick try per read, never the client's retries: the caller is writing an event.
        return cls(redis.Redis.from_url(config["REDIS_URI"], socket_timeout=0.2,
                                        socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0),
                                        retry_on_error=[]))

    def shift_s(self):
        if self.client is None:
            return 0.0
        mono = time.monotonic()
        if mono - self._read_at >= REFRESH_S:
            self._read_at = mono
            try:
                raw = self.client.get(SHIFT_KEY)
                self._shift = float(raw) if raw else 0.0
            except (redis.RedisError, ValueError):
                self._shift = 0.0
                self._read_at = mono + UNREADABLE_PAUSE_S
        return self._shift

    def now(self):
        return datetime.now(timezone.utc) + timedelta(seconds=self.shift_s())

    def now_iso(self):
        return iso(self.now())

    def now_ms(self):
        return int((time.time() + self.shift_s()) * 1000)


def set_shift(client, seconds):
    """Move every process's event clock by `seconds` (negative: into the past); 0 removes it."""
    if seconds:
        client.set(SHIFT_KEY, repr(float(seconds)))
    else:
        client.delete(SHIFT_KEY)
    time.sleep(2 * REFRESH_S)  # every process has read it by now
