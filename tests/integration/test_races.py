"""Races in campaign grouping and moderation: many threads at once on one database (SQLite, or PostgreSQL with
TEST_DATABASE_URL), each in its own session and transaction, as concurrent requests and jobs would be.

These tests commit for real, so they use a database of their own (a SQLite file, or `<test database>_races`),
never the shared test database whose tests each roll back.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.boundary import unit_of_work
from app.comments import services
from app.comments.jobs import run_settle
from app.exceptions import ConflictError
from app.extensions import db
from app.models import AuditEvent, CampaignGroup, Clause, Comment, CommentState, Role, User
from app.moderation import services as moderation
from tests.factories import make_user, make_version
from tests.support.database import app_config, database_url, reset_schema, sqlalchemy_url

LETTER = (
    "I ask the agencies to keep every promise in this policy and to ask people before their information "
    "is shared with anyone else."
)
THREADS = 12


def _own_database(tmp: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return database_url(tmp, "races.db")
    import psycopg
    from psycopg import sql

    root, _, name = base.rpartition("/")
    own = f"{name}_races"
    with psycopg.connect(f"{root}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(own)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(own)))
    return sqlalchemy_url(f"{root}/{own}")


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    tmp = tmp_path_factory.mktemp("races")
    url = _own_database(tmp)
    reset_schema(url)
    app = create_app({**app_config(tmp, url), "PAGE_CACHE_SECONDS": 0})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(n)` on `count` threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as error:  # collected: the test looks at every outcome
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def setup_letters(app: Flask, policy: str, letters: int) -> tuple[int, list[int]]:
    """A version open for comment and `letters` identical letters from different people, stored unsettled."""
    with app.app_context(), unit_of_work() as session:
        version = make_version(session, policy_slug=policy)
        clause = session.scalars(
            select(Clause).where(Clause.version_id == version.id).order_by(Clause.id)
        ).first()
        ids = []
        for n in range(letters):
            author = make_user(session, display_name=f"Writer {n}")
            ids.append(services.accept_comment(session, author, clause, LETTER).id)
        return clause.id, ids


def kept_and_counted(app: Flask, clause_id: int) -> dict[str, Any]:
    with app.app_context():
        session = db.session
        published = Comment.state == CommentState.PUBLISHED.value
        groups = list(session.scalars(select(CampaignGroup).where(CampaignGroup.clause_id == clause_id)))
        result: dict[str, Any] = {
            "groups": len(groups),
            "clause_kept": session.scalar(select(Clause.comment_count).where(Clause.id == clause_id)),
            "clause_counted": session.scalar(
                select(func.count(Comment.id)).where(Comment.clause_id == clause_id, published)
            ),
        }
        for group in groups:
            members = select(Comment.id).where(Comment.campaign_group_id == group.id, published)
            result["members_kept"] = group.member_count
            result["members_counted"] = session.scalar(select(func.count()).select_from(members.subquery()))
            result["representative_kept"] = group.representative_id
            result["representative_first"] = session.scalar(select(func.min(members.subquery().c.id)))
        db.session.remove()
        return result


def test_identical_letters_settled_at_once_make_one_group_with_the_right_counts(race_app):
    clause_id, ids = setup_letters(race_app, "race-letters", THREADS)
    results = at_once(THREADS, lambda n: run_settle(race_app, ids[n]))
    assert results == [True] * THREADS, results
    state = kept_and_counted(race_app, clause_id)
    assert state["groups"] == 1
    assert state["members_kept"] == state["members_counted"] == THREADS
    assert state["representative_kept"] == state["representative_first"] == min(ids)
    assert state["clause_kept"] == state["clause_counted"] == THREADS
    # Settling again (a retried job, a sweep) changes nothing.
    assert at_once(4, lambda n: run_settle(race_app, ids[n])) == [False] * 4
    assert kept_and_counted(race_app, clause_id) == state


def _moderator(app: Flask, email: str) -> int:
    with app.app_context(), unit_of_work() as session:
        return make_user(session, role=Role.MODERATOR.value, email=email).id


def _hide(app: Flask, moderator_id: int, comment_id: int) -> str:
    with app.app_context(), unit_of_work() as session:
        moderator = session.get_one(User, moderator_id)
        comment = session.get_one(Comment, comment_id)
        moderation.hide_comment(session, moderator, comment, "Removed: it names a private person.")
        return "hidden"


def test_one_comment_hidden_by_many_moderators_at_once_is_hidden_once(race_app):
    clause_id, ids = setup_letters(race_app, "race-one-hide", 3)
    for comment_id in ids:
        run_settle(race_app, comment_id)
    moderators = [_moderator(race_app, f"mod{n}@races.test") for n in range(THREADS)]
    target = ids[1]
    results = at_once(THREADS, lambda n: _hide(race_app, moderators[n], target))
    assert results.count("hidden") == 1, results
    refused = [r for r in results if r != "hidden"]
    assert all(isinstance(r, moderation.InvalidStateError) for r in refused), refused
    with race_app.app_context():
        hides = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == moderation.ACTION_HIDE, AuditEvent.target_id == target
            )
        )
        db.session.remove()
    assert hides == 1  # the public log shows one hide
    state = kept_and_counted(race_app, clause_id)
    assert state["clause_kept"] == state["clause_counted"] == 2
    assert state["members_kept"] == state["members_counted"] == 2


def test_members_hidden_at_once_keep_the_group_count_and_representative_right(race_app):
    clause_id, ids = setup_letters(race_app, "race-many-hides", THREADS + 3)
    for comment_id in ids:
        run_settle(race_app, comment_id)
    moderator = _moderator(race_app, "moderator@races.test")
    targets = ids[:THREADS]  # the representative among them, and the next ones in line
    results = at_once(THREADS, lambda n: _hide(race_app, moderator, targets[n]))
    assert results == ["hidden"] * THREADS, results
    state = kept_and_counted(race_app, clause_id)
    assert state["members_kept"] == state["members_counted"] == 3
    assert state["representative_kept"] == state["representative_first"] == ids[THREADS]
    assert state["clause_kept"] == state["clause_counted"] == 3


def test_hides_and_restores_race_without_losing_a_count(race_app):
    clause_id, ids = setup_letters(race_app, "race-hide-restore", THREADS)
    for comment_id in ids:
        run_settle(race_app, comment_id)
    moderator = _moderator(race_app, "restorer@races.test")
    half = THREADS // 2
    for comment_id in ids[:half]:
        _hide(race_app, moderator, comment_id)

    def act(n: int) -> str:
        with race_app.app_context(), unit_of_work() as session:
            who = session.get_one(User, moderator)
            comment = session.get_one(Comment, ids[n])
            if n < half:
                moderation.restore_comment(session, who, comment)
                return "restored"
            moderation.hide_comment(session, who, comment, "Removed: off topic.")
            return "hidden"

    results = at_once(THREADS, act)
    assert sorted(results) == sorted(["restored"] * half + ["hidden"] * (THREADS - half)), results
    state = kept_and_counted(race_app, clause_id)
    assert state["members_kept"] == state["members_counted"] == half
    assert state["representative_kept"] == state["representative_first"] == ids[0]
    assert state["clause_kept"] == state["clause_counted"] == half


def test_the_schema_refuses_a_second_group_for_one_text(race_app):
    """The row that makes concurrent grouping meet at one group: (clause, fingerprint hash) is unique."""
    clause_id, _ = setup_letters(race_app, "race-unique", 1)
    with race_app.app_context():
        session = db.session
        row = {"version_id": session.scalar(select(Clause.version_id).where(Clause.id == clause_id)),
               "clause_id": clause_id, "fingerprint": "same", "fingerprint_hash": "f" * 64}  # fmt: skip
        session.execute(sa.insert(CampaignGroup), [row])
        with pytest.raises(sa.exc.IntegrityError):
            session.execute(sa.insert(CampaignGroup), [row])
        session.rollback()
        db.session.remove()


def test_one_form_token_posted_at_once_makes_one_comment(race_app):
    """A browser resending one form (a double click, a retry after a timeout): one comment, the same receipt."""
    with race_app.app_context(), unit_of_work() as session:
        version = make_version(session, policy_slug="race-token")
        clause_id = session.scalars(select(Clause.id).where(Clause.version_id == version.id)).first()
        author_id = make_user(session, display_name="Impatient Clicker").id

    def post(_n: int) -> int:
        with race_app.app_context(), unit_of_work() as session:
            author = session.get_one(User, author_id)
            clause = session.get_one(Clause, clause_id)
            return services.accept_comment(
                session, author, clause, "Sent once, clicked twice.", form_token="t" * 32
            ).id

    results = at_once(6, post)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    with race_app.app_context():
        made = db.session.scalar(select(func.count(Comment.id)).where(Comment.user_id == author_id))
        db.session.remove()
    assert made == 1


def test_the_sweeper_settles_comments_whose_job_was_lost(race_app):
    from app.comments.jobs import settle_pending

    clause_id, _ids = setup_letters(race_app, "race-sweep", 5)  # stored, never settled: their jobs were lost
    assert kept_and_counted(race_app, clause_id)["clause_kept"] == 0
    assert settle_pending(race_app) >= 5
    state = kept_and_counted(race_app, clause_id)
    assert state["clause_kept"] == state["clause_counted"] == 5
    assert state["groups"] == 1
    assert state["members_kept"] == 5
    assert settle_pending(race_app) == 0


# --- staff split and merge campaign groups while letters arrive and moderators work -------------------------


OTHER_LETTER = (
    "Please keep the late night bus services running to the eastern suburbs because shift workers and "
    "students rely on them to get home safely after dark."
)


def _group_state(app: Flask, group_id: int) -> dict[str, Any]:
    with app.app_context():
        session = db.session
        group = session.get_one(CampaignGroup, group_id)
        published = select(Comment.id).where(
            Comment.campaign_group_id == group_id, Comment.state == CommentState.PUBLISHED.value
        )
        state = {
            "kept": group.member_count,
            "counted": session.scalar(select(func.count()).select_from(published.subquery())),
            "representative": group.representative_id,
            "first": session.scalar(select(func.min(published.subquery().c.id))),
            "merged_into": group.merged_into_id,
        }
        db.session.remove()
        return state


def _staff(app: Flask, email: str) -> int:
    with app.app_context(), unit_of_work() as session:
        return make_user(session, role=Role.REVIEWER.value, email=email).id


def test_splits_and_hides_at_once_keep_the_group_count_and_representative_right(race_app):
    from app.comments import campaign_edits

    _clause_id, ids = setup_letters(race_app, "race-split-hide", THREADS + 4)
    for comment_id in ids:
        run_settle(race_app, comment_id)
    with race_app.app_context():
        group_id = db.session.get_one(Comment, ids[0]).campaign_group_id
        version_id = db.session.get_one(Comment, ids[0]).version_id
        db.session.remove()
    moderator = _moderator(race_app, "split-moderator@races.test")
    analyst = _staff(race_app, "split-analyst@races.test")
    half = THREADS // 2

    def act(n: int) -> str:
        with race_app.app_context(), unit_of_work() as session:
            if n % 2 == 0:  # the representative and every other early member hidden...
                who = session.get_one(User, moderator)
                moderation.hide_comment(session, who, session.get_one(Comment, ids[n]), "Removed: abuse.")
                return "hidden"
            # ...while the ones between are taken out of the group.
            from app.models import Version

            version = session.get_one(Version, version_id)
            group = session.get_one(CampaignGroup, group_id)
            campaign_edits.split_members(session, session.get_one(User, analyst), version, group, [ids[n]])
            return "split"

    results = at_once(THREADS, act)
    assert sorted(results) == sorted(["hidden"] * half + ["split"] * half), results
    state = _group_state(race_app, group_id)
    assert state["kept"] == state["counted"] == 4
    assert state["representative"] == state["first"] == ids[THREADS]


def test_a_merge_while_letters_join_sends_every_letter_to_the_merged_group(race_app):
    from app.comments import campaign_edits

    with race_app.app_context(), unit_of_work() as session:
        version = make_version(session, policy_slug="race-merge")
        version_id = version.id
        clause = session.scalars(
            select(Clause).where(Clause.version_id == version.id).order_by(Clause.id)
        ).first()
        source_ids = [
            services.accept_comment(session, make_user(session), clause, LETTER).id for _ in range(3)
        ]
        target_ids = [
            services.accept_comment(session, make_user(session), clause, OTHER_LETTER).id for _ in range(3)
        ]
        late_ids = [
            services.accept_comment(session, make_user(session), clause, LETTER).id
            for _ in range(THREADS - 1)
        ]
    for comment_id in source_ids + target_ids:
        run_settle(race_app, comment_id)
    with race_app.app_context():
        source_id = db.session.get_one(Comment, source_ids[0]).campaign_group_id
        target_id = db.session.get_one(Comment, target_ids[0]).campaign_group_id
        db.session.remove()
    assert source_id != target_id
    analyst = _staff(race_app, "merge-analyst@races.test")

    def act(n: int) -> Any:
        if n < len(late_ids):
            return run_settle(race_app, late_ids[n])
        with race_app.app_context(), unit_of_work() as session:
            from app.models import Version

            return campaign_edits.merge_groups(
                session,
                session.get_one(User, analyst),
                session.get_one(Version, version_id),
                session.get_one(CampaignGroup, source_id),
                session.get_one(CampaignGroup, target_id),
            )

    results = at_once(THREADS, act)
    assert results[: len(late_ids)] == [True] * len(late_ids), results
    assert isinstance(results[-1], int), results
    source = _group_state(race_app, source_id)
    target = _group_state(race_app, target_id)
    assert source["merged_into"] == target_id
    assert source["kept"] == source["counted"] == 0
    assert target["kept"] == target["counted"] == 3 + 3 + len(late_ids)
    assert target["representative"] == target["first"] == min(source_ids + target_ids)


def test_one_event_summary_saved_at_once_by_many_makes_one_submission(race_app):
    """Staff double-submitting an event's "what we heard" summary (or two at once): one submission, ever."""
    from app.events import services as events
    from app.models import EngagementEvent, Submission

    with race_app.app_context(), unit_of_work() as session:
        version = make_version(session, policy_slug="race-event")
        staff = make_user(session, "intake")
        event = events.create_event(
            session,
            staff,
            version,
            events.EventInput(
                held_on=(dt.date.today() - dt.timedelta(days=3)).isoformat(),
                place="Marae",
                host="Hosts",
                attendees="30",
            ),
        )
        event_id, staff_id = event.id, staff.id

    def save(_n: int) -> int:
        with race_app.app_context(), unit_of_work() as session:
            return events.save_summary(
                session,
                session.get_one(User, staff_id),
                session.get_one(EngagementEvent, event_id),
                events.SummaryInput("We heard that people want to be asked first."),
            ).id

    results = at_once(6, save)
    stored = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if not isinstance(r, int)]
    assert stored, results
    assert len(set(stored)) == 1
    # Any request that lost the race was refused with the message, not an error from the database.
    assert all(isinstance(r, events.EventStateError) for r in refused), refused
    with race_app.app_context():
        made = db.session.scalar(select(func.count(Submission.id)).where(Submission.event_id == event_id))
        db.session.remove()
    assert made == 1


