"""Compare two parsed versions of a policy: section and clause changes with word-level diffs.

Pure domain code: no Flask, no database.

How a comparison reads (the decisions behind it):

- Identity comes from keys only. A section or clause with the same key in both versions is the same thing,
  however it was reworded, renumbered or moved.
- Sections: `section_added` / `section_removed` by key; `section_renamed` when the heading differs;
  `section_moved` when the section's place among the sections both versions share changed. The unmoved
  sections are a longest increasing subsequence of old positions taken in new order, so inserting or
  removing a section does not report every later one as moved.
- A section that is added or removed is reported as such *and* each of its clauses as `clause_added` /
  `clause_removed` (unless a clause moved in or out of it, which is `clause_moved`), so a per-clause consumer
  (comment carry-forward, counts by section) never has to expand section changes itself.
- Clauses: `clause_moved` when the clause's section changed, or when its place among the clauses its section
  shares with the other version changed (the same longest-increasing-subsequence rule). `clause_reworded`
  when its Markdown differs in more than whitespace; `words` diffs the plain text, so a change of
  formatting alone (emphasis, a link, a code span: non-whitespace characters of the Markdown) shows as a
  rewording whose words are all equal. A whitespace-only change (a double space, a line reflowed) is not
  reported at all: the Markdown is the same once each run of whitespace is one space, and so is the plain
  text once each run of spaces and tabs is one space (a hard line break, which a reader sees, still counts).
- A clause that is both moved and reworded gives two changes, `clause_moved` then `clause_reworded`, at the
  same place: each kind keeps one meaning, and counts by kind stay honest.
- Split: an old clause keeps its key on one part and new keys appear for the others. A new clause whose words
  mostly come from a reworded clause's old text, and which restores old words the kept part lost, is part of
  a split of it: one `clause_split` with `old_keys=(kept,)`, `new_keys` the parts in new order and `words`
  diffing the old text against the parts joined by newlines. Merge is the mirror image: `clause_merged`,
  `old_keys` the parts in old order, `new_keys=(kept,)`. The parts are not also reported as added/removed and
  the kept clause not also as reworded; a move of the kept clause is still reported.
- Changes come in the new version's document order: a section's own changes before its clauses', removals
  just after the last surviving thing that preceded them in the old version.
- Everything is symmetric: `compare(b, a)` mirrors `compare(a, b)` (added/removed, split/merged swap; moved,
  renamed and reworded stay, with inserts and deletes swapped in `words`). Word diffs and similarity
  measures are computed in one canonical direction and mirrored, and ties are broken by key, to keep it so.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict

from diff_match_patch import diff_match_patch

from app.drafts.parsing import Clause, Document

ChangeKind = Literal[
    "section_added",
    "section_removed",
    "section_renamed",
    "section_moved",
    "clause_added",
    "clause_removed",
    "clause_moved",
    "clause_reworded",
    "clause_split",
    "clause_merged",
]
# Also the order of changes that share one place in the document.
CHANGE_KINDS: tuple[ChangeKind, ...] = (
    "section_removed",
    "section_added",
    "section_renamed",
    "section_moved",
    "clause_removed",
    "clause_added",
    "clause_moved",
    "clause_split",
    "clause_merged",
    "clause_reworded",
)
WordOpKind = Literal["equal", "insert", "delete"]

# Words, runs of whitespace, and single other characters: joined, the tokens rebuild the text exactly.
TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")
WORD_RE = re.compile(r"\w+")
# Diffs of texts longer than this many tokens (both sides together) are cut at unique runs (see diff_chars).
LONG_DIFF = 2000
# ... and so are the stretches between those runs, while they are longer than this.
STRETCH_DIFF = 200
# Tokens in a run that anchors a long diff: three words and the spaces between them.
ANCHOR_RUN = 5
# A new clause is a part of a split (an old clause a part of a merge) when at least this share of its words
# are found, in order, in the other clause.
PART_CONTAINMENT = 0.6
# ... and the parts together must cover at least this share of the words of the clause split (merged) ...
PART_COVERAGE = 0.75
# ... and restore at least this share of their own words that the kept part alone did not account for.
PART_GAIN = 0.5
# Where one lost word is shared by many reworded clauses (a document that repeats itself), only this many of
# them either side of a candidate part, in its document's order, are weighed as its whole.
PART_NEAREST = 8

_OPS: dict[int, WordOpKind] = {
    diff_match_patch.DIFF_EQUAL: "equal",
    diff_match_patch.DIFF_INSERT: "insert",
    diff_match_patch.DIFF_DELETE: "delete",
}
_MIRROR: dict[WordOpKind, WordOpKind] = {"equal": "equal", "insert": "delete", "delete": "insert"}
_SURROGATES = range(0xD800, 0xE000)
_MAX_CODE = 0x10FFFF


class WordOp(NamedTuple):
    """One step of a word-level diff: equal, insert or delete some text."""

    op: WordOpKind
    text: str


@dataclass(frozen=True)
class Change:
    """One item of a diff between two versions."""

    kind: ChangeKind
    old_keys: tuple[str, ...]
    new_keys: tuple[str, ...]
    # The section the change sits in: the new version's, or the old one's for removals.
    section_key: str
    # Where a clause was before (clause changes only); differs from section_key when it changed section.
    old_section_key: str | None = None
    # Section headings (section changes only).
    old_heading: str | None = None
    new_heading: str | None = None
    # Displayed numbers: the section's for section changes, the (kept) clause's for clause changes.
    old_number: str | None = None
    new_number: str | None = None
    # Word-level diff of the plain text (reworded, split, merged).
    words: tuple[WordOp, ...] = ()


class Summary(TypedDict):
    """Counts of changes: in all, by kind and by section key."""

    total: int
    by_kind: dict[str, int]
    by_section: dict[str, dict[str, int]]


def tokenize(text: str) -> list[str]:
    """Split text into words, whitespace runs and punctuation marks that rebuild it exactly."""
    return TOKEN_RE.findall(text)


class WordEncoder:
    """Map each distinct token to one character so diff_match_patch diffs words, not letters."""

    def __init__(self) -> None:
        """Start with no tokens known."""
        self.generation = 0
        self._reset()

    def _reset(self) -> None:
        self._codes: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        self._word_codes: set[str] = set()
        self._encoded: dict[str, str] = {}
        self._next = 1

    def encode(self, text: str) -> str:
        """Return the text with each token replaced by its character (cached per text)."""
        cached = self._encoded.get(text)
        if cached is not None:
            return cached
        codes = self._codes
        chars: list[str] = []
        for token in TOKEN_RE.findall(text):
            code = codes.get(token)
            if code is None:
                code = self._new_code(token)
            chars.append(code)
        encoded = "".join(chars)
        self._encoded[text] = encoded
        return encoded

    def decode(self, chars: str) -> str:
        """Turn encoded characters back into the text they stand for."""
        tokens = self._tokens
        return "".join([tokens[c] for c in chars])

    def is_word(self, char: str) -> bool:
        """Tell whether an encoded character stands for a word (not whitespace or punctuation)."""
        return char in self._word_codes

    def _new_code(self, token: str) -> str:
        number = self._next
        if number in _SURROGATES:
            number = _SURROGATES.stop
        if number > _MAX_CODE:
            # More distinct tokens than characters: start again (only pathological input gets here).
            self._reset()
            self.generation += 1
            raise _EncoderFullError
        self._next = number + 1
        code = chr(number)
        self._codes[token] = code
        self._tokens[code] = token
        if WORD_RE.fullmatch(token):
            self._word_codes.add(code)
        return code


class _EncoderFullError(Exception):
    """The encoder ran out of characters; the caller retries with a fresh one."""


def _new_dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    # No deadline: a diff must be minimal and the same every time, however long the clause.
    dmp.Diff_Timeout = 0
    return dmp


_dmp = _new_dmp()


def encoded_diff(encoder: WordEncoder, old_text: str, new_text: str) -> list[tuple[int, str]]:
    """Diff two texts token by token; the diff is returned in the encoder's characters."""
    try:
        old_chars, new_chars = encoder.encode(old_text), encoder.encode(new_text)
    except _EncoderFullError:
        old_chars, new_chars = encoder.encode(old_text), encoder.encode(new_text)
    return diff_chars(old_chars, new_chars)


