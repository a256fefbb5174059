"""The recommendations service: lists for shoppers, learned from the shop's event streams.

Entry points only; the rules live in interactions.py (events → implicit feedback), catalog.py
(our catalog projection), algorithms.py (popularity, CF, content, hybrid), rules.py (in stock,
not bought, diverse), serving.py (making and caching lists), registry.py (model versions),
feedback.py (shown → clicked → bought), evaluation.py and behaviour.py (offline, used by
train.py); events.py lists every event and its data.

Error codes: NotFound product_not_found, model_not_found · Conflict no_previous_model ·
ValidationFailed validation_failed (details.fields names each field; `limit` is 1..50).
"""
import logging

from nameko.rpc import RpcProxy
from nameko.timer import timer

from kit import recs_cache, service_base
from kit.errors import NotFound
from kit.redis_client import Redis
from kit.rpc import rpc
from kit.schemas import load
from kit.streams import stream_handler
from services.recommendations import (catalog, feedback, interactions, presenters,
                                      purchases, registry, serving)
from services.recommendations.dependencies import RecommendationEngine
from services.recommendations.models import UserPreference
from services.recommendations.schemas import (CartSchema, ClickSchema, ForUserSchema,
                                              OptionalVersionSchema, PopularSchema,
                                              ProductListSchema, VersionSchema)

log = logging.getLogger(__name__)

GROUP = interactions.CONSUMER
CATALOG_EVENTS = ("product.created", "product.updated", "product.inventory.updated")


