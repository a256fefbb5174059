"""How each stream event keeps the indices current (`search_consumer`).

Events only name what changed; the document is rebuilt from its owner over RPC (products,
users, orders), so a replay, a reordering or a reindex racing live updates all converge on the
owner's truth. Counters (popularity, a shopper's affinities) change once per event id, in the
same search_db transaction that records the event as processed.

While a reindex builds a new index, every product/user/order this consumer rebuilds is also
noted in `search:reindex:<kind>:touched`; the reindex rebuilds those again after its alias
swap, so nothing written during the build is lost.
"""
import hashlib
import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

import kit.db
from kit.errors import NotFound
from services.search import analytics, cache, documents, events, personal
from services.search.models import ProcessedEvent, ProductPopularity

log = logging.getLogger(__name__)

CONSUMER = "search_consumer"
STREAMS = ("product_events", "user_events", "order_events", "cart_events", "search_events")
PRODUCT_REFRESH = ("product.created", "product.updated", "product.inventory.updated",
                   "product.reviewed")
USER_REFRESH = ("user.created", "user.updated")
PURCHASED = "paid"


def active_key(kind):
    return f"search:reindex:{kind}:active"


def touched_key(kind):
    return f"search:reindex:{kind}:touched"


def already_processed(session, event_id):
    return session.scalar(sa.select(sa.literal(True)).where(
        ProcessedEvent.event_id == event_id, ProcessedEvent.consumer == CONSUMER)) is not None


def first_time(session, event):
    return kit.db.first_time(session, ProcessedEvent, event["id"], event["type"], CONSUMER)


class Indexer:
    """The consumer's work for one event, with the worker's dependencies."""

    def __init__(self, db, es, bulk, redis, products, users, orders):
        self.db, self.es, self.bulk, self.redis = db, es, bulk, redis
        self.products, self.users, self.orders = products, users, orders

    def handle(self, event):
        with self.db.transaction() as session:
            if already_processed(session, event["id"]):
                return "duplicate"
        kind, data = event["type"], event.get("data") or {}
        counted = None
        if kind in PRODUCT_REFRESH:
            self.refresh_products([data["product_id"]])
            if events.changes_results(event):
                cache.drop_all(self.redis)
        elif kind in USER_REFRESH:
            self.refresh_users([data["user_id"]])
        elif kind.startswith("order.") and data.get("order_id"):
            order = self.refresh_orders([data["order_id"]]).get(data["order_id"])
            if kind == "order.status.updated" and data.get("new_status") == PURCHASED and order:
                counted = ("purchase", order)
        elif kind == "product.viewed":
            counted = ("view", data)
        elif kind == "cart.item_added" and data.get("user_id"):
            counted = ("cart", data)
        elif kind == events.QUERY:
            self.refresh_suggestion(data)
        with self.db.transaction() as session:
            if not first_time(session, event) or counted is None:
                return "done"
            after = self._count(session, *counted)
        if after:
            after()
        return "done"

    # --- counters (once per event id, in the processed_events transaction) -------------------

    def _count(self, session, what, data):
        if what == "view":
            views = session.execute(
                insert(ProductPopularity).values(product_id=data["product_id"], views=1)
                .on_conflict_do_update(index_elements=["product_id"],
                                       set_={"views": ProductPopularity.views + 1})
                .returning(ProductPopularity.views)).scalar_one()
            if data.get("user_id"):
                personal.add(session, data["user_id"], self.product_source(data["product_id"]),
                             personal.VIEW)
            return lambda: self.bulk.submit([("update", self.es.alias("products"),
                                              data["product_id"], {"popularity": int(views)})])
        if what == "cart":
            doc = self.product_source(data["product_id"])
            size = next((v["size"] for v in (doc or {}).get("variants", [])
                         if v["variant_id"] == data.get("variant_id")), None)
            personal.add(session, data["user_id"], doc, personal.CART, size)
        elif what == "purchase":
            for item in data.get("items") or []:
                personal.add(session, data["user_id"], self.product_source(item["product_id"]),
                             personal.PURCHASE, item.get("size"))
        return None

    def product_source(self, product_id):
        reply = self.es.client.options(ignore_status=404).get(index=self.es.alias("products"),
                                                              id=str(product_id))
        return reply.get("_source") if reply.get("found") else None

    # --- rebuilding documents from their owners ------------------------------------------------

    def _note(self, kind, ids):
        if ids and self.redis.exists(active_key(kind)):
            self.redis.sadd(touched_key(kind), *ids)

    def refresh_products(self, product_ids, index=None):
        ids = sorted(set(product_ids))
        self._note("products", ids)
        with self.db.transaction() as session:
            views = dict(session.execute(sa.select(ProductPopularity.product_id,
                                                   ProductPopularity.views)
                                         .where(ProductPopularity.product_id.in_(ids))).all())
        target = index or self.es.alias("products")
        actions = []
        for pid in ids:
            try:
                product = self.products.get_product(pid, include_inactive=True)
            except NotFound:
                product = None
            doc = documents.product_doc(product, views.get(pid, 0)) if product else None
            actions.append(("index", target, pid, doc) if doc else ("delete", target, pid, None))
        self.bulk.submit(actions, refresh=True)
        return actions

    def refresh_users(self, user_ids, index=None):
        ids = sorted(set(user_ids))
        self._note("users", ids)
        target = index or self.es.alias("users")
        actions = []
        for uid in ids:
            try:
                actions.append(("index", target, uid, documents.user_doc(self.users.get_user(uid))))
            except NotFound:
                actions.append(("delete", target, uid, None))
        self.bulk.submit(actions)

    def refresh_orders(self, order_ids, index=None):
        ids = sorted(set(order_ids))
        self._note("orders", ids)
        target = index or self.es.alias("orders")
        actions, found = [], {}
        for oid in ids:
            try:
                order = self.orders.get_order(oid)
            except NotFound:
                actions.append(("delete", target, oid, None))
                continue
            found[oid] = order
            actions.append(("index", target, oid, documents.order_doc(order)))
        self.bulk.submit(actions)
        return found

    def refresh_suggestion(self, data):
        query = analytics.normalise(data.get("query") or "")
        if not query or not data.get("results_count"):
            return
        with self.db.transaction() as session:
            frequency = analytics.query_frequency(session, query)
        if frequency:
            self.bulk.submit([("index", self.es.alias("search_suggestions"), suggestion_id(query),
                               documents.suggestion_doc(query, frequency))])


def suggestion_id(query):
    return hashlib.sha1(query.encode()).hexdigest()
