"""What the chat, promotion and inbox-over-HTTP stories share: people talking to the real
gateway, each with an access token minted the way the users service mints them, and reads of
what the notifications service announced on notification_events.
"""
import random
import uuid

import requests

from kit.tokens import issue_access_token
from tests.support.harness import events_of_type


def an_id():
    return random.randint(10 ** 9, 10 ** 12)


class Person:
    """Someone using the shop through the gateway: a shopper, an agent, an admin, or (with no
    user id) a visitor who is not signed in."""

    def __init__(self, gateway_url, config, user_id=None, role="customer"):
        self.base_url = gateway_url
        self.user_id, self.role = user_id, role
        self.http = requests.Session()
        self.http.trust_env = False  # loopback, never through a proxy from the environment
        if user_id is not None:
            token = issue_access_token(config["AUTH"], user_id, role,
                                       f"notifications-test-{uuid.uuid4()}")
            self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kwargs):
        return self.http.request(method, self.base_url + path, timeout=30, **kwargs)

    def get(self, path, **params):
        return self.request("GET", path, params=params)

    def post(self, path, body=None):
        return self.request("POST", path, json=body)

    def patch(self, path, body):
        return self.request("PATCH", path, json=body)

    def delete(self, path):
        return self.request("DELETE", path)


class People:
    """Makes Persons for one gateway: `people.shopper()`, `people.agent()`, `people.visitor()`."""

    def __init__(self, gateway_url, config):
        self.gateway_url, self.config = gateway_url, config

    def shopper(self, user_id=None):
        return Person(self.gateway_url, self.config, user_id or an_id(), "customer")

    def agent(self, role="support"):
        return Person(self.gateway_url, self.config, an_id(), role)

    def visitor(self):
        return Person(self.gateway_url, self.config)


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def refused(response, status, code=None, field=None):
    """The gateway's JSON error with this status (and code, and a details.fields entry)."""
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["details"].get("fields", {}), error
    return error


def notification_events(redis_db, event_type, **match):
    return events_of_type(redis_db, "notification_events", event_type, **match)
