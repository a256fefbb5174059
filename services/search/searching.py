"""Running a shopper's search: cache, personal ranking, Elasticsearch, the page we hand back."""
import uuid

from services.search import cache, personal, queries, schemas
from services.search.engine import translated


def search_products(es, redis, session, request, user_id, settings):
    """The results page for a clean request (schemas.search_request), without side effects
    beyond the cache. Returns (page, product ids shown)."""
    affinity = personal.profile(session, user_id) if user_id else {}
    seal = schemas.fingerprint(request, personal.signature(affinity))
    after = schemas.decode_cursor(request["cursor"], seal) if request["cursor"] else None
    page_key = f"{seal}:{request['cursor'] or ''}"
    cached, generation = cache.read(redis, page_key)
    if cached is not None:
        return cached
    body, personalised = queries.product_search_body(request, affinity, settings, after)
    with translated():
        reply = es.client.search(index=es.alias("products"), **body)
        hits = reply["hits"]["hits"]
        total = reply["hits"]["total"]["value"]
        suggestion = None
        if total == 0 and request["q"]:
            suggestion = queries.did_you_mean(es.client.search(
                index=es.alias("products"), **queries.did_you_mean_body(request["q"])))
    items = [queries.hit(h["_source"], h.get("highlight")) for h in hits]
    next_cursor = (schemas.encode_cursor(seal, hits[-1]["sort"])
                   if len(hits) == request["limit"] and hits and hits[-1].get("sort") else None)
    page = {"query": request["q"], "total": total, "items": items,
            "facets": queries.facets(reply["aggregations"]), "next_cursor": next_cursor,
            "did_you_mean": suggestion if suggestion and suggestion != request["q"].lower()
            else None,
            "personalised": personalised}
    cache.store(redis, page_key, generation, page, settings.cache_ttl_s)
    return page


def new_search_id():
    return str(uuid.uuid4())


def suggest(es, prefix, limit):
    """Past queries (weighted by how often they ran with results), then product names."""
    prefix = prefix.lower()
    with translated():
        reply = es.client.msearch(searches=[
            {"index": es.alias("search_suggestions")},
            {"size": 0, "_source": ["query", "category"],
             "suggest": {"s": queries.suggest_body(prefix, limit)}},
            {"index": es.alias("products")},
            {"size": 0, "_source": ["name", "product_id", "category.slug"],
             "suggest": {"s": queries.product_suggest_body(prefix, limit)}},
        ])
    queried, named = (_options(r) for r in reply["responses"])
    out, seen = [], set()
    for option in queried:
        text = option["_source"]["query"]
        if text not in seen:
            seen.add(text)
            out.append({"text": text, "kind": "query",
                        "category": option["_source"].get("category"), "product_id": None})
    for option in named:
        source = option["_source"]
        if source["name"].lower() not in seen:
            seen.add(source["name"].lower())
            out.append({"text": source["name"], "kind": "product",
                        "category": source.get("category", {}).get("slug"),
                        "product_id": source.get("product_id")})
    return out[:limit]


def _options(response):
    if "error" in response:  # an index not made yet: no suggestions from it
        return []
    return response.get("suggest", {}).get("s", [{}])[0].get("options", [])


def staff_search(es, kind, request, text_fields, filters, sort_field):
    """users/orders: fuzzy AND match on the text fields, term filters, newest id first."""
    clauses = [{"term": {k: v}} for k, v in filters.items() if v is not None]
    body = {"query": {"bool": {"must": [queries.staff_text(request["q"], text_fields)],
                               "filter": clauses}},
            "sort": [{sort_field: "desc"}], "size": request["limit"], "track_total_hits": True}
    seal = schemas.fingerprint({"q": request["q"], "filters": filters, "sort": kind,
                                "limit": request["limit"]})
    if request["cursor"]:
        body["search_after"] = schemas.decode_cursor(request["cursor"], seal)
    with translated():
        reply = es.client.search(index=es.alias(kind), **body)
    hits = reply["hits"]["hits"]
    return {"total": reply["hits"]["total"]["value"], "items": [h["_source"] for h in hits],
            "next_cursor": (schemas.encode_cursor(seal, hits[-1]["sort"])
                            if len(hits) == request["limit"] and hits else None)}
