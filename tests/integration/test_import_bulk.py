"""The table import checks every row first, then stores them all in batched INSERTs.

Stored the same as one entered by hand (`record_submission`): the same columns, answers and search document;
duplicates are refused by line, against what is stored and earlier rows of the same file; the number of
statements does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from app.drafts.parsing import NZ
from app.extensions import db
from app.intake.services import OfflineInput, enter_submission, import_table
from app.models import Answer, AuditEvent, SearchDocument, Submission
from app.submissions.services import SubmissionInput
from tests.factories import make_questions, make_user, make_version

HEADER = "name,contact,organisation,organisation_kind,region,consent,channel,received_on,text,q1,q2\n"


@pytest.fixture
def version(session):
    version = make_version(session)
    make_questions(
        session,
        version,
        "- ask: Agree?\n  kind: agree\n- ask: Which?\n  kind: multiple\n  choices: [a, b, c]",
    )
    return version


@pytest.fixture
def intake(session):
    return make_user(session, "intake")


def today() -> str:
    return dt.datetime.now(dt.UTC).astimezone(NZ).date().isoformat()


def table(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def row(name: str, text: str = "Words about the glossary", *, consent="named", q1="agree", q2="a;c") -> str:
    return f"{name},{name.lower()}@example.org,Kāinga Trust,community,Otago,{consent},post,{today()},{text},{q1},{q2}"


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


COMPARED = (
    "version_id",
    "user_id",
    "entered_by_id",
    "channel",
    "received_on",
    "submitter_kind",
    "organisation_name",
    "organisation_kind",
    "region",
    "consent",
    "body",
    "body_html",
    "section_keys",
    "fingerprint_hash",
    "state",
)


def test_an_imported_row_is_stored_as_one_entered_by_hand(session, version, intake):
    report = import_table(session, intake, version, "t.csv", table(row("Ana")), dry_run=False)
    assert report.ok
    assert len(report.created) == 1
    imported = session.get(Submission, report.created[0].id)
    assert imported.tracking_number == report.created[0].tracking_number
    qs = [q.id for q in version_questions(session, version)]
    by_hand = enter_submission(
        session,
        intake,
        version,
        OfflineInput(
            channel="post",
            received_on=today(),
            name="Ana by hand",
            contact="ana@example.org",
            submission=SubmissionInput(
                body="Words about the glossary",
                consent="named",
                submitter_kind="organisation",
                organisation_name="Kāinga Trust",
                organisation_kind="community",
                region="Otago",
                answers={qs[0]: ["agree"], qs[1]: ["a", "c"]},
            ),
        ),
    )
    session.expire_all()
    imported = session.get(Submission, report.created[0].id)
    for name in COMPARED:
        assert getattr(imported, name) == getattr(by_hand, name), name
    assert imported.submitted_at is not None
    assert imported.created_at is not None
    answers = lambda s: sorted((a.question_id, a.choices, a.text) for a in s.answers)  # noqa: E731
    assert answers(imported) == answers(by_hand) == [(qs[0], ["agree"], None), (qs[1], ["a", "c"], None)]
    document = lambda s: session.scalars(  # noqa: E731
        select(SearchDocument).where(SearchDocument.kind == "submission", SearchDocument.ref_id == s.id)
    ).one()
    fields = ("policy_id", "version_id", "state", "public", "verified", "channel", "body", "folded")
    assert [getattr(document(imported), f) for f in fields] == [getattr(document(by_hand), f) for f in fields]


def version_questions(session, version):
    from app.submissions.services import version_questions as listed

    return listed(session, version)


def test_a_private_row_is_indexed_as_private(session, version, intake):
    report = import_table(
        session, intake, version, "t.csv", table(row("Ana", consent="private")), dry_run=False
    )
    document = session.scalars(
        select(SearchDocument).where(
            SearchDocument.ref_id == report.created[0].id, SearchDocument.kind == "submission"
        )
    ).one()
    assert (document.state, document.public) == ("private", False)


def test_duplicates_are_refused_by_line_in_the_file_and_against_what_is_stored(session, version, intake):
    first = import_table(session, intake, version, "t.csv", table(row("Ana", "Said once")), dry_run=False)
    assert first.ok
    before = session.scalar(select(func.count()).select_from(Submission))
    report = import_table(
        session,
        intake,
        version,
        "t.csv",
        table(
            row("ANA", "Said once"), row("Ben", "Said twice"), row("ben", "Said twice"), row("Cai", "Other")
        ),
        dry_run=False,
    )
    assert [(p.line, p.column) for p in report.problems] == [(2, "text"), (4, "text")]
    assert all("already in" in p.message for p in report.problems)
    assert report.created == []
    assert session.scalar(select(func.count()).select_from(Submission)) == before


def test_a_dry_run_writes_nothing_and_reports_every_bad_row(session, version, intake):
    before = session.scalar(select(func.count()).select_from(SearchDocument))
    checked = import_table(session, intake, version, "t.csv", table(row("Ana"), row("Ben")), dry_run=True)
    assert checked.ok
    assert checked.created == []
    bad = import_table(
        session,
        intake,
        version,
        "t.csv",
        table(row("Ana", q1="maybe"), row("Ben", q2="d"), row("Cai")),
        dry_run=False,
    )
    assert [(p.line, p.column) for p in bad.problems] == [(2, "q1"), (3, "q2")]
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert session.scalar(select(func.count()).select_from(Answer)) == 0
    assert session.scalar(select(func.count()).select_from(SearchDocument)) == before


def test_the_statements_do_not_grow_with_the_rows(session, version, intake):
    session.flush()
    with statements() as few:
        assert import_table(
            session, intake, version, "t.csv", table(*(row(f"A{i}") for i in range(3))), dry_run=False
        ).ok
    with statements() as many:
        assert import_table(
            session, intake, version, "t.csv", table(*(row(f"B{i}") for i in range(60))), dry_run=False
        ).ok
    assert len(many) == len(few)
    assert session.scalar(select(func.count()).select_from(Submission)) == 63
    assert session.scalar(select(func.count()).select_from(Answer)) == 126
    assert (
        session.scalar(
            select(func.count()).select_from(SearchDocument).where(SearchDocument.kind == "submission")
        )
        == 63
    )
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "submissions.imported")).all()
    assert len(audits) == 2
