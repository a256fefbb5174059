"""What the products stories share: actors, and direct reads of products_db to check the service."""
import threading

import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

STAFF = {"user_id": 9001, "role": "admin"}
SUPPORT = {"user_id": 9002, "role": "support"}
SHOPPER = {"user_id": 4242, "role": "customer"}

PRODUCT_TABLES = ("products", "product_variants", "product_images", "categories", "brands",
                  "product_reviews", "product_view_history", "inventory_logs",
                  "inventory_reservations", "outbox")


def table_counts(engine):
    with engine.connect() as conn:
        return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in PRODUCT_TABLES}


def stock_of(engine, variant_id):
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT inventory_count FROM product_variants WHERE id = :id"),
                           {"id": variant_id})


def ledger(engine, variant_id):
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT old_quantity, new_quantity, delta, reason, order_ref FROM inventory_logs "
            "WHERE variant_id = :id ORDER BY id"), {"id": variant_id}).mappings().all()


def at_once(config, calls):
    """Run each zero-argument `call(proxy)` in its own thread with its own RPC proxy, all
    released together; returns ("ok", result) or ("error", exception) per call, in order."""
    results = [None] * len(calls)
    proxies = [ClusterRpcProxy(config, timeout=60) for _ in calls]
    clients = [p.start() for p in proxies]
    gate = threading.Barrier(len(calls))

    def run(n):
        gate.wait()
        try:
            results[n] = ("ok", calls[n](clients[n]))
        except Exception as exc:  # the outcome is what the story checks
            results[n] = ("error", exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for p in proxies:
            p.stop()
    return results
