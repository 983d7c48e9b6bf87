"""The statements a page or a comment POST costs do not grow with the comments: the same at 10 and at 10,000.

Signed in, so the page cache never answers: every statement is the page's own. The comments are written in bulk
(one INSERT of many rows, kept counts set as the seeder sets them) so that 10,000 cost a second, with replies, a
campaign group with a kept representative, and held and hidden comments among them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, insert, select, text, update

from app.comments.antibot import sign_shown_at
from app.comments.campaigns import fingerprint, normalise
from app.extensions import db
from app.models import CampaignGroup, Clause, Comment, Response, Version
from tests.factories import login, make_user, make_version

LETTER = "Please keep the promise that nobody's information is shared without asking them first, every time."


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


def add_comments(session, version: Version, user_id: int, count: int, start: int) -> None:
    """`count` comments on the version's clauses: one in ten a reply, one in five a campaign letter."""
    clauses = list(
        session.scalars(select(Clause.id).where(Clause.version_id == version.id).order_by(Clause.id))
    )
    group = session.scalar(select(CampaignGroup).where(CampaignGroup.clause_id == clauses[0]))
    if group is None:
        group = CampaignGroup(
            version_id=version.id,
            clause_id=clauses[0],
            fingerprint=normalise(LETTER),
            fingerprint_hash=fingerprint(LETTER),
        )
        session.add(group)
        session.flush()
    rows = []
    first_id = (session.scalar(select(func.max(Comment.id))) or 0) + 1
    for n in range(count):
        number = start + n
        clause_id = clauses[number % len(clauses)]
        state = (
            ("published", "published", "published", "held", "hidden")[number % 5]
            if number % 7 == 0
            else "published"
        )
        row = {
            "id": first_id + n,
            "tracking_number": f"KR-T{number:07d}",
            "user_id": user_id,
            "version_id": version.id,
            "clause_id": clause_id,
            "parent_id": None,
            "campaign_group_id": None,
            "body": f"Comment {number} about clause {clause_id}",
            "body_html": f"<p>Comment {number} about clause {clause_id}</p>",
            "fingerprint_hash": fingerprint(f"Comment {number} about clause {clause_id}"),
            "state": state,
            "processed": True,
        }
        if number % 10 == 3 and n >= 3:
            row["parent_id"] = (
                first_id + n - 3
            )  # an earlier comment of this batch (top-level: number % 10 == 0)
            row["clause_id"] = rows[row["parent_id"] - first_id]["clause_id"]
        elif number % 5 == 1:
            row.update(body=LETTER, body_html=f"<p>{LETTER}</p>", fingerprint_hash=fingerprint(LETTER))
            row.update(campaign_group_id=group.id, clause_id=clauses[0])
        rows.append(row)
    for row in rows:  # a reply's parent must be a top-level comment
        if row["parent_id"] is not None and rows[row["parent_id"] - first_id]["parent_id"] is not None:
            row["parent_id"] = None
    session.execute(insert(Comment), rows)
    if (
        session.get_bind().dialect.name == "postgresql"
    ):  # explicit ids: move the sequence on, as the seeder does
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT max(id) FROM comments))")
        )
    # Kept counts, as bench/load/seed.py sets them.
    published = Comment.state == "published"
    member = select(func.count(Comment.id)).where(Comment.campaign_group_id == group.id, published)
    first = select(func.min(Comment.id)).where(Comment.campaign_group_id == group.id, published)
    session.execute(
        update(CampaignGroup)
        .where(CampaignGroup.id == group.id)
        .values(member_count=member.scalar_subquery(), representative_id=first.scalar_subquery())
    )
    for clause_id in clauses:
        total = select(func.count(Comment.id)).where(Comment.clause_id == clause_id, published)
        session.execute(
            update(Clause).where(Clause.id == clause_id).values(comment_count=total.scalar_subquery())
        )
    session.flush()
    session.expire_all()


@pytest.fixture
def reader(session, client):
    user = make_user(session, display_name="Reader Tuhi")
    assert login(client, user).status_code in (302, 303)
    client.get("/")  # the "signed in" message shown: later pages take the signed-in reader's usual path
    return user


