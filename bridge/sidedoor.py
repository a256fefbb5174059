"""The bridge's side door on 127.0.0.1:<SERVICE_PORTS.bridge>: GET /health and GET /metrics."""
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bridge import metrics
from kit.logs import process_name
from kit.topology import STREAM_FOR_SOURCE

log = logging.getLogger(__name__)


class SideDoor:
    def __init__(self, state, settings, host="127.0.0.1"):
        self.state = state
        self.settings = settings
        # Its own client with a short timeout: a hung Redis must not hang the health check.
        self._redis = redis.Redis.from_url(settings.redis_uri, socket_timeout=0.5,
                                           socket_connect_timeout=0.5, retry=None)
        self._server = ThreadingHTTPServer((host, settings.port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="sidedoor",
                                        daemon=True)

    def start(self):
        metrics.PROCESS_INFO.labels(process_name()).set(1)
        self._thread.start()
        log.info("side door on http://%s:%d (/health, /metrics)", *self._server.server_address)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def health(self):
        redis_ok = self._redis_ok()
        amqp_ok = bool(self.state.amqp_connected)
        last = self.state.last_flush_at
        body = {
            "status": "ok" if (amqp_ok and redis_ok) else "degraded",
            "amqp": amqp_ok,
            "redis": redis_ok,
            "queue": self.settings.queue,
            "last_batch_age_s": None if last is None else round(time.time() - last, 3),
            "last_error": self.state.last_error,
        }
        return (200 if body["status"] == "ok" else 503), body

    def refresh_metrics(self):
        """Read what the bridge owns at scrape time: dead letters and each stream's length."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            streams = sorted(set(STREAM_FOR_SOURCE.values()))
            for stream in (self.settings.dead_letter_stream, *streams):
                pipe.xlen(stream)
            dead, *lengths = pipe.execute()
        except redis.RedisError:
            return  # /health says Redis is down; the gauges keep their last reading
        metrics.DEAD_LETTERS.set(dead)
        for stream, length in zip(streams, lengths):
            metrics.STREAM_LENGTH.labels(stream).set(length)

    def _redis_ok(self):
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False


def _handler(door):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/health":
                status, body = door.health()
                self._send(status, "application/json", json.dumps(body).encode())
            elif path == "/metrics":
                door.refresh_metrics()
                self._send(200, CONTENT_TYPE_LATEST, generate_latest())
            else:
                self._send(404, "application/json", b'{"error": {"code": "not_found"}}')

        def _send(self, status, content_type, payload):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt, *args):  # keep probes out of the INFO log
            log.debug("%s " + fmt, self.address_string(), *args)

    return Handler
