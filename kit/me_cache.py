"""A signed-in shopper's own account (GET /api/users/me) cached in Redis: written by the users
service, read by the gateway in the rate limiter's round trip, so a cached read costs no RPC.

users:me:epoch         INCRed by every users process when it starts: entries of an earlier
                       database (a test reset, a restore) hand out ids again and never count
users:me:gen:{id}      INCRed after every commit that changed user {id} (an ORM hook in the
                       users service: whatever code path wrote the row)
users:me:{id}          "epoch|gen|<the account's JSON>", stored by get_user with the epoch and
                       generation it read BEFORE its database read; served only while both
                       still stand, so a write that commits meanwhile can never be hidden

A lost INCR (Redis away just after a commit) leaves at most TTL_S of staleness: the entry
expires. One module so both sides agree on keys and format.
"""
import json

EPOCH = "users:me:epoch"
TTL_S = 120


def gen_key(user_id):
    return f"users:me:gen:{user_id}"


def entry_key(user_id):
    return f"users:me:{user_id}"


def keys(user_id):
    """What to MGET, in this order, to judge an entry: epoch, generation, entry."""
    return [EPOCH, gen_key(user_id), entry_key(user_id)]


def entry(epoch, gen, account):
    return f"{epoch or 0}|{gen or 0}|{json.dumps(account, separators=(',', ':'))}"


def fresh_json(replies):
    """The account's JSON text if the entry in `replies` (of `keys`) was made at the current
    epoch and generation, else None."""
    epoch, gen, raw = (r.decode() if isinstance(r, bytes) else r for r in replies)
    if not raw:
        return None
    made_epoch, made_gen, text = raw.split("|", 2)
    if made_epoch != str(epoch or 0) or made_gen != str(gen or 0):
        return None
    return text
