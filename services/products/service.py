"""The products service: the catalog, stock and its reservations, reviews, views and trending.

Entry points only; the rules live in catalog.py (reading), merchandising.py (staff writes),
inventory.py (stock), reviews.py and trending.py; events.py lists every event and its data.
Every state change commits with its event through the outbox; Redis caches are touched only
after the commit and never decide anything.

Error codes: NotFound product_not_found, variant_not_found, category_not_found,
brand_not_found, review_not_found, reservation_not_found · Conflict out_of_stock,
insufficient_stock, reservation_mismatch, reservation_committed, reservation_released,
reservation_not_committed, review_exists, sku_taken, slug_taken, variant_exists · Forbidden
staff_only, not_review_author · ValidationFailed validation_failed (details.fields names each
field).
"""

import redis

from kit import service_base
from kit.errors import ValidationFailed
from kit.redis_client import Redis
from kit.rpc import rpc
from kit.schemas import load
from services.products import (catalog, inventory, merchandising, presenters, product_cache,
                               reviews, trending)
from services.products.schemas import (AdjustStockSchema, IdSchema, ImageSchema,
                                       OrderRefSchema, ProductCreateSchema, ProductFiltersSchema,
                                       ProductUpdateSchema, ReservationSchema, ReviewPageSchema,
                                       ReviewSchema, ReviewUpdateSchema, SetStockSchema,
                                       TrendingSchema, VariantCreateSchema, VariantIdsSchema,
                                       VariantUpdateSchema, ViewSchema)

def _nothing_to_update():
    return ValidationFailed("validation_failed", "Nothing to update.",
                            {"fields": {"_schema": ["Send at least one field."]}})


