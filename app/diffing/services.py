"""Compare stored versions, carry comments forward into a new version, and follow a comment through versions.

The pure work (compare, re-anchor) is in engine.py and anchoring.py; this module loads what they need from
the database, caches what versions (immutable) make cacheable, and stores the results.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.diffing.anchoring import Anchor, locate_quote, make_anchor, reanchor
from app.diffing.engine import CHANGE_KINDS, Change, WordOp, compare, summarise, word_diff
from app.drafts.parsing import Clause as ParsedClause
from app.drafts.parsing import Document
from app.drafts.parsing import Section as ParsedSection
from app.models import Clause, Comment, CommentPlacement, PlacementStatus, Section, Version, audit

# Words for each kind of change, shown beside every change and in the summary.
KIND_LABELS: dict[str, Any] = {
    "section_added": _l("Section added"),
    "section_removed": _l("Section removed"),
    "section_renamed": _l("Section renamed"),
    "section_moved": _l("Section moved"),
    "clause_added": _l("Clause added"),
    "clause_removed": _l("Clause removed"),
    "clause_moved": _l("Clause moved"),
    "clause_reworded": _l("Clause reworded"),
    "clause_split": _l("Clause split"),
    "clause_merged": _l("Clauses merged"),
}
STATUS_LABELS: dict[str, Any] = {
    PlacementStatus.ORIGINAL.value: _l("original"),
    PlacementStatus.UNCHANGED.value: _l("unchanged"),
    PlacementStatus.MOVED.value: _l("moved"),
    PlacementStatus.TEXT_CHANGED.value: _l("text changed"),
    PlacementStatus.ORPHANED.value: _l("text removed"),
    PlacementStatus.NEEDS_REVIEW.value: _l("being checked"),
}
CACHE_SIZE = 64
REDIS_PREFIX = "korero:diff:v1:"
REDIS_TTL = 30 * 24 * 3600


# --- stored versions as Documents -----------------------------------------------------------------


def stored_document(session: Session, version: Version) -> Document:
    """Rebuild a version's Document from its stored rows: exactly the keys that comments refer to."""
    rows = session.execute(
        select(
            Section.key,
            Section.heading,
            Section.number,
            Clause.key,
            Clause.number,
            Clause.markdown,
            Clause.text,
        )
        .join(Clause, Clause.section_id == Section.id)
        .where(Section.version_id == version.id)
        .order_by(Section.position, Clause.position)
    ).all()
    sections: list[ParsedSection] = []
    current: tuple[str, str, str] | None = None
    clauses: list[ParsedClause] = []
    for s_key, heading, s_number, c_key, c_number, markdown, text in rows:
        if current is None or current[0] != s_key:
            if current is not None:
                sections.append(ParsedSection(current[0], current[1], tuple(clauses), current[2]))
            current, clauses = (s_key, heading, s_number), []
        clauses.append(ParsedClause(key=c_key, number=c_number, markdown=markdown, text=text))
    if current is not None:
        sections.append(ParsedSection(current[0], current[1], tuple(clauses), current[2]))
    return Document(
        title=version.policy.title,
        version=version.label,
        status=version.status,
        sections=tuple(sections),
        content_hash=version.content_hash,
    )


# --- the compare view model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of text in a redline: kept, inserted or deleted."""

    op: str
    text: str


