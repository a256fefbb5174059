"""Stories of GET /api/users/me served from the users service's cache entry (kit/me_cache),
through a real gateway, users service and Redis: a repeat read is a hit, and no write of the
account — through the gateway, through another RPC, or racing with readers — is ever hidden.

When the whole platform runs beside these stories, its consumers may read a new account
(get_user) before the story does, so no story counts on its first read being a miss."""
import threading
import time

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from kit import me_cache
from tests.gateway.helpers import CONFIG, assert_error
from tests.gateway.test_gateway_users import Shopper


def read(shopper):
    response = shopper.get("/api/users/me")
    assert response.status_code == 200, response.text
    return response


def settled(redis_db, key, quiet_s=1.5, timeout=20):
    """Until the entry has stood unchanged for quiet_s: the platform's search indexer reads
    (and so re-stores) a new account once its events arrive, which would replace a planted one."""
    deadline = time.monotonic() + timeout
    last = redis_db.get(key)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = redis_db.get(key)
        if now is not None and now == last:
            return
        last = now
    raise AssertionError(f"{key} kept changing for {timeout} s")


def test_a_repeat_read_of_my_account_is_a_cache_hit_with_the_same_body(api):
    asha = Shopper(api)
    first, second = read(asha), read(asha)
    assert second.headers["X-Cache"] == "hit"
    assert second.json() == first.json()
    assert second.json()["email"] == asha.account["email"]


def test_a_profile_edit_shows_at_once_though_the_account_was_cached(api):
    asha = Shopper(api)
    read(asha), read(asha)
    edited = asha.send("PATCH", "/api/users/me", {"bio": "Block prints"})
    assert edited.status_code == 200, edited.text
    after = read(asha)
    assert after.json()["bio"] == "Block prints"
    assert after.json() == edited.json()
    again = read(asha)
    assert again.headers["X-Cache"] == "hit" and again.json()["bio"] == "Block prints"


def test_a_write_by_another_rpc_moves_the_generation_too(api):
    """Presence is written by set_presence, which knows nothing of the cache: the session
    hook moves the generation for whatever code wrote the row."""
    asha = Shopper(api)
    read(asha), read(asha)
    with ClusterRpcProxy(CONFIG, timeout=10) as cluster:
        cluster.users.set_presence(asha.id, True)
    assert read(asha).json()["is_online"] is True
    again = read(asha)
    assert again.headers["X-Cache"] == "hit" and again.json()["is_online"] is True


def test_only_an_entry_of_the_current_epoch_and_generation_is_served(api, redis_db):
    """Entries written here with a body that is not the account's: one at the current epoch
    and generation is served (the gateway really answers from the entry), one a generation
    behind or from an earlier epoch (a users process started since: a database reset or
    restore hands ids out again) never is."""
    asha = Shopper(api)
    account = read(asha).json()
    settled(redis_db, me_cache.entry_key(asha.id))
    epoch, gen = redis_db.mget(me_cache.EPOCH, me_cache.gen_key(asha.id))
    epoch, gen = int(epoch), int(gen or 0)

    def served_with(entry_epoch, entry_gen):
        planted = {**account, "full_name": f"planted {entry_epoch}/{entry_gen}"}
        redis_db.set(me_cache.entry_key(asha.id), me_cache.entry(entry_epoch, entry_gen, planted),
                     ex=60)
        return read(asha).json()["full_name"]

    assert epoch >= 1
    assert served_with(epoch, gen) == f"planted {epoch}/{gen}"
    assert served_with(epoch, gen - 1) == account["full_name"]
    assert served_with(epoch - 1, gen) == account["full_name"]
    redis_db.delete(me_cache.entry_key(asha.id))


def test_a_signed_out_session_is_refused_though_its_account_is_cached(api):
    asha = Shopper(api)
    read(asha), read(asha)
    out = requests.post(f"{api}/api/auth/logout", headers=asha.headers, timeout=15)
    assert out.status_code == 200, out.text
    assert_error(asha.get("/api/users/me"), 401, "session_revoked")


def test_readers_racing_every_edit_never_hide_it(api):
    """Four readers hammer /me while the shopper edits their bio twenty times; after each edit
    the shopper's own next read shows it (an entry stored by a reader that read the row before
    the edit is never served after it)."""
    asha = Shopper(api)
    stop, errors = threading.Event(), []

    def hammer():
        with requests.Session() as session:
            while not stop.is_set():
                response = session.get(api + "/api/users/me", headers=asha.headers, timeout=15)
                if response.status_code != 200:
                    errors.append(response.text)

    readers = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        seen = []
        for n in range(20):
            edited = asha.send("PATCH", "/api/users/me", {"bio": f"edit {n}"})
            assert edited.status_code == 200, edited.text
            seen.append(read(asha).json()["bio"])
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=20)
    assert seen == [f"edit {n}" for n in range(20)]
    assert errors == []
    read(asha)
    assert read(asha).headers["X-Cache"] == "hit"
