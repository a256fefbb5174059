"""Input the gateway refuses before any route runs, whatever the route.

- A NUL character in the path or in a query parameter (name or value) is a 422: PostgreSQL
  cannot store or compare one, so it would fail inside a service as a 502 (fuzzing found
  `GET /api/products?colour=%00`). JSON bodies get the same check in gateway.params.
  WebSocket doors (/ws/) are left alone: their only parameter is a token, refused with 1008.
"""
from flask import request

from gateway.params import nul_refused


def refuse_nul_characters():
    if request.path.startswith("/ws/"):
        return
    if "\x00" in request.path:
        raise nul_refused("path")
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise nul_refused(name.replace("\x00", "") or "query")


def init_app(app):
    app.before_request(refuse_nul_characters)
