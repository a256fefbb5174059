"""What shoppers did with what we showed them: shown → clicked → bought, per model version.

A row per (shopper, product, surface, model version) is written when a list is generated for
a shopper (the first DEFAULT_SHOWN items: what a page shows). A click marks its row (or makes
one: a list served from the cache by another version's rows still counts) and a purchase of a
clicked product within ATTRIBUTION_DAYS marks it bought. CTR = clicked / shown.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.recommendations import events
from services.recommendations.models import RecommendationFeedback

ATTRIBUTION_DAYS = 7
DEFAULT_SHOWN = 10


def shown(session, user_id, surface, model_version, product_ids):
    if not product_ids:
        return
    session.execute(insert(RecommendationFeedback).values([
        {"user_id": user_id, "product_id": p, "surface": surface, "model_version": model_version}
        for p in product_ids]).on_conflict_do_nothing(
        index_elements=["user_id", "product_id", "surface", "model_version"]))


def clicked(session, outbox, user_id, product_id, surface, model_version):
    stmt = insert(RecommendationFeedback).values(
        user_id=user_id, product_id=product_id, surface=surface, model_version=model_version,
        clicked=True, clicked_at=sa.func.now())
    row = session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "product_id", "surface", "model_version"],
        set_={"clicked": True, "clicked_at": sa.func.coalesce(RecommendationFeedback.clicked_at,
                                                             sa.func.now())})
        .returning(RecommendationFeedback.id)).scalar_one()
    outbox.add(session, events.CLICKED, events.clicked(user_id, product_id, surface,
                                                      model_version))
    return row


def purchased(session, outbox, user_id, product_ids, order_id):
    """Mark clicked recommendations of these products bought; returns how many."""
    if not product_ids:
        return 0
    rows = session.scalars(
        sa.select(RecommendationFeedback).where(
            RecommendationFeedback.user_id == user_id,
            RecommendationFeedback.product_id.in_(product_ids),
            RecommendationFeedback.clicked.is_(True),
            RecommendationFeedback.purchased.is_(False),
            RecommendationFeedback.clicked_at > sa.func.now()
            - sa.text(f"interval '{ATTRIBUTION_DAYS} days'"))
        .with_for_update()).all()
    for row in rows:
        row.purchased = True
        row.purchased_at = sa.func.now()
        outbox.add(session, events.PURCHASED, events.purchased(row, order_id))
    return len(rows)


def rates(session, version=None):
    query = (sa.select(RecommendationFeedback.model_version,
                       sa.func.count(),
                       sa.func.count().filter(RecommendationFeedback.clicked),
                       sa.func.count().filter(RecommendationFeedback.purchased))
             .group_by(RecommendationFeedback.model_version)
             .order_by(RecommendationFeedback.model_version))
    if version is not None:
        query = query.where(RecommendationFeedback.model_version == version)
    return [{"model_version": v, "shown": n, "clicked": c, "purchased": b,
             "ctr": round(c / n, 4) if n else 0.0,
             "purchase_rate": round(b / n, 4) if n else 0.0}
            for v, n, c, b in session.execute(query)]
