"""What each kind of person must never be shown, on any page, PDF or export the app serves.

The access matrix says who may open a route; this says what the answer may contain. Every GET route of the
access matrix is fetched as each role (and as the author of the comments below), with the page cache on, and
its body — HTML, JSON, CSV or a PDF's text — is searched for words that role must not see:

- the words of held and hidden comments, except by staff and by their own author;
- the words of a withdrawn comment, by anyone (withdrawing drops them);
- the words of a published comment and reply whose author answered "do not publish", except by staff and by
  their own author (they are counted in public totals, never shown);
- the text of a working version, except by drafters and admins;
- another person's email address, except by staff.

Each secret is a made-up word that appears nowhere else, so a hit is a leak and not a coincidence.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Clause, User, Version
from tests.factories import login, make_comment
from tests.integration.test_access_matrix import MATRIX, ROLES, seeded  # noqa: F401 (a fixture)
from tests.support.pdf import pdf_text

HELD = "Quillbramble"
HIDDEN = "Marrowfen"
WITHDRAWN = "Tussockvane"
WORKING = "Kelpwhistle"
UNPUBLISHED = "Bracklethorn"  # a published comment its author asked us not to publish
UNPUBLISHED_REPLY = "Sedgewarble"  # a reply likewise

STAFF = {"drafter", "reviewer", "moderator", "admin"}
SEES_WORKING = {"drafter", "admin"}
PERSONS = (*ROLES, "author")


def forbidden_for(person: str) -> set[str]:
    """The secrets `person` must never be shown (emails are checked separately)."""
    secrets = {WITHDRAWN}
    if person not in STAFF and person != "author":
        secrets |= {HELD, HIDDEN, UNPUBLISHED, UNPUBLISHED_REPLY}
    if person not in SEES_WORKING:
        secrets.add(WORKING)
    return secrets


def body_text(response) -> str:
    """The words a response shows: a PDF's extracted text, or the body decoded as text."""
    data = response.get_data()
    if response.mimetype == "application/pdf" or data.startswith(b"%PDF"):
        return pdf_text(data)
    return data.decode("utf-8", errors="replace")


@pytest.fixture
def secrets(session, seeded):  # noqa: F811 (the imported fixture)
    """The access matrix's site, plus a held, a hidden and a withdrawn comment and a marked working version."""
    values = seeded.values
    author = session.get_one(User, values["author_id"])
    version = session.scalar(select(Version).where(Version.slug == values["version"]))
    # On the clauses the matrix's routes show (purpose-1, purpose-2), and each with its own pages added below.
    held = make_comment(session, author, version, "purpose-1", body=f"{HELD} is my held worry.", state="held")
    hidden = make_comment(
        session,
        author,
        version,
        "purpose-2",
        body=f"{HIDDEN} should never be read by the public.",
        state="hidden",
        moderation_reason="Personal details of someone else.",
    )
    withdrawn = make_comment(
        session, author, version, "purpose-1", body=f"{WITHDRAWN} I take back.", state="withdrawn"
    )
    # Published, but "do not publish": on purpose-1 (listed on the matrix's pages), with a passage so the Web
    # Annotations would carry it, and a private reply to a public comment (a thread the public can open).
    unpublished = make_comment(
        session,
        author,
        version,
        "purpose-1",
        body=f"{UNPUBLISHED} is for the drafting team only.",
        display_as="private",
    )
    public_parent = make_comment(session, seeded.users["commenter"], version, "purpose-1", body="Open words.")
    unpublished_reply = make_comment(
        session,
        author,
        version,
        "purpose-1",
        body=f"{UNPUBLISHED_REPLY} is a reply for the team only.",
        display_as="private",
        parent_id=public_parent.id,
    )
    working = session.scalar(select(Version).where(Version.slug == values["working"]))
    clause = session.scalars(select(Clause).where(Clause.version_id == working.id).limit(1)).one()
    clause.markdown = clause.text = f"{WORKING} is an unpublished idea."
    clause.html = f"<p>{WORKING} is an unpublished idea.</p>"
    session.commit()
    extra = [
        f"/policies/{values['policy']}/versions/{values['version']}/sections/principles",
        f"/policies/{values['policy']}/versions/{values['working']}/sections/purpose",
        f"/drafting/{values['policy']}/{values['working']}",
    ]
    for comment in (held, hidden, withdrawn, unpublished, unpublished_reply, public_parent):
        extra += [f"/comments/{comment.id}", f"/receipts/{comment.tracking_number}"]
        extra += [f"/comments/{comment.tracking_number}/report"]
    seeded.values["extra"] = extra
    people = {**seeded.users, "author": author}
    emails = {name: user.email for name, user in people.items()}
    return seeded, people, emails


GET_ROUTES = [(endpoint, path) for endpoint, method, path, _ in MATRIX if method == "GET"]


def urls(values: dict) -> list[tuple[str, str]]:
    """Every GET route of the access matrix, then the pages of the secret comments themselves."""
    return [(e, p.format(**values)) for e, p in GET_ROUTES] + [
        ("(secret's page)", u) for u in values["extra"]
    ]


@pytest.mark.parametrize("person", PERSONS)
def test_no_page_shows_a_person_what_is_not_theirs_to_see(app, secrets, person):
    seeded_site, people, emails = secrets
    client = app.test_client()
    if person != "anonymous":
        assert login(client, people[person]).status_code == 302, f"could not sign in as {person}"
    others = {email for name, email in emails.items() if name != person}
    leaks: list[str] = []
    fetched = 0
    for endpoint, url in urls(seeded_site.values):
        response = client.get(url)
        if response.status_code == 200:
            fetched += 1
            text = body_text(response)
            leaks += [
                f"{url} ({endpoint}) shows {secret!r}" for secret in forbidden_for(person) if secret in text
            ]
            if person not in STAFF:
                leaks += [
                    f"{url} ({endpoint}) shows another person's email" for email in others if email in text
                ]
        response.close()
    assert fetched >= 10, f"only {fetched} pages answered 200 for {person}: the crawl proves nothing"
    assert not leaks, "\n".join(leaks)


def test_the_secrets_are_really_on_the_site_for_those_who_may_see_them(app, secrets):
    """The other test would pass on an empty site: show that staff and the author do see each secret."""
    seeded_site, people, _ = secrets
    seen: dict[str, set[str]] = {"moderator": set(), "drafter": set(), "author": set()}
    for person in seen:
        client = app.test_client()
        assert login(client, people[person]).status_code == 302
        for _, url in urls(seeded_site.values):
            response = client.get(url)
            if response.status_code == 200:
                text = body_text(response)
                seen[person] |= {
                    s for s in (HELD, HIDDEN, WORKING, UNPUBLISHED, UNPUBLISHED_REPLY) if s in text
                }
            response.close()
    assert {HELD, HIDDEN, UNPUBLISHED, UNPUBLISHED_REPLY} <= seen["moderator"]
    assert WORKING in seen["drafter"]
    assert {HELD, HIDDEN, UNPUBLISHED, UNPUBLISHED_REPLY} <= seen["author"]
