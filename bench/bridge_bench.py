"""Bridge throughput and lag against raw kombu, measured in one run. Prints figures, asserts nothing.

    .venv/bin/python bench/bridge_bench.py [--count 20000] [--rate 1000] [--seconds 10] [--env test]

(a) raw kombu: publish N persistent messages to a scratch queue, then time consume + ack of each.
(b) bridge, live: with the bridge running, publish N events; time from the first publish until
    the last entry is in its stream (Redis's own entry-id clock). Also (b') backlog: N events
    queued while the bridge is stopped, then its drain rate from the first to the last entry id.
(c) lag: events paced at --rate/s for --seconds; lag = entry seen by a blocking XREAD in another
    thread minus the publish time (also shown: XADD time from the entry id minus publish time).

Runs in a test env (default `test`: vhost aarya_test, Redis db 1) with its own bridge
subprocess, so it never touches dev data; it refuses to start if a bridge already answers on
that env's port, and it removes its streams, seen-markers and queues when done. Other processes
running in the same env (a test session's platform) skew the figures: run it alone.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import requests
from kombu import Connection, Consumer, Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.settings import bridge_settings  # noqa: E402
from kit.config import load_config  # noqa: E402
from kit.envelope import make_envelope  # noqa: E402
from kit.topology import ALL_STREAMS, DEAD_LETTER_STREAM, STREAM_FOR_SOURCE, events_exchange  # noqa: E402

SCRATCH_QUEUE = "bench.scratch"
SOURCES = tuple(STREAM_FOR_SOURCE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"),
                        help="a test env of config/ (never dev); default $AARYA_TEST_ENV or test")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the bridge subprocess is stopped and the env cleaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    config = load_config(args.env)
    settings = bridge_settings(config)
    refuse_dev(settings)
    refuse_busy(settings, args.env)  # before cleaning anything: the env may be in use
    rdb = redis.Redis.from_url(settings.redis_uri)
    with Connection(settings.amqp_uri) as amqp:
        clean(rdb, amqp, settings)
        try:
            raw = raw_consume_ack(amqp, args.count, settings.prefetch)
            print(f"(a) raw kombu consume+ack   {args.count:>6} msgs  {raw:>8,.0f} msg/s")

            with BridgeProcess(settings, args.env) as bridge:
                live, publish_rate, batch = bridge_live(amqp, rdb, bridge, args.count)
                print(f"(b) bridge mirror, live     {args.count:>6} evts  {live:>8,.0f} evt/s"
                      f"   (publish alone {publish_rate:,.0f}/s, mean batch {batch:.0f})"
                      f"   ratio b/a = {live / raw:.2f}")

                bridge.stop()
                clean_streams(rdb)
                publish_events(amqp, make_events(args.count))
                bridge.start()
                drain, batch = bridge_backlog(rdb, bridge, args.count)
                print(f"(b') bridge mirror, backlog {args.count:>6} evts  {drain:>8,.0f} evt/s"
                      f"   (mean batch {batch:.0f})   ratio b'/a = {drain / raw:.2f}")

                seen, xadd, batch = paced_lag(amqp, settings, bridge, args.rate, args.seconds)
                print(f"(c) lag at {args.rate}/s for {args.seconds:g}s ({len(seen)} events, "
                      f"mean batch {batch:.1f})")
                print(f"    publish → XREAD sees it    p50 {pct(seen, .5):6.1f} ms"
                      f"   p99 {pct(seen, .99):6.1f} ms   max {max(seen):6.1f} ms")
                print(f"    publish → XADD (entry id)  p50 {pct(xadd, .5):6.1f} ms"
                      f"   p99 {pct(xadd, .99):6.1f} ms   max {max(xadd):6.1f} ms")
        finally:
            clean(rdb, amqp, settings)


def refuse_busy(settings, env):
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", settings.port)) == 0:
            sys.exit(f"port {settings.port} is taken: a bridge already runs in env {env}")


def refuse_dev(settings):
    dev = bridge_settings(load_config("dev"))
    if settings.redis_uri == dev.redis_uri or settings.amqp_uri == dev.amqp_uri:
        sys.exit("this env shares dev's Redis db or vhost; refusing to run")


# ---- (a) raw kombu ---------------------------------------------------------------------------

def raw_consume_ack(amqp, count, prefetch):
    queue = Queue(SCRATCH_QUEUE, durable=True)
    body = json.dumps(make_envelope("user.created", "users", {"user_id": 1}))
    with amqp.channel() as channel:
        queue(channel).declare()
        channel.queue_purge(SCRATCH_QUEUE)
        producer = amqp.Producer(channel)
        for _ in range(count):
            producer.publish(body, routing_key=SCRATCH_QUEUE, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8")
        while queue(channel).queue_declare(passive=True).message_count < count:
            time.sleep(0.05)

    received = 0

    def on_message(message):
        nonlocal received
        message.ack()
        received += 1

    with amqp.channel() as channel:
        consumer = Consumer(channel, queues=[queue], on_message=on_message,
                            prefetch_count=prefetch)
        started = time.perf_counter()
        with consumer:
            while received < count:
                amqp.drain_events(timeout=5)
        elapsed = time.perf_counter() - started
        channel.queue_delete(SCRATCH_QUEUE)
    return count / elapsed


# ---- (b) bridge throughput -------------------------------------------------------------------

def make_events(count):
    return [make_envelope(f"{SOURCES[n % len(SOURCES)]}.bench", SOURCES[n % len(SOURCES)],
                          {"n": n, "sku": f"SKU-{n:06d}", "qty": 1, "amount_minor": 49900,
                           "currency": "INR"}) for n in range(count)]


def publish_events(amqp, events, on_published=None):
    """Persistent publishes straight on the channel, bodies encoded up front: the publisher
    should cost as little as possible, since it shares the CPUs with the bridge it measures."""
    with amqp.channel() as channel:
        for event, message in _prepared(channel, events):
            if on_published:
                on_published(event["id"], time.time())
            channel.basic_publish(message, exchange=events_exchange(event["source"]),
                                  routing_key=event["type"])


def _prepared(channel, events):
    if isinstance(events, list):  # encode everything before the clock starts
        events = [(e, _message(channel, e)) for e in events]
        yield from events
    else:  # a paced generator: encode as each one comes due
        for event in events:
            yield event, _message(channel, event)


def _message(channel, event):
    return channel.prepare_message(json.dumps(event), content_type="application/json",
                                   content_encoding="utf-8", properties={"delivery_mode": 2})


def total_entries(rdb):
    pipe = rdb.pipeline(transaction=False)
    for stream in ALL_STREAMS:
        pipe.xlen(stream)
    return sum(pipe.execute())


def wait_total(rdb, count, timeout=120):
    deadline = time.monotonic() + timeout
    while total_entries(rdb) < count:
        if time.monotonic() > deadline:
            sys.exit(f"only {total_entries(rdb)} of {count} entries after {timeout}s")
        time.sleep(0.002)


def entry_ms(entry_id):
    return int(entry_id.split(b"-")[0])


def first_last_entry_ms(rdb):
    firsts, lasts = [], []
    for stream in ALL_STREAMS:
        head, tail = rdb.xrange(stream, count=1), rdb.xrevrange(stream, count=1)
        if head:
            firsts.append(entry_ms(head[0][0]))
            lasts.append(entry_ms(tail[0][0]))
    return min(firsts), max(lasts)


def bridge_live(amqp, rdb, bridge, count):
    events = make_events(count)
    before = bridge.batch_stats()
    sent_at = []
    publish_events(amqp, events, on_published=lambda _id, at: sent_at.append(at))
    published = time.time()
    wait_total(rdb, count)
    _, last_ms = first_last_entry_ms(rdb)
    started = sent_at[0]
    return (count / (last_ms / 1000 - started), count / (published - started),
            bridge.mean_batch_since(before))


def bridge_backlog(rdb, bridge, count):
    before = bridge.batch_stats()
    wait_total(rdb, count)
    first_ms, last_ms = first_last_entry_ms(rdb)
    return (count - 1) / max((last_ms - first_ms) / 1000, 1e-3), bridge.mean_batch_since(before)


# ---- (c) lag ---------------------------------------------------------------------------------

def paced_lag(amqp, settings, bridge, rate, seconds):
    count = int(rate * seconds)
    events = make_events(count)
    published_at, seen_at, xadd_at = {}, {}, {}
    reader = StreamTail(settings.redis_uri, seen_at, xadd_at)
    reader.start()
    before = bridge.batch_stats()

    def paced():
        start = time.perf_counter()
        for n, event in enumerate(events):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            yield event

    publish_events(amqp, paced(), on_published=published_at.__setitem__)
    deadline = time.monotonic() + 30
    while len(seen_at) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    reader.stop()
    seen = [(seen_at[i] - published_at[i]) * 1000 for i in published_at if i in seen_at]
    xadd = [xadd_at[i] - published_at[i] * 1000 for i in published_at if i in xadd_at]
    if len(seen) < count:
        print(f"    warning: only {len(seen)} of {count} events were seen")
    return seen, xadd, bridge.mean_batch_since(before)


class StreamTail(threading.Thread):
    """Blocking XREAD over all nine streams, noting when each event id becomes visible."""

    def __init__(self, redis_uri, seen_at, xadd_at):
        super().__init__(daemon=True)
        # Its own client: XREAD BLOCK must not hit redis-py's default 5 s socket timeout.
        self.redis = redis.Redis.from_url(redis_uri, socket_timeout=30)
        self.seen_at, self.xadd_at = seen_at, xadd_at
        self.cursor = {stream: "$" for stream in ALL_STREAMS}
        self.ready = threading.Event()
        self._halt = threading.Event()

    def start(self):
        # Pin "$" to concrete ids first, so nothing published after start() can be skipped.
        for stream in ALL_STREAMS:
            last = self.redis.xrevrange(stream, count=1)
            self.cursor[stream] = last[0][0] if last else "0-0"
        super().start()

    def stop(self):
        self._halt.set()
        self.join(5)

    def run(self):
        while not self._halt.is_set():
            for stream, entries in self.redis.xread(self.cursor, block=200, count=1000) or []:
                now = time.time()
                for entry_id, fields in entries:
                    event_id = fields[b"id"].decode()
                    self.seen_at[event_id] = now
                    self.xadd_at[event_id] = entry_ms(entry_id)
                    self.cursor[stream.decode()] = entry_id


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ---- the bridge under test, and cleanup ------------------------------------------------------

class BridgeProcess:
    def __init__(self, settings, env):
        self.settings = settings
        self.env = env
        self.base = f"http://127.0.0.1:{settings.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="bridge-bench-", suffix=".log", delete=False)
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "bridge", "--env", self.env], cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"bridge exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if requests.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        sys.exit(f"bridge not healthy after 30s; see {self.log.name}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)

    def batch_stats(self):
        values = {}
        for line in requests.get(f"{self.base}/metrics", timeout=5).text.splitlines():
            if line.startswith(("bridge_batch_size_sum ", "bridge_batch_size_count ")):
                name, value = line.split()
                values[name] = float(value)
        return values.get("bridge_batch_size_sum", 0.0), values.get("bridge_batch_size_count", 0.0)

    def mean_batch_since(self, before):
        total, batches = self.batch_stats()
        return (total - before[0]) / max(batches - before[1], 1)


def clean_streams(rdb):
    rdb.delete(*ALL_STREAMS, DEAD_LETTER_STREAM)
    batch = []
    for key in rdb.scan_iter("bridge:seen:*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            rdb.delete(*batch)
            batch = []
    if batch:
        rdb.delete(*batch)


def clean(rdb, amqp, settings):
    clean_streams(rdb)
    with amqp.channel() as channel:
        channel.queue_delete(settings.queue)
        channel.queue_delete(SCRATCH_QUEUE)


if __name__ == "__main__":
    main()
