"""Schemathesis against the OpenAPI document: every operation, positive and negative cases, no 5xx, and every
reply matching the schema (status documented, body and content type as declared).

Kept fast: a bounded number of examples per operation. The document is read once from an app that only builds
it (no database is touched); each case is sent to the test app, inside its rolled-back transaction, where one
policy is seeded so that generated lists and exports also run over rows. Most generated slugs name nothing:
a 404, which every such operation documents.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import create_app
from app.api import tokens
from app.responses.services import respond
from tests.factories import make_comment, make_questions, make_submission, make_user, make_version
from tests.support.database import app_config


def _document() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="korero-openapi-"))
    spec_app = create_app(app_config(folder, f"sqlite:///{folder}/unused.db"))
    with spec_app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def seeded(app, session):
    version = make_version(session, label="First draft")
    author = make_user(session)
    comment = make_comment(session, author, version, body="Seeded for schemathesis.")
    # Submissions and live question results, so their lists, results, answers and exports run over rows; by
    # someone other than the token's owner, whose first generated submission may then be taken.
    questions = make_questions(
        session, version, "- ask: Agree?\n  kind: agree\n- ask: Why?\n  kind: text\n", results_live=True
    )
    submission = make_submission(
        session,
        make_user(session),
        version,
        "Seeded submission.",
        answers={questions[0].id: "agree", questions[1].id: "Because."},
    )
    # A response of every kind that names its target one way (comment, submission, free-text answer), so the
    # responses list and the comment's reply are checked against the schema with each.
    drafter = make_user(session, "drafter")
    written = next(a for a in submission.answers if a.text)
    for target in (comment, submission, written):
        respond(session, drafter, target, "noted", "Seeded response.", None, "")
    _token, raw = tokens.create_token(
        session, author, "schemathesis", [tokens.COMMENTS_WRITE, tokens.SUBMISSIONS_WRITE]
    )
    session.commit()
    return app, raw


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_documented(case, seeded):
    # "Schema-valid data is accepted" cannot hold for an opaque cursor (any string fits its schema; only signed
    # ones are ours) or for text the one validator refuses (control characters): both are clear 4xx problems.
    # Every other check stays on: no 5xx, documented statuses, content types and bodies, bad data refused.
    app, raw = seeded
    # Writing operations are called with a real token, so their bodies reach the comment service.
    headers = {"Authorization": f"Bearer {raw}"} if case.method.upper() == "POST" else None
    case.call_and_validate(app=app, headers=headers, excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize("listing", ["responses", "comments"])
def test_the_seeded_responses_match_the_schema(seeded, listing):
    # Generated slugs seldom name the seeded version, so its lists are also read once by name: each kind of
    # response (in the list, and as a comment's) must then match the document.
    app, _raw = seeded
    operation = schema[f"/api/v1/policies/{{policy_slug}}/versions/{{version_slug}}/{listing}"]["GET"]
    case = operation.Case(path_parameters={"policy_slug": "test-policy", "version_slug": "first-draft"})
    reply = case.call_and_validate(app=app)
    items = reply.json()["items"]
    answered = [item.get("response") for item in items] if listing == "comments" else items
    assert any(answered), items
