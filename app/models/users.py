"""Accounts and roles."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Protocol

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at, intpk


class Role(enum.StrEnum):
    COMMENTER = "commenter"
    DRAFTER = "drafter"
    REVIEWER = "reviewer"
    MODERATOR = "moderator"
    ADMIN = "admin"
    INTAKE = "intake"  # enters offline submissions (post, email, phone, hui) on someone's behalf


def new_session_token() -> str:
    """A fresh token; changing it ends every session and remember-me cookie of the account."""
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.COMMENTER.value)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    # Flask-Login's user id is this token, not the row id: rotate it to log out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[created_at]

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.suspended_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of `roles`; admins hold every role."""
        return self.role == Role.ADMIN.value or self.role in roles

    @property
    def sees_everything(self) -> bool:
        """Drafters, reviewers and moderators see held and hidden comments too."""
        return self.has_role(Role.DRAFTER, Role.REVIEWER, Role.MODERATOR)


class Viewer(Protocol):
    """Whoever is asking: a signed-in `User` or an `Anonymous` visitor. Services take this, not Flask-Login."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def sees_everything(self) -> bool: ...

    def has_role(self, *roles: str) -> bool: ...


class Anonymous(AnonymousUserMixin):
    """A visitor who is not signed in: holds no role, sees only what is public."""

    id = None
    role = None

    @property
    def sees_everything(self) -> bool:
        return False

    def has_role(self, *roles: str) -> bool:
        return False


ANONYMOUS: Viewer = Anonymous()


class LoginThrottle(Base):
    """Wrong passwords for one account from one source (an address): locks that source only.

    Locking per account and source means a stranger's guesses never lock the owner out from elsewhere; and a
    reset link always works, whatever the locks, so nobody can keep an owner out (issue 14, item 11).
    """

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("user_id", "source"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))  # a keyed digest of the address, never the address itself
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