def test_a_split_into_a_new_group_posted_twice_while_members_are_hidden_keeps_both_groups_right(race_app):
    from app.comments import campaign_edits
    from app.models import Version

    clause_id, ids = setup_letters(race_app, "race-split-new", THREADS + 4)
    for comment_id in ids:
        run_settle(race_app, comment_id)
    with race_app.app_context():
        group_id = db.session.get_one(Comment, ids[0]).campaign_group_id
        version_id = db.session.get_one(Comment, ids[0]).version_id
        db.session.remove()
    moderator = _moderator(race_app, "split-new-moderator@races.test")
    analyst = _staff(race_app, "split-new-analyst@races.test")
    chosen = [ids[n] for n in range(1, THREADS, 2)]  # 1, 3, ..., 11: a campaign of their own
    hidden = [ids[n] for n in (0, 2, 4, 6)] + [ids[9]]  # members of the old group and one of the new

    def act(n: int) -> Any:
        with race_app.app_context(), unit_of_work() as session:
            if n < len(hidden):
                who = session.get_one(User, moderator)
                moderation.hide_comment(session, who, session.get_one(Comment, hidden[n]), "Removed: abuse.")
                return "hidden"
            if n < THREADS - 2:
                return "idle"
            # The same form posted twice (a double click): one new group, the second refused.
            made = campaign_edits.split_into_new_group(
                session,
                session.get_one(User, analyst),
                session.get_one(Version, version_id),
                session.get_one(CampaignGroup, group_id),
                chosen,
            )
            return made.id

    results = at_once(THREADS, act)
    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 1, results
    assert len(refused) == 1, results
    assert isinstance(refused[0], ConflictError), results
    old = _group_state(race_app, group_id)
    new = _group_state(race_app, made[0])
    # The old group keeps ids[8], ids[10] and the four after the first THREADS; the new one five published.
    assert old["kept"] == old["counted"] == 6
    assert old["representative"] == old["first"] == ids[8]
    assert new["kept"] == new["counted"] == len(chosen) - 1
    assert new["representative"] == new["first"] == ids[1]
    with race_app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.split_new")).all()
        assert [e.target_id for e in events] == made
        # The refused one left no empty group behind: its new row went with its rollback.
        assert db.session.scalar(select(func.count()).where(CampaignGroup.clause_id == clause_id)) == 2
        db.session.remove()
