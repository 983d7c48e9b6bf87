"""The review overview: counts by state, reports and uncertain placements, with the PDFs to take away."""

from __future__ import annotations

import pytest

from app.models import CommentReport, Role
from app.models.base import utcnow
from tests.factories import login, make_comment, make_user, make_version


@pytest.fixture
def reviewed(session):
    version = make_version(session)
    author = make_user(session)
    reporter = make_user(session)
    shown = make_comment(session, author, version, "purpose-1", body="Please define purpose.")
    make_comment(session, author, version, "purpose-2", body="Held for a moderator.", state="held")
    make_comment(session, author, version, "purpose-2", body="Removed.", state="hidden")
    session.add(CommentReport(comment_id=shown.id, reporter_id=reporter.id, reason="Off topic"))
    session.add(CommentReport(comment_id=shown.id, reporter_id=author.id, reason="Old", resolved_at=utcnow()))
    session.commit()
    return version


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.DRAFTER, Role.MODERATOR, Role.ADMIN])
def test_staff_see_counts_by_state_and_the_pdf_links(client, session, reviewed, role):
    login(client, make_user(session, role.value))
    page = client.get("/review")
    assert page.status_code == 200
    html = page.text
    cells = html.split("<tbody><tr>")[1].split("</tr>")[0]
    numbers = [cell.split("</td>")[0].strip() for cell in cells.split("<td>")[1:]]
    # total, published, held, hidden, withdrawn, open reports, waiting to be placed, replies
    assert numbers == ["3", "1", "1", "1", "0", "1", "0", "0"]
    slug = reviewed.policy.slug
    assert f'href="/policies/{slug}/versions/{reviewed.slug}/comments/report.pdf"' in html
    assert f'href="/policies/{slug}/versions/{reviewed.slug}/pdf"' in html


def test_commenters_are_refused_and_visitors_sent_to_sign_in(client, session, reviewed):
    assert client.get("/review").status_code == 302
    login(client, make_user(session))
    assert client.get("/review").status_code == 403


def test_working_versions_are_not_listed(client, session):
    make_version(session, label="Private work", status="working", open_for_comment=False)
    session.commit()
    login(client, make_user(session, Role.REVIEWER.value))
    assert "Private work" not in client.get("/review").text
