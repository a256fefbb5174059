"""A signed-in route lets in only a valid, unexpired, unrevoked access token — checked by the
gateway alone (no RPC): tokens here are minted with kit.tokens and the test secret.

"Let in" is observed without the users service: with a good token, a request with a bad page
limit gets past auth and fails on the limit (422) instead of 401."""
import time
import uuid

import jwt
import pytest
import requests

from kit.tokens import revoked_session_key
from tests.gateway.helpers import CONFIG, access_token, assert_error, bearer

SIGNED_IN = "/api/users/me/followers?limit=0"  # auth first, then a 422 without any RPC


def get(base_url, headers=None):
    return requests.get(base_url + SIGNED_IN, headers=headers or {}, timeout=5)


def test_a_valid_token_is_let_in(base_url):
    assert_error(get(base_url, bearer(access_token())), 422, "validation_failed")


def test_no_token_is_401_with_a_bearer_challenge(base_url):
    response = get(base_url)
    assert_error(response, 401, "missing_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token"])
def test_an_authorization_header_without_a_bearer_token_is_401(base_url, authorization):
    assert_error(get(base_url, {"Authorization": authorization}), 401, "missing_token")


def test_a_garbage_token_is_401(base_url):
    assert_error(get(base_url, bearer("not.a.jwt")), 401, "invalid_token")


def test_a_token_signed_with_another_secret_is_401(base_url):
    forged = access_token(secret="someone-elses-secret-0123456789abcdef")
    assert_error(get(base_url, bearer(forged)), 401, "invalid_token")


def test_an_expired_token_is_401(base_url):
    long_ago = time.time() - int(CONFIG["AUTH"]["access_ttl_s"]) - 60
    assert_error(get(base_url, bearer(access_token(now=long_ago))), 401, "invalid_token")


def test_a_token_that_is_not_an_access_token_is_401(base_url):
    now = int(time.time())
    claims = {"sub": "1", "sid": str(uuid.uuid4()), "typ": "refresh", "role": "customer",
              "iat": now, "exp": now + 600}
    token = jwt.encode(claims, CONFIG["AUTH"]["jwt_secret"], algorithm="HS256")
    assert_error(get(base_url, bearer(token)), 401, "invalid_token")


def test_an_unsigned_token_is_401(base_url):
    now = int(time.time())
    claims = {"sub": "1", "sid": "s", "typ": "access", "iat": now, "exp": now + 600}
    token = jwt.encode(claims, key=None, algorithm="none")
    assert_error(get(base_url, bearer(token)), 401, "invalid_token")


def test_a_token_of_a_revoked_session_is_401_at_once(base_url, redis_db):
    session_id = f"test-{uuid.uuid4()}"
    token = access_token(session_id=session_id)
    assert get(base_url, bearer(token)).status_code == 422  # let in before the logout
    redis_db.set(revoked_session_key(session_id), 1, ex=120)
    try:
        assert_error(get(base_url, bearer(token)), 401, "session_revoked")
    finally:
        redis_db.delete(revoked_session_key(session_id))


def test_a_token_with_a_role_we_do_not_have_is_401(base_url):
    assert_error(get(base_url, bearer(access_token(role="superuser"))), 401, "invalid_token")


def test_staff_routes_turn_customers_away_with_403(probe):
    url = f"{probe.base_url}/_probe/staff-only"
    error = assert_error(requests.get(url, headers=bearer(access_token(role="customer")),
                                      timeout=5), 403, "forbidden")
    assert error["details"]["required_roles"] == ["support", "admin"]
    agent = requests.get(url, headers=bearer(access_token(user_id=7, role="support")), timeout=5)
    assert agent.status_code == 200 and agent.json() == {"user_id": 7, "role": "support"}
    assert_error(requests.get(url, timeout=5), 401, "missing_token")
