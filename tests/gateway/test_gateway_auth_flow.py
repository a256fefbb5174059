"""Stories of a shopper's account through the gateway, with the real users service behind it:
registering, signing in, the brute-force brake on sign-in, refresh rotation and signing out."""
import uuid

import requests

from tests.gateway.helpers import (
    CONFIG, assert_error, bearer, login, new_account, register, session_from,
)

LOGIN_FAILURE_LIMIT = int(CONFIG["GATEWAY"]["login_failures_per_minute"])


def post(api, path, body, **kwargs):
    return requests.post(f"{api}{path}", json=body, timeout=15, **kwargs)


# ---- registering -----------------------------------------------------------------------------

def test_a_shopper_registers_and_gets_their_account_back(api):
    account, user = register(api)
    assert user["email"] == account["email"]
    assert user["username"] == account["username"]
    assert user["full_name"] == account["full_name"]
    assert user["role"] == "customer"
    assert isinstance(user["id"], int)
    assert "password" not in user and "password_hash" not in user


def test_registering_answers_201_with_the_new_users_location(api):
    response = post(api, "/api/auth/register", new_account())
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/api/users/{response.json()['id']}"


def test_an_email_can_only_register_once(api):
    account, _ = register(api)
    again = new_account(email=account["email"])
    assert_error(post(api, "/api/auth/register", again), 409, "email_taken")


def test_a_username_can_only_be_taken_once(api):
    account, _ = register(api)
    again = new_account(username=account["username"])
    assert_error(post(api, "/api/auth/register", again), 409, "username_taken")


def test_invalid_registration_names_each_bad_field(api):
    response = post(api, "/api/auth/register",
                    {"email": "not-an-email", "username": "x", "password": "short"})
    error = assert_error(response, 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"email", "username", "password", "full_name"}


# ---- signing in ------------------------------------------------------------------------------

def test_a_registered_shopper_signs_in_and_sees_their_account(api):
    account, user = register(api)
    tokens = login(api, account)
    assert set(tokens) >= {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["expires_in"] == int(CONFIG["AUTH"]["access_ttl_s"])
    assert tokens["user"]["id"] == user["id"]
    me = requests.get(f"{api}/api/users/me", headers=bearer(tokens["access_token"]), timeout=15)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == account["email"]


def test_a_wrong_password_and_an_unknown_email_look_exactly_alike(api):
    account, _ = register(api)
    client = session_from()
    wrong_password = client.post(f"{api}/api/auth/login", timeout=15, json={
        "email": account["email"], "password": "not my password"})
    unknown_email = client.post(f"{api}/api/auth/login", timeout=15, json={
        "email": f"nobody-{uuid.uuid4().hex}@example.com", "password": "not my password"})
    assert_error(wrong_password, 401, "invalid_credentials")
    assert_error(unknown_email, 401)
    assert wrong_password.json() == unknown_email.json()


def test_the_eleventh_failed_sign_in_for_one_email_within_a_minute_is_429(api):
    account, _ = register(api)
    wrong = {"email": account["email"], "password": "guessing"}
    for attempt in range(LOGIN_FAILURE_LIMIT):
        # Each guess from another address: the email's own count must trip.
        response = session_from().post(f"{api}/api/auth/login", json=wrong, timeout=15)
        assert_error(response, 401, "invalid_credentials")
    blocked = session_from().post(f"{api}/api/auth/login", json=wrong, timeout=15)
    assert_error(blocked, 429, "too_many_failed_logins")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Blocked before the users service is asked: even the right password waits.
    right = {"email": account["email"], "password": account["password"]}
    assert_error(session_from().post(f"{api}/api/auth/login", json=right, timeout=15),
                 429, "too_many_failed_logins")


def test_the_eleventh_failed_sign_in_from_one_ip_within_a_minute_is_429(api):
    client = session_from()
    for _ in range(LOGIN_FAILURE_LIMIT):
        response = client.post(f"{api}/api/auth/login", timeout=15, json={
            "email": f"guess-{uuid.uuid4().hex}@example.com", "password": "guessing"})
        assert_error(response, 401, "invalid_credentials")
    blocked = client.post(f"{api}/api/auth/login", timeout=15, json={
        "email": f"guess-{uuid.uuid4().hex}@example.com", "password": "guessing"})
    assert_error(blocked, 429, "too_many_failed_logins")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Another client is not held back by that address's failures.
    account, _ = register(api)
    assert session_from().post(f"{api}/api/auth/login", timeout=15, json={
        "email": account["email"], "password": account["password"]}).status_code == 200


def test_a_successful_sign_in_forgives_that_emails_earlier_typos(api):
    account, _ = register(api)
    for _ in range(LOGIN_FAILURE_LIMIT - 1):
        session_from().post(
            f"{api}/api/auth/login", json={"email": account["email"], "password": "typo"},
            timeout=15)
    login(api, account)
    # Without forgiveness the first typo below would be the limit's 10th and the second a 429.
    for _ in range(2):
        response = session_from().post(
            f"{api}/api/auth/login", json={"email": account["email"], "password": "typo"},
            timeout=15)
        assert_error(response, 401, "invalid_credentials")


# ---- refresh and sign out --------------------------------------------------------------------

def test_a_refresh_token_works_once_and_is_rotated(api):
    account, user = register(api)
    first = login(api, account)
    rotated = post(api, "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["id"] == user["id"]
    me = requests.get(f"{api}/api/users/me", headers=bearer(second["access_token"]), timeout=15)
    assert me.status_code == 200
    replayed = post(api, "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert_error(replayed, 401, "invalid_refresh_token")


def test_refresh_without_a_token_names_the_field(api):
    error = assert_error(post(api, "/api/auth/refresh", {}), 422, "validation_failed")
    assert list(error["details"]["fields"]) == ["refresh_token"]


def test_signing_out_kills_the_access_token_at_once(api):
    account, _ = register(api)
    tokens = login(api, account)
    headers = bearer(tokens["access_token"])
    assert requests.get(f"{api}/api/users/me", headers=headers, timeout=15).status_code == 200
    response = requests.post(f"{api}/api/auth/logout", headers=headers, timeout=15)
    assert response.status_code == 200, response.text
    assert_error(requests.get(f"{api}/api/users/me", headers=headers, timeout=15),
                 401, "session_revoked")
    assert_error(post(api, "/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}), 401)


def test_signing_out_one_device_leaves_the_other_signed_in(api):
    account, _ = register(api)
    phone, laptop = login(api, account), login(api, account)
    requests.post(f"{api}/api/auth/logout", headers=bearer(phone["access_token"]), timeout=15)
    response = requests.get(f"{api}/api/users/me", headers=bearer(laptop["access_token"]),
                            timeout=15)
    assert response.status_code == 200, response.text


def test_sign_out_needs_a_token(api):
    assert_error(requests.post(f"{api}/api/auth/logout", timeout=15), 401, "missing_token")
