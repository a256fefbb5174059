"""Index names, explicit mappings and the alias dance that lets a reindex swap without downtime.

Every name starts with SEARCH.index_prefix (Elasticsearch is shared: `aarya` in dev,
`aarya_testK` in test env K). Shoppers' queries go to the alias `<prefix>_products`; the index
behind it is `<prefix>_products_<timestamp>`. A reindex builds a new index and moves the alias in
one `_aliases` call, then deletes only its own older indices (never a name outside the prefix).

Analysis: the integ-test zip has no analysis-common module (no edge_ngram, asciifolding,
synonyms, stemmers). Mappings use only core analysis (standard tokenizer, lowercase, shingle,
completion, index_prefixes) and, when a node reports analysis-common, add asciifolding and the
English possessive/stemmer filters. `analysis_features()` decides at index-creation time.
"""
import time

KINDS = ("products", "users", "orders", "search_suggestions")


def alias_name(prefix, kind):
    return f"{prefix}_{kind}"


def new_index_name(prefix, kind):
    return f"{prefix}_{kind}_{time.strftime('%Y%m%d%H%M%S')}_{int(time.time() * 1000) % 1000:03d}"


def has_analysis_common(es):
    """True when every node runs the analysis-common module (then we may use its filters)."""
    nodes = es.nodes.info(metric="modules,plugins").get("nodes", {})
    if not nodes:
        return False
    return all(any(m.get("name") == "analysis-common"
                   for m in node.get("modules", []) + node.get("plugins", []))
               for node in nodes.values())


def analysis_settings(full):
    """Analyzers for `full` (analysis-common present) or core only. Same names either way, so
    mappings and queries never change; only how well "Café" matches "cafe" or "jackets" matches
    "jacket" does."""
    text_filters = ["lowercase"] + (["asciifolding", "english_possessive", "light_english"]
                                    if full else [])
    filters = {"shingles": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 3}}
    if full:
        filters["english_possessive"] = {"type": "stemmer", "language": "possessive_english"}
        filters["light_english"] = {"type": "stemmer", "language": "light_english"}
    return {
        "analyzer": {
            "shop_text": {"type": "custom", "tokenizer": "standard", "filter": text_filters},
            "shop_shingles": {"type": "custom", "tokenizer": "standard",
                              "filter": ["lowercase"] + (["asciifolding"] if full else [])
                              + ["shingles"]},
        },
        "normalizer": {"lower": {"type": "custom",
                                 "filter": ["lowercase"] + (["asciifolding"] if full else [])}},
        "filter": filters,
    }


TEXT = {"type": "text", "analyzer": "shop_text"}
KEYWORD = {"type": "keyword"}
LOWER_KEYWORD = {"type": "keyword", "normalizer": "lower"}


def _text_with_raw(**extra):
    return {**TEXT, "fields": {"raw": LOWER_KEYWORD}, **extra}


