"""One redis-py client per gateway worker process, made on first use (after gunicorn forks).

Short timeouts: a request waits on Redis for a token check or a counter, never for long.
Blocking stream readers (WebSocket/SSE) need a client of their own with a longer timeout.
"""
import os
import threading

import redis
from flask import current_app

EXTENSION = "aarya.redis"


class ProcessRedis:
    """Hands out this process's client; a forked child never reuses its parent's sockets."""

    def __init__(self, uri, socket_timeout_s=2.0):
        self.uri = uri
        self.socket_timeout_s = socket_timeout_s
        self._client = None
        self._pid = None
        self._lock = threading.Lock()

    def client(self):
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    # A blocking pool: thousands of greenlets may want Redis at once; past the
                    # cap they wait their turn instead of failing (redis-py's default pool raises).
                    pool = redis.BlockingConnectionPool.from_url(
                        self.uri, decode_responses=True, max_connections=200, timeout=5,
                        socket_timeout=self.socket_timeout_s,
                        socket_connect_timeout=self.socket_timeout_s,
                        health_check_interval=30,
                    )
                    self._client = redis.Redis(connection_pool=pool)
                    self._pid = os.getpid()
        return self._client

    def close(self):
        if self._client is not None and self._pid == os.getpid():
            self._client.close()
        self._client = None


def init_app(app, config):
    app.extensions[EXTENSION] = ProcessRedis(config["REDIS_URI"])


def redis_client():
    """The current app's Redis client (decode_responses=True)."""
    return current_app.extensions[EXTENSION].client()
