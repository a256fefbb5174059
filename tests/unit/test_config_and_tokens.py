"""Config substitution and access tokens: pure logic, no servers."""
import time

import pytest

from kit.config import load_config
from kit.tokens import InvalidToken, VerifiedTokens, decode_access_token, issue_access_token
from tests.support.harness import assert_isolated_from_dev

AUTH = {"jwt_secret": "unit-test-secret-0123456789abcdef-long-enough", "access_ttl_s": 60}


def test_env_vars_override_config_defaults(monkeypatch):
    monkeypatch.setenv("REDIS_URI", "redis://example:6379/7")
    assert load_config("dev")["REDIS_URI"] == "redis://example:6379/7"
    monkeypatch.delenv("REDIS_URI")
    assert load_config("dev")["REDIS_URI"] == "redis://127.0.0.1:6379/0"


def test_the_test_env_never_shares_a_resource_with_dev():
    assert_isolated_from_dev(load_config("test"), load_config("dev"))


def test_an_access_token_carries_user_role_and_session():
    claims = decode_access_token(AUTH, issue_access_token(AUTH, 42, "support", "sid-1"))
    assert (claims["sub"], claims["role"], claims["sid"]) == ("42", "support", "sid-1")


def test_expired_tampered_and_foreign_tokens_are_refused():
    expired = issue_access_token(AUTH, 1, "customer", "s", now=time.time() - 3600)
    with pytest.raises(InvalidToken):
        decode_access_token(AUTH, expired)
    token = issue_access_token(AUTH, 1, "customer", "s")
    with pytest.raises(InvalidToken):
        decode_access_token(AUTH, token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(InvalidToken):
        decode_access_token({**AUTH, "jwt_secret": "another-secret-0123456789abcdef-long-enough"}, token)


def test_a_verified_token_is_remembered_until_it_expires_and_never_across_secrets():
    verified = VerifiedTokens(size=2)
    now = time.time()
    token = issue_access_token(AUTH, 7, "customer", "s-7", now=now)
    assert verified.decode(AUTH, token, now=now)["sub"] == "7"
    assert verified.decode(AUTH, token, now=now + 59)["sub"] == "7"     # remembered, still valid
    with pytest.raises(InvalidToken):
        verified.decode(AUTH, token, now=now + 60)                       # exp reached: refused
    other = {**AUTH, "jwt_secret": "another-secret-0123456789abcdef-long-enough"}
    with pytest.raises(InvalidToken):
        verified.decode(other, issue_access_token(AUTH, 8, "customer", "s-8"))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):  # a bad token is never remembered: refused every time
        with pytest.raises(InvalidToken):
            verified.decode(AUTH, tampered)


def test_verified_tokens_are_bounded():
    verified = VerifiedTokens(size=2)
    tokens = [issue_access_token(AUTH, n, "customer", f"s-{n}") for n in range(3)]
    for token in tokens:
        verified.decode(AUTH, token)
    assert len(verified._claims) == 2 and (AUTH["jwt_secret"], tokens[0]) not in verified._claims
