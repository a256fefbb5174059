"""The gateway's real-time layer: WebSocket and SSE clients fed from the Redis streams.

Per gateway worker process (all made by `init_app`, started after gunicorn forks):

    reader    the worker's one stream-reading greenlet (tail.py): XREAD BLOCK for every
              follower — the tail (the nine domain streams, from their ends) and the response
              cache's invalidation (catalog_cache.py, product_events from its stored position)
    hub       connected clients by key, each with a bounded buffer; slow ones dropped (hub.py);
              live clients are written to directly from the tail's greenlet (outlet.py)
    routing   which keys an event goes to (routing.py); messages.py renders it once for all
    presence  connection counts per user in Redis → users.set_presence (presence.py)
    chat      ChatStore (RPC to notifications); typing/read signals over pub/sub (chat.py)
    analytics live per-minute counts for /ws/analytics (analytics.py)
    housekeeping, every second: analytics pushes, a drain on shutdown; every heartbeat:
              presence refresh and sweep, expired or signed-out sockets closed

Connections: websocket.py (auth, reader/writer) with channels.py (each /ws/<channel>'s
actions), sse.py with replay.py (Last-Event-ID). Routes: gateway/routes/realtime.py.
Settings: settings.py (GATEWAY.client_buffer, heartbeat_s, ...).
"""
import logging
import os
import time

import gevent
import redis
from flask import current_app

from gateway import redis_client as process_redis
from gateway import rpc as rpc_module
from gateway.realtime import routing
from gateway.realtime.analytics import LiveCounts
from gateway.realtime.chat import ChatSignals, RpcChatStore
from gateway.realtime.hub import POLICY_VIOLATION, SHUTTING_DOWN, Hub
from gateway.realtime.messages import Control
from gateway.realtime.presence import Presence
from gateway.realtime.settings import realtime_settings
from gateway.realtime.tail import StreamReader, StreamTail
from kit.envelope import from_stream_fields
from kit.tokens import revoked_session_key
from kit.topology import ALL_STREAMS

EXTENSION = "aarya.realtime"
log = logging.getLogger(__name__)


class Realtime:
    """This process's real-time machinery; one per app, started once per process."""

    def __init__(self, app, config):
        self.app = app
        self.settings = s = realtime_settings(config)
        self.hub = Hub(s.drop_grace_s)
        self.analytics = LiveCounts()
        # The tail yields every quarter buffer: a client keeping up never sees its buffer fill.
        self.reader = StreamReader(s.redis_uri, block_ms=s.tail_block_ms, batch=s.tail_batch)
        self.tail = self.reader.follow(StreamTail(ALL_STREAMS, self._on_entry,
                                                  on_flush=self.hub.flush,
                                                  yield_every=s.client_buffer // 4))
        self.presence = Presence(self.redis, self._users, s.presence_ttl_s)
        self.chat = ChatSignals(self.redis, s.redis_uri, s.chat_signals_channel, self.hub)
        self._pid = None
        self._is_serving = None
        self._housekeeper = None
        self.draining = False

    # ---- shared resources of the app ----------------------------------------------------------

    @property
    def rpc_pool(self):
        return self.app.extensions[rpc_module.EXTENSION]

    def redis(self):
        """This process's short-timeout client (gateway.redis_client)."""
        return self.app.extensions[process_redis.EXTENSION].client()

    def _users(self, correlation_id):
        return rpc_module.ServiceCaller(self.rpc_pool, "users", correlation_id)

    def chat_store(self, session):
        return RpcChatStore(lambda: session.rpc(self.settings.chat_service))

    # ---- life of the process ------------------------------------------------------------------

    def start(self, is_serving=None):
        """Start the tail, the chat listener and housekeeping (once per process). `is_serving`
        (gunicorn's worker.alive) lets connections close with 1001 as soon as the worker stops."""
        if is_serving is not None:
            self._is_serving = is_serving
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self.reader.start()
        self.chat.start()
        self._housekeeper = gevent.spawn(self._housekeep)
        self._housekeeper.name = "realtime-housekeeping"

    def stop(self):
        if self._pid != os.getpid():
            return
        self.draining = True
        self.hub.close_all(*SHUTTING_DOWN)
        self.reader.stop()
        self.chat.stop()
        if self._housekeeper is not None:
            self._housekeeper.kill(block=False)

    # ---- every stream entry (in the tail greenlet; must not yield) ---------------------------

    def _on_entry(self, stream, entry_id, fields):
        try:
            event = from_stream_fields(fields)
        except (KeyError, ValueError):
            log.warning("skipping malformed entry %s of %s", entry_id, stream)
            return
        self.analytics.count(entry_id, event["type"])
        routed = routing.deliveries(stream, entry_id, event)
        if routed:
            self.hub.dispatch(routed)

    # ---- housekeeping -------------------------------------------------------------------------

    def _housekeep(self):
        next_beat = time.monotonic() + self.settings.heartbeat_s
        pushed_version, pushed_at = -1, 0.0
        while True:
            gevent.sleep(1.0)
            try:
                if not self.draining and self._is_serving is not None and not self._is_serving():
                    self.draining = True
                    log.info("worker stopping: closing %d real-time connections",
                             len(self.hub.subscribers))
                    self.hub.close_all(*SHUTTING_DOWN)
                now = time.monotonic()
                if self.hub.listeners(routing.ANALYTICS):
                    self.analytics.refresh(self.redis())
                if self.hub.listeners(routing.ANALYTICS) and (
                        self.analytics.version != pushed_version or now - pushed_at >= 30):
                    pushed_version, pushed_at = self.analytics.version, now
                    self.hub.publish(routing.ANALYTICS, Control(self.analytics.snapshot()))
                if now >= next_beat:
                    next_beat = now + self.settings.heartbeat_s
                    self._close_lapsed_sessions()
                    self.presence.refresh()
                    self.presence.sweep()
            except redis.RedisError as exc:
                log.warning("real-time housekeeping: Redis unavailable: %s", exc)
            except Exception:
                log.exception("real-time housekeeping failed")

    def _close_lapsed_sessions(self):
        """Sockets whose token expired, or whose session was signed out, close with 1008."""
        now = time.time()
        signed_in = [sub for sub in self.hub.subscribers if sub.session_id is not None]
        for sub in signed_in:
            if sub.expires_at is not None and sub.expires_at <= now:
                self.hub.drop(sub, POLICY_VIOLATION, "token_expired")
        sessions = sorted({sub.session_id for sub in signed_in if sub.dropped is None})
        if not sessions:
            return
        pipe = self.redis().pipeline(transaction=False)
        for session_id in sessions:
            pipe.exists(revoked_session_key(session_id))
        revoked = {sid for sid, gone in zip(sessions, pipe.execute()) if gone}
        for sub in signed_in:
            if sub.session_id in revoked:
                self.hub.drop(sub, POLICY_VIOLATION, "session_revoked")


def init_app(app, config):
    rt = Realtime(app, config)
    app.extensions[EXTENSION] = rt
    # flask-sock passes these to simple-websocket: protocol pings keep idle sockets alive
    # through proxies, and a client that stops answering them is closed.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {
        "ping_interval": rt.settings.heartbeat_s,
        "max_message_size": rt.settings.ws_max_message_bytes,
    })
    return rt


def realtime():
    """The current app's Realtime, started in this process if it was not yet."""
    rt = current_app.extensions[EXTENSION]
    rt.start()
    return rt
