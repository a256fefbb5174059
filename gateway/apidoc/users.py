"""OpenAPI part of sign-up, sign-in and accounts (gateway/routes/auth.py, users.py)."""
from services.users import schemas as users
from gateway.openapi import BEFORE_ID, DATETIME, LIMIT, NULLABLE_STRING, operation, ref, USER_ID

SCHEMAS = {
    "PublicUser": users.PublicUserOut,
    "User": users.UserOut,
    "Profile": users.ProfileOut,
    "RelatedUser": users.RelatedUserOut,
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
    "RegisterRequest": users.RegisterSchema,
    "LoginRequest": users.LoginSchema,
    "RefreshRequest": {
        "type": "object",
        "required": ["refresh_token"],
        "properties": {"refresh_token": {"type": "string"}},
    },
    "ProfileChanges": users.ProfileUpdateSchema,
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
