"""The gateway's RPC path under its real gunicorn gevent worker, against a real nameko service
(tests/gateway/probe_service.py): correlation ids as context data, one call per pooled proxy,
broken proxies replaced, and the one error table from service errors to HTTP statuses.

The probe gateway runs one worker with a pool of 2 proxies and a 1 s RPC timeout."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.gateway.helpers import assert_error


def pool_stats(probe):
    return requests.get(f"{probe.base_url}/_probe/pool", timeout=5).json()


def test_the_worker_runs_gevent_patched(probe):
    log = probe.log_text()
    assert "(gevent-patched)" in log
    assert "MonkeyPatchWarning" not in log
    assert "imported in the gunicorn master before gevent patching" not in log


def test_the_correlation_id_reaches_the_service_as_context_data(probe):
    response = requests.get(f"{probe.base_url}/_probe/context",
                            headers={"X-Correlation-ID": "req-from-the-client"}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["correlation_id"] == "req-from-the-client"


def test_a_generated_correlation_id_is_the_one_the_service_sees(probe):
    response = requests.get(f"{probe.base_url}/_probe/context", timeout=5)
    assert response.json()["correlation_id"] == response.headers["X-Correlation-ID"]


def test_concurrent_requests_share_a_small_pool_without_crossing_replies(probe):
    def call(i):
        response = requests.get(f"{probe.base_url}/_probe/context",
                                headers={"X-Correlation-ID": f"req-concurrent-{i}"}, timeout=10)
        return i, response.status_code, response.json().get("correlation_id")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(call, range(60)))
    assert all(status == 200 for _, status, _ in results), results
    assert all(seen == f"req-concurrent-{i}" for i, _, seen in results), results
    assert pool_stats(probe)["opened"] - pool_stats(probe)["discarded"] <= 2


def test_slow_calls_wait_for_a_free_proxy_rather_than_share_one(probe):
    # Pool of 2, three calls of 0.4 s at once: the third waits for a proxy, all succeed.
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(
            lambda _: requests.get(f"{probe.base_url}/_probe/sleep/0.4", timeout=10), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]


def test_a_call_past_the_rpc_timeout_is_503_and_its_proxy_is_replaced(probe):
    before = pool_stats(probe)["discarded"]
    response = requests.get(f"{probe.base_url}/_probe/sleep/2.0", timeout=10)
    assert_error(response, 503, "upstream_unavailable")
    assert pool_stats(probe)["discarded"] == before + 1
    # The late reply lands on the discarded proxy, never on the next caller's.
    follow_up = requests.get(f"{probe.base_url}/_probe/context",
                             headers={"X-Correlation-ID": "req-after-timeout"}, timeout=5)
    assert follow_up.json()["correlation_id"] == "req-after-timeout"


def test_idle_proxies_with_broken_connections_are_replaced_before_use(probe):
    for _ in range(2):  # warm both proxies
        requests.get(f"{probe.base_url}/_probe/context", timeout=5)
    broken = requests.post(f"{probe.base_url}/_probe/break-idle-proxies", timeout=5).json()["broken"]
    assert broken >= 1
    before = pool_stats(probe)["discarded"]
    response = requests.get(f"{probe.base_url}/_probe/context",
                            headers={"X-Correlation-ID": "req-after-break"}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["correlation_id"] == "req-after-break"
    assert pool_stats(probe)["discarded"] >= before + 1


@pytest.mark.parametrize("kind,status", [
    ("ValidationFailed", 422), ("BadRequest", 400), ("NotFound", 404), ("Conflict", 409),
    ("Unauthorized", 401), ("Forbidden", 403), ("TooManyRequests", 429),
])
def test_service_errors_keep_their_code_and_details_and_get_their_status(probe, kind, status):
    error = assert_error(requests.get(f"{probe.base_url}/_probe/raise/{kind}", timeout=5), status)
    assert error == {"code": "probe_code", "message": "probe message", "details": {"probe": "yes"}}


def test_error_details_keep_their_json_types_across_rpc(probe):
    error = assert_error(requests.get(f"{probe.base_url}/_probe/raise-typed-details", timeout=5),
                         404)
    assert error["details"] == {"user_id": 5, "ok": True, "gone": None,
                                "fields": {"limit": ["Too big."]}}


def test_a_bug_in_a_service_is_a_502_without_its_traceback(probe):
    response = requests.get(f"{probe.base_url}/_probe/crash", timeout=5)
    error = assert_error(response, 502, "upstream_error")
    assert "ValueError" not in response.text and "Traceback" not in response.text
    assert error["details"]["correlation_id"] == response.headers["X-Correlation-ID"]


def test_a_service_nobody_runs_is_a_503(probe):
    assert_error(requests.get(f"{probe.base_url}/_probe/unknown-service", timeout=5),
                 503, "upstream_unavailable")


def test_a_bug_in_the_gateway_is_a_logged_500_without_a_traceback(probe):
    response = requests.get(f"{probe.base_url}/_probe/bug", timeout=5)
    error = assert_error(response, 500, "internal_error")
    assert "KeyError" not in response.text and "Traceback" not in response.text
    correlation_id = response.headers["X-Correlation-ID"]
    assert error["details"]["correlation_id"] == correlation_id
    assert f"unexpected error [correlation_id={correlation_id}]" in probe.log_text()
