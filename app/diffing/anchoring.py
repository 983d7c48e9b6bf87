"""Anchor comments to passages of a clause and carry the anchors forward into later versions.

Pure domain code: no Flask, no database.

An anchor is a W3C Web Annotation text-quote selector (exact, prefix, suffix) plus a text-position selector
(start, end), both over a clause's plain text (`Clause.text`), in Python string offsets (code points).

Re-anchoring, in order of trust:

1. The clause is gone (`new_text is None`) → `orphaned`. A whole-clause comment (`anchor is None`) follows
   its clause's key: `unchanged`, `moved`, or `text_changed` (confidence is then the clauses' similarity,
   shown to people, never a reason to hold the comment back: the key is authoritative).
2. The quote's offsets are mapped through the word-level diff of the old clause text to the new one
   (diff_match_patch; the start maps as `diff_xIndex` maps it, the end is mapped leaning left so text
   inserted just after the passage is not pulled into it). If the quote is intact at the mapped place:
   confidence 1.0, status `unchanged` (or `moved` when the clause moved), even when the clause was reworded
   elsewhere: the passage the comment is about did not change.
3. Otherwise candidates are scored: the mapped span (its similarity to the quote, taken from the same diff),
   every exact occurrence of the quote in the new text (whitespace-tolerant), and, if neither is good
   enough, fuzzy hits from diff_match_patch's `match_main` (Bitap, patterns of at most 32 characters, so the
   head and the tail of a long quote are searched for separately). A fuzzy hit is never trusted as it is:
   the span is widened to word boundaries and its similarity to the whole quote measured.
   confidence = similarity × (w + (1 − w) × context agreement) where the context is the prefix and suffix,
   and w is 0.8 for the mapped span (the diff already vouches for the place) and 0.6 for search hits (a
   repeated phrase elsewhere in the clause must not be mistaken for the one commented on).
4. The best candidate at or above CONFIDENCE_THRESHOLD wins: `unchanged`/`moved` if its text is the quote
   (up to whitespace), `text_changed` if the passage itself was edited. Below the threshold: `needs_review`
   with no anchor. We never guess; a person decides. `orphaned` is kept for a clause that no longer exists:
   when the clause exists but the passage cannot be found, the comment still belongs to the clause.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from diff_match_patch import diff_match_patch

from app.diffing.engine import WordEncoder, encoded_diff

AnchorStatus = Literal["unchanged", "moved", "text_changed", "orphaned", "needs_review"]

CONTEXT_CHARS = 32
CONFIDENCE_THRESHOLD = 0.75
# Weight of the quote's own similarity against its context's agreement (see the module docstring).
MAPPED_WEIGHT = 0.8
SEARCH_WEIGHT = 0.6
# Bitap searches at most this many characters at a time (diff_match_patch's Match_MaxBits).
MATCH_MAX_BITS = 32
# Skip the fuzzy search when less than this share of the quote's word characters occur in the new text.
FUZZY_WORD_FLOOR = 0.5
MAX_OCCURRENCES = 200

_EQUAL = diff_match_patch.DIFF_EQUAL
_INSERT = diff_match_patch.DIFF_INSERT
_DELETE = diff_match_patch.DIFF_DELETE
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Anchor:
    """A passage of a clause: text-quote (exact, prefix, suffix) and text-position (start, end) selectors."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


@dataclass(frozen=True)
class Reanchored:
    """Where a comment's anchor landed in a new version, how sure we are, and what happened to it."""

    anchor: Anchor | None
    status: AnchorStatus
    confidence: float