MAPPINGS = {
    "products": {
        "dynamic": "strict",
        "properties": {
            "product_id": {"type": "long"},
            "name": {**TEXT, "index_prefixes": {"min_chars": 1, "max_chars": 10},
                     "fields": {"raw": LOWER_KEYWORD,
                                "shingles": {"type": "text", "analyzer": "shop_shingles"}}},
            "slug": KEYWORD,
            "description": TEXT,
            "all_text": TEXT,  # copy of every searchable field: decides the result set
            "brand": {"properties": {"id": {"type": "long"}, "slug": KEYWORD,
                                     "name": {**_text_with_raw(), "copy_to": "all_text"}}},
            "category": {"properties": {
                "id": {"type": "long"}, "slug": KEYWORD, "name": {**TEXT, "copy_to": "all_text"},
                "path": KEYWORD,               # slugs root → leaf (filter includes descendants)
                "names": {**TEXT, "copy_to": "all_text"}}},
            "price": {"type": "long"},         # lowest active variant price, minor units
            "list_price": {"type": "long"},
            "currency": KEYWORD,
            "sizes": {**LOWER_KEYWORD, "copy_to": "all_text"},
            "colours": {**LOWER_KEYWORD, "copy_to": "all_text"},
            "colour_labels": {"type": "object", "enabled": False},
            "size_labels": {"type": "object", "enabled": False},
            "variants": {"type": "nested", "properties": {
                "variant_id": {"type": "long"}, "sku": KEYWORD, "size": LOWER_KEYWORD,
                "colour": LOWER_KEYWORD, "price": {"type": "long"},
                "inventory_count": {"type": "integer"}, "in_stock": {"type": "boolean"}}},
            "in_stock": {"type": "boolean"},
            "rating_avg": {"type": "float"},
            "rating_count": {"type": "integer"},
            "popularity": {"type": "long"},
            "image_url": {"type": "keyword", "index": False},
            "created_at": {"type": "date"},
            "updated_at": {"type": "date"},
            "name_suggest": {"type": "completion", "analyzer": "simple",
                             "preserve_separators": False},
        },
    },
    "users": {
        "dynamic": "strict",
        "properties": {
            "user_id": {"type": "long"},
            "username": _text_with_raw(),
            "full_name": _text_with_raw(),
            "bio": TEXT,
            "location": TEXT,
            "role": KEYWORD,
            "is_active": {"type": "boolean"},
            "created_at": {"type": "date"},
        },
    },
    "orders": {
        "dynamic": "strict",
        "properties": {
            "order_id": {"type": "long"},
            "order_ref": {**KEYWORD, "copy_to": "all_text"},
            "user_id": {"type": "long"},
            "status": KEYWORD,
            "product_names": {**TEXT, "copy_to": "all_text"},
            "skus": KEYWORD,
            "all_text": TEXT,
            "total_amount": {"type": "long"},
            "currency": KEYWORD,
            "created_at": {"type": "date"},
        },
    },
    "search_suggestions": {
        "dynamic": "strict",
        "properties": {
            "query": LOWER_KEYWORD,
            "frequency": {"type": "long"},
            "category": KEYWORD,
            "suggest": {"type": "completion", "analyzer": "simple", "preserve_separators": False},
        },
    },
}


def index_body(kind, full_analysis, refresh_interval):
    return {"settings": {"number_of_shards": 1, "number_of_replicas": 0,
                         "refresh_interval": refresh_interval,
                         "analysis": analysis_settings(full_analysis)},
            "mappings": MAPPINGS[kind]}


def current_index(es, alias):
    """The index the alias points at, or None."""
    if not es.indices.exists_alias(name=alias):
        return None
    return sorted(es.indices.get_alias(name=alias))[-1]


def create_index(es, prefix, kind, refresh_interval, full_analysis=None):
    if full_analysis is None:
        full_analysis = has_analysis_common(es)
    name = new_index_name(prefix, kind)
    es.indices.create(index=name, **index_body(kind, full_analysis, refresh_interval))
    return name


def ensure_alias(es, prefix, kind, refresh_interval):
    """Create the first index behind the alias if there is none (idempotent; racing creators
    each make an index, one alias wins, the loser's empty index is deleted)."""
    alias = alias_name(prefix, kind)
    existing = current_index(es, alias)
    if existing:
        return existing
    name = create_index(es, prefix, kind, refresh_interval)
    try:
        es.indices.update_aliases(actions=[{"add": {"index": name, "alias": alias,
                                                    "is_write_index": True}}])
    except Exception:
        es.indices.delete(index=name, ignore_unavailable=True)
        raise
    winner = current_index(es, alias)
    if winner != name and len(es.indices.get_alias(name=alias)) > 1:
        es.indices.update_aliases(actions=[{"remove": {"index": name, "alias": alias}}])
        es.indices.delete(index=name, ignore_unavailable=True)
    return current_index(es, alias)


def swap_alias(es, prefix, kind, new_index):
    """Point the alias at `new_index` in one atomic call; returns the indices it left."""
    alias = alias_name(prefix, kind)
    old = sorted(es.indices.get_alias(name=alias)) if es.indices.exists_alias(name=alias) else []
    actions = [{"remove": {"index": i, "alias": alias}} for i in old if i != new_index]
    actions.append({"add": {"index": new_index, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    return [i for i in old if i != new_index]


def drop_old_indices(es, prefix, kind, keep):
    """Delete our own indices of `kind` except `keep` (only names with our exact prefix)."""
    pattern = f"{prefix}_{kind}_2*"
    for name in es.indices.get(index=pattern, ignore_unavailable=True, allow_no_indices=True):
        if name != keep and name.startswith(f"{prefix}_{kind}_"):
            es.indices.delete(index=name, ignore_unavailable=True)
