"""Elasticsearch request bodies for each search, and the shapes we hand back.

products: the text decides the result set (`all_text`, fuzzy, most words must match); field
boosts (name > brand > category > description) and a phrase bonus decide the order; a shopper's
own history may multiply scores (function_score) but never adds a filter, so the set is the same
for everyone. Facets use post_filter + one filtered aggregation per facet, so each facet's
counts ignore its own filter and the other values stay selectable.
"""
PRICE_RANGES = ((None, 50000), (50000, 100000), (100000, 200000), (200000, 500000),
                (500000, None))  # minor units (₹500, ₹1,000, ₹2,000, ₹5,000)
RATING_FLOORS = (4, 3, 2)
FACET_SIZE = 50
SORTS = {
    "relevance": [{"_score": "desc"}, {"product_id": "asc"}],
    "price_asc": [{"price": "asc"}, {"product_id": "asc"}],
    "price_desc": [{"price": "desc"}, {"product_id": "asc"}],
    "newest": [{"created_at": "desc"}, {"product_id": "asc"}],
    "popularity": [{"popularity": "desc"}, {"_score": "desc"}, {"product_id": "asc"}],
}
SOURCE = ["product_id", "name", "slug", "description", "brand", "category", "price", "currency",
          "sizes", "colours", "size_labels", "colour_labels", "in_stock", "rating_avg",
          "rating_count", "image_url"]


def text_query(q):
    if not q:
        return {"match_all": {}}
    return {"bool": {
        "must": [{"match": {"all_text": {"query": q, "fuzziness": "AUTO", "prefix_length": 1,
                                          "max_expansions": 20,
                                          "minimum_should_match": "2<75%"}}}],
        "should": [
            {"multi_match": {"query": q, "type": "best_fields", "fuzziness": "AUTO",
                             "prefix_length": 1, "tie_breaker": 0.3,
                             "fields": ["name^4", "brand.name^3", "category.names^2",
                                        "category.name^2", "description^0.5"]}},
            {"match_phrase": {"name": {"query": q, "boost": 2, "slop": 1}}},
        ],
    }}


def filter_clauses(filters):
    """{facet name: clause} for every filter asked for."""
    clauses = {}
    if "category" in filters:
        clauses["category"] = {"term": {"category.path": filters["category"]}}
    if "brand" in filters:
        clauses["brand"] = {"terms": {"brand.slug": filters["brand"]}}
    in_stock = filters.get("in_stock")
    variant_terms = [{"terms": {f"variants.{name}": filters[name]}}
                     for name in ("size", "colour") if name in filters]
    if in_stock is True and variant_terms:
        # "size M in stock" means one variant that is both, not any M and any stock.
        clauses["in_stock"] = {"nested": {"path": "variants", "query": {"bool": {
            "filter": [{"term": {"variants.in_stock": True}}, *variant_terms]}}}}
    elif in_stock is not None:
        clauses["in_stock"] = {"term": {"in_stock": in_stock}}
    if "size" in filters:
        clauses["size"] = {"terms": {"sizes": filters["size"]}}
    if "colour" in filters:
        clauses["colour"] = {"terms": {"colours": filters["colour"]}}
    price = {k: filters[f"{k}_price"] for k in ("min", "max") if f"{k}_price" in filters}
    if price:
        clauses["price"] = {"range": {"price": {**({"gte": price["min"]} if "min" in price else {}),
                                                **({"lte": price["max"]} if "max" in price else {})}}}
    if "min_rating" in filters:
        clauses["rating"] = {"range": {"rating_avg": {"gte": filters["min_rating"]}}}
    return clauses


def _all_but(clauses, facet):
    return {"bool": {"filter": [c for name, c in clauses.items() if name != facet]}}


def facet_aggs(clauses):
    inner = {
        "category": {"terms": {"field": "category.path", "size": FACET_SIZE}},
        "brand": {"terms": {"field": "brand.slug", "size": FACET_SIZE},
                  "aggs": {"label": {"top_hits": {"size": 1, "_source": ["brand.name"]}}}},
        "size": {"terms": {"field": "sizes", "size": FACET_SIZE}},
        "colour": {"terms": {"field": "colours", "size": FACET_SIZE}},
        "price": {"range": {"field": "price", "ranges": [
            {**({"from": lo} if lo is not None else {}), **({"to": hi} if hi is not None else {})}
            for lo, hi in PRICE_RANGES]}},
        "rating": {"range": {"field": "rating_avg", "ranges": [{"from": f}
                                                               for f in RATING_FLOORS]}},
        "in_stock": {"terms": {"field": "in_stock", "size": 2}},
    }
    return {name: {"filter": _all_but(clauses, name), "aggs": {"values": agg}}
            for name, agg in inner.items()}


def personal_functions(affinity, boost):
    """function_score functions from {kind: {value: weight}}: a multiplier ≥ 1 per match."""
    functions = []
    field = {"brand": "brand.slug", "category": "category.path", "size": "sizes"}
    for kind, values in sorted(affinity.items()):
        top = max(values.values(), default=0)
        for value, weight in sorted(values.items()):
            if top > 0 and weight > 0:
                functions.append({"filter": {"term": {field[kind]: value}},
                                  "weight": round(1 + boost * weight / top, 4)})
    return functions


