"""Stories of a signed-in shopper's own account and of other people, through the gateway with the
real users service: profile edits, public profiles, follows, blocks, activity and the feed."""
import requests

from tests.gateway.helpers import assert_error, bearer, login, register


class Shopper:
    """A registered, signed-in shopper and the calls they make."""

    def __init__(self, api, **account):
        self.api = api
        self.account, self.user = register(api, **account)
        self.id = self.user["id"]
        self.headers = bearer(login(api, self.account)["access_token"])

    def get(self, path, **kwargs):
        return requests.get(self.api + path, headers=self.headers, timeout=15, **kwargs)

    def send(self, method, path, body=None):
        return requests.request(method, self.api + path, json=body, headers=self.headers,
                                timeout=15)


def test_a_shopper_reads_their_own_account(api):
    asha = Shopper(api)
    me = asha.get("/api/users/me")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == asha.id
    assert me.json()["email"] == asha.account["email"]


def test_a_shopper_edits_their_profile(api):
    asha = Shopper(api)
    changes = {"full_name": "Asha R.", "bio": "Tea and trains", "phone": "+91 98765 43210"}
    response = asha.send("PATCH", "/api/users/me", changes)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in changes} == changes
    assert asha.get("/api/users/me").json()["bio"] == "Tea and trains"


def test_a_profile_edit_with_bad_fields_names_them(api):
    asha = Shopper(api)
    response = asha.send("PATCH", "/api/users/me", {"username": "x", "avatar_url": "not a url"})
    error = assert_error(response, 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"username", "avatar_url"}


def test_a_phone_longer_than_the_account_keeps_is_a_422_not_a_502(api):
    """A '+' and 20 more characters passed the pattern but not the 20-character column."""
    asha = Shopper(api)
    response = asha.send("PATCH", "/api/users/me", {"phone": "+-5  81015080-269513("})
    error = assert_error(response, 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"phone"}


def test_a_profile_edit_cannot_take_someone_elses_username(api):
    asha, ravi = Shopper(api), Shopper(api)
    response = asha.send("PATCH", "/api/users/me", {"username": ravi.account["username"]})
    assert_error(response, 409, "username_taken")


def test_a_shopper_sees_another_public_profile_without_private_fields(api):
    asha, ravi = Shopper(api), Shopper(api)
    response = asha.get(f"/api/users/{ravi.id}")
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["username"] == ravi.account["username"]
    assert "email" not in profile and "phone" not in profile


def test_an_unknown_user_is_404(api):
    asha = Shopper(api)
    assert_error(asha.get("/api/users/999999999"), 404)


def test_following_and_unfollowing(api):
    asha, ravi = Shopper(api), Shopper(api)
    followed = asha.send("POST", f"/api/users/{ravi.id}/follow")
    assert followed.status_code == 200, followed.text
    assert [u["id"] for u in asha.get("/api/users/me/following").json()["items"]] == [ravi.id]
    assert [u["id"] for u in ravi.get("/api/users/me/followers").json()["items"]] == [asha.id]
    assert asha.get(f"/api/users/{ravi.id}").json()["followers"] == 1
    assert asha.send("DELETE", f"/api/users/{ravi.id}/follow").status_code == 200
    assert asha.get("/api/users/me/following").json()["items"] == []


def test_a_shopper_cannot_follow_themselves(api):
    asha = Shopper(api)
    assert_error(asha.send("POST", f"/api/users/{asha.id}/follow"), 422)


def test_a_blocked_shopper_no_longer_sees_the_blocker(api):
    asha, ravi = Shopper(api), Shopper(api)
    ravi.send("POST", f"/api/users/{asha.id}/follow")
    assert asha.send("POST", f"/api/users/{ravi.id}/block").status_code == 200
    assert_error(ravi.get(f"/api/users/{asha.id}"), 404)
    assert asha.get("/api/users/me/followers").json()["items"] == []
    assert asha.send("DELETE", f"/api/users/{ravi.id}/block").status_code == 200
    assert ravi.get(f"/api/users/{asha.id}").status_code == 200


def test_a_shopper_pages_through_their_activity(api):
    asha, ravi, meera = Shopper(api), Shopper(api), Shopper(api)
    asha.send("POST", f"/api/users/{ravi.id}/follow")
    asha.send("POST", f"/api/users/{meera.id}/follow")
    everything = asha.get("/api/users/me/activity").json()["items"]
    assert {"registered", "logged_in", "followed"} <= {a["type"] for a in everything}
    first = asha.get("/api/users/me/activity", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_before_id"] == first["items"][-1]["id"]
    rest = asha.get("/api/users/me/activity",
                    params={"limit": 100, "before_id": first["next_before_id"]}).json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [a["id"] for a in everything]
    assert rest["next_before_id"] is None


def test_the_feed_shows_what_followed_people_did(api):
    asha, ravi = Shopper(api), Shopper(api)
    asha.send("POST", f"/api/users/{ravi.id}/follow")
    ravi.send("PATCH", "/api/users/me", {"bio": "New here"})
    feed = asha.get("/api/users/me/feed").json()["items"]
    assert feed and all(item["user_id"] == ravi.id for item in feed)
    assert "profile_updated" in {item["type"] for item in feed}
