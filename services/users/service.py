"""The users service: accounts, auth sessions, profiles, follows/blocks, presence, activity.

Entry points only; the rules live in accounts.py and social.py. Every state change commits
with its event through the outbox.
"""
from sqlalchemy import select
from kit.rpc import rpc

from kit.errors import NotFound, Unauthorized, ValidationFailed
from kit.redis_client import Redis
from kit.schemas import load
from kit import service_base
from kit.tokens import revoked_session_key
from services.users import accounts, social
from services.users.me_cache import MeCache
from services.users.models import User, UserActivity
from services.users.presenters import activity, private_user, public_user
from services.users.schemas import (LoginSchema, PageSchema, ProfileUpdateSchema,
                                    RegisterSchema)

ONLINE_USERS = "online_users"


def record_activity(session, outbox, user_id, activity_type, data=None):
    """An activity row plus its `user.activity` event, in the caller's transaction."""
    row = UserActivity(user_id=user_id, activity_type=activity_type, data=data or {})
    session.add(row)
    session.flush()
    outbox.add(session, "user.activity", {"user_id": user_id, "activity_id": row.id,
                                          "activity_type": activity_type, "data": data or {}})


class UsersService(service_base.SqlService):
    name = "users"

    # db, outbox: service_base.SqlService
    redis = Redis()
    me_cache = MeCache()   # the gateway serves GET /api/users/me from it (kit/me_cache)

    @property
    def auth_config(self):
        return self.config["AUTH"]

    # --- accounts ---------------------------------------------------------------------------

    @rpc
    def register(self, payload):
        fields = load(RegisterSchema(), payload)
        with self.db.transaction() as session:
            user = accounts.create_user(session, **fields)
            self.outbox.add(session, "user.created", {
                "user_id": user.id, "email": user.email, "username": user.username,
                "full_name": user.full_name, "role": user.role})
            record_activity(session, self.outbox, user.id, "registered")
            return private_user(user)

    @rpc
    def login(self, email, password, ip=None, user_agent=None):
        load(LoginSchema(), {"email": email, "password": password})
        with self.db.transaction() as session:
            user = accounts.authenticate(session, email, password)
            pair = accounts.open_session(session, user, self.auth_config, ip, user_agent)
            record_activity(session, self.outbox, user.id, "logged_in", {"ip": ip})
            return {**pair, "user": private_user(user)}

    @rpc
    def refresh(self, refresh_token):
        with self.db.transaction() as session:
            user, pair, stolen_session = accounts.rotate_refresh(
                session, refresh_token, self.auth_config)
        if stolen_session:
            self._revoke_access(stolen_session)
            raise Unauthorized("invalid_refresh_token", "The refresh token is not valid.")
        return {**pair, "user": private_user(user)}

    @rpc
    def logout(self, session_id):
        with self.db.transaction() as session:
            accounts.revoke_session(session, session_id)
        self._revoke_access(session_id)
        return {"logged_out": True}

    def _revoke_access(self, session_id):
        # Access tokens of this session die at once: the gateway checks this key per request.
        self.redis.set(revoked_session_key(session_id), 1,
                       ex=int(self.auth_config["access_ttl_s"]) + 60)

    # --- profiles ---------------------------------------------------------------------------

    @rpc
    def get_user(self, user_id):
        stamp = self.me_cache.stamp(user_id)
        account = private_user(social.require_user(self.db.session, user_id))
        self.me_cache.store(user_id, stamp, account)
        return account

    @rpc
    def get_public_profile(self, user_id, viewer_id=None):
        session = self.db.session
        user = social.require_user(session, user_id)
        if viewer_id and viewer_id != user_id and social.is_blocked_between(
                session, user_id, viewer_id):
            raise NotFound("user_not_found", f"User {user_id} does not exist.",
                           {"user_id": user_id})
        followers, following = social.follow_counts(session, user_id)
        return {**public_user(user), "followers": followers, "following": following}

    @rpc
    def update_profile(self, user_id, changes):
        changes = load(ProfileUpdateSchema(), changes)
        if not changes:
            raise ValidationFailed("validation_failed", "Nothing to update.",
                                   {"fields": {"_schema": ["Send at least one field."]}})
        with self.db.transaction() as session:
            user = social.require_user(session, user_id)
            accounts.ensure_unique(session, username=changes.get("username"), exclude_id=user_id)
            old = {k: getattr(user, k) for k in changes}
            for key, value in changes.items():
                setattr(user, key, value)
            session.flush()
            self.outbox.add(session, "user.updated", {
                "user_id": user_id, "changes": {k: {"old": old[k], "new": v}
                                                for k, v in changes.items() if old[k] != v}})
            record_activity(session, self.outbox, user_id, "profile_updated",
                            {"fields": sorted(changes)})
            return private_user(user)

    # --- follows and blocks -----------------------------------------------------------------

    def _relate(self, user_id, target_id, change, activity_type):
        with self.db.transaction() as session:
            social.require_other(session, user_id, target_id)
            changed = change(session, user_id, target_id)
            if changed:
                record_activity(session, self.outbox, user_id, activity_type,
                                {"target_user_id": target_id})
        return {"user_id": user_id, "target_user_id": target_id, "changed": changed}

    @rpc
    def follow(self, user_id, target_id):
        return self._relate(user_id, target_id, social.add_follow, "followed")

    @rpc
    def unfollow(self, user_id, target_id):
        return self._relate(user_id, target_id, social.remove_follow, "unfollowed")

    @rpc
    def block(self, user_id, target_id):
        return self._relate(user_id, target_id, social.add_block, "blocked")

    @rpc
    def unblock(self, user_id, target_id):
        return self._relate(user_id, target_id, social.remove_block, "unblocked")

    @rpc
    def list_followers(self, user_id, limit=50):
        return self._related(user_id, "followers", limit)

    @rpc
    def list_following(self, user_id, limit=50):
        return self._related(user_id, "following", limit)

    def _related(self, user_id, direction, limit):
        page = load(PageSchema(), {"limit": limit})
        session = self.db.session
        social.require_user(session, user_id)
        return [{**public_user(u), "since": since.isoformat()}
                for u, since in social.list_related(session, user_id, direction, page["limit"])]

    # --- activity ---------------------------------------------------------------------------

    @rpc
    def list_activity(self, user_id, limit=50, before_id=None):
        page = load(PageSchema(), {"limit": limit, "before_id": before_id})
        social.require_user(self.db.session, user_id)
        return [activity(a) for a in social.own_activity(self.db.session, user_id, **page)]

    @rpc
    def activity_feed(self, user_id, limit=50, before_id=None):
        page = load(PageSchema(), {"limit": limit, "before_id": before_id})
        social.require_user(self.db.session, user_id)
        return [activity(a) for a in social.feed(self.db.session, user_id, **page)]

    # --- presence ---------------------------------------------------------------------------

    @rpc
    def set_presence(self, user_id, online):
        """Mark a user online/offline; emits user.online / user.offline only on a change."""
        online = bool(online)
        with self.db.transaction() as session:
            user = session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound("user_not_found", f"User {user_id} does not exist.",
                               {"user_id": user_id})
            changed = user.is_online != online
            user.is_online = online
            user.last_seen = accounts.now_utc()
            if changed:
                self.outbox.add(session, "user.online" if online else "user.offline",
                                {"user_id": user_id, "last_seen": user.last_seen.isoformat()})
        if online:
            self.redis.sadd(ONLINE_USERS, user_id)
        else:
            self.redis.srem(ONLINE_USERS, user_id)
        return {"user_id": user_id, "is_online": online, "changed": changed}

    @rpc
    def list_online(self, limit=100):
        return sorted(int(u) for u in self.redis.srandmember(ONLINE_USERS, limit) or [])

    @rpc
    def export_users(self, after_id=0, limit=500):
        """Every account in id order, one keyset page: {items, next_after_id}. For the search
        reindex (staff user search); private fields except the password hash."""
        after_id, limit = int(after_id or 0), max(1, min(int(limit), 1000))
        rows = self.db.session.scalars(
            select(User).where(User.id > after_id).order_by(User.id).limit(limit)).all()
        return {"items": [private_user(u) for u in rows],
                "next_after_id": rows[-1].id if len(rows) == limit else None}
