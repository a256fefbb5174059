"""The users service's side of kit/me_cache: the epoch at start, the generation after every
commit that changed a user, and the entries get_user stores.

The generation is moved by SQLAlchemy session hooks, not by each RPC, so a new code path
that writes a user (presence, a profile edit, a role change) cannot forget it: after_flush
notes the ids of the User rows a session wrote, after_commit INCRs their generations.
"""
import logging
import time

import redis as redis_lib
from nameko.extensions import DependencyProvider
from sqlalchemy import event
from sqlalchemy.orm import Session

from kit import me_cache
from kit.redis_client import RedisClient
from services.users.models import User

log = logging.getLogger(__name__)
_CHANGED = "aarya.users_changed"
RETRY_EPOCH_S = 10


class MeCache(DependencyProvider):
    """One per process: its Redis client, the session hooks and the start-up epoch."""

    def setup(self):
        self.client = RedisClient.from_url(self.container.config["REDIS_URI"],
                                           decode_responses=True)

    def start(self):
        _HOOKS.client = self.client
        _HOOKS.install()
        self.epoch_moved, self.tried_at = False, 0.0
        self._move_epoch()

    def _move_epoch(self):
        """Until this process has moved the epoch it stores no entry (Redis away at start);
        tried again at most every RETRY_EPOCH_S, so a Redis outage costs no RPC a wait."""
        self.tried_at = time.monotonic()
        try:
            self.client.incr(me_cache.EPOCH)
            self.epoch_moved = True
        except redis_lib.RedisError:
            log.warning("account cache off until Redis answers: the epoch could not move")

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        if not self.epoch_moved and time.monotonic() - self.tried_at >= RETRY_EPOCH_S:
            self._move_epoch()
        return Entries(self.client if self.epoch_moved else None)


class Entries:
    def __init__(self, client):
        self.client = client

    def stamp(self, user_id):
        """(epoch, gen) as they stand now: read BEFORE the database read. None: Redis away
        (or the cache off), store nothing."""
        if self.client is None:
            return None
        try:
            return tuple(self.client.mget(me_cache.EPOCH, me_cache.gen_key(user_id)))
        except redis_lib.RedisError:
            return None

    def store(self, user_id, stamp, account):
        if stamp is None:
            return
        try:
            self.client.set(me_cache.entry_key(user_id), me_cache.entry(*stamp, account),
                            ex=me_cache.TTL_S)
        except redis_lib.RedisError:
            log.warning("account %s not cached: Redis unavailable", user_id)


class _Hooks:
    client = None
    installed = False

    def install(self):
        if not self.installed:
            event.listen(Session, "after_flush", self.noted)
            event.listen(Session, "after_commit", self.committed)
            event.listen(Session, "after_rollback", self.forgotten)
            self.installed = True

    @staticmethod
    def noted(session, _context):
        ids = {o.id for o in (*session.new, *session.dirty, *session.deleted)
               if isinstance(o, User) and o.id is not None}
        if ids:
            session.info.setdefault(_CHANGED, set()).update(ids)

    def committed(self, session):
        ids = session.info.pop(_CHANGED, None)
        if not ids or self.client is None:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for user_id in ids:
                pipe.incr(me_cache.gen_key(user_id))
            pipe.execute()
        except redis_lib.RedisError:
            log.warning("cached accounts %s may stay stale for %d s: Redis unavailable",
                        sorted(ids), me_cache.TTL_S)

    @staticmethod
    def forgotten(session):
        session.info.pop(_CHANGED, None)


_HOOKS = _Hooks()
