"""Who publishes what, and where it lands: one table for services, exchanges, streams, groups."""

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

CONSUMER_GROUPS = (
    "notification_consumer",
    "analytics_consumer",
    "search_consumer",
    "recommendation_consumer",
    "audit_consumer",
)

DEAD_LETTER_STREAM = "dead_letter"


def events_exchange(service_name):
    """nameko's events exchange for a service (topic, durable)."""
    return f"{service_name}.events"
