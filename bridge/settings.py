"""The bridge's slice of the platform config (config/<env>.yaml), read once at start."""
import os
from dataclasses import dataclass

from kit.topology import DEAD_LETTER_STREAM


@dataclass(frozen=True)
class BridgeSettings:
    amqp_uri: str
    redis_uri: str
    queue: str
    prefetch: int
    flush_batch: int
    seen_ttl_s: int
    maxlen: int
    dead_letter_stream: str
    port: int
    # How long to wait for the next message once a batch has started: long enough to gather
    # a burst, short enough that a lone event is not held back.
    drain_timeout_s: float
    # Upper bound on how long a batch may keep gathering, so steady traffic is still flushed.
    max_batch_wait_s: float
    # An idle drain wakes up this often to notice SIGTERM and to send heartbeats.
    idle_timeout_s: float
    heartbeat_s: int


def bridge_settings(config):
    bridge = config["BRIDGE"]
    streams = config.get("STREAMS", {})
    return BridgeSettings(
        amqp_uri=config["AMQP_URI"],
        redis_uri=config["REDIS_URI"],
        queue=bridge["queue"],
        prefetch=int(bridge["prefetch"]),
        flush_batch=int(bridge.get("flush_batch", 500)),
        seen_ttl_s=int(bridge["seen_ttl_s"]),
        maxlen=int(streams.get("maxlen", 1_000_000)),
        dead_letter_stream=streams.get("dead_letter", DEAD_LETTER_STREAM),
        # A replica's launcher moves its side door (ops.platformctl), as for the nameko services.
        port=int(os.environ.get("WEB_SERVER_ADDRESS", "").rpartition(":")[2]
                 or config["SERVICE_PORTS"]["bridge"]),
        drain_timeout_s=float(bridge.get("drain_timeout_ms", 2)) / 1000,
        max_batch_wait_s=float(bridge.get("max_batch_wait_ms", 5)) / 1000,
        idle_timeout_s=float(bridge.get("idle_timeout_ms", 500)) / 1000,
        heartbeat_s=int(bridge.get("heartbeat_s", 30)),
    )
