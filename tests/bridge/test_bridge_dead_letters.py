"""Messages that are not valid envelopes go to dead_letter, never into a domain stream."""
import json


def test_an_event_with_a_bad_envelope_is_dead_lettered(
        bridge, publish, streams, new_user_event):
    bad = new_user_event(1)
    del bad["occurred_at"]
    publish(bad, source="users", routing_key="user.created")
    marker = new_user_event(2)
    publish(marker)  # handled after the bad one: the queue is FIFO with one consumer

    streams.wait_for(lambda: streams.count({marker["id"]}) == 1, what="the marker event")
    (letter,) = streams.dead_letters(containing=bad["id"])
    assert letter["origin"] == "bridge"
    assert "occurred_at" in letter["reason"]
    assert json.loads(letter["body"]) == bad
    assert (letter["exchange"], letter["routing_key"]) == ("users.events", "user.created")
    assert streams.count({bad["id"]}) == 0
    assert bridge.metric("bridge_dead_lettered_total") >= 1


def test_a_message_that_is_not_json_is_dead_lettered(bridge, publish, streams, new_user_event):
    marker = new_user_event(3)
    garbage = f'{{"id": "{marker["id"]}", "type": "order.created", "not closed'
    publish(garbage, source="orders", routing_key="order.created")
    publish(marker)

    streams.wait_for(lambda: streams.count({marker["id"]}) == 1, what="the marker event")
    (letter,) = streams.dead_letters(containing=garbage)
    assert letter["body"] == garbage
    assert letter["reason"].startswith("JSONDecodeError")
    assert (letter["exchange"], letter["routing_key"]) == ("orders.events", "order.created")
    assert streams.ids("order_events", {marker["id"]}) == []
