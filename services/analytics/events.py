"""The events the analytics service emits (through its outbox) and the shape of each `data`.

analytics.sale        {order_id, amount, currency, day, live{...}} once per paid order; `live`
                      is the dashboard's live figures right after it (see live.py)
analytics.conversion  {order_id, stage: checkout|paid, day} the funnel moved
analytics.page_view   {session_id, user_id|null, path, product_id|null, viewed_at}
analytics.user_event  {session_id, user_id|null, event_type, product_id|null, occurred_at}
"""
SALE = "analytics.sale"
CONVERSION = "analytics.conversion"
PAGE_VIEW = "analytics.page_view"
USER_EVENT = "analytics.user_event"

# What the consumer reads, by stream (ARCHITECTURE §3): the events it turns into figures.
ORDER_CREATED = "order.created"
ORDER_PAID = "order.payment.completed"
ITEM_ADDED = "cart.item_added"
CART_ABANDONED = "cart.abandoned"
PRODUCT_VIEWED = "product.viewed"
USER_CREATED = "user.created"
SEARCH_QUERY = "search.query"
REFUND_PROCESSED = "refund.processed"

STREAMS = ("order_events", "payment_events", "cart_events", "product_events", "user_events",
           "search_events")