def product_search_body(request, affinity, settings, search_after=None):
    clauses = filter_clauses(request["filters"])
    query = text_query(request["q"])
    functions = personal_functions(affinity, settings.personal_boost) if affinity else []
    if functions and request["sort"] in ("relevance", "popularity"):
        query = {"function_score": {"query": query, "functions": functions,
                                    "score_mode": "multiply", "boost_mode": "multiply"}}
    body = {
        "query": query,
        "post_filter": {"bool": {"filter": list(clauses.values())}},
        "aggs": facet_aggs(clauses),
        "sort": SORTS[request["sort"]],
        "size": request["limit"],
        "track_total_hits": True,
        "track_scores": True,
        "_source": SOURCE,
    }
    if request["q"]:
        body["highlight"] = {"pre_tags": ["<em>"], "post_tags": ["</em>"],
                             "fields": {"name": {"number_of_fragments": 0},
                                        "description": {"fragment_size": 120,
                                                        "number_of_fragments": 1}}}
    if search_after is not None:
        body["search_after"] = search_after
    return body, bool(functions) and request["sort"] in ("relevance", "popularity")


def hit(source, highlight=None):
    colour_labels = source.get("colour_labels") or {}
    size_labels = source.get("size_labels") or {}
    return {
        "product_id": source["product_id"],
        "name": source["name"],
        "slug": source["slug"],
        "description": source.get("description"),
        "brand": source["brand"],
        "category": {k: source["category"].get(k) for k in ("id", "name", "slug", "path")},
        "price": source["price"],
        "currency": source["currency"],
        "sizes": [size_labels.get(s, s) for s in source.get("sizes", [])],
        "colours": [colour_labels.get(c, c) for c in source.get("colours", [])],
        "in_stock": source["in_stock"],
        "rating_avg": source.get("rating_avg", 0),
        "rating_count": source.get("rating_count", 0),
        "image_url": source.get("image_url"),
        "highlight": highlight or {},
    }


def facets(aggs):
    out = {}
    for name in ("category", "size", "colour"):
        out[name] = [{"value": b["key"], "label": b["key"], "count": b["doc_count"]}
                     for b in aggs[name]["values"]["buckets"]]
    out["brand"] = [{"value": b["key"],
                     "label": (b["label"]["hits"]["hits"][0]["_source"]["brand"]["name"]
                               if b["label"]["hits"]["hits"] else b["key"]),
                     "count": b["doc_count"]} for b in aggs["brand"]["values"]["buckets"]]
    out["price"] = [{"key": _range_key(b), "from": _int(b.get("from")), "to": _int(b.get("to")),
                     "count": b["doc_count"]} for b in aggs["price"]["values"]["buckets"]]
    out["rating"] = [{"key": f"{int(b['from'])}+", "from": _int(b.get("from")), "to": None,
                      "count": b["doc_count"]} for b in aggs["rating"]["values"]["buckets"]]
    stock = {str(b.get("key_as_string", b["key"])).lower(): b["doc_count"]
             for b in aggs["in_stock"]["values"]["buckets"]}
    out["in_stock"] = {"true": stock.get("true", stock.get("1", 0)),
                       "false": stock.get("false", stock.get("0", 0))}
    return out


def _int(value):
    return None if value is None else int(value)


def _range_key(bucket):
    lo, hi = _int(bucket.get("from")), _int(bucket.get("to"))
    return f"{lo if lo is not None else '*'}-{hi if hi is not None else '*'}"


def did_you_mean_body(q):
    return {"size": 0, "suggest": {"text": q, "did_you_mean": {"phrase": {
        "field": "name.shingles", "size": 1, "max_errors": 2, "confidence": 0.0,
        "direct_generator": [{"field": "name", "suggest_mode": "always", "min_word_length": 3,
                              "prefix_length": 1}]}}}}


def did_you_mean(reply):
    options = reply.get("suggest", {}).get("did_you_mean", [{}])[0].get("options", [])
    return options[0]["text"] if options else None


def suggest_body(prefix, size):
    completion = {"prefix": prefix, "completion": {"field": "suggest", "size": size,
                                                   "skip_duplicates": True,
                                                   "fuzzy": {"fuzziness": "AUTO" if len(prefix)
                                                             > 3 else 0}}}
    return completion


def product_suggest_body(prefix, size):
    return {"prefix": prefix, "completion": {"field": "name_suggest", "size": size,
                                             "skip_duplicates": True,
                                             "fuzzy": {"fuzziness": "AUTO" if len(prefix) > 3
                                                       else 0}}}


def staff_text(q, fields):
    if not q:
        return {"match_all": {}}
    return {"multi_match": {"query": q, "fields": fields, "fuzziness": "AUTO",
                            "prefix_length": 1, "operator": "and"}}
