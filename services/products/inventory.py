"""Stock: reservations for orders, staff corrections, and the ledger every change writes.

The rules that keep stock right:
- `product_variants.inventory_count` is the only truth. A reservation takes units out of it
  with one conditional UPDATE per line (`... WHERE inventory_count >= :qty AND is_active`),
  so two buyers of the last unit cannot both win: the row lock makes the second UPDATE see the
  first one's result, and its condition fails. The CHECK (inventory_count >= 0) backs this up.
- A reservation is all or nothing: any failing line raises, and the caller's transaction
  rolls every line back.
- Reserve, commit, release and return are idempotent per order_ref. A transaction-scoped
  advisory lock on the order_ref's hash serialises calls for the same order (a retry racing
  the original), and the unique (order_ref, variant_id) backs that up.
- Lines are locked in variant id order, so two orders never wait on each other in a cycle.
- Every change writes an `inventory_logs` row (old, new, delta, reason, order_ref) and a
  `product.inventory.updated` event in the same transaction.
- Redis `inventory:{product_id}` (variant id → count) is written after commit, for display only.
  A per-variant version (the ledger row id) makes an older write lose to a newer one. A variant
  missing from the hash has not moved lately: ask `get_variants`, which reads the database.
"""
import logging
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from kit.errors import Conflict, NotFound
from services.products import events
from services.products.catalog import require_variant, variant_not_found
from services.products.models import (COMMITTED, RELEASED, RESERVED, InventoryLog,
                                      InventoryReservation, Product, ProductVariant)

log = logging.getLogger(__name__)

RESERVE, RELEASE, RETURN, INITIAL_STOCK = "reserve", "release", "return", "initial_stock"
# KEYS: inventory:{product_id}, its version hash. Both expire after a day without changes, so a
# write lost to a Redis blip heals by itself. ARGV: triples of variant id, count, version.
CACHE_SCRIPT = """
for i = 1, #ARGV, 3 do
  local seen = redis.call('HGET', KEYS[2], ARGV[i])
  if (not seen) or tonumber(seen) < tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  end
end
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('EXPIRE', KEYS[2], 86400)
return 1
"""


def inventory_key(product_id):
    return f"inventory:{product_id}"


def product_cache_key(product_id):
    return f"product:{product_id}"


@dataclass
class StockChange:
    """One variant's count moving from `old` to `new`, not yet (or just) written to the ledger."""
    variant_id: int
    product_id: int
    sku: str
    old: int
    new: int
    threshold: int
    reason: str
    order_ref: str | None = None
    log_id: int | None = None


def write_ledger(session, outbox, changes, actor_id=None):
    """An inventory_logs row and a product.inventory.updated event per change (same transaction)."""
    if not changes:
        return changes
    rows = sa.insert(InventoryLog).returning(InventoryLog.id, sort_by_parameter_order=True)
    ids = session.execute(rows, [
        {"variant_id": c.variant_id, "product_id": c.product_id, "old_quantity": c.old,
         "new_quantity": c.new, "delta": c.new - c.old, "reason": c.reason,
         "order_ref": c.order_ref, "actor_id": actor_id} for c in changes]).scalars().all()
    for change, log_id in zip(changes, ids):
        change.log_id = log_id
        outbox.add(session, events.INVENTORY_UPDATED, events.inventory_updated(change))
    return changes


def record_initial_stock(session, outbox, variants, actor_id=None):
    """Ledger rows for variants created with stock, so the ledger always sums to the count."""
    return write_ledger(session, outbox, [
        StockChange(v.id, v.product_id, v.sku, 0, v.inventory_count, v.low_stock_threshold,
                    INITIAL_STOCK) for v in variants if v.inventory_count > 0], actor_id)


# --- reservations ---------------------------------------------------------------------------

