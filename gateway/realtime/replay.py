"""Resuming an SSE feed from the client's Last-Event-ID: no gap, no duplicate, in order.

    1. the connection joins the hub first, at the tail's position P for the topic's stream;
       live events after P queue up in its buffer from then on
    2. `resume_point` checks the client's last id L against the stream:
       not an entry id, newer than anything the stream ever held, or no such entry → "unknown";
       older than what trimming removed (max-deleted-entry-id, or the first entry) → "trimmed";
       both mean the client cannot be brought up to date and must reload (an `event: reset`)
    3. `entries_between(L, P)` replays (L, P] with XRANGE, page by page
    4. the buffer is drained skipping every id ≤ max(L, last replayed id): P may be behind L
       when the client last listened to a gateway process whose tail was further ahead.
"""
import redis

from gateway.realtime.messages import ZERO_ID, parse_entry_id

FRESH = "fresh"
RESUME = "resume"
RESET = "reset"

UNKNOWN = "unknown_last_event_id"
TRIMMED = "last_event_id_trimmed"


def resume_point(client, stream, last_event_id):
    """(RESUME, None) if everything after `last_event_id` is still in the stream,
    else (RESET, reason); (FRESH, None) when the client sent no id."""
    if last_event_id is None or str(last_event_id).strip() == "":
        return FRESH, None
    last = parse_entry_id(last_event_id)
    if last is None:
        return RESET, UNKNOWN
    try:
        info = client.xinfo_stream(stream)
    except redis.ResponseError:  # no such stream (yet): only "nothing seen" can resume
        return (RESUME, None) if last == (0, 0) else (RESET, UNKNOWN)
    if last > parse_entry_id(info["last-generated-id"]):
        return RESET, UNKNOWN
    max_deleted = parse_entry_id(info.get("max-deleted-entry-id") or ZERO_ID) or (0, 0)
    if last < max_deleted:
        return RESET, TRIMMED
    if last != (0, 0) and not client.xrange(stream, min=_text(last), max=_text(last), count=1):
        first = info.get("first-entry")
        if first and last < parse_entry_id(first[0]):
            return RESET, TRIMMED
        return RESET, UNKNOWN
    return RESUME, None


def entries_between(client, stream, after_id, upto_id, page=500):
    """Stream entries with after_id < id <= upto_id, oldest first, read `page` at a time."""
    if parse_entry_id(upto_id) <= parse_entry_id(after_id):
        return
    start = "(" + _text(parse_entry_id(after_id))
    while True:
        entries = client.xrange(stream, min=start, max=upto_id, count=page)
        yield from entries
        if len(entries) < page:
            return
        start = "(" + entries[-1][0]


def _text(key):
    return f"{key[0]}-{key[1]}"
