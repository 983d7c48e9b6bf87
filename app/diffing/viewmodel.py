"""What a compare page (or a redline PDF) shows, built from two Documents and the engine's changes.

Pure: no Flask, no database, no translations. The words for each kind of change and the description of each
change are made at render time by `app.diffing.presenters`, so one cached view serves every locale.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from app.diffing.engine import CHANGE_KINDS, Change, WordOp, summarise, word_diff
from app.drafts.parsing import Document


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


def _kind_name(kind: str) -> str:
    return kind


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

    def kind_rows(self, label: Callable[[str], str] = _kind_name) -> list[SummaryRow]:
        """Counts by kind, only the kinds that occur; `label` names each kind (the presenter translates)."""
        return [SummaryRow(kind, label(kind), count, anchor) for kind, count, anchor in self.by_kind if count]

    def section_rows(self, label: Callable[[str], str] = _kind_name) -> list[SummaryRow]:
        """Counts by section, each with its kinds named by `label`."""
        return [
            SummaryRow(
                key,
                f"{number}. {heading}",
                sum(n for _kind, n in counts),
                f"compare-section-{key}",
                tuple((label(kind), n) for kind, n in counts),
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
    old_id: int, new_id: int, old: Document, new: Document, changes: Sequence[Change]
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
        old_id=old_id,
        new_id=new_id,
        changes=tuple(changes),
        sections=sections,
        total=summary["total"],
        by_kind=by_kind,
        by_section=by_section,
    )
