"""Staff intake of offline submissions, one at a time and by table import (web and CLI)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from app.drafts.parsing import NZ
from app.models import AuditEvent, Submission
from tests.factories import PASSWORD, login, make_questions, make_user, make_version
from tests.hostile import payloads
from tests.support import files


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def intake(session):
    return make_user(session, "intake")


def today() -> str:
    return dt.datetime.now(dt.UTC).astimezone(NZ).date().isoformat()


def enter(client, version, **fields):
    data = {
        "channel": "post",
        "received_on": today(),
        "name": "Mere Paper",
        "consent": "named",
        "submitter_kind": "individual",
        "body": "Handwritten: please keep the glossary short.",
        **fields,
    }
    return client.post(
        f"/intake/{version.policy.slug}/{version.slug}", data=data, content_type="multipart/form-data"
    )


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission))


def test_intake_enters_a_posted_submission_credited_to_its_maker(client, session, version, intake):
    login(client, intake)
    assert client.get("/intake/").status_code == 200
    response = enter(client, version, scan=(io.BytesIO(files.pdf("Scanned letter")), "scan.pdf"))
    assert response.status_code == 303
    submission = session.scalars(select(Submission)).one()
    assert submission.user_id is None
    assert submission.entered_by_id == intake.id
    assert submission.submitter_name == "Mere Paper"
    assert submission.channel == "post"
    assert submission.state == "published"
    assert submission.attachments[0].is_original_scan
    assert "Scanned letter" in submission.attachments[0].text
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.entered"))
    receipt = client.get(f"/submissions/{submission.tracking_number}")
    assert b"Mere Paper" in receipt.data
    assert intake.display_name.encode() not in receipt.data


def test_commenters_may_not_enter_for_others(client, session, version):
    login(client, make_user(session))
    assert enter(client, version).status_code == 403
    assert count(session) == 0


def test_post_counts_when_received_within_the_grace_period(client, session, version, intake):
    now = dt.datetime.now(dt.UTC)
    version.comments_open_at = now - dt.timedelta(days=20)
    version.comments_close_at = now - dt.timedelta(days=3)
    session.commit()
    login(client, intake)
    late_post = (now - dt.timedelta(days=1)).astimezone(NZ).date().isoformat()
    assert enter(client, version, received_on=late_post).status_code == 303
    late_email = enter(client, version, channel="email", received_on=late_post, body="Other words.")
    assert late_email.status_code == 422
    assert b"outside the submission period" in late_email.data
    assert count(session) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "pigeon"}, b"Choose how it was received"),
        ({"received_on": "14/03/2026"}, b"YYYY-MM-DD"),
        ({"received_on": "2999-01-01"}, b"cannot be in the future"),
        ({"name": ""}, b"Enter the submitter"),
        ({"consent": "maybe"}, b"Choose whether we may publish"),
    ],
)
def test_bad_intake_fields_are_refused(client, session, version, intake, fields, message):
    login(client, intake)
    response = enter(client, version, **fields)
    assert response.status_code == 422
    assert message in response.data
    assert count(session) == 0


def test_the_same_words_from_the_same_person_are_taken_once(client, session, version, intake):
    login(client, intake)
    assert enter(client, version).status_code == 303
    again = enter(client, version, name="mere paper")
    assert again.status_code == 409
    assert count(session) == 1


CSV_HEADER = "name,contact,organisation,organisation_kind,region,consent,channel,received_on,text,q1\n"


def import_url(version) -> str:
    return f"/intake/{version.policy.slug}/{version.slug}/import"


def upload(client, version, data: bytes, name="paper.csv", run=False):
    """Send a table; the import runs as a job (inline in tests): follow to its page, which shows the outcome."""
    form = {"file": (io.BytesIO(data), name), ("run" if run else "check"): "x"}
    return client.post(
        import_url(version), data=form, content_type="multipart/form-data", follow_redirects=True
    )


def test_import_reports_every_bad_row_and_stores_nothing(client, session, version, intake):
    make_questions(session, version, "- ask: Agree?\n  kind: agree")
    login(client, intake)
    rows = (
        CSV_HEADER
        + f"Ana,,,,,named,post,{today()},Good words,agree\n"
        + f"Ben,,,,,perhaps,post,{today()},More words,agree\n"
        + f"Cai,,,,,named,fax,{today()},Words,agree\n"
        + f"Dee,,,,,named,hui,{today()},Words,somewhat\n"
    )
    response = upload(client, version, rows.encode(), run=True)
    assert response.status_code == 422
    page = response.data.decode()
    assert "nothing was saved" in page
    assert "<td>3</td><td>consent</td>" in page
    assert "<td>4</td><td>channel</td>" in page
    assert "<td>5</td><td>q1</td>" in page
    assert count(session) == 0


def test_import_checks_then_imports_all_rows(client, session, version, intake):
    make_questions(session, version, "- ask: Agree?\n  kind: agree")
    login(client, intake)
    rows = CSV_HEADER + "".join(
        f"Person {i},p{i}@example.org,,,Otago,anonymous,post,{today()},Words number {i},agree\n"
        for i in range(5)
    )
    checked = upload(client, version, rows.encode())
    assert checked.status_code == 200
    assert b"Every row is right" in checked.data
    assert count(session) == 0
    imported = upload(client, version, rows.encode(), run=True)
    assert imported.status_code == 200
    assert count(session) == 5
    assert {s.channel for s in session.scalars(select(Submission))} == {"post"}


def _xlsx(*rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "consent", "channel", "received_on", "text"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_import_reads_xlsx_values_and_never_runs_formulas(client, session, version, intake):
    login(client, intake)
    good = _xlsx(["Ana", "named", "hui", dt.date.fromisoformat(today()), "From the hui"])
    response = upload(client, version, good, name="paper.xlsx", run=True)
    assert response.status_code == 200
    assert session.scalars(select(Submission)).one().body == "From the hui"
    # A formula is never evaluated: with no saved value its cell is empty, and the row is refused as such.
    formula = _xlsx(["Ben", "named", "email", today(), '=HYPERLINK("http://x.test","click")'])
    refused = upload(client, version, formula, name="paper.xlsx", run=True)
    assert refused.status_code == 422
    assert "<td>2</td><td>text</td>" in refused.data.decode()
    assert count(session) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", b"empty"),
        (b"name,text\nA,b\n", b"needs these columns"),
        (b"\xff\xfe not utf8", b"not UTF-8"),
        (CSV_HEADER.encode(), b"no submissions"),
        (b'name,consent,channel,received_on,text\n"unclosed,named,post,2026-01-01,x\n', b"malformed"),
        (files.docx(), b"not a CSV or XLSX"),
    ],
)
def test_unreadable_tables_are_refused_clearly(client, session, version, intake, data, message):
    login(client, intake)
    response = upload(client, version, data)
    assert response.status_code == 422
    assert message in response.data
    assert count(session) == 0


@pytest.mark.parametrize(
    "payload",
    [p for p in payloads("xss", "sql", "template-injection", "format-string") if "\r" not in p][:25],
)
def test_hostile_cells_are_refused_or_stored_inert(client, session, version, intake, payload):
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "consent", "channel", "received_on", "text"])
    writer.writerow([payload[:150], "named", "post", today(), payload])
    login(client, intake)
    response = upload(client, version, out.getvalue().encode("utf-8", "surrogatepass"), run=True)
    assert response.status_code in (200, 422)
    assert b"<script>alert" not in response.data


def test_cli_import_all_or_nothing(app, runner, session, version, intake, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(CSV_HEADER.replace(",q1", "") + f"Ana,,,,,named,post,{today()},Words\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_HEADER.replace(",q1", "") + "Ana,,,,,named,post,yesterday,Words\n", encoding="utf-8")
    session.commit()
    target = f"{version.policy.slug}/{version.slug}"
    failed = runner.invoke(
        args=["submissions", "import", str(bad), "--version", target, "--as", intake.email]
    )
    assert failed.exit_code != 0
    assert "line 2, column received_on" in failed.output
    checked = runner.invoke(
        args=["submissions", "import", str(good), "--version", target, "--as", intake.email, "--check"]
    )
    assert checked.exit_code == 0, checked.output
    assert count(session) == 0
    done = runner.invoke(args=["submissions", "import", str(good), "--version", target, "--as", intake.email])
    assert done.exit_code == 0, done.output
    assert "1 submission(s) imported" in done.output
    assert count(session) == 1
    assert PASSWORD


def test_an_import_sends_no_receipt_mail_even_for_contacts(app, client, session, version, intake):
    from pathlib import Path

    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    login(client, intake)
    rows = CSV_HEADER.replace(",q1", "") + f"Ana,ana@example.org,,,,named,post,{today()},Words\n"
    assert upload(client, version, rows.encode()).status_code == 200
    assert upload(client, version, rows.encode(), run=True).status_code == 200
    assert (set(outbox.glob("*.eml")) if outbox.exists() else set()) == before


def test_intake_mails_the_receipt_to_an_email_contact(app, client, session, version, intake):
    from pathlib import Path

    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    login(client, intake)
    assert enter(client, version, contact="mere@example.org").status_code == 303
    new = set(outbox.glob("*.eml")) - before
    assert len(new) == 1
    assert "mere@example.org" in next(iter(new)).read_text()


def test_an_administrator_gives_the_intake_role_and_it_is_labelled(client, session):
    admin = make_user(session, "admin")
    person = make_user(session)
    login(client, admin)
    response = client.post(f"/admin/users/{person.id}/role", data={f"u{person.id}-role": "intake"})
    assert response.status_code in (302, 303)
    session.refresh(person)
    assert person.role == "intake"
    assert b"Intake (enters offline submissions)" in client.get("/admin/users").data
