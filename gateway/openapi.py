"""The builder of the OpenAPI 3.0 document that GET /api/openapi.json serves.

    .venv/bin/python -m gateway.openapi          # rewrite gateway/openapi.json
    .venv/bin/python -m gateway.openapi --check  # exit 1 if gateway/openapi.json is stale

apispec's MarshmallowPlugin turns the services' own marshmallow schemas (the ones that load
requests, and the response schemas that describe what their presenters return) into the
components; each route area's operations are one module in gateway/apidoc/. The gateway never
runs this: it serves the JSON file written here (docs/adr/0011-openapi-from-schemas.md says
why), and tests/gateway/test_openapi_document.py fails when that file is stale.
The helpers below (operation, ref, _query, ...) are what the area modules build with.
"""
import json
import sys
from pathlib import Path

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")

ERROR_STATUSES = {
    "400": "The body is not JSON, or not a JSON object (`malformed_json`, `json_object_required`).",
    "401": "No valid access token (`missing_token`, `invalid_token`, `session_revoked`).",
    "403": "The caller's role does not allow this.",
    "404": "No such resource.",
    "409": "Conflicts with the current state (e.g. `email_taken`, `username_taken`).",
    "413": "The body is larger than the gateway accepts (`payload_too_large`).",
    "414": "The request line (path and query) is longer than the gateway reads "
           "(`uri_too_long`).",
    "422": "Some fields are invalid; `details.fields` maps each field to its problems.",
    "429": "Rate limited; `Retry-After` says when to try again.",
    "502": "A backing service failed (`upstream_error`).",
    "503": "A backing service is unavailable; retry later (`upstream_unavailable`).",
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema):
    return {"application/json": {"schema": schema}}


def errors(*statuses):
    return {status: {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def operation(summary, tag, ok_status, ok_schema, *error_statuses, body=None, auth=True,
              params=(), ok_description="Success"):
    op = {
        "summary": summary,
        "tags": [tag],
        "operationId": _operation_id(summary),
        "responses": {ok_status: {"description": ok_description, "content": json_content(ok_schema)},
                      **errors(*error_statuses, "414", "429", "500")},
    }
    if auth:
        op["security"] = [{"bearerAuth": []}]
        op["responses"].update(errors("401"))
    if body:
        op["requestBody"] = {"required": True, "content": json_content(ref(body))}
        op["responses"].update(errors("400", "413", "422"))
    if params:
        op["parameters"] = list(params)
        # every path and query parameter is checked by the service: a bad one is a 422
        op["responses"].update(errors("422"))
    if tag != "health":
        op["responses"].update(errors("502", "503"))
    return op


def _operation_id(summary):
    words = "".join(c if c.isalnum() else " " for c in summary).split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


USER_ID = {"name": "user_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}}
LIMIT = {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}}
BEFORE_ID = {"name": "before_id", "in": "query", "required": False,
             "description": "Only entries older than this id (the previous page's next_before_id).",
             "schema": {"type": "integer", "minimum": 1}}

NULLABLE_STRING = {"type": "string", "nullable": True}
DATETIME = {"type": "string", "format": "date-time"}


def optional_auth(op):
    """Shoppers may browse signed out; a token, if sent, must be valid (else 401)."""
    op["security"] = [{"bearerAuth": []}, {}]
    return op


def cached(op):
    """A read served from the response cache: ETag, If-None-Match → 304, no-cache bypass."""
    op["parameters"] = op.get("parameters", []) + [IF_NONE_MATCH, CACHE_CONTROL]
    op["responses"]["200"]["headers"] = {
        "ETag": {"description": "A hash of the body; send it back in If-None-Match.",
                 "schema": {"type": "string"}},
        "X-Cache": {"description": "`hit`, `miss`, or `bypass` (Cache-Control: no-cache).",
                    "schema": {"type": "string", "enum": ["hit", "miss", "bypass"]}},
    }
    op["responses"]["304"] = {"description": "Not modified: If-None-Match names the current "
                                             "ETag (the body is omitted)."}
    return op


def with_cart_session(op):
    op["parameters"] = op.get("parameters", []) + [CART_SESSION]
    op["responses"][next(iter(op["responses"]))]["headers"] = {"X-Cart-Session": {
        "description": "A guest's cart session id (also set as the HttpOnly cookie "
                       "`aarya_cart`); send it back to keep the same cart.",
        "schema": {"type": "string"}}}
    return optional_auth(op)


def also_ok_200(op):
    """An idempotent create: 201 the first time, 200 with the same body on a repeat."""
    first = next(iter(op["responses"].values()))
    op["responses"]["200"] = {"description": "Already done: the existing one",
                              "content": first["content"]}
    return op


def _id_param(name):
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}


def _query(name, schema, description=None):
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "The ETag of a copy the client holds: 304 if still current.",
                 "schema": {"type": "string"}}
CACHE_CONTROL = {"name": "Cache-Control", "in": "header", "required": False,
                 "description": "`no-cache` skips the gateway's response cache and reads from "
                                "the products service (the fresh answer is cached again).",
                 "schema": {"type": "string", "example": "no-cache"}}
