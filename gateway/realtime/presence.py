"""Presence: who has at least one authenticated socket open, on any gateway process.

Redis holds the truth, shared by every gateway process:

    presence:conns:{user_id}  sorted set: connection id → the time (ms) it expires
    presence:users            sorted set: user id → the latest expiry among their connections

A connection is added when its socket is authenticated and removed when it closes; each process
re-stamps its own connections every heartbeat (GATEWAY.heartbeat_s), so the connections of a
gateway that crashed expire after GATEWAY.presence_ttl_s and a sweep (any process) notices.

The users service keeps is_online/last_seen and emits user.online/user.offline
(users.set_presence, which only emits on a change). Whenever a user's count may have crossed
zero — first connection, last one gone, connections expired — `sync` reads the count and calls
set_presence with what it says, then reads it again: if it changed meanwhile, it calls again.
Two processes racing (one tab opening here while the last one closes there) therefore settle on
the truth whichever call the users service applies last. One sync per user runs at a time in a
process; more requests while it runs make it go round once more.
"""
import logging
import time
import uuid
from functools import partial

import gevent
import redis

from kit.errors import NotFound
from kit.retry import Backoff, call_with_retries

log = logging.getLogger(__name__)

USERS_KEY = "presence:users"

# Returns how many live connections the user has after adding this one.
CONNECT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[4])
return redis.call('ZCARD', KEYS[1])
"""

# Returns how many live connections are left after removing this one.
DISCONNECT = """
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('ZREM', KEYS[2], ARGV[3]) end
return left
"""

# Re-stamps one connection; returns 1 if it had already expired away (it is back now).
REFRESH = """
local added = redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], 'GT', ARGV[1], ARGV[3])
return added
"""

# For a user whose newest connection expired: drop expired ones; 1 if none is left (offline),
# and only for the one caller that removed the user from presence:users.
SWEEP = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) > 0 then
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('ZADD', KEYS[2], newest[2], ARGV[2])
  return 0
end
return redis.call('ZREM', KEYS[2], ARGV[2])
"""


def conns_key(user_id):
    return f"presence:conns:{user_id}"


def now_ms():
    return int(time.time() * 1000)


class Presence:
    def __init__(self, redis_client, users, ttl_s):
        """`redis_client()` gives this process's Redis client; `users()` an RPC caller."""
        self._redis = redis_client
        self._users = users
        self.ttl_ms = int(ttl_s * 1000)
        self.local = {}          # connection id → user id, for this process's sockets
        self._syncing = {}       # user id → True if it must go round once more
        self._running = {}       # user id → its sync greenlet
        self._scripts = None

    def _script(self, name):
        if self._scripts is None:
            client = self._redis()
            self._scripts = {n: client.register_script(s) for n, s in
                             (("connect", CONNECT), ("disconnect", DISCONNECT),
                              ("refresh", REFRESH), ("sweep", SWEEP))}
        return self._scripts[name]

    # ---- a socket opens or closes --------------------------------------------------------------

    def connected(self, conn_id, user_id):
        self.local[conn_id] = user_id
        now = now_ms()
        try:
            count = self._script("connect")(keys=[conns_key(user_id), USERS_KEY],
                                            args=[now, now + self.ttl_ms, conn_id, user_id,
                                                  2 * self.ttl_ms])
        except redis.RedisError as exc:
            log.warning("presence: could not record a connection of user %s: %s", user_id, exc)
            return
        if int(count) == 1:
            self.sync(user_id)

    def disconnected(self, conn_id, user_id):
        """Forget a connection; returns the sync greenlet when this was the user's last one."""
        if self.local.pop(conn_id, None) is None:
            return None
        try:
            left = self._script("disconnect")(keys=[conns_key(user_id), USERS_KEY],
                                              args=[now_ms(), conn_id, user_id])
        except redis.RedisError as exc:
            log.warning("presence: could not remove a connection of user %s (it expires in "
                        "%d s): %s", user_id, self.ttl_ms // 1000, exc)
            return None
        if int(left) == 0:
            return self.sync(user_id)
        return None

    # ---- every heartbeat -------------------------------------------------------------------------

    def refresh(self):
        """Re-stamp this process's connections; sync any user whose connections had lapsed."""
        if not self.local:
            return
        expires = now_ms() + self.ttl_ms
        script = self._script("refresh")
        pipe = self._redis().pipeline(transaction=False)
        items = list(self.local.items())
        for conn_id, user_id in items:
            script(keys=[conns_key(user_id), USERS_KEY],
                   args=[expires, conn_id, user_id, 2 * self.ttl_ms], client=pipe)
        for (conn_id, user_id), revived in zip(items, pipe.execute()):
            if int(revived) and conn_id in self.local:
                self.sync(user_id)

    def sweep(self, limit=500):
        """Users whose newest connection expired (a gateway died): mark them offline."""
        client = self._redis()
        now = now_ms()
        for user_id in client.zrangebyscore(USERS_KEY, "-inf", now, start=0, num=limit):
            if int(self._script("sweep")(keys=[conns_key(user_id), USERS_KEY],
                                         args=[now, user_id])):
                self.sync(int(user_id))

    def live_connections(self, user_id):
        return int(self._redis().zcount(conns_key(user_id), now_ms(), "+inf"))

    # ---- telling the users service ------------------------------------------------------------

    def sync(self, user_id):
        """Tell the users service what the count says (in a greenlet, which is returned)."""
        if user_id in self._syncing:
            self._syncing[user_id] = True
            return self._running.get(user_id)
        self._syncing[user_id] = False
        self._running[user_id] = greenlet = gevent.spawn(self._sync, user_id)
        return greenlet

    def _sync(self, user_id):
        correlation_id = f"presence-{uuid.uuid4().hex}"
        # RPC or Redis trouble: try again after 1, 2, 4, 8 s; the 5th failure in this sync gives up.
        failures = Backoff(start=1.0, cap=8.0)
        try:
            while True:
                try:
                    settled = call_with_retries(
                        partial(self._tell_users, user_id, correlation_id),
                        name=f"presence of user {user_id}", attempts=5, sleep=gevent.sleep,
                        backoff=failures)
                except Exception as exc:
                    log.warning("presence: gave up telling users about user %s: %s",
                                user_id, exc)
                    return
                if settled is None:
                    return  # no such user (any more): nothing to mark
                if settled and not self._syncing.get(user_id):
                    return
        finally:
            self._syncing.pop(user_id, None)
            self._running.pop(user_id, None)

    def _tell_users(self, user_id, correlation_id):
        """One round: set_presence with what the count says; True if the count still says so
        afterwards, None if the users service knows no such user."""
        self._syncing[user_id] = False
        online = self.live_connections(user_id) > 0
        try:
            self._users(correlation_id).set_presence(user_id, online)
        except NotFound:
            return None
        return (self.live_connections(user_id) > 0) == online
