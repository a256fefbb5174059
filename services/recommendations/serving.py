"""Making the lists a shopper sees: for-me, similar, bought together, for a cart.

One `Engine` per process holds the catalog snapshot and the active model's scorer, reloaded
when the Redis generation moves. A shopper is folded in from their newest interactions at every
computation (no retrain), then the business rules pick the list. Lists are computed at
MAX_LIMIT items, cached in Redis under the generations read before computing, and cut to the
caller's limit by whoever serves them (the gateway reads the cache itself).
"""
import threading
import time
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp
import sqlalchemy as sa

from kit.errors import NotFound
from kit import recs_cache
from services.recommendations import (algorithms, catalog, feedback, interactions,
                                      registry, rules)
from services.recommendations import events as rec_events
from services.recommendations.models import ProductRecommendation

CAP = recs_cache.MAX_LIMIT
POPULARITY_TTL_S = 30
REASON_OF_PART = {0: "similar_shoppers", 1: "similar_style", 2: "popular"}


def product_not_found(product_id):
    return NotFound("product_not_found", f"Product {product_id} does not exist.",
                    {"product_id": product_id})


class Engine:
    def __init__(self, keys=None):
        self.keys = keys or recs_cache.Keys()
        self._lock = threading.Lock()
        self.snapshot = None
        self.scorer = None
        self.model_version = None
        self._popular = (0.0, None)

    # --- state ------------------------------------------------------------------------------

    def refresh(self, session, gen):
        gen = recs_cache.generation(gen)
        if self.snapshot is not None and self.snapshot.generation == gen:
            return
        snapshot = catalog.Snapshot(catalog.load_items(session), gen)
        model = registry.active(session)
        scorer = None
        if model is not None and len(snapshot.index):
            scorer = algorithms.Scorer(algorithms.TrainedModel.from_bytes(model.artifact),
                                       snapshot.content, snapshot.index)
        with self._lock:
            self.snapshot, self.scorer = snapshot, scorer
            self.model_version = model.version if model is not None else None
            self._popular = (0.0, None)

    def _live_popularity(self, session):
        at, ranked = self._popular
        if ranked is None or time.monotonic() - at > POPULARITY_TTL_S:
            counts = interactions.live_popularity(session)
            snap = self.snapshot
            ranked = sorted(snap.available, key=lambda p: (-counts.get(p, 0),
                                                           -snap.items[p]["rating_count"], p))
            self._popular = (time.monotonic(), ranked)
        return ranked

    def popular_ranking(self, session):
        if self.scorer is not None:
            ids = self.snapshot.index.ids
            return [int(p) for p in ids[np.argsort(-self.scorer.popularity, kind="stable")]]
        return self._live_popularity(session)

    def card(self, product_id, score, reason):
        item = self.snapshot.items[product_id]
        return {"product_id": product_id, "name": item["name"], "slug": item["slug"],
                "price": item["price"], "currency": item["currency"], "brand": item["brand"],
                "category": {k: item["category"][k] for k in ("id", "name", "slug")},
                "image_url": item["image_url"], "score": round(float(score), 4),
                "reason": reason}

    def body(self, cards, strategy):
        return {"items": cards, "model_version": self.model_version, "strategy": strategy}

    def popular_body(self, session):
        snap = self.snapshot
        picked = rules.pick(self.popular_ranking(session), CAP, snap.category_of, snap.available)
        return self.body([self.card(p, 1.0 - n / max(len(picked), 1), "popular")
                          for n, p in enumerate(picked)], "popular")

    # --- for me -----------------------------------------------------------------------------

    def user_vector(self, history):
        index = self.snapshot.index
        now = datetime.now(timezone.utc)
        x = np.zeros(len(index))
        for product_id, _kind, weight, occurred_at in history:
            col = index.position.get(product_id)
            if col is not None and weight > 0:
                age = (now - occurred_at).total_seconds() / 86400.0
                x[col] += weight * float(algorithms.decay(age))
        return sp.csr_matrix(np.log1p(x)[None, :])

    def for_user(self, session, user_id):
        """(body, bought): the shopper's list at CAP items, and what they bought."""
        history = interactions.history(session, user_id)
        bought = interactions.bought(session, user_id)
        snap = self.snapshot
        if self.scorer is not None and history:
            x = self.user_vector(history)
            scores, dominant = self.scorer.hybrid(x)
            scores, dominant = scores[0], dominant[0]
            order = np.argsort(-scores, kind="stable")
            ranked = [int(snap.index.ids[c]) for c in order]
            picked = rules.pick(ranked, CAP, snap.category_of, snap.available, bought)
            cards = [self.card(p, scores[snap.index.position[p]],
                               REASON_OF_PART[int(dominant[snap.index.position[p]])])
                     for p in picked]
            return self.body(cards, "hybrid"), bought
        ranked = self.popular_ranking(session)
        picked = rules.pick(ranked, CAP, snap.category_of, snap.available, bought)
        cards = [self.card(p, 1.0 - n / max(len(picked), 1), "popular")
                 for n, p in enumerate(picked)]
        return self.body(cards, "popular"), bought

    def generate_for_user(self, db, redis, outbox, user_id):
        """Compute, remember (Postgres, Redis) and announce a shopper's list."""
        gen, ugen = redis.mget(self.keys.gen, self.keys.user_gen(user_id))
        with db.transaction() as session:
            # Two requests remaking one shopper's list at once take turns (delete + insert).
            session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                            {"k": f"product_recommendations:{user_id}"})
            self.refresh(session, gen)
            body, bought = self.for_user(session, user_id)
            top = [i["product_id"] for i in body["items"][:feedback.DEFAULT_SHOWN]]
            version = body["model_version"] or 0
            session.execute(sa.delete(ProductRecommendation)
                            .where(ProductRecommendation.user_id == user_id))
            if body["items"]:
                session.execute(sa.insert(ProductRecommendation), [
                    {"user_id": user_id, "product_id": i["product_id"], "score": i["score"],
                     "reason": i["reason"], "rank": n + 1, "model_version": body["model_version"]}
                    for n, i in enumerate(body["items"])])
            feedback.shown(session, user_id, "for_me", version, top)
            outbox.add(session, rec_events.GENERATED,
                       rec_events.generated(user_id, "for_me", version, body["strategy"], top))
        pipe = redis.pipeline(transaction=False)
        pipe.set(self.keys.for_user(user_id), recs_cache.entry(body, gen, ugen),
                 ex=recs_cache.TTL_S)
        if bought:
            pipe.sadd(self.keys.bought(user_id), *bought)
            pipe.expire(self.keys.bought(user_id), 30 * 86400)
        pipe.execute()
        return body

    # --- product pages ----------------------------------------------------------------------

    def _require(self, product_id):
        if product_id not in self.snapshot:
            raise product_not_found(product_id)

    def _similar_scores(self, product_id):
        snap = self.snapshot
        if self.scorer is not None:
            return self.scorer.similar(product_id)
        col = snap.index.position[product_id]
        return np.asarray((snap.content @ snap.content[col].T).todense()).ravel()

    def similar(self, product_id):
        self._require(product_id)
        snap = self.snapshot
        scores = self._similar_scores(product_id)
        ranked = [int(snap.index.ids[c]) for c in np.argsort(-scores, kind="stable")]
        picked = rules.pick(ranked, CAP, snap.category_of, snap.available, {product_id},
                            max_share=1.0)
        return self.body([self.card(p, scores[snap.index.position[p]], "similar_style")
                          for p in picked], "content")

    def together(self, product_id):
        self._require(product_id)
        snap = self.snapshot
        pairs = self.scorer.together(product_id) if self.scorer is not None else []
        top = max((c for _, c in pairs), default=1.0)
        cards, taken = [], {product_id}
        for p, count in pairs:
            if p in snap.available and p not in taken:
                cards.append(self.card(p, count / top, "bought_together"))
                taken.add(p)
        if len(cards) < CAP:  # too few co-purchases yet: fill with what resembles it
            for item in self.similar(product_id)["items"]:
                if item["product_id"] not in taken and len(cards) < CAP:
                    cards.append({**item, "score": round(item["score"] * 0.5, 4)})
                    taken.add(item["product_id"])
        return self.body(cards, "bought_together")

    def for_cart(self, session, product_ids):
        """What goes with a cart of these products, at CAP items, leaving them out (whoever
        serves it leaves the shopper's purchases out: the list is shared by equal carts)."""
        snap = self.snapshot
        known = [p for p in dict.fromkeys(product_ids) if p in snap]
        exclude = set(product_ids)
        if not known:
            ranked = self.popular_ranking(session)
            picked = rules.pick(ranked, CAP, snap.category_of, snap.available, exclude)
            return self.body([self.card(p, 1.0 - n / max(len(picked), 1), "popular")
                              for n, p in enumerate(picked)], "popular")
        total = np.zeros(len(snap.index))
        from_together = set()
        for p in known:
            pairs = self.scorer.together(p) if self.scorer is not None else []
            top = max((c for _, c in pairs), default=1.0)
            for q, count in pairs:
                col = snap.index.position.get(q)
                if col is not None:
                    total[col] += count / top
                    from_together.add(q)
            total += 0.5 * self._similar_scores(p)
        ranked = [int(snap.index.ids[c]) for c in np.argsort(-total, kind="stable")]
        picked = rules.pick(ranked, CAP, snap.category_of, snap.available, exclude)
        return self.body([self.card(p, total[snap.index.position[p]],
                                    "bought_together" if p in from_together else "goes_with_cart")
                          for p in picked], "cart")
