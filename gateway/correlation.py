"""The correlation id of a request: taken from X-Correlation-ID or made here, echoed back.

It travels on to every RPC as nameko context data (see gateway.rpc), so services put it into
the events they emit and one id ties a client's request to everything it caused.
"""
import re
import uuid

from flask import g

HEADER = "X-Correlation-ID"
# A client-chosen id is kept only if it is short and plain: it ends up in logs and AMQP headers.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_correlation_id():
    return f"req-{uuid.uuid4().hex}"


def current_correlation_id():
    """The id of the request being served (a fresh one outside a request's hooks)."""
    return g.get("correlation_id") or new_correlation_id()


def init_app(app):
    from flask import request

    @app.before_request
    def take_correlation_id():
        offered = request.headers.get(HEADER, "")
        g.correlation_id = offered if _ACCEPTABLE.match(offered) else new_correlation_id()

    @app.after_request
    def echo_correlation_id(response):
        response.headers[HEADER] = current_correlation_id()
        return response