@dataclass(frozen=True)
class RedlineItem:
    """One place in the redline: a change (or several at one place), or an unchanged clause for context."""

    anchor: str
    section_key: str
    kinds: tuple[str, ...]
    old_keys: tuple[str, ...] = ()
    new_keys: tuple[str, ...] = ()
    old_number: str | None = None
    new_number: str | None = None
    is_section: bool = False
    inline: tuple[Segment, ...] = ()
    old_side: tuple[Segment, ...] = ()
    new_side: tuple[Segment, ...] = ()
    # Facts the description is made from: numbers of parts, the old section, headings.
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.kinds)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.new_keys + self.old_keys))

    def labels(self) -> list[str]:
        """The kinds of change at this place, in words."""
        return [str(KIND_LABELS[kind]) for kind in self.kinds]

    def describe(self) -> str:
        """Say in words what happened here (the redline's non-colour cue)."""
        facts, parts = self.facts, []
        for kind in self.kinds:
            if kind == "clause_moved":
                parts.append(
                    _("Moved from clause %(old)s (section %(section)s) to clause %(new)s.", **facts)
                    if facts.get("section")
                    else _("Moved from clause %(old)s to clause %(new)s.", **facts)
                )
            elif kind == "clause_split":
                parts.append(_("Clause %(old)s was split into clauses %(parts)s.", **facts))
            elif kind == "clause_merged":
                parts.append(_("Clauses %(parts)s were merged into clause %(new)s.", **facts))
            elif kind == "section_renamed":
                parts.append(_("Renamed from “%(old_heading)s” to “%(new_heading)s”.", **facts))
            elif kind == "section_moved":
                parts.append(_("Moved from section %(old)s to section %(new)s.", **facts))
            elif kind == "clause_added":
                parts.append(_("Clause %(new)s is new.", **facts))
            elif kind == "clause_removed":
                parts.append(_("Clause %(old)s was removed.", **facts))
            elif kind == "section_added":
                parts.append(_("Section %(new)s is new.", **facts))
            elif kind == "section_removed":
                parts.append(_("Section %(old)s was removed.", **facts))
            elif kind == "clause_reworded":
                parts.append(_("Reworded.") if not facts.get("format_only") else _("Formatting changed."))
        return " ".join(parts)


@dataclass(frozen=True)
class RedlineSection:
    """A section of the redline, with its items in document order."""

    key: str
    number: str
    heading: str
    items: tuple[RedlineItem, ...]

    @property
    def anchor(self) -> str:
        return f"compare-section-{self.key}"

    @property
    def change_count(self) -> int:
        return sum(1 for item in self.items if item.changed)


@dataclass(frozen=True)
class SummaryRow:
    """Counts for one kind of change or one section, and where to jump to."""

    key: str
    label: str
    count: int
    anchor: str
    detail: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CompareView:
    """Everything a compare page (or a redline PDF) shows, independent of the request and the locale."""

    old_id: int
    new_id: int
    changes: tuple[Change, ...]
    sections: tuple[RedlineSection, ...]
    total: int
    by_kind: tuple[tuple[str, int, str], ...]  # (kind, count, anchor of the first)
    by_section: tuple[tuple[str, str, str, tuple[tuple[str, int], ...]], ...]  # key, number, heading, counts

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    def kind_rows(self) -> list[SummaryRow]:
        """Counts by kind, in words, only the kinds that occur."""
        return [
            SummaryRow(kind, str(KIND_LABELS[kind]), count, anchor)
            for kind, count, anchor in self.by_kind
            if count
        ]

    def section_rows(self) -> list[SummaryRow]:
        """Counts by section, each with its kinds in words."""
        return [
            SummaryRow(
                key,
                f"{number}. {heading}",
                sum(n for _kind, n in counts),
                f"compare-section-{key}",
                tuple((str(KIND_LABELS[kind]), n) for kind, n in counts),
            )
            for key, number, heading, counts in self.by_section
        ]


def _same_place(first: Change, following: Change) -> bool:
    """Whether two consecutive changes concern one thing (moved and reworded, renamed and moved)."""
    if first.kind.startswith("section_") != following.kind.startswith("section_"):
        return False
    if first.kind.startswith("section_"):
        return first.section_key == following.section_key and "section_removed" not in (
            first.kind,
            following.kind,
        )
    return bool(following.new_keys) and following.new_keys[:1] == first.new_keys[:1]


def _segments(ops: Iterable[WordOp]) -> tuple[tuple[Segment, ...], tuple[Segment, ...], tuple[Segment, ...]]:
    inline = tuple(Segment(op.op, op.text) for op in ops if op.text)
    old_side = tuple(s for s in inline if s.op != "insert")
    new_side = tuple(s for s in inline if s.op != "delete")
    return inline, old_side, new_side


def _whole(op: str, text: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...], tuple[Segment, ...]]:
    segment = (Segment(op, text),)
    return segment, (segment if op != "insert" else ()), (segment if op != "delete" else ())


