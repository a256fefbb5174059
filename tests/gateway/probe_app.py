"""The real gateway app plus a few /_probe routes that call the probe service, for tests only.

Served by gunicorn with the gateway's own gunicorn_conf (gevent worker), so the RPC pool is
tested the way it runs: `gunicorn -c gateway/gunicorn_conf.py 'tests.gateway.probe_app:create_app()'`.
The pool is shrunk (PROBE_POOL_SIZE) and the RPC timeout shortened (PROBE_RPC_TIMEOUT_S) so
exhaustion and timeouts show quickly.
"""
import os

from flask import Blueprint

from gateway.app import create_app as create_gateway_app
from gateway.auth import require_role
from gateway.rpc import rpc, rpc_pool
from kit.config import load_config

bp = Blueprint("probe", __name__, url_prefix="/_probe")


@bp.get("/context")
def context():
    return rpc("gateway_probe").context_data()


@bp.get("/sleep/<float:seconds>")
def sleep(seconds):
    return rpc("gateway_probe").sleep(seconds)


@bp.get("/raise/<kind>")
def raise_service_error(kind):
    return rpc("gateway_probe").raise_service_error(kind, "probe_code", "probe message",
                                                    {"probe": "yes"})


@bp.get("/raise-typed-details")
def raise_typed_details():
    return rpc("gateway_probe").raise_service_error(
        "NotFound", "probe_code", "probe message",
        {"user_id": 5, "ok": True, "gone": None, "fields": {"limit": ["Too big."]}})


@bp.get("/crash")
def crash():
    return rpc("gateway_probe").crash()


@bp.get("/unknown-service")
def unknown_service():
    return rpc("no_such_service").anything()


@bp.get("/bug")
def bug():
    raise KeyError("a bug in the gateway")


@bp.get("/staff-only")
def staff_only():
    staff = require_role("support", "admin")
    return {"user_id": staff.user_id, "role": staff.role}


@bp.get("/pool")
def pool():
    p = rpc_pool()
    p._for_this_process()
    return {"pid": os.getpid(), "size": p.size, "opened": p.opened, "discarded": p.discarded}


@bp.post("/break-idle-proxies")
def break_idle_proxies():
    """Shut the sockets of this worker's idle proxies, as a broker restart would."""
    p = rpc_pool()
    broken = 0
    for pooled in list(p._idle.queue):
        pooled._standalone._reply_listener.queue_consumer.connection.connection.sock.shutdown(2)
        broken += 1
    return {"pid": os.getpid(), "broken": broken}


def create_app():
    config = load_config(os.environ.get("AARYA_ENV", "test"))
    config["GATEWAY"]["rpc_pool_size"] = int(os.environ.get("PROBE_POOL_SIZE", "2"))
    config["GATEWAY"]["rpc_timeout_s"] = float(os.environ.get("PROBE_RPC_TIMEOUT_S", "1"))
    app = create_gateway_app(config=config)
    app.register_blueprint(bp)
    return app
