"""Search a version's index: full-text (FTS5 or tsvector), filters, keyset pages, highlighted snippets.

Who sees what: the public and commenters are shown only documents flagged public (written from
`app.comments.visibility.shows_body` for a visitor, on a published version); staff who see every comment
(`visible_states` is every state) are shown everything. Pages run newest first and go on from a cursor (the
last id shown), so page 400 costs what page 1 does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, TextClause, and_, exists, func, select, text
from sqlalchemy.orm import Session

from app.analysis.textsearch import Query, highlight
from app.comments.visibility import ALL_STATES, visible_states
from app.models import Answer, Clause, Question, SearchDocument, Section, Tag, TagApplication, Version, Viewer

PAGE_SIZE = 25
BULK_LIMIT = 5000  # the most items one bulk action touches


def sees_everything(viewer: Viewer) -> bool:
    return visible_states(viewer) == set(ALL_STATES)


@dataclass(frozen=True)
class Filters:
    """What narrows a search; every field is optional. Built from the query string by the views."""

    kind: str | None = None
    section_id: int | None = None
    clause_id: int | None = None
    state: str | None = None
    verified: bool | None = None
    campaign_group_id: int | None = None
    tag_id: int | None = None
    uncoded: bool = False
    channel: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    question_id: int | None = None  # answers to this question only


@dataclass
class Hit:
    document: SearchDocument
    snippet: str
    clause_number: str
    clause_key: str
    tags: list[Tag] = field(default_factory=list)
    question: str = ""  # for an answer: the question's words
    submission_id: int | None = None  # for an answer: the submission it is part of


@dataclass
class Page:
    hits: list[Hit]
    next_cursor: int | None
    total: int | None = None


def match_clause(session: Session, query: Query) -> ColumnElement[bool] | TextClause:
    """The engine's full-text condition on search_documents for `query` (never empty)."""
    if session.get_bind().dialect.name == "postgresql":
        return text(
            "search_documents.tsv @@ (plainto_tsquery('english', :q) || plainto_tsquery('simple', :q))"
        ).bindparams(q=query.text)
    return SearchDocument.id.in_(
        text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q").bindparams(q=query.fts5())
    )


def base_statement(
    session: Session, viewer: Viewer, version: Version, query: Query, filters: Filters
) -> Select[SearchDocument]:
    statement = select(SearchDocument).where(SearchDocument.version_id == version.id)
    if not sees_everything(viewer):
        statement = statement.where(SearchDocument.public.is_(True))
    if not query.is_empty:
        statement = statement.where(match_clause(session, query))
    f = filters
    if f.kind:
        statement = statement.where(SearchDocument.kind == f.kind)
    if f.clause_id is not None:
        statement = statement.where(SearchDocument.clause_id == f.clause_id)
    elif f.section_id is not None:
        statement = statement.where(
            SearchDocument.clause_id.in_(select(Clause.id).where(Clause.section_id == f.section_id))
        )
    if f.question_id is not None:
        statement = statement.where(
            SearchDocument.kind == "answer",
            SearchDocument.ref_id.in_(select(Answer.id).where(Answer.question_id == f.question_id)),
        )
    if f.state and sees_everything(viewer):
        statement = statement.where(SearchDocument.state == f.state)
    if f.verified is not None:
        statement = statement.where(SearchDocument.verified.is_(f.verified))
    if f.campaign_group_id is not None:
        statement = statement.where(SearchDocument.campaign_group_id == f.campaign_group_id)
    if f.channel:
        statement = statement.where(SearchDocument.channel == f.channel)
    if f.date_from is not None:
        start = dt.datetime.combine(f.date_from, dt.time(), dt.UTC)
        statement = statement.where(SearchDocument.created_at >= start)
    if f.date_to is not None:
        end = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        statement = statement.where(SearchDocument.created_at < end)
    tagged = and_(TagApplication.kind == SearchDocument.kind, TagApplication.ref_id == SearchDocument.ref_id)
    if f.tag_id is not None:
        statement = statement.where(exists().where(tagged, TagApplication.tag_id == f.tag_id))
    if f.uncoded:
        statement = statement.where(
            SearchDocument.kind != "clause", ~exists().where(tagged, TagApplication.second.is_(False))
        )
    return statement


