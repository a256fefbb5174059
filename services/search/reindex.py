"""Rebuild every search index from its owner, with no search downtime:
`python -m services.search.reindex --env dev [products users orders search_suggestions]`.

For each kind: mark a reindex as running (the consumer then notes every document it rebuilds),
create a new index, load every document from the owning service over RPC (a progress bar per
kind), refresh, move the alias to the new index in one atomic call, rebuild whatever the
consumer touched meanwhile (through the search service, from the owners again), drop our older
indices and announce `search.index.updated`. Searches read the old index until the swap and
the new one after it; none sees a half-built index.
"""
import argparse
import sys
import time

import sqlalchemy as sa
from elasticsearch import Elasticsearch, helpers
from nameko.standalone.rpc import ClusterRpcProxy
from tqdm import tqdm

import kit.errors  # noqa: F401  (RPC errors arrive as our types)
from kit.config import load_config
from kit.redis_client import RedisClient
from services.search import documents, indices, indexing
from services.search.settings import SearchSettings

PAGE = 100
CATCH_UP_ROUNDS = 10


def product_docs(rpc, views):
    cursor = None
    while True:
        page = rpc.products.list_products({"limit": PAGE, **({"cursor": cursor} if cursor
                                                            else {})})
        # call_async: the page's reads go out together, replies are collected in order
        replies = [(card["id"], rpc.products.get_product.call_async(card["id"],
                                                                     include_inactive=True))
                   for card in page["items"]]
        for product_id, reply in replies:
            try:
                product = reply.result()
            except kit.errors.NotFound:
                continue
            doc = documents.product_doc(product, views.get(product_id, 0))
            if doc:
                yield product_id, doc
        cursor = page.get("next_cursor")
        if not cursor:
            return


def user_docs(rpc):
    after = 0
    while after is not None:
        page = rpc.users.export_users(after_id=after, limit=500)
        for user in page["items"]:
            yield user["id"], documents.user_doc(user)
        after = page["next_after_id"]


def order_docs(rpc):
    before = None
    while True:
        page = rpc.orders.list_orders({"limit": 100, **({"before_id": before} if before else {})})
        for order in page["items"]:
            yield order["id"], documents.order_doc(order)
        before = page.get("next_before_id")
        if not before:
            return


def suggestion_docs(search_db):
    with search_db.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT lower(regexp_replace(btrim(query), '\\s+', ' ', 'g')) AS q, count(*) AS n
            FROM search_queries WHERE results_count > 0 AND query <> '' GROUP BY 1""")).all()
    for q, n in rows:
        yield indexing.suggestion_id(q), documents.suggestion_doc(q, int(n))


def popularity(search_db):
    with search_db.connect() as conn:
        return dict(conn.execute(sa.text(
            "SELECT product_id, views FROM product_popularity")).all())


def rebuild(kind, config, es, redis, rpc, search_db, progress=True):
    settings = SearchSettings.from_config(config)
    prefix = settings.index_prefix
    started = time.monotonic()
    redis.set(indexing.active_key(kind), "1", ex=3600)
    redis.delete(indexing.touched_key(kind))
    index = indices.create_index(es, prefix, kind, "-1")
    try:
        source = {"products": lambda: product_docs(rpc, popularity(search_db)),
                  "users": lambda: user_docs(rpc), "orders": lambda: order_docs(rpc),
                  "search_suggestions": lambda: suggestion_docs(search_db)}[kind]()
        bar = tqdm(desc=f"{kind:<18}", unit=" docs", disable=not progress, file=sys.stdout)
        count = 0
        for ok, item in helpers.streaming_bulk(
                es, ({"_index": index, "_id": str(doc_id), "_source": doc}
                     for doc_id, doc in source), chunk_size=500, raise_on_error=True):
            count += 1
            bar.update(1)
        bar.close()
        es.indices.put_settings(index=index,
                                settings={"index": {"refresh_interval":
                                                    settings.refresh_interval}})
        es.indices.refresh(index=index)
        previous = indices.swap_alias(es, prefix, kind, index)
    except BaseException:
        es.indices.delete(index=index, ignore_unavailable=True)
        redis.delete(indexing.active_key(kind))
        raise
    if kind != "search_suggestions":
        catch_up(kind, redis, rpc)
    redis.delete(indexing.active_key(kind))
    if kind != "search_suggestions":
        catch_up(kind, redis, rpc)  # anything noted between the last round and the unmark
    indices.drop_old_indices(es, prefix, kind, keep=index)
    took = round(time.monotonic() - started, 2)
    rpc.search.index_swapped(kind, index, previous, count, took)
    return {"kind": kind, "index": index, "documents": count, "previous": previous,
            "took_s": took}


def catch_up(kind, redis, rpc):
    """Rebuild (into the alias, now the new index) what the consumer touched during the build."""
    for _ in range(CATCH_UP_ROUNDS):
        ids = [int(i) for i in redis.spop(indexing.touched_key(kind), 1000) or []]
        if not ids:
            return
        rpc.search.refresh_documents(kind, ids)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default=None)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("kinds", nargs="*", help=f"some of {', '.join(indices.KINDS)} (all)")
    args = parser.parse_args(argv)
    unknown = set(args.kinds) - set(indices.KINDS)
    if unknown:
        parser.error(f"unknown index kind(s): {', '.join(sorted(unknown))}")
    config = load_config(args.env)
    settings = SearchSettings.from_config(config)
    es = Elasticsearch(config["ELASTICSEARCH_URI"], request_timeout=settings.admin_timeout_s)
    redis = RedisClient.from_url(config["REDIS_URI"], decode_responses=True)
    search_db = sa.create_engine(config["DB_URIS"]["search"])
    try:
        with ClusterRpcProxy(config, timeout=settings.rpc_timeout_s * 6) as rpc:
            for kind in args.kinds or indices.KINDS:
                result = rebuild(kind, config, es, redis, rpc, search_db,
                                 progress=not args.quiet)
                print(f"{result['kind']}: {result['documents']} documents in "
                      f"{result['index']} ({result['took_s']} s)")
    finally:  # a failed rebuild (ES or a service down) still closes its connections
        search_db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
