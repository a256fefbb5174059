"""Support chat stories, through the real gateway and the real notifications service: a shopper
opens a conversation, an agent takes it, they write to each other, and everything they wrote
comes back in order; nobody else can see it; every message is announced on
notification_events with both participants, for the gateway's live fan-out.
"""
import time

import pytest

from kit.errors import Conflict, NotFound, ValidationFailed
from tests.notifications.helpers import People, notification_events, ok, refused
from tests.support.harness import wait_for


@pytest.fixture(scope="module")
def people(gateway_url, config):
    return People(gateway_url, config)


def open_chat(shopper):
    return ok(shopper.post("/api/chat/conversations"))


def say(person, conversation, body):
    return ok(person.post(f"/api/chat/conversations/{conversation['id']}/messages",
                          {"body": body}), 201)


def history(person, conversation, **params):
    return ok(person.get(f"/api/chat/conversations/{conversation['id']}/messages", **params))


def test_a_shopper_and_an_agent_talk_and_the_history_keeps_every_message_in_order(people):
    shopper, agent = people.shopper(), people.agent()

    chat = open_chat(shopper)
    assert (chat["customer_id"], chat["agent_id"], chat["status"]) == (
        shopper.user_id, None, "open")
    assert open_chat(shopper)["id"] == chat["id"]  # one open conversation per shopper
    first = say(shopper, chat, "Hi! My kurta arrived in the wrong size.")
    assert (first["sender_id"], first["sender_role"]) == (shopper.user_id, "customer")

    waiting = ok(agent.get("/api/chat/conversations"))["items"]
    assert chat["id"] in [c["id"] for c in waiting]  # staff see conversations nobody has yet
    taken = ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))
    assert (taken["agent_id"], taken["status"]) == (agent.user_id, "assigned")

    reply = say(agent, chat, "Sorry about that! Which size did you order?")
    assert (reply["sender_id"], reply["sender_role"]) == (agent.user_id, "agent")
    last = say(shopper, chat, "M, but I got an XL.")

    expected = [(last["id"], "customer", "M, but I got an XL."),
                (reply["id"], "agent", "Sorry about that! Which size did you order?"),
                (first["id"], "customer", "Hi! My kurta arrived in the wrong size.")]
    for person in (shopper, agent):
        page = history(person, chat)
        assert [(m["id"], m["sender_role"], m["body"]) for m in page["items"]] == expected
        assert page["next_before_id"] is None
    newest_two = history(shopper, chat, limit=2)
    assert [m["id"] for m in newest_two["items"]] == [last["id"], reply["id"]]
    rest = history(shopper, chat, limit=2, before_id=newest_two["next_before_id"])
    assert [m["id"] for m in rest["items"]] == [first["id"]]

    mine = ok(shopper.get("/api/chat/conversations"))["items"]
    assert [(c["id"], c["status"], c["agent_id"]) for c in mine] == [
        (chat["id"], "assigned", agent.user_id)]
    theirs = ok(agent.get("/api/chat/conversations"))["items"]
    assert chat["id"] in [c["id"] for c in theirs if c["agent_id"] == agent.user_id]


def test_a_third_person_can_neither_read_nor_write_nor_learn_the_conversation_exists(
        people, rpc):
    shopper, agent, stranger = people.shopper(), people.agent(), people.shopper()
    chat = open_chat(shopper)
    said = say(shopper, chat, "Where is my order?")
    ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))

    base = f"/api/chat/conversations/{chat['id']}"
    for response in (stranger.get(f"{base}/messages"),
                     stranger.post(f"{base}/messages", {"body": "let me in"}),
                     stranger.post(f"{base}/close"),
                     stranger.get("/api/chat/conversations/999999999999/messages")):
        refused(response, 404, "conversation_not_found")
    another_agent = people.agent()  # staff, but not this conversation's agent
    refused(another_agent.get(f"{base}/messages"), 404, "conversation_not_found")
    with pytest.raises(NotFound):
        rpc.notifications.chat_mark_read(stranger.user_id, chat["id"], said["id"])
    assert chat["id"] not in [c["id"] for c in ok(stranger.get("/api/chat/conversations"))["items"]]
    assert [m["body"] for m in history(shopper, chat)["items"]] == ["Where is my order?"]


def test_only_staff_take_conversations_and_the_first_agent_keeps_it(people, rpc):
    shopper, agent, late_agent = people.shopper(), people.agent(), people.agent(role="admin")
    chat = open_chat(shopper)

    refused(shopper.post(f"/api/chat/conversations/{chat['id']}/assign"), 403, "forbidden")
    refused(people.visitor().post(f"/api/chat/conversations/{chat['id']}/assign"), 401)
    ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))
    ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))  # again: still theirs
    error = refused(late_agent.post(f"/api/chat/conversations/{chat['id']}/assign"), 409,
                    "conversation_taken")
    assert error["details"]["conversation_id"] == chat["id"]
    with pytest.raises(Conflict) as exc:  # nobody answers their own conversation
        rpc.notifications.chat_assign(shopper.user_id, chat["id"])
    assert exc.value.code == "own_conversation"


def test_agents_claim_waiting_conversations_oldest_first_until_none_waits(people, rpc):
    agent = people.agent()
    while rpc.notifications.chat_claim_next(agent.user_id) is not None:
        pass  # conversations other stories left waiting
    older = open_chat(people.shopper())
    newer = open_chat(people.shopper())

    first = rpc.notifications.chat_claim_next(agent.user_id)
    second = rpc.notifications.chat_claim_next(people.agent().user_id)
    assert (first["id"], first["status"], first["agent_id"]) == (
        older["id"], "assigned", agent.user_id)
    assert second["id"] == newer["id"] and second["agent_id"] != agent.user_id
    assert rpc.notifications.chat_claim_next(agent.user_id) is None


