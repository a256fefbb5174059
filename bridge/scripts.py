"""The Lua script that writes one stream entry and its seen-marker as a single atomic step."""
import hashlib
import json

# KEYS[1] seen-marker, KEYS[2] stream; ARGV[1] marker TTL (s), ARGV[2] MAXLEN, then the entry's
# fields either as one JSON array [field, value, …] (events: one argument instead of fourteen
# keeps redis-py's per-argument packing off the hot path) or as field, value, … arguments
# (dead letters, whose raw body may not be text).
# Returns the new entry id, or nil when the marker already existed (a redelivery or republish).
MIRROR_LUA = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
local fields
if #ARGV == 3 then
  fields = cjson.decode(ARGV[3])
else
  fields = {unpack(ARGV, 3)}
end
local id = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
if type(id) == 'table' and id.err then
  -- Redis does not roll back a failed script: drop the marker so a retry can still write the entry.
  redis.call('DEL', KEYS[1])
  return id
end
return id
"""

MIRROR_SHA = hashlib.sha1(MIRROR_LUA.encode()).hexdigest()


def seen_key(event_id):
    return f"bridge:seen:{event_id}"


def dead_letter_seen_key(body):
    # A bad message may have no usable id; its body identifies it across redeliveries.
    return f"bridge:seen:dead:{hashlib.sha1(body).hexdigest()}"


def packed_fields(fields):
    """Stream fields as the script's single JSON-array argument, UTF-8 encoded.

    Raises UnicodeEncodeError for text that is not valid Unicode (a lone surrogate from a
    "\\ud800" escape), which the caller turns into a dead letter rather than a poison message.
    """
    flat = [item for pair in fields.items() for item in pair]
    return json.dumps(flat, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
