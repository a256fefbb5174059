"""The Redis keys of served lists, shared by the service (writer) and the gateway (reader).

recs:gen             catalog/model generation: bumped by a model activation, a catalog sync and
                     every product event that changes what a list may show (stock, price, …)
recs:ugen:{user_id}  a shopper's generation: bumped by each of their interactions
recs:{user_id}       their "for me" list: {"gen", "ugen", "body"}
recs:similar:{id}    {"gen", "body"}; recs:together:{id} likewise
recs:bought:{user_id} what they bought (a set): the gateway drops these from shared lists

A cached list is only served while the generations it was made at are current, so an event
that changes a list needs one INCR, never a scan of keys. A reader reads the generations
before it computes, so a list made from older data is never stored as current.
"""
import json

GEN = "recs:gen"
TTL_S = 3600
MAX_LIMIT = 50


def user_gen(user_id):
    return f"recs:ugen:{user_id}"


def for_user(user_id):
    return f"recs:{user_id}"


def similar(product_id):
    return f"recs:similar:{product_id}"


def together(product_id):
    return f"recs:together:{product_id}"


def bought(user_id):
    return f"recs:bought:{user_id}"


def generation(value):
    return int(value or 0)


def fresh_body(raw, gen, ugen=None):
    """The cached body if it was made at these generations, else None."""
    if not raw:
        return None
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    if entry.get("gen") != generation(gen):
        return None
    if ugen is not None and entry.get("ugen") != generation(ugen):
        return None
    return entry.get("body")


def entry(body, gen, ugen=None):
    value = {"gen": generation(gen), "body": body}
    if ugen is not None:
        value["ugen"] = generation(ugen)
    return json.dumps(value, separators=(",", ":"))


def sliced(body, limit, drop=()):
    """The body with at most `limit` items, leaving out product ids in `drop`."""
    items = [i for i in body["items"] if i["product_id"] not in drop][:limit]
    return {**body, "items": items}