CART_SESSION = {"name": "X-Cart-Session", "in": "header", "required": False,
                "description": "A guest's cart session id (apps without cookies). Ignored when "
                               "signed in; merged into the user's cart at sign-in.",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"}}
MONEY = {"type": "integer", "description": "Minor units of `currency` (paise for INR)."}
CURRENCY = {"type": "string", "enum": ["INR", "USD", "EUR", "GBP"]}


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "validation_failed"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True,
                            "example": {"fields": {"email": ["Not a valid email address."]}}},
            },
        }},
    },
    "Health": {"type": "object", "required": ["status"],
               "properties": {"status": {"type": "string", "enum": ["ok"]}}},
}


HEALTH_SCHEMAS = {name: SCHEMAS[name] for name in ("Error", "Health")}
TAGS = ["health", "auth", "users", "catalog", "cart", "system", "notifications", "chat",
        "promotions", "orders", "payments", "realtime"]
DESCRIPTION = ("REST API of the Aarya commerce platform. Every error is "
               "`{\"error\": {\"code\", \"message\", \"details\"}}`; every response "
               "carries `X-Correlation-ID` (sent by the client or made here).")


def _parts():
    from gateway import apidoc
    from gateway.realtime import api_doc as realtime_doc
    return [*apidoc.parts(), realtime_doc]


# Field classes of our own that the plugin cannot type by their base class (fields.Field).
CUSTOM_FIELD_TYPES = {"Whole": ("integer", None), "SlugOrId": ("string", None)}


def _custom_fields():
    from marshmallow import fields

    found, todo = [], [fields.Field]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__name__ in CUSTOM_FIELD_TYPES:
                found.append(sub)
    return found


def _nested_name(schema):
    """The component name of a schema met only nested in another: service + class, e.g.
    services.orders.schemas.AddressSchema → OrdersAddress (two services have a CardSchema)."""
    cls = schema if isinstance(schema, type) else type(schema)
    service = cls.__module__.split(".")[1] if cls.__module__.startswith("services.") else ""
    name = cls.__name__.removesuffix("Schema")
    return service.capitalize() + name if not name.startswith(service.capitalize()) else name


def _strict_nullable_refs(node):
    """apispec writes a nullable nested schema as anyOf [any object or null, the $ref], which
    any object satisfies; allOf [the $ref] with nullable checks the object it names."""
    if isinstance(node, list):
        return [_strict_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict_nullable_refs(value) for key, value in node.items()}
    alternatives = node.get("anyOf")
    if isinstance(alternatives, list) and {"type": "object", "nullable": True} in alternatives:
        refs = [a for a in alternatives if isinstance(a, dict) and set(a) == {"$ref"}]
        if len(alternatives) == 2 and len(refs) == 1:
            rest = {key: value for key, value in node.items() if key != "anyOf"}
            return {**rest, "allOf": refs, "nullable": True}
    return node


def build():
    """The document as a dict: every area module's PATHS, SCHEMAS, TAGS, SECURITY_SCHEMES.

    A SCHEMAS value is either a marshmallow Schema class (the plugin describes it, and the
    schemas it nests) or a plain OpenAPI dict (for shapes no schema owns, e.g. a Prometheus
    text body)."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    parts = _parts()
    plugin = MarshmallowPlugin(schema_name_resolver=_nested_name)
    tags = list(TAGS)
    for part in parts:
        tags.extend(t for t in getattr(part, "TAGS", ()) if t not in tags)
    spec = APISpec(title="Aarya gateway", version="1.0.0", openapi_version="3.0.3",
                   plugins=[plugin],
                   info={"description": DESCRIPTION}, servers=[{"url": "/"}],
                   tags=[{"name": tag} for tag in tags])
    for field in _custom_fields():  # e.g. each service's Whole: a strict integer
        plugin.map_to_openapi_type(field, *CUSTOM_FIELD_TYPES[field.__name__])
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "bearerFormat": "JWT"})
    statuses = {**ERROR_STATUSES, "500": "Unexpected failure (`internal_error`)."}
    for status, text in statuses.items():
        response = {"description": text, "content": json_content(ref("Error"))}
        if status == "429":
            response["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer"}}}
        spec.components.response(f"Error{status}", response)
    for part in parts:
        for name, scheme in getattr(part, "SECURITY_SCHEMES", {}).items():
            spec.components.security_scheme(name, scheme)
        for name, schema in getattr(part, "SCHEMAS", {}).items():
            if isinstance(schema, dict):
                spec.components.schema(name, schema)
            else:
                spec.components.schema(name, schema=schema)
    for part in parts:
        for path, operations in part.PATHS.items():
            spec.path(path=path, operations=operations)
    return _strict_nullable_refs(spec.to_dict())


def render():
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        if not DOCUMENT_PATH.exists() or DOCUMENT_PATH.read_text() != text:
            print(f"{DOCUMENT_PATH} is stale: run .venv/bin/python -m gateway.openapi")
            return 1
        return 0
    DOCUMENT_PATH.write_text(text)
    print(f"wrote {DOCUMENT_PATH} ({len(build()['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
