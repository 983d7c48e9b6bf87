"""Intake use cases: enter an offline submission on someone's behalf; import a table of them (all or nothing).

An offline submission is credited to the person who made it (their name, organisation and consent as they
gave them), never to the staff member who typed it in; it is stored by `submissions.services.record_submission`
like every other, with its channel and the day it was received. A posted one counts as on time when received
within the grace period after the close (`SUBMISSIONS_POST_GRACE_DAYS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.drafts.parsing import NZ
from app.exceptions import DomainError, InputError
from app.models import Channel, Question, Role, Submission, User, Version
from app.models.base import utcnow
from app.submissions import storage
from app.submissions.bulk import Prepared, Stored, insert_sent, prepare_sent
from app.submissions.errors import NotSubmitterError, SubmissionInputError, SubmissionsClosedError
from app.submissions.importing import COLUMNS, Table, TableError, read_table
from app.submissions.services import (
    Credit,
    SubmissionInput,
    Upload,
    record_submission,
    sent_fingerprints,
    version_questions,
)
from app.text import TextError, clean_text

OFFLINE_CHANNELS = (Channel.POST.value, Channel.EMAIL.value, Channel.HUI.value, Channel.PHONE.value)
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def require_intake(staff: User) -> None:
    if not staff.has_role(Role.INTAKE, Role.DRAFTER):
        raise NotSubmitterError(_("Only intake staff and drafters enter submissions for others."))


def parse_received_on(raw: str | None, field: str = "received_on") -> dt.date:
    text = (raw or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SubmissionInputError(
            _("Enter the day it was received as YYYY-MM-DD, for example 2026-03-14."), field
        ) from None


def check_received_in_time(
    version: Version, channel: str, received_on: dt.date, grace_days: int, field: str = "received_on"
) -> None:
    """Refuse a day received outside the period (a posted one may arrive up to `grace_days` after the close)."""
    opens, closes = version.comments_open_at, version.comments_close_at
    if not version.is_public or opens is None or closes is None:
        raise SubmissionsClosedError(_("This version does not take submissions."))
    today = utcnow().astimezone(NZ).date()
    if received_on > today:
        raise SubmissionInputError(_("The day received cannot be in the future."), field)
    first = opens.astimezone(NZ).date()
    last = (closes - dt.timedelta(microseconds=1)).astimezone(NZ).date()
    if channel == Channel.POST.value:
        last += dt.timedelta(days=grace_days)
    if received_on < first or received_on > last:
        raise SubmissionInputError(
            _(
                "That day is outside the submission period (%(first)s to %(last)s).",
                first=first.isoformat(),
                last=last.isoformat(),
            ),
            field,
        )


@dataclass
class OfflineInput:
    channel: str | None
    received_on: str | None
    name: str | None
    contact: str | None
    submission: SubmissionInput


# Translated only when a refusal shows them (an import checks every row).
_LABEL_NAME = _l("the submitter's name")
_LABEL_CONTACT = _l("how to reach them")


def _credit(
    staff: User, version: Version, offline: OfflineInput, grace_days: int, prefix: str = ""
) -> Credit:
    if offline.channel not in OFFLINE_CHANNELS:
        raise SubmissionInputError(
            _("Choose how it was received: post, email, hui or phone."), prefix + "channel"
        )
    received = parse_received_on(offline.received_on, prefix + "received_on")
    check_received_in_time(version, offline.channel, received, grace_days, prefix + "received_on")
    try:
        name = clean_text(offline.name, _LABEL_NAME, 200, field=prefix + "name", multiline=False, name=True)
        contact = clean_text(
            offline.contact,
            _LABEL_CONTACT,
            320,
            field=prefix + "contact",
            required=False,
            multiline=False,
            name=True,
        )
    except TextError as error:
        raise SubmissionInputError(error.message, error.field or "name") from None
    return Credit(
        name=name,
        contact=contact or None,
        channel=offline.channel,
        received_on=received,
        entered_by_id=staff.id,
    )


def enter_submission(session: Session, staff: User, version: Version, offline: OfflineInput) -> Submission:
    """Enter one offline submission, credited to its maker; it is sent (not a draft) and gets a tracking number."""
    require_intake(staff)
    credit = _credit(staff, version, offline, storage.limits().post_grace_days)
    return record_submission(session, version, offline.submission, credit, send=True, actor=staff)


# --- import -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    created: list[Stored] = field(default_factory=list)
    # The rows that passed, ready for `store_checked` (emptied once stored, or when any row is bad).
    checked: list[Prepared] = field(default_factory=list, repr=False)
    preview: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


TABLE_PROBLEMS: dict[str, Callable[[str], str]] = {
    "empty": lambda d: _("The file is empty."),
    "no_rows": lambda d: _("The file has a header row but no submissions."),
    "too_many_columns": lambda d: _("The file has too many columns."),
    "duplicate_column": lambda d: _("The column %(name)s appears twice.", name=d),
    "missing_columns": lambda d: _("The header row needs these columns: %(names)s.", names=d),
    "extra_cells": lambda d: _("Row %(line)s has more cells than the header row.", line=d),
    "too_many_rows": lambda d: _("The file has more than 20,000 rows; split it."),
    "too_big": lambda d: _("The file or one of its cells is too large."),
    "not_utf8": lambda d: _("The CSV file is not UTF-8 text. Save it again as “CSV UTF-8”."),
    "bad_csv": lambda d: _("The CSV file is malformed near row %(line)s (a quote is not closed?).", line=d),
    "not_a_table": lambda d: _("This is not a CSV or XLSX file we can read."),
    "macros": lambda d: _("This workbook carries macros. Save it as an ordinary .xlsx file."),
}


def _row_input(questions: list[Question], cells: dict[str, str]) -> SubmissionInput:
    answers: dict[int, list[str] | str] = {}
    for number, question in enumerate(questions, start=1):
        raw = cells.get(f"q{number}", "").strip()
        if not raw:
            continue
        answers[question.id] = (
            raw if question.kind == "text" else [p.strip() for p in raw.split(";") if p.strip()]
        )
    return SubmissionInput(
        body=cells.get("text"),
        consent=cells.get("consent", "").strip().lower(),
        submitter_kind="organisation" if cells.get("organisation", "").strip() else "individual",
        organisation_name=cells.get("organisation") or None,
        organisation_kind=(cells.get("organisation_kind", "").strip().lower() or "other")
        if cells.get("organisation", "").strip()
        else None,
        region=cells.get("region") or None,
        answers=answers,
    )


COLUMN_OF_FIELD = {
    "body": "text",
    "organisation_name": "organisation",
    "consent": "consent",
    "region": "region",
}


def import_table(
    session: Session,
    staff: User,
    version: Version,
    filename: str,
    data: bytes,
    dry_run: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of a CSV/XLSX table and, unless `dry_run`, store them all or (any row bad) none.

    `progress(done, total)` is called as each row is checked; the rows are then stored together.
    """
    report = check_table(session, staff, version, filename, data, progress)
    if not dry_run and report.ok:
        store_checked(session, staff, version, report)
    return report


