"""The HTTP gateway: Flask under gunicorn's gevent worker, the one door clients use.

app          — create_app(): config, blueprints, hooks, error handlers
rpc          — pool of nameko ClusterRpcProxies (made after fork), rpc("users").login(...)
redis_client — one redis-py client per worker process
auth         — Bearer access tokens checked locally + one Redis GET for revoked sessions
ratelimit    — per-IP request limit and failed-login limits in Redis
errors       — the one table from kit.errors (and nameko/werkzeug errors) to HTTP statuses
correlation  — X-Correlation-ID in, echoed out, passed to services as nameko context data
params       — JSON bodies and query parameters, checked the same way on every route
openapi      — the OpenAPI 3 document at /api/openapi.json
routes/      — one blueprint per area: health, auth, users
"""
