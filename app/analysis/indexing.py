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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction

from app.analysis.textsearch import fold
from app.comments.visibility import shows_body
from app.models import (
    ANONYMOUS,
    Answer,
    Assignment,
    Clause,
    Comment,
    CommentState,
    Consent,
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


Dependents = Callable[[Any], Iterable[Any]]


@dataclass(frozen=True)
class Registration:
    kind: str
    fields: Indexer
    watched: tuple[str, ...]
    # Rows whose documents are made from this row's facts too (a submission's answers follow its state and
    # consent): rewritten whenever this row's document is.
    dependents: Dependents | None = None


_REGISTRY: dict[type, Registration] = {}


def register(
    model: type,
    kind: str,
    fields: Indexer,
    watched: tuple[str, ...],
    dependents: Dependents | None = None,
) -> None:
    """Index rows of `model` as `kind`: `fields(row, facts_of_version)` gives the document's columns."""
    _REGISTRY[model] = Registration(kind, fields, watched, dependents)


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
    return submission_row_document(
        {name: getattr(submission, name) for name in SUBMISSION_COLUMNS},
        facts,
        [(r.passage, r.reason) for r in submission.redactions] if submission.redactions else (),
    )


# The columns a submission's document is made from.
SUBMISSION_COLUMNS = (
    "state",
    "consent",
    "body",
    "version_id",
    "user_id",
    "entered_by_id",
    "channel",
    "submitted_at",
    "created_at",
)


def submission_row_document(
    row: Mapping[str, Any], facts: Lookup, redactions: Sequence[tuple[str, str]] = ()
) -> dict[str, Any] | None:
    """A sent submission's document from its column values (a bulk import indexes rows it never loads)."""
    if row["state"] == SubmissionState.DRAFT.value:
        return None
    version = facts(row["version_id"])
    state = row["state"] if row["consent"] != Consent.PRIVATE.value else "private"
    body = row["body"] or ""
    if redactions:
        from app.submissions.presenters import redacted_text

        body = redacted_text(body, list(redactions))
    return {
        "policy_id": version.policy_id,
        "version_id": row["version_id"],
        "clause_id": None,
        "campaign_group_id": None,
        "state": state,
        "public": version.version_public and state == SubmissionState.PUBLISHED.value,
        "verified": row["user_id"] is not None or row["entered_by_id"] is not None,
        "channel": row["channel"],
        "body": body,
        "created_at": row["submitted_at"] or row["created_at"],
    }


def answer_document(answer: Answer, facts: Lookup) -> dict[str, Any] | None:
    """A free-text answer to a consultation question, found as its submission is (same state, consent, redactions).

    Choice answers have no words to search (their results are the question's chart); an empty answer is not
    indexed either. The question filter of a search reads `answers.question_id` (indexed).
    """
    submission = answer.submission
    if submission is None or not (answer.text or "").strip():
        return None
    fields = submission_document(submission, facts)
    if fields is None:
        return None
    from app.submissions.presenters import redacted_text
    from app.submissions.visibility import public_text

    text = public_text(answer)  # the answer's own redactions
    if submission.redactions:  # and a passage redacted from the submission is hidden in its answers too
        text = redacted_text(text, [(r.passage, r.reason) for r in submission.redactions])
    return dict(fields, body=text.strip())


def _answers_of(submission: Submission) -> Iterable[Any]:
    return list(submission.answers)


register(
    Submission,
    "submission",
    submission_document,
    ("body", "state", "consent", "channel"),
    dependents=_answers_of,
)
register(Answer, "answer", answer_document, ("text", "choices"))


def write_document(connection: Connection, kind: str, ref_id: int, fields: dict[str, Any]) -> None:
    """Update the item's index row, or add it: one indexed statement (two for an item it had not seen)."""
    values = dict(fields, folded=fold(fields["body"]))
    result = connection.execute(
        update(SearchDocument.__table__)  # type: ignore[arg-type]
        .where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
        .values(**values)
    )
    if result.rowcount == 0:
        connection.execute(insert(SearchDocument.__table__).values(kind=kind, ref_id=ref_id, **values))  # type: ignore[arg-type]


_CHUNK = 500


def write_new_documents(connection: Connection, items: list[tuple[str, int, dict[str, Any]]]) -> None:
    """Index rows this flush inserted: two statements per kind and per 500 rows, however many there are.

    A bulk import flushes thousands of submissions at once; one UPDATE-then-INSERT each was most of its time.
    Any document left under a reused id (a row deleted outside the ORM) is removed first, as the UPDATE did.
    """
    table = SearchDocument.__table__
    by_kind: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for kind, ref_id, fields in items:
        by_kind.setdefault(kind, []).append((ref_id, fields))
    for kind, rows in by_kind.items():
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            connection.execute(
                delete(table).where(  # type: ignore[arg-type]
                    SearchDocument.kind == kind, SearchDocument.ref_id.in_([ref_id for ref_id, _ in chunk])
                )
            )
            values = [
                dict(fields, kind=kind, ref_id=ref_id, folded=fold(fields["body"]))
                for ref_id, fields in chunk
            ]
            # One executemany per shape of row (every indexer gives the same keys for its kind).
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for value in values:
                shapes.setdefault(tuple(sorted(value)), []).append(value)
            for same in shapes.values():
                connection.execute(insert(table), same)  # type: ignore[arg-type]


def forget_item(connection: Connection, kind: str, ref_id: int) -> None:
    """An item is gone: so are its index row, its tags and its assignments."""
    for model in (SearchDocument, TagApplication, Assignment):
        connection.execute(delete(model.__table__).where(model.kind == kind, model.ref_id == ref_id))  # type: ignore[arg-type, attr-defined]


def facts_on(connection: Connection) -> Lookup:
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
    # `session.new` still holds the flush's new rows here (after_flush runs before they become persistent).
    gone = [obj for obj in session.deleted if type(obj) in _REGISTRY]
    versions = [obj for obj in session.dirty if isinstance(obj, Version) and _changed(obj, ("status",))]
    # A comment posted through the queue is indexed when it is settled (`settle_comment`), off the request.
    todo = [
        (obj, _REGISTRY[type(obj)], is_new)
        for obj, is_new in work
        if type(obj) in _REGISTRY
        and (is_new or _changed(obj, _REGISTRY[type(obj)].watched))
        and not (is_new and isinstance(obj, Comment) and obj.processed is False)
    ]
    if not (todo or gone or versions):
        return
    connection = session.connection()
    facts = facts_on(connection)
    for obj in gone:
        forget_item(connection, _REGISTRY[type(obj)].kind, obj.id)
    for version in versions:
        reindex_public_flag(connection, version.id, version.status != VersionStatus.WORKING.value)
    done: set[int] = set()
    fresh: list[tuple[str, int, dict[str, Any]]] = []  # rows new in this flush: added in one batch
    for obj, registration, is_new in todo:
        if id(obj) in done:
            continue
        if is_new:
            done.add(id(obj))
            fields = registration.fields(obj, facts)
            if fields is not None:
                fresh.append((registration.kind, obj.id, fields))
        else:
            _write(connection, obj, facts, done)
    if fresh:
        write_new_documents(connection, fresh)


def _write(connection: Connection, obj: Any, facts: Lookup, done: set[int]) -> None:
    """Rewrite one row's document, then its dependents' (each once per flush)."""
    if id(obj) in done:
        return
    done.add(id(obj))
    registration = _REGISTRY[type(obj)]
    fields = registration.fields(obj, facts)
    if fields is None:
        forget_item(connection, registration.kind, obj.id)
    else:
        write_document(connection, registration.kind, obj.id, fields)
    if registration.dependents is not None:
        for dependent in registration.dependents(obj):
            if dependent.id is not None:
                _write(connection, dependent, facts, done)


def reindex(session: Session, obj: Any) -> None:
    """Rewrite one row's document after a Core UPDATE changed it: the flush listener never sees those.

    Moderation, withdrawal and joining a campaign group are conditional UPDATEs (for their races); each calls
    this once the row is changed, so a hidden or withdrawn comment's words leave the index with it.
    """
    if type(obj) not in _REGISTRY:
        return
    connection = session.connection()
    _write(connection, obj, facts_on(connection), set())


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