class _ViewBuilder:
    """Lay the changes out along the new version, with unchanged clauses in between for context."""

    def __init__(self, old: Document, new: Document, changes: Sequence[Change]) -> None:
        self.old, self.new, self.changes = old, new, changes
        self.old_clauses = {c.key: c for c in old.clauses}
        self.new_clauses = {c.key: c for c in new.clauses}
        self.old_sections = {s.key: s for s in old.sections}
        self.new_sections = {s.key: s for s in new.sections}
        self.clause_section = {c.key: s.key for s in new.sections for c in s.clauses}
        self.old_clause_section = {c.key: s.key for s in old.sections for c in s.clauses}
        self.new_order = [c.key for c in new.clauses]
        self.new_position = {key: i for i, key in enumerate(self.new_order)}
        self.old_order = [c.key for c in old.clauses]
        self.old_position = {key: i for i, key in enumerate(self.old_order)}
        self.anchors: set[str] = set()
        self.pointer = 0
        self.emitted: set[str] = set()
        self.items: list[RedlineItem] = []
        self.counter = 0

    def build(self) -> tuple[RedlineSection, ...]:
        index = 0
        while index < len(self.changes):
            change = self.changes[index]
            group = [change]
            # A clause that moved and was reworded (or moved and split/merged) is one place in the redline.
            while index + 1 < len(self.changes) and _same_place(change, self.changes[index + 1]):
                index += 1
                group.append(self.changes[index])
            self._emit_change(group)
            index += 1
        self._emit_context_until(len(self.new_order))
        return self._sections()

    def _next_anchor(self) -> str:
        self.counter += 1
        return f"change-{self.counter}"

    def _emit_context_until(self, stop: int) -> None:
        while self.pointer < stop:
            key = self.new_order[self.pointer]
            self.pointer += 1
            if key in self.emitted:
                continue
            self.emitted.add(key)
            clause = self.new_clauses[key]
            inline, old_side, new_side = _whole("equal", clause.text)
            self.items.append(
                RedlineItem(
                    anchor=self._unique(f"diff-{key}"),
                    section_key=self.clause_section[key],
                    kinds=(),
                    old_keys=(key,) if key in self.old_clauses else (),
                    new_keys=(key,),
                    old_number=self.old_clauses[key].number if key in self.old_clauses else None,
                    new_number=clause.number,
                    inline=inline,
                    old_side=old_side,
                    new_side=new_side,
                )
            )

    def _advance_to(self, key: str) -> None:
        """Emit the unchanged clauses that come before `key` in the new version."""
        position = self.new_position.get(key)
        if position is not None and position >= self.pointer:
            self._emit_context_until(position)

    def _advance_past_survivor_before(self, old_key: str) -> None:
        """Place a removal just after the last clause that precedes it in the old version and survives."""
        index = self.old_position.get(old_key, 0)
        for key in reversed(self.old_order[:index]):
            position = self.new_position.get(key)
            if position is not None:
                if position + 1 > self.pointer:
                    self._emit_context_until(position + 1)
                return

    def _unique(self, anchor: str) -> str:
        if anchor in self.anchors:
            anchor = self._next_anchor()
        self.anchors.add(anchor)
        return anchor

    def _emit_change(self, group: list[Change]) -> None:
        first = group[0]
        kinds = tuple(c.kind for c in group)
        if first.kind.startswith("section_"):
            self._emit_section_change(group)
            return
        new_keys = tuple(dict.fromkeys(k for c in group for k in c.new_keys))
        old_keys = tuple(dict.fromkeys(k for c in group for k in c.old_keys))
        if new_keys:
            self._advance_to(new_keys[0])
        else:
            self._advance_past_survivor_before(old_keys[0])
        self.emitted.update(new_keys)
        facts: dict[str, str] = {
            "old": first.old_number or "",
            "new": first.new_number or "",
        }
        words = next((c.words for c in group if c.words), ())
        if "clause_added" in kinds:
            segments = _whole("insert", self.new_clauses[new_keys[0]].text)
        elif "clause_removed" in kinds:
            segments = _whole("delete", self.old_clauses[old_keys[0]].text)
        elif words:
            segments = _segments(words)
            facts["format_only"] = "1" if all(op.op == "equal" for op in words) else ""
        else:
            segments = _whole("equal", self.new_clauses[new_keys[0]].text)
        if "clause_moved" in kinds and first.old_section_key and first.old_section_key != first.section_key:
            old_section = self.old_sections.get(first.old_section_key)
            facts["section"] = f"{old_section.number}. {old_section.heading}" if old_section else ""
        if "clause_split" in kinds:
            split = next(c for c in group if c.kind == "clause_split")
            facts["old"] = self.old_clauses[split.old_keys[0]].number
            facts["parts"] = ", ".join(self.new_clauses[k].number for k in split.new_keys)
        if "clause_merged" in kinds:
            merged = next(c for c in group if c.kind == "clause_merged")
            facts["parts"] = ", ".join(self.old_clauses[k].number for k in merged.old_keys)
            facts["new"] = self.new_clauses[merged.new_keys[0]].number
        anchor = self._unique(f"diff-{(new_keys or old_keys)[0]}")
        self.items.append(
            RedlineItem(
                anchor=anchor,
                section_key=first.section_key,
                kinds=kinds,
                old_keys=old_keys,
                new_keys=new_keys,
                old_number=first.old_number,
                new_number=first.new_number,
                inline=segments[0],
                old_side=segments[1],
                new_side=segments[2],
                facts=facts,
            )
        )

    def _emit_section_change(self, group: list[Change]) -> None:
        change = group[0]
        kinds = tuple(c.kind for c in group)
        key = change.section_key
        if change.kind != "section_removed":
            section = self.new_sections[key]
            if section.clauses:
                self._advance_to(section.clauses[0].key)
        elif key in self.old_sections and self.old_sections[key].clauses:
            self._advance_past_survivor_before(self.old_sections[key].clauses[0].key)
        old_heading = change.old_heading or ""
        new_heading = change.new_heading or ""
        if "section_renamed" in kinds:
            segments = _segments(word_diff(old_heading, new_heading))
        elif change.kind == "section_added":
            segments = _whole("insert", new_heading)
        elif change.kind == "section_removed":
            segments = _whole("delete", old_heading)
        else:
            segments = _whole("equal", new_heading)
        self.items.append(
            RedlineItem(
                anchor=self._unique(f"diff-section-{key}"),
                section_key=key,
                old_keys=change.old_keys,
                new_keys=change.new_keys,
                old_number=change.old_number,
                new_number=change.new_number,
                kinds=kinds,
                is_section=True,
                inline=segments[0],
                old_side=segments[1],
                new_side=segments[2],
                facts={
                    "old": change.old_number or "",
                    "new": change.new_number or "",
                    "old_heading": old_heading,
                    "new_heading": new_heading,
                },
            )
        )

    def _sections(self) -> tuple[RedlineSection, ...]:
        out: list[RedlineSection] = []
        current: list[RedlineItem] = []
        current_key: str | None = None
        for item in self.items:
            if item.section_key != current_key and current:
                out.append(self._section(current_key or "", current))
                current = []
            current_key = item.section_key
            current.append(item)
        if current:
            out.append(self._section(current_key or "", current))
        # Two runs of one section (a removal placed after a moved section) share an anchor: keep ids unique.
        seen: Counter[str] = Counter()
        unique: list[RedlineSection] = []
        for run in out:
            seen[run.key] += 1
            if seen[run.key] > 1:
                run = RedlineSection(f"{run.key}--{seen[run.key]}", run.number, run.heading, run.items)  # noqa: PLW2901 - a renamed copy
            unique.append(run)
        return tuple(unique)

    def _section(self, key: str, items: list[RedlineItem]) -> RedlineSection:
        section = self.new_sections.get(key) or self.old_sections.get(key)
        number = section.number if section else ""
        heading = section.heading if section else key
        return RedlineSection(key, number, heading, tuple(items))