def make_anchor(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> Anchor:
    """Make the anchor of text[start:end] with up to `context` characters either side."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"bad passage {start}..{end} in a text of {len(text)} characters")
    return Anchor(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
        start=start,
        end=end,
    )


def locate_quote(
    text: str, exact: str, prefix: str = "", suffix: str = "", hint: int | None = None
) -> Anchor | None:
    """Find a quoted passage in a clause's text, telling repeats apart by prefix, suffix and hint."""
    found = _best_occurrence(text, exact, prefix, suffix, hint)
    if found is None:
        return None
    start, end, _context = found
    return make_anchor(text, start, end)


def reanchor(
    anchor: Anchor | None, old_text: str, new_text: str | None, *, moved: bool = False
) -> Reanchored:
    """Carry a comment's anchor from a clause's old text into its new text."""
    if new_text is None:
        return Reanchored(None, "orphaned", 0.0)
    kept: AnchorStatus = "moved" if moved else "unchanged"
    if anchor is None:
        if old_text == new_text:
            return Reanchored(None, kept, 1.0)
        return Reanchored(None, "text_changed", round(_clause_diff(old_text, new_text).similarity, 3))
    start, end = anchor.start, anchor.end
    if not (0 <= start < end <= len(old_text) and old_text[start:end] == anchor.exact):
        # The offsets do not fit the old text (e.g. counted by a browser in UTF-16): trust the quote.
        found = _best_occurrence(old_text, anchor.exact, anchor.prefix, anchor.suffix, anchor.start)
        start, end = (found[0], found[1]) if found else (-1, -1)
    if start >= 0 and old_text == new_text:
        return Reanchored(_anchor_from(anchor, new_text, start, end), kept, 1.0)

    best: tuple[float, int, int] | None = None  # (confidence, start, end)
    near = 0
    if start >= 0:
        diff = _clause_diff(old_text, new_text)
        new_start, new_end = diff.map_start(start), diff.map_end(end)
        if new_text[new_start:new_end] == anchor.exact:
            return Reanchored(_anchor_from(anchor, new_text, new_start, new_end), kept, 1.0)
        near = new_start
        if new_end > new_start:
            similarity = diff.span_similarity(start, end, new_start, new_end)
            context = _context_agreement(new_text, new_start, new_end, anchor.prefix, anchor.suffix)
            best = (_confidence(similarity, context, MAPPED_WEIGHT), new_start, new_end)

    occurrence = _best_occurrence(new_text, anchor.exact, anchor.prefix, anchor.suffix, near)
    if occurrence is not None:
        o_start, o_end, context = occurrence
        candidate = (_confidence(1.0, context, SEARCH_WEIGHT), o_start, o_end)
        if best is None or candidate[0] > best[0]:
            best = candidate

    if (best is None or best[0] < CONFIDENCE_THRESHOLD) and _worth_fuzzy_search(anchor.exact, new_text):
        fuzzy = _fuzzy_search(anchor, new_text, near)
        if fuzzy is not None and (best is None or fuzzy[0] > best[0]):
            best = fuzzy

    if best is None or best[0] < CONFIDENCE_THRESHOLD:
        return Reanchored(None, "needs_review", round(best[0], 3) if best else 0.0)
    confidence, b_start, b_end = best
    result = _anchor_from(anchor, new_text, b_start, b_end)
    intact = _squash(result.exact) == _squash(anchor.exact)
    return Reanchored(result, kept if intact else "text_changed", round(confidence, 3))


# --- the clause diff ------------------------------------------------------------------------------


class _ClauseDiff:
    """A word-level diff of two clause texts, indexed for mapping offsets quickly."""

    def __init__(self, old_text: str, new_text: str) -> None:
        encoder = WordEncoder()
        self.ops: list[tuple[int, int, int, int, int]] = []  # (op, old start, old end, new start, new end)
        old_at = new_at = 0
        for op, chars in encoded_diff(encoder, old_text, new_text):
            size = len(encoder.decode(chars))
            old_size = 0 if op == _INSERT else size
            new_size = 0 if op == _DELETE else size
            self.ops.append((op, old_at, old_at + old_size, new_at, new_at + new_size))
            old_at += old_size
            new_at += new_size
        self.old_length, self.new_length = old_at, new_at
        # Old-text ranges of equalities and deletions tile the old text: search them by start.
        self._old_ops = [i for i, o in enumerate(self.ops) if o[0] != _INSERT]
        self._old_starts = [self.ops[i][1] for i in self._old_ops]
        equal = sum(o[2] - o[1] for o in self.ops if o[0] == _EQUAL)
        longest = max(self.old_length, self.new_length)
        self.similarity = equal / longest if longest else 1.0

    def _op_at(self, loc: int) -> int:
        """Return the index of the equality or deletion that holds old offset `loc`."""
        return self._old_ops[bisect_right(self._old_starts, loc) - 1]

    def map_start(self, loc: int) -> int:
        """Map an old offset to the new text after any insertion there (as diff_xIndex does)."""
        if loc >= self.old_length:
            return self.new_length
        op, old_start, _old_end, new_start, _new_end = self.ops[self._op_at(loc)]
        return new_start + (loc - old_start) if op == _EQUAL else new_start

    def map_end(self, loc: int) -> int:
        """Map an old end offset to the new text before any insertion there."""
        if loc <= 0 or not self._old_ops:
            return 0
        index = self._op_at(loc - 1)
        op, old_start, _old_end, new_start, new_end = self.ops[index]
        if op == _EQUAL:
            return new_start + (loc - old_start)
        # Inside a deletion: its replacement (the insertion after it, if any) belongs to the passage.
        if index + 1 < len(self.ops) and self.ops[index + 1][0] == _INSERT:
            return self.ops[index + 1][4]
        return new_end

    def span_similarity(self, start: int, end: int, new_start: int, new_end: int) -> float:
        """Measure how alike old[start:end] and new[new_start:new_end] are, from this diff alone."""
        clipped: list[tuple[int, str]] = []
        for op, o_start, o_end, n_start, n_end in self.ops:
            if op == _INSERT:
                low, high = max(n_start, new_start), min(n_end, new_end)
            else:
                low, high = max(o_start, start), min(o_end, end)
            if high > low:
                clipped.append((op, "x" * (high - low)))
        distance: int = _dmp.diff_levenshtein(clipped)
        longest = max(end - start, new_end - new_start)
        return 1.0 - distance / longest if longest else 1.0


@lru_cache(maxsize=4096)
def _clause_diff(old_text: str, new_text: str) -> _ClauseDiff:
    # Comments on one clause share its diff: carrying a version's comments forward diffs each clause once.
    return _ClauseDiff(old_text, new_text)


def _new_dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    # Verifying a fuzzy hit compares two short passages; a deadline only makes the score conservative.
    dmp.Diff_Timeout = 0.05
    dmp.Match_MaxBits = MATCH_MAX_BITS
    # Bitap gives up beyond 40% errors: a hit that poor could not pass the threshold anyway.
    dmp.Match_Threshold = 0.4
    return dmp


_dmp = _new_dmp()


# --- candidates -----------------------------------------------------------------------------------


def _confidence(similarity: float, context: float, weight: float) -> float:
    return similarity * (weight + (1.0 - weight) * context)


def _anchor_from(old: Anchor, text: str, start: int, end: int) -> Anchor:
    context = max(len(old.prefix), len(old.suffix), CONTEXT_CHARS)
    return make_anchor(text, start, end, context)


def _squash(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1024)
def _quote_pattern(exact: str) -> re.Pattern[str] | None:
    words = exact.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def _best_occurrence(
    text: str, exact: str, prefix: str, suffix: str, hint: int | None
) -> tuple[int, int, float] | None:
    """Find the occurrence of the quote (whitespace-tolerant) whose context agrees best, then nearest."""
    pattern = _quote_pattern(exact)
    if pattern is None:
        return None
    best: tuple[float, int, int, int] | None = None  # (context, -distance, start, end)
    position = 0
    for _ in range(MAX_OCCURRENCES):
        match = pattern.search(text, position)
        if match is None:
            break
        start, end = match.span()
        context = _context_agreement(text, start, end, prefix, suffix)
        distance = abs(start - hint) if hint is not None else start
        candidate = (context, -distance, start, end)
        if best is None or candidate > best:
            best = candidate
        position = start + 1
    if best is None:
        return None
    return best[2], best[3], best[0]


def _context_agreement(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """Score 0..1 how well the text around a span agrees with the expected prefix and suffix."""
    scores: list[float] = []
    if prefix:
        scores.append(_affix_agreement(prefix, text[max(0, start - len(prefix)) : start], True))
    if suffix:
        scores.append(_affix_agreement(suffix, text[end : end + len(suffix)], False))
    return sum(scores) / len(scores) if scores else 1.0


def _affix_agreement(expected: str, actual: str, from_end: bool) -> float:
    if expected == actual:
        return 1.0
    if not actual:
        return 0.0
    # Half for the run that still touches the passage, half for the characters still present at all.
    if from_end:
        common = len(_commonprefix(expected[::-1], actual[::-1]))
    else:
        common = len(_commonprefix(expected, actual))
    shared = sum((Counter(expected) & Counter(actual)).values())
    return 0.5 * common / len(expected) + 0.5 * shared / max(len(expected), len(actual))


def _commonprefix(a: str, b: str) -> str:
    size: int = _dmp.diff_commonPrefix(a, b)
    return a[:size]


@lru_cache(maxsize=1024)
def _word_set(text: str) -> frozenset[str]:
    return frozenset(_WORD_RE.findall(text))


def _worth_fuzzy_search(exact: str, new_text: str) -> bool:
    """Tell whether enough of the quote's words survive for a fuzzy hit to have a chance."""
    words = _WORD_RE.findall(exact)
    total = sum(len(w) for w in words)
    if total == 0:
        return False
    present = _word_set(new_text)
    return sum(len(w) for w in words if w in present) >= FUZZY_WORD_FLOOR * total


def _fuzzy_search(anchor: Anchor, text: str, near: int) -> tuple[float, int, int] | None:
    """Search for a near match of the quote around `near`, verifying each hit against the whole quote."""
    exact = anchor.exact
    size = len(exact)
    head = exact[:MATCH_MAX_BITS]
    tail = exact[-MATCH_MAX_BITS:]
    spans: set[tuple[int, int]] = set()
    head_at: int = _dmp.match_main(text, head, near)
    tail_at: int = -1
    if head_at >= 0:
        spans.add((head_at, head_at + size))
    if size > MATCH_MAX_BITS:
        tail_at = _dmp.match_main(text, tail, near + size - len(tail))
        if tail_at >= 0:
            spans.add((tail_at + len(tail) - size, tail_at + len(tail)))
            if head_at >= 0 and tail_at + len(tail) > head_at:
                spans.add((head_at, tail_at + len(tail)))
    best: tuple[float, int, int] | None = None
    for rough_start, rough_end in spans:
        for start in _boundaries(text, rough_start, True):
            for end in _boundaries(text, rough_end, False):
                if end <= start:
                    continue
                similarity = _similarity(exact, text[start:end])
                context = _context_agreement(text, start, end, anchor.prefix, anchor.suffix)
                candidate = (_confidence(similarity, context, SEARCH_WEIGHT), start, end)
                if best is None or candidate > best:
                    best = candidate
    return best


def _boundaries(text: str, at: int, is_start: bool) -> set[int]:
    """Offer the rough offset and the nearest word boundaries around it as span ends."""
    at = max(0, min(at, len(text)))
    options = {at}
    left = at
    while left > 0 and _is_word(text[left - 1]) and (left >= len(text) or _is_word(text[left])):
        left -= 1
    right = at
    while 0 < right < len(text) and _is_word(text[right - 1]) and _is_word(text[right]):
        right += 1
    options.update((left, right))
    if is_start:
        # A start on whitespace moves onto the word that follows.
        options.update(o + 1 for o in list(options) if o < len(text) and text[o].isspace())
    else:
        options.update(o - 1 for o in list(options) if o > 0 and text[o - 1].isspace())
    return {o for o in options if 0 <= o <= len(text)}


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _similarity(a: str, b: str) -> float:
    """Score 0..1: one minus the Levenshtein distance over the longer length."""
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if min(len(a), len(b)) < CONFIDENCE_THRESHOLD * longest:
        return min(len(a), len(b)) / longest  # the distance is at least the difference in length
    distance: int = _dmp.diff_levenshtein(_dmp.diff_main(a, b, False))
    return 1.0 - distance / longest