def cost(client, path: str, rendered: bool = True) -> int:
    """Statements of one signed-in GET: a fresh render (the page cache emptied first), or a member copy's hit."""
    if rendered:  # drop the member copies (only those: the comparison is kept in the same store)
        store = client.application.extensions["korero_page_cache"].store
        store.delete_many(*[key for key in list(store._cache) if key.startswith("korero:member:")])
    with statements() as seen:
        response = client.get(path)
    if os.environ.get("SHOW_STATEMENTS"):
        print(path, *(s[:200].replace("\n", " ") for s in seen), sep="\n    ")
    assert response.status_code == 200, path
    if rendered:
        assert response.headers.get("X-Page-Cache") in (None, "member-miss")
    else:
        assert response.headers.get("X-Page-Cache") == "member-hit"
    # The test's own savepoints (the session fixture nests each request in one) are not the page's cost.
    return len([statement for statement in seen if "SAVEPOINT" not in statement])


def test_section_and_clause_pages_cost_the_same_at_ten_and_ten_thousand(client, session, reader):
    version = make_version(session)
    base = f"/policies/{version.policy.slug}/versions/{version.slug}"
    add_comments(session, version, reader.id, 10, 0)
    pages = [
        f"{base}/sections/purpose",
        f"{base}/clauses/purpose-1/comments",
        f"{base}/clauses/purpose-2/comments",
    ]
    few = [cost(client, page) for page in pages]
    add_comments(session, version, reader.id, 9_990, 10)
    assert session.scalar(select(func.count(Comment.id))) == 10_000
    many = [cost(client, page) for page in pages]
    assert many == few


def test_a_member_copy_of_the_section_page_costs_the_same_at_ten_and_ten_thousand(client, session, reader):
    version = make_version(session)
    page = f"/policies/{version.policy.slug}/versions/{version.slug}/sections/purpose"
    add_comments(session, version, reader.id, 10, 0)
    session.commit()
    client.get(page)
    few = cost(client, page, rendered=False)
    add_comments(session, version, reader.id, 9_990, 10)
    session.commit()
    client.get(page)
    many = cost(client, page, rendered=False)
    assert many == few
    # A reader with no comments on the section: who they are and which clauses are theirs, nothing more.
    other = make_user(session, display_name="Reader Hou")
    session.commit()
    fresh = client.application.test_client()
    login(fresh, other)
    fresh.get("/")
    with statements() as seen:
        assert fresh.get(page).headers["X-Page-Cache"] == "member-hit"
    queries = [statement for statement in seen if statement.lstrip().upper().startswith("SELECT")]
    assert len(queries) <= 3, queries
    # Their next view: which clauses are theirs is kept under their own tag, so only who they are is asked.
    with statements() as again:
        assert fresh.get(page).headers["X-Page-Cache"] == "member-hit"
    repeat = [statement for statement in again if statement.lstrip().upper().startswith("SELECT")]
    assert len(repeat) == 1, repeat
    assert "FROM users" in repeat[0]


def answer(session, old: Version, new: Version, every: int) -> None:
    """A drafter's response, changed in `new`, to every `every`-th comment of `old` and to its campaign group."""
    keys = list(session.scalars(select(Clause.key).where(Clause.version_id == new.id).order_by(Clause.id)))
    answered = set(session.scalars(select(Response.comment_id).where(Response.comment_id.is_not(None))))
    rows = [
        {"comment_id": comment_id, "version_id": old.id, "outcome": "accepted", "text": "We changed it.",
         "changed_in_version_id": new.id, "changed_clause_keys": [keys[comment_id % len(keys)]]}
        for comment_id in session.scalars(select(Comment.id).where(Comment.version_id == old.id, Comment.parent_id.is_(None)))
        if comment_id % every == 0 and comment_id not in answered
    ]  # fmt: skip
    session.execute(insert(Response), rows)
    group = session.scalar(select(CampaignGroup.id).where(CampaignGroup.version_id == old.id))
    if not session.scalar(select(Response.id).where(Response.campaign_group_id == group)):
        session.add(
            Response(
                campaign_group_id=group, version_id=old.id, outcome="partly", text="In part.",
                changed_in_version_id=new.id, changed_clause_keys=keys[:2],
            )
        )  # fmt: skip
    session.flush()


