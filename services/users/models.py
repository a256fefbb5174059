"""The users service's tables (users_db): accounts, refresh sessions, follows, blocks, activity."""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.outbox import outbox_table

ROLES = ("customer", "support", "admin")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    username: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="customer")
    bio: Mapped[str | None] = mapped_column(sa.String(500))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(500))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    is_online: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    last_seen: Mapped[sa.DateTime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                               server_default=sa.func.now())
    updated_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                               server_default=sa.func.now(), onupdate=sa.func.now())


class UserSession(Base):
    """A refresh session. The refresh token's secret is stored only as a SHA-256 hash."""
    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    refresh_token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    created_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                               server_default=sa.func.now())
    last_used_at = mapped_column(sa.DateTime(timezone=True))
    expires_at = mapped_column(sa.DateTime(timezone=True), nullable=False)
    revoked_at = mapped_column(sa.DateTime(timezone=True))


class UserFollow(Base):
    __tablename__ = "user_follows"

    follower_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                             primary_key=True)
    followee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)
    created_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                               server_default=sa.func.now())


class UserBlock(Base):
    __tablename__ = "user_blocks"

    blocker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                            primary_key=True)
    blocked_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    created_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                               server_default=sa.func.now())


class UserActivity(Base):
    __tablename__ = "user_activities"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         nullable=False)
    activity_type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    data = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    created_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                               server_default=sa.func.now())


outbox = outbox_table(Base.metadata)
