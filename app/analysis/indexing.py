"""Keep the search index in step with what it indexes, in the same transaction, without scanning anything.

A SQLAlchemy `after_flush` listener looks at the rows the flush wrote. Each indexed model has an *indexer*: a
function from the row to the fields of its one `search_documents` row (or None to drop it), and the names of the
attributes whose change means the row must be rewritten. The listener updates (or inserts) exactly those rows
with Core statements on the flush's own connection, so the index commits or rolls back with the change, and a
new comment costs one indexed UPDATE/INSERT. FTS5's triggers (SQLite) and the generated tsvector (PostgreSQL)
follow the row.

Adding a kind (whole-version submissions, question answers, attachments) is one `register(Model, fields,
watched)` call with a function like `comment_document` below. Bulk UPDATE statements bypass the listener; a
service that changes indexed words in bulk calls `reindex_version` afterwards (publishing does this for the
public flag), and `flask analysis reindex` rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction

from app.analysis.textsearch import fold
from app.comments.visibility import shows_body
from app.models import (
    ANONYMOUS,
    Assignment,
    Clause,
    Comment,
    CommentState,
    SearchDocument,
    Submission,
    SubmissionState,
    TagApplication,
    Version,
    VersionStatus,
)


@dataclass(frozen=True)
class Facts:
    """What an indexer may need beyond its own row: the version's policy and whether it is public."""

    policy_id: int
    version_public: bool


Lookup = Callable[[int], Facts]
Indexer = Callable[[Any, Lookup], dict[str, Any] | None]


@dataclass(frozen=True)
class Registration:
    kind: str
    fields: Indexer
    watched: tuple[str, ...]


_REGISTRY: dict[type, Registration] = {}


def register(model: type, kind: str, fields: Indexer, watched: tuple[str, ...]) -> None:
    """Index rows of `model` as `kind`: `fields(row, facts_of_version)` gives the document's columns."""
    _REGISTRY[model] = Registration(kind, fields, watched)


def comment_document(comment: Comment, facts: Lookup) -> dict[str, Any] | None:
    """A clause comment, as `submission_document` indexes a submission: one its author asked us not to
    publish has the state "private" (which no later publication of its version makes public), and redacted
    passages are indexed as redacted."""
    from app.submissions.visibility import public_text

    version = facts(comment.version_id)
    return {
        "policy_id": version.policy_id,
        "version_id": comment.version_id,
        "clause_id": comment.clause_id,
        "campaign_group_id": comment.campaign_group_id,
        "state": comment.state if comment.may_publish else "private",
        # The one visibility rule: what a visitor is shown the words of, on a public version.
        "public": version.version_public and shows_body(ANONYMOUS, comment),
        "verified": bool(comment.author_verified),
        "channel": "online",
        "body": public_text(comment),
        "created_at": comment.created_at,
    }


def clause_document(clause: Clause, facts: Lookup) -> dict[str, Any] | None:
    version = facts(clause.version_id)
    return {
        "policy_id": version.policy_id,
        "version_id": clause.version_id,
        "clause_id": clause.id,
        "campaign_group_id": None,
        "state": CommentState.PUBLISHED.value,
        "public": version.version_public,
        "verified": False,
        "channel": "policy",
        "body": clause.text or "",
    }


register(
    Comment,
    "comment",
    comment_document,
    ("body", "state", "campaign_group_id", "author_verified", "clause_id", "display_as", "redaction_count"),
)
register(Clause, "clause", clause_document, ("text",))


def submission_document(submission: Submission, facts: Lookup) -> dict[str, Any] | None:
    """A whole-version submission, once sent (a draft is its maker's only, and never indexed).

    What the public may find follows `app.submissions.visibility`: published, and its maker agreed to publish.
    A submission that may not be published is indexed with the state "private", which no public rule (nor a
    later publication of its version, `reindex_public_flag`) ever shows. Redacted passages are indexed as
    redacted, so no search, public or staff, matches or quotes them; a redaction marks the body changed.
    """
    if submission.is_draft:
        return None
    version = facts(submission.version_id)
    state = submission.state if submission.may_publish else "private"
    from app.submissions.visibility import public_text

    body = public_text(submission)
    return {
        "policy_id": version.policy_id,
        "version_id": submission.version_id,
        "clause_id": None,
        "campaign_group_id": None,
        "state": state,
        "public": version.version_public and state == SubmissionState.PUBLISHED.value,
        "verified": submission.user_id is not None or submission.entered_by_id is not None,
        "channel": submission.channel,
        "body": body,
        "created_at": submission.submitted_at or submission.created_at,
    }