def lock_order(session, order_ref):
    """Serialise every stock call for one order_ref until this transaction ends."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"inventory_reservation:{order_ref}"})


def _reservation_rows(session, order_ref):
    return session.scalars(sa.select(InventoryReservation)
                           .where(InventoryReservation.order_ref == order_ref)
                           .order_by(InventoryReservation.variant_id).with_for_update()).all()


def _take(session, variant_id, quantity):
    """The conditional decrement: the (product_id, sku, new count, threshold) row, or None."""
    sellable = sa.exists().where(Product.id == ProductVariant.product_id, Product.is_active)
    return session.execute(
        sa.update(ProductVariant)
        .where(ProductVariant.id == variant_id, ProductVariant.inventory_count >= quantity,
               ProductVariant.is_active, sellable)
        .values(inventory_count=ProductVariant.inventory_count - quantity,
                updated_at=sa.func.now())
        .returning(ProductVariant.product_id, ProductVariant.sku, ProductVariant.inventory_count,
                   ProductVariant.low_stock_threshold)
        .execution_options(synchronize_session=False)).first()


def _put_back(session, variant_id, quantity):
    return session.execute(
        sa.update(ProductVariant).where(ProductVariant.id == variant_id)
        .values(inventory_count=ProductVariant.inventory_count + quantity,
                updated_at=sa.func.now())
        .returning(ProductVariant.product_id, ProductVariant.sku, ProductVariant.inventory_count,
                   ProductVariant.low_stock_threshold)
        .execution_options(synchronize_session=False)).first()


def _explain_shortfall(session, failed):
    """Raise NotFound for unknown variants, else Conflict out_of_stock naming each short line."""
    rows = {r.id: r for r in session.execute(
        sa.select(ProductVariant.id, ProductVariant.inventory_count, ProductVariant.is_active,
                  Product.is_active.label("product_active"))
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.id.in_([line["variant_id"] for line in failed])))}
    missing = [line["variant_id"] for line in failed if line["variant_id"] not in rows]
    if missing:
        raise variant_not_found(missing)
    lines = []
    for line in failed:
        row = rows[line["variant_id"]]
        sellable = row.is_active and row.product_active
        lines.append({"variant_id": line["variant_id"], "requested": line["quantity"],
                      "available": row.inventory_count if sellable else 0,
                      "reason": "insufficient_stock" if sellable else "unavailable"})
    raise Conflict("out_of_stock", "Not enough stock for some lines.", {"lines": lines})


def reserve(session, outbox, order_ref, items):
    """Hold stock for every line or for none. Returns (rows, changes, replayed)."""
    lock_order(session, order_ref)
    existing = _reservation_rows(session, order_ref)
    if existing:
        held = {r.variant_id: r.quantity for r in existing}
        if held != {line["variant_id"]: line["quantity"] for line in items}:
            raise Conflict("reservation_mismatch",
                           f"Order {order_ref} already holds a different reservation.",
                           {"order_ref": order_ref, "held": [
                               {"variant_id": v, "quantity": q} for v, q in sorted(held.items())]})
        return existing, [], True
    changes, failed = [], []
    for line in sorted(items, key=lambda line: line["variant_id"]):
        taken = _take(session, line["variant_id"], line["quantity"])
        if taken is None:
            failed.append(line)  # keep going: the error should name every short line
            continue
        changes.append(StockChange(line["variant_id"], taken.product_id, taken.sku,
                                   taken.inventory_count + line["quantity"], taken.inventory_count,
                                   taken.low_stock_threshold, RESERVE, order_ref))
    if failed:
        _explain_shortfall(session, failed)
    rows = [InventoryReservation(order_ref=order_ref, variant_id=c.variant_id,
                                 product_id=c.product_id, quantity=c.old - c.new, status=RESERVED)
            for c in changes]
    session.add_all(rows)
    session.flush()
    write_ledger(session, outbox, changes)
    return rows, changes, False


def _require_reservation(session, order_ref):
    rows = _reservation_rows(session, order_ref)
    if not rows:
        raise NotFound("reservation_not_found", f"No reservation for order {order_ref}.",
                       {"order_ref": order_ref})
    return rows


def _mark(session, rows, status):
    session.execute(sa.update(InventoryReservation)
                    .where(InventoryReservation.id.in_([r.id for r in rows]))
                    .values(status=status, updated_at=sa.func.now())
                    .execution_options(synchronize_session=False))
    for row in rows:
        session.refresh(row)


def _reservation_unless(session, order_ref, refused, code, message):
    """An order's reservation rows, its lock held; Conflict `code` if it is already `refused`."""
    lock_order(session, order_ref)
    rows = _require_reservation(session, order_ref)
    if rows[0].status == refused:
        raise Conflict(code, message, {"order_ref": order_ref})
    return rows


def commit(session, order_ref):
    """The order is paid: the held units are sold. Stock does not move. Returns (rows, replayed)."""
    rows = _reservation_unless(session, order_ref, RELEASED, "reservation_released",
                               f"The reservation for order {order_ref} was released.")
    if rows[0].status == COMMITTED:
        return rows, True
    _mark(session, rows, COMMITTED)
    return rows, False


