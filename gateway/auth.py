"""Who is calling: the Bearer access token, checked here without an RPC.

The signature and expiry are verified locally with the shared secret (kit.tokens); logout must
bite at once, so Redis is asked whether the token's session was revoked: in the rate limiter's
round trip when it ran (ratelimit.py), else with an EXISTS of its own. Roles are
`customer`, `support`, `admin`.

    me = require_user()                    # 401 unless a valid, unrevoked token
    staff = require_role("support", "admin")  # and 403 unless one of these roles
"""
from dataclasses import dataclass

from flask import current_app, g, request

from gateway.redis_client import redis_client
from kit.errors import Forbidden, Unauthorized
from kit.tokens import InvalidToken, VerifiedTokens, revoked_session_key

ROLES = ("customer", "support", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    session_id: str


def bearer_token():
    """The token of `Authorization: Bearer <token>`, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


# Per worker: the rate limiter and the view both read the caller's token, and a signed-in
# client sends the same one on every request (kit.tokens.VerifiedTokens).
_VERIFIED = VerifiedTokens()


def verified_claims(token):
    """The claims of a valid, unexpired access token (verified once per token), else InvalidToken."""
    return _VERIFIED.decode(current_app.config["AARYA"]["AUTH"], token)


def authenticate(token):
    """The principal a token stands for; Unauthorized if it is missing, bad, expired or revoked."""
    if not token:
        raise Unauthorized("missing_token", "A Bearer access token is required.")
    try:
        claims = verified_claims(token)
        principal = Principal(int(claims["sub"]), claims.get("role"), str(claims["sid"]))
        if principal.role not in ROLES:
            raise InvalidToken(f"unknown role {principal.role!r}")
    except (InvalidToken, ValueError):
        raise Unauthorized("invalid_token", "The access token is invalid or expired.")
    if _revoked(principal.session_id):
        raise Unauthorized("session_revoked", "This session has been signed out.")
    return principal


def caller_of_bearer():
    """(user_id, session_id) of this request's Bearer token if it checks out locally (signature,
    expiry), else None: the rate limiter counts per user by it and asks Redis about the
    session's revocation in its own round trip."""
    token = bearer_token()
    if not token:
        return None
    try:
        claims = verified_claims(token)
        return int(claims["sub"]), str(claims["sid"])
    except (InvalidToken, ValueError, KeyError, TypeError):
        return None


def remember_revocation(session_id, revoked):
    g.revocation = (session_id, revoked)


def _revoked(session_id):
    """Asked once per request: the answer the rate limiter's round trip brought, else Redis."""
    known = g.get("revocation")
    if known is not None and known[0] == session_id:
        return known[1]
    return bool(redis_client().exists(revoked_session_key(session_id)))


def require_user(token=None):
    """The signed-in caller. `token` lets a WebSocket pass one it got another way."""
    if token is None and "principal" in g:
        return g.principal
    principal = authenticate(token if token is not None else bearer_token())
    if token is None:
        g.principal = principal
    return principal


def require_role(*roles):
    """The signed-in caller if their role is one of `roles`, else 403."""
    principal = require_user()
    if principal.role not in roles:
        raise Forbidden("forbidden", "Your role does not allow this.", {"required_roles": list(roles)})
    return principal
