"""The Redis keys of served lists, shared by the service (writer) and the gateway (reader).

Every key starts with RECOMMENDATIONS.redis_prefix from config (`recs` in dev, so the seed's
`recs:{user_id}`; test envs move it with their `aarya_testK` token):

{p}:gen             catalog/model generation: bumped by a model activation, a catalog sync and
                    every product event that changes what a list may show (stock, price, …)
{p}:ugen:{user_id}  a shopper's generation: bumped by each of their interactions
{p}:{user_id}       their "for me" list, made at (gen, ugen): see `entry` for the format
{p}:similar:{id}    made at gen; {p}:together:{id} and {p}:popular likewise
{p}:cart:{digest}   made at gen: what goes with a cart holding exactly these products
                    (digest of the sorted product ids), shared by every cart with the same
                    contents; a cart change is a new digest, so it can never serve a stale list
{p}:bought:{user_id} what they bought (a set): every surface leaves these out

A cached list is only served while the generations it was made at are current, so an event
that changes a list needs one INCR, never a scan of keys. A reader reads the generations
before it computes, so a list made from older data is never stored as current.
"""
import hashlib
import json

TTL_S = 3600
POPULAR_TTL_S = 30  # live popularity moves without an event that names it
MAX_LIMIT = 50
DEFAULT_PREFIX = "recs"


def prefix_from(config):
    return str((config.get("RECOMMENDATIONS") or {}).get("redis_prefix") or DEFAULT_PREFIX)


class Keys:
    def __init__(self, prefix=DEFAULT_PREFIX):
        self.prefix = prefix
        self.gen = f"{prefix}:gen"
        self.popular = f"{prefix}:popular"

    @classmethod
    def from_config(cls, config):
        return cls(prefix_from(config))

    def user_gen(self, user_id):
        return f"{self.prefix}:ugen:{user_id}"

    def for_user(self, user_id):
        return f"{self.prefix}:{user_id}"

    def similar(self, product_id):
        return f"{self.prefix}:similar:{product_id}"

    def together(self, product_id):
        return f"{self.prefix}:together:{product_id}"

    def bought(self, user_id):
        return f"{self.prefix}:bought:{user_id}"

    def cart(self, product_ids):
        return f"{self.prefix}:cart:{cart_digest(product_ids)}"


def cart_digest(product_ids):
    """The same for every cart holding the same products, whatever the order or quantities."""
    text = ",".join(str(p) for p in sorted({int(p) for p in product_ids}))
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def generation(value):
    return int(value or 0)


# An entry is lines of text, so the gateway can serve it without parsing or re-encoding JSON
# (profiled: json.loads + dumps of 50 cards was the largest cost of a cached read):
#   "{gen} {ugen or -}"                     the generations it was made at
#   {the body without its items, as JSON}   e.g. {"model_version":3,"strategy":"hybrid"}
#   "{product_id}\t{item as JSON}"          one line per item, best first


def _fresh_lines(raw, gen, ugen):
    if not raw:
        return None
    head, _, rest = raw.partition("\n")
    made = head.split(" ")
    if len(made) != 2 or made[0] != str(generation(gen)):
        return None
    if ugen is not None and made[1] != str(generation(ugen)):
        return None
    meta, _, items = rest.partition("\n")
    if not meta.startswith("{"):
        return None
    return meta, [line.split("\t", 1) for line in items.split("\n")] if items else []


def fresh_json(raw, gen, ugen=None, limit=MAX_LIMIT, drop=()):
    """The response text of a cached list made at these generations (at most `limit` items,
    none of `drop`), or None: no JSON is parsed or encoded."""
    found = _fresh_lines(raw, gen, ugen)
    if found is None:
        return None
    meta, lines = found
    drop = {str(p) for p in drop}
    items = [item for product_id, item in lines if product_id not in drop][:limit]
    return '{"items":[' + ",".join(items) + ("]," + meta[1:] if meta != "{}" else "]}")


def fresh_body(raw, gen, ugen=None):
    """The cached body (a dict) if it was made at these generations, else None."""
    found = _fresh_lines(raw, gen, ugen)
    if found is None:
        return None
    meta, lines = found
    return {"items": [json.loads(item) for _, item in lines], **json.loads(meta)}


def entry(body, gen, ugen=None):
    dumps = (lambda v: json.dumps(v, separators=(",", ":")))
    meta = {k: v for k, v in body.items() if k != "items"}
    lines = [f"{generation(gen)} {'-' if ugen is None else generation(ugen)}", dumps(meta)]
    lines += [f"{int(i['product_id'])}\t{dumps(i)}" for i in body["items"]]
    return "\n".join(lines)


def sliced(body, limit, drop=()):
    """The body with at most `limit` items, leaving out product ids in `drop`."""
    drop = {int(p) for p in drop}
    items = [i for i in body["items"] if i["product_id"] not in drop][:limit]
    return {**body, "items": items}
