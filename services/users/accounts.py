"""Accounts: registration, passwords, login, refresh-token rotation, logout.

Passwords are argon2id hashes. Hashing is deliberately slow CPU work, so it runs in eventlet's
OS-thread pool (argon2-cffi releases the GIL) and never stalls the service's other workers.
Refresh tokens are `<session id>.<secret>`; only SHA-256(secret) is stored, and every refresh
replaces it (rotation). Presenting a superseded secret revokes the whole session: that token
was copied.
"""
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from kit.errors import Conflict, Unauthorized
from kit.tokens import issue_access_token
from services.users.models import User, UserSession

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def password_matches(password_hash, password):
    try:
        return tpool.execute(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _secret_hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def now_utc():
    return datetime.now(timezone.utc)


def find_by_email(session, email):
    return session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))


def ensure_unique(session, email=None, username=None, exclude_id=None):
    """Raise Conflict naming the taken field (the unique indexes still guard races)."""
    for field, value, column in (("email", email, User.email),
                                 ("username", username, User.username)):
        if value is None:
            continue
        query = sa.select(User.id).where(sa.func.lower(column) == value.lower())
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if session.scalar(query) is not None:
            raise Conflict(f"{field}_taken", f"That {field} is already registered.",
                           {"field": field})


def create_user(session, email, username, password, full_name, role="customer"):
    ensure_unique(session, email=email, username=username)
    user = User(email=email.strip(), username=username, full_name=full_name.strip(), role=role,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def open_session(session, user, auth_config, ip=None, user_agent=None):
    """Create a refresh session and return the token pair for it."""
    session_id = str(uuid.uuid4())
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(
        id=session_id, user_id=user.id, refresh_token_hash=_secret_hash(secret),
        ip_address=(ip or "")[:64] or None, user_agent=(user_agent or "")[:300] or None,
        expires_at=now_utc() + timedelta(seconds=int(auth_config["refresh_ttl_s"])),
    ))
    return token_pair(user, session_id, secret, auth_config)


def token_pair(user, session_id, secret, auth_config):
    return {
        "access_token": issue_access_token(auth_config, user.id, user.role, session_id),
        "refresh_token": f"{session_id}.{secret}",
        "token_type": "Bearer",
        "expires_in": int(auth_config["access_ttl_s"]),
    }


def authenticate(session, email, password):
    """The user for these credentials, or Unauthorized — the same error for every failure."""
    user = find_by_email(session, email)
    if user is None:
        password_matches(_DUMMY_HASH, password)
    elif user.is_active and password_matches(user.password_hash, password):
        return user
    raise Unauthorized("invalid_credentials", "Email or password is incorrect.")


def _invalid_refresh():
    return Unauthorized("invalid_refresh_token", "The refresh token is not valid.")


def rotate_refresh(session, refresh_token, auth_config):
    """Exchange a refresh token for a new pair. Returns (user, pair, revoked_session_id)."""
    session_id, _, secret = (refresh_token or "").partition(".")
    try:
        uuid.UUID(session_id)
    except ValueError:
        raise _invalid_refresh()
    row = session.scalar(sa.select(UserSession).where(UserSession.id == session_id)
                         .with_for_update())
    if row is None or row.revoked_at is not None or row.expires_at <= now_utc():
        raise _invalid_refresh()
    if not hmac.compare_digest(row.refresh_token_hash, _secret_hash(secret)):
        row.revoked_at = now_utc()  # a superseded token came back: treat as stolen
        return None, None, session_id
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise _invalid_refresh()
    new_secret = secrets.token_urlsafe(32)
    row.refresh_token_hash = _secret_hash(new_secret)
    row.last_used_at = now_utc()
    return user, token_pair(user, session_id, new_secret, auth_config), None


def revoke_session(session, session_id):
    """Mark a refresh session revoked; True if it was live."""
    result = session.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now_utc()))
    return result.rowcount > 0
