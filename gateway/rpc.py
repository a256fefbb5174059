"""RPC from the gateway to nameko services through a pool of standalone ClusterRpcProxies.

A standalone proxy serves one call at a time and costs 10–20 ms to open (STACK-FACTS), so each
worker process keeps up to GATEWAY.rpc_pool_size of them, opened lazily after gunicorn forks:
a proxy is checked out for exactly one call and returned. A proxy whose call failed in transport
(timeout, broken connection, a killed greenlet) may still receive a late reply, so it is closed
and a fresh one takes its place on demand.

The correlation id reaches services as nameko context data: ClusterRpcProxy keeps a reference to
the `context_data` dict it was given, so rewriting that dict before each call changes the
`nameko.correlation_id` header of that call.

    from gateway.rpc import rpc
    user = rpc("users").get_user(42)
"""
import logging
import os
import queue
import select
import threading
import time
from contextlib import contextmanager

import kombu.pools
from flask import current_app
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.exceptions import registry as remote_exception_registry
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.correlation import current_correlation_id

EXTENSION = "aarya.rpc"
log = logging.getLogger(__name__)


class PoolExhausted(Exception):
    """Every proxy stayed busy for the whole RPC timeout: the gateway is overloaded."""


class RpcTransportError(Exception):
    """The call got no answer because the broker connection failed under it."""


def came_back_as_reply(exc):
    """True if the call got an answer (an error raised by the service, or UnknownService from
    the broker): the proxy's connection is then known to be healthy and in step."""
    if isinstance(exc, (RemoteError, UnknownService)):
        return True
    return type(exc) in remote_exception_registry.values()


class PooledProxy:
    """One open ClusterRpcProxy plus the context dict it sends with every call."""

    def __init__(self, nameko_config, timeout_s):
        self.context = {}
        self._standalone = ClusterRpcProxy(nameko_config, context_data=self.context,
                                           timeout=timeout_s)
        self.cluster = self._standalone.start()

    def call(self, service, method, args, kwargs, context):
        self.context.clear()
        self.context.update(context)
        return getattr(self.cluster[service], method)(*args, **kwargs)

    def looks_idle(self):
        """An idle proxy's reply socket has nothing to read; anything there (EOF after the broker
        closed it, a close frame, a stray reply) means it must not be reused."""
        try:
            connection = self._standalone._reply_listener.queue_consumer.connection
            if not connection.connected:
                return False
            poller = select.poll()  # not select.select: no 1024-descriptor ceiling
            poller.register(connection.connection.sock.fileno(), select.POLLIN)
            return not poller.poll(0)
        except Exception:  # any doubt: discard it, a new one is cheap next to a wrong reply
            return False

    def close(self):
        try:
            self._standalone.stop()
        except Exception:  # already broken; closing is best effort
            log.debug("closing a broken RPC proxy failed", exc_info=True)


class RpcPool:
    """Up to `size` proxies per process; a call waits at most `timeout_s` for a free one."""

    def __init__(self, nameko_config, size, timeout_s):
        self.nameko_config = nameko_config
        self.size = int(size)
        self.timeout_s = float(timeout_s)
        self._pid = None
        # kombu's per-process producer pool defaults to 10; let every proxy publish at once.
        kombu.pools.set_limit(max(kombu.pools.get_limit(), self.size))

    def _for_this_process(self):
        # Proxies are opened after fork and never cross one: a child starts with an empty pool.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._slots = threading.BoundedSemaphore(self.size)
            self._idle = queue.LifoQueue()  # LIFO keeps the warmest connections busy
            self.opened = 0
            self.discarded = 0

    @contextmanager
    def proxy(self):
        self._for_this_process()
        if not self._slots.acquire(timeout=self.timeout_s):
            raise PoolExhausted(f"no RPC proxy free within {self.timeout_s:g}s")
        pooled = None
        try:
            pooled = self._take_idle_or_open()
            yield pooled
        except BaseException as exc:
            if pooled is None or came_back_as_reply(exc):
                raise
            self._discard(pooled)
            pooled = None
            if isinstance(exc, (RpcTimeout, PoolExhausted)) or not isinstance(exc, Exception):
                raise  # a timeout says what it is; a killed greenlet must stay killed
            raise RpcTransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            if pooled is not None:
                self._idle.put(pooled)
            self._slots.release()

    def _take_idle_or_open(self):
        while True:
            try:
                pooled = self._idle.get_nowait()
            except queue.Empty:
                break
            if pooled.looks_idle():
                return pooled
            self._discard(pooled)
        started = time.monotonic()
        pooled = PooledProxy(self.nameko_config, self.timeout_s)
        self.opened += 1
        log.debug("opened RPC proxy %d in %.1f ms", self.opened, (time.monotonic() - started) * 1e3)
        return pooled

    def _discard(self, pooled):
        self.discarded += 1
        log.warning("discarding a broken RPC proxy (%d discarded so far)", self.discarded)
        pooled.close()

    def call(self, service, method, args=(), kwargs=None, context=None):
        with self.proxy() as pooled:
            return pooled.call(service, method, args, kwargs or {}, context or {})

    def close(self):
        """Close idle proxies (worker exit). Busy ones close when their greenlets end."""
        if self._pid != os.getpid():
            return
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class ServiceCaller:
    """`rpc("users").login(email, password)` — each method call is one pooled RPC."""

    def __init__(self, pool, service_name, correlation_id):
        self._pool = pool
        self._service_name = service_name
        self._correlation_id = correlation_id

    def __getattr__(self, method_name):
        def call(*args, **kwargs):
            return self._pool.call(self._service_name, method_name, args, kwargs,
                                   {"correlation_id": self._correlation_id})
        call.__name__ = method_name
        return call


def init_app(app, config):
    gateway = config["GATEWAY"]
    app.extensions[EXTENSION] = RpcPool(config, gateway["rpc_pool_size"], gateway["rpc_timeout_s"])


def rpc_pool():
    return current_app.extensions[EXTENSION]


def rpc(service_name):
    """A caller for one service that sends the current request's correlation id."""
    return ServiceCaller(rpc_pool(), service_name, current_correlation_id())
