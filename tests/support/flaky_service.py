"""A real nameko service used only by tests: its stream handler fails on purpose.

It consumes `flaky_events` as `flaky_consumer`, counts every attempt in Redis, and raises for
events of type `test.fail`, so a test can watch the kit's retry and dead-letter path for real.
"""
from kit.redis_client import Redis
from kit.streams import stream_handler

STREAM = "flaky_events"
GROUP = "flaky_consumer"


class FlakyService:
    name = "flaky"

    redis = Redis()

    @stream_handler(STREAM, group=GROUP)
    def handle(self, event):
        self.redis.incr(f"flaky:attempts:{event['id']}")
        if event["type"] == "test.fail":
            raise RuntimeError("failing on purpose")
        self.redis.sadd("flaky:done", event["id"])
