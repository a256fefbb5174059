"""The hub: this process's connected clients, the keys they listen on, and their buffers.

Every WebSocket or SSE connection is a Subscriber with a bounded buffer
(GATEWAY.client_buffer messages). It starts with a queue its own greenlet drains (the
connection's handshake and the SSE replay run through it), and once live it is `attach`ed to an
Outlet (outlet.py): from then on `dispatch` pushes each event's shared bytes onto the outlets it
is for and `flush` writes them to every socket it touched with one non-blocking send each, from
the tail's greenlet — no greenlet hop per client. Either way the hub never waits: a client
whose buffer is full (queue full, or outlet backlog past the buffer) is dropped on the spot (WS
close 1013 "slow_consumer", SSE connection ended) and the others never wait for it. A dropped
client's writer stops at its next message; if it is stuck writing to a peer that does not
read, the socket is cut after GATEWAY.drop_grace_s.

Everything here runs in one process's gevent hub and never yields, so a subscriber added
between two events sees exactly the events dispatched after it was added — what the SSE
replay relies on.
"""
import logging
import os
import uuid

import gevent
from gevent.queue import Empty, Full, Queue

from gateway import metrics

log = logging.getLogger(__name__)

# WebSocket close codes (RFC 6455 §7.4.1) the real-time layer uses.
GOING_AWAY = 1001
POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013

SLOW_CONSUMER = (TRY_AGAIN_LATER, "slow_consumer")
SHUTTING_DOWN = (GOING_AWAY, "going_away")

WAKE = object()  # put in a queue to make its writer look at `dropped` / `client_gone`


def drain(queue, limit=64):
    """What else is waiting in a queue right now (up to `limit`), without blocking."""
    items = []
    while len(items) < limit:
        try:
            items.append(queue.get_nowait())
        except Empty:
            break
    return items


def new_connection_id():
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


class Subscriber:
    """One connected client."""

    __slots__ = ("kind", "conn_id", "user_id", "role", "session_id", "expires_at", "queue",
                 "buffer", "outlet", "keys", "dropped", "client_gone", "finished", "abort",
                 "__weakref__")

    def __init__(self, kind, buffer_size, user_id=None, role=None, session_id=None,
                 expires_at=None):
        self.kind = kind                  # "ws:orders", "sse:stock-alerts", ...
        self.conn_id = new_connection_id()
        self.user_id = user_id
        self.role = role
        self.session_id = session_id
        self.expires_at = expires_at      # the access token's exp (WS only)
        self.queue = Queue(maxsize=buffer_size)  # until attached to an outlet (then None)
        self.buffer = buffer_size
        self.outlet = None
        self.keys = set()
        self.dropped = None               # (close code, reason) once the hub let it go
        self.client_gone = False          # the peer closed (WS reader saw it)
        self.finished = False             # the connection's handler has returned
        self.abort = None                 # cuts the socket (set by the connection)

    def wake(self):
        """Make its writer look at `dropped` / `client_gone` now."""
        if self.outlet is not None:
            self.outlet.wake.set()
            return
        try:
            self.queue.put_nowait(WAKE)
        except Full:
            pass  # its writer is busy and checks both before every message

    def __repr__(self):
        return f"<Subscriber {self.kind} {self.conn_id} user={self.user_id}>"


