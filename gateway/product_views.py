"""Product views, recorded off the request path: a product page never waits for its view.

    product_views.record(product_id, user_id, session_id)   # returns at once

Each worker process keeps a bounded queue and one sender greenlet with an RPC proxy of its own,
never one of the request pool's (a flood of views must not take proxies from shoppers). The
sender takes up to BATCH views at a time, sends them all with nameko's `call_async` on its one
proxy, then collects the replies, so products works on a batch in parallel.

Every view forwarded is a database write in products (history row, outbox event), while a
cached page read costs no RPC at all; so the cache does not turn into a write amplifier:
- a viewer (user, else guest session, else client address) re-opening the same product
  within REPEAT_VIEW_S counts once — a reload is not a new view. Each worker remembers its
  recent viewers (cheap, on the request path); the sender then claims each view in Redis
  (`views:recent:{product_id}:{viewer}`, SET NX EX, one pipeline per batch) so that workers
  and gateway replicas agree;
- each worker forwards at most GATEWAY.views_per_second (default 100) views a second;
- when products is slower than that, the queue fills and further views are dropped.
Drops are counted and logged: views feed trending and analytics, and a lost view costs less
than a slow page or a products service too busy to take an order.
"""
import logging
import os
import queue
import threading
import time
from collections import OrderedDict

import redis
from flask import current_app

from gateway import ratelimit
from gateway.correlation import current_correlation_id
from gateway.rpc import PooledProxy, came_back_as_reply

log = logging.getLogger(__name__)

EXTENSION = "aarya.product_views"
QUEUE_SIZE = 2_000
BATCH = 50
REPEAT_VIEW_S = 10
RECENT_VIEWERS = 50_000      # (product, viewer) pairs remembered for REPEAT_VIEW_S, per worker
DEFAULT_VIEWS_PER_S = 100


def recent_view_key(product_id, viewer):
    return f"views:recent:{product_id}:{viewer}"


class ViewRecorder:
    def __init__(self, nameko_config, timeout_s, views_per_s=DEFAULT_VIEWS_PER_S,
                 queue_size=QUEUE_SIZE, batch=BATCH):
        self.nameko_config = nameko_config
        self.redis_uri = nameko_config["REDIS_URI"]
        self.timeout_s = timeout_s
        self.views_per_s = float(views_per_s)
        self.queue_size = queue_size
        self.batch = batch
        self._pid = None
        self._lock = threading.Lock()

    def _started(self):
        # The sender starts on first use in each worker process (after gunicorn forked).
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._queue = queue.Queue(self.queue_size)
                    self._proxy = None
                    self._redis = redis.Redis.from_url(self.redis_uri, decode_responses=True,
                                                       socket_timeout=2,
                                                       socket_connect_timeout=2)
                    self._recent = OrderedDict()
                    self._tokens, self._refilled = self.views_per_s, time.monotonic()
                    self.sent = self.failed = self.dropped = self.repeats = 0
                    threading.Thread(target=self._run, name="product-view-sender",
                                     daemon=True).start()
                    self._pid = os.getpid()

    def record(self, product_id, user_id=None, session_id=None, viewer=None,
               correlation_id=None):
        """Queue a view; `viewer` (who, for telling a reload from a new view) defaults to the
        user or the session."""
        self._started()
        now = time.monotonic()
        viewer = viewer or (f"u:{user_id}" if user_id else f"s:{session_id}")
        if self._is_repeat((product_id, viewer), now):
            self.repeats += 1
            return
        if not self._take_token(now):
            return self._drop("over views_per_second")
        try:
            self._queue.put_nowait((product_id, user_id, session_id, viewer, correlation_id))
        except queue.Full:
            self._drop("products is not keeping up")

    def _is_repeat(self, key, now):
        seen = self._recent.get(key)
        if seen is not None and now - seen < REPEAT_VIEW_S:
            return True
        self._recent[key] = now
        self._recent.move_to_end(key)
        while self._recent and (len(self._recent) > RECENT_VIEWERS or
                                now - next(iter(self._recent.values())) >= REPEAT_VIEW_S):
            self._recent.popitem(last=False)
        return False

    def _take_token(self, now):
        self._tokens = min(self.views_per_s,
                           self._tokens + (now - self._refilled) * self.views_per_s)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _drop(self, why):
        self.dropped += 1
        if self.dropped % 1000 == 1:
            log.warning("product views dropped: %d so far (%s)", self.dropped, why)

    def _run(self):
        while True:
            views = [self._queue.get()]
            while len(views) < self.batch:
                try:
                    views.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._send(views)
            except Exception as exc:  # the sender must outlive any one batch
                self.failed += len(views)
                log.warning("up to %d product views not recorded: %s: %s", len(views),
                            type(exc).__name__, exc)

    def _first_in_window(self, views):
        """The views no worker has forwarded for the same viewer within REPEAT_VIEW_S."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            for product_id, _, _, viewer, _ in views:
                pipe.set(recent_view_key(product_id, viewer), 1, nx=True, ex=REPEAT_VIEW_S)
            claimed = pipe.execute()
        except redis.RedisError:
            return views  # better a reload counted twice than a view lost
        self.repeats += claimed.count(None)
        return [view for view, won in zip(views, claimed) if won]

    def _send(self, views):
        views = self._first_in_window(views)
        if not views:
            return
        if self._proxy is None:
            self._proxy = PooledProxy(self.nameko_config, self.timeout_s)
        proxy = self._proxy
        try:
            replies = []
            for product_id, user_id, session_id, _, correlation_id in views:
                proxy.context.clear()
                proxy.context["correlation_id"] = correlation_id or ""
                replies.append(proxy.cluster["products"].record_view.call_async(
                    product_id, user_id=user_id, session_id=session_id))
            for reply in replies:
                try:
                    reply.result()
                    self.sent += 1
                except Exception as exc:
                    if not came_back_as_reply(exc):
                        raise
                    self.failed += 1  # e.g. the product was deactivated a moment ago
        except Exception:
            # A broken or timed-out proxy may still receive late replies: never reuse it.
            self._proxy = None
            proxy.close()
            raise


def init_app(app, config):
    gateway = config["GATEWAY"]
    app.extensions[EXTENSION] = ViewRecorder(
        config, float(gateway["rpc_timeout_s"]),
        views_per_s=gateway.get("views_per_second", DEFAULT_VIEWS_PER_S))


def record(product_id, user_id=None, session_id=None):
    """Queue a view of a product page (with the request's correlation id); a signed-out
    viewer without a cart session is told apart from others by their address."""
    viewer = None if user_id or session_id else f"ip:{ratelimit.client_ip()}"  # else u:/s:
    current_app.extensions[EXTENSION].record(product_id, user_id, session_id, viewer,
                                             current_correlation_id())
