"""The Lua steps that change a cart together with its events (see carts.py for why Lua).

Each script's KEYS and ARGV are listed above it; CartStore (carts.py) is the one caller.
"""
_PRELUDE = """
local function lines_of(key)
  local flat = redis.call('HGETALL', key)
  local lines, count, total = {}, 0, 0
  for i = 1, #flat, 2 do
    if string.sub(flat[i], 1, 1) ~= '_' then
      local quantity = tonumber(flat[i + 1])
      lines[flat[i]] = quantity
      count = count + 1
      total = total + quantity
    end
  end
  return lines, count, total
end

-- The envelope comes ready from Python; the fields only this step knows are added here.
local function stage(outbox, envelope, computed)
  local env = cjson.decode(envelope)
  for k, v in pairs(computed) do env['data'][k] = v end
  redis.call('XADD', outbox, '*', 'id', env['id'], 'type', env['type'],
             'envelope', cjson.encode(env))
end

-- An empty cart is no cart: drop the key and its idle clock. Else restart both clocks.
local function settle(key, touched, now, ttl, count)
  if count == 0 then
    redis.call('DEL', key)
    redis.call('ZREM', touched, key)
  else
    redis.call('HSET', key, '_updated_at', now)
    redis.call('EXPIRE', key, ttl)
    redis.call('ZADD', touched, now, key)
  end
end

local function analytics(stream, maxlen, action, cart_id, user_id, variant_id, quantity,
                         line_quantity, now)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'action', action, 'cart_id', cart_id,
             'user_id', user_id, 'variant_id', variant_id, 'quantity', quantity,
             'line_quantity', line_quantity, 'at', now)
end
"""

# KEYS: cart, touched, outbox, analytics
# ARGV: 1 variant_id, 2 mode (add|set), 3 quantity, 4 available stock, 5 sellable (1|0),
#       6 now_ms, 7 ttl_s, 8 max_lines, 9 analytics_maxlen, 10 cart_id, 11 user_id,
#       12 item_added envelope, 13 item_removed envelope, 14 cart_updated envelope
CHANGE_LINE = _PRELUDE + """
local variant = ARGV[1]
local before = tonumber(redis.call('HGET', KEYS[1], variant) or '0')
local after = tonumber(ARGV[3])
if ARGV[2] == 'add' then after = before + after end
if after == before then return {'unchanged', before, after} end
if after > before then
  -- only growing a line is checked: a shopper may always reduce what they hold
  if ARGV[5] ~= '1' then return {'product_inactive', before, after} end
  if after > tonumber(ARGV[4]) then return {'insufficient_stock', before, after} end
  if before == 0 then
    local _, count = lines_of(KEYS[1])
    if count >= tonumber(ARGV[8]) then return {'too_many_lines', before, after} end
  end
end
if after == 0 then
  redis.call('HDEL', KEYS[1], variant)
else
  redis.call('HSET', KEYS[1], variant, after)
end
local lines, count, total = lines_of(KEYS[1])
settle(KEYS[1], KEYS[2], ARGV[6], ARGV[7], count)
local reason
if after > before then
  reason = 'item_added'
  stage(KEYS[3], ARGV[12], {quantity = after - before, line_quantity = after})
  analytics(KEYS[4], ARGV[9], 'added', ARGV[10], ARGV[11], variant, after - before, after, ARGV[6])
else
  reason = 'item_removed'
  stage(KEYS[3], ARGV[13], {quantity = before - after, line_quantity = after})
  analytics(KEYS[4], ARGV[9], 'removed', ARGV[10], ARGV[11], variant, before - after, after,
            ARGV[6])
end
stage(KEYS[3], ARGV[14], {reason = reason, lines = lines, item_count = count,
                          total_quantity = total})
return {'ok', before, after}
"""

# KEYS: cart, touched, outbox, analytics
# ARGV: 1 now_ms, 2 analytics_maxlen, 3 cart_id, 4 user_id, 5 cart_updated envelope
CLEAR = _PRELUDE + """
local lines, count, total = lines_of(KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
if count == 0 then return 0 end
stage(KEYS[3], ARGV[5], {reason = 'cleared', lines = {}, item_count = 0, total_quantity = 0,
                         cleared_lines = lines})
analytics(KEYS[4], ARGV[2], 'cleared', ARGV[3], ARGV[4], '', total, 0, ARGV[1])
return count
"""

# KEYS: guest cart, user cart, touched, outbox, analytics
# ARGV: 1 now_ms, 2 ttl_s, 3 max_lines, 4 analytics_maxlen, 5 user cart_id, 6 user_id,
#       7 stock JSON {variant_id: available | -1 not sellable | -2 unknown},
#       8 cart_updated envelope
MERGE = _PRELUDE + """
local guest, guest_count = lines_of(KEYS[1])
if guest_count == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], KEYS[1])
  return {'nothing'}
end
local stock = cjson.decode(ARGV[7])
for variant in pairs(guest) do
  if stock[variant] == nil then return {'retry'} end  -- the guest cart changed since it was read
end
local variants = {}
for variant in pairs(guest) do table.insert(variants, variant) end
-- a fixed order, so a line limit always keeps the same lines
table.sort(variants, function(a, b) return tonumber(a) < tonumber(b) end)
local _, user_count = lines_of(KEYS[2])
local report = {}
for _, variant in ipairs(variants) do
  local wanted = guest[variant]
  local held = tonumber(redis.call('HGET', KEYS[2], variant) or '0')
  local available = tonumber(stock[variant])
  local entry = {guest_quantity = wanted, quantity_before = held, added = 0, capped = false}
  if available == -2 then
    entry['dropped'] = 'variant_not_found'
  elseif available < 0 then
    entry['dropped'] = 'product_inactive'
  elseif held == 0 and user_count >= tonumber(ARGV[3]) then
    entry['dropped'] = 'too_many_lines'
  else
    -- quantities add, capped by stock; a line already above stock is not cut by a merge
    local after = math.min(held + wanted, math.max(available, held))
    if after > held then
      redis.call('HSET', KEYS[2], variant, after)
      if held == 0 then user_count = user_count + 1 end
      analytics(KEYS[5], ARGV[4], 'merged', ARGV[5], ARGV[6], variant, after - held, after,
                ARGV[1])
    end
    entry['added'] = after - held
    entry['capped'] = after < held + wanted
  end
  entry['quantity_after'] = held + entry['added']
  report[variant] = entry
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], KEYS[1])
local lines, count, total = lines_of(KEYS[2])
settle(KEYS[2], KEYS[3], ARGV[1], ARGV[2], count)
stage(KEYS[4], ARGV[8], {reason = 'merged', merged = report, lines = lines, item_count = count,
                         total_quantity = total})
return {'ok', cjson.encode(report)}
"""

# KEYS: cart, touched, outbox
# ARGV: 1 the last-touched score the scan saw, 2 cart_abandoned envelope
# Compare-and-remove: a cart touched since the scan read it, or already reported by another
# replica, is left alone; so each idle period yields exactly one cart.abandoned.
ABANDON = _PRELUDE + """
local score = redis.call('ZSCORE', KEYS[2], KEYS[1])
if not score or tonumber(score) ~= tonumber(ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[2], KEYS[1])
local lines, count, total = lines_of(KEYS[1])
if count == 0 then return 0 end
stage(KEYS[3], ARGV[2], {lines = lines, item_count = count, total_quantity = total})
return 1
"""
