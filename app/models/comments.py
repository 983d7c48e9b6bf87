"""Comments on clauses, their anchors and placements in later versions, reports, campaigns, responses."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk
from app.models.policies import Clause, Version
from app.models.users import User

if TYPE_CHECKING:
    from app.models.submissions import Answer, Redaction, Submission

# Letters and digits that cannot be confused when read aloud or copied by hand (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
TRACKING_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"


def new_tracking_number() -> str:
    """A short, unguessable, readable-aloud tracking number: KR-XXXX-XXXX (about 37 bits)."""
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"KR-{chars[:4]}-{chars[4:]}"


class CommentState(enum.StrEnum):
    PUBLISHED = "published"
    HELD = "held"  # waiting for a moderator (pre-moderation, or hidden after reports)
    HIDDEN = "hidden"  # removed by a moderator, with a public reason
    WITHDRAWN = "withdrawn"  # withdrawn by its author; a tombstone stays


class DisplayAs(enum.StrEnum):
    """What the author agreed the public may be shown: the comment with their name, without it, or nothing.

    The three answers of the consent question that submissions ask too (`Consent`); a comment keeps its older
    names for the first two, so existing rows, API clients and exports read as before.
    """

    NAME = "name"  # publish with my name
    ANONYMOUS = "anonymous"  # publish without my name
    PRIVATE = (
        "private"  # do not publish: counted in public totals and read by staff, never shown to the public
    )


class PlacementStatus(enum.StrEnum):
    ORIGINAL = "original"  # the version the comment was made on
    UNCHANGED = "unchanged"
    MOVED = "moved"
    TEXT_CHANGED = "text_changed"
    ORPHANED = "orphaned"
    NEEDS_REVIEW = "needs_review"  # too uncertain to place: a drafter confirms or re-places it


class ResponseOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTLY = "partly"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"


class CampaignGroup(Base):
    """Identical or near-identical comments from many people, counted and shown once.

    Its representative (its earliest published member) and its count of published members are kept here and
    changed by delta (`app.comments.counts`), so no page reads the members to find either. One group per
    clause and exact text (`fingerprint_hash`): two letters grouped at once meet at the same row.
    """

    __tablename__ = "campaign_groups"
    __table_args__ = (UniqueConstraint("clause_id", "fingerprint_hash"),)

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clauses.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(Text)  # normalised text the members are compared with
    # The SHA-256 of `fingerprint` (equal to its exact members' Comment.fingerprint_hash).
    fingerprint_hash: Mapped[str | None] = mapped_column(String(64))
    member_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The earliest published member's id, or None when none is published. No foreign key: comments already
    # point here, and a cycle of keys would make every delete order-dependent; the id is kept by the services.
    representative_id: Mapped[int | None] = mapped_column()
    # Set when staff merged this group into another: its members moved there, and a letter that still finds
    # this row (by its text) joins the group it names instead. No foreign key, for the reason above.
    merged_into_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[created_at]


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_clause_state_id", "clause_id", "state", "id"),
        Index("ix_comments_user_id_created_at", "user_id", "created_at"),
        Index("ix_comments_state_created_at", "state", "created_at"),
        # The exact-fingerprint lookup of campaign grouping: first matching comment on a clause, by id.
        Index("ix_comments_clause_fingerprint_id", "clause_id", "fingerprint_hash", "id"),
        # A group's earliest published member (when its representative is hidden or withdrawn), and its members.
        Index("ix_comments_group_state_id", "campaign_group_id", "state", "id"),
        # The near-duplicate check: a clause's newest ungrouped top-level comments.
        Index(
            "ix_comments_ungrouped",
            "clause_id",
            "id",
            postgresql_where=text("campaign_group_id IS NULL AND parent_id IS NULL"),
            sqlite_where=text("campaign_group_id IS NULL AND parent_id IS NULL"),
        ),
        # Comments whose deferred work (grouping, counts) is still to do: the sweeper's queue.
        Index(
            "ix_comments_unprocessed",
            "id",
            postgresql_where=text("NOT processed"),
            sqlite_where=text("NOT processed"),
        ),
        # A retried POST with the same form token finds the comment it already made.
        UniqueConstraint("user_id", "form_token"),
    )

    id: Mapped[intpk]
    tracking_number: Mapped[str] = mapped_column(String(16), unique=True, default=new_tracking_number)
    # Null once the author deleted their account and chose to keep the comment anonymised.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clauses.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    campaign_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_groups.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # The original anchor (W3C text-quote and text-position selectors over the clause's plain text);
    # all null for a comment on the whole clause. Never overwritten: placements record later versions.
    quote_exact: Mapped[str | None] = mapped_column(Text)
    quote_prefix: Mapped[str | None] = mapped_column(String(64))
    quote_suffix: Mapped[str | None] = mapped_column(String(64))
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    display_as: Mapped[str] = mapped_column(String(12), default=DisplayAs.NAME.value)
    author_verified: Mapped[bool] = mapped_column(default=False)
    fingerprint_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default=CommentState.PUBLISHED.value)
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    report_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Kept with the redactions (`app.models.submissions.Redaction`), so pages load none unless it has some.
    redaction_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The form token of the POST that made it: a retried POST with the same token gets this comment back.
    form_token: Mapped[str | None] = mapped_column(String(64))
    # False until the deferred work after the post (campaign grouping, the counts pages show) has been done.
    processed: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # True once staff took the comment out of a campaign group by hand: grouping leaves it alone from then on
    # (it joins no group, and no letter joins it), so the correction is not undone by the next letter.
    campaign_locked: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[created_at]
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    version: Mapped[Version] = relationship()
    clause: Mapped[Clause] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side="Comment.id")
    campaign_group: Mapped[CampaignGroup | None] = relationship(foreign_keys=[campaign_group_id])
    redactions: Mapped[list[Redaction]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Redaction.id"
    )

    @property
    def has_passage(self) -> bool:
        return self.quote_exact is not None

    @property
    def may_publish(self) -> bool:
        """Whether the author agreed to publish it at all."""
        return self.display_as != DisplayAs.PRIVATE.value


class CommentReport(Base):
    """Someone signed in says a comment breaks the rules."""

    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[intpk]
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    comment: Mapped[Comment] = relationship()


class CommentPlacement(Base):
    """Where a comment sits in a later version (carry-forward); one row per comment and version."""

    __tablename__ = "comment_placements"
    __table_args__ = (
        UniqueConstraint("comment_id", "version_id"),
        Index("ix_comment_placements_version_clause", "version_id", "clause_key"),
    )

    id: Mapped[intpk]
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    clause_key: Mapped[str | None] = mapped_column(String(64))  # null when orphaned
    status: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    quote_exact: Mapped[str | None] = mapped_column(Text)
    quote_prefix: Mapped[str | None] = mapped_column(String(64))
    quote_suffix: Mapped[str | None] = mapped_column(String(64))
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[created_at]

    comment: Mapped[Comment] = relationship()
    version: Mapped[Version] = relationship()


class Response(Base):
    """A drafter's answer to a comment, a campaign group, a submission or a free-text answer: "you said, we did"."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN comment_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN campaign_group_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN submission_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN answer_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: Mapped[intpk]
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), unique=True)
    campaign_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_groups.id", ondelete="CASCADE"), unique=True
    )
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    changed_in_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL"), index=True
    )
    changed_clause_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    comment: Mapped[Comment | None] = relationship(foreign_keys=[comment_id])
    campaign_group: Mapped[CampaignGroup | None] = relationship(foreign_keys=[campaign_group_id])
    submission: Mapped[Submission | None] = relationship(foreign_keys=[submission_id])
    answer: Mapped[Answer | None] = relationship(foreign_keys=[answer_id])
    changed_in_version: Mapped[Version | None] = relationship(foreign_keys=[changed_in_version_id])
