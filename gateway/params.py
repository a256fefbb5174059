"""Reading a request the same way on every route: a JSON object body and bounded query ints.

Shape problems the gateway can see alone (not JSON, not an object, a limit out of range) are
answered here; what the fields mean is the service's business and comes back as its own errors.
"""
import json

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from kit.errors import BadRequest, ValidationFailed


def json_object():
    """The request body as a dict: 400 `malformed_json` if it is not JSON, 400
    `json_object_required` if it is JSON but not an object. Oversized bodies are 413 before this."""
    raw = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body is cut at the limit by werkzeug without complaint; refuse it whole.
        raise RequestEntityTooLarge()
    try:
        body = json.loads(raw)
    except RecursionError:
        raise too_deep()
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("malformed_json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise BadRequest("json_object_required", "The request body must be a JSON object.")
    check_json_shape(body)
    return body


MAX_JSON_DEPTH = 32  # our deepest real body (an order: address, card) is 3 levels


def too_deep():
    return BadRequest("json_too_deep", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.",
                      {"max_depth": MAX_JSON_DEPTH})


def check_json_shape(body):
    """400 `json_too_deep` past MAX_JSON_DEPTH; 422 for a NUL character in any key or string
    (PostgreSQL cannot store one: it would fail deep in a service instead of here)."""
    stack = [(body, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise too_deep()
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    raise nul_refused(path or key)
                stack.append((item, depth + 1, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            raise nul_refused(path or "body")


def nul_refused(field):
    return ValidationFailed("validation_failed", "Some fields are invalid.",
                            {"fields": {field: ["NUL characters are not allowed."]}})


def require_fields(body, **types):
    """Check that each named field is present with the given type; 422 naming every bad one."""
    problems = {}
    for name, expected in types.items():
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems[name] = ["Missing data for required field."]
        elif not isinstance(value, expected):
            problems[name] = [f"Must be a {_type_name(expected)}."]
    if problems:
        raise ValidationFailed("validation_failed", "Some fields are invalid.", {"fields": problems})
    return [body[name] for name in types]


def query_int(name, default=None, minimum=None, maximum=None):
    """An optional integer query parameter within bounds; 422 naming it otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    problem = None
    try:
        value = int(raw)
    except ValueError:
        problem = "Not a valid integer."
    else:
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            problem = f"Must be between {minimum} and {maximum}." if maximum is not None \
                else f"Must be at least {minimum}."
    if problem:
        raise ValidationFailed("validation_failed", "Some query parameters are invalid.",
                               {"fields": {name: [problem]}})
    return value


def _type_name(expected):
    return {str: "string", int: "integer", bool: "boolean", dict: "object"}.get(expected, "value")