def diff_chars(a: str, b: str) -> list[tuple[int, str]]:
    """Diff two encoded texts: diff_match_patch, cut at shared unique runs of tokens when they are long.

    diff_match_patch without a deadline is minimal but costs about (length × edits): a 16,000-word clause
    with a tenth of its words changed takes seconds. Past LONG_DIFF tokens the texts are cut, patience-diff
    style, at runs of ANCHOR_RUN tokens that occur exactly once in each side, in the same order in both (a
    longest increasing subsequence); the stretches between them are cut the same way, recursively, as long
    as they are longer than STRETCH_DIFF tokens (a run repeated in the whole text may be unique within a
    stretch), and diff_match_patch works only on the short stretches and on ones without such runs. The
    result is still an exact token-level diff (it rebuilds both texts), deterministic, and identical to
    diff_match_patch's for every text shorter than LONG_DIFF tokens.
    """
    if len(a) + len(b) <= LONG_DIFF:
        diffs: list[tuple[int, str]] = _dmp.diff_main(a, b, False)
        return diffs
    out: list[tuple[int, str]] = []
    _cut_diff(a, b, out)
    out = [(op, text) for op, text in out if text]
    _dmp.diff_cleanupMerge(out)
    return out


def _cut_diff(a: str, b: str, out: list[tuple[int, str]]) -> None:
    """Append the diff of a and b to `out`, cut at unique runs while the texts are long (see diff_chars)."""
    if len(a) + len(b) <= STRETCH_DIFF or not a or not b:
        if a or b:
            out.extend(_dmp.diff_main(a, b, False))
        return
    head: int = _dmp.diff_commonPrefix(a, b)
    tail: int = _dmp.diff_commonSuffix(a[head:], b[head:])
    a_mid, b_mid = a[head : len(a) - tail], b[head : len(b) - tail]
    if head:
        out.append((diff_match_patch.DIFF_EQUAL, a[:head]))
    anchors = _unique_runs(a_mid, b_mid) if a_mid and b_mid else []
    if not anchors:
        if a_mid or b_mid:
            out.extend(_dmp.diff_main(a_mid, b_mid, False))
    else:
        a_at = b_at = 0
        for a_start, b_start in anchors:
            _cut_diff(a_mid[a_at:a_start], b_mid[b_at:b_start], out)
            out.append((diff_match_patch.DIFF_EQUAL, a_mid[a_start : a_start + ANCHOR_RUN]))
            a_at, b_at = a_start + ANCHOR_RUN, b_start + ANCHOR_RUN
        _cut_diff(a_mid[a_at:], b_mid[b_at:], out)
    if tail:
        out.append((diff_match_patch.DIFF_EQUAL, a[len(a) - tail :]))