def build_view(
    old_version: Version, new_version: Version, old: Document, new: Document, changes: Sequence[Change]
) -> CompareView:
    """Build the compare page's view model from two Documents and their changes."""
    sections = _ViewBuilder(old, new, changes).build()
    summary = summarise(changes)
    first_anchor: dict[str, str] = {}
    for section in sections:
        for item in section.items:
            for kind in item.kinds:
                first_anchor.setdefault(kind, item.anchor)
    by_kind = tuple((kind, summary["by_kind"][kind], first_anchor.get(kind, "")) for kind in CHANGE_KINDS)
    headings = {s.key: (s.number, s.heading) for s in old.sections}
    headings.update({s.key: (s.number, s.heading) for s in new.sections})
    by_section = tuple(
        (
            key,
            headings.get(key, ("", key))[0],
            headings.get(key, ("", key))[1],
            tuple((kind, counts[kind]) for kind in CHANGE_KINDS if counts.get(kind)),
        )
        for key, counts in summary["by_section"].items()
    )
    return CompareView(
        old_id=old_version.id,
        new_id=new_version.id,
        changes=tuple(changes),
        sections=sections,
        total=summary["total"],
        by_kind=by_kind,
        by_section=by_section,
    )


# --- caching --------------------------------------------------------------------------------------


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[tuple[Any, ...], CompareView] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> CompareView | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: CompareView) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