register(Submission, "submission", submission_document, ("body", "state", "consent", "channel"))


def write_document(connection: Connection, kind: str, ref_id: int, fields: dict[str, Any]) -> None:
    """Update the item's index row, or add it: one indexed statement (two for a new item)."""
    values = dict(fields, folded=fold(fields["body"]))
    result = connection.execute(
        update(SearchDocument.__table__)  # type: ignore[arg-type]
        .where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
        .values(**values)
    )
    if result.rowcount == 0:
        connection.execute(insert(SearchDocument.__table__).values(kind=kind, ref_id=ref_id, **values))  # type: ignore[arg-type]


def forget_item(connection: Connection, kind: str, ref_id: int) -> None:
    """An item is gone: so are its index row, its tags and its assignments."""
    for model in (SearchDocument, TagApplication, Assignment):
        connection.execute(delete(model.__table__).where(model.kind == kind, model.ref_id == ref_id))  # type: ignore[arg-type, attr-defined]


def _facts_on(connection: Connection) -> Lookup:
    """A version's facts as indexers need them, read on `connection` once per version (the flush's own)."""
    cache: dict[int, Facts] = {}

    def facts(version_id: int) -> Facts:
        if version_id not in cache:
            row = connection.execute(
                select(Version.policy_id, Version.status).where(Version.id == version_id)
            ).one()
            cache[version_id] = Facts(row.policy_id, row.status != VersionStatus.WORKING.value)
        return cache[version_id]

    return facts


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _index_flushed(session: Session, _context: UOWTransaction) -> None:
    work = [(obj, True) for obj in session.new] + [(obj, False) for obj in session.dirty]
    gone = [obj for obj in session.deleted if type(obj) in _REGISTRY]
    versions = [obj for obj in session.dirty if isinstance(obj, Version) and _changed(obj, ("status",))]
    todo = [
        (obj, _REGISTRY[type(obj)])
        for obj, is_new in work
        if type(obj) in _REGISTRY and (is_new or _changed(obj, _REGISTRY[type(obj)].watched))
    ]
    if not (todo or gone or versions):
        return
    connection = session.connection()
    facts = _facts_on(connection)
    for obj in gone:
        forget_item(connection, _REGISTRY[type(obj)].kind, obj.id)
    for version in versions:
        reindex_public_flag(connection, version.id, version.status != VersionStatus.WORKING.value)
    for obj, registration in todo:
        fields = registration.fields(obj, facts)
        if fields is None:
            forget_item(connection, registration.kind, obj.id)
        else:
            write_document(connection, registration.kind, obj.id, fields)


def reindex(session: Session, obj: Any) -> None:
    """Rewrite one row's document after a Core UPDATE changed it: the flush listener never sees those.

    Moderation, withdrawal and joining a campaign group are conditional UPDATEs (for their races); each calls
    this once the row is changed, so a hidden or withdrawn comment's words leave the index with it.
    """
    registration = _REGISTRY.get(type(obj))
    if registration is None:
        return
    connection = session.connection()
    fields = registration.fields(obj, _facts_on(connection))
    if fields is None:
        forget_item(connection, registration.kind, obj.id)
    else:
        write_document(connection, registration.kind, obj.id, fields)


def reindex_public_flag(connection: Connection, version_id: int, version_public: bool) -> None:
    """A version was published (or went back): its documents' public flag follows, in one statement per kind."""
    table = SearchDocument.__table__
    connection.execute(
        update(table)  # type: ignore[arg-type]
        .where(SearchDocument.version_id == version_id, SearchDocument.kind == "clause")
        .values(public=version_public)
    )
    connection.execute(
        update(table)  # type: ignore[arg-type]
        .where(SearchDocument.version_id == version_id, SearchDocument.kind != "clause")
        .values(public=(SearchDocument.state == CommentState.PUBLISHED.value) if version_public else False)
    )


def reindex_all(session: Session) -> int:
    """Rebuild every index row from the rows themselves (`flask analysis reindex`)."""
    connection = session.connection()
    cache: dict[int, Facts] = {}

    def facts(version_id: int) -> Facts:
        if version_id not in cache:
            version = session.get_one(Version, version_id)
            cache[version_id] = Facts(version.policy_id, version.is_public)
        return cache[version_id]

    count = 0
    for model, registration in _REGISTRY.items():
        obj: Any
        for obj in session.scalars(select(model)).yield_per(1000):
            fields = registration.fields(obj, facts)
            if fields is not None:
                write_document(connection, registration.kind, obj.id, fields)
                count += 1
    return count