def test_compare_page_costs_the_same_at_ten_and_ten_thousand(client, session, reader, imported):
    first = session.scalar(select(Version).where(Version.slug == "consultation-draft"))
    second = session.scalar(select(Version).where(Version.slug == "revised-draft"))
    path = f"/policies/{first.policy.slug}/compare/consultation-draft...revised-draft"
    add_comments(session, first, reader.id, 10, 0)
    answer(session, first, second, 3)
    cost(client, path)  # the first view computes the comparison and keeps it (app/diffing/cache.py)
    few = cost(client, path)
    add_comments(session, first, reader.id, 9_990, 10)
    answer(session, first, second, 50)
    assert session.scalar(select(func.count(Response.id))) > 100
    many = cost(client, path)
    assert many == few


def test_a_comment_post_costs_the_same_at_ten_and_ten_thousand(client, session, reader):
    version = make_version(session)
    form = f"/policies/{version.policy.slug}/versions/{version.slug}/clauses/purpose-1/comment"

    def post(text: str) -> int:
        data = {
            "body": text,
            "display_as": "name",
            "shown_at": sign_shown_at(time.time() - 10),
            "website": "",
        }
        with statements() as seen:
            response = client.post(form, data=data)
        assert response.status_code == 303, response.text[:3000]
        if os.environ.get("SHOW_STATEMENTS"):
            print(form, *(s[:200].replace("\n", " ") for s in seen), sep="\n    ")
        return len([statement for statement in seen if "SAVEPOINT" not in statement])

    others = make_user(session, display_name="Campaigner")
    add_comments(session, version, others.id, 10, 0)
    # A comment of its own, and a campaign letter that joins the group (exact fingerprint).
    few = [post("A first thought on the purpose of this policy."), post(LETTER)]
    add_comments(session, version, others.id, 9_990, 10)
    assert login(client, make_user(session, display_name="Second Reader")).status_code in (302, 303)
    client.get("/")  # as the first reader: the "signed in" message already shown
    # Its own words again: not one word away from the first post, which version-wide matching would rightly
    # take for the same letter.
    many = [post("Who checks each year that agencies really follow these principles?"), post(LETTER)]
    assert many == few
    group = session.scalar(select(CampaignGroup))
    session.refresh(group)
    letters = select(func.count(Comment.id)).where(
        Comment.campaign_group_id == group.id, Comment.state == "published"
    )
    assert group.member_count == session.scalar(letters)


# --- signed-in readers share each clause's comment block ------------------------------------------------


def _listing_queries(client, path: str) -> tuple[str, int]:
    with statements() as seen:
        response = client.get(path)
    assert response.status_code == 200
    return response.text, sum("SELECT * FROM (SELECT c.id" in s for s in seen)


def test_signed_in_readers_share_clause_blocks_and_see_only_their_own_links(app, session):
    from app.moderation.services import hide_comment
    from tests.factories import make_comment

    version = make_version(session)
    path = f"/policies/{version.policy.slug}/versions/{version.slug}/sections/purpose"
    writer = make_user(session, display_name="Writer Aroha")
    mine = make_comment(session, writer, version, "purpose-1", body="The writer's own words on consent.")
    first, second, writer_client = app.test_client(), app.test_client(), app.test_client()
    for client, who in ((first, make_user(session)), (second, make_user(session)), (writer_client, writer)):
        assert login(client, who).status_code in (302, 303)

    page, listed = _listing_queries(first, path)
    assert "The writer's own words on consent." in page
    assert listed == 1  # the blocks were rendered (and stored) for this reader
    page, listed = _listing_queries(second, path)
    assert "The writer's own words on consent." in page
    assert listed == 0  # another reader: every block from the store
    assert f"/comments/{mine.id}/edit" not in page
    page, listed = _listing_queries(writer_client, path)
    assert f"/comments/{mine.id}/edit" in page  # the writer's clause is rendered for the writer
    assert "Writer Aroha" in page

    # A change the page shows makes new blocks; words taken away are never served from an old block.
    moderator = make_user(session, role="moderator")
    hide_comment(session, moderator, mine, "Removed: names a private person.")
    page, listed = _listing_queries(second, path)
    assert listed == 1
    assert "The writer's own words on consent." not in page
