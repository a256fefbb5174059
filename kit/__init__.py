"""The Aarya service kit: what every service, the bridge and the gateway share.

config    — YAML loading with ${ENV:default}
topology  — service names, their events exchanges, streams and consumer groups
envelope  — the event envelope of ARCHITECTURE §3
errors    — typed errors with a stable code (mapped to HTTP once, in the gateway)
db        — eventlet-safe SQLAlchemy session dependency
outbox    — transactional outbox + relay with batched publisher confirms
streams   — @stream_handler entrypoint (XREADGROUP / XACK / XAUTOCLAIM / dead_letter)
sidedoor  — /health and /metrics on each service's port
"""
import warnings

# eventlet 0.41 warns on import that it is in maintenance mode; nameko 2.14 depends on it by
# design (see docs/adr/0001-eventlet-services-gevent-gateway.md), so the notice is noise here.
warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")
