"""POST /api/v1/submissions/<number>/attachments: a file onto your own submission, by the form's rules.

The same service as the form's (`add_attachments` over `_check_uploads`): the type decided by the content, the
same size and count limits, the same refusal messages; nothing stored when refused; idempotent like the posts.
"""

from __future__ import annotations

import gc
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.api import tokens
from app.models import Attachment, Submission
from tests.factories import make_submission, make_user, make_version
from tests.support import files

API = "/api/v1"


@pytest.fixture
def version(session):
    return make_version(session, label="First draft")


@pytest.fixture
def person(session):
    return make_user(session, display_name="Mere Tipene")


@pytest.fixture
def own(session, version, person):
    made = make_submission(session, person, version, "Our submission; the evidence is attached.")
    session.commit()
    return made


def bearer(session, user, *scopes: str) -> dict[str, str]:
    _token, raw = tokens.create_token(session, user, "test", list(scopes or [tokens.SUBMISSIONS_WRITE]))
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def attach(client, number, headers, name="evidence.pdf", content=None, **extra):
    return client.post(
        f"{API}/submissions/{number}/attachments",
        data={"file": (io.BytesIO(files.pdf() if content is None else content), name)},
        content_type="multipart/form-data",
        headers={**headers, **extra},
    )


def code(response) -> str:
    return response.json["type"].rsplit("/", 1)[-1]


def attachments(session) -> int:
    return session.scalar(select(func.count()).select_from(Attachment))


def stored_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "attachments"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def limits(app):
    app.config["SUBMISSIONS_MAX_ATTACHMENTS"] = 2
    app.config["SUBMISSIONS_MAX_ATTACHMENT_BYTES"] = 50_000
    yield
    app.config.pop("SUBMISSIONS_MAX_ATTACHMENTS")
    app.config.pop("SUBMISSIONS_MAX_ATTACHMENT_BYTES")


