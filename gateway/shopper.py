"""Who is shopping: a signed-in user if a token came, else a guest known by a cart session id.

Guests get a random session id from the gateway, sent back in the HttpOnly, SameSite=Lax cookie
`aarya_cart` (browsers) and the `X-Cart-Session` header (mobile apps keep it and send it back
as that header). A signed-in shopper's cart is keyed by their user id, so every device sees
the same cart; at sign-in the guest cart the request carried is merged into it.

    me = signed_in_or_none()     # a Principal, None for a guest, 401 for a bad token
    owner = cart_owner()         # {"user_id": 7} or {"session_id": "…"} (issued if missing)
"""
import logging
import re
import secrets

from flask import after_this_request, g, request

from gateway.auth import require_user
from gateway.errors import lookup
from gateway.rpc import rpc

log = logging.getLogger(__name__)

COOKIE = "aarya_cart"
HEADER = "X-Cart-Session"
COOKIE_PATH = "/api"              # the cart routes and /api/auth/login (where carts merge)
COOKIE_MAX_AGE_S = 30 * 24 * 3600  # the cart service keeps an idle cart this long
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")  # what the cart service accepts


def signed_in_or_none():
    """The caller if they sent a token (401 if it is bad: a client that meant to sign in must
    hear so), None if they sent none."""
    if "Authorization" not in request.headers:
        return None
    return require_user()


def guest_session_id():
    """The guest's cart session id from the header or the cookie, if it looks like ours."""
    for offered in (request.headers.get(HEADER), request.cookies.get(COOKIE)):
        if offered and _SESSION_ID.match(offered):
            return offered
    return None


def cart_owner():
    """Whose cart this request is about. A guest without a (valid) session gets a new one."""
    me = signed_in_or_none()
    if me is not None:
        return {"user_id": me.user_id}
    session_id = guest_session_id() or _issue_session()
    if "cart_session_echoed" not in g:
        g.cart_session_echoed = True

        @after_this_request
        def echo(response):
            response.headers[HEADER] = session_id
            return response
    return {"session_id": session_id}


def _issue_session():
    session_id = secrets.token_urlsafe(24)

    @after_this_request
    def remember(response):
        response.set_cookie(COOKIE, session_id, max_age=COOKIE_MAX_AGE_S, path=COOKIE_PATH,
                            httponly=True, samesite="Lax", secure=request.is_secure)
        return response
    return session_id


def merge_guest_cart(user_id):
    """At sign-in: fold the guest cart this request carried into the user's, then forget the
    guest session. A failed merge never fails the sign-in; the guest cart stays for a retry."""
    session_id = guest_session_id()
    if session_id is None:
        return None
    try:
        merged = rpc("cart").merge_carts(session_id, user_id)
    except Exception as exc:
        # The session is already open: losing its tokens to a cart problem would be worse.
        log.log(logging.WARNING if lookup(exc) else logging.ERROR,
                "guest cart not merged into user %s: %s: %s", user_id, type(exc).__name__, exc,
                exc_info=lookup(exc) is None)
        return None

    @after_this_request
    def forget(response):
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="Lax",
                               secure=request.is_secure)
        return response
    return merged
