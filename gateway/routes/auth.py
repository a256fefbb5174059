"""/api/auth: register, sign in, rotate a refresh token, sign out — each one users-service RPC."""
from flask import Blueprint, request

from gateway import ratelimit, shopper
from gateway.auth import require_user
from gateway.params import json_object, require_fields
from gateway.rpc import rpc
from kit.errors import Unauthorized

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


@bp.post("/register")
def register():
    user = rpc("users").register(json_object())
    return user, 201, {"Location": f"/api/users/{user['id']}"}


@bp.post("/login")
def login():
    email, password = require_fields(json_object(), email=str, password=str)
    ip = ratelimit.client_ip()
    ratelimit.ensure_login_allowed(email, ip)
    try:
        tokens = rpc("users").login(email, password, ip=ip,
                                    user_agent=request.headers.get("User-Agent", ""))
    except Unauthorized:
        ratelimit.record_login_failure(email, ip)
        raise
    ratelimit.forget_login_failures(email)
    shopper.merge_guest_cart(tokens["user"]["id"])  # a guest cart brought along joins the user's
    return tokens


@bp.post("/refresh")
def refresh():
    (refresh_token,) = require_fields(json_object(), refresh_token=str)
    return rpc("users").refresh(refresh_token)


@bp.post("/logout")
def logout():
    me = require_user()
    rpc("users").logout(me.session_id)
    return {"status": "signed_out"}