def _put_all_back(session, rows, reason, order_ref):
    """Each reserved line's units back on the shelf; the StockChange of each."""
    changes = []
    for row in rows:  # already in variant id order
        back = _put_back(session, row.variant_id, row.quantity)
        changes.append(StockChange(row.variant_id, back.product_id, back.sku,
                                   back.inventory_count - row.quantity, back.inventory_count,
                                   back.low_stock_threshold, reason, order_ref))
    return changes


def release(session, outbox, order_ref):
    """Put held units back (payment failed, order cancelled, timed out).

    Returns (rows, changes, replayed)."""
    rows = _reservation_unless(session, order_ref, COMMITTED, "reservation_committed",
                               f"Order {order_ref} is committed; its stock is sold.")
    if rows[0].status == RELEASED:
        return rows, [], True
    changes = _put_all_back(session, rows, RELEASE, order_ref)
    _mark(session, rows, RELEASED)
    write_ledger(session, outbox, changes)
    return rows, changes, False


def _returned(session, order_ref):
    return session.scalar(sa.select(sa.exists().where(InventoryLog.order_ref == order_ref,
                                                      InventoryLog.reason == RETURN)))


def return_stock(session, outbox, order_ref):
    """A paid order was cancelled and refunded before it shipped: its sold units go back on
    the shelf. The reservation stays `committed` (the sale happened); the ledger's `return`
    rows record the way back, and also make a repeat a no-op. Returns (rows, changes, replayed).
    """
    lock_order(session, order_ref)
    rows = _require_reservation(session, order_ref)
    status = rows[0].status
    if status != COMMITTED:
        raise Conflict("reservation_not_committed",
                       f"Order {order_ref} was never sold ({status}); release it instead.",
                       {"order_ref": order_ref, "status": status})
    if _returned(session, order_ref):
        return rows, [], True
    changes = _put_all_back(session, rows, RETURN, order_ref)
    write_ledger(session, outbox, changes)
    return rows, changes, False


# --- staff corrections ----------------------------------------------------------------------

def _change_to(session, outbox, variant, new, reason, actor_id):
    change = StockChange(variant.id, variant.product_id, variant.sku, variant.inventory_count,
                         new, variant.low_stock_threshold, reason)
    variant.inventory_count = new
    session.flush()
    write_ledger(session, outbox, [change], actor_id)
    return change


def set_stock(session, outbox, variant_id, quantity, reason, actor_id):
    """Count the shelf and say what is there. Returns (variant, change or None if unchanged)."""
    variant = require_variant(session, variant_id, lock=True)
    if variant.inventory_count == quantity:
        return variant, None
    return variant, _change_to(session, outbox, variant, quantity, reason, actor_id)


def adjust_stock(session, outbox, variant_id, delta, reason, actor_id):
    """Add (a delivery) or remove (damaged goods) units. Returns (variant, change)."""
    variant = require_variant(session, variant_id, lock=True)
    if variant.inventory_count + delta < 0:
        raise Conflict("insufficient_stock",
                       f"Variant {variant_id} has {variant.inventory_count} units; "
                       f"cannot remove {-delta}.",
                       {"variant_id": variant_id, "available": variant.inventory_count,
                        "delta": delta})
    return variant, _change_to(session, outbox, variant, variant.inventory_count + delta, reason,
                               actor_id)


# --- caches (after commit) ------------------------------------------------------------------

def refresh_caches(redis_client, changes, product_ids=()):
    """Write new counts to `inventory:{product_id}` and drop `product:{id}`; never raises."""
    by_product = {}
    for change in changes:
        by_product.setdefault(change.product_id, []).append(change)
    try:
        script = redis_client.register_script(CACHE_SCRIPT)
        pipe = redis_client.pipeline(transaction=False)
        for product_id, product_changes in by_product.items():
            args = []
            for c in product_changes:
                args += [c.variant_id, c.new, c.log_id]
            script(keys=[inventory_key(product_id), inventory_key(product_id) + ":version"],
                   args=args, client=pipe)
        for product_id in set(by_product) | set(product_ids):
            # Bump the generation first: a reader that started before this change can no longer
            # store its (old) copy; see product_cache.store_if_current.
            pipe.incr(product_cache_key(product_id) + ":gen")
            pipe.delete(product_cache_key(product_id))
        pipe.execute()
    except redis.RedisError as exc:  # the database committed; a stale cache must not fail the call
        log.warning("stock cache refresh failed: %r", exc)

