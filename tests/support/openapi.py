"""A real response checked against the schema the served OpenAPI document names for it.

The area stories (tests/<area>/test_*_response_schemas.py) make real requests and hand each
response to `assert_matches`; tests/gateway/test_openapi_document.py shows it can fail.
"""
import jsonschema
import requests


def served_document(base_url):
    response = requests.get(f"{base_url}/api/openapi.json", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches(document, operation_path, method, response):
    """The response's body validates against the schema its operation documents for its status
    (a status the operation does not document fails too)."""
    responses = document["paths"][operation_path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, (f"{method.upper()} {operation_path} answered {status}, which "
                                 f"it does not document: {response.text[:500]}")
    schema = responses[status]["content"]["application/json"]["schema"]
    root = {"components": json_schema(document["components"]), **json_schema(schema)}
    jsonschema.validate(response.json(), root)
    return response.json()


def checked(document, operation_path, method, response, status=200):
    """assert_matches for a response that must have this status."""
    assert response.status_code == status, (method, operation_path, response.status_code,
                                            response.text[:500])
    return assert_matches(document, operation_path, method, response)
