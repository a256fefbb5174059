"""Prometheus metrics of the bridge, served on the side door's /metrics."""
from prometheus_client import Counter, Gauge, Histogram

from kit.process_info import PROCESS_INFO  # noqa: F401  (one definition for every process)

EVENTS_MIRRORED = Counter(
    "bridge_events_mirrored_total", "Events written to their domain stream", ["stream"])
DUPLICATES_SKIPPED = Counter(
    "bridge_duplicates_skipped_total", "Redelivered or republished messages already mirrored")
DEAD_LETTERED = Counter(
    "bridge_dead_lettered_total", "Messages with bad JSON or a bad envelope sent to dead_letter")
BATCH_SIZE = Histogram(
    "bridge_batch_size", "Messages written and acked per batch",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000))
FLUSH_SECONDS = Histogram(
    "bridge_flush_seconds", "Time to write one batch to Redis and ack it",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
EVENT_LAG = Histogram(
    "bridge_event_lag_seconds", "Entry written minus the event's occurred_at",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
RECONNECTS = Counter(
    "bridge_reconnects_total", "Times the consumer loop restarted after losing AMQP or Redis")
AMQP_UP = Gauge("bridge_amqp_connected", "1 while the bridge is consuming from RabbitMQ")
REDIS_UP = Gauge("bridge_redis_connected", "1 while the last Redis call succeeded")
DEAD_LETTERS = Gauge("aarya_dead_letters", "Entries in the dead_letter stream (read at scrape)")
STREAM_LENGTH = Gauge("aarya_stream_length", "Entries in each domain stream (read at scrape)",
                      ["stream"])
