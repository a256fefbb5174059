"""kit.demo_clock's rules that need no server: off unless configured, and a Redis that cannot
be read counts as no shift (a demo must never stop the shop). The shift itself is exercised
against the real platform in tests/analytics/test_demo_traffic.py."""
import time
from datetime import datetime, timezone

from kit.demo_clock import EventClock, demo_enabled


def test_the_clock_is_off_unless_the_config_turns_it_on():
    assert not demo_enabled({})
    assert not demo_enabled({"DEMO": {"clock": "false"}})
    assert demo_enabled({"DEMO": {"clock": "true"}}) and demo_enabled({"DEMO": {"clock": True}})
    assert EventClock.from_config({"DEMO": {"clock": "false"}}).client is None


def test_an_unreachable_redis_means_no_shift():
    clock = EventClock.from_config({"DEMO": {"clock": "true"}, "REDIS_URI": "redis://127.0.0.1:1/0"})
    started = time.monotonic()
    assert clock.shift_s() == 0.0
    before = int(time.time() * 1000)
    assert before <= clock.now_ms() <= time.time() * 1000  # no new try: the last one failed
    assert abs((clock.now() - datetime.now(timezone.utc)).total_seconds()) < 1
    # One quick try, never the client's retries with backoff: the caller is writing an event.
    assert time.monotonic() - started < 1
