"""Reviews: one per shopper per product, editable by its author, listed newest first.

The product row is locked while a review is written, so two reviews landing at once both
count in `products.rating_avg`/`rating_count` (the catalog's rating sort reads those).
"""
import sqlalchemy as sa

from kit.errors import Conflict, Forbidden, NotFound
from services.products import catalog, cursors, events
from services.products.models import ProductReview


def refresh_rating(session, product):
    count, avg = session.execute(
        sa.select(sa.func.count(),
                  sa.func.coalesce(sa.func.round(sa.func.avg(ProductReview.rating), 2), 0))
        .where(ProductReview.product_id == product.id)).one()
    product.rating_count, product.rating_avg = count, avg
    session.flush()


def add_review(session, outbox, user_id, product_id, rating, title, body):
    product = catalog.require_product(session, product_id, lock=True)
    existing = session.scalar(sa.select(ProductReview.id).where(
        ProductReview.product_id == product_id, ProductReview.user_id == user_id))
    if existing is not None:
        raise Conflict("review_exists", "You have already reviewed this product; edit that review.",
                       {"review_id": existing, "product_id": product_id})
    review = ProductReview(product_id=product_id, user_id=user_id, rating=rating,
                           title=title.strip(), body=body.strip())
    session.add(review)
    session.flush()
    refresh_rating(session, product)
    outbox.add(session, events.PRODUCT_REVIEWED,
               events.product_reviewed(review, product, "created"))
    return review


def update_review(session, outbox, user_id, review_id, changes):
    review = session.get(ProductReview, review_id)
    if review is None:
        raise NotFound("review_not_found", f"Review {review_id} does not exist.",
                       {"review_id": review_id})
    if review.user_id != user_id:
        raise Forbidden("not_review_author", "Only the author may edit a review.",
                        {"review_id": review_id})
    product = catalog.require_product(session, review.product_id, include_inactive=True, lock=True)
    session.refresh(review, with_for_update=True)
    changed = False
    for field, value in changes.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(review, field) != value:
            setattr(review, field, value)
            changed = True
    if changed:
        session.flush()
        refresh_rating(session, product)
        outbox.add(session, events.PRODUCT_REVIEWED,
                   events.product_reviewed(review, product, "updated"))
    return review


def list_reviews(session, product_id, cursor, limit):
    """Newest first: (reviews, next_cursor)."""
    catalog.require_product(session, product_id)
    query = sa.select(ProductReview).where(ProductReview.product_id == product_id)
    if cursor:
        after = cursors.decode(cursor, f"reviews:{product_id}")
        if not isinstance(after, int) or isinstance(after, bool):
            raise cursors.bad_cursor()
        query = query.where(ProductReview.id < after)
    rows = session.scalars(query.order_by(ProductReview.id.desc()).limit(limit + 1)).all()
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, cursors.encode(f"reviews:{product_id}", rows[-1].id)
    return rows, None
