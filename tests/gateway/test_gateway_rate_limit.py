"""A client that sends more than GATEWAY.rate_limit_per_minute requests in a minute is told to
wait (429 + Retry-After); other clients and health probes are not affected."""
import time

from tests.gateway.helpers import assert_error, session_from

LIMIT = 5  # the limited_gateway fixture's RATE_LIMIT_PER_MINUTE


def start_of_a_fresh_window():
    # The window is the clock minute: do not start a count in its last seconds.
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.1)


def test_requests_past_the_per_minute_limit_are_429_with_retry_after(limited_gateway):
    start_of_a_fresh_window()
    client = session_from()
    url = f"{limited_gateway.base_url}/api/users/me"
    remaining = []
    for _ in range(LIMIT):
        response = client.get(url, timeout=5)
        assert_error(response, 401)  # let through to the route, which wants a token
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    blocked = client.get(url, timeout=5)
    assert_error(blocked, 429, "rate_limited")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Someone else, and the health probe, still get through.
    assert session_from().get(url, timeout=5).status_code == 401
    assert client.get(f"{limited_gateway.base_url}/health", timeout=5).status_code == 200
