"""Access tokens: short-lived HS256 JWTs signed by the users service, verified by the gateway.

Verification needs only the shared secret, so the gateway checks a token without an RPC.
Logout must bite at once, so the users service also marks the session revoked in Redis
(`revoked_session_key`), which the gateway checks with one GET per request.
"""
import time
import uuid
from collections import OrderedDict

import jwt

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def revoked_session_key(session_id):
    return f"auth:revoked_session:{session_id}"


def issue_access_token(auth_config, user_id, role, session_id, now=None):
    now = int(now or time.time())
    claims = {
        "sub": str(user_id),
        "role": role,
        "sid": str(session_id),
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "iat": now,
        "exp": now + int(auth_config["access_ttl_s"]),
    }
    return jwt.encode(claims, auth_config["jwt_secret"], algorithm=ALGORITHM)


def decode_access_token(auth_config, token):
    """Return the claims of a valid, unexpired access token, else raise InvalidToken."""
    try:
        claims = jwt.decode(token, auth_config["jwt_secret"], algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub", "sid", "typ"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc))
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    return claims


class VerifiedTokens:
    """Claims of the access tokens already verified, so a token sent again (every request of a
    signed-in client) is not verified again: the same string always carries the same signature
    and claims, so only its expiry is checked anew (as PyJWT does: expired once exp <= now).
    Bounded: past `size` tokens the least recently used is forgotten. Keyed by the secret too,
    so apps with different configs in one process never share an answer."""

    def __init__(self, size=10_000):
        self.size = size
        self._claims = OrderedDict()

    def decode(self, auth_config, token, now=None):
        key = (auth_config["jwt_secret"], token)
        claims = self._claims.get(key)
        if claims is None:
            claims = decode_access_token(auth_config, token)
            self._claims[key] = claims
            if len(self._claims) > self.size:
                self._claims.popitem(last=False)
            return claims
        if int(claims["exp"]) <= (time.time() if now is None else now):
            del self._claims[key]
            raise InvalidToken("Signature has expired")
        self._claims.move_to_end(key)
        return claims
