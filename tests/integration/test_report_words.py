"""Issue 14 item 8: the report form never shows the words of a comment that is not published."""

from __future__ import annotations

import pytest

from app.models import Role
from app.moderation import services as moderation
from tests.factories import login, make_comment, make_user, make_version

SECRET_WORDS = "The neighbour at number forty-two keeps a ledger of everyone's visits."
ROLES = [
    Role.COMMENTER.value,
    Role.DRAFTER.value,
    Role.REVIEWER.value,
    Role.MODERATOR.value,
    Role.ADMIN.value,
]


@pytest.mark.parametrize("role", ROLES)
def test_a_hidden_comments_words_are_not_on_its_report_form(app, session, role):
    author = make_user(session)
    moderator = make_user(session, role=Role.MODERATOR.value)
    version = make_version(session)
    comment = make_comment(session, author, version, body=SECRET_WORDS)
    moderation.hide_comment(session, moderator, comment, "It is about a private person.")
    viewer = make_user(session, role=role)
    session.commit()
    for who in (viewer, author):
        client = app.test_client()
        login(client, who)
        page = client.get(f"/comments/{comment.tracking_number}/report")
        assert page.status_code == 200
        assert "forty-two" not in page.text
        assert "cannot be reported" in page.text
        assert 'name="reason"' not in page.text  # no form for what cannot be reported


def test_a_published_comment_is_shown_on_its_report_form(client, session):
    author, reader = make_user(session), make_user(session)
    version = make_version(session)
    comment = make_comment(session, author, version, body=SECRET_WORDS)
    session.commit()
    login(client, reader)
    page = client.get(f"/comments/{comment.tracking_number}/report")
    assert "forty-two" in page.text
    assert 'name="reason"' in page.text


def test_a_held_comments_author_sees_no_words_on_the_report_form(client, session):
    author = make_user(session)
    version = make_version(session)
    comment = make_comment(session, author, version, body=SECRET_WORDS, state="held")
    session.commit()
    login(client, author)
    page = client.get(f"/comments/{comment.tracking_number}/report")
    assert "forty-two" not in page.text
