"""The kit's stream entrypoint against real Redis: retries, dead letters, and moving on."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from kit.config import ROOT
from kit.envelope import make_envelope, to_stream_fields
from tests.support.flaky_service import (BATCH, BATCH_GROUP, BATCH_STREAM, GROUP,
                                         OUTAGE_ATTEMPTS, SLOW_S, STREAM)
from tests.support.harness import TEST_ENV, wait_for


def start_flaky():
    env = dict(os.environ, AARYA_ENV=TEST_ENV)
    return subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "nameko"), "run", "--config",
         f"config/{TEST_ENV}.yaml", "tests.support.flaky_service"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


@pytest.fixture
def flaky_service(config, redis_db):
    redis_db.delete(STREAM, BATCH_STREAM, "flaky:batch_sizes")
    proc = start_flaky()
    # The group starts at id 0, so entries added once it exists are all delivered.
    wait_for(lambda: any(g["name"] == GROUP for g in _groups(redis_db))
             and any(g["name"] == BATCH_GROUP for g in _groups(redis_db, BATCH_STREAM)),
             timeout=30, message="flaky service created its groups")
    yield proc
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=15)


def _groups(redis_db, stream=STREAM):
    try:
        return redis_db.xinfo_groups(stream)
    except Exception:
        return []


def publish(redis_db, event_type):
    envelope = make_envelope(event_type, "users", {"n": 1}, correlation_id="test")
    entry_id = redis_db.xadd(STREAM, to_stream_fields(envelope))
    return envelope["id"], entry_id


def publish_at_once(redis_db, event_types, stream=BATCH_STREAM):
    """XADD them in one MULTI, so a blocked reader gets them in one XREADGROUP reply."""
    envelopes = [make_envelope(t, "users", {"n": n}, correlation_id="test")
                 for n, t in enumerate(event_types)]
    pipe = redis_db.pipeline(transaction=True)
    for envelope in envelopes:
        pipe.xadd(stream, to_stream_fields(envelope))
    return [e["id"] for e in envelopes], pipe.execute()


def dead_letters_for(redis_db, entry_id):
    return [f for _, f in redis_db.xrange("dead_letter") if f.get("origin_entry_id") == entry_id]


def test_a_handler_failing_three_times_dead_letters_once_and_the_group_moves_on(
        flaky_service, config, redis_db):
    failing_id, failing_entry = publish(redis_db, "test.fail")
    ok_id, _ = publish(redis_db, "test.ok")

    wait_for(lambda: dead_letters_for(redis_db, failing_entry), timeout=20,
             message="the failing entry in dead_letter")
    # Wait two more reclaim rounds: nothing may be dead-lettered or retried again.
    time.sleep(3 * config["STREAMS"]["claim_idle_ms"] / 1000.0)

    letters = dead_letters_for(redis_db, failing_entry)
    assert len(letters) == 1
    assert letters[0]["id"] == failing_id
    assert letters[0]["origin_stream"] == STREAM and letters[0]["origin_group"] == GROUP
    assert int(redis_db.get(f"flaky:attempts:{failing_id}")) == config["STREAMS"]["max_deliveries"]
    assert redis_db.sismember("flaky:done", ok_id)
    assert redis_db.xpending(STREAM, GROUP)["pending"] == 0


def test_an_outage_longer_than_max_deliveries_is_retried_until_it_ends_never_dead_lettered(
        flaky_service, config, redis_db):
    """The audit-log gap after a PostgreSQL restart: an unreachable database is not the
    entry's fault, so those tries do not count against max_deliveries."""
    assert OUTAGE_ATTEMPTS > config["STREAMS"]["max_deliveries"]
    event_id, entry_id = publish(redis_db, "test.outage")
    wait_for(lambda: redis_db.sismember("flaky:done", event_id), timeout=30,
             message="the entry handled once the outage is over")
    assert int(redis_db.get(f"flaky:attempts:{event_id}")) == OUTAGE_ATTEMPTS + 1
    assert dead_letters_for(redis_db, entry_id) == []
    assert redis_db.xpending(STREAM, GROUP)["pending"] == 0


def test_a_slow_handler_keeps_its_entry_another_replica_never_steals_it(
        flaky_service, config, redis_db):
    """Replicas on a loaded machine: a handler slower than claim_idle_ms is alive, so its entry
    is neither reclaimed by the other replica nor re-counted by its own reclaim loop (each
    XAUTOCLAIM round added a delivery while it ran; one steal then found it past max_deliveries
    and dead-lettered it unrun: the restart story's audit-log gap on a loaded machine)."""
    assert SLOW_S * 1000 > 3 * config["STREAMS"]["claim_idle_ms"]
    second = start_flaky()
    try:
        def both_reading():  # a consumer shows up in the group once it has read an entry
            publish(redis_db, "test.ok")
            return len(redis_db.xinfo_consumers(STREAM, GROUP)) >= 2
        wait_for(both_reading, timeout=90, interval=0.5, message="two consumers in the group")
        event_id, entry_id = publish(redis_db, "test.slow")
        time.sleep(SLOW_S * 0.7)  # while it is being handled: still its first delivery
        pending = redis_db.xpending_range(STREAM, GROUP, min=entry_id, max=entry_id, count=1)
        assert pending and pending[0]["times_delivered"] == 1, pending
        wait_for(lambda: redis_db.sismember("flaky:done", event_id), timeout=30,
                 message="the slow entry handled")
        time.sleep(1)
        assert int(redis_db.get(f"flaky:attempts:{event_id}")) == 1
        assert dead_letters_for(redis_db, entry_id) == []
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=15)


