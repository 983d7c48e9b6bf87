"""The structure editor: sections and clauses added, renamed, moved and deleted by key; discarding a version."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.drafting import services
from app.drafts.services import get_policy
from app.models import AuditEvent, Role, Version
from tests.factories import login, make_user, make_version
from tests.support.revisions import no_rate_limits  # noqa: F401 - a fixture, used by name

pytestmark = pytest.mark.usefixtures("no_rate_limits")

SMALL = "test-policy"
WS = f"/drafting/{SMALL}"


@pytest.fixture
def drafter(session):
    return make_user(session, Role.DRAFTER.value)


@pytest.fixture
def working(session, drafter) -> Version:
    make_version(session, policy_slug=SMALL, label="First draft")
    session.expire_all()
    version = services.start_working_version(session, get_policy(session, SMALL), "Second draft", drafter)
    session.commit()
    return version


@pytest.fixture
def as_drafter(client, drafter):
    login(client, drafter)
    return client


def shape(session, version: Version) -> list[tuple[str, list[str]]]:
    session.expire_all()
    return [(s.key, [c.key for c in s.clauses]) for s in version.sections]


def texts(session, version: Version) -> dict[str, str]:
    session.expire_all()
    return {c.key: c.text for s in version.sections for c in s.clauses}


ORIGINAL = [("purpose", ["purpose-1", "purpose-2"]), ("principles", ["principles-1", "principles-2"])]


def test_the_workspace_lists_sections_once_numbered_with_their_actions(working, as_drafter):
    page = as_drafter.get(f"{WS}/{working.slug}").get_data(as_text=True)
    assert "1. 1." not in page
    assert '<ul class="drafting-sections">' in page  # the list does not add a second number
    assert "Move down" in page
    assert "Add a section" in page
    assert "{#" not in page  # keys stay out of sight


def test_add_a_section_without_typing_a_key(session, working, as_drafter):
    response = as_drafter.post(
        f"{WS}/{working.slug}/sections/new",
        data={"heading": "Review and reporting", "text": "Agencies report once a year.", "after": "purpose"},
    )
    assert response.status_code == 303
    assert shape(session, working) == [
        ORIGINAL[0],
        ("review-and-reporting", ["review-and-reporting-1"]),
        ORIGINAL[1],
    ]
    assert texts(session, working)["review-and-reporting-1"] == "Agencies report once a year."
    assert working.revision == 2


def test_a_new_section_never_reuses_a_key(session, working, as_drafter):
    for _ in range(2):
        as_drafter.post(f"{WS}/{working.slug}/sections/new", data={"heading": "Purpose", "text": "Again."})
    current = shape(session, working)
    keys = [key for key, _ in current] + [k for _, clauses in current for k in clauses]
    assert len(keys) == len(set(keys)) == 10  # 4 sections, 6 clauses
    assert [key for key, _ in current][:2] == ["purpose", "principles"]
    # purpose-2 is a clause's key already, so the new sections skip it.
    assert [key for key, _ in current][2:] == ["purpose-3", "purpose-4"]


def test_rename_a_section_keeps_its_key_and_clauses(session, working, as_drafter):
    response = as_drafter.post(
        f"{WS}/{working.slug}/sections/purpose/rename", data={"heading": "Why this policy exists"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert working.sections[0].heading == "Why this policy exists"
    assert shape(session, working) == ORIGINAL


def test_move_sections_and_clauses(session, working, as_drafter):
    assert (
        as_drafter.post(f"{WS}/{working.slug}/sections/principles/move", data={"direction": "up"}).status_code
        == 303
    )
    assert shape(session, working) == [ORIGINAL[1], ORIGINAL[0]]
    assert (
        as_drafter.post(f"{WS}/{working.slug}/clauses/purpose-1/move", data={"direction": "down"}).status_code
        == 303
    )
    assert shape(session, working) == [ORIGINAL[1], ("purpose", ["purpose-2", "purpose-1"])]
    session.expire_all()
    assert [c.number for c in working.sections[1].clauses] == ["2.1", "2.2"]
    # Already at the top: refused in words, nothing changed.
    top = as_drafter.post(f"{WS}/{working.slug}/sections/principles/move", data={"direction": "up"})
    assert top.status_code == 422
    assert "already at that end" in top.get_data(as_text=True)


def test_add_reword_and_delete_clauses(session, working, as_drafter):
    added = as_drafter.post(
        f"{WS}/{working.slug}/sections/principles/clauses/new", data={"text": "Keep only what you need."}
    )
    assert added.status_code == 303
    assert shape(session, working)[1] == ("principles", ["principles-1", "principles-2", "principles-3"])
    reworded = as_drafter.post(
        f"{WS}/{working.slug}/clauses/principles-1/reword",
        data={"c-principles-1-text": "Put the people the information is about first."},
    )
    assert reworded.status_code == 303
    assert texts(session, working)["principles-1"] == "Put the people the information is about first."
    page = as_drafter.get(f"{WS}/{working.slug}/clauses/principles-2/delete")
    assert page.status_code == 200
    assert "Delete clause" in page.get_data(as_text=True)
    assert as_drafter.post(f"{WS}/{working.slug}/clauses/principles-2/delete").status_code == 303
    assert shape(session, working)[1] == ("principles", ["principles-1", "principles-3"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter"),
        ("## A heading", "heading marks"),
        ("Sneaky key {#principles-2}", "Leave out the {#key}"),
    ],
)
def test_a_reword_that_would_change_the_structure_is_refused(session, working, as_drafter, text, message):
    before = texts(session, working)
    response = as_drafter.post(
        f"{WS}/{working.slug}/clauses/principles-1/reword", data={"c-principles-1-text": text}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message.lower() in body.lower()
    assert "data-focus-on-load" in body
    assert texts(session, working) == before


def test_a_reword_of_two_paragraphs_stays_one_clause(session, working, as_drafter):
    text = "Put people first.\n\nAsk them what they expect."
    response = as_drafter.post(
        f"{WS}/{working.slug}/clauses/principles-1/reword", data={"c-principles-1-text": text}
    )
    assert response.status_code == 303
    assert shape(session, working) == ORIGINAL
    assert "Ask them what they expect." in texts(session, working)["principles-1"]


def test_a_section_and_a_version_keep_at_least_one_of_each(session, working, as_drafter):
    as_drafter.post(f"{WS}/{working.slug}/clauses/purpose-2/delete")
    last = as_drafter.post(f"{WS}/{working.slug}/clauses/purpose-1/delete")
    assert last.status_code == 422
    assert as_drafter.post(f"{WS}/{working.slug}/sections/principles/delete").status_code == 303
    only = as_drafter.post(f"{WS}/{working.slug}/sections/purpose/delete")
    assert only.status_code == 422
    assert shape(session, working) == [("purpose", ["purpose-1"])]


def test_structure_edits_are_refused_on_published_versions(session, working, as_drafter):
    for path in ("sections/purpose/delete", "clauses/purpose-1/delete", "discard"):
        response = as_drafter.post(f"{WS}/first-draft/{path}")
        assert response.status_code == 409, path


def test_unknown_keys_are_404(working, as_drafter):
    assert as_drafter.get(f"{WS}/{working.slug}/sections/nope/clauses").status_code == 404
    assert as_drafter.post(f"{WS}/{working.slug}/clauses/nope/reword", data={}).status_code == 404


def test_discard_a_working_version(session, working, as_drafter):
    confirm = as_drafter.get(f"{WS}/{working.slug}/discard")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.get_data(as_text=True)
    version_id = working.id
    response = as_drafter.post(f"{WS}/{working.slug}/discard")
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Version, version_id) is None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "version.discard")).one()
    assert as_drafter.get(f"{WS}/second-draft").status_code == 404