_cache = _LRU(CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached comparison (tests and benchmarks)."""
    _cache.clear()


def _cache_key(old: Version, new: Version) -> tuple[Any, ...]:
    # Content hashes make a changed working version a new entry; ids keep keys inherited per chain apart.
    return (old.id, old.content_hash, new.id, new.content_hash)


def _changes_to_json(changes: Sequence[Change]) -> str:
    return json.dumps(
        [
            {
                "kind": c.kind,
                "old_keys": c.old_keys,
                "new_keys": c.new_keys,
                "section_key": c.section_key,
                "old_section_key": c.old_section_key,
                "old_heading": c.old_heading,
                "new_heading": c.new_heading,
                "old_number": c.old_number,
                "new_number": c.new_number,
                "words": [[op.op, op.text] for op in c.words],
            }
            for c in changes
        ]
    )


def _changes_from_json(data: str) -> list[Change]:
    return [
        Change(
            kind=item["kind"],
            old_keys=tuple(item["old_keys"]),
            new_keys=tuple(item["new_keys"]),
            section_key=item["section_key"],
            old_section_key=item["old_section_key"],
            old_heading=item["old_heading"],
            new_heading=item["new_heading"],
            old_number=item["old_number"],
            new_number=item["new_number"],
            words=tuple(WordOp(op, text) for op, text in item["words"]),
        )
        for item in json.loads(data)
    ]


def _redis(redis_url: str | None) -> Any:
    if not redis_url:
        return None
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)


def redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.RedisError, OSError)


def _shared_changes(redis_url: str | None, key: tuple[Any, ...]) -> list[Change] | None:
    client = _redis(redis_url)
    if client is None:
        return None
    try:
        data = client.get(REDIS_PREFIX + ":".join(map(str, key)))
    except redis_errors():  # a cache that is down must not break the page
        return None
    return _changes_from_json(data.decode()) if data else None


def _share_changes(redis_url: str | None, key: tuple[Any, ...], changes: Sequence[Change]) -> None:
    client = _redis(redis_url)
    if client is None:
        return
    # A cache that is down must not break the page.
    with contextlib.suppress(*redis_errors()):
        client.set(REDIS_PREFIX + ":".join(map(str, key)), _changes_to_json(changes), ex=REDIS_TTL)


def compare_versions(
    session: Session, old: Version, new: Version, redis_url: str | None = None
) -> CompareView:
    """Compare two stored versions (either order); cached by their content, since versions are immutable."""
    key = _cache_key(old, new)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    old_doc, new_doc = stored_document(session, old), stored_document(session, new)
    changes = _shared_changes(redis_url, key)
    if changes is None:
        changes = [] if old.id == new.id else compare(old_doc, new_doc)
        _share_changes(redis_url, key, changes)
    view = build_view(old, new, old_doc, new_doc, changes)
    _cache.put(key, view)
    return view


def policy_versions(session: Session, policy_id: int, include_working: bool = False) -> list[Version]:
    """A policy's versions, oldest first (queried, so a long-lived session never sees a stale list)."""
    query = select(Version).where(Version.policy_id == policy_id).order_by(Version.position)
    if not include_working:
        query = query.where(Version.status != "working")
    return list(session.scalars(query))


def previous_public(session: Session, version: Version) -> Version | None:
    """The public version just before `version` in its policy's chain."""
    return session.scalar(
        select(Version)
        .where(
            Version.policy_id == version.policy_id,
            Version.status != "working",
            Version.position < version.position,
        )
        .order_by(Version.position.desc())
        .limit(1)
    )


# --- carry-forward ----------------------------------------------------------------------------------


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
    for comment_id, key, *quote in made:
        sources[comment_id] = _Source(comment_id, key, _anchor_of(*quote))
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
    for comment_id, key, status, *quotes in carried:
        placed = _anchor_of(*quotes[:5])
        if placed is None and status == PlacementStatus.NEEDS_REVIEW.value:
            placed = _anchor_of(*quotes[5:])  # not placed yet: look for the original passage again
        sources.setdefault(comment_id, _Source(comment_id, key, placed))
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
        session.execute(insert(CommentPlacement.__table__), rows)
    session.flush()
    return CarryReport(total=len(rows), by_status=dict(counts))


# --- following a comment through versions -----------------------------------------------------------


@dataclass(frozen=True)
class PlacementStep:
    """Where a comment sits in one version, and what happened to its text there."""

    version: Version
    status: str
    clause_key: str | None
    clause_number: str | None
    quote: str | None
    confidence: float
    previous: Version | None  # the version before this step: the diff to look at
    confirmed: bool = False

    @property
    def label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def diff_anchor(self) -> str | None:
        return f"diff-{self.clause_key}" if self.clause_key else None


def placement_history(session: Session, comment: Comment) -> list[PlacementStep]:
    """A comment's place in the version it was made on, then in every later version it was carried into."""
    rows = session.execute(
        select(CommentPlacement, Version)
        .join(Version, Version.id == CommentPlacement.version_id)
        .where(CommentPlacement.comment_id == comment.id, Version.status != "working")
        .order_by(Version.position)
    ).all()
    wanted = {(comment.version_id, comment.clause.key)} | {
        (p.version_id, p.clause_key) for p, _v in rows if p.clause_key
    }
    numbers = {
        (version_id, key): number
        for version_id, key, number in session.execute(
            select(Clause.version_id, Clause.key, Clause.number).where(
                Clause.version_id.in_({v for v, _k in wanted}), Clause.key.in_({k for _v, k in wanted})
            )
        )
    }
    steps = [
        PlacementStep(
            version=comment.version,
            status=PlacementStatus.ORIGINAL.value,
            clause_key=comment.clause.key,
            clause_number=numbers.get((comment.version_id, comment.clause.key)),
            quote=comment.quote_exact,
            confidence=1.0,
            previous=None,
        )
    ]
    for placement, version in rows:
        steps.append(
            PlacementStep(
                version=version,
                status=placement.status,
                clause_key=placement.clause_key,
                clause_number=numbers.get((version.id, placement.clause_key))
                if placement.clause_key
                else None,
                quote=placement.quote_exact,
                confidence=placement.confidence,
                previous=steps[-1].version,
                confirmed=placement.confirmed_by_id is not None,
            )
        )
    return steps


@dataclass(frozen=True)
class CarriedComment:
    """A comment made on an earlier version, as it shows under a clause of a later one."""

    comment: Comment
    status: str
    quote: str | None
    previous: Version | None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


def carried_comments(
    session: Session, version: Version, clause_keys: list[str] | None = None
) -> dict[str, list[CarriedComment]]:
    """Published comments carried into `version` (optionally onto some clauses), by clause key."""
    query = (
        select(CommentPlacement, Comment)
        .join(Comment, Comment.id == CommentPlacement.comment_id)
        .where(
            CommentPlacement.version_id == version.id,
            CommentPlacement.clause_key.is_not(None),
            Comment.state == "published",
        )
        .order_by(Comment.id)
    )
    if clause_keys is not None:
        query = query.where(CommentPlacement.clause_key.in_(clause_keys))
    rows = session.execute(query).all()
    previous = previous_public(session, version)
    out: dict[str, list[CarriedComment]] = {}
    for placement, comment in rows:
        out.setdefault(placement.clause_key or "", []).append(
            CarriedComment(comment, placement.status, placement.quote_exact, previous)
        )
    return out


# --- drafters confirm or re-place uncertain placements --------------------------------------------------


class PlacementError(ValueError):
    """A re-placement that cannot be done; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReviewItem:
    """A placement that re-anchoring was not sure of, with what a drafter needs to decide."""

    placement: CommentPlacement
    comment: Comment
    original_clause: Clause
    clause_text: str | None  # the clause it was on, in this version (if it is still there)


def placements_to_review(session: Session, version: Version) -> list[ReviewItem]:
    """Placements in `version` that need a drafter: re-anchoring could not place them with confidence."""
    rows = session.execute(
        select(CommentPlacement, Comment, Clause)
        .join(Comment, Comment.id == CommentPlacement.comment_id)
        .join(Clause, Clause.id == Comment.clause_id)
        .where(
            CommentPlacement.version_id == version.id,
            CommentPlacement.status == PlacementStatus.NEEDS_REVIEW.value,
            CommentPlacement.confirmed_by_id.is_(None),
        )
        .order_by(CommentPlacement.id)
    ).all()
    texts = dict(
        session.execute(select(Clause.key, Clause.text).where(Clause.version_id == version.id)).all()
    )
    return [
        ReviewItem(placement, comment, clause, texts.get(placement.clause_key or ""))
        for placement, comment, clause in rows
    ]


def replace_comment(
    session: Session,
    placement: CommentPlacement,
    actor: Any,
    clause_key: str | None,
    quote: str,
) -> CommentPlacement:
    """Confirm or re-place a comment in a version by hand: a clause (and passage), or "the text was removed"."""
    if clause_key is None:
        placement.clause_key = None
        placement.status = PlacementStatus.ORPHANED.value
        placement.quote_exact = placement.quote_prefix = placement.quote_suffix = None
        placement.quote_start = placement.quote_end = None
    else:
        text = session.scalar(
            select(Clause.text).where(Clause.version_id == placement.version_id, Clause.key == clause_key)
        )
        if text is None:
            raise PlacementError("Choose a clause of this version.")
        quote = " ".join((quote or "").split())
        anchor = None
        if quote:
            anchor = locate_quote(text, quote) or _locate_squashed(text, quote)
            if anchor is None:
                raise PlacementError(
                    "That passage is not in the clause you chose. Copy it exactly, or leave it empty."
                )
        comment = session.get(Comment, placement.comment_id)
        original = comment.quote_exact if comment is not None else None
        same_text = anchor is not None and original is not None and " ".join(original.split()) == quote
        if anchor is None and original is None:
            same_text = True  # a comment on the whole clause stays one
        previous_key = _previous_key(session, placement)
        if not same_text:
            status = PlacementStatus.TEXT_CHANGED.value
        elif previous_key != clause_key:
            status = PlacementStatus.MOVED.value
        else:
            status = PlacementStatus.UNCHANGED.value
        placement.clause_key = clause_key
        placement.status = status
        placement.quote_exact = anchor.exact if anchor else None
        placement.quote_prefix = anchor.prefix[-64:] if anchor else None
        placement.quote_suffix = anchor.suffix[:64] if anchor else None
        placement.quote_start = anchor.start if anchor else None
        placement.quote_end = anchor.end if anchor else None
    placement.confidence = 1.0
    placement.confirmed_by_id = actor.id
    audit(
        session,
        actor,
        "placement.confirm",
        "comment",
        placement.comment_id,
        version=placement.version_id,
        clause=placement.clause_key,
        status=placement.status,
    )
    session.flush()
    return placement


def _locate_squashed(text: str, quote: str) -> Anchor | None:
    """Find a quote typed with different spacing (line breaks, double spaces) in the clause text."""
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text)
    return make_anchor(text, match.start(), match.end()) if match else None


def _previous_key(session: Session, placement: CommentPlacement) -> str | None:
    """The clause key the comment had in the version before this placement's."""
    version = session.get(Version, placement.version_id)
    comment = session.get(Comment, placement.comment_id)
    if version is None or comment is None:
        return None
    earlier = session.scalar(
        select(CommentPlacement.clause_key)
        .join(Version, Version.id == CommentPlacement.version_id)
        .where(CommentPlacement.comment_id == comment.id, Version.position < version.position)
        .order_by(Version.position.desc())
        .limit(1)
    )
    return earlier if earlier is not None else comment.clause.key