def test_an_entry_with_a_bad_envelope_goes_to_dead_letter_without_running(
        flaky_service, redis_db):
    entry_id = redis_db.xadd(STREAM, {"type": "test.ok", "data": "{not json"})
    wait_for(lambda: dead_letters_for(redis_db, entry_id), message="bad entry dead-lettered")
    letter = dead_letters_for(redis_db, entry_id)[0]
    assert letter["reason"].startswith("bad envelope")
    assert redis_db.xpending(STREAM, GROUP)["pending"] == 0
    assert json.loads(json.dumps(letter))  # a plain, readable record for ops


def test_ops_can_replay_a_dead_letter_to_its_stream(flaky_service, redis_db):
    from kit.dead_letters import replay

    entry_id = redis_db.xadd(STREAM, {"type": "test.ok"})  # bad envelope: dead-lettered
    wait_for(lambda: dead_letters_for(redis_db, entry_id), message="dead-lettered")
    letter_id = [i for i, f in redis_db.xrange("dead_letter")
                 if f.get("origin_entry_id") == entry_id][0]
    stream, new_id = replay(redis_db, letter_id)
    assert stream == STREAM and new_id != entry_id
    assert redis_db.xrange("dead_letter", min=letter_id, max=letter_id) == []
    assert redis_db.xrange(STREAM, min=new_id, max=new_id)[0][1] == {"type": "test.ok"}


def test_a_batch_handler_gets_the_entries_of_one_read_in_one_call_and_acks_them_all(
        flaky_service, redis_db):
    ids, _ = publish_at_once(redis_db, ["test.ok"] * 30)
    wait_for(lambda: all(redis_db.sismember("flaky:done", i) for i in ids), timeout=20,
             message="all 30 handled")
    sizes = [int(n) for n in redis_db.lrange("flaky:batch_sizes", 0, -1)]
    assert sum(sizes) == 30 and max(sizes) > 1 and max(sizes) <= BATCH, sizes
    assert all(int(redis_db.get(f"flaky:attempts:{i}")) == 1 for i in ids)
    assert redis_db.xpending(BATCH_STREAM, BATCH_GROUP)["pending"] == 0


def test_a_poison_entry_in_a_batch_fails_alone_its_neighbours_are_acked(
        flaky_service, config, redis_db):
    """A failed batch runs again one entry at a time: the bad entry then takes the single-entry
    path (retried, dead-lettered once), never holding the others back."""
    bad_envelope = redis_db.xadd(BATCH_STREAM, {"type": "test.ok", "data": "{not json"})
    ids, entries = publish_at_once(redis_db, ["test.ok"] * 10 + ["test.fail"] + ["test.ok"] * 9)
    failing_id, failing_entry = ids[10], entries[10]
    ok_ids = ids[:10] + ids[11:]
    wait_for(lambda: dead_letters_for(redis_db, failing_entry), timeout=30,
             message="the failing entry in dead_letter")
    time.sleep(3 * config["STREAMS"]["claim_idle_ms"] / 1000.0)
    assert all(redis_db.sismember("flaky:done", i) for i in ok_ids)
    assert len(dead_letters_for(redis_db, failing_entry)) == 1
    assert dead_letters_for(redis_db, bad_envelope)[0]["reason"].startswith("bad envelope")
    # Delivery 1 ran it in the batch and then alone; deliveries 2..max ran it alone.
    assert int(redis_db.get(f"flaky:attempts:{failing_id}")) == \
        config["STREAMS"]["max_deliveries"] + 1
    assert max(int(n) for n in redis_db.lrange("flaky:batch_sizes", 0, -1)) == 20
    assert redis_db.xpending(BATCH_STREAM, BATCH_GROUP)["pending"] == 0


def test_a_batch_meeting_an_outage_is_retried_until_it_ends_never_dead_lettered(
        flaky_service, config, redis_db):
    ids, entries = publish_at_once(redis_db, ["test.ok"] * 5 + ["test.outage"] + ["test.ok"] * 5)
    wait_for(lambda: all(redis_db.sismember("flaky:done", i) for i in ids), timeout=40,
             message="every entry handled once the outage is over")
    assert int(redis_db.get(f"flaky:attempts:{ids[5]}")) == OUTAGE_ATTEMPTS + 1
    assert all(dead_letters_for(redis_db, e) == [] for e in entries)
    assert redis_db.xpending(BATCH_STREAM, BATCH_GROUP)["pending"] == 0
