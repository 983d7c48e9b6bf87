"""The hostile corpus, by hand, against the API's filters, cursors and JSON bodies: a clear 4xx or a normal
reply, never a 5xx, never a half-written row, never the payload reflected as anything but data."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.api import tokens
from app.models import Comment
from tests.factories import make_user, make_version
from tests.hostile import load_payloads, payload_ids

RECORDS = load_payloads()


@pytest.fixture
def setup(session):
    version = make_version(session, label="First draft")
    _token, raw = tokens.create_token(session, make_user(session), "hostile", [tokens.COMMENTS_WRITE])
    return version, {"Authorization": f"Bearer {raw}"}


def _url(version) -> str:
    return f"/api/v1/policies/{version.policy.slug}/versions/{version.slug}/comments"


@pytest.mark.parametrize("record", RECORDS, ids=payload_ids(RECORDS))
def test_hostile_filters_cursors_and_bodies_never_break_the_api(client, session, setup, record):
    version, headers = setup
    payload = record["payload"]
    for name in ("clause", "section", "since", "cursor"):
        # As a client's bytes: lone surrogates and all (werkzeug decodes what is not UTF-8 with replacements).
        query = f"{name}={quote(payload.encode('utf-8', 'surrogatepass'))}"
        response = client.get(_url(version), query_string=query)
        assert response.status_code in (200, 400, 422), (query, response.status_code)
        assert response.mimetype in ("application/json", "application/problem+json")
    response = client.get(
        "/api/v1/comments/" + quote(payload.encode("utf-8", "surrogatepass"), safe="")[:2000]
    )
    assert response.status_code in (400, 404, 405), response.status_code
    before = session.scalar(select(func.count(Comment.id)))
    posted = client.post(_url(version), json={"clause_key": "purpose-1", "body": payload}, headers=headers)
    assert posted.status_code in (201, 409, 422), posted.data
    if posted.status_code == 201:
        stored = session.scalar(
            select(Comment).where(Comment.tracking_number == posted.get_json()["tracking_number"])
        )
        assert stored.body == payload.strip().replace("\r\n", "\n").replace("\r", "\n")
    else:
        assert session.scalar(select(func.count(Comment.id))) == before
    keyed = client.post(
        _url(version),
        json={"clause_key": payload, "body": "Fine words."},
        headers=headers | {"Idempotency-Key": "k"},
    )
    assert keyed.status_code in (201, 404, 409, 422), keyed.data


def _submissions_url(version) -> str:
    return f"/api/v1/policies/{version.policy.slug}/versions/{version.slug}/submissions"


@pytest.mark.parametrize("record", RECORDS, ids=payload_ids(RECORDS))
def test_hostile_submission_filters_and_bodies_never_break_the_api(client, session, record):
    from app.models import Submission

    version = make_version(session, label="First draft")
    _token, raw = tokens.create_token(session, make_user(session), "hostile", [tokens.SUBMISSIONS_WRITE])
    headers = {"Authorization": f"Bearer {raw}"}
    payload = record["payload"]
    for name in ("section", "since", "cursor", "organisation_kind"):
        query = f"{name}={quote(payload.encode('utf-8', 'surrogatepass'))}"
        response = client.get(_submissions_url(version), query_string=query)
        assert response.status_code in (200, 400, 422), (query, response.status_code)
    response = client.get(
        "/api/v1/submissions/" + quote(payload.encode("utf-8", "surrogatepass"), safe="")[:2000]
    )
    assert response.status_code in (400, 404, 405), response.status_code
    for body in (
        {"body": payload, "consent": "named"},
        {
            "body": "Fine words.",
            "consent": "named",
            "submitter_kind": "organisation",
            "organisation_name": payload,
            "organisation_kind": "community",
            "region": payload,
        },
        {"body": "Fine words.", "consent": "named", "section_keys": [payload], "answers": {"1": payload}},
    ):
        before = session.scalar(select(func.count(Submission.id)))
        posted = client.post(_submissions_url(version), json=body, headers=headers)
        assert posted.status_code in (201, 409, 422), posted.data
        if posted.status_code != 201:
            assert session.scalar(select(func.count(Submission.id))) == before