def search(
    session: Session,
    viewer: Viewer,
    version: Version,
    query: Query,
    filters: Filters,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of results, newest first, after the cursor `before` (an id) when given."""
    statement = base_statement(session, viewer, version, query, filters)
    if before is not None:
        statement = statement.where(SearchDocument.id < before)
    documents = list(session.scalars(statement.order_by(SearchDocument.id.desc()).limit(limit + 1)))
    more = len(documents) > limit
    documents = documents[:limit]
    clauses = {
        clause_id: (number, key)
        for clause_id, number, key in session.execute(
            select(Clause.id, Clause.number, Clause.key).where(
                Clause.id.in_({d.clause_id for d in documents if d.clause_id is not None})
            )
        )
    }
    tags = tags_of(session, [(d.kind, d.ref_id) for d in documents])
    answers = answer_facts(session, [d.ref_id for d in documents if d.kind == "answer"])
    hits = [
        Hit(
            document=d,
            snippet=highlight(d.body, query),
            clause_number=clauses.get(d.clause_id or 0, ("", ""))[0],
            clause_key=clauses.get(d.clause_id or 0, ("", ""))[1],
            tags=tags.get((d.kind, d.ref_id), []),
            question=answers.get(d.ref_id, ("", None))[0] if d.kind == "answer" else "",
            submission_id=answers.get(d.ref_id, ("", None))[1] if d.kind == "answer" else None,
        )
        for d in documents
    ]
    return Page(hits, documents[-1].id if more and documents else None)


def count(session: Session, viewer: Viewer, version: Version, query: Query, filters: Filters) -> int:
    statement = base_statement(session, viewer, version, query, filters).with_only_columns(
        func.count(SearchDocument.id)
    )
    return session.scalar(statement.order_by(None)) or 0


def all_items(
    session: Session,
    viewer: Viewer,
    version: Version,
    query: Query,
    filters: Filters,
    limit: int = BULK_LIMIT,
) -> list[tuple[str, int]]:
    """Every contribution a search finds (policy text is not coded), up to `limit`: what a bulk action acts on."""
    statement = (
        base_statement(session, viewer, version, query, filters)
        .where(SearchDocument.kind != "clause")
        .with_only_columns(SearchDocument.kind, SearchDocument.ref_id)
        .order_by(SearchDocument.id)
        .limit(limit)
    )
    return [(kind, ref_id) for kind, ref_id in session.execute(statement)]


def answer_facts(session: Session, answer_ids: list[int]) -> dict[int, tuple[str, int]]:
    """Each answer's question (its words) and submission, in one query."""
    if not answer_ids:
        return {}
    rows = session.execute(
        select(Answer.id, Question.prompt, Answer.submission_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.id.in_(set(answer_ids)))
    )
    return {answer_id: (prompt, submission_id) for answer_id, prompt, submission_id in rows}


def questions_of(session: Session, version: Version) -> list[Question]:
    """The version's questions that take free text (the search's question filter)."""
    return list(
        session.scalars(
            select(Question)
            .where(Question.version_id == version.id, Question.kind == "text")
            .order_by(Question.position)
        )
    )


def tags_of(session: Session, items: list[tuple[str, int]]) -> dict[tuple[str, int], list[Tag]]:
    """The tags (first coding) on each item."""
    if not items:
        return {}
    ids = {ref_id for _kind, ref_id in items}
    rows = session.execute(
        select(TagApplication.kind, TagApplication.ref_id, Tag)
        .join(Tag, Tag.id == TagApplication.tag_id)
        .where(TagApplication.ref_id.in_(ids), TagApplication.second.is_(False))
        .order_by(Tag.name)
    )
    found: dict[tuple[str, int], list[Tag]] = defaultdict(list)
    wanted = set(items)
    for kind, ref_id, tag in rows:
        if (kind, ref_id) in wanted and tag not in found[(kind, ref_id)]:
            found[(kind, ref_id)].append(tag)
    return dict(found)


def sections_and_clauses(session: Session, version: Version) -> list[tuple[Section, list[Clause]]]:
    sections = session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position)
    ).all()
    return [(s, list(s.clauses)) for s in sections]
