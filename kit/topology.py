"""Who publishes what, and where it lands: one page for services, exchanges, queues, streams,
consumer groups, and who reads what.

AMQP: every service publishes (nameko dispatcher or kit.outbox relay) to its `<service>.events`
exchange (topic, durable); the bridge's one durable queue (config BRIDGE.queue) is bound with
`#` to each. Both the publishers and the bridge declare them from here (`events_exchange_entity`,
`bridge_queue`), so their arguments can never differ (RabbitMQ refuses a redeclaration with
other arguments: PRECONDITION_FAILED).
Redis: the bridge writes each source's events to its stream; the groups in `READERS` read them.
"""
from kombu import Queue, binding
from nameko.standalone.events import get_event_exchange

DOMAIN_SERVICES = (
    "users", "products", "cart", "orders", "payments",
    "notifications", "search", "analytics", "recommendations",
)
ALL_SERVICES = DOMAIN_SERVICES + ("audit",)

# Stream per source service: `<source, singular>_events` (ARCHITECTURE §3).
STREAM_FOR_SOURCE = {
    "users": "user_events",
    "products": "product_events",
    "cart": "cart_events",
    "orders": "order_events",
    "payments": "payment_events",
    "notifications": "notification_events",
    "search": "search_events",
    "analytics": "analytics_events",
    "recommendations": "recommendation_events",
}
ALL_STREAMS = tuple(STREAM_FOR_SOURCE.values())

# The groups the bridge creates on every stream from the start (XGROUP CREATE … 0 MKSTREAM), so
# that none misses an event written before its service first ran.
CONSUMER_GROUPS = (
    "notification_consumer",
    "analytics_consumer",
    "search_consumer",
    "recommendation_consumer",
    "audit_consumer",
)

# Who reads what: consumer group → the streams its service's @stream_handler reads. A group
# not in CONSUMER_GROUPS (order_consumer) is created by its service at start.
READERS = {
    "notification_consumer": ("user_events", "order_events", "payment_events", "product_events"),
    "analytics_consumer": ("order_events", "payment_events", "cart_events", "product_events",
                           "user_events", "search_events"),
    "search_consumer": ("product_events", "user_events", "order_events", "cart_events",
                        "search_events"),
    "recommendation_consumer": ("product_events", "cart_events", "order_events",
                                "search_events"),
    "order_consumer": ("payment_events", "cart_events"),
    "audit_consumer": ALL_STREAMS,
}
# Besides the groups, every gateway worker tails all streams from their end (XREAD, no group)
# for WebSocket/SSE fan-out and its catalog cache.

DEAD_LETTER_STREAM = "dead_letter"


def events_exchange(service_name):
    """The name of nameko's events exchange for a service."""
    return f"{service_name}.events"


def events_exchange_entity(service_name, config):
    """The exchange exactly as a nameko service declares it: nameko's own get_event_exchange
    (topic, durable, auto_delete from AUTO_DELETE_EVENT_EXCHANGES, false when unset)."""
    return get_event_exchange(service_name, config)


def bridge_queue(queue_name, config, services=ALL_SERVICES):
    """The bridge's queue (durable, no extra arguments) bound with `#` to the events exchange
    of each of `services`. The bridge declares it for all; a publisher for its own exchange,
    so that an event published before the bridge ever ran is queued, not dropped."""
    bindings = [binding(events_exchange_entity(service, config), routing_key="#")
                for service in services]
    return Queue(queue_name, durable=True, bindings=bindings)


def declare_bridge_queue(channel, queue_name, config, services=ALL_SERVICES):
    """Declare the queue, then per binding its exchange and the bind (all idempotent)."""
    queue = bridge_queue(queue_name, config, services)
    queue.maybe_bind(channel).declare()
    return queue
