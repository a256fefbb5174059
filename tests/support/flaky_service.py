"""A real nameko service used only by tests: its stream handler fails on purpose.

It consumes `flaky_events` as `flaky_consumer`, counts every attempt in Redis, and raises for
events of type `test.fail`, so a test can watch the kit's retry and dead-letter path for real.
Events of type `test.outage` meet a database that is down (a real psycopg2 connection refused
on a port nobody listens on) for their first OUTAGE_ATTEMPTS tries, then go through. Events of type `test.slow` take SLOW_S to handle.

`handle_batch` does the same for `flaky_batch_events` as a batch handler (`flaky_batch_consumer`,
up to BATCH entries a call): it records each call's size, and the whole call fails if any event
in it is a `test.fail` or meets the outage.
"""
import eventlet
import sqlalchemy as sa

from kit.redis_client import Redis
from kit.streams import stream_handler

STREAM = "flaky_events"
GROUP = "flaky_consumer"
SLOW_S = 3            # six times the test env's claim_idle_ms
OUTAGE_ATTEMPTS = 6   # twice the test env's max_deliveries
BATCH_STREAM = "flaky_batch_events"
BATCH_GROUP = "flaky_batch_consumer"
BATCH = 50
DOWN_DATABASE = "postgresql+psycopg2://nobody@127.0.0.1:9/down"


class FlakyService:
    name = "flaky"

    redis = Redis()

    @stream_handler(STREAM, group=GROUP)
    def handle(self, event):
        attempts = self.redis.incr(f"flaky:attempts:{event['id']}")
        if event["type"] == "test.outage" and attempts <= OUTAGE_ATTEMPTS:
            engine = sa.create_engine(DOWN_DATABASE, connect_args={"connect_timeout": 2})
            try:
                engine.connect()  # raises sqlalchemy.exc.OperationalError
            finally:
                engine.dispose()
        if event["type"] == "test.slow":
            eventlet.sleep(SLOW_S)  # slower than claim_idle_ms, but alive
        if event["type"] == "test.fail":
            raise RuntimeError("failing on purpose")
        self.redis.sadd("flaky:done", event["id"])

    @stream_handler(BATCH_STREAM, group=BATCH_GROUP, batch=BATCH)
    def handle_batch(self, events):
        self.redis.rpush("flaky:batch_sizes", len(events))
        outage = False
        for event in events:
            attempts = self.redis.incr(f"flaky:attempts:{event['id']}")
            outage = outage or (event["type"] == "test.outage" and attempts <= OUTAGE_ATTEMPTS)
        if outage:
            engine = sa.create_engine(DOWN_DATABASE, connect_args={"connect_timeout": 2})
            try:
                engine.connect()  # raises sqlalchemy.exc.OperationalError
            finally:
                engine.dispose()
        if any(event["type"] == "test.fail" for event in events):
            raise RuntimeError("failing on purpose")
        self.redis.sadd("flaky:done", *[event["id"] for event in events])
