"""The one reconnect loop, and its bounded sibling.

Every daemon loop that talks to a server which may go away (outbox relays, the bridge, stream
tails, the InfluxDB flusher, the search index setup) runs its work through `run_forever`: call
a step, and when it raises wait a capped exponential delay before the next call; a step that
returns starts the delays over. Work that should give up after a few tries (the gateway telling
users about presence) goes through `call_with_retries`, with the same delays. Keeping it in one
place keeps the outage behaviour (how fast we come back, how loudly we log) the same everywhere,
and tested once.
"""
import logging
import time

log = logging.getLogger(__name__)


def delay_after(failures, start, cap, factor=2.0):
    """The capped exponential delay after the `failures`-th failure in a row: start,
    start·factor, … up to cap. Retries scheduled for later (a notification's next attempt, the
    sandbox's webhook redelivery) use it too, so every retry in the shop grows alike."""
    return min(start * factor ** max(failures - 1, 0), cap)


class Backoff:
    """Capped exponential delays: start, start·factor, … up to cap; `reset()` after a success."""

    def __init__(self, start=0.1, cap=5.0, factor=2.0):
        if start <= 0 or cap < start or factor < 1:
            raise ValueError("backoff needs 0 < start <= cap and factor >= 1")
        self.start, self.cap, self.factor = start, cap, factor
        self.failures = 0

    def failed(self):
        """Count a failure and return how long to wait before the next try."""
        self.failures += 1
        return delay_after(self.failures, self.start, self.cap, self.factor)

    def reset(self):
        self.failures = 0


def run_forever(step, *, name, stopped, sleep=time.sleep, start=0.1, cap=5.0,
                retry_on=(Exception,), on_error=None, quiet=()):
    """Call `step()` until `stopped()` is true.

    - `step` raising one of `retry_on` → `on_error(exc)` (if given), then `sleep(delay)`.
      `on_error` returning True means the failed step had been healthy for a while (a session
      that got as far as consuming): the delays start over instead of growing.
    - Exceptions in `quiet` are expected outages: logged without a traceback.
    - `sleep` is the caller's: `gevent.sleep`, `eventlet.sleep`, or an Event's `wait` so that
      a stop request cuts the wait short.
    """
    backoff = Backoff(start, cap)
    while not stopped():
        try:
            step()
        except retry_on as exc:
            if on_error is not None and on_error(exc):
                backoff.reset()
            if stopped():
                break
            delay = backoff.failed()
            log.warning("%s failed (%s: %s); retrying in %.2fs", name, type(exc).__name__, exc,
                        delay, exc_info=not isinstance(exc, quiet) and backoff.failures == 1)
            sleep(delay)
        else:
            backoff.reset()


def call_with_retries(step, *, name, attempts, sleep=time.sleep, start=0.1, cap=5.0,
                      retry_on=(Exception,), backoff=None):
    """Return `step()`; when it raises one of `retry_on`, wait the next capped exponential delay
    and call it again, `attempts` failures at the most (the last one is raised).

    `backoff` (a Backoff) lets several calls share one count of failures; it is not reset by a
    success."""
    backoff = backoff or Backoff(start, cap)
    while True:
        try:
            return step()
        except retry_on as exc:
            delay = backoff.failed()
            if backoff.failures >= attempts:
                raise
            log.info("%s failed (%s: %s); retrying in %.2fs", name, type(exc).__name__, exc, delay)
            sleep(delay)