def check_table(
    session: Session,
    staff: User,
    version: Version,
    filename: str,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of a table, writing nothing: the report, with the checked rows ready to store."""
    require_intake(staff)
    if len(data) > MAX_IMPORT_BYTES:
        raise SubmissionInputError(_("The file is larger than 20 MB; split it."), "file")
    try:
        table: Table = read_table(filename, data)
    except TableError as error:
        raise SubmissionInputError(TABLE_PROBLEMS[error.problem](error.detail), "file") from None
    questions = version_questions(session, version)
    known = set(COLUMNS) | {f"q{n}" for n in range(1, len(questions) + 1)}
    unknown = [h for h in table.header if h and h not in known]
    report = ImportReport(rows=len(table.rows))
    if unknown:
        report.problems.append(RowProblem(1, unknown[0], _("Unknown column %(name)s.", name=unknown[0])))
        return report
    grace = storage.limits().post_grace_days
    numbers = {f"q{q.id}": f"q{n}" for n, q in enumerate(questions, start=1)}
    # Everything a row is checked against is read once here: no query per row, and nothing is written until
    # every row has passed (the dry run writes nothing at all).
    seen = sent_fingerprints(session, version)
    now = utcnow()
    prepared: list[Prepared] = []
    for index, row in enumerate(table.rows, start=1):
        if len(report.preview) < 20:
            report.preview.append(
                {
                    k: row.cells.get(k, "")[:80]
                    for k in ("name", "organisation", "consent", "channel", "received_on", "text")
                }
            )
        offline = OfflineInput(
            channel=row.cells.get("channel", "").strip().lower(),
            received_on=row.cells.get("received_on"),
            name=row.cells.get("name"),
            contact=row.cells.get("contact"),
            submission=_row_input(questions, row.cells),
        )
        try:
            credit = _credit(staff, version, offline, grace)
            checked = prepare_sent(session, version, offline.submission, credit, questions, now)
            # The same words from the same person once: against what is stored, and earlier rows of the file.
            pair = (credit.name.lower(), checked.values["fingerprint_hash"])
            if checked.values["body"] and pair in seen:
                raise SubmissionInputError(_("This submission is already in."), "body")
        except DomainError as error:
            report.problems.append(RowProblem(row.line, _column(error, numbers), error.message))
        else:
            if checked.values["body"]:
                seen[pair] = 0
            prepared.append(checked)
        if progress is not None:
            progress(index, len(table.rows))
    report.checked = [] if report.problems else prepared
    return report


def store_checked(session: Session, staff: User, version: Version, report: ImportReport) -> ImportReport:
    """Store the rows `check_table` passed, all in one go (refused if any row was bad)."""
    if not report.ok:
        raise SubmissionInputError(_("Fix every row first: nothing was saved."), "file")
    # All or nothing: batched INSERTs inside a savepoint, so a failure there (a tracking number taken
    # meanwhile) leaves the caller's transaction as it was.
    with session.begin_nested():
        report.created = insert_sent(session, report.checked)
        from app.models import audit

        audit(session, staff, "submissions.imported", "version", version.id, "", rows=len(report.created))
        session.flush()
    report.checked = []
    return report


def _column(error: DomainError, numbers: dict[str, str]) -> str:
    """The table column a refusal is about (form field names differ: `body` is `text`, `q<id>` is `q<n>`)."""
    name = error.field or "text"
    return numbers.get(name) or COLUMN_OF_FIELD.get(name, name)


def problems_by_line(problems: Iterable[RowProblem]) -> dict[int, list[RowProblem]]:
    out: dict[int, list[RowProblem]] = {}
    for problem in problems:
        out.setdefault(problem.line, []).append(problem)
    return out


__all__ = [
    "OFFLINE_CHANNELS",
    "ImportReport",
    "InputError",
    "OfflineInput",
    "RowProblem",
    "Upload",
    "enter_submission",
    "import_table",
]
