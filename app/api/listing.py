"""The API's read queries: keyset pages of policies, comments, responses; whole versions; a comparison.

Every list is ordered by id and resumed after the last id of the page before (an opaque cursor carries it), so
a page costs the same at row 10 as at row 1,000,000. Who sees which comments is `app.comments.visibility`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, String, cast, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.comments.visibility import listed, visible_states
from app.models import (
    Answer,
    Clause,
    Comment,
    Consent,
    Policy,
    Question,
    Response,
    Section,
    Submission,
    SubmissionState,
    SubmitterKind,
    Version,
    VersionStatus,
    Viewer,
)
from app.responses.services import in_force, names_public_target

PUBLIC_STATUSES = (VersionStatus.PUBLISHED.value, VersionStatus.FINAL.value)


@dataclass(frozen=True)
class CommentQuery:
    """The filters of a comment list, like the search page's."""

    clause: str | None = None
    section: str | None = None
    passage: bool | None = None
    replies: bool = True
    campaign: int | None = None
    since: dt.datetime | None = None
    state: str | None = None


def policies_page(session: Session, after: int | None, limit: int) -> list[Policy]:
    query = select(Policy).order_by(Policy.id).limit(limit + 1)
    if after is not None:
        query = query.where(Policy.id > after)
    return list(session.scalars(query))


def public_versions(session: Session, policy: Policy) -> list[Version]:
    return list(
        session.scalars(
            select(Version)
            .where(Version.policy_id == policy.id, Version.status.in_(PUBLIC_STATUSES))
            .order_by(Version.position)
        )
    )


def version_sections(session: Session, version: Version) -> list[Section]:
    return list(
        session.scalars(
            select(Section)
            .where(Section.version_id == version.id)
            .order_by(Section.position)
            .options(selectinload(Section.clauses))
        )
    )


def comments_statement(version: Version, viewer: Viewer, filters: CommentQuery) -> Select[Comment]:
    """The comments of `version` that `viewer` may see, filtered, in id order (no paging)."""
    states = visible_states(viewer)
    if filters.state is not None:
        states &= {filters.state}
    query = select(Comment).where(
        Comment.version_id == version.id, Comment.state.in_(sorted(states)), listed(viewer)
    )
    if filters.clause is not None or filters.section is not None:
        query = query.join(Clause, Clause.id == Comment.clause_id)
        if filters.clause is not None:
            query = query.where(Clause.key == filters.clause)
        if filters.section is not None:
            query = query.join(Section, Section.id == Clause.section_id).where(Section.key == filters.section)
    if filters.passage is not None:
        query = query.where(
            Comment.quote_exact.is_not(None) if filters.passage else Comment.quote_exact.is_(None)
        )
    if not filters.replies:
        query = query.where(Comment.parent_id.is_(None))
    if filters.campaign is not None:
        query = query.where(Comment.campaign_group_id == filters.campaign)
    if filters.since is not None:
        query = query.where(Comment.created_at >= filters.since)
    return query.order_by(Comment.id)


def comments_page(
    session: Session, version: Version, viewer: Viewer, filters: CommentQuery, after: int | None, limit: int
) -> list[Comment]:
    query = comments_statement(version, viewer, filters)
    if after is not None:
        query = query.where(Comment.id > after)
    query = query.limit(limit + 1).options(
        joinedload(Comment.user),
        joinedload(Comment.clause),
        joinedload(Comment.campaign_group),
        joinedload(Comment.parent),
    )
    return list(session.scalars(query).unique())


def responses_for(session: Session, comments: Sequence[Comment]) -> dict[tuple[str, int], Response]:
    """The responses to these comments or their campaign groups, keyed ("comment", id) or ("group", id)."""
    ids = [c.id for c in comments]
    groups = {c.campaign_group_id for c in comments if c.campaign_group_id is not None}
    if not ids:
        return {}
    condition: ColumnElement[bool] = Response.comment_id.in_(ids)
    if groups:
        condition = or_(condition, Response.campaign_group_id.in_(sorted(groups)))
    found: dict[tuple[str, int], Response] = {}
    for response in session.scalars(
        select(Response).where(condition).options(joinedload(Response.changed_in_version))
    ):
        if response.comment_id is not None:
            found[("comment", response.comment_id)] = response
        elif response.campaign_group_id is not None:
            found[("group", response.campaign_group_id)] = response
    return found


