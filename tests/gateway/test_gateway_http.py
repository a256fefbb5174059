"""What any client sees of the gateway before a service is involved: health, the API document,
JSON errors for bad requests, body limits and the correlation id."""
import json
import re

import requests

from gateway.app import create_app
from tests.gateway.helpers import CONFIG, access_token, assert_error, bearer


def test_health_is_ok_without_any_backend(base_url):
    response = requests.get(f"{base_url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# ---- correlation id --------------------------------------------------------------------------

def test_a_request_without_correlation_id_gets_one_made_up(base_url):
    response = requests.get(f"{base_url}/health", timeout=5)
    assert re.fullmatch(r"req-[0-9a-f]{32}", response.headers["X-Correlation-ID"])


def test_the_clients_correlation_id_is_echoed(base_url):
    response = requests.get(f"{base_url}/health", headers={"X-Correlation-ID": "req-abc.123"},
                            timeout=5)
    assert response.headers["X-Correlation-ID"] == "req-abc.123"


def test_an_unsafe_correlation_id_is_replaced(base_url):
    response = requests.get(f"{base_url}/health", headers={"X-Correlation-ID": "x" * 500},
                            timeout=5)
    assert re.fullmatch(r"req-[0-9a-f]{32}", response.headers["X-Correlation-ID"])


def test_errors_carry_the_correlation_id_too(base_url):
    response = requests.get(f"{base_url}/api/nowhere", headers={"X-Correlation-ID": "trace-42"},
                            timeout=5)
    assert response.status_code == 404
    assert response.headers["X-Correlation-ID"] == "trace-42"


# ---- JSON errors from the web layer ----------------------------------------------------------

def test_an_unknown_route_is_a_json_404(base_url):
    assert_error(requests.get(f"{base_url}/api/nowhere", timeout=5), 404, "not_found")


def test_a_wrong_method_is_a_json_405_that_says_what_is_allowed(base_url):
    response = requests.delete(f"{base_url}/api/auth/login", timeout=5)
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_a_400(base_url):
    response = requests.post(f"{base_url}/api/auth/login", data='{"email": "a@b.c",',
                             headers={"Content-Type": "application/json"}, timeout=5)
    assert_error(response, 400, "malformed_json")


def test_an_empty_body_is_malformed_json(base_url):
    assert_error(requests.post(f"{base_url}/api/auth/register", timeout=5), 400, "malformed_json")


def test_json_that_is_not_an_object_is_a_400(base_url):
    for body in ([1, 2], "text", 42, None):
        response = requests.post(f"{base_url}/api/auth/register", data=json.dumps(body),
                                 headers={"Content-Type": "application/json"}, timeout=5)
        assert_error(response, 400, "json_object_required")


def test_a_body_over_the_limit_is_a_json_413(base_url):
    too_big = b"{" + b" " * int(CONFIG["GATEWAY"]["max_body_bytes"]) + b"}"
    response = requests.post(f"{base_url}/api/auth/register", data=too_big,
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert_error(response, 413, "payload_too_large")


def test_a_request_line_longer_than_gunicorn_reads_is_a_json_414(base_url):
    response = requests.get(f"{base_url}/api/search", params={"q": "é" * 3000}, timeout=10)
    assert_error(response, 414, "uri_too_long")


def test_a_chunked_body_over_the_limit_is_a_json_413_as_well(base_url):
    chunk = b" " * 65536
    chunks = int(CONFIG["GATEWAY"]["max_body_bytes"]) // len(chunk) + 2

    def body():
        yield b"{"
        for _ in range(chunks):
            yield chunk
        yield b"}"

    response = requests.post(f"{base_url}/api/auth/register", data=body(),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert_error(response, 413, "payload_too_large")


def test_login_without_email_or_password_names_both_fields(base_url):
    error = assert_error(requests.post(f"{base_url}/api/auth/login", json={"email": " "},
                                       timeout=5), 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"email", "password"}


def test_page_limits_outside_1_to_100_are_a_422_naming_the_parameter(base_url):
    headers = bearer(access_token())
    for path in ("/api/users/me/followers?limit=0", "/api/users/me/following?limit=101",
                 "/api/users/me/activity?limit=abc", "/api/users/me/feed?before_id=0"):
        error = assert_error(requests.get(base_url + path, headers=headers, timeout=5),
                             422, "validation_failed")
        name = path.split("?")[1].split("=")[0]
        assert list(error["details"]["fields"]) == [name], path


def test_a_patch_with_malformed_json_is_a_400_once_signed_in(base_url):
    response = requests.patch(f"{base_url}/api/users/me", data="{nope", headers=bearer(access_token()),
                              timeout=5)
    assert_error(response, 400, "malformed_json")


# ---- the API document ------------------------------------------------------------------------

def _served_operations():
    """(path in OpenAPI form, method) for every route the app serves."""
    app = create_app(config=CONFIG)
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((path, method.lower()))
    return operations


def _resolve(document, ref):
    node = document
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_the_openapi_document_describes_every_route_and_nothing_else(base_url):
    response = requests.get(f"{base_url}/api/openapi.json", timeout=5)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert described == _served_operations()


def test_the_openapi_document_is_self_consistent(base_url):
    document = requests.get(f"{base_url}/api/openapi.json", timeout=5).json()
    assert {"title", "version"} <= set(document["info"])
    for ref in _refs(document):
        assert ref.startswith("#/"), ref
        _resolve(document, ref)  # raises KeyError if dangling
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    operation_ids = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            operation_ids.append(op["operationId"])
            assert op["responses"], (path, method)
            for requirement in op.get("security", []):
                assert set(requirement) <= set(schemes)
            for name in re.findall(r"{([a-z_]+)}", path):
                assert any(p["name"] == name and p["in"] == "path"
                           for p in op.get("parameters", [])), (path, method, name)
    assert len(operation_ids) == len(set(operation_ids))


def test_signed_in_routes_are_documented_as_needing_a_bearer_token(base_url):
    document = requests.get(f"{base_url}/api/openapi.json", timeout=5).json()
    for path, item in document["paths"].items():
        for method, op in item.items():
            public = path in ("/health", "/metrics", "/api/openapi.json") or (
                path.startswith("/api/auth/") and path != "/api/auth/logout")
            if path.startswith("/sse/"):
                continue  # public live feeds: no token, nothing to refuse
            assert ("security" in op) == (not public), (path, method)
            if path.startswith("/ws/"):
                # A socket is refused by closing it with 1008 (policy), not with an HTTP 401.
                assert "1008" in json.dumps(op), (path, method)
            elif not public:
                assert "401" in op["responses"]
