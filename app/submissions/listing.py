"""Read queries for submissions: a version's list and totals, question results, a receipt by number."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.comments.tracking import normalise_tracking_number
from app.comments.visibility import _is_staff
from app.models import Answer, Consent, Question, Submission, SubmissionState, Version, Viewer
from app.submissions.questions import AGREE, TEXT, QuestionSpec, Tally, tally
from app.submissions.visibility import can_view_submission, is_public, shown_text

PAGE_SIZE = 50
COUNTED_STATES = (SubmissionState.PUBLISHED.value,)  # sent and not hidden: what public totals count


@dataclass(frozen=True)
class SubmissionsPage:
    items: list[Submission]
    total: int  # every counted submission, the unpublished ones too
    shown: int
    next_before: int | None


def version_submissions(
    session: Session, viewer: Viewer, version: Version, before: int | None = None
) -> SubmissionsPage:
    """The submissions on `version` the viewer may see, newest first (keyset by id)."""
    staff = _is_staff(viewer)
    query = select(Submission).where(Submission.version_id == version.id)
    if staff:
        query = query.where(Submission.state.not_in([SubmissionState.DRAFT.value]))
    else:
        query = query.where(
            Submission.state == SubmissionState.PUBLISHED.value, Submission.consent != Consent.PRIVATE.value
        )
    if before is not None:
        query = query.where(Submission.id < before)
    rows = list(
        session.scalars(
            query.order_by(Submission.id.desc())
            .limit(PAGE_SIZE + 1)
            .options(selectinload(Submission.attachments), selectinload(Submission.answers))
        )
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    total, shown = totals(session, version)
    return SubmissionsPage(rows, total, shown, rows[-1].id if more and rows else None)


def totals(session: Session, version: Version) -> tuple[int, int]:
    """How many submissions a version has (unpublished ones counted), and how many of them are shown."""
    by_consent = dict(
        session.execute(
            select(Submission.consent, func.count())
            .where(Submission.version_id == version.id, Submission.state.in_(COUNTED_STATES))
            .group_by(Submission.consent)
        ).all()
    )
    total = sum(by_consent.values())
    return total, total - by_consent.get(Consent.PRIVATE.value, 0)


@dataclass
class QuestionResult:
    question: Question
    tally: Tally | None = None
    texts: list[tuple[Submission, str]] = field(default_factory=list)
    answered: int = 0


def results_visible(version: Version, viewer: Viewer, is_open: bool) -> bool:
    """Results show once the period closed, or live when the version says so; staff always see them."""
    return _is_staff(viewer) or version.question_results_live or not is_open


def question_results(session: Session, viewer: Viewer, version: Version) -> list[QuestionResult]:
    """Per question: counts and shares for choice questions, the free-text answers that may be shown."""
    questions = list(
        session.scalars(select(Question).where(Question.version_id == version.id).order_by(Question.position))
    )
    if not questions:
        return []
    rows = session.execute(
        select(Answer, Submission)
        .join(Submission, Submission.id == Answer.submission_id)
        .where(Submission.version_id == version.id, Submission.state.in_(COUNTED_STATES))
        .order_by(Submission.id)
    ).all()
    by_question: dict[int, list[tuple[Answer, Submission]]] = {}
    for answer, submission in rows:
        by_question.setdefault(answer.question_id, []).append((answer, submission))
    results = []
    for question in questions:
        found = by_question.get(question.id, [])
        result = QuestionResult(question=question, answered=len(found))
        if question.kind == TEXT:
            result.texts = [
                (s, shown_text(viewer, a)) for a, s in found if a.text and (is_public(s) or _is_staff(viewer))
            ]
        else:
            spec = QuestionSpec(kind=question.kind, prompt=question.prompt, choices=tuple(question.choices))
            result.tally = tally(spec.options(), [a.choices for a, _s in found])
        results.append(result)
    return results


def tied_questions(
    session: Session, version: Version, section_key: str, clause_keys: list[str]
) -> list[Question]:
    """The version's questions about this section or one of its clauses (shown on the section page too)."""
    return list(
        session.scalars(
            select(Question)
            .where(
                Question.version_id == version.id,
                (Question.section_key == section_key) | Question.clause_key.in_(clause_keys or [""]),
            )
            .order_by(Question.position)
        )
    )


def find_submission(session: Session, raw: str | None) -> Submission | None:
    number = normalise_tracking_number(raw)
    if number is None:
        return None
    return session.scalar(select(Submission).where(Submission.tracking_number == number))


def receipt(session: Session, viewer: Viewer, raw: str | None) -> Submission | None:
    """The submission with this tracking number, if the viewer may see its receipt."""
    found = find_submission(session, raw)
    if found is None or not can_view_submission(viewer, found):
        return None
    return found


def user_submissions(session: Session, user_id: int) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.user_id == user_id)
            .order_by(Submission.id)
            .options(
                selectinload(Submission.answers).selectinload(Answer.question),
                selectinload(Submission.attachments),
            )
        )
    )


__all__ = [
    "AGREE",
    "QuestionResult",
    "SubmissionsPage",
    "find_submission",
    "question_results",
    "receipt",
    "results_visible",
    "totals",
    "user_submissions",
    "version_submissions",
]
