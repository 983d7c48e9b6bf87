"""Carry every comment of a version into the version published after it (re-anchoring each passage).

The pure work is `app.diffing.anchoring.reanchor`; this module loads the comments and both versions' texts,
asks the compare cache for the changes between them, and stores one placement per comment in one statement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from app.diffing.anchoring import Anchor, reanchor
from app.diffing.listing import stored_document
from app.diffing.services import compare_versions
from app.models import Clause, Comment, CommentPlacement, PlacementStatus, Version


@dataclass(frozen=True)
class CarryReport:
    """What carrying comments forward into a version did: placements written, by status."""

    total: int
    by_status: dict[str, int]


@dataclass(frozen=True)
class _Source:
    comment_id: int
    clause_key: str
    anchor: Anchor | None


def _anchor_of(
    exact: str | None, prefix: str | None, suffix: str | None, start: int | None, end: int | None
) -> Anchor | None:
    if exact is None or start is None or end is None:
        return None
    return Anchor(exact=exact, prefix=prefix or "", suffix=suffix or "", start=start, end=end)


def _carried_sources(session: Session, parent: Version) -> list[_Source]:
    """The comments anchored in `parent`: made on it, or carried into it (and not orphaned there)."""
    sources: dict[int, _Source] = {}
    made = session.execute(
        select(
            Comment.id,
            Clause.key,
            Comment.quote_exact,
            Comment.quote_prefix,
            Comment.quote_suffix,
            Comment.quote_start,
            Comment.quote_end,
        )
        .join(Clause, Clause.id == Comment.clause_id)
        .where(Comment.version_id == parent.id, Comment.parent_id.is_(None))
    )
    for comment_id, key, exact, prefix, suffix, start, end in made:
        sources[comment_id] = _Source(comment_id, key, _anchor_of(exact, prefix, suffix, start, end))
    carried = session.execute(
        select(
            CommentPlacement.comment_id,
            CommentPlacement.clause_key,
            CommentPlacement.status,
            CommentPlacement.quote_exact,
            CommentPlacement.quote_prefix,
            CommentPlacement.quote_suffix,
            CommentPlacement.quote_start,
            CommentPlacement.quote_end,
            Comment.quote_exact,
            Comment.quote_prefix,
            Comment.quote_suffix,
            Comment.quote_start,
            Comment.quote_end,
        )
        .join(Comment, Comment.id == CommentPlacement.comment_id)
        .where(
            CommentPlacement.version_id == parent.id,
            CommentPlacement.clause_key.is_not(None),
            CommentPlacement.status != PlacementStatus.ORPHANED.value,
        )
    )
    for row in carried:
        comment_id, placed_key, status = row[0], row[1], row[2]
        placed = _anchor_of(row[3], row[4], row[5], row[6], row[7])
        if placed is None and status == PlacementStatus.NEEDS_REVIEW.value:
            # Not placed yet: look for the original passage again.
            placed = _anchor_of(row[8], row[9], row[10], row[11], row[12])
        sources.setdefault(comment_id, _Source(comment_id, placed_key or "", placed))
    return list(sources.values())


def carry_forward(session: Session, parent: Version, version: Version) -> CarryReport:
    """Re-anchor every comment of `parent` into `version` and store one placement per comment."""
    old_doc, new_doc = stored_document(session, parent), stored_document(session, version)
    # Through the compare cache: the compare page of the new version is then warm, and vice versa.
    changes = compare_versions(session, parent, version).changes
    old_texts = {c.key: c.text for c in old_doc.clauses}
    new_texts = {c.key: c.text for c in new_doc.clauses}
    moved_clauses = {k for c in changes if c.kind == "clause_moved" for k in c.new_keys}
    moved_sections = {c.section_key for c in changes if c.kind == "section_moved"}
    new_section_of = {c.key: s.key for s in new_doc.sections for c in s.clauses}
    merged_into = {k: c.new_keys[0] for c in changes if c.kind == "clause_merged" for k in c.old_keys}
    split_into = {c.old_keys[0]: c.new_keys for c in changes if c.kind == "clause_split"}

    def targets(key: str) -> list[tuple[str, bool]]:
        if key in split_into:
            parts = split_into[key]
            kept = key if key in parts else parts[0]
            return [(kept, kept in moved_clauses)] + [(p, True) for p in parts if p != kept]
        if key in new_texts:
            return [(key, key in moved_clauses or new_section_of[key] in moved_sections)]
        if key in merged_into:
            return [(merged_into[key], True)]
        return []

    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for source in _carried_sources(session, parent):
        old_text = old_texts.get(source.clause_key)
        best_key, best = None, None
        for new_key, moved in targets(source.clause_key):
            if old_text is None:
                break
            result = reanchor(source.anchor, old_text, new_texts[new_key], moved=moved)
            better = best is None or (
                (result.status != "needs_review", result.confidence)
                > (best.status != "needs_review", best.confidence)
            )
            if better:
                best_key, best = new_key, result
        if best is None:
            status, confidence, anchor, best_key = PlacementStatus.ORPHANED.value, 0.0, None, None
        else:
            status, confidence, anchor = best.status, best.confidence, best.anchor
        counts[status] += 1
        rows.append(
            {
                "comment_id": source.comment_id,
                "version_id": version.id,
                "clause_key": best_key,
                "status": status,
                "confidence": confidence,
                "quote_exact": anchor.exact if anchor else None,
                "quote_prefix": anchor.prefix[-64:] if anchor else None,
                "quote_suffix": anchor.suffix[:64] if anchor else None,
                "quote_start": anchor.start if anchor else None,
                "quote_end": anchor.end if anchor else None,
            }
        )
    if rows:
        # Core executemany on the table: one batched statement. (The ORM's bulk insert splits the batch
        # wherever the pattern of None values changes, i.e. between passage and whole-clause comments.)
        session.execute(insert(cast(Table, CommentPlacement.__table__)), rows)
    session.flush()
    return CarryReport(total=len(rows), by_status=dict(counts))
