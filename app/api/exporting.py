"""Bulk exports, streamed: every published comment (or response) of a version or policy, in keyset batches.

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

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.comments.presenters import ANONYMOUS_LABEL
from app.comments.visibility import publicly_shown
from app.models import (
    CampaignGroup,
    Clause,
    Comment,
    DisplayAs,
    Response,
    Section,
    User,
    Version,
)
from app.submissions.visibility import public_comment_texts

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
    "to_tracking_number",
    "to_campaign_group",
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
    ids = [v.id for v in versions]
    labels = {v.id: f"{v.policy.slug}/{v.slug}" for v in versions}
    later = aliased(Version)
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
        )
        .outerjoin(Comment, Comment.id == Response.comment_id)
        .outerjoin(later, later.id == Response.changed_in_version_id)
        .where(Response.version_id.in_(ids))
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
                "to_tracking_number": row[2] or "",
                "to_campaign_group": row[3] or "",
                "outcome": row[4],
                "response": row[5],
                "changed_in_version": row[6] or "",
                "changed_clauses": " ".join(row[7] or []),
                "posted_date": row[8].isoformat(timespec="seconds"),
            }
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
