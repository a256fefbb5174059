"""Config substitution and access tokens: pure logic, no servers."""
import time

import pytest

from kit.config import load_config
from kit.tokens import InvalidToken, decode_access_token, issue_access_token
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
