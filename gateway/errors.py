"""Every error leaves the gateway as JSON: {"error": {"code", "message", "details"}}.

STATUS_FOR is the one table from error types to HTTP statuses. Services raise kit.errors types,
which nameko rebuilds on this side of the RPC, so a subclass a service adds later (say
`OutOfStock(Conflict)`) gets its parent's status with its own code. Anything not in the table
is a bug: it is logged with the correlation id and answered 500 `internal_error`, never with
a traceback.
"""
import logging
import re

import amqp.exceptions
import kombu.exceptions
import redis
from flask import jsonify
from nameko.exceptions import (
    IncorrectSignature, MalformedRequest, MethodNotFound, RemoteError, RpcTimeout, UnknownService,
)
from werkzeug.exceptions import HTTPException

from gateway.correlation import current_correlation_id
from gateway.rpc import PoolExhausted, RpcTransportError
from kit import errors
from kit.errors import error_body

log = logging.getLogger(__name__)

UPSTREAM_UNAVAILABLE = ("upstream_unavailable", 503)
UPSTREAM_ERROR = ("upstream_error", 502)

# error type → (code to send, or None to keep the error's own code; HTTP status)
STATUS_FOR = {
    errors.ValidationFailed: (None, 422),
    errors.BadRequest: (None, 400),
    errors.NotFound: (None, 404),
    errors.Conflict: (None, 409),
    errors.Unauthorized: (None, 401),
    errors.Forbidden: (None, 403),
    errors.TooManyRequests: (None, 429),
    errors.Unavailable: (None, 503),
    # The service is missing, slow or unreachable: worth a retry later.
    RpcTimeout: UPSTREAM_UNAVAILABLE,
    UnknownService: UPSTREAM_UNAVAILABLE,
    PoolExhausted: UPSTREAM_UNAVAILABLE,
    RpcTransportError: UPSTREAM_UNAVAILABLE,
    kombu.exceptions.OperationalError: UPSTREAM_UNAVAILABLE,  # broker down while opening a proxy
    amqp.exceptions.ConnectionError: UPSTREAM_UNAVAILABLE,
    ConnectionError: UPSTREAM_UNAVAILABLE,                    # sockets refused or reset
    TimeoutError: UPSTREAM_UNAVAILABLE,
    redis.exceptions.ConnectionError: UPSTREAM_UNAVAILABLE,
    redis.exceptions.TimeoutError: UPSTREAM_UNAVAILABLE,
    # The service answered with something that is not one of our errors: a bug over there, or
    # the gateway and the service disagree on a method's signature.
    RemoteError: UPSTREAM_ERROR,
    MethodNotFound: UPSTREAM_ERROR,
    IncorrectSignature: UPSTREAM_ERROR,
    MalformedRequest: UPSTREAM_ERROR,
}

# A service's own dependency was unreachable (its database down or restarting, its pool
# exhausted): nameko sends such errors as RemoteError with only the class name. They are
# outages worth a retry, not bugs: 503 like the gateway's own broker or Redis trouble.
TRANSIENT_REMOTE_TYPES = frozenset({
    "OperationalError",      # sqlalchemy/psycopg2: connection refused or lost, server shutting down
    "InterfaceError",        # psycopg2: the connection was already closed
    "DisconnectionError",    # sqlalchemy pool: pre-ping found the connection dead
    "TimeoutError",          # sqlalchemy pool exhausted, or a socket timeout
    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError",
    "BrokenPipeError",
    "ServiceUnavailable",    # orders: a service it called was unreachable
})

UPSTREAM_MESSAGES = {
    503: "A backing service is unavailable; please retry shortly.",
    502: "A backing service failed to handle the request.",
}

# werkzeug's names, made into codes; a few read better under their modern names.
HTTP_CODE_NAMES = {413: "payload_too_large", 429: "rate_limited"}


def json_error(status, code, message="", details=None, headers=None):
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def remote_type(exc):
    """The class name of the error at the far end: a service that called another passes that
    one's RemoteError on, as `RemoteError` with the inner type first in its value."""
    exc_type, value = exc.exc_type, str(exc.value or "")
    while exc_type == "RemoteError" and value:
        exc_type, _, value = value.partition(" ")
        exc_type = exc_type.rstrip(":")
    return exc_type


def lookup(exc):
    """(code or None, status) for an exception, walking its classes; None if unexpected."""
    if isinstance(exc, RemoteError) and remote_type(exc) in TRANSIENT_REMOTE_TYPES:
        return UPSTREAM_UNAVAILABLE
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]
    return None


def _headers_for(exc, status):
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="aarya"'}
    if status == 429:
        retry_after = (getattr(exc, "details", None) or {}).get("retry_after_s")
        if retry_after is not None:
            return {"Retry-After": str(max(1, int(retry_after)))}
    return {}


def handle_error(exc):
    found = lookup(exc)
    if found is None:
        log.exception("unexpected error [correlation_id=%s]", current_correlation_id())
        return json_error(500, "internal_error", "Something went wrong on our side.",
                          {"correlation_id": current_correlation_id()})
    code, status = found
    if isinstance(exc, errors.ServiceError):
        return json_error(status, code or exc.code, exc.message, exc.details,
                          _headers_for(exc, status))
    # Upstream trouble: say which kind, keep the details in the log only.
    log.warning("upstream failure %s: %s [correlation_id=%s]",
                type(exc).__name__, exc, current_correlation_id())
    return json_error(status, code, UPSTREAM_MESSAGES[status],
                      {"correlation_id": current_correlation_id()})


def handle_http_exception(exc):
    """werkzeug's own errors (unknown route, wrong method, body too large) as JSON, headers kept."""
    code = HTTP_CODE_NAMES.get(exc.code) or re.sub(r"[^a-z0-9]+", "_", exc.name.lower()).strip("_")
    response = exc.get_response()
    body = jsonify(error_body(code, exc.description or exc.name))
    response.set_data(body.get_data())
    response.content_type = "application/json"
    return response


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_error)
