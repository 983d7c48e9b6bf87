"""Attachments through the submission form: accepted by content, stored under their hash, served as downloads;
hostile files refused with nothing stored; big ones extracted off the request path."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import Attachment, Submission
from tests.factories import login, make_user, make_version
from tests.integration.test_submissions import form_url, stamp
from tests.support import files


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def person(session):
    return make_user(session)


def post_files(client, version, uploads, body="See the attached.", consent="named"):
    data = {
        "body": body,
        "consent": consent,
        "submitter_kind": "individual",
        "shown_at": stamp(),
        "website": "",
        "submit": "x",
        "attachments": [(io.BytesIO(content), name) for name, content in uploads],
    }
    return client.post(form_url(version), data=data, content_type="multipart/form-data")


def stored_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_good_files_are_kept_under_their_hash_with_their_text(app, client, session, version, person):
    login(client, person)
    response = post_files(
        client,
        version,
        [
            ("letter.pdf", files.pdf("Our letter")),
            ("notes.docx", files.docx("Notes from the hui")),
            ("x.txt", b"Plain"),
        ],
    )
    assert response.status_code == 303
    attachments = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [a.kind for a in attachments] == ["pdf", "docx", "txt"]
    assert "Our letter" in attachments[0].text
    assert attachments[1].text == "Notes from the hui"
    assert all(a.extraction == "done" for a in attachments)
    for attachment in attachments:
        path = Path(app.instance_path) / "attachments" / attachment.content_hash[:2] / attachment.content_hash
        assert path.exists()
        assert not path.stat().st_mode & 0o111  # never executable
        assert "static" not in str(path)


def test_the_name_does_not_decide_the_type(client, session, version, person):
    login(client, person)
    response = post_files(client, version, [("looks-like.txt", files.pdf("Really a PDF"))])
    assert response.status_code == 303
    assert session.scalars(select(Attachment)).one().kind == "pdf"


def test_downloads_are_attachments_with_a_sandbox(client, session, version, person):
    login(client, person)
    post_files(client, version, [("../../etc/passwd<script>.pdf", files.pdf())])
    submission = session.scalars(select(Submission)).one()
    attachment = submission.attachments[0]
    assert "/" not in attachment.filename
    assert "<" not in attachment.filename
    client.post("/logout")
    response = client.get(f"/submissions/{submission.tracking_number}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")


def test_unpublished_submissions_files_are_not_public(client, session, version, person):
    login(client, person)
    post_files(client, version, [("a.pdf", files.pdf())], consent="private")
    submission = session.scalars(select(Submission)).one()
    url = f"/submissions/{submission.tracking_number}/attachments/{submission.attachments[0].id}"
    assert client.get(url).status_code == 200  # the author
    client.post("/logout")
    assert client.get(url).status_code == 404
    login(client, make_user(session, "reviewer"))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(files.HOSTILE_FILES))
def test_hostile_files_are_refused_and_nothing_is_stored(app, client, session, version, person, name):
    login(client, person)
    before = stored_files(app)
    response = post_files(client, version, [("fine.pdf", files.pdf()), (name, files.HOSTILE_FILES[name]())])
    assert response.status_code == 422
    assert name.encode() in response.data or b"empty" in response.data
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert stored_files(app) == before


def test_too_many_and_too_big_files_are_refused(app, client, session, version, person):
    login(client, person)
    app.config["SUBMISSIONS_MAX_ATTACHMENTS"] = 2
    app.config["SUBMISSIONS_MAX_ATTACHMENT_BYTES"] = 50_000
    try:
        many = post_files(client, version, [(f"{i}.txt", b"words %d" % i) for i in range(3)])
        assert many.status_code == 422
        assert b"at most 2 files" in many.data
        big = post_files(client, version, [("big.txt", b"a" * 60_000)])
        assert big.status_code == 422
        assert b"larger than" in big.data
    finally:
        app.config.pop("SUBMISSIONS_MAX_ATTACHMENTS")
        app.config.pop("SUBMISSIONS_MAX_ATTACHMENT_BYTES")
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_large_files_are_extracted_after_the_commit(app, client, session, version, person):
    app.config["SUBMISSIONS_EXTRACT_INLINE_BYTES"] = 100
    app.config["SUBMISSIONS_EXTRACT_SYNC"] = True
    try:
        login(client, person)
        assert post_files(client, version, [("big.pdf", files.pdf("Later", pages=3))]).status_code == 303
    finally:
        app.config.pop("SUBMISSIONS_EXTRACT_INLINE_BYTES")
        app.config.pop("SUBMISSIONS_EXTRACT_SYNC")
    attachment = session.scalars(select(Attachment)).one()
    session.refresh(attachment)
    assert attachment.extraction == "done"
    assert attachment.page_count == 3
    assert "Later" in attachment.text


def test_the_extract_command_does_what_is_pending(app, runner, session, version, person):
    from tests.factories import make_submission

    submission = make_submission(session, person, version)
    from app.submissions import storage

    data = files.docx("Pending words")
    attachment = Attachment(
        submission=submission,
        content_hash=storage.store(data),
        filename="p.docx",
        kind="docx",
        size_bytes=len(data),
    )
    session.add(attachment)
    session.commit()
    result = runner.invoke(args=["submissions", "extract"])
    assert result.exit_code == 0, result.output
    assert "1 attachment(s) extracted" in result.output
    session.refresh(attachment)
    assert attachment.text == "Pending words"


def _close_input(response) -> None:
    """Close the temporary file the test client spooled a body over 500 KB to (a real server reads a socket)."""
    response.request.environ["wsgi.input"].close()
    response.close()


def test_the_form_takes_bodies_beyond_the_site_wide_limit_up_to_its_own(
    app, client, session, version, person
):
    login(client, person)
    big = files.pdf("Bigger than the site's 3 MB limit", pages=2, padding=4 * 1024 * 1024)
    # Tests share one connection, which a worker thread must not use: extract in the request's own thread.
    app.config["SUBMISSIONS_EXTRACT_SYNC"] = True
    try:
        accepted = post_files(client, version, [("big.pdf", big)])
        assert accepted.status_code == 303
        _close_input(accepted)
    finally:
        app.config.pop("SUBMISSIONS_EXTRACT_SYNC")
    app.config["SUBMISSIONS_MAX_ATTACHMENTS"] = 1
    app.config["SUBMISSIONS_MAX_ATTACHMENT_BYTES"] = 1024 * 1024
    try:
        other = make_user(session)
        client.post("/logout")
        login(client, other)
        too_big = post_files(client, version, [("a.pdf", big)])
        assert too_big.status_code == 413
        _close_input(too_big)
    finally:
        app.config.pop("SUBMISSIONS_MAX_ATTACHMENTS")
        app.config.pop("SUBMISSIONS_MAX_ATTACHMENT_BYTES")
    assert session.scalar(select(func.count()).select_from(Submission)) == 1