def _unique_runs(a: str, b: str) -> list[tuple[int, int]]:
    """Return (start in a, start in b) of runs found once in each, in order in both and not overlapping."""
    size = ANCHOR_RUN

    def once(text: str) -> dict[str, int]:
        seen: dict[str, int] = {}
        repeated: set[str] = set()
        for i in range(len(text) - size + 1):
            run = text[i : i + size]
            if run in seen:
                repeated.add(run)
            else:
                seen[run] = i
        for run in repeated:
            del seen[run]
        return seen

    in_a, in_b = once(a), once(b)
    pairs = sorted((i, in_b[run]) for run, i in in_a.items() if run in in_b)
    # Longest chain increasing in both (patience sorting), then drop runs that overlap the previous one.
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for n, (_i, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k] = j
            tail_at[k] = n
        back[n] = tail_at[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    n = tail_at[-1] if tail_at else -1
    while n != -1:
        chain.append(pairs[n])
        n = back[n]
    chain.reverse()
    kept: list[tuple[int, int]] = []
    for i, j in chain:
        if not kept or (i >= kept[-1][0] + size and j >= kept[-1][1] + size):
            kept.append((i, j))
    return kept


RawDiff = Callable[[str, str], list[tuple[int, str]]]


def word_diff(old_text: str, new_text: str, encoder: WordEncoder | None = None) -> tuple[WordOp, ...]:
    """Diff two texts word by word, cleaned up for reading (diff_cleanupSemantic)."""
    words = encoder or WordEncoder()
    return _word_ops(old_text, new_text, words, lambda a, b: encoded_diff(words, a, b))


def _word_ops(old_text: str, new_text: str, encoder: WordEncoder, raw: RawDiff) -> tuple[WordOp, ...]:
    """Diff in one canonical direction and mirror, so a diff backwards is the exact mirror image."""
    if old_text > new_text:
        return _mirror(_word_ops(new_text, old_text, encoder, raw))
    # Clean up on the encoded tokens, then decode: cleaned up as letters, diff_match_patch slides edits to
    # "better" boundaries inside words ("Whe(-re-)(+n+)"); as tokens every edit starts and ends on a token.
    encoded = list(raw(old_text, new_text))
    _dmp.diff_cleanupSemantic(encoded)
    diffs = [(op, encoder.decode(chars)) for op, chars in encoded]
    return _normalise([WordOp(_OPS[op], text) for op, text in diffs if text])


def _mirror(ops: Iterable[WordOp]) -> tuple[WordOp, ...]:
    return _normalise([WordOp(_MIRROR[op.op], op.text) for op in ops])


def _normalise(ops: list[WordOp]) -> tuple[WordOp, ...]:
    """Put deletions before insertions between two equalities, as diff_match_patch does."""
    out: list[WordOp] = []
    run: list[WordOp] = []
    for op in [*ops, WordOp("equal", "")]:
        if op.op != "equal":
            run.append(op)
            continue
        deleted = "".join(o.text for o in run if o.op == "delete")
        inserted = "".join(o.text for o in run if o.op == "insert")
        if deleted:
            out.append(WordOp("delete", deleted))
        if inserted:
            out.append(WordOp("insert", inserted))
        run = []
        if op.text:
            if out and out[-1].op == "equal":
                out[-1] = WordOp("equal", out[-1].text + op.text)
            else:
                out.append(op)
    return tuple(out)


def old_text_of(ops: Iterable[WordOp]) -> str:
    """Rebuild the old text from a word diff (equal and deleted parts)."""
    return "".join(op.text for op in ops if op.op != "insert")


def new_text_of(ops: Iterable[WordOp]) -> str:
    """Rebuild the new text from a word diff (equal and inserted parts)."""
    return "".join(op.text for op in ops if op.op != "delete")


# --- comparing ------------------------------------------------------------------------------------


class _Place(NamedTuple):
    section_index: int
    section_key: str
    clause_index: int  # within the section
    position: int  # within the document
    clause: Clause


# (section place, clause place, kind rank): tuples so removals can sit between two surviving things.
_Order = tuple[tuple[int, int, int], tuple[int, int, int], int]


class _Comparison:
    """One comparison's state: places of keys, a shared word encoder and similarity caches."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old, self.new = old, new
        self.encoder = WordEncoder()
        self._matched: dict[tuple[str, str, frozenset[int]], frozenset[int]] = {}
        self._words: dict[str, list[str]] = {}
        self._lost: dict[tuple[str, str], Counter[str]] = {}
        self._raw: dict[tuple[str, str, int], list[tuple[int, str]]] = {}
        self.old_sections = {s.key: i for i, s in enumerate(old.sections)}
        self.new_sections = {s.key: i for i, s in enumerate(new.sections)}
        self.old_places = _places(old)
        self.new_places = _places(new)
        self.changes: list[tuple[_Order, Change]] = []
        # How many (part, whole) pairs the search for splits and merges weighed: a measure of its work.
        self.pairs_measured = 0

    def run(self) -> list[Change]:
        self._compare_sections()
        moved, reworded = self._compare_common_clauses()
        added = [k for k in self.new_places if k not in self.old_places]
        removed = [k for k in self.old_places if k not in self.new_places]
        split_parts = self._find_splits(added, reworded)
        merge_parts = self._find_merges(removed, reworded)
        for key in reworded:
            if key not in split_parts and key not in merge_parts:
                self._clause_change("clause_reworded", key, words=self._words_for(key))
        for key in moved:
            self._clause_change("clause_moved", key)
        claimed = {k for parts in split_parts.values() for k in parts}
        for key in added:
            if key not in claimed:
                place = self.new_places[key]
                self._add(
                    self._new_order(place, "clause_added"),
                    Change(
                        kind="clause_added",
                        old_keys=(),
                        new_keys=(key,),
                        section_key=place.section_key,
                        new_number=place.clause.number,
                    ),
                )
        claimed = {k for parts in merge_parts.values() for k in parts}
        for key in removed:
            if key not in claimed:
                place = self.old_places[key]
                self._add(
                    self._old_order(place, "clause_removed"),
                    Change(
                        kind="clause_removed",
                        old_keys=(key,),
                        new_keys=(),
                        section_key=place.section_key,
                        old_section_key=place.section_key,
                        old_number=place.clause.number,
                    ),
                )
        self.changes.sort(key=lambda item: item[0])
        return [change for _order, change in self.changes]

    # --- sections ---

    def _compare_sections(self) -> None:
        old_by_key = {s.key: s for s in self.old.sections}
        common = [s.key for s in self.new.sections if s.key in old_by_key]
        unmoved = _unmoved(common, self.old_sections)
        for index, section in enumerate(self.new.sections):
            before = old_by_key.get(section.key)
            if before is None:
                self._section_change("section_added", index, new_heading=section.heading)
                continue
            if before.heading != section.heading:
                self._section_change(
                    "section_renamed", index, old_heading=before.heading, new_heading=section.heading
                )
            if section.key not in unmoved:
                self._section_change(
                    "section_moved", index, old_heading=before.heading, new_heading=section.heading
                )
        for index, section in enumerate(self.old.sections):
            if section.key not in self.new_sections:
                self._add(
                    (self._removed_section_order(index), (-1, 0, 0), _rank("section_removed")),
                    Change(
                        kind="section_removed",
                        old_keys=(section.key,),
                        new_keys=(),
                        section_key=section.key,
                        old_heading=section.heading,
                        old_number=section.number,
                    ),
                )

    def _section_change(
        self,
        kind: ChangeKind,
        index: int,
        old_heading: str | None = None,
        new_heading: str | None = None,
    ) -> None:
        section = self.new.sections[index]
        old_index = self.old_sections.get(section.key)
        self._add(
            ((index, 0, 0), (-1, 0, 0), _rank(kind)),
            Change(
                kind=kind,
                old_keys=() if old_index is None else (section.key,),
                new_keys=(section.key,),
                section_key=section.key,
                old_heading=old_heading,
                new_heading=new_heading,
                old_number=None if old_index is None else self.old.sections[old_index].number,
                new_number=section.number,
            ),
        )

    # --- clauses kept ---

    def _compare_common_clauses(self) -> tuple[list[str], list[str]]:
        """Return the keys of clauses that moved and of those whose wording changed."""
        moved: list[str] = []
        reworded: list[str] = []
        for section in self.new.sections:
            stayed = [
                c.key
                for c in section.clauses
                if (old := self.old_places.get(c.key)) is not None and old.section_key == section.key
            ]
            unmoved = _unmoved(stayed, {k: self.old_places[k].clause_index for k in stayed})
            for clause in section.clauses:
                old = self.old_places.get(clause.key)
                if old is None:
                    continue
                if old.section_key != section.key or clause.key not in unmoved:
                    moved.append(clause.key)
                if _visibly_differ(old.clause, clause):
                    reworded.append(clause.key)
        return moved, reworded

    def _words_for(self, key: str) -> tuple[WordOp, ...]:
        return self._word_diff(self.old_places[key].clause.text, self.new_places[key].clause.text)

    def _clause_change(
        self,
        kind: ChangeKind,
        key: str,
        *,
        old_keys: tuple[str, ...] | None = None,
        new_keys: tuple[str, ...] | None = None,
        words: tuple[WordOp, ...] = (),
    ) -> None:
        old, new = self.old_places[key], self.new_places[key]
        self._add(
            self._new_order(new, kind),
            Change(
                kind=kind,
                old_keys=(key,) if old_keys is None else old_keys,
                new_keys=(key,) if new_keys is None else new_keys,
                section_key=new.section_key,
                old_section_key=old.section_key,
                old_number=old.clause.number,
                new_number=new.clause.number,
                words=words,
            ),
        )

    # --- splits and merges ---

    def _find_splits(self, added: Sequence[str], reworded: Sequence[str]) -> dict[str, list[str]]:
        """Find reworded clauses split into new ones; emit the splits; return kept key → parts."""
        groups = self._parts(added, self.new_places, reworded, self.old_places)
        found: dict[str, list[str]] = {}
        for kept, parts in groups.items():
            keys = self._verify_parts(kept, parts, self.new_places, self.old_places)
            if keys is None:
                continue
            found[kept] = [k for k in keys if k != kept]
            joined = "\n".join(self.new_places[k].clause.text for k in keys)
            words = self._word_diff(self.old_places[kept].clause.text, joined)
            self._clause_change("clause_split", kept, new_keys=tuple(keys), words=words)
        return found

    def _find_merges(self, removed: Sequence[str], reworded: Sequence[str]) -> dict[str, list[str]]:
        """Find reworded clauses that absorbed removed ones; emit the merges; return kept key → parts."""
        groups = self._parts(removed, self.old_places, reworded, self.new_places)
        found: dict[str, list[str]] = {}
        for kept, parts in groups.items():
            keys = self._verify_parts(kept, parts, self.old_places, self.new_places)
            if keys is None:
                continue
            found[kept] = [k for k in keys if k != kept]
            joined = "\n".join(self.old_places[k].clause.text for k in keys)
            words = self._word_diff(joined, self.new_places[kept].clause.text)
            self._clause_change("clause_merged", kept, old_keys=tuple(keys), words=words)
        return found

    def _parts(
        self,
        orphans: Sequence[str],
        orphan_places: Mapping[str, _Place],
        reworded: Sequence[str],
        other_places: Mapping[str, _Place],
    ) -> dict[str, list[str]]:
        """Group clauses with no counterpart under the reworded clause whose other text contains them."""
        groups: dict[str, list[str]] = {}
        if not orphans or not reworded:
            return groups
        # A part must bring back words the kept part lost (see PART_GAIN): index the lost words of every
        # reworded clause, so each orphan is measured only against those it shares lost words with, and
        # the gain is counted exactly (the same sum as a multiset intersection) without trying every pair.
        # Postings are kept in the orphans' document order, so that where one lost word is common to many
        # reworded clauses (a document that repeats itself) only the PART_NEAREST either side of the orphan are
        # walked: a query then costs a bounded amount, and a part is looked for next to its whole.
        postings: dict[str, list[tuple[int, str, int]]] = {}
        for kept in sorted(reworded, key=lambda k: orphan_places[k].position):
            lost = self._lost_words(other_places[kept].clause.text, orphan_places[kept].clause.text)
            position = orphan_places[kept].position
            for word, count in lost.items():
                postings.setdefault(word, []).append((position, kept, count))
        starts = {word: [entry[0] for entry in posting] for word, posting in postings.items()}
        for orphan in orphans:
            text = orphan_places[orphan].clause.text
            words = self._word_list(text)
            total = len(words)
            if total == 0:
                continue
            here = orphan_places[orphan].position
            gains: dict[str, int] = {}
            for word, count in Counter(words).items():
                posting = postings.get(word)
                if posting is None:
                    continue
                if len(posting) > 2 * PART_NEAREST:
                    at = bisect_left(starts[word], here)
                    posting = posting[max(0, at - PART_NEAREST) : at + PART_NEAREST]
                for _position, kept, lost_count in posting:
                    gains[kept] = gains.get(kept, 0) + min(count, lost_count)
            self.pairs_measured += len(gains)
            # The whole that contains most of the orphan wins; among equals (a repeated clause) the nearest
            # to it in its document, then the first key.
            best: tuple[float, int, str] | None = None
            for kept in sorted(gains):
                if gains[kept] < PART_GAIN * total:
                    continue
                whole = other_places[kept].clause.text
                share = len(self._matched_in(whole, text)) / total
                if share < PART_CONTAINMENT:
                    continue
                candidate = (-share, abs(orphan_places[kept].position - here), kept)
                if best is None or candidate < best:
                    best = candidate
            if best is not None:
                groups.setdefault(best[2], []).append(orphan)
        return groups

    def _lost_words(self, whole: str, kept_text: str) -> Counter[str]:
        """Count the words of `whole` that the kept part's text does not account for."""
        cached = self._lost.get((whole, kept_text))
        if cached is None:
            matched = self._matched_in(whole, kept_text)
            cached = Counter(
                token
                for index, token in enumerate(TOKEN_RE.findall(whole))
                if index not in matched and WORD_RE.fullmatch(token)
            )
            self._lost[(whole, kept_text)] = cached
        return cached

    def _verify_parts(
        self,
        kept: str,
        parts: Sequence[str],
        part_places: Mapping[str, _Place],
        whole_places: Mapping[str, _Place],
    ) -> list[str] | None:
        """Return the kept key and its parts in document order if together they cover the whole."""
        whole = whole_places[kept].clause.text
        whole_words = self._word_count(whole)
        if whole_words == 0:
            return None
        # Words of the whole each part accounts for, beyond those already accounted for: repeated
        # words count once per part, and the parts may sit in any order in the document.
        alone = self._matched_in(whole, part_places[kept].clause.text)
        covered = set(alone)
        for key in sorted(parts):
            covered |= self._matched_in(whole, part_places[key].clause.text, frozenset(covered))
        part_words = sum(self._word_count(part_places[k].clause.text) for k in parts)
        if (
            len(covered) >= PART_COVERAGE * whole_words
            and len(covered) - len(alone) >= PART_GAIN * part_words
        ):
            return sorted([kept, *parts], key=lambda k: part_places[k].position)
        return None

    def _matched_in(self, whole: str, part: str, taken: frozenset[int] = frozenset()) -> frozenset[int]:
        """Return the positions of the words of `whole` that the part keeps, skipping `taken` ones."""
        cache_key = (whole, part, taken)
        cached = self._matched.get(cache_key)
        if cached is not None:
            return cached
        # Both directions of a comparison ask the same question, so the answers agree.
        if taken:
            # U+0000 is never a token's code, so a taken word matches nothing.
            whole_chars = "".join("\0" if i in taken else c for i, c in enumerate(self.encoder.encode(whole)))
            diffs = diff_chars(whole_chars, self.encoder.encode(part))
            own = diff_match_patch.DIFF_DELETE
        elif whole <= part:
            diffs, own = self._raw_diff(whole, part), diff_match_patch.DIFF_DELETE
        else:
            diffs, own = self._raw_diff(part, whole), diff_match_patch.DIFF_INSERT
        matched: set[int] = set()
        index = 0
        for op, chars in diffs:
            if op == diff_match_patch.DIFF_EQUAL:
                matched.update(index + i for i, c in enumerate(chars) if self.encoder.is_word(c))
            elif op != own:
                continue
            index += len(chars)
        cached = self._matched[cache_key] = frozenset(matched)
        return cached

    def _raw_diff(self, a: str, b: str) -> list[tuple[int, str]]:
        """Diff two texts token by token, once per comparison (shared by word diffs and measures)."""
        key = (a, b, self.encoder.generation)
        cached = self._raw.get(key)
        if cached is None:
            cached = encoded_diff(self.encoder, a, b)
            self._raw[(a, b, self.encoder.generation)] = cached
        return cached

    def _word_diff(self, old_text: str, new_text: str) -> tuple[WordOp, ...]:
        return _word_ops(old_text, new_text, self.encoder, self._raw_diff)

    def _word_count(self, text: str) -> int:
        return len(self._word_list(text))

    def _word_list(self, text: str) -> list[str]:
        cached = self._words.get(text)
        if cached is None:
            cached = self._words[text] = WORD_RE.findall(text)
        return cached

    # --- order ---

    def _add(self, order: _Order, change: Change) -> None:
        self.changes.append((order, change))

    def _new_order(self, place: _Place, kind: ChangeKind) -> _Order:
        return ((place.section_index, 0, 0), (place.clause_index, 0, 0), _rank(kind))

    def _old_order(self, place: _Place, kind: ChangeKind) -> _Order:
        """Place a removal just after what preceded it in the old version and survives."""
        if place.section_key not in self.new_sections:
            return (self._removed_section_order(place.section_index), (place.clause_index, 0, 0), _rank(kind))
        section_index = self.new_sections[place.section_key]
        before = -1
        for clause in reversed(self.old.sections[place.section_index].clauses[: place.clause_index]):
            survivor = self.new_places.get(clause.key)
            if survivor is not None and survivor.section_key == place.section_key:
                before = survivor.clause_index
                break
        return ((section_index, 0, 0), (before, 1, place.clause_index), _rank(kind))

    def _removed_section_order(self, old_index: int) -> tuple[int, int, int]:
        before = -1
        for section in reversed(self.old.sections[:old_index]):
            if section.key in self.new_sections:
                before = self.new_sections[section.key]
                break
        return (before, 1, old_index)


def _places(document: Document) -> dict[str, _Place]:
    places: dict[str, _Place] = {}
    position = 0
    for s_index, section in enumerate(document.sections):
        for c_index, clause in enumerate(section.clauses):
            places[clause.key] = _Place(s_index, section.key, c_index, position, clause)
            position += 1
    return places


_SPACES_RE = re.compile(r"\s+")
_LINE_SPACES_RE = re.compile(r"[^\S\n]+")


def _visibly_differ(old: Clause, new: Clause) -> bool:
    """Tell whether two versions of a clause differ in more than whitespace (see the module docstring)."""
    if old.markdown == new.markdown and old.text == new.text:
        return False
    return _SPACES_RE.sub(" ", old.markdown) != _SPACES_RE.sub(" ", new.markdown) or _LINE_SPACES_RE.sub(
        " ", old.text
    ) != _LINE_SPACES_RE.sub(" ", new.text)


def _rank(kind: ChangeKind) -> int:
    return CHANGE_KINDS.index(kind)


def _unmoved(order: Sequence[str], old_position: Mapping[str, int]) -> set[str]:
    """Return the keys that kept their relative order: a longest increasing subsequence of positions.

    Among equally long subsequences the one keeping the alphabetically first keys wins (each key weighs a
    distinct power of two below the length bonus), so the choice does not depend on which version is "old".
    """
    count = len(order)
    if count < 2:
        return set(order)
    rank = {key: r for r, key in enumerate(sorted(order))}
    bonus = 1 << (count + 1)
    weight = [bonus + (1 << (count - 1 - rank[key])) for key in order]
    slot = {p: i + 1 for i, p in enumerate(sorted(old_position[k] for k in order))}
    # Fenwick tree over old positions of (best total, index of the element that ends it).
    tree: list[tuple[int, int]] = [(0, -1)] * (count + 1)
    best = [0] * count
    previous = [-1] * count
    for i, key in enumerate(order):
        here = slot[old_position[key]]
        total, last = 0, -1
        q = here - 1
        while q > 0:
            if tree[q][0] > total:
                total, last = tree[q]
            q -= q & -q
        best[i] = total + weight[i]
        previous[i] = last
        q = here
        while q <= count:
            if best[i] > tree[q][0]:
                tree[q] = (best[i], i)
            q += q & -q
    end = max(range(count), key=best.__getitem__)
    keep: set[str] = set()
    while end != -1:
        keep.add(order[end])
        end = previous[end]
    return keep


def compare(old: Document, new: Document) -> list[Change]:
    """List the changes from `old` to `new`, in the new version's document order."""
    return _Comparison(old, new).run()


def summarise(changes: Iterable[Change]) -> Summary:
    """Count changes in all, by kind (every kind listed) and by section key."""
    by_kind: dict[str, int] = dict.fromkeys(CHANGE_KINDS, 0)
    by_section: dict[str, dict[str, int]] = {}
    total = 0
    for change in changes:
        total += 1
        by_kind[change.kind] += 1
        section = by_section.setdefault(change.section_key, {})
        section[change.kind] = section.get(change.kind, 0) + 1
    return Summary(total=total, by_kind=by_kind, by_section=by_section)
