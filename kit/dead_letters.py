"""Ops tool for the `dead_letter` stream: list what is there, replay an entry to its stream.

    python -m kit.dead_letters --env dev list [--count 20]
    python -m kit.dead_letters --env dev replay <dead-letter entry id>

Replay copies the original fields back onto the origin stream as a new entry (so every group
sees it again; handlers are idempotent by event id) and removes the dead letter.
Bridge dead letters (bad envelopes) have no origin stream: fix the publisher instead.
"""
import argparse
import sys

import redis

from kit.config import load_config
from kit.topology import DEAD_LETTER_STREAM

ORIGIN_FIELDS = ("origin_stream", "origin_group", "origin_entry_id", "deliveries", "reason")


def replay(client, entry_id, dead_letter=DEAD_LETTER_STREAM):
    entries = client.xrange(dead_letter, min=entry_id, max=entry_id)
    if not entries:
        raise LookupError(f"no dead letter {entry_id}")
    fields = entries[0][1]
    stream = fields.get("origin_stream")
    if not stream:
        raise ValueError(f"dead letter {entry_id} has no origin stream (reason: "
                         f"{fields.get('reason')})")
    original = {k: v for k, v in fields.items() if k not in ORIGIN_FIELDS}
    pipe = client.pipeline(transaction=True)
    pipe.xadd(stream, original)
    pipe.xdel(dead_letter, entry_id)
    new_id, _ = pipe.execute()
    return stream, new_id


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--env", default=None)
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list")
    listing.add_argument("--count", type=int, default=20)
    again = sub.add_parser("replay")
    again.add_argument("entry_id")
    args = parser.parse_args(argv)
    config = load_config(args.env)
    client = redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)
    dead_letter = config.get("STREAMS", {}).get("dead_letter", DEAD_LETTER_STREAM)
    if args.action == "list":
        for entry_id, fields in client.xrevrange(dead_letter, count=args.count):
            print(entry_id, fields.get("origin_stream") or fields.get("origin", "?"),
                  fields.get("type", "-"), fields.get("reason", ""))
        return 0
    try:
        stream, new_id = replay(client, args.entry_id, dead_letter)
    except (LookupError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"replayed {args.entry_id} to {stream} as {new_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
