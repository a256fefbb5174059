"""An Outlet: one client's socket as the hub writes to it, without a greenlet hop per client.

The hub pushes each message's bytes (encoded once per framing, messages.py) onto the outlets
of the clients it is for, then `flush()`es every outlet it touched: one non-blocking `send`
each, straight from the tail's greenlet. A client whose kernel buffer takes the bytes — nearly
all of them — costs one syscall per batch of events and no context switch. Only what the
kernel does not take (a partial write, or a socket another writer holds) wakes the
connection's own greenlet, which finishes it with a blocking `drain()`.

The bytes of a frame are never interleaved with another writer's: a partial write keeps the
socket's write lock (simple-websocket's pings and close frames take the same one, see
websocket.FrameSafeSocket) until `drain()` has sent the rest. `backlog` counts the messages
not yet fully written; past the client's buffer the hub drops the client (hub.py).
"""
from gevent.event import Event


class Outlet:
    __slots__ = ("sock", "framing", "lock", "pending", "pending_count", "in_flight", "held",
                 "partial", "failed", "wake")

    def __init__(self, sock, framing, lock=None):
        self.sock = sock            # a gevent socket
        self.framing = framing      # messages.WS / SSE_CHUNKED / SSE
        self.lock = lock            # a Semaphore other writers of this socket take, or None
        self.pending = []           # bytes not yet handed to the kernel, oldest first
        self.pending_count = 0      # messages they hold
        self.in_flight = 0          # messages in a blocking drain() right now
        self.held = False           # we hold `lock`: a frame is half written, or drain() runs
        self.partial = False        # pending[0] is the rest of a half-written write
        self.failed = False         # the socket refused a write (the peer is gone)
        self.wake = Event()         # the connection's greenlet has something to do

    @property
    def backlog(self):
        return self.pending_count + self.in_flight

    def push(self, message):
        """Queue one message's bytes; no I/O (call `flush()` after a batch)."""
        self.pending.append(message.frame(self.framing))
        self.pending_count += 1

    def flush(self):
        """Hand what is pending to the kernel without blocking. What it does not take, the
        connection's greenlet finishes (`wake` is set)."""
        if not self.pending or self.held or self.failed:
            return
        if self.lock is not None and not self.lock.acquire(blocking=False):
            self.wake.set()  # another writer is mid-frame: drain() waits for it
            return
        self.held = True
        data, count = self._take()
        try:
            sent = self.sock.send(data, 0, timeout=0.0)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._release()
            self.failed = True
            self.wake.set()
            return
        if sent == len(data):
            self._release()
            return
        # The kernel took part of it: keep the lock so nobody writes into the middle of a frame.
        self.pending.insert(0, data[sent:])
        self.pending_count += count
        self.partial = True
        self.wake.set()

    def drain(self):
        """In the connection's greenlet: write everything pending, blocking as long as it takes
        (the hub cuts the socket of a dropped client that never reads, hub.Hub._cut)."""
        try:
            while self.pending and not self.failed:
                if not self.held:
                    if self.lock is not None:
                        self.lock.acquire()
                    self.held = True
                data, count = self._take()
                self.in_flight = count
                try:
                    self.sock.sendall(data)
                except OSError:
                    self.failed = True
                    raise
                finally:
                    self.in_flight = 0
                self.partial = False
        finally:
            self._release()

    def abandon(self):
        """The client was dropped: forget what it will never get, but the rest of a frame
        already half written (the connection must end on a frame boundary)."""
        keep = self.pending[:1] if self.partial else []
        self.pending, self.pending_count = keep, len(keep)
        self.wake.set()

    def wait(self, timeout):
        """Sleep in the connection's greenlet until the hub has work for it (or `timeout`)."""
        woke = self.wake.wait(timeout)
        self.wake.clear()
        return woke

    def _take(self):
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        count = self.pending_count
        self.pending, self.pending_count = [], 0
        self.partial = False
        return data, count

    def _release(self):
        if self.held:
            self.held = False
            if self.lock is not None:
                self.lock.release()

