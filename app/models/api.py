"""Personal access tokens for the API, and the stored replies of idempotent POSTs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk
from app.models.users import User


class ApiToken(Base):
    """A personal access token: only its SHA-256 digest is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The first characters of the token ("kr_ab12cd"), so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[created_at]
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return self.is_active and scope in (self.scopes or [])


class IdempotencyRecord(Base):
    """The reply to a POST sent with an `Idempotency-Key`, replayed when the same token retries it."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[intpk]
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    # What was asked (method, path and body), so the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[created_at]
