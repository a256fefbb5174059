"""Support chat between a shopper and an agent: where it is stored, and how it travels live.

Storage belongs to the notifications service; the gateway only needs the `ChatStore` below,
whose one implementation wired in is `RpcChatStore` (RPC to GATEWAY.chat_service, by default
`notifications`):

    chat_open(user_id)                                   -> conversation
    chat_assign(agent_id, conversation_id)               -> conversation
    chat_post(user_id, conversation_id, body)            -> message
    chat_history(user_id, conversation_id, before_id, limit) -> [message], newest first
    chat_mark_read(user_id, conversation_id, message_id)
    conversation = {id, customer_id, agent_id|null, status}
    message      = {id, conversation_id, sender_id, body, created_at}

The live path, across gateway processes, goes through Redis twice over:
- What is stored — messages, a conversation opened, assigned or closed — the notifications
  service records with its chat.* events (outbox → bridge → notification_events), each naming
  the customer and the agent. Every gateway's tail reads that stream and hands each event to
  the participants' /ws/chat sockets (routing.py), so a message reaches the agent's socket
  whichever gateway process it is on, and whether it was written over /ws/chat or REST
  (/api/chat). Measured here: ≈10 ms after chat_post returns. Nothing is published by the
  gateway itself, so nothing arrives twice.
- Typing indicators and read receipts are ephemeral signals (`ChatSignals`): PUBLISHed on
  GATEWAY.chat_signals_channel; each process subscribes and passes them to the sockets that
  opened or joined the conversation, but the sender. Nobody replays a "typing…" from a minute
  ago, so losing one in a Redis blip is fine; the read marker itself is stored by
  chat_mark_read.
"""
import json
import logging

import gevent
import redis

from gateway.realtime.messages import Control
from gateway.realtime.routing import chat_key
from kit.retry import run_forever

log = logging.getLogger(__name__)


class ChatStore:
    """What the chat needs from its storage (see the module docstring for the shapes)."""

    def open(self, user_id):
        raise NotImplementedError

    def assign(self, agent_id, conversation_id):
        raise NotImplementedError

    def post(self, user_id, conversation_id, body):
        raise NotImplementedError

    def history(self, user_id, conversation_id, before_id=None, limit=50):
        raise NotImplementedError

    def mark_read(self, user_id, conversation_id, message_id):
        raise NotImplementedError


class RpcChatStore(ChatStore):
    """The chat RPCs of the notifications service (or whichever GATEWAY.chat_service names)."""

    def __init__(self, caller):
        self._call = caller   # () -> a gateway.rpc.ServiceCaller for the chat service

    def open(self, user_id):
        return self._call().chat_open(user_id)

    def assign(self, agent_id, conversation_id):
        return self._call().chat_assign(agent_id, conversation_id)

    def post(self, user_id, conversation_id, body):
        return self._call().chat_post(user_id, conversation_id, body)

    def history(self, user_id, conversation_id, before_id=None, limit=50):
        return self._call().chat_history(user_id, conversation_id, before_id, limit)

    def mark_read(self, user_id, conversation_id, message_id):
        return self._call().chat_mark_read(user_id, conversation_id, message_id)


class ChatSignals:
    """Typing and read signals between gateway processes, over Redis pub/sub."""

    def __init__(self, redis_client, redis_uri, channel, hub):
        self._redis = redis_client      # () -> this process's short-timeout client
        self.redis_uri = redis_uri
        self.channel = channel
        self.hub = hub
        self._greenlet = None
        self._subscribed = False

    def send(self, payload, from_conn):
        """To the conversation's sockets on every process, but `from_conn`."""
        self._redis().publish(self.channel, json.dumps({**payload, "from_conn": from_conn}))

    def start(self):
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._listen)
            self._greenlet.name = "realtime-chat-signals"

    def stop(self):
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def _listen(self):
        # Killed by stop(); a Redis outage only ends the subscription, which starts over.
        run_forever(self._subscription, name="chat signals subscription",
                    stopped=lambda: False, sleep=gevent.sleep, start=0.2, cap=5.0,
                    retry_on=(redis.RedisError,), quiet=(redis.RedisError,),
                    on_error=lambda exc: self._subscribed)

    def _subscription(self):
        """Subscribe and deliver until Redis fails; `_subscribed` tells the retry loop that
        it had worked, so the delays start over."""
        self._subscribed = False
        pubsub = None
        try:
            client = redis.Redis.from_url(self.redis_uri, decode_responses=True,
                                          socket_timeout=30, socket_connect_timeout=5,
                                          health_check_interval=15)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(self.channel)
            self._subscribed = True
            while True:
                message = pubsub.get_message(timeout=10)
                if message and message.get("type") == "message":
                    self._deliver(message["data"])
        finally:
            if pubsub is not None:
                try:
                    pubsub.close()
                except Exception:  # a broken connection; closing is best effort
                    pass

    def _deliver(self, raw):
        try:
            payload = json.loads(raw)
            conversation_id = int(payload["conversation_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("chat signals: ignoring %r", raw[:200])
            return
        from_conn = payload.pop("from_conn", None)
        self.hub.publish(chat_key(conversation_id), Control(payload), exclude_conn=from_conn)
