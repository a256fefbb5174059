"""Follows, blocks and the activity feed."""
import sqlalchemy as sa

from kit.errors import NotFound, ValidationFailed
from services.users.models import User, UserActivity, UserBlock, UserFollow


def require_user(session, user_id):
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("user_not_found", f"User {user_id} does not exist.", {"user_id": user_id})
    return user


def require_other(session, user_id, target_id):
    if user_id == target_id:
        raise ValidationFailed("validation_failed", "You cannot do that to yourself.",
                               {"fields": {"user_id": ["Must be another user."]}})
    require_user(session, user_id)
    return require_user(session, target_id)


def is_blocked_between(session, a, b):
    return session.scalar(sa.select(sa.func.count()).select_from(UserBlock).where(
        sa.or_(sa.and_(UserBlock.blocker_id == a, UserBlock.blocked_id == b),
               sa.and_(UserBlock.blocker_id == b, UserBlock.blocked_id == a)))) > 0


def add_follow(session, follower_id, followee_id):
    """True if a new follow was created."""
    if is_blocked_between(session, follower_id, followee_id):
        raise NotFound("user_not_found", f"User {followee_id} does not exist.",
                       {"user_id": followee_id})
    stmt = sa.dialects.postgresql.insert(UserFollow).values(
        follower_id=follower_id, followee_id=followee_id).on_conflict_do_nothing()
    return session.execute(stmt).rowcount > 0


def remove_follow(session, follower_id, followee_id):
    return session.execute(sa.delete(UserFollow).where(
        UserFollow.follower_id == follower_id, UserFollow.followee_id == followee_id)).rowcount > 0


def add_block(session, blocker_id, blocked_id):
    """Block and cut follows both ways. True if newly blocked."""
    session.execute(sa.delete(UserFollow).where(sa.or_(
        sa.and_(UserFollow.follower_id == blocker_id, UserFollow.followee_id == blocked_id),
        sa.and_(UserFollow.follower_id == blocked_id, UserFollow.followee_id == blocker_id))))
    stmt = sa.dialects.postgresql.insert(UserBlock).values(
        blocker_id=blocker_id, blocked_id=blocked_id).on_conflict_do_nothing()
    return session.execute(stmt).rowcount > 0


def remove_block(session, blocker_id, blocked_id):
    return session.execute(sa.delete(UserBlock).where(
        UserBlock.blocker_id == blocker_id, UserBlock.blocked_id == blocked_id)).rowcount > 0


def follow_counts(session, user_id):
    followers = session.scalar(sa.select(sa.func.count()).select_from(UserFollow)
                               .where(UserFollow.followee_id == user_id))
    following = session.scalar(sa.select(sa.func.count()).select_from(UserFollow)
                               .where(UserFollow.follower_id == user_id))
    return followers, following


def list_related(session, user_id, direction, limit):
    """Users who follow `user_id` (direction='followers') or whom it follows ('following')."""
    if direction == "followers":
        join_on, where = UserFollow.follower_id == User.id, UserFollow.followee_id == user_id
    else:
        join_on, where = UserFollow.followee_id == User.id, UserFollow.follower_id == user_id
    rows = session.execute(sa.select(User, UserFollow.created_at).join(UserFollow, join_on)
                           .where(where).order_by(UserFollow.created_at.desc()).limit(limit))
    return rows.all()


def activities(session, user_ids_query, limit, before_id):
    query = sa.select(UserActivity).where(UserActivity.user_id.in_(user_ids_query))
    if before_id:
        query = query.where(UserActivity.id < before_id)
    return session.scalars(query.order_by(UserActivity.id.desc()).limit(limit)).all()


def own_activity(session, user_id, limit, before_id):
    return activities(session, sa.select(sa.literal(user_id)), limit, before_id)


def feed(session, user_id, limit, before_id):
    """What the people `user_id` follows have done, newest first, minus blocked users."""
    followed = (sa.select(UserFollow.followee_id).where(UserFollow.follower_id == user_id)
                .where(UserFollow.followee_id.not_in(
                    sa.select(UserBlock.blocked_id).where(UserBlock.blocker_id == user_id))))
    return activities(session, followed, limit, before_id)
