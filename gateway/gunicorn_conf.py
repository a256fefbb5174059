"""gunicorn settings for the gateway: the gevent worker, bind and worker count from GATEWAY.

    AARYA_ENV=test gunicorn -c gateway/gunicorn_conf.py 'gateway.app:create_app()'

Monkey patching: gunicorn's gevent worker calls gevent.monkey.patch_all() itself, in each
worker right after fork and before it imports the app. So this file must not import nameko,
kombu, redis or the app (preload_app stays off): those would then be imported unpatched in
the master and inherited by every worker. kit.config pulls in only yaml and nameko's CLI
parser (no eventlet, kombu or ssl), which is safe here. when_ready warns if that ever changes;
post_worker_init stops a worker that did not end up patched.
"""
import gc
import json
import os
import shutil
import sys

from gunicorn import util as gunicorn_util
from gunicorn.glogging import Logger

from kit.config import ROOT, load_config
from kit.errors import error_body  # imports nameko.exceptions only: safe in the master

_config = load_config(os.environ.get("AARYA_ENV"))
_gateway = _config["GATEWAY"]

bind = str(_gateway["bind"])
workers = int(_gateway["workers"])
worker_class = "gevent"
# Every open WebSocket/SSE client holds one of these: a worker is meant to hold thousands
# (in practice `ulimit -n` of the worker is the bound).
worker_connections = int(_gateway.get("worker_connections", 20000))
preload_app = False  # see above: the app must be imported after the worker patched
keepalive = 5
timeout = 30
graceful_timeout = 20
proc_name = "aarya-gateway"
errorlog = "-"
# Several gateways may share a host (dev, tests, bench): no shared control socket path to fight over.
control_socket_disable = True
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None  # "-" for stdout; off by default

# Prometheus: every worker writes its samples into one directory per gateway, which /metrics
# adds up (gateway/metrics.py). Emptied at start: samples of a previous run are not ours.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
    ROOT / "var" / os.environ.get("AARYA_ENV", "dev") / f"prometheus-gateway-{bind.rpartition(':')[2]}")
shutil.rmtree(_metrics_dir, ignore_errors=True)
os.makedirs(_metrics_dir, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


class JsonLogger(Logger):
    """gunicorn's own lines (boot, worker exits) as JSON too, when the config logs JSON; the
    access log stays as configured (off: gateway.metrics writes one line per request)."""

    def setup(self, cfg):
        super().setup(cfg)
        handler = ((_config.get("LOGGING") or {}).get("handlers") or {}).get("console") or {}
        if handler.get("formatter") == "json":
            from kit.logs import JsonFormatter

            for logger in (self.error_log, self.access_log):
                for log_handler in logger.handlers:
                    log_handler.setFormatter(JsonFormatter())


logger_class = JsonLogger

# gunicorn answers what it refuses to read itself (a request line over 4094 bytes: 414, header
# fields too large: 431, a malformed request line: 400) with an HTML page; clients of the
# gateway get every error as {"error": {code, message, details}}.
GUNICORN_ERROR_CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long",
                        417: "expectation_failed", 431: "headers_too_large",
                        500: "internal_error", 501: "not_implemented"}


def write_json_error(sock, status_int, reason, mesg):
    body = json.dumps(error_body(GUNICORN_ERROR_CODES.get(status_int, "bad_request"),
                                 f"{reason}: {mesg}"))
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    gunicorn_util.write_nonblock(sock, (head + body).encode("latin-1"))


gunicorn_util.write_error = write_json_error  # gunicorn's workers look it up on each error


# Imported in the master, these would reach every worker unpatched (see the module docstring).
_MUST_WAIT_FOR_THE_WORKER = ("gateway.app", "nameko.standalone", "kombu", "redis", "eventlet")


def when_ready(server):
    leaked = [m for m in _MUST_WAIT_FOR_THE_WORKER if m in sys.modules]
    if leaked:
        server.log.warning("imported in the gunicorn master before gevent patching: %s",
                           ", ".join(leaked))


def post_worker_init(worker):
    """Refuse to serve from a worker whose sockets would block the whole process."""
    from gevent import monkey

    unpatched = [m for m in ("socket", "select", "ssl", "threading", "time")
                 if not monkey.is_module_patched(m)]
    if unpatched:
        worker.log.critical("gevent did not patch %s; stopping worker", ", ".join(unpatched))
        raise SystemExit(1)
    worker.log.info("gateway worker %s ready (gevent-patched)", worker.pid)
    # Everything imported so far lives as long as the worker: frozen out of the collector's
    # sight, a full collection walks only what requests allocate, not the objects of flask,
    # nameko, kombu, redis and the schemas (a pause of the whole worker otherwise).
    gc.collect()
    gc.freeze()
    # The real-time tail starts now rather than at the first client, and closes its sockets
    # (1001) as soon as the worker is told to stop.
    realtime = getattr(worker.wsgi, "extensions", {}).get("aarya.realtime")
    if realtime is not None:
        realtime.start(is_serving=lambda: worker.alive)


def child_exit(server, worker):
    from prometheus_client import multiprocess  # a dead worker's live gauges stop counting

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    # Close idle RPC proxies so their reply queues go away with the worker.
    pool = getattr(worker.wsgi, "extensions", {}).get("aarya.rpc")
    if pool is not None:
        pool.close()


def post_request(worker, req, environ, resp):
    """Yield to the other connections after every request. gevent never preempts: a keep-alive
    client whose next request is already in the socket when this one ends is served again at
    once, and a fast client on another core can hold the worker for hundreds of milliseconds
    while the other connections' requests wait (measured: /health p50 0.4 ms, p99 1.5 s at
    20 connections). One switch per request makes the worker round-robin."""
    import gevent

    gevent.sleep(0)
