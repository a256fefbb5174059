"""The served OpenAPI document is the one built from the marshmallow schemas, and what the
gateway really answers matches the response schemas it names."""
import json
import subprocess
import sys

import jsonschema
import requests

from kit.config import ROOT
from tests.gateway.helpers import bearer, login, new_account
from tests.support.openapi import assert_matches, json_schema


def test_the_committed_document_is_the_one_the_schemas_build():
    result = subprocess.run([sys.executable, "-m", "gateway.openapi", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_the_gateway_serves_that_document(base_url):
    served = requests.get(f"{base_url}/api/openapi.json", timeout=5).json()
    assert served == json.loads((ROOT / "gateway" / "openapi.json").read_text())


def test_real_user_responses_match_their_response_schemas(api):
    document = requests.get(f"{api}/api/openapi.json", timeout=5).json()
    account = new_account()
    created = requests.post(f"{api}/api/auth/register", json=account, timeout=10)
    assert created.status_code == 201
    assert_matches(document, "/api/auth/register", "post", created)
    token = login(api, account)["access_token"]
    me = requests.get(f"{api}/api/users/me", headers=bearer(token), timeout=10)
    assert me.status_code == 200
    assert_matches(document, "/api/users/me", "get", me)
    profile = requests.get(f"{api}/api/users/{created.json()['id']}", headers=bearer(token),
                           timeout=10)
    assert_matches(document, "/api/users/{user_id}", "get", profile)
    # A follow list's items carry `since` besides the public fields.
    follower = new_account()
    requests.post(f"{api}/api/auth/register", json=follower, timeout=10)
    follower_token = login(api, follower)["access_token"]
    followed = requests.post(f"{api}/api/users/{created.json()['id']}/follow",
                             headers=bearer(follower_token), timeout=10)
    assert followed.status_code in (200, 201), followed.text
    following = requests.get(f"{api}/api/users/me/following", headers=bearer(follower_token),
                             timeout=10)
    assert following.status_code == 200 and following.json()["items"], following.text
    assert_matches(document, "/api/users/me/following", "get", following)
    followers = requests.get(f"{api}/api/users/me/followers", headers=bearer(token), timeout=10)
    assert followers.json()["items"], followers.text
    assert_matches(document, "/api/users/me/followers", "get", followers)


def test_a_response_that_breaks_its_schema_is_caught(api):
    """The check above can fail: a user without its email does not pass as a User."""
    document = requests.get(f"{api}/api/openapi.json", timeout=5).json()
    account = new_account()
    created = requests.post(f"{api}/api/auth/register", json=account, timeout=10)
    broken = dict(created.json())
    del broken["email"]
    root = {"components": json_schema(document["components"]),
            "$ref": "#/components/schemas/User"}
    try:
        jsonschema.validate(broken, root)
    except jsonschema.ValidationError as error:
        assert "email" in error.message
    else:
        raise AssertionError("a User without email passed its schema")
