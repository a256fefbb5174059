"""The search service: product search with typo tolerance, facets, autocomplete and personal
ranking on Elasticsearch, staff search over users and orders, click tracking and trends.

Entry points only; the rules live in schemas.py (what a request may say), queries.py (the
Elasticsearch bodies), searching.py (cache → ES → page), indexing.py (the stream consumer),
indices.py (mappings, aliases), personal.py, analytics.py, cache.py; events.py lists the events.
`python -m services.search.reindex` rebuilds every index from the owners.

Error codes: ValidationFailed empty_query, query_too_long, unknown_filter, invalid_price_range,
limit_too_large, invalid_cursor, validation_failed · NotFound search_not_found · Forbidden
staff_only · Unavailable search_unavailable (Elasticsearch down: answered within 1 s).
"""
import logging

from nameko.rpc import RpcProxy
from nameko.timer import timer

from kit import service_base
from kit.errors import Forbidden, ValidationFailed
from kit.redis_client import Redis
from kit.rpc import rpc
from kit.streams import stream_handler
from services.search import analytics, events, indexing, schemas, searching
from services.search.bulk import Bulk
from services.search.engine import Engine
from services.search.settings import SearchSettings

log = logging.getLogger(__name__)

STAFF_ROLES = ("support", "admin")
USER_FIELDS = ["username^3", "full_name^2", "bio", "location"]
ORDER_FIELDS = ["all_text", "product_names"]


class SearchService(service_base.SqlService):
    name = "search"

    # db, outbox: service_base.SqlService
    es = Engine()
    bulk = Bulk()
    redis = Redis()
    products = RpcProxy("products")
    users = RpcProxy("users")
    orders = RpcProxy("orders")
    settings_class = SearchSettings

    # --- shoppers -------------------------------------------------------------------------

    @rpc
    def search(self, params, user_id=None):
        """Products for raw parameters (q, filters, sort, limit, cursor); see gateway/apidoc."""
        request = schemas.search_request(params, self.settings)
        page = searching.search_products(self.es, self.redis, self.db.session, request,
                                         user_id, self.settings)
        search_id = searching.new_search_id()
        with self.db.transaction() as session:
            analytics.record_search(session, self.outbox, search_id, user_id, request,
                                    page["total"], [i["product_id"] for i in page["items"]])
        return {**page, "search_id": search_id}

    @rpc
    def suggest(self, q, limit=8):
        prefix = schemas.query_text(q, self.settings, required=True)
        size = schemas.limit({"limit": limit}, 8, self.settings.suggest_max)
        return {"query": prefix, "suggestions": searching.suggest(self.es, prefix, size)}

    @rpc
    def record_click(self, search_id, product_id, position=None, user_id=None):
        if not isinstance(product_id, int) or product_id < 1:
            raise ValidationFailed("validation_failed", "Some fields are invalid.",
                                   {"fields": {"product_id": ["A positive integer."]}})
        search_id = _uuid(search_id)
        with self.db.transaction() as session:
            analytics.record_click(session, self.outbox, search_id, product_id, position,
                                   user_id)
        return {"recorded": True}

    @rpc
    def trending(self, days=7, limit=10):
        """The most searched queries of the last `days` days (today's rollup made first)."""
        with self.db.transaction() as session:
            analytics.rollup_trends(session)
            return {"items": analytics.trending(session, days, limit)}

    # --- staff ------------------------------------------------------------------------------

    @rpc
    def search_users(self, params, actor):
        _staff(actor)
        request = schemas.page_request(params, self.settings, ())
        return searching.staff_search(self.es, "users", request, USER_FIELDS, {}, "user_id")

    @rpc
    def search_orders(self, params, actor):
        """Staff search every order; anyone else only their own (user_id is forced)."""
        request = schemas.page_request(params, self.settings, ("status", "user_id"))
        filters = {"status": request["status"], "user_id": request["user_id"]}
        if (actor or {}).get("role") not in STAFF_ROLES:
            if filters["user_id"] not in (None, actor["user_id"]):
                raise Forbidden("staff_only", "Only staff may search other people's orders.",
                                {"fields": {"user_id": ["Staff only."]}})
            filters["user_id"] = actor["user_id"]
        return searching.staff_search(self.es, "orders", request, ORDER_FIELDS, filters,
                                      "order_id")

    # --- keeping the indices current ----------------------------------------------------------

    @stream_handler(*indexing.STREAMS, group=indexing.CONSUMER)
    def index_event(self, event):
        """Rebuild what the event names from its owner; count views, carts and purchases once."""
        self._indexer().handle(event)

    @rpc
    def refresh_documents(self, kind, ids, index=None):
        """Rebuild documents of `kind` from their owners into `index` (default: the alias).
        The reindex command calls this for its catch-up after an alias swap."""
        indexer = self._indexer()
        {"products": indexer.refresh_products, "users": indexer.refresh_users,
         "orders": indexer.refresh_orders}[kind](ids, index=index)
        return len(ids)

    @rpc
    def index_swapped(self, kind, index, previous, documents, took_s):
        """The reindex moved an alias: say so with search.index.updated (through the outbox)."""
        with self.db.transaction() as session:
            self.outbox.add(session, events.INDEX_UPDATED, {
                "kind": kind, "index": index, "alias": self.es.alias(kind),
                "previous": previous, "documents": documents, "took_s": took_s})

    @timer(interval=60)
    def roll_up_trends(self):
        """search_trends for today (recomputed: idempotent), so /trending stays current."""
        with self.db.transaction() as session:
            analytics.rollup_trends(session)

    def _indexer(self):
        return indexing.Indexer(self.db, self.es, self.bulk, self.redis, self.products,
                                self.users, self.orders)


def _staff(actor):
    if (actor or {}).get("role") not in STAFF_ROLES:
        raise Forbidden("staff_only", "Only staff may search users.", {})


def _uuid(value):
    import uuid
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationFailed("validation_failed", "Some fields are invalid.",
                               {"fields": {"search_id": ["Not a valid id."]}}) from None