def test_every_message_reaches_notification_events_naming_both_participants(
        people, redis_db):
    shopper, agent = people.shopper(), people.agent()
    chat = open_chat(shopper)
    before = say(shopper, chat, "Is anyone there?")
    ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))
    after = say(agent, chat, "Yes! How can I help?")

    messages = wait_for(lambda: len(notification_events(
        redis_db, "chat.message", conversation_id=chat["id"])) == 2 and notification_events(
        redis_db, "chat.message", conversation_id=chat["id"]), message="two chat.message events")
    assert [e["data"] for e in messages] == [
        {**before, "customer_id": shopper.user_id, "agent_id": None},  # nobody had it yet
        {**after, "customer_id": shopper.user_id, "agent_id": agent.user_id}]
    assert all(e["source"] == "notifications" for e in messages)
    opened = notification_events(redis_db, "chat.conversation_opened", conversation_id=chat["id"])
    assigned = wait_for(lambda: notification_events(redis_db, "chat.assigned",
                                                    conversation_id=chat["id"]),
                        message="chat.assigned")
    assert len(opened) == 1 and opened[0]["data"]["customer_id"] == shopper.user_id
    assert [(e["data"]["customer_id"], e["data"]["agent_id"], e["data"]["status"])
            for e in assigned] == [(shopper.user_id, agent.user_id, "assigned")]
    open_chat(shopper)  # the same conversation again: nothing new to announce
    time.sleep(1.5)
    assert len(notification_events(redis_db, "chat.conversation_opened",
                                   conversation_id=chat["id"])) == 1


def test_a_read_marker_only_moves_forward_and_each_move_is_announced(people, rpc, redis_db):
    shopper, agent = people.shopper(), people.agent()
    chat = open_chat(shopper)
    ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))
    first = say(shopper, chat, "Hello")
    second = say(shopper, chat, "Anyone?")

    read = rpc.notifications.chat_mark_read(agent.user_id, chat["id"], second["id"])
    assert read == {"conversation_id": chat["id"], "user_id": agent.user_id,
                    "last_read_message_id": second["id"]}
    assert rpc.notifications.chat_mark_read(agent.user_id, chat["id"], first["id"]) == read
    with pytest.raises(NotFound) as exc:
        rpc.notifications.chat_mark_read(agent.user_id, chat["id"], second["id"] + 10 ** 9)
    assert exc.value.code == "message_not_found"

    announced = wait_for(lambda: notification_events(redis_db, "chat.read",
                                                     conversation_id=chat["id"]),
                         message="chat.read")
    time.sleep(1.0)
    assert [e["data"] for e in notification_events(redis_db, "chat.read",
                                                   conversation_id=chat["id"])] == [
        {**read, "customer_id": shopper.user_id, "agent_id": agent.user_id}]
    assert len(announced) == 1


def test_a_closed_conversation_keeps_its_history_takes_no_more_messages_and_a_new_one_opens(
        people, redis_db):
    shopper, agent = people.shopper(), people.agent()
    chat = open_chat(shopper)
    ok(agent.post(f"/api/chat/conversations/{chat['id']}/assign"))
    say(agent, chat, "Anything else I can do?")

    closed = ok(agent.post(f"/api/chat/conversations/{chat['id']}/close"))
    assert closed["status"] == "closed"
    assert ok(shopper.post(f"/api/chat/conversations/{chat['id']}/close"))["status"] == "closed"
    refused(shopper.post(f"/api/chat/conversations/{chat['id']}/messages", {"body": "wait!"}),
            409, "conversation_closed")
    assert [m["body"] for m in history(shopper, chat)["items"]] == ["Anything else I can do?"]
    assert chat["id"] not in [c["id"] for c in ok(agent.get("/api/chat/conversations"))["items"]]
    event = wait_for(lambda: notification_events(redis_db, "chat.conversation_closed",
                                                 conversation_id=chat["id"]),
                     message="chat.conversation_closed")
    assert len(event) == 1 and event[0]["data"]["closed_by"] == agent.user_id

    fresh = open_chat(shopper)
    assert fresh["id"] != chat["id"] and fresh["status"] == "open"


def test_bad_input_is_refused_naming_each_field(people, rpc, platform):
    shopper = people.shopper()
    chat = open_chat(shopper)
    for body in ("", "   ", "x" * 4001, None, 42):
        refused(shopper.post(f"/api/chat/conversations/{chat['id']}/messages", {"body": body}),
                422, "validation_failed", field="body")
    assert history(shopper, chat)["items"] == []
    say(shopper, chat, "x" * 4000)  # the longest message there is

    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.chat_history("me", 0, before_id=-1, limit=101)
    assert set(exc.value.details["fields"]) == {"user_id", "conversation_id", "before_id",
                                                "limit"}
    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.chat_list(shopper.user_id, "boss")
    assert set(exc.value.details["fields"]) == {"role"}
    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.chat_assign(None, "1")
    assert set(exc.value.details["fields"]) == {"agent_id", "conversation_id"}
    refused(shopper.get(f"/api/chat/conversations/{chat['id']}/messages", limit=0), 422,
            field="limit")
    refused(people.visitor().get("/api/chat/conversations"), 401)
