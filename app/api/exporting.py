"""Bulk exports, streamed: every published comment, submission or response of a version or policy, in batches.

Rows are read as plain tuples in batches of `BATCH` by id, never as ORM objects and never all at once, so memory
stays flat however many rows there are. Column names follow regulations.gov's comment fields where the meaning
matches (tracking number, received date, submitter, organisation, duplicate comments). Spreadsheet formulas are
neutralised: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`.
Public exports hold only what the public sees: published comments, their shown author label, never an email.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.comments.presenters import ANONYMOUS_LABEL
from app.comments.visibility import publicly_shown
from app.models import (
    Answer,
    Attachment,
    CampaignGroup,
    Clause,
    Comment,
    Consent,
    DisplayAs,
    Question,
    Redaction,
    Response,
    Section,
    Submission,
    SubmissionState,
    SubmitterKind,
    User,
    Version,
)
from app.responses.services import in_force, target_kind
from app.submissions.presenters import redacted_text
from app.submissions.visibility import name_label, public_comment_texts

BATCH = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COMMENT_COLUMNS = (
    "tracking_number",
    "document_id",  # policy/version the comment is on
    "comment_on_clause",
    "section",
    "received_date",
    "submitter_name",
    "submitter_kind",
    "organization_name",
    "author_verified",
    "comment",
    "quote",
    "in_reply_to",
    "campaign_group",
    "duplicate_comments",
)
RESPONSE_COLUMNS = (
    "response_id",
    "document_id",
    "to_kind",  # comment, campaign_group, submission or answer (a free-text answer to a question)
    "to_tracking_number",  # the comment's, or the submission's (an answer's is its submission's)
    "to_campaign_group",
    "to_question",  # an answer's question, by its position (q1 … qN in the submissions export)
    "outcome",
    "response",
    "changed_in_version",
    "changed_clauses",
    "posted_date",
)


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if type(value) is str and value and value[0] in _FORMULA_FIRST:
        return "'" + value
    return value


STAFF_COMMENT_COLUMNS = (*COMMENT_COLUMNS, "state", "account_email", "moderation_reason")


def _comment_rows(
    session: Session, versions: Sequence[Version], staff: bool = False
) -> Iterator[dict[str, Any]]:
    ids = [v.id for v in versions]
    labels = {v.id: f"{v.policy.slug}/{v.slug}" for v in versions}
    parent = aliased(Comment)
    anonymous = str(ANONYMOUS_LABEL)
    base = (
        select(
            Comment.id,
            Comment.tracking_number,
            Comment.version_id,
            Clause.key,
            Section.key,
            Comment.created_at,
            Comment.display_as,
            User.display_name,
            Comment.author_verified,
            Comment.body,
            Comment.quote_exact,
            parent.tracking_number,
            Comment.campaign_group_id,
            CampaignGroup.member_count,
            Comment.state,
            User.email,
            Comment.moderation_reason,
            Comment.redaction_count,
        )
        .join(Clause, Clause.id == Comment.clause_id)
        .join(Section, Section.id == Clause.section_id)
        .outerjoin(User, User.id == Comment.user_id)
        .outerjoin(parent, parent.id == Comment.parent_id)
        .outerjoin(CampaignGroup, CampaignGroup.id == Comment.campaign_group_id)
        .where(Comment.version_id.in_(ids))
        .order_by(Comment.id)
        .limit(BATCH)
    )
    if not staff:
        base = base.where(publicly_shown())
    after = 0
    while True:
        rows = session.execute(base.where(Comment.id > after)).all()
        # The public's exports carry redacted passages as "[redacted: reason]"; staff's the original words.
        redacted = {} if staff else public_comment_texts(session, [r[0] for r in rows if r[17]])
        for row in rows:
            shown = row[7] if row[7] is not None and row[6] != DisplayAs.ANONYMOUS.value else anonymous
            record = {
                "tracking_number": row[1],
                "document_id": labels[row[2]],
                "comment_on_clause": row[3],
                "section": row[4],
                "received_date": row[5].isoformat(timespec="seconds"),
                "submitter_name": shown,
                "submitter_kind": "individual",
                "organization_name": "",
                "author_verified": bool(row[8]),
                "comment": redacted.get(row[0], row[9]),
                "quote": row[10] or "",
                "in_reply_to": row[11] or "",
                "campaign_group": row[12] or "",
                "duplicate_comments": max((row[13] or 1) - 1, 0) if row[12] else 0,
            }
            if staff:
                record |= {
                    "state": row[14],
                    "account_email": row[15] or "",
                    "moderation_reason": row[16] or "",
                }
            yield record
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def _response_rows(session: Session, versions: Sequence[Version]) -> Iterator[dict[str, Any]]:
    """Every response in force (not one a merge set aside), with what it answers named by its tracking number
    and kind only: the words answered are never in this export, so a response to a comment or submission the
    public cannot read reveals nothing of it (the response's own text is public, as on the comment's receipt)."""
    ids = [v.id for v in versions]
    labels = {v.id: f"{v.policy.slug}/{v.slug}" for v in versions}
    later = aliased(Version)
    answered = aliased(Submission)  # the submission an answered answer belongs to
    base = (
        select(
            Response.id,
            Response.version_id,
            Comment.tracking_number,
            Response.campaign_group_id,
            Response.outcome,
            Response.text,
            later.slug,
            Response.changed_clause_keys,
            Response.created_at,
            Submission.tracking_number,
            answered.tracking_number,
            Question.position,
            Response.comment_id,
            Response.submission_id,
            Response.answer_id,
        )
        .outerjoin(Comment, Comment.id == Response.comment_id)
        .outerjoin(Submission, Submission.id == Response.submission_id)
        .outerjoin(Answer, Answer.id == Response.answer_id)
        .outerjoin(answered, answered.id == Answer.submission_id)
        .outerjoin(Question, Question.id == Answer.question_id)
        .outerjoin(later, later.id == Response.changed_in_version_id)
        .where(Response.version_id.in_(ids), in_force())
        .order_by(Response.id)
        .limit(BATCH)
    )
    after = 0
    while True:
        rows = session.execute(base.where(Response.id > after)).all()
        for row in rows:
            yield {
                "response_id": row[0],
                "document_id": labels[row[1]],
                "to_kind": target_kind(row[12], row[13], row[14]),
                "to_tracking_number": row[2] or row[9] or row[10] or "",
                "to_campaign_group": row[3] or "",
                "to_question": f"q{row[11]}" if row[11] is not None else "",
                "outcome": row[4],
                "response": row[5],
                "changed_in_version": row[6] or "",
                "changed_clauses": " ".join(row[7] or []),
                "posted_date": row[8].isoformat(timespec="seconds"),
            }
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


SUBMISSION_COLUMNS = (
    "tracking_number",
    "document_id",
    "received_date",  # when it was sent online, or the day an offline one arrived
    "channel",
    "submitter_name",
    "submitter_kind",
    "organization_name",
    "category",  # the organisation's kind, as regulations.gov's submitter category
    "organization_confirmed",
    "region",
    "sections",
    "comment",
    "redactions",
    "attachment_files",
)
STAFF_SUBMISSION_COLUMNS = (
    *SUBMISSION_COLUMNS,
    "state",
    "consent",
    "account_email",
    "submitter_contact",
    "moderation_reason",
)


def question_count(session: Session, versions: Sequence[Version]) -> int:
    """The most questions any of these versions asks: the export has a column q1…qN for each."""
    found = session.scalar(
        select(func.max(Question.position)).where(Question.version_id.in_([v.id for v in versions]))
    )
    return int(found or 0)


def _answer_cell(choices: list[str] | None, text: str | None) -> str:
    # Several choices are separated by "; ", as a table import reads them.
    return text if text is not None else "; ".join(choices or [])


def _submission_rows(
    session: Session, versions: Sequence[Version], questions: int, staff: bool
) -> Iterator[dict[str, Any]]:
    ids = [v.id for v in versions]
    labels = {v.id: f"{v.policy.slug}/{v.slug}" for v in versions}
    base = (
        select(
            Submission.id,
            Submission.tracking_number,
            Submission.version_id,
            Submission.submitted_at,
            Submission.received_on,
            Submission.channel,
            Submission.consent,
            Submission.submitter_name,
            Submission.submitter_kind,
            Submission.organisation_name,
            Submission.organisation_kind,
            Submission.organisation_confirmed_at,
            Submission.region,
            Submission.section_keys,
            Submission.body,
            Submission.state,
            User.email,
            Submission.submitter_contact,
            Submission.moderation_reason,
        )
        .outerjoin(User, User.id == Submission.user_id)
        .where(Submission.version_id.in_(ids))
        .order_by(Submission.id)
        .limit(BATCH)
    )
    if staff:
        base = base.where(Submission.state != SubmissionState.DRAFT.value)
    else:
        base = base.where(
            Submission.state == SubmissionState.PUBLISHED.value, Submission.consent != Consent.PRIVATE.value
        )
    after = 0
    while True:
        rows = session.execute(base.where(Submission.id > after)).all()
        batch = [row[0] for row in rows]
        answers: dict[int, dict[int, str]] = {}
        files: dict[int, list[int]] = {}
        withheld: dict[int, list[tuple[str, str]]] = {}
        if batch:
            answer_rows = session.execute(
                select(
                    Answer.submission_id, Question.position, Answer.choices, Answer.text, Answer.id,
                    Answer.redaction_count,
                )
                .join(Question, Question.id == Answer.question_id)
                .where(Answer.submission_id.in_(batch))
            ).all()  # fmt: skip
            # A written answer's own redactions, for the public's copy (staff read the words as written).
            answer_cuts: dict[int, list[tuple[str, str]]] = {}
            redacted_answers = [row[4] for row in answer_rows if row[5]]
            if redacted_answers and not staff:
                for answer_id, passage, reason in session.execute(
                    select(Redaction.answer_id, Redaction.passage, Redaction.reason)
                    .where(Redaction.answer_id.in_(redacted_answers))
                    .order_by(Redaction.id)
                ):
                    answer_cuts.setdefault(int(answer_id or 0), []).append((passage, reason))
            for submission_id, position, choices, written, answer_id, _count in answer_rows:
                cuts = answer_cuts.get(answer_id)
                shown = redacted_text(written, cuts) if written is not None and cuts else written
                answers.setdefault(submission_id, {})[position] = _answer_cell(choices, shown)
            for submission_id, attachment_id in session.execute(
                select(Attachment.submission_id, Attachment.id)
                .where(Attachment.submission_id.in_(batch))
                .order_by(Attachment.id)
            ):
                files.setdefault(submission_id, []).append(attachment_id)
            for redacted_id, passage, reason in session.execute(
                select(Redaction.submission_id, Redaction.passage, Redaction.reason)
                .where(Redaction.submission_id.in_(batch))
                .order_by(Redaction.id)
            ):
                withheld.setdefault(int(redacted_id or 0), []).append((passage, reason))
        for row in rows:
            number = row[1]
            organisation = row[8] == SubmitterKind.ORGANISATION.value
            named = staff or row[6] == Consent.NAMED.value
            redacted = withheld.get(row[0], [])
            body = row[14] if staff or not redacted else redacted_text(row[14], redacted)
            received = row[4].isoformat() if row[4] is not None else ""
            if not received and row[3] is not None:
                received = row[3].isoformat(timespec="seconds")
            record = {
                "tracking_number": number,
                "document_id": labels[row[2]],
                "received_date": received,
                "channel": row[5],
                "submitter_name": name_label(row[6], organisation, row[9], row[10], row[7], full=staff),
                "submitter_kind": row[8],
                "organization_name": (row[9] or "") if organisation and named else "",
                "category": (row[10] or "") if organisation else "individual",
                "organization_confirmed": row[11] is not None if organisation else False,
                "region": row[12] or "",
                "sections": " ".join(row[13] or []),
                "comment": body,
                "redactions": len(redacted),
                "attachment_files": " ".join(
                    url_for(
                        "submissions.attachment",
                        tracking_number=number,
                        attachment_id=attachment_id,
                        _external=True,
                    )
                    for attachment_id in files.get(row[0], [])
                ),
            }
            given = answers.get(row[0], {})
            for position in range(1, questions + 1):
                record[f"q{position}"] = given.get(position, "")
            if staff:
                record |= {
                    "state": row[15],
                    "consent": row[6],
                    "account_email": row[16] or "",
                    "submitter_contact": row[17] or "",
                    "moderation_reason": row[18] or "",
                }
            yield record
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def rows(
    session: Session, kind: str, versions: Sequence[Version], staff: bool = False
) -> tuple[tuple[str, ...], Iterator[dict[str, Any]]]:
    """The columns and records of an export; `staff`: every state, and the account behind each name."""
    if kind == "comments":
        columns = STAFF_COMMENT_COLUMNS if staff else COMMENT_COLUMNS
        return columns, _comment_rows(session, versions, staff)
    if kind == "submissions":
        count = question_count(session, versions)
        base = STAFF_SUBMISSION_COLUMNS if staff else SUBMISSION_COLUMNS
        columns = (*base, *(f"q{n}" for n in range(1, count + 1)))
        return columns, _submission_rows(session, versions, count, staff)
    return RESPONSE_COLUMNS, _response_rows(session, versions)


def as_csv(columns: Sequence[str], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text in chunks of about a batch: a header, then one line per record, formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for count, record in enumerate(records, start=1):
        writer.writerow([neutralise(record[c]) for c in columns])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def as_json_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """JSON Lines: one object per line (values as stored: JSON has no formulas to fear)."""
    chunk: list[str] = []
    for record in records:
        chunk.append(json.dumps(record, ensure_ascii=False))
        if len(chunk) == 500:
            yield "\n".join(chunk) + "\n"
            chunk = []
    if chunk:
        yield "\n".join(chunk) + "\n"


XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit; the export goes on in the next sheet
XLSX_CHUNK = 64 * 1024


def as_xlsx(columns: Sequence[str], records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """XLSX, written row by row in xlsxwriter's constant-memory mode to a temporary file, then streamed.

    Every value is written as a string or number, never as a formula (`strings_to_formulas` off), and text
    cells are neutralised as in CSV, so a copy pasted elsewhere stays inert too.
    """
    import tempfile

    import xlsxwriter

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        book = xlsxwriter.Workbook(
            target.name,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "tmpdir": tempfile.gettempdir(),
            },
        )
        sheet, row = None, XLSX_MAX_ROWS
        for record in records:
            if row >= XLSX_MAX_ROWS:
                sheet, row = book.add_worksheet(), 1
                sheet.write_row(0, 0, list(columns))
            sheet.write_row(row, 0, [neutralise(_cell(record[c])) for c in columns])  # type: ignore[union-attr]
            row += 1
        if sheet is None:
            book.add_worksheet().write_row(0, 0, list(columns))
        book.close()
        with open(target.name, "rb") as written:
            while chunk := written.read(XLSX_CHUNK):
                yield chunk


def _cell(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value
