"""The AMQP → Redis Streams bridge (ARCHITECTURE §3).

One durable queue, bound with `#` to every `<service>.events` exchange, is mirrored into the
per-source streams. Each event is written together with its seen-marker in one Lua script
before the AMQP ack, so a redelivery or a republish never makes a second entry.

settings  — the bridge's slice of the platform config
declare   — declares the exchanges, queue, bindings, streams and consumer groups
entries   — what one AMQP message becomes: a domain stream entry or a dead letter
scripts   — the Lua script that writes an entry and its seen-marker atomically
mirror    — the consumer loop: batch, write in one pipeline, ack, reconnect
metrics   — Prometheus metrics
sidedoor  — /health and /metrics over HTTP
"""