def test_a_file_is_attached_to_your_submission_with_its_text(client, session, own, person):
    headers = bearer(session, person)
    response = attach(client, own.tracking_number, headers, content=files.pdf("Kia ora from the API."))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["attachment"]["filename"] == "evidence.pdf"
    assert body["attachment"]["kind"] == "pdf"
    assert response.headers["Location"] == body["attachment"]["url"]
    assert [a["filename"] for a in body["submission"]["attachments"]] == ["evidence.pdf"]
    assert "attached" in body["message"]
    session.expire_all()
    stored = session.scalars(select(Attachment)).one()
    assert stored.submission_id == own.id
    assert "Kia ora from the API." in stored.text
    assert session.get(Submission, own.id).edited_at is not None
    download = client.get(body["attachment"]["url"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_name_does_not_decide_the_type(client, session, own, person):
    response = attach(
        client, own.tracking_number, bearer(session, person), name="notes.pdf", content=b"plain words"
    )
    assert response.status_code == 201, response.json
    assert response.json["attachment"]["kind"] == "txt"


@pytest.mark.parametrize("name", sorted(files.HOSTILE_FILES))
def test_hostile_files_are_refused_with_the_forms_message(app, client, session, own, person, name):
    headers = bearer(session, person)
    before = stored_files(app)
    response = attach(client, own.tracking_number, headers, name=name, content=files.HOSTILE_FILES[name]())
    assert response.status_code == 422
    assert code(response) in {"attachment-refused", "submission-invalid"}
    assert name in response.json["title"] or "empty" in response.json["title"]
    assert attachments(session) == 0
    assert stored_files(app) == before


def test_too_big_and_too_many_are_refused_as_the_form_refuses_them(client, session, own, person, limits):
    headers = bearer(session, person)
    big = attach(client, own.tracking_number, headers, name="big.txt", content=b"a" * 60_000)
    assert big.status_code == 422
    assert big.json["title"].startswith("big.txt is larger than ")
    for i in range(2):
        assert (
            attach(client, own.tracking_number, headers, name=f"{i}.txt", content=b"words %d" % i).status_code
            == 201
        )
    third = attach(client, own.tracking_number, headers, name="2.txt", content=b"words 2")
    assert third.status_code == 422
    assert third.json["title"] == "Attach at most 2 files to one submission."
    assert attachments(session) == 2


# The test client spools a body this big to a temporary file it leaves open when the request is refused unread.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_body_beyond_the_endpoints_limit_is_refused_before_it_is_read(client, session, own, person, limits):
    response = attach(
        client, own.tracking_number, bearer(session, person), name="huge.txt", content=b"a" * 1_200_000
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert attachments(session) == 0
    gc.collect()


def test_the_endpoint_takes_a_file_beyond_the_site_wide_request_limit(app, client, session, own, person):
    app.config["MAX_CONTENT_LENGTH"], before = 100_000, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = attach(
            client, own.tracking_number, bearer(session, person), content=files.pdf(padding=200_000)
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = before
    assert response.status_code == 201, response.json


# Werkzeug drops the temporary file of a part cut off mid-body without closing it (its own leak): collected here,
# inside this test, where its warning is expected.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_no_file_or_a_malformed_body_is_a_clear_422(client, session, own, person):
    headers = bearer(session, person)
    url = f"{API}/submissions/{own.tracking_number}/attachments"
    missing = client.post(url, data={"other": "x"}, content_type="multipart/form-data", headers=headers)
    assert missing.status_code == 422
    assert "file" in str(missing.json)
    truncated = client.post(
        url,
        data=b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4 trunc',
        content_type="multipart/form-data; boundary=XYZ",
        headers=headers,
    )
    assert truncated.status_code == 422
    assert truncated.is_json
    gc.collect()
    no_boundary = client.post(url, data=b"garbage", content_type="multipart/form-data", headers=headers)
    assert no_boundary.status_code == 422
    as_json = client.post(url, json={"file": "not a file"}, headers=headers)
    assert as_json.status_code == 422
    assert attachments(session) == 0


def test_someone_elses_submission_is_refused(client, session, own, version):
    other = make_user(session)
    response = attach(client, own.tracking_number, bearer(session, other))
    assert response.status_code == 403
    assert code(response) == "not-submitter"
    assert attachments(session) == 0


def test_a_submission_the_token_cannot_see_is_not_found(client, session, version, person):
    hidden = make_submission(session, make_user(session), version, "Not for publication.", consent="private")
    session.commit()
    response = attach(client, hidden.tracking_number, bearer(session, person))
    assert response.status_code == 404
    assert attach(client, "KOR-NOPE-0000", bearer(session, person)).status_code == 404
    assert attachments(session) == 0


def test_a_closed_period_refuses_the_file(client, session, person):
    closed = make_version(session, policy_slug="closed-one", label="Closed", open_for_comment=False)
    made = make_submission(session, person, closed, "Sent while it was open.")  # lent a period for it
    session.commit()
    response = attach(client, made.tracking_number, bearer(session, person))
    assert response.status_code == 409
    assert code(response) == "submissions-closed"
    assert attachments(session) == 0


def test_it_needs_a_token_with_the_submissions_scope(client, session, own, person):
    assert attach(client, own.tracking_number, {}).status_code == 401
    assert (
        attach(client, own.tracking_number, bearer(session, person, tokens.COMMENTS_WRITE)).status_code == 403
    )
    assert attachments(session) == 0


def test_a_retry_with_the_same_key_attaches_the_file_once(client, session, own, person):
    headers = bearer(session, person)
    first = attach(client, own.tracking_number, headers, **{"Idempotency-Key": "file-1"})
    again = attach(client, own.tracking_number, headers, **{"Idempotency-Key": "file-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert attachments(session) == 1
    other = attach(
        client, own.tracking_number, headers, content=files.pdf("Another."), **{"Idempotency-Key": "file-1"}
    )
    assert other.status_code == 422
    assert code(other) == "idempotency-key-reused"
    assert attachments(session) == 1
