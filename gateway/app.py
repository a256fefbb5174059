"""create_app(): the gateway's Flask application, configured from config/<env>.yaml.

    AARYA_ENV=dev gunicorn -c gateway/gunicorn_conf.py 'gateway.app:create_app()'

Nothing here opens a connection: the RPC pool and the Redis client are made on first use, in
the gunicorn worker, after it forked and gevent patched the standard library.
Shared resources hang off app.extensions so WebSocket/SSE routes can reuse them:
`gateway.rpc.rpc("users")`, `gateway.redis_client.redis_client()`.
"""
import logging.config

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import correlation, errors, guards, metrics, ratelimit, realtime, redis_client, rpc
from gateway import catalog_cache, product_views
from gateway.routes import ALL_BLUEPRINTS
from kit import secret_guard
from kit.config import load_config


def create_app(env=None, config=None):
    """`env` picks config/<env>.yaml (default $AARYA_ENV, else dev); tests may pass `config`."""
    config = config if config is not None else load_config(env)
    secret_guard.check(config)  # a production config refuses default or empty secrets
    if config.get("LOGGING"):
        logging.config.dictConfig(config["LOGGING"])

    app = Flask("gateway")
    app.config["AARYA"] = config
    app.config["MAX_CONTENT_LENGTH"] = int(config["GATEWAY"]["max_body_bytes"])
    app.json.sort_keys = False  # keep each payload in the order the service built it

    # Hook order matters: the correlation id exists before anything can fail or be limited.
    correlation.init_app(app)
    metrics.init_app(app)  # RED per route, the request log line, /metrics
    ratelimit.init_app(app)
    errors.init_app(app)
    guards.init_app(app)
    rpc.init_app(app, config)
    redis_client.init_app(app, config)
    realtime.init_app(app, config)  # /ws, /sse; its tail starts in the worker (gunicorn_conf)

    # Every area's blueprint, one registry: each gateway/routes/<area>.py that defines `bp`.
    for blueprint in ALL_BLUEPRINTS:
        app.register_blueprint(blueprint)
    # The catalog's view recorder and the response cache's event listener.
    product_views.init_app(app, config)
    catalog_cache.init_app(app, config)
    hops = int((config.get("PROXY") or {}).get("trusted_hops") or 0)
    if hops:  # behind nginx/Traefik (ops/proxy/): the client's address, not the proxy's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
