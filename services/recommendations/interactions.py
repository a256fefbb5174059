"""The shop's events as implicit feedback: which event is which interaction, with what weight.

product.viewed → view · cart.item_added → cart · a PAID order → purchase (each line; see
purchases.py: placing an order is not buying, a cancelled one never counts) ·
product.reviewed → review (weight by stars; 1-2 stars count for nothing) ·
search.result.clicked → search_click. Guests (no user_id) teach popularity nothing here: their
sessions have no stable identity across devices.

Each (event id, product) lands once (a unique index), and the consumer marks the event
processed in the same transaction, so a replayed stream entry changes nothing.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

import kit.db
from services.recommendations import algorithms
from services.recommendations.models import (CatalogItem, ProcessedEvent, UserInteraction,
                                             UserPreference)

CONSUMER = "recommendation_consumer"
HISTORY = 500  # the newest interactions a shopper is folded in with


def first_time(session, event_id, event_type, consumer=CONSUMER):
    return kit.db.first_time(session, ProcessedEvent, event_id, event_type, consumer)


def _when(event):
    try:
        return datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return datetime.now(timezone.utc)


def from_event(event):
    """[(user_id, product_id, kind, weight)] this event means; [] if it teaches nothing."""
    data, kind = event.get("data") or {}, event["type"]
    user_id = data.get("user_id")
    if not isinstance(user_id, int) or user_id <= 0:
        return []
    if kind == "product.viewed":
        return [(user_id, data["product_id"], "view", algorithms.WEIGHTS["view"])]
    if kind == "cart.item_added":
        return [(user_id, data["product_id"], "cart", algorithms.WEIGHTS["cart"])]
    if kind == "product.reviewed":
        weight = algorithms.review_weight(data.get("rating"))
        return [(user_id, data["product_id"], "review", weight)] if weight > 0 else []
    if kind == "search.result.clicked" and data.get("product_id"):
        return [(user_id, int(data["product_id"]), "search_click",
                 algorithms.WEIGHTS["search_click"])]
    return []


def record(session, event, found, event_id=None):
    """Store the interactions and fold them into each shopper's taste profile. `event_id`
    names the rows (default: the event's id; a purchase is named by its order)."""
    when = _when(event)
    for user_id, product_id, kind, weight in found:
        inserted = session.execute(
            insert(UserInteraction).values(event_id=event_id or event["id"], user_id=user_id,
                                           product_id=product_id, kind=kind, weight=weight,
                                           occurred_at=when)
            .on_conflict_do_nothing(index_elements=["event_id", "product_id"])).rowcount
        if inserted:
            _fold_into_profile(session, user_id, product_id, weight)


def take_back(session, user_id, event_id):
    """Remove the interactions recorded under `event_id` (a refunded purchase) and their
    weight from the shopper's taste profile. The delete returns each row once, so doing it
    again takes nothing more."""
    gone = session.execute(sa.delete(UserInteraction).where(UserInteraction.event_id == event_id)
                           .returning(UserInteraction.product_id, UserInteraction.weight)).all()
    for product_id, weight in gone:
        _fold_into_profile(session, user_id, product_id, -weight, -1)
    return [product_id for product_id, _ in gone]


def _added(weights, key, weight):
    """The profile's weights with `weight` added to `key`; a weight back at zero leaves."""
    total = round((weights or {}).get(key, 0) + weight, 3)
    rest = {k: v for k, v in (weights or {}).items() if k != key}
    return {**rest, key: total} if total > 1e-9 else rest


def _fold_into_profile(session, user_id, product_id, weight, count=1):
    item = session.get(CatalogItem, product_id)
    pref = session.get(UserPreference, user_id, with_for_update=True)
    if pref is None:
        pref = UserPreference(user_id=user_id, categories={}, brands={}, interactions=0)
        session.add(pref)
    pref.interactions = max(0, (pref.interactions or 0) + count)
    if item is not None:
        pref.categories = _added(pref.categories, str(item.category["id"]), weight)
        pref.brands = _added(pref.brands, str(item.brand["id"]), weight)
    pref.updated_at = sa.func.now()
    session.flush()


def history(session, user_id, limit=HISTORY):
    """The shopper's newest interactions: [(product_id, kind, weight, occurred_at)]."""
    return session.execute(
        sa.select(UserInteraction.product_id, UserInteraction.kind, UserInteraction.weight,
                  UserInteraction.occurred_at)
        .where(UserInteraction.user_id == user_id)
        .order_by(UserInteraction.occurred_at.desc(), UserInteraction.id.desc())
        .limit(limit)).all()


def bought(session, user_id):
    return set(session.scalars(
        sa.select(UserInteraction.product_id).distinct()
        .where(UserInteraction.user_id == user_id, UserInteraction.kind == "purchase")))


def live_popularity(session, days=30):
    """{product_id: distinct shoppers in the last `days`} from the live interactions."""
    rows = session.execute(
        sa.select(UserInteraction.product_id, sa.func.count(sa.distinct(UserInteraction.user_id)))
        .where(UserInteraction.occurred_at > sa.func.now() - sa.text(f"interval '{int(days)} days'"))
        .group_by(UserInteraction.product_id)).all()
    return dict(rows)


def training_rows(session, now):
    """Every live interaction as (user, product_id, kind, weight, day) with day relative to now."""
    rows = session.execute(sa.select(UserInteraction.user_id, UserInteraction.product_id,
                                     UserInteraction.kind, UserInteraction.weight,
                                     UserInteraction.occurred_at)).all()
    return [(u, p, k, w, -(now - t).total_seconds() / 86400.0) for u, p, k, w, t in rows]
