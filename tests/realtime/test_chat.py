"""The support chat story across two gateway processes: a shopper on one, an agent on the other.

Messages are stored by the real notifications service (chat_open/chat_assign/chat_post/...),
whose chat.* events reach every gateway through the bridge and notification_events; typing and
read receipts go over Redis pub/sub. Each gateway here is its own one-worker gunicorn, so every
live message crosses processes.
"""
import time

import pytest

from kit.errors import ServiceError
from tests.realtime.support.clients import ws_connect
from tests.realtime.support.processes import start_gateway


@pytest.fixture(scope="module")
def chat_store(rpc):
    """The notifications service, which persists chat; it must answer the chat RPCs."""
    with pytest.raises(ServiceError):  # conversation_not_found: the RPC is there and checks access
        rpc.notifications.chat_history(1, 2**31 - 1, None, 1)  # a conversation no story makes
    return "notifications"


@pytest.fixture(scope="module")
def two_gateways(chat_store):
    shop_front = start_gateway("chat-gateway-1", chat_service=chat_store)
    support_desk = start_gateway("chat-gateway-2", chat_service=chat_store)
    yield shop_front, support_desk
    shop_front.stop()
    support_desk.stop()


def test_a_shopper_and_an_agent_on_different_gateways_chat_live(two_gateways, mint, rpc):
    shop_front, support_desk = two_gateways
    shopper_id, shopper_token = mint()
    agent_id, agent_token = mint(role="support")
    agent = ws_connect(support_desk.ws_url, "/ws/chat", agent_token)
    shopper = ws_connect(shop_front.ws_url, "/ws/chat", shopper_token)
    try:
        shopper.send({"action": "open", "ref": 1})
        conversation = shopper.wait_type("conversation", timeout=10)["conversation"]
        assert conversation["customer_id"] == shopper_id and conversation["agent_id"] is None
        conversation_id = conversation["id"]

        waiting = agent.wait_for(lambda m: m.get("type") == "chat.conversation_opened"
                                 and m["data"]["conversation_id"] == conversation_id,
                                 timeout=5, what="the new conversation")
        assert waiting["data"]["customer_id"] == shopper_id
        agent.send({"action": "join", "conversation_id": conversation_id})
        assert agent.wait_type("conversation", timeout=10)["conversation"]["agent_id"] == agent_id
        assigned = shopper.wait_type("chat.assigned", timeout=5)
        assert assigned["data"]["agent_id"] == agent_id

        sent_at = time.monotonic()
        shopper.send({"action": "send", "conversation_id": conversation_id,
                      "body": "Is the linen kurta pre-shrunk?"})
        mine = shopper.wait_type("sent", timeout=10)["message"]
        heard = agent.wait_type("chat.message", timeout=5)
        assert time.monotonic() - sent_at < 2
        assert heard["data"]["id"] == mine["id"]
        assert heard["data"]["body"] == "Is the linen kurta pre-shrunk?"
        assert heard["data"]["sender_id"] == shopper_id

        agent.send({"action": "typing", "conversation_id": conversation_id})
        typing = shopper.wait_type("typing", timeout=5)
        assert typing == {"type": "typing", "conversation_id": conversation_id,
                          "user_id": agent_id}
        agent.send({"action": "send", "conversation_id": conversation_id,
                    "body": "Yes, washed before cutting."})
        answer = shopper.wait_for(lambda m: m.get("type") == "chat.message"
                                  and m["data"]["sender_id"] == agent_id, timeout=10,
                                  what="the agent's answer")

        shopper.send({"action": "read", "conversation_id": conversation_id,
                      "message_id": answer["data"]["id"]})
        receipt = agent.wait_type("read", timeout=10)
        assert receipt == {"type": "read", "conversation_id": conversation_id,
                           "user_id": shopper_id, "message_id": answer["data"]["id"]}

        # A message written through another door (REST, or here the RPC itself) comes live too.
        rpc.notifications.chat_post(agent_id, conversation_id, "Anything else?")
        assert shopper.wait_type("chat.message", timeout=5)["data"]["body"] == "Anything else?"

        shopper.send({"action": "history", "conversation_id": conversation_id, "limit": 10})
        history = shopper.wait_type("history", timeout=10)["messages"]
        assert [m["body"] for m in history] == ["Anything else?", "Yes, washed before cutting.",
                                                "Is the linen kurta pre-shrunk?"]
    finally:
        shopper.close()
        agent.close()


def test_nobody_else_can_post_into_or_take_a_conversation(two_gateways, mint):
    shop_front, support_desk = two_gateways
    _, owner_token = mint()
    _, stranger_token = mint()
    owner = ws_connect(shop_front.ws_url, "/ws/chat", owner_token)
    stranger = ws_connect(support_desk.ws_url, "/ws/chat", stranger_token)
    try:
        owner.send({"action": "open"})
        conversation_id = owner.wait_type("conversation", timeout=10)["conversation"]["id"]
        stranger.send({"action": "send", "conversation_id": conversation_id, "body": "hi"})
        assert stranger.wait_type("error", timeout=10)["code"] == "conversation_not_found"
        stranger.send({"action": "history", "conversation_id": conversation_id})
        assert stranger.wait_type("error", timeout=10)["code"] == "conversation_not_found"
        stranger.send({"action": "typing", "conversation_id": conversation_id})
        assert stranger.wait_type("error")["code"] == "not_in_conversation"
        stranger.send({"action": "join", "conversation_id": conversation_id})
        assert stranger.wait_type("error")["code"] == "forbidden"  # shoppers do not join
        stranger.send({"action": "send", "conversation_id": conversation_id, "body": ""})
        assert stranger.wait_type("error")["code"] == "validation_failed"
        owner.nothing_for(0.5, lambda m: m.get("type") in ("chat.message", "typing"))
    finally:
        owner.close()
        stranger.close()
