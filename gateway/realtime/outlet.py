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
    __slots__ = ("sock", "framing", "lock", "pending", "pending_count", "rest", "held",
                 "failed", "wake")

    def __init__(self, sock, framing, lock=None):
        self.sock = sock            # a gevent socket
        self.framing = framing      # messages.WS / SSE_CHUNKED / SSE
        self.lock = lock            # a Semaphore other writers of this socket take, or None
        self.pending = []           # frames not yet handed to the kernel, oldest first
        self.pending_count = 0
        self.rest = b""             # the unsent end of a write the kernel took part of
        self.held = False           # we hold `lock` (a write is half done, or drain() runs)
        self.failed = False         # the socket refused a write (the peer is gone)
        self.wake = Event()         # the connection's greenlet has something to do

    @property
    def backlog(self):
        """Messages waiting for the socket (what is being written counts no more, as with
        a queue its writer took them from)."""
        return self.pending_count

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
        data = self._take()
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
        self.rest = data[sent:]
        self.wake.set()

    def drain(self):
        """In the connection's greenlet: write the rest of a half-done write and everything
        pending, blocking as long as it takes (the hub cuts the socket of a dropped client that
        never reads, hub.Hub._cut)."""
        try:
            while (self.rest or self.pending) and not self.failed:
                if not self.held:
                    if self.lock is not None:
                        self.lock.acquire()
                    self.held = True
                if self.rest:
                    data, self.rest = self.rest, b""
                else:
                    data = self._take()
                try:
                    self.sock.sendall(data)
                except OSError:
                    self.failed = True
                    raise
        finally:
            self._release()

    def abandon(self):
        """The client was dropped: forget what it will never get, but the rest of a write
        already begun (the connection must end on a frame boundary)."""
        self.pending, self.pending_count = [], 0
        self.wake.set()

    def wait(self, timeout):
        """Sleep in the connection's greenlet until the hub has work for it (or `timeout`)."""
        woke = self.wake.wait(timeout)
        self.wake.clear()
        return woke

    def _take(self):
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending, self.pending_count = [], 0
        return data

    def _release(self):
        if self.held:
            self.held = False
            if self.lock is not None:
                self.lock.release()
