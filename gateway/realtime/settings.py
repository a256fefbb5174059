"""The real-time settings, read from the GATEWAY section of config/<env>.yaml with defaults.

    GATEWAY:
      client_buffer: 256        # messages waiting for one client before it is dropped as slow
      heartbeat_s: 20           # WS ping frames / SSE `: ping` lines; presence TTL refresh
      ws_auth_timeout_s: 5      # time to send {"action": "auth"} when no ?access_token=
      ws_max_message_bytes: 65536
      presence_ttl_s: 60        # a connection not refreshed for this long counts as gone
      drop_grace_s: 5           # a dropped client's last write may take this long, then the socket is cut
      tail_block_ms: 5000       # XREAD BLOCK of the tail (its client times out 10 s later)
      tail_batch: 500           # entries per stream per XREAD
      replay_page: 500          # XRANGE page size when an SSE client resumes
      max_product_subscriptions: 200
      chat_service: notifications        # who implements chat_open/chat_post/...
      chat_signals_channel: "chat:signals"  # typing and read receipts (pub/sub, ephemeral)
"""
from dataclasses import dataclass

from kit.config import settings_from_section


@dataclass(frozen=True)
class RealtimeSettings:
    redis_uri: str
    client_buffer: int = 256
    heartbeat_s: float = 20.0
    ws_auth_timeout_s: float = 5.0
    ws_max_message_bytes: int = 65536
    presence_ttl_s: float = 60.0
    drop_grace_s: float = 5.0
    tail_block_ms: int = 5000
    tail_batch: int = 500
    replay_page: int = 500
    max_product_subscriptions: int = 200
    chat_service: str = "notifications"
    chat_signals_channel: str = "chat:signals"


def realtime_settings(config):
    return settings_from_section(RealtimeSettings, config, "GATEWAY",
                                 redis_uri=config["REDIS_URI"])
