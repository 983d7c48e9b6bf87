"""Store many checked submissions at once: the table import's writer.

`record_submission` writes one submission through the ORM (a flush, its answers, its search document). An import
of 10,000 rows done that way spent almost all its time in per-row statements and unit-of-work bookkeeping, so the
import checks every row first (`prepare_sent`, the same checks in the same words, no query) and then writes the
lot with a few batched INSERTs (`insert_sent`): submissions with their ids returned in order, answers, and their
search documents, all on the session's connection and in its transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.analysis.indexing import facts_on, submission_row_document, write_new_documents
from app.caching import submission_tags, touch
from app.comments import campaigns
from app.drafts.rendering import render_comment
from app.models import Answer, Question, Submission, Version
from app.models.comments import new_tracking_number
from app.submissions.errors import SubmissionInputError
from app.submissions.services import Credit, SubmissionInput, _check, _initial_state

# Rows per INSERT statement: SQLite allows 32,766 bound parameters in one, and a submission has about 20.
BATCH = 1000


@dataclass
class Prepared:
    """One checked submission: its column values and its answers (question id, choices, text)."""

    values: dict[str, Any]
    answers: list[tuple[int, list[str], str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Stored:
    """What an import reports of each submission it stored."""

    id: int
    tracking_number: str
    submitter_name: str


def prepare_sent(
    session: Session,
    version: Version,
    data: SubmissionInput,
    credit: Credit,
    questions: list[Question],
    now: dt.datetime,
) -> Prepared:
    """Check a sent submission without files (as `record_submission` does) into the values it is stored with."""
    if data.uploads or data.remove_attachment_ids:
        raise SubmissionInputError(_("An imported submission cannot carry files."))
    checked = _check(session, version, data, True, questions)
    values = {
        "tracking_number": new_tracking_number(),
        "version_id": version.id,
        "user_id": credit.user_id,
        "entered_by_id": credit.entered_by_id,
        "channel": credit.channel,
        "received_on": credit.received_on,
        "submitter_contact": credit.contact,
        "submitter_name": credit.name,
        "body": checked.body,
        "body_html": render_comment(checked.body) if checked.body else "",
        "consent": checked.consent,
        "submitter_kind": checked.kind,
        "organisation_name": checked.organisation_name,
        "organisation_kind": checked.organisation_kind,
        "region": checked.region,
        "section_keys": checked.section_keys,
        "fingerprint_hash": campaigns.fingerprint(checked.body),
        "state": _initial_state(version),
        "created_at": now,
        "submitted_at": now,
    }
    answers = [(qid, choices, text) for qid, (choices, text) in checked.answers.items()]
    return Prepared(values, answers)


def insert_sent(session: Session, prepared: list[Prepared]) -> list[Stored]:
    """Write checked submissions, their answers and their search documents in batched INSERTs; flush first."""
    session.flush()
    connection = session.connection()
    submissions = Submission.__table__
    stored: list[Stored] = []
    for start in range(0, len(prepared), BATCH):
        batch = prepared[start : start + BATCH]
        # Each row's id is matched back by its tracking number (unique): asking for the ids in the order given
        # (`sort_by_parameter_order`) makes SQLite send the rows one statement at a time.
        # Through the session, so the page cache hears of a bulk change to submissions (`app.caching`); the
        # pages it changed are named below, so only they are dropped, not every page.
        returned = session.execute(
            insert(submissions).returning(submissions.c.id, submissions.c.tracking_number),  # type: ignore[arg-type]
            [p.values for p in batch],
        )
        ids = {number: sid for sid, number in returned}
        stored.extend(
            Stored(ids[p.values["tracking_number"]], p.values["tracking_number"], p.values["submitter_name"])
            for p in batch
        )
    answers = [
        {"submission_id": s.id, "question_id": qid, "choices": choices, "text": text}
        for s, p in zip(stored, prepared, strict=True)
        for qid, choices, text in p.answers
    ]
    for start in range(0, len(answers), BATCH):
        connection.execute(insert(Answer.__table__), answers[start : start + BATCH])  # type: ignore[arg-type]
    facts = facts_on(connection)
    documents = []
    for s, p in zip(stored, prepared, strict=True):
        fields = submission_row_document(p.values, facts)
        if fields is not None:
            documents.append(("submission", s.id, fields))
    if documents:
        write_new_documents(connection, documents)
    for version_id in {p.values["version_id"] for p in prepared}:
        # New submissions only add to their version's pages (soft), as one stored through the ORM does.
        touch(session, *submission_tags(session.get_one(Version, version_id)))
    return stored
