"""Typed errors with a stable code. Services raise them; the gateway maps each class to one status.

`deserialize_to_instance` makes nameko rebuild the same class on the caller's side of an RPC, so
the gateway (and any service calling another) catches `NotFound`, not a stringly `RemoteError`.
Args are kept positional (code, message, details) because nameko ships `exc.args` over the wire;
details travel as JSON text, since nameko stringifies any argument that is not a str/list/dict
member it knows (5 would arrive as "5", True as "True").
"""
import json

from nameko.exceptions import deserialize_to_instance


def error_body(code, message="", details=None):
    """The one shape every error reaches a client in (the gateway's handlers, gunicorn's own
    refusals): {"error": {code, message, details}}."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


class ServiceError(Exception):
    """Base of every expected error. `code` is stable and machine-readable; `details` is JSON."""

    default_code = "error"

    def __init__(self, code=None, message="", details=None):
        code = code or self.default_code
        if isinstance(details, str):  # rebuilt on the caller's side of an RPC
            details = json.loads(details) if details else {}
        details = details or {}
        super().__init__(code, message, json.dumps(details, default=str))
        self.code, self.message, self.details = code, message, details

    def __str__(self):
        return f"{self.code}: {self.message}"

    def to_dict(self):
        return {"code": self.code, "message": self.message, "details": self.details}


@deserialize_to_instance
class ValidationFailed(ServiceError):
    """Input is well-formed but wrong; details map each field to its problems."""
    default_code = "validation_failed"


@deserialize_to_instance
class BadRequest(ServiceError):
    default_code = "bad_request"


@deserialize_to_instance
class NotFound(ServiceError):
    default_code = "not_found"


@deserialize_to_instance
class Conflict(ServiceError):
    default_code = "conflict"


@deserialize_to_instance
class Unauthorized(ServiceError):
    default_code = "unauthorized"


@deserialize_to_instance
class Forbidden(ServiceError):
    default_code = "forbidden"


@deserialize_to_instance
class TooManyRequests(ServiceError):
    default_code = "rate_limited"


def validation_error(marshmallow_error):
    """Turn a marshmallow ValidationError into ours, naming each field."""
    return ValidationFailed(
        "validation_failed", "Some fields are invalid.", {"fields": marshmallow_error.messages}
    )


@deserialize_to_instance
class Unavailable(ServiceError):
    """A server the service depends on (e.g. Elasticsearch) is down: retry later (503)."""
    default_code = "unavailable"