class Hub:
    def __init__(self, drop_grace_s=5.0):
        self.drop_grace_s = drop_grace_s
        self.subscribers = set()
        self._by_key = {}
        self._dirty = set()   # outlets pushed to since the last flush
        self.dropped_slow = 0

    # ---- membership --------------------------------------------------------------------------

    def add(self, sub, keys=()):
        if sub not in self.subscribers:
            metrics.client_opened(sub.kind)
        self.subscribers.add(sub)
        for key in keys:
            self.subscribe(sub, key)

    def subscribe(self, sub, key):
        if sub.dropped is None:
            self._by_key.setdefault(key, set()).add(sub)
            sub.keys.add(key)

    def unsubscribe(self, sub, key):
        sub.keys.discard(key)
        members = self._by_key.get(key)
        if members is not None:
            members.discard(sub)
            if not members:
                del self._by_key[key]

    def remove(self, sub):
        for key in list(sub.keys):
            self.unsubscribe(sub, key)
        if sub in self.subscribers:
            metrics.client_closed(sub.kind)
        self.subscribers.discard(sub)

    def listeners(self, key):
        return len(self._by_key.get(key, ()))

    # ---- delivery ----------------------------------------------------------------------------

    def attach(self, sub, outlet, keep=None):
        """Switch a subscriber from its queue to `outlet`: what queued up meanwhile (that
        `keep(item)` accepts) goes first, then every later message straight to the socket."""
        if sub.dropped is not None:
            return
        for item in drain(sub.queue, limit=sub.buffer + 1):
            if item is not WAKE and (keep is None or keep(item)):
                outlet.push(item)
        sub.outlet, sub.queue = outlet, None
        outlet.flush()

    def deliver(self, sub, item):
        """Queue one message for one client; a full buffer drops the client. Never blocks."""
        if sub.dropped is not None:
            return False
        outlet = sub.outlet
        if outlet is not None:
            outlet.push(item)
            if outlet.backlog > sub.buffer:
                self.drop(sub, *SLOW_CONSUMER)
                return False
            outlet.flush()
            return True
        try:
            sub.queue.put_nowait(item)
            return True
        except Full:
            self.drop(sub, *SLOW_CONSUMER)
            return False

    def dispatch(self, routed):
        """Deliver [(key, message)] from one event; a client listening on several of its keys
        gets it once."""
        overflowing = []
        dirty = self._dirty
        seen = set() if len(routed) > 1 else None
        for key, message in routed:
            members = self._by_key.get(key)
            if not members:
                continue
            for sub in members:
                if seen is not None:
                    if sub in seen:
                        continue
                    seen.add(sub)
                outlet = sub.outlet
                if outlet is not None:
                    outlet.push(message)
                    if outlet.backlog > sub.buffer:
                        overflowing.append(sub)
                    else:
                        dirty.add(outlet)
                    continue
                try:
                    sub.queue.put_nowait(message)
                except Full:
                    overflowing.append(sub)  # dropped after the loop: dropping edits `members`
        for sub in overflowing:
            self.drop(sub, *SLOW_CONSUMER)

    def flush(self):
        """Write what `dispatch` pushed since the last flush: one non-blocking send per socket."""
        dirty, self._dirty = self._dirty, set()
        for outlet in dirty:
            outlet.flush()

    def publish(self, key, item, exclude_conn=None):
        """Deliver one message to everyone on `key` (but the connection `exclude_conn`)."""
        for sub in list(self._by_key.get(key, ())):
            if sub.conn_id != exclude_conn:
                self.deliver(sub, item)

    # ---- letting go --------------------------------------------------------------------------

    def drop(self, sub, code, reason):
        """Stop delivering to `sub` and make its connection close with (code, reason)."""
        if sub.dropped is not None:
            return
        sub.dropped = (code, reason)
        self.remove(sub)
        if (code, reason) == SLOW_CONSUMER:
            self.dropped_slow += 1
            log.info("dropped %r: its buffer of %d messages was full", sub, sub.buffer)
        if sub.outlet is not None:
            sub.outlet.abandon()
            self._dirty.discard(sub.outlet)
        else:
            sub.wake()
        if sub.abort is not None:
            gevent.spawn_later(self.drop_grace_s, self._cut, sub)

    @staticmethod
    def _cut(sub):
        if not sub.finished and sub.abort is not None:
            log.info("cutting %r: its last write did not finish", sub)
            try:
                sub.abort()
            except OSError:
                pass

    def close_all(self, code, reason):
        for sub in list(self.subscribers):
            self.drop(sub, code, reason)

    def stats(self):
        kinds = {}
        for sub in self.subscribers:
            kinds[sub.kind] = kinds.get(sub.kind, 0) + 1
        return {"connections": len(self.subscribers), "by_kind": kinds,
                "dropped_slow": self.dropped_slow}
