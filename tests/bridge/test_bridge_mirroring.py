"""Every valid event published on a service's events exchange becomes exactly one stream entry."""
from kit.envelope import make_envelope, to_stream_fields
from kit.topology import STREAM_FOR_SOURCE


def test_a_new_user_event_appears_on_user_events_with_the_envelope_fields(
        bridge, publish, streams):
    event = make_envelope("user.created", "users",
                          {"user_id": 1, "name": "Zoë Ærø", "bio": "₹499 — café 😀", "tags": []},
                          correlation_id="req-ünïcode")
    publish(event)

    streams.wait_for(lambda: streams.entries("user_events", {event["id"]}), what="the entry")
    assert streams.entries("user_events", {event["id"]}) == [to_stream_fields(event)]


def test_the_same_event_published_twice_makes_one_entry(bridge, publish, streams, new_user_event):
    event, later = new_user_event(2), new_user_event(3)
    publish(event)
    publish(event)  # an outbox relay that crashed before marking the row sent
    publish(later)  # one queue, in order: once this is mirrored, both copies were handled
    mine = {event["id"], later["id"]}

    streams.wait_for(lambda: later["id"] in streams.ids("user_events", mine), what="the later event")
    assert streams.ids("user_events", mine) == [event["id"], later["id"]]
    assert bridge.metric("bridge_duplicates_skipped_total") >= 1


def test_each_source_lands_on_its_own_stream(bridge, publish, streams):
    events = {source: make_envelope("probe.sent", source, {"n": i})
              for i, source in enumerate(STREAM_FOR_SOURCE)}
    for event in events.values():
        publish(event)
    mine = {event["id"] for event in events.values()}

    streams.wait_for(lambda: streams.count(mine) == len(mine), what="one entry per source")
    for source, event in events.items():
        assert streams.ids(STREAM_FOR_SOURCE[source], mine) == [event["id"]]
