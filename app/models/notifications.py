"""Email notifications: each account's settings, who follows which policy, and the outbox the queue drains.

The outbox is a transactional outbox: a request writes one row in its own transaction (so a rolled-back request
sends nothing), and a worker (RQ when REDIS_URL is set, else `flask notify work`) turns it into mail later. No
mail is ever rendered or sent inside a request.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk
from app.models.policies import Policy
from app.models.users import User


class NotificationKind(enum.StrEnum):
    """What a notification is about; each is one setting on the account page (and one unsubscribe)."""

    RECEIPT = "receipt"  # a receipt for every comment I send
    REPLY = "reply"  # someone replied to my comment
    RESPONSE = "response"  # the drafters responded to my comment
    MODERATION = "moderation"  # a moderator decided about my comment
    NEW_VERSION = "new_version"  # a policy I follow has a new version
    CLOSING = "closing"  # a policy I follow closes for comment in three days


KINDS = frozenset(kind.value for kind in NotificationKind)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one worker
    HELD = "held"  # a digest item waiting for the daily digest
    DONE = "done"
    FAILED = "failed"


class NotificationSettings(Base):
    """One account's choices: which notifications it gets, and whether as one daily digest."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    receipt: Mapped[bool] = mapped_column(default=True, server_default="1")
    reply: Mapped[bool] = mapped_column(default=True, server_default="1")
    response: Mapped[bool] = mapped_column(default=True, server_default="1")
    moderation: Mapped[bool] = mapped_column(default=True, server_default="1")
    new_version: Mapped[bool] = mapped_column(default=True, server_default="1")
    closing: Mapped[bool] = mapped_column(default=True, server_default="1")
    digest: Mapped[bool] = mapped_column(default=False, server_default="0")
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def wants(self, kind: str) -> bool:
        return kind in KINDS and bool(getattr(self, kind))


class PolicyFollow(Base):
    """Someone follows a policy: an account, or an address confirmed by mail (double opt-in)."""

    __tablename__ = "policy_follows"
    __table_args__ = (
        UniqueConstraint("policy_id", "user_id"),
        UniqueConstraint("policy_id", "email"),
    )

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))  # only for followers without an account
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    created_at: Mapped[created_at]

    policy: Mapped[Policy] = relationship()
    user: Mapped[User | None] = relationship()


class OutboxMessage(Base):
    """One piece of work for the mail queue: an event to fan out, or a digest item held for the digest."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # The same key twice is the same notification (a reminder sent once, however often the job runs).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    sent_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[created_at]
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