class RecommendationsService(service_base.SqlService):
    name = "recommendations"

    # db, outbox: service_base.SqlService
    redis = Redis()
    engine = RecommendationEngine()
    products = RpcProxy("products")

    # --- learning from the streams ----------------------------------------------------------

    @stream_handler("product_events", "cart_events", "order_events", "payment_events",
                    "search_events", group=GROUP)
    def learn_from_event(self, event):
        """Catalog events keep our projection current; shopper events become interactions; an
        order counts as bought once it is paid and is taken back when refunded (purchases.py). Once per event id; the lists it
        changes stop being served at once (generations), and a purchase remakes that
        shopper's list right away (folded in, no retrain)."""
        kind = event["type"]
        found = interactions.from_event(event)
        if kind not in CATALOG_EVENTS and kind not in purchases.ORDER_EVENTS and not found:
            return
        catalog_changed, taken_back = False, None
        with self.db.transaction() as session:
            if not interactions.first_time(session, event["id"], kind):
                return
            if kind in CATALOG_EVENTS:
                catalog_changed = catalog.apply_product_event(session, event)
            event_id = None
            if kind in purchases.ORDER_EVENTS:
                found, taken_back = purchases.apply(session, event)
                event_id = purchases.purchase_event_id(event["data"]["order_id"]) if found \
                    else None
            interactions.record(session, event, found, event_id)
            bought_now = [f for f in found if f[2] == "purchase"]
            if bought_now:
                feedback.purchased(session, self.outbox, bought_now[0][0],
                                   [f[1] for f in bought_now], event["data"].get("order_id"))
        keys = self.engine.keys
        pipe = self.redis.pipeline(transaction=False)
        if catalog_changed:
            pipe.incr(keys.gen)
        users = sorted({f[0] for f in found} | ({taken_back} if taken_back else set()))
        for user_id in users:
            pipe.incr(keys.user_gen(user_id))
        for user_id, product_id, _, _ in bought_now:
            pipe.sadd(keys.bought(user_id), product_id)
        if taken_back:
            pipe.delete(keys.bought(taken_back))  # refilled from the database when next made
        pipe.execute()
        if bought_now:  # "learns from the purchase": the shopper's list is remade now
            self.engine.generate_for_user(self.db, self.redis, self.outbox, bought_now[0][0])

    # --- serving ----------------------------------------------------------------------------

    @rpc
    def for_user(self, user_id, limit=10):
        """{items[{product_id, name, …, score, reason}], model_version, strategy}."""
        args = load(ForUserSchema(), {"user_id": user_id, "limit": limit})
        body = self.engine.generate_for_user(self.db, self.redis, self.outbox, args["user_id"])
        return recs_cache.sliced(body, args["limit"])

    @rpc
    def similar(self, product_id, limit=10, user_id=None):
        args = load(ProductListSchema(), {"product_id": product_id, "limit": limit,
                                          "user_id": user_id})
        return self._product_list(args, self.engine.keys.similar, self.engine.similar)

    @rpc
    def bought_together(self, product_id, limit=10, user_id=None):
        args = load(ProductListSchema(), {"product_id": product_id, "limit": limit,
                                          "user_id": user_id})
        return self._product_list(args, self.engine.keys.together, self.engine.together)

    @rpc
    def popular(self, limit=10, user_id=None):
        """What most shoppers go for (guests, cold shoppers): every item's reason is "popular"."""
        args = load(PopularSchema(), {"limit": limit, "user_id": user_id})
        keys, session = self.engine.keys, self.db.session
        gen, raw = self.redis.mget(keys.gen, keys.popular)
        body = recs_cache.fresh_body(raw, gen)
        if body is None:
            self.engine.refresh(session, gen)
            body = self.engine.popular_body(session)
            self.redis.set(keys.popular, recs_cache.entry(body, gen),
                           ex=recs_cache.POPULAR_TTL_S)
        bought = interactions.bought(session, args["user_id"]) if args["user_id"] else ()
        return recs_cache.sliced(body, args["limit"], bought)

    def _product_list(self, args, key_of, make):
        key = key_of(args["product_id"])
        gen, raw = self.redis.mget(self.engine.keys.gen, key)
        body = recs_cache.fresh_body(raw, gen)
        session = self.db.session
        if body is None:
            self.engine.refresh(session, gen)
            if args["product_id"] not in self.engine.snapshot:
                return self._cold_product(session, args)
            body = make(args["product_id"])
            self.redis.set(key, recs_cache.entry(body, gen), ex=recs_cache.TTL_S)
        bought = interactions.bought(session, args["user_id"]) if args["user_id"] else ()
        return recs_cache.sliced(body, args["limit"], bought)

    def _cold_product(self, session, args):
        """A product we have not heard of: 404 if the products service has not either, else
        take it into our catalog (lists made from now on know it) and answer popularity."""
        try:
            detail = self.products.get_product(args["product_id"])
        except NotFound:
            raise serving.product_not_found(args["product_id"])
        with self.db.transaction() as tx:
            catalog.upsert(tx, catalog.row_from_detail(detail))
        self.redis.incr(self.engine.keys.gen)
        return self.popular(args["limit"], args["user_id"])

    @rpc
    def for_cart(self, product_ids, user_id=None, limit=10):
        """What goes with these products (a cart's), leaving them and past purchases out.
        Cached under the cart's contents (kit/recs_cache.py), for the gateway to read."""
        args = load(CartSchema(), {"product_ids": product_ids, "user_id": user_id,
                                   "limit": limit})
        keys, session = self.engine.keys, self.db.session
        key = keys.cart(args["product_ids"])
        gen, raw = self.redis.mget(keys.gen, key)
        body = recs_cache.fresh_body(raw, gen)
        if body is None:
            self.engine.refresh(session, gen)
            body = self.engine.for_cart(session, args["product_ids"])
            self.redis.set(key, recs_cache.entry(body, gen), ex=recs_cache.TTL_S)
        bought = interactions.bought(session, args["user_id"]) if args["user_id"] else ()
        return recs_cache.sliced(body, args["limit"], bought)

    @rpc
    def get_preferences(self, user_id):
        """The taste profile learned so far: top categories and brands by weight."""
        args = load(ForUserSchema(), {"user_id": user_id})
        return presenters.preferences(args["user_id"],
                                      self.db.session.get(UserPreference, args["user_id"]))

    # --- feedback ---------------------------------------------------------------------------

    @rpc
    def record_click(self, user_id, product_id, surface, model_version=None):
        """A shopper opened a recommended product (recommendation.clicked)."""
        args = load(ClickSchema(), {"user_id": user_id, "product_id": product_id,
                                    "surface": surface, "model_version": model_version})
        with self.db.transaction() as session:
            version = args["model_version"]
            if version is None:
                version = registry.active_version(session) or 0
            elif version:
                registry.get(session, version)  # NotFound model_not_found
            feedback.clicked(session, self.outbox, args["user_id"], args["product_id"],
                             args["surface"], version)
        return {"user_id": args["user_id"], "product_id": args["product_id"],
                "surface": args["surface"], "model_version": version, "clicked": True}

    @rpc
    def click_through_rates(self, version=None):
        """[{model_version, shown, clicked, purchased, ctr, purchase_rate}] per version."""
        args = load(OptionalVersionSchema(), {"version": version})
        session = self.db.session
        if args["version"]:
            registry.get(session, args["version"])
        return feedback.rates(session, args["version"])

    # --- model versions ---------------------------------------------------------------------

    @rpc
    def list_models(self):
        return [presenters.model(m) for m in registry.listing(self.db.session)]

    @rpc
    def get_model(self, version):
        args = load(VersionSchema(), {"version": version})
        return presenters.model(registry.get(self.db.session, args["version"]))

    @rpc
    def activate_model(self, version):
        """Serve this version from now on (every cached list is dropped by the generation)."""
        args = load(VersionSchema(), {"version": version})
        with self.db.transaction() as session:
            result = presenters.model(registry.activate(session, self.outbox, args["version"]))
        self.redis.incr(self.engine.keys.gen)
        return result

    @rpc
    def rollback_model(self):
        """Serve the model that was active before the current one again."""
        with self.db.transaction() as session:
            result = presenters.model(registry.rollback(session, self.outbox))
        self.redis.incr(self.engine.keys.gen)
        return result

    @rpc
    def catalog_synced(self):
        """The train command calls this after it refreshed the catalog projection."""
        return {"generation": self.redis.incr(self.engine.keys.gen)}

    @timer(interval=60)
    def warm(self):
        """Keep this process's snapshot and model loaded, so a first request does not pay."""
        try:
            self.engine.refresh(self.db.session, self.redis.get(self.engine.keys.gen))
        except Exception:
            log.exception("warming the recommendation engine failed")
