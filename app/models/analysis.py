"""The analysis workbench: the search index, the codebook and its tags, assignments, suggested themes.

Items are named generically by a *kind* and an id (`comment`/42, `clause`/7; later `submission`/3, `answer`/9),
so a new kind of contribution joins search, coding and exports by writing its own index rows.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk
from app.models.users import User


class ItemKind(enum.StrEnum):
    COMMENT = "comment"
    CLAUSE = "clause"  # the policy text itself


class SearchDocument(Base):
    """One searchable thing: its words (as written, and folded for matching) and the facts filters use.

    Written in the same transaction as the row it indexes (app/analysis/indexing.py). On SQLite an FTS5
    external-content table `search_fts` follows this table through triggers; on PostgreSQL a stored generated
    `tsv` column (English stems plus `simple` words) carries a GIN index. Both are made by migration 0005 and are
    outside the ORM (see `app.analysis.schema`).
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_search_documents_version_kind_id", "version_id", "kind", "id"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int]
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id", ondelete="CASCADE"), index=True)
    campaign_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_groups.id", ondelete="SET NULL"), index=True
    )
    # Moderation state for contributions ("published", "held"…); "published" for policy text.
    state: Mapped[str] = mapped_column(String(12))
    # Whether the public may find it: its words are public and its version is published.
    public: Mapped[bool] = mapped_column(default=False)
    verified: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str] = mapped_column(String(20), default="online")
    body: Mapped[str] = mapped_column(Text)  # as written: snippets are cut from this
    folded: Mapped[str] = mapped_column(Text)  # casefolded, macrons and other marks removed: matched
    created_at: Mapped[created_at]


class Tag(Base):
    """A code in a policy's codebook."""

    __tablename__ = "analysis_tags"
    __table_args__ = (UniqueConstraint("policy_id", "name"),)

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_tags.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]

    parent: Mapped[Tag | None] = relationship(remote_side="Tag.id")


class TagApplication(Base):
    """A tag applied to an item (or a passage of it) by one coder."""

    __tablename__ = "analysis_tag_applications"
    __table_args__ = (
        UniqueConstraint("tag_id", "kind", "ref_id", "coder_id"),
        Index("ix_analysis_tag_applications_item", "kind", "ref_id"),
    )

    id: Mapped[intpk]
    tag_id: Mapped[int] = mapped_column(ForeignKey("analysis_tags.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # True for a second coder's independent coding of a sample (agreement is measured on these).
    second: Mapped[bool] = mapped_column(default=False)
    quote_exact: Mapped[str | None] = mapped_column(Text)
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    created_at: Mapped[created_at]

    tag: Mapped[Tag] = relationship()
    coder: Mapped[User | None] = relationship()


class Assignment(Base):
    """An item given to an analyst to code (`second` for the second coder of a sample)."""

    __tablename__ = "analysis_assignments"
    __table_args__ = (UniqueConstraint("kind", "ref_id", "second"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    analyst_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    second: Mapped[bool] = mapped_column(default=False)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[created_at]

    analyst: Mapped[User] = relationship(foreign_keys=[analyst_id])


class ThemeRunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ThemeRun(Base):
    """One run of the suggested-themes job over a version's free text."""

    __tablename__ = "analysis_theme_runs"

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=ThemeRunStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    themes_wanted: Mapped[int] = mapped_column(default=8)
    seed: Mapped[int] = mapped_column(default=0)
    method: Mapped[str] = mapped_column(String(40), default="tfidf-nmf")
    item_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Beaten by the job as it goes; a run unfinished with no beat for a while was lost (`app.jobs.RowJob.sweep`).
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SuggestionStatus(enum.StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"


class ThemeSuggestion(Base):
    """A suggested theme: its top terms, representative quotes and members; a person decides what it becomes."""

    __tablename__ = "analysis_theme_suggestions"

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_theme_runs.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [[kind, ref_id], ...]: members and the representative ones, best first.
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    representatives: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=SuggestionStatus.SUGGESTED.value)
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_tags.id", ondelete="SET NULL"), index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    run: Mapped[ThemeRun] = relationship()


class CampaignBandKey(Base):
    """One MinHash LSH band key of a top-level comment: how form letters find each other across a version."""

    __tablename__ = "campaign_band_keys"
    __table_args__ = (Index("ix_campaign_band_keys_version_band_id", "version_id", "band", "id"),)

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    band: Mapped[str] = mapped_column(String(20))