class ProductsService(service_base.SqlService):
    name = "products"

    # db, outbox: service_base.SqlService
    redis = Redis()

    @property
    def half_life_s(self):
        return int(self.config.get("PRODUCTS", {}).get("trending_half_life_s",
                                                        trending.DEFAULT_HALF_LIFE_S))

    # --- browsing ---------------------------------------------------------------------------

    @rpc
    def list_products(self, filters=None):
        """Active products matching `filters`, one keyset page: {items, next_cursor}."""
        return catalog.list_products(self.db.session, load(ProductFiltersSchema(), filters or {}))

    @rpc
    def get_product(self, product_id, include_inactive=False):
        """A product with its variants, images, category path and rating summary."""
        args = load(IdSchema(), {"product_id": product_id, "include_inactive": include_inactive})
        if args["include_inactive"]:  # staff views bypass the shoppers' cache
            return catalog.product_details(self.db.session, args["product_id"], True)
        cached, generation = product_cache.read(self.redis, args["product_id"])
        if cached is not None:
            return cached
        product = catalog.product_details(self.db.session, args["product_id"], False)
        product_cache.store_if_current(self.redis, args["product_id"], generation, product)
        return product

    @rpc
    def list_categories(self):
        """The category tree: roots with nested `children`."""
        return catalog.list_categories(self.db.session)

    @rpc
    def list_brands(self):
        return [presenters.brand(b) for b in catalog.list_brands(self.db.session)]

    @rpc
    def get_variants(self, variant_ids):
        """Current price, currency, stock and sellability of each variant, in the order asked.

        For cart and orders. Read from the database, never from a cache.
        """
        ids = load(VariantIdsSchema(), {"variant_ids": variant_ids})["variant_ids"]
        found = {v.id: presenters.variant_for_sale(v, p)
                 for v, p in catalog.variants_with_products(self.db.session, ids)}
        missing = set(ids) - set(found)
        if missing:
            raise catalog.variant_not_found(missing)
        return [found[i] for i in ids]

    # --- reviews ----------------------------------------------------------------------------

    @rpc
    def add_review(self, user_id, product_id, rating, title, body):
        fields = load(ReviewSchema(), {"user_id": user_id, "product_id": product_id,
                                       "rating": rating, "title": title, "body": body})
        with catalog.unique_conflicts(), self.db.transaction() as session:
            review = reviews.add_review(session, self.outbox, **fields)
            result = presenters.review(review)
        self._forget_product(fields["product_id"])
        return result

    @rpc
    def update_review(self, user_id, review_id, changes):
        """The author edits rating, title or body; anyone else gets Forbidden."""
        ids = load(IdSchema(), {"user_id": user_id, "review_id": review_id})
        changes = load(ReviewUpdateSchema(), changes or {})
        if not changes:
            raise _nothing_to_update()
        with self.db.transaction() as session:
            review = reviews.update_review(session, self.outbox, ids["user_id"],
                                           ids["review_id"], changes)
            result = presenters.review(review)
        self._forget_product(result["product_id"])
        return result

    @rpc
    def list_reviews(self, product_id, cursor=None, limit=20):
        """Newest first: {items, next_cursor}."""
        page = load(ReviewPageSchema(), {"product_id": product_id, "cursor": cursor,
                                         "limit": limit})
        rows, next_cursor = reviews.list_reviews(self.db.session, **page)
        return {"items": [presenters.review(r) for r in rows], "next_cursor": next_cursor}

    # --- views and trending -----------------------------------------------------------------

    @rpc
    def record_view(self, product_id, user_id=None, session_id=None):
        """A shopper opened a product page: history row + product.viewed, then Redis counters."""
        view = load(ViewSchema(), {"product_id": product_id, "user_id": user_id,
                                   "session_id": session_id})
        with self.db.transaction() as session:
            viewed_at = trending.log_view(session, self.outbox, **view).viewed_at
        try:
            views = trending.record(self.redis, view["product_id"], view["user_id"],
                                    view["session_id"], at=viewed_at.timestamp(),
                                    half_life_s=self.half_life_s)
        except redis.RedisError:
            views = None  # the view is recorded; only the counters missed it
        return {"product_id": view["product_id"], "views": views,
                "viewed_at": presenters.iso(viewed_at)}

    @rpc
    def get_trending(self, limit=10):
        """Active products by time-decayed views (half-life in trending.py), hottest first."""
        limit = load(TrendingSchema(), {"limit": limit})["limit"]
        ranked = trending.top(self.redis, limit * 2, half_life_s=self.half_life_s)
        cards = catalog.cards_by_id(self.db.session, [pid for pid, _, _ in ranked])
        return [{**cards[pid], "trending_score": round(score, 4), "views": total}
                for pid, score, total in ranked if pid in cards][:limit]

    # --- stock for orders -------------------------------------------------------------------

    @rpc
    def reserve_stock(self, order_ref, items):
        """Hold stock for every line of an order, or for none (Conflict out_of_stock).

        Idempotent per order_ref: a repeat returns the existing reservation (replayed=true).
        `lines` prices each line as get_variants would, read in the reserving transaction,
        so a checkout needs no get_variants call of its own.
        """
        request = load(ReservationSchema(), {"order_ref": order_ref, "items": items})
        with self.db.transaction() as session:
            rows, changes, replayed = inventory.reserve(session, self.outbox, **request)
            result = presenters.reservation(request["order_ref"], rows, replayed)
            result["lines"] = [presenters.variant_for_sale(v, p) for v, p in
                               catalog.variants_with_products(
                                   session, sorted(r.variant_id for r in rows))]
        inventory.refresh_caches(self.redis, changes)
        return result

    @rpc
    def commit_stock(self, order_ref):
        """The order is paid: its reservation becomes a sale. Idempotent."""
        order_ref = load(OrderRefSchema(), {"order_ref": order_ref})["order_ref"]
        with self.db.transaction() as session:
            rows, replayed = inventory.commit(session, order_ref)
            return presenters.reservation(order_ref, rows, replayed)

    @rpc
    def release_stock(self, order_ref):
        """Put a reservation's units back; refused (Conflict) once committed. Idempotent."""
        order_ref = load(OrderRefSchema(), {"order_ref": order_ref})["order_ref"]
        with self.db.transaction() as session:
            rows, changes, replayed = inventory.release(session, self.outbox, order_ref)
            result = presenters.reservation(order_ref, rows, replayed)
        inventory.refresh_caches(self.redis, changes)
        return result

    @rpc
    def return_stock(self, order_ref):
        """A committed (sold) order came back unshipped: put its units back. Idempotent.

        Conflict reservation_not_committed unless the reservation was committed."""
        order_ref = load(OrderRefSchema(), {"order_ref": order_ref})["order_ref"]
        with self.db.transaction() as session:
            rows, changes, replayed = inventory.return_stock(session, self.outbox, order_ref)
            result = {**presenters.reservation(order_ref, rows, replayed), "returned": True}
        inventory.refresh_caches(self.redis, changes)
        return result

    # --- staff: catalog ---------------------------------------------------------------------

    @rpc
    def create_product(self, actor, payload):
        actor_id = merchandising.require_staff(actor)
        fields = load(ProductCreateSchema(), payload)
        with catalog.unique_conflicts(), self.db.transaction() as session:
            product, opening = merchandising.create_product(session, self.outbox, fields,
                                                            actor_id)
            result = catalog.product_details(session, product.id, include_inactive=True)
        inventory.refresh_caches(self.redis, opening)
        return result

    @rpc
    def update_product(self, actor, product_id, changes):
        """Name, description, brand, category, price, currency, is_active. A price change's
        product.updated event carries old_price and new_price."""
        merchandising.require_staff(actor)
        ids = load(IdSchema(), {"product_id": product_id})
        changes = load(ProductUpdateSchema(), changes or {})
        if not changes:
            raise _nothing_to_update()
        with self.db.transaction() as session:
            merchandising.update_product(session, self.outbox, ids["product_id"], changes)
            result = catalog.product_details(session, ids["product_id"], include_inactive=True)
        self._forget_product(ids["product_id"])
        return result

    @rpc
    def deactivate_product(self, actor, product_id):
        """Hide a product from the shop and stop its sale (its variants can't be reserved)."""
        merchandising.require_staff(actor)
        ids = load(IdSchema(), {"product_id": product_id})
        with self.db.transaction() as session:
            merchandising.update_product(session, self.outbox, ids["product_id"],
                                         {"is_active": False})
            result = catalog.product_details(session, ids["product_id"], include_inactive=True)
        self._forget_product(ids["product_id"])
        return result

    @rpc
    def add_variant(self, actor, product_id, payload):
        actor_id = merchandising.require_staff(actor)
        ids = load(IdSchema(), {"product_id": product_id})
        spec = load(VariantCreateSchema(), payload)
        with catalog.unique_conflicts(), self.db.transaction() as session:
            product, variant, opening = merchandising.add_variant(
                session, self.outbox, ids["product_id"], spec, actor_id)
            result = presenters.variant(variant, product)
        inventory.refresh_caches(self.redis, opening, product_ids=[ids["product_id"]])
        return result

    @rpc
    def update_variant(self, actor, variant_id, changes):
        """Size, colour, price override (null: the product's price), threshold, is_active.
        Stock moves only through set_stock / adjust_stock."""
        merchandising.require_staff(actor)
        ids = load(IdSchema(), {"variant_id": variant_id})
        changes = load(VariantUpdateSchema(), changes or {})
        if not changes:
            raise _nothing_to_update()
        with catalog.unique_conflicts(), self.db.transaction() as session:
            product, variant, _ = merchandising.update_variant(session, self.outbox,
                                                               ids["variant_id"], changes)
            result = presenters.variant(variant, product)
        self._forget_product(result["product_id"])
        return result

    @rpc
    def add_image(self, actor, product_id, payload):
        merchandising.require_staff(actor)
        ids = load(IdSchema(), {"product_id": product_id})
        spec = load(ImageSchema(), payload)
        with self.db.transaction() as session:
            image = merchandising.add_image(session, self.outbox, ids["product_id"], spec)
            result = presenters.image(image)
        self._forget_product(ids["product_id"])
        return result

    # --- staff: stock -----------------------------------------------------------------------

    @rpc
    def set_stock(self, actor, variant_id, quantity, reason):
        """A shelf count: the variant now has exactly `quantity` units available."""
        actor_id = merchandising.require_staff(actor)
        args = load(SetStockSchema(), {"variant_id": variant_id, "quantity": quantity,
                                       "reason": reason})
        return self._change_stock(inventory.set_stock, args["variant_id"], args["quantity"],
                                  args["reason"].strip(), actor_id)

    @rpc
    def adjust_stock(self, actor, variant_id, delta, reason):
        """A delivery (+) or a write-off (-); Conflict insufficient_stock below zero."""
        actor_id = merchandising.require_staff(actor)
        args = load(AdjustStockSchema(), {"variant_id": variant_id, "delta": delta,
                                          "reason": reason})
        return self._change_stock(inventory.adjust_stock, args["variant_id"], args["delta"],
                                  args["reason"].strip(), actor_id)

    def _change_stock(self, change, variant_id, amount, reason, actor_id):
        with self.db.transaction() as session:
            variant, stock_change = change(session, self.outbox, variant_id, amount, reason,
                                           actor_id)
            result = presenters.variant(variant, catalog.require_product(
                session, variant.product_id, include_inactive=True))
        inventory.refresh_caches(self.redis, [stock_change] if stock_change else [])
        return result

    # --- caches -----------------------------------------------------------------------------

    def _forget_product(self, product_id):
        inventory.refresh_caches(self.redis, [], product_ids=[product_id])
