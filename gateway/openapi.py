"""The OpenAPI 3.0 description of the gateway, served at GET /api/openapi.json.

Written by hand next to the routes; tests/gateway check that every route the app serves is
described here (and nothing else), so the two cannot drift apart silently.
"""
from flask import Blueprint

bp = Blueprint("openapi", __name__)

ERROR_STATUSES = {
    "400": "The body is not JSON, or not a JSON object (`malformed_json`, `json_object_required`).",
    "401": "No valid access token (`missing_token`, `invalid_token`, `session_revoked`).",
    "403": "The caller's role does not allow this.",
    "404": "No such resource.",
    "409": "Conflicts with the current state (e.g. `email_taken`, `username_taken`).",
    "413": "The body is larger than the gateway accepts (`payload_too_large`).",
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
                      **errors(*error_statuses, "429", "500")},
    }
    if auth:
        op["security"] = [{"bearerAuth": []}]
        op["responses"].update(errors("401"))
    if body:
        op["requestBody"] = {"required": True, "content": json_content(ref(body))}
        op["responses"].update(errors("400", "413", "422"))
    if params:
        op["parameters"] = list(params)
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
    "PublicUser": {
        "type": "object",
        "required": ["id", "username", "full_name", "role"],
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "full_name": {"type": "string"},
            "bio": NULLABLE_STRING,
            "avatar_url": NULLABLE_STRING,
            "role": {"type": "string", "enum": ["customer", "support", "admin"]},
            "is_online": {"type": "boolean"},
            "last_seen": {**DATETIME, "nullable": True},
            "created_at": DATETIME,
        },
    },
    "User": {"allOf": [ref("PublicUser"), {
        "type": "object",
        "required": ["email"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "phone": NULLABLE_STRING,
            "is_active": {"type": "boolean"},
            "updated_at": DATETIME,
        },
    }]},
    "Profile": {"allOf": [ref("PublicUser"), {
        "type": "object",
        "properties": {"followers": {"type": "integer"}, "following": {"type": "integer"}},
    }]},
    "RelatedUser": {"allOf": [ref("PublicUser"), {
        "type": "object", "properties": {"since": DATETIME},
    }]},
    "UserList": {"type": "object", "required": ["items"],
                 "properties": {"items": {"type": "array", "items": ref("RelatedUser")}}},
    "Activity": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "user_id": {"type": "integer"},
            "type": {"type": "string", "example": "followed"},
            "data": {"type": "object", "additionalProperties": True},
            "created_at": DATETIME,
        },
    },
    "ActivityPage": {
        "type": "object",
        "required": ["items", "next_before_id"],
        "properties": {
            "items": {"type": "array", "items": ref("Activity")},
            "next_before_id": {"type": "integer", "nullable": True},
        },
    },
    "Relation": {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer"},
            "target_user_id": {"type": "integer"},
            "changed": {"type": "boolean",
                        "description": "False when nothing changed (already so)."},
        },
    },
    "RegisterRequest": {
        "type": "object",
        "required": ["email", "username", "password", "full_name"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,30}$"},
            "password": {"type": "string", "format": "password", "minLength": 8, "maxLength": 128},
            "full_name": {"type": "string", "minLength": 1, "maxLength": 120},
        },
    },
    "LoginRequest": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": {"type": "string"},
                       "password": {"type": "string", "format": "password"}},
    },
    "RefreshRequest": {
        "type": "object",
        "required": ["refresh_token"],
        "properties": {"refresh_token": {"type": "string"}},
    },
    "ProfileChanges": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "full_name": {"type": "string", "minLength": 1, "maxLength": 120},
            "username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,30}$"},
            "bio": {"type": "string", "maxLength": 500, "nullable": True},
            "avatar_url": {"type": "string", "format": "uri", "nullable": True},
            "phone": {"type": "string", "nullable": True},
        },
    },
    "TokenPair": {
        "type": "object",
        "required": ["access_token", "refresh_token", "token_type", "expires_in", "user"],
        "properties": {
            "access_token": {"type": "string"},
            "refresh_token": {"type": "string",
                              "description": "Single use: /api/auth/refresh returns a new one."},
            "token_type": {"type": "string", "example": "Bearer"},
            "expires_in": {"type": "integer", "description": "Seconds the access token lives."},
            "user": ref("User"),
        },
    },
    "SignedOut": {"type": "object", "properties": {"status": {"type": "string",
                                                              "enum": ["signed_out"]}}},
}

PATHS = {
    "/health": {"get": operation("Gateway liveness", "health", "200", ref("Health"), auth=False)},
    "/api/openapi.json": {"get": operation("This document", "health", "200", {"type": "object"},
                                           auth=False)},
    "/api/auth/register": {"post": operation(
        "Register an account", "auth", "201", ref("User"), "409",
        body="RegisterRequest", auth=False, ok_description="Created")},
    "/api/auth/login": {"post": operation(
        "Sign in", "auth", "200", ref("TokenPair"), "401",
        body="LoginRequest", auth=False)},
    "/api/auth/refresh": {"post": operation(
        "Rotate a refresh token", "auth", "200", ref("TokenPair"), "401",
        body="RefreshRequest", auth=False)},
    "/api/auth/logout": {"post": operation("Sign out this session", "auth", "200",
                                           ref("SignedOut"))},
    "/api/users/me": {
        "get": operation("My account", "users", "200", ref("User"), "404"),
        "patch": operation("Update my profile", "users", "200", ref("User"), "404", "409",
                           body="ProfileChanges"),
    },
    "/api/users/me/followers": {"get": operation("Who follows me", "users", "200", ref("UserList"),
                                                 "422", params=[LIMIT])},
    "/api/users/me/following": {"get": operation("Whom I follow", "users", "200", ref("UserList"),
                                                 "422", params=[LIMIT])},
    "/api/users/me/activity": {"get": operation("My activity", "users", "200", ref("ActivityPage"),
                                                "422", params=[LIMIT, BEFORE_ID])},
    "/api/users/me/feed": {"get": operation("Activity of people I follow", "users", "200",
                                            ref("ActivityPage"), "422",
                                            params=[LIMIT, BEFORE_ID])},
    "/api/users/{user_id}": {"get": operation("A user's public profile", "users", "200",
                                              ref("Profile"), "404", params=[USER_ID])},
    "/api/users/{user_id}/follow": {
        "post": operation("Follow a user", "users", "200", ref("Relation"), "404", "422",
                          params=[USER_ID]),
        "delete": operation("Unfollow a user", "users", "200", ref("Relation"), "404", "422",
                            params=[USER_ID]),
    },
    "/api/users/{user_id}/block": {
        "post": operation("Block a user", "users", "200", ref("Relation"), "404", "422",
                          params=[USER_ID]),
        "delete": operation("Unblock a user", "users", "200", ref("Relation"), "404", "422",
                            params=[USER_ID]),
    },
}


def document():
    responses = {f"Error{status}": {"description": text, "content": json_content(ref("Error"))}
                 for status, text in {**ERROR_STATUSES,
                                      "500": "Unexpected failure (`internal_error`)."}.items()}
    responses["Error429"]["headers"] = {"Retry-After": {
        "description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Aarya gateway",
            "version": "1.0.0",
            "description": "REST API of the Aarya commerce platform. Every error is "
                           "`{\"error\": {\"code\", \"message\", \"details\"}}`; every response "
                           "carries `X-Correlation-ID` (sent by the client or made here).",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "health"}, {"name": "auth"}, {"name": "users"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": responses,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"}},
        },
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return document()
