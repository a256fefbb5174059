"""What the bridge sets up on start, so consumers and nameko services can rely on it."""
from nameko.standalone.events import event_dispatcher

from kit.envelope import make_envelope
from kit.topology import ALL_STREAMS, CONSUMER_GROUPS


def test_the_five_consumer_groups_exist_on_all_nine_streams(bridge, redis_db):
    assert len(ALL_STREAMS) == 9
    for stream in ALL_STREAMS:
        groups = {g["name"] for g in redis_db.xinfo_groups(stream)}
        assert set(CONSUMER_GROUPS) <= groups, stream
    assert redis_db.type("dead_letter") == "stream"


def test_health_and_metrics_are_served_on_the_side_door(bridge):
    status, body = bridge.health()
    assert status == 200
    assert (body["status"], body["amqp"], body["redis"]) == ("ok", True, True)
    assert bridge.metric("bridge_amqp_connected") == 1


def test_a_nameko_service_dispatching_after_the_bridge_started_is_mirrored(
        bridge, streams, config):
    # nameko declares its events exchange its own way; a mismatch with the bridge's would be a 406.
    dispatch = event_dispatcher(config)
    event = make_envelope("order.created", "orders", {"order_id": 7})
    dispatch("orders", "order.created", event)

    streams.wait_for(lambda: streams.ids("order_events", {event["id"]}), what="the entry")
    assert streams.ids("order_events", {event["id"]}) == [event["id"]]