def response_of(found: dict[tuple[str, int], Response], comment: Comment) -> Response | None:
    own = found.get(("comment", comment.id))
    if own is not None or comment.campaign_group_id is None:
        return own
    return found.get(("group", comment.campaign_group_id))


def responses_page(session: Session, version: Version, after: int | None, limit: int) -> list[Response]:
    """The responses readers are shown on `version`, with what each answers loaded to name it."""
    query = (
        select(Response)
        .where(Response.version_id == version.id, in_force(), names_public_target())
        .order_by(Response.id)
        .limit(limit + 1)
        .options(
            joinedload(Response.comment),
            joinedload(Response.submission),
            joinedload(Response.answer).joinedload(Answer.submission),
            joinedload(Response.answer).joinedload(Answer.question),
            joinedload(Response.changed_in_version),
        )
    )
    if after is not None:
        query = query.where(Response.id > after)
    return list(session.scalars(query))


# --- whole-version submissions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionQuery:
    """The filters of a submission list, like the comment list's."""

    section: str | None = None
    submitter_kind: str | None = None
    organisation_kind: str | None = None
    channel: str | None = None
    since: dt.datetime | None = None
    state: str | None = None


def submission_states(viewer: Viewer) -> set[str]:
    """What a reader may list: the public published ones; staff every sent one (never a draft)."""
    if viewer.sees_everything:
        return {s.value for s in SubmissionState} - {SubmissionState.DRAFT.value}
    return {SubmissionState.PUBLISHED.value}


def submissions_statement(version: Version, viewer: Viewer, filters: SubmissionQuery) -> Select[Submission]:
    """The submissions on `version` that `viewer` may see, filtered, in id order (no paging)."""
    states = submission_states(viewer)
    if filters.state is not None:
        states &= {filters.state}
    query = select(Submission).where(
        Submission.version_id == version.id, Submission.state.in_(sorted(states))
    )
    if not viewer.sees_everything:
        # Counted in the totals, never shown: its maker asked us not to publish it.
        query = query.where(Submission.consent != Consent.PRIVATE.value)
    if filters.section is not None:
        # `section_keys` is a JSON list of keys (letters, digits, - and _): look for the quoted key in its text.
        query = query.where(
            cast(Submission.section_keys, String).contains(f'"{filters.section}"', autoescape=True)
        )
    if filters.submitter_kind is not None:
        query = query.where(Submission.submitter_kind == filters.submitter_kind)
    if filters.organisation_kind is not None:
        query = query.where(
            Submission.submitter_kind == SubmitterKind.ORGANISATION.value,
            Submission.organisation_kind == filters.organisation_kind,
        )
    if filters.channel is not None:
        query = query.where(Submission.channel == filters.channel)
    if filters.since is not None:
        query = query.where(Submission.submitted_at >= filters.since)
    return query.order_by(Submission.id)


SUBMISSION_DETAILS = (
    selectinload(Submission.answers).joinedload(Answer.question),
    selectinload(Submission.attachments),
    selectinload(Submission.redactions),
)


def submissions_page(
    session: Session,
    version: Version,
    viewer: Viewer,
    filters: SubmissionQuery,
    after: int | None,
    limit: int,
) -> list[Submission]:
    query = submissions_statement(version, viewer, filters)
    if after is not None:
        query = query.where(Submission.id > after)
    return list(session.scalars(query.limit(limit + 1).options(*SUBMISSION_DETAILS)))


def find_submission(session: Session, tracking_number: str) -> Submission | None:
    number = (tracking_number or "").strip().upper()
    if not number or len(number) > 16:
        return None
    return session.scalar(
        select(Submission).where(Submission.tracking_number == number).options(*SUBMISSION_DETAILS)
    )


def text_answers_page(
    session: Session, question: Question, viewer: Viewer, after: int | None, limit: int
) -> list[tuple[Answer, Submission]]:
    """The free-text answers to `question` the viewer may read, oldest first (keyset by answer id)."""
    query = (
        select(Answer, Submission)
        .join(Submission, Submission.id == Answer.submission_id)
        .where(
            Answer.question_id == question.id,
            Answer.text.is_not(None),
            Answer.text != "",
            Submission.state == SubmissionState.PUBLISHED.value,
        )
        .order_by(Answer.id)
        .limit(limit + 1)
    )
    if not viewer.sees_everything:
        query = query.where(Submission.consent != Consent.PRIVATE.value)
    if after is not None:
        query = query.where(Answer.id > after)
    return [(answer, submission) for answer, submission in session.execute(query).all()]
