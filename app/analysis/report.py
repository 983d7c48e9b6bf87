"""“What we heard”: counts by channel, submitter and theme, charts, representative quotes and responses by theme.

Public by design, and counted-not-shown: the totals count every contribution received on a public version —
published comments and sent submissions, including those whose makers asked us not to publish them (they are
read and counted, never shown) — but nothing held, hidden, withdrawn or still a draft. Quotes are only words
people chose to publish, and no names appear. The same report feeds the page and the PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.analysis import charts
from app.models import (
    Channel,
    Comment,
    CommentState,
    Response,
    SearchDocument,
    Submission,
    SubmissionState,
    Tag,
    TagApplication,
    Version,
)
from app.responses.services import OUTCOME_LABELS, gist

QUOTES_PER_THEME = 3


@dataclass
class ThemeSection:
    tag: Tag
    count: int
    quotes: list[str] = field(default_factory=list)
    responses: list[tuple[str, str, int]] = field(default_factory=list)  # (outcome label, text, how many)


@dataclass
class Report:
    version: Version
    total: int
    by_channel: list[tuple[str, int]]
    verified: int
    themes: list[ThemeSection]
    heat_map: list[charts.Row]
    days: list[charts.Day]


def _counts(session: Session, version: Version) -> tuple[int, list[tuple[str, int]], int]:
    """Every contribution received on `version` (whatever its consent), by channel; and from verified makers.

    Counted from the contributions themselves, not the search index: the index marks a not-to-be-published one
    "private" whatever its moderation state, and holds a submission's free-text answers as documents of their own.
    """
    if not version.is_public:
        return 0, [], 0
    comments = session.execute(
        select(func.count(), func.count().filter(Comment.author_verified.is_(True))).where(
            Comment.version_id == version.id, Comment.state == CommentState.PUBLISHED.value
        )
    ).one()
    channels: dict[str, int] = {}
    if comments[0]:
        channels[Channel.ONLINE.value] = int(comments[0])
    verified = int(comments[1] or 0)
    for channel, n, known in session.execute(
        select(
            Submission.channel,
            func.count(),
            func.count().filter((Submission.user_id.is_not(None)) | (Submission.entered_by_id.is_not(None))),
        )
        .where(Submission.version_id == version.id, Submission.state == SubmissionState.PUBLISHED.value)
        .group_by(Submission.channel)
    ):
        channels[str(channel)] = channels.get(str(channel), 0) + int(n)
        verified += int(known or 0)
    by_channel = sorted(channels.items())
    return sum(channels.values()), by_channel, verified


def build(session: Session, version: Version) -> Report:
    public = (
        SearchDocument.version_id == version.id,
        SearchDocument.kind != "clause",
        SearchDocument.public.is_(True),
    )
    total, by_channel, verified = _counts(session, version)
    counted = (
        select(TagApplication.tag_id, func.count(func.distinct(TagApplication.ref_id)))
        .join(
            SearchDocument,
            (SearchDocument.kind == TagApplication.kind) & (SearchDocument.ref_id == TagApplication.ref_id),
        )
        .where(*public, TagApplication.second.is_(False))
        .group_by(TagApplication.tag_id)
    )
    counts = dict(session.execute(counted).all())
    tags = {t.id: t for t in session.scalars(select(Tag).where(Tag.id.in_(counts)))}
    themes = [
        ThemeSection(tags[i], n) for i, n in sorted(counts.items(), key=lambda p: (-p[1], tags[p[0]].name))
    ]
    for section in themes:
        members = select(TagApplication.ref_id).where(
            TagApplication.tag_id == section.tag.id,
            TagApplication.kind == "comment",
            TagApplication.second.is_(False),
        )
        quotes = session.scalars(
            select(SearchDocument.body)
            .where(*public, SearchDocument.kind == "comment", SearchDocument.ref_id.in_(members))
            .order_by(func.length(SearchDocument.body).desc(), SearchDocument.id)
            .limit(QUOTES_PER_THEME)
        )
        section.quotes = [gist(q, 400) for q in quotes]
        grouped = session.execute(
            select(Response.outcome, Response.text, func.count())
            .join(Comment, Comment.id == Response.comment_id)
            .where(Comment.id.in_(members), Comment.state == CommentState.PUBLISHED.value)
            .group_by(Response.outcome, Response.text)
            .order_by(func.count().desc())
            .limit(5)
        )
        section.responses = [(str(OUTCOME_LABELS.get(o, o)), t, n) for o, t, n in grouped]
    return Report(
        version,
        total,
        by_channel,
        verified,
        themes,
        charts.heat_map(session, version, staff=False),
        charts.per_day(session, version, staff=False),
    )


def rendition(session: Session, version: Version):  # type: ignore[no-untyped-def]
    """The report as a PDF rendition through the house PDF pipeline (sanitised, cached by its HTML's hash)."""
    from app.pdf.sanitise import prepare_html
    from app.pdf.services import (
        DOCUMENT_LANGUAGE,
        Rendition,
        _safe_filename,
        draft_notice,
        make_key,
        page_css,
        status_text,
    )

    report = build(session, version)
    title = _("What we heard")
    html = prepare_html(
        render_template(
            "pdf/what_we_heard.html",
            version=version,
            report=report,
            doc_title=f"{title}: {version.policy.title} ({version.label})",
            heading=title,
            lang=DOCUMENT_LANGUAGE,
            status=status_text(version),
            generated_on=dt.datetime.now(dt.UTC).date(),
            page_css=page_css(version.policy.title, f"{version.label} · {title}", draft_notice(version)),
        )
    )
    return Rendition(
        kind="what-we-heard",
        key=make_key("what-we-heard", hashlib.sha256(html.encode()).hexdigest()),
        filename=_safe_filename(version.policy.slug, version.slug, "what-we-heard"),
        build=lambda: html,
        public=True,
    )
