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
3. Otherwise candidates are scored. (a) The mapped span, and variants of it with the edge of a replaced run
   trimmed (a quote ending in "it." whose full stop became ", and a new sentence." should end at "it,"),
   snapped to word boundaries when the quote had whole words; each is scored by the edit script the clause
   diff implies (cheap), the best two letter by letter when that could lift them over the threshold.
   (b) Every exact occurrence of the quote in the new text (whitespace-tolerant), told apart by context.
   (c) If nothing is good enough yet and the quote's words came back as insertions (a passage edited *and*
   moved within the clause), fuzzy hits from diff_match_patch's `match_main` (Bitap, patterns of at most
   32 characters, so the head and the tail of a long quote are searched for separately). A fuzzy hit is
   never trusted as it is: the span is snapped to word boundaries and its similarity to the whole quote
   measured. Similarities are 1 − edit distance / longer length, from real edit scripts, so they never
   overstate. confidence = similarity × (w + (1 − w) × context agreement), the context being the prefix
   and suffix (difflib ratio), with w = 0.9 for the mapped span (the diff already vouches for the place)
   and 0.6 for search hits (a repeated phrase elsewhere must not stand in for the one commented on).
   Three rules for passages edited in ways the scores above undervalue, each verified before it stands:
   (d) pinned: the diff keeps the quote's first and last words in place and changed something between
   them (and the quote is nowhere intact) → the passage is the whole span between them, never a part of
   it, if that span is at least PINNED_SIMILARITY like the quote; else review. (e) The quote, up to
   capitals, occurs exactly once in each text (a sentence moved to the front) → that span. (f) A fuzzy hit
   for a passage moved *and* edited has lost its context, so it stands on its likeness alone: at least
   MOVED_SIMILARITY like the quote, once its ends are moved to where the passage is, and mostly new text.
   An edited passage whose new text occurs more than once is placed by context like a repeated quote,
   and sent to review when the context cannot tell.
4. The best candidate at or above CONFIDENCE_THRESHOLD wins: `unchanged`/`moved` if its text is the quote
   (up to whitespace), `text_changed` if the passage itself was edited. Below the threshold: `needs_review`
   with no anchor. We never guess; a person decides. `orphaned` is kept for a clause that no longer exists:
   when the clause exists but the passage cannot be found, the comment still belongs to the clause.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

from diff_match_patch import diff_match_patch

from app.diffing.engine import WordEncoder, encoded_diff

AnchorStatus = Literal["unchanged", "moved", "text_changed", "orphaned", "needs_review"]

CONTEXT_CHARS = 32
CONFIDENCE_THRESHOLD = 0.75
# Weight of the quote's own similarity against its context's agreement (see the module docstring).
MAPPED_WEIGHT = 0.9
SEARCH_WEIGHT = 0.6
# Bitap searches at most this many characters at a time (diff_match_patch's Match_MaxBits).
MATCH_MAX_BITS = 32
# Bitap's penalty for distance from the expected place: one whole error at this many times the clause length.
MATCH_DISTANCE_PER_CHAR = 20
# Skip the fuzzy search when less than this share of the quote's word characters occur in the new text.
FUZZY_WORD_FLOOR = 0.5
MAX_OCCURRENCES = 200
# Letter-by-letter similarity is rarely this much above the word-level one: below that, skip the work.
LETTER_REACH = 0.2
# Longer passages keep their word-level score (letter-level diffs grow with length × distance).
LETTER_MAX = 400
# How many of the mapped span's variants get the letter-level check.
LETTER_CHECKS = 2
# A quote found more than once in the new text is placed by the characters of context it shares with the old
# passage, looked at this far either side; a tie means the context cannot tell, and a person decides.
CONTEXT_REACH = 400
# A quote of at least this many words found exactly once in both texts is the same passage, however its
# surroundings changed (a sentence moved within the clause).
UNIQUE_MIN_WORDS = 3
# A fuzzy placement (the passage was edited) stands only when the whole new span is at least this similar to
# the old quote (1 - edit distance / longer length), after its ends were moved to where the passage is.
VERIFY_SIMILARITY = 0.75
VERIFY_STEPS = 12
# A passage edited inside while its first and last words stayed where they were (equal in the clause diff)
# is the span between them: it stands when that span is at least this similar to the old quote.
PINNED_SIMILARITY = 0.6
# A passage edited *and* moved within the clause has lost its context; found by fuzzy search, it stands on
# its own when at least this similar to the quote and at least MOVED_INSERTED of its characters are new.
MOVED_SIMILARITY = 0.8
MOVED_INSERTED = 0.5

_EQUAL = diff_match_patch.DIFF_EQUAL
_INSERT = diff_match_patch.DIFF_INSERT
_DELETE = diff_match_patch.DIFF_DELETE
_WORD_RE = re.compile(r"\w+")
# Words and punctuation marks: a verified span's ends move from one to the next.
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


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
    verified = False  # the best candidate's span has already been checked against the whole quote
    if start >= 0:
        diff = _clause_diff(old_text, new_text)
        new_start, new_end = diff.map_start(start), diff.map_end(end)
        if new_text[new_start:new_end] == anchor.exact:
            placed = _decide_repeats(anchor, old_text, new_text, start, end, (new_start, new_end))
            if placed is None:
                return Reanchored(None, "needs_review", 0.5)
            return Reanchored(_anchor_from(anchor, new_text, *placed), kept, 1.0)
        pinned = diff.pinned_span(old_text, start, end)
        if pinned is not None and not _occurrences(new_text, anchor.exact):
            # The quote's first and last words are still there, in place, and something between them changed
            # (and the quote is nowhere intact: a diff of repeated words may put an insertion next to it
            # inside it): the passage is the span between them, never a part of it. It stands if it is still
            # mostly the quote; rewritten beyond that, a person decides.
            p_start, p_end = pinned
            similarity = _similarity(anchor.exact, new_text[p_start:p_end])
            context = _context_agreement(new_text, p_start, p_end, anchor.prefix, anchor.suffix)
            confidence = round(_confidence(similarity, context, MAPPED_WEIGHT), 3)
            if similarity < PINNED_SIMILARITY:
                return Reanchored(None, "needs_review", min(confidence, CONFIDENCE_THRESHOLD - 0.01))
            placed_anchor = _anchor_from(anchor, new_text, p_start, p_end)
            intact = _squash(placed_anchor.exact) == _squash(anchor.exact)
            return Reanchored(
                placed_anchor, kept if intact else "text_changed", max(confidence, CONFIDENCE_THRESHOLD)
            )
        near = new_start
        whole_start, whole_end = _whole_words(anchor)
        scored: list[tuple[float, float, float, int, int]] = []
        for rough_start, rough_end in diff.candidate_spans(start, end):
            m_start = _snap(new_text, rough_start, whole_start, True)
            m_end = _snap(new_text, rough_end, whole_end, False)
            if m_end > m_start:
                similarity = diff.span_similarity(start, end, m_start, m_end)
                if similarity < CONFIDENCE_THRESHOLD - LETTER_REACH:
                    # Hopeless even letter by letter: no need to read the context.
                    scored.append((similarity * MAPPED_WEIGHT, similarity, 0.0, m_start, m_end))
                    continue
                context = _context_agreement(new_text, m_start, m_end, anchor.prefix, anchor.suffix)
                confidence = _confidence(similarity, context, MAPPED_WEIGHT)
                scored.append((confidence, similarity, context, m_start, m_end))
        scored.sort(reverse=True)
        for rough_confidence, similarity, context, m_start, m_end in scored[:LETTER_CHECKS]:
            confidence = rough_confidence
            if confidence < CONFIDENCE_THRESHOLD:
                # The diff counts whole words; letter by letter a small edit may cost less.
                letters = _letter_similarity(anchor.exact, new_text[m_start:m_end], similarity)
                confidence = _confidence(letters, context, MAPPED_WEIGHT)
            if best is None or (confidence, m_start, m_end) > best:
                best = (confidence, m_start, m_end)

    occurrence = _best_occurrence(new_text, anchor.exact, anchor.prefix, anchor.suffix, near)
    if occurrence is not None:
        o_start, o_end, context = occurrence
        candidate = (_confidence(1.0, context, SEARCH_WEIGHT), o_start, o_end)
        if best is None or candidate[0] > best[0]:
            best = candidate
    elif best is None or best[0] < CONFIDENCE_THRESHOLD:
        folded = _unique_folded(anchor.exact, old_text, new_text)
        if folded is not None:
            # Only its capitals changed (a sentence moved to the front of the clause), and it is the only
            # such passage in either text: the passage itself, edited.
            best = (CONFIDENCE_THRESHOLD, *folded)

    # Fuzzy search finds a passage edited *and* moved within the clause (an edit in place was scored
    # above). Its words then come back as insertions, so it is only worth trying when they do.
    if best is None or best[0] < CONFIDENCE_THRESHOLD:
        pool = _clause_diff(old_text, new_text).inserted_words if start >= 0 else _word_set(new_text)
        if _worth_fuzzy_search(anchor.exact, pool):
            fuzzy = _fuzzy_search(anchor, new_text, near)
            if fuzzy is not None and start >= 0 and fuzzy[0] < CONFIDENCE_THRESHOLD:
                # Moved and edited: its context is lost, so context cannot vouch for it. It stands on its
                # own likeness, when that is high and the span is new text (not a passage both versions hold),
                # once its ends are where the passage really is.
                _rough, f_start, f_end = _verify_span(anchor, new_text, fuzzy)
                inserted = _clause_diff(old_text, new_text).inserted_share(f_start, f_end)
                if (
                    inserted >= MOVED_INSERTED
                    and _similarity(anchor.exact, new_text[f_start:f_end]) >= MOVED_SIMILARITY
                ):
                    fuzzy = (CONFIDENCE_THRESHOLD, f_start, f_end)
                    verified = True
            if fuzzy is not None and (best is None or fuzzy[0] > best[0]):
                best = fuzzy
            else:
                verified = False

    if best is not None and _squash(new_text[best[1] : best[2]]) == _squash(anchor.exact):
        # The quote itself, intact: when it occurs more than once, its context must say which.
        placed = _decide_repeats(anchor, old_text, new_text, start, end, (best[1], best[2]))
        if placed is None:
            return Reanchored(None, "needs_review", round(min(best[0], 0.5), 3))
        if placed != (best[1], best[2]) or (
            best[0] < CONFIDENCE_THRESHOLD and _unique_in_both(anchor.exact, old_text, new_text)
        ):
            best = (max(best[0], CONFIDENCE_THRESHOLD), *placed)
    elif best is not None and best[0] >= CONFIDENCE_THRESHOLD and not verified:
        best = _verify_span(anchor, new_text, best)
    if best is None or best[0] < CONFIDENCE_THRESHOLD:
        return Reanchored(None, "needs_review", round(best[0], 3) if best else 0.0)
    confidence, b_start, b_end = best
    intact = _squash(new_text[b_start:b_end]) == _squash(anchor.exact)
    if not intact:
        # An edited passage found by its likeness: when its new text occurs more than once, context decides.
        placed = _decide_repeats(
            anchor, old_text, new_text, start, end, (b_start, b_end), new_text[b_start:b_end]
        )
        if placed is None:
            return Reanchored(None, "needs_review", round(min(confidence, 0.5), 3))
        b_start, b_end = placed
    result = _anchor_from(anchor, new_text, b_start, b_end)
    return Reanchored(result, kept if intact else "text_changed", round(confidence, 3))


# --- repeats and verification -----------------------------------------------------------------------


def _occurrences(text: str, exact: str) -> list[tuple[int, int]]:
    """Every occurrence of the quote in the text (whitespace-tolerant), at most MAX_OCCURRENCES."""
    quote = " ".join(exact.split())
    if not quote:
        return []
    squashed, origins = _squashed(text)
    found: list[tuple[int, int]] = []
    at = squashed.find(quote)
    while at >= 0 and len(found) < MAX_OCCURRENCES:
        found.append((origins[at], origins[at + len(quote) - 1] + 1))
        at = squashed.find(quote, at + 1)
    return found


def _unique_in_both(exact: str, old_text: str, new_text: str) -> bool:
    """Tell whether a quote of a few words occurs once in the old text and once in the new one."""
    if len(_WORD_RE.findall(exact)) < UNIQUE_MIN_WORDS:
        return False
    return len(_occurrences(old_text, exact)) == 1 and len(_occurrences(new_text, exact)) == 1


def _unique_folded(exact: str, old_text: str, new_text: str) -> tuple[int, int] | None:
    """Find the one place in the new text that holds the quote up to capitals (when it is the only one)."""
    if len(_WORD_RE.findall(exact)) < UNIQUE_MIN_WORDS:
        return None
    folded_old, folded_new, folded_quote = old_text.lower(), new_text.lower(), exact.lower()
    if (
        len(folded_new) != len(new_text)
        or len(folded_quote) != len(exact)
        or len(folded_old) != len(old_text)
    ):
        return None  # lower-casing changed a length (rare letters): offsets would not carry over
    if len(_occurrences(folded_old, folded_quote)) != 1:
        return None
    spans = _occurrences(folded_new, folded_quote)
    return spans[0] if len(spans) == 1 else None


def _shared_context(
    anchor: Anchor, old_text: str, new_text: str, start: int, end: int, span: tuple[int, int]
) -> int:
    """Count the characters of context (either side, up to CONTEXT_REACH) a new span shares with the old."""
    if start >= 0:
        before, after = old_text[max(0, start - CONTEXT_REACH) : start], old_text[end : end + CONTEXT_REACH]
    else:
        before, after = anchor.prefix, anchor.suffix
    new_before = new_text[max(0, span[0] - CONTEXT_REACH) : span[0]]
    new_after = new_text[span[1] : span[1] + CONTEXT_REACH]
    return _common_length(before[::-1], new_before[::-1]) + _common_length(after, new_after)


def _common_length(a: str, b: str) -> int:
    """Count the characters two strings share at their start."""
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def _decide_repeats(
    anchor: Anchor,
    old_text: str,
    new_text: str,
    start: int,
    end: int,
    found: tuple[int, int],
    passage: str | None = None,
) -> tuple[int, int] | None:
    """Choose among the passage's occurrences in the new text by context; None when the context cannot tell.

    The passage is the quote, or the edited text a placement found for it. With one occurrence there is
    nothing to decide. With several, the one sharing the most characters of context with the old passage
    (the text either side, up to CONTEXT_REACH) wins; a tie is ambiguous.
    """
    spans = _occurrences(new_text, anchor.exact if passage is None else passage)
    if len(spans) < 2:
        return found
    ranked = sorted(
        ((_shared_context(anchor, old_text, new_text, start, end, span), span) for span in spans),
        reverse=True,
    )
    if ranked[0][0] == ranked[1][0]:
        return None
    return ranked[0][1]


def _verify_span(anchor: Anchor, text: str, best: tuple[float, int, int]) -> tuple[float, int, int]:
    """Check a fuzzy placement against the whole quote, moving its ends to where the passage really is.

    The ends are moved a word at a time while that raises the confidence (similarity of the whole span to
    the quote, weighted by context agreement), so a passage is never left on part of its new span. The
    placement stands only if the span's similarity to the quote is at least VERIFY_SIMILARITY.
    """
    tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    starts, ends = [t[0] for t in tokens], [t[1] for t in tokens]

    def score(span_start: int, span_end: int) -> tuple[float, float]:
        similarity = _similarity(anchor.exact, text[span_start:span_end])
        context = _context_agreement(text, span_start, span_end, anchor.prefix, anchor.suffix)
        return _confidence(similarity, context, MAPPED_WEIGHT), similarity

    _confidence_now, b_start, b_end = best
    current, similarity = score(b_start, b_end)
    for _ in range(VERIFY_STEPS):
        i, j = bisect_left(starts, b_start), bisect_left(ends, b_end)
        new_starts = {starts[k] for k in (i - 1, i + 1) if 0 <= k < len(starts)} | {b_start}
        new_ends = {ends[k] for k in (j - 1, j + 1) if 0 <= k < len(ends)} | {b_end}
        moves = [
            (*score(n_start, n_end), n_start, n_end)
            for n_start in sorted(new_starts)
            for n_end in sorted(new_ends)
            if n_end > n_start
            and (n_start, n_end) != (b_start, b_end)
            # A span ends on a word, or on a mark, as the quote does.
            and _is_word(text[n_start]) == _is_word(anchor.exact[0])
            and _is_word(text[n_end - 1]) == _is_word(anchor.exact[-1])
        ]
        if not moves:
            break
        top = max(moves)
        if top[0] <= current:
            break
        current, similarity, b_start, b_end = top
    if similarity < VERIFY_SIMILARITY:
        return (min(current, CONFIDENCE_THRESHOLD - 0.01), b_start, b_end)
    return (current, b_start, b_end)


# --- the clause diff ------------------------------------------------------------------------------


class _ClauseDiff:
    """A word-level diff of two clause texts, indexed for mapping offsets quickly."""

    def __init__(self, old_text: str, new_text: str) -> None:
        encoder = WordEncoder()
        self.ops: list[tuple[int, int, int, int, int]] = []  # (op, old start, old end, new start, new end)
        old_at = new_at = 0
        inserted: list[str] = []
        for op, chars in encoded_diff(encoder, old_text, new_text):
            text = encoder.decode(chars)
            size = len(text)
            if op == _INSERT:
                inserted.append(text)
            old_size = 0 if op == _INSERT else size
            new_size = 0 if op == _DELETE else size
            self.ops.append((op, old_at, old_at + old_size, new_at, new_at + new_size))
            old_at += old_size
            new_at += new_size
        self.old_length, self.new_length = old_at, new_at
        self.inserted_words = frozenset(_WORD_RE.findall(" ".join(inserted)))
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
        """Score old[start:end] against new[new_start:new_end] by the edit script this diff implies.

        The script is a real one, so the score never overstates the similarity.
        """
        script: list[tuple[int, str]] = []
        for op, o_start, o_end, n_start, n_end in self.ops:
            if op == _INSERT:
                size = min(n_end, new_end) - max(n_start, new_start)
                if size > 0:
                    script.append((_INSERT, "x" * size))
                continue
            if op == _DELETE:
                size = min(o_end, end) - max(o_start, start)
                if size > 0:
                    script.append((_DELETE, "x" * size))
                continue
            # An equality counts where it lies inside both spans; elsewhere in one span it is an edit.
            shift = n_start - o_start
            old_in = (max(o_start, start), min(o_end, end))
            new_in = (max(o_start, new_start - shift), min(o_end, new_end - shift))
            both = min(old_in[1], new_in[1]) - max(old_in[0], new_in[0])
            both = max(both, 0)
            only_old = max(old_in[1] - old_in[0], 0) - both
            only_new = max(new_in[1] - new_in[0], 0) - both
            if only_old:
                script.append((_DELETE, "x" * only_old))
            if only_new:
                script.append((_INSERT, "x" * only_new))
            if both:
                script.append((_EQUAL, "x" * both))
        distance: int = _dmp.diff_levenshtein(script)
        longest = max(end - start, new_end - new_start)
        return max(0.0, 1.0 - distance / longest) if longest else 1.0

    def pinned_span(self, old_text: str, start: int, end: int) -> tuple[int, int] | None:
        """Map old[start:end] when the diff keeps both its ends and changed something between them.

        Both ends means the quote's first and last words, each in one equality with whatever marks stand
        before the first and after the last of them (a full stop matched to another full stop further on
        pins nothing).
        """
        words = [m.span() for m in _WORD_RE.finditer(old_text, start, end)]
        if not self._old_ops or not words:
            return None
        first, last = self._op_at(start), self._op_at(end - 1)
        if first == last or self.ops[first][0] != _EQUAL or self.ops[last][0] != _EQUAL:
            return None
        if self._op_at(words[0][0]) != first or self._op_at(words[-1][1] - 1) != last:
            return None
        return self.map_start(start), self.map_end(end)

    def inserted_share(self, new_start: int, new_end: int) -> float:
        """Share of the new span's characters that the diff inserted (text the old version did not hold)."""
        if new_end <= new_start:
            return 0.0
        inserted = sum(
            max(0, min(n_end, new_end) - max(n_start, new_start))
            for op, _o_start, _o_end, n_start, n_end in self.ops
            if op == _INSERT
        )
        return inserted / (new_end - new_start)

    def candidate_spans(self, start: int, end: int) -> set[tuple[int, int]]:
        """Offer new spans for old[start:end]: mapped, and with edge replacements trimmed."""
        new_start, new_end = self.map_start(start), self.map_end(end)
        starts, ends = {new_start}, {new_end}
        ops = self.ops
        first = self._op_at(start)
        if ops[first][0] == _DELETE and first + 1 < len(ops) and ops[first + 1][0] == _INSERT:
            # The quote starts inside a replaced run: its replacement may or may not belong to it.
            replacement = ops[first + 1]
            lost = min(ops[first][2], end) - start
            starts.update((replacement[4], max(replacement[3], replacement[4] - lost)))
        last = self._op_at(end - 1)
        if ops[last][0] == _DELETE and last + 1 < len(ops) and ops[last + 1][0] == _INSERT:
            replacement = ops[last + 1]
            lost = end - max(ops[last][1], start)
            ends.update((replacement[3], min(replacement[4], replacement[3] + lost)))
        # An insertion inside the span, nearest either edge, may be new text next to the passage.
        inside = [o for o in ops if o[0] == _INSERT and new_start <= o[3] and o[4] <= new_end]
        if inside:
            starts.add(inside[0][4])
            ends.add(inside[-1][3])
        return {(s, e) for s in starts for e in ends if e > s}


@lru_cache(maxsize=4096)
def _clause_diff(old_text: str, new_text: str) -> _ClauseDiff:
    # Comments on one clause share its diff: carrying a version's comments forward diffs each clause once.
    return _ClauseDiff(old_text, new_text)


def _new_dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    # No deadline: a diff cut short by the clock would make results depend on how busy the machine is.
    # Letter-level diffs are kept cheap by length instead (LETTER_MAX).
    dmp.Diff_Timeout = 0
    dmp.Match_MaxBits = MATCH_MAX_BITS
    # Bitap gives up beyond 30% errors in a 32-character piece: such a hit would not pass the threshold.
    dmp.Match_Threshold = 0.3
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
def _squashed(text: str) -> tuple[str, tuple[int, ...]]:
    """Collapse each run of whitespace to one space; keep where each kept character came from."""
    chars: list[str] = []
    origins: list[int] = []
    in_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if in_space:
                continue
            in_space = True
        else:
            in_space = False
        chars.append(" " if in_space else char)
        origins.append(index)
    return "".join(chars), tuple(origins)


def _best_occurrence(
    text: str, exact: str, prefix: str, suffix: str, hint: int | None
) -> tuple[int, int, float] | None:
    """Find the occurrence of the quote (whitespace-tolerant) whose context agrees best, then nearest."""
    quote = " ".join(exact.split())
    if not quote:
        return None
    squashed, origins = _squashed(text)
    best: tuple[float, int, int, int] | None = None  # (context, -distance, start, end)
    found = squashed.find(quote)
    for _ in range(MAX_OCCURRENCES):
        if found < 0:
            break
        start, end = origins[found], origins[found + len(quote) - 1] + 1
        context = _context_agreement(text, start, end, prefix, suffix)
        distance = abs(start - hint) if hint is not None else start
        candidate = (context, -distance, start, end)
        if best is None or candidate > best:
            best = candidate
        found = squashed.find(quote, found + 1)
    if best is None:
        return None
    return best[2], best[3], best[0]


def _context_agreement(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """Score 0..1 how well the text around a span agrees with the expected prefix and suffix."""
    scores: list[float] = []
    if prefix:
        scores.append(_affix_agreement(prefix, text[max(0, start - len(prefix)) : start]))
    if suffix:
        scores.append(_affix_agreement(suffix, text[end : end + len(suffix)]))
    return sum(scores) / len(scores) if scores else 1.0


@lru_cache(maxsize=4096)
def _affix_agreement(expected: str, actual: str) -> float:
    if expected == actual:
        return 1.0
    if not actual:
        return 0.0
    # Ratcliff/Obershelp on at most 32 characters a side: cheap, and a few edits nearby cost a little.
    return SequenceMatcher(None, expected, actual, autojunk=False).ratio()


@lru_cache(maxsize=1024)
def _word_set(text: str) -> frozenset[str]:
    return frozenset(_WORD_RE.findall(text))


def _worth_fuzzy_search(exact: str, present: frozenset[str]) -> bool:
    """Tell whether enough of the quote's words are present for a fuzzy hit to have a chance."""
    words = _WORD_RE.findall(exact)
    total = sum(len(w) for w in words)
    if total == 0:
        return False
    return sum(len(w) for w in words if w in present) >= FUZZY_WORD_FLOOR * total


def _fuzzy_search(anchor: Anchor, text: str, near: int) -> tuple[float, int, int] | None:
    """Search the clause for a near match of the quote, verifying the hit against the whole quote."""
    exact = anchor.exact
    size = len(exact)
    head = exact[:MATCH_MAX_BITS]
    tail = exact[-MATCH_MAX_BITS:]
    spans: set[tuple[int, int]] = set()
    # Searched without regard to capitals (a sentence moved to the front gains one), and with the distance
    # from the expected place counting for little: within one clause a moved passage may be anywhere.
    haystack = text.lower() if len(text.lower()) == len(text) else text
    if haystack is not text and len(exact.lower()) == size:
        head, tail = head.lower(), tail.lower()
    _dmp.Match_Distance = MATCH_DISTANCE_PER_CHAR * max(len(text), MATCH_MAX_BITS)
    head_at: int = _dmp.match_main(haystack, head, near)
    if head_at >= 0:
        spans.add((head_at, head_at + size))
    if size > MATCH_MAX_BITS:
        tail_at: int = _dmp.match_main(haystack, tail, near + size - len(tail))
        if tail_at >= 0:
            tail_end = tail_at + len(tail)
            spans.add((tail_end - size, tail_end))
            if head_at >= 0 and tail_end > head_at:
                spans.add((head_at, tail_end))
    whole_start, whole_end = _whole_words(anchor)
    # Rank the spans by the cheap word-level similarity; verify the best one letter by letter.
    ranked: list[tuple[float, int, int]] = []
    for rough_start, rough_end in spans:
        start = _snap(text, rough_start, whole_start, True)
        end = _snap(text, rough_end, whole_end, False)
        if end > start:
            ranked.append((_similarity(exact, text[start:end], exact=False), start, end))
    if not ranked:
        return None
    _rough, start, end = max(ranked)
    similarity = _similarity(exact, text[start:end])
    context = _context_agreement(text, start, end, anchor.prefix, anchor.suffix)
    return _confidence(similarity, context, SEARCH_WEIGHT), start, end


def _whole_words(anchor: Anchor) -> tuple[bool, bool]:
    """Tell whether the quote starts and ends on word boundaries (its matches should too)."""
    exact = anchor.exact
    whole_start = not anchor.prefix or not _is_word(anchor.prefix[-1]) or not _is_word(exact[0])
    whole_end = not anchor.suffix or not _is_word(anchor.suffix[0]) or not _is_word(exact[-1])
    return whole_start, whole_end


def _snap(text: str, at: int, whole_words: bool, is_start: bool) -> int:
    """Move a rough span end to the nearest word boundary (when the quote had whole words)."""
    at = max(0, min(at, len(text)))
    if whole_words:
        left = right = at
        while 0 < left < len(text) and _is_word(text[left - 1]) and _is_word(text[left]):
            left -= 1
        while 0 < right < len(text) and _is_word(text[right - 1]) and _is_word(text[right]):
            right += 1
        at = left if at - left <= right - at else right
    # Never start or end a span on whitespace.
    if is_start:
        while at < len(text) and text[at].isspace():
            at += 1
    else:
        while at > 0 and text[at - 1].isspace():
            at -= 1
    return at


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _similarity(a: str, b: str, *, exact: bool = True) -> float:
    """Score 0..1: one minus an edit distance over the longer length (never more than the truth).

    The word-level distance comes first (cheap; a changed word costs all its letters); with `exact`, a
    character-level diff may then raise it. Both are lengths of real edit scripts, so neither overstates
    the similarity.
    """
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if min(len(a), len(b)) < CONFIDENCE_THRESHOLD * longest:
        return min(len(a), len(b)) / longest  # the distance is at least the difference in length
    encoder = WordEncoder()
    diffs = [(op, "x" * len(encoder.decode(c))) for op, c in encoded_diff(encoder, a, b)]
    words: int = _dmp.diff_levenshtein(diffs)
    similarity = max(0.0, 1.0 - words / longest)
    return _letter_similarity(a, b, similarity) if exact else similarity


def _letter_similarity(a: str, b: str, words: float) -> float:
    """Raise a word-level similarity by a letter-level diff when that could make a difference."""
    if not CONFIDENCE_THRESHOLD - LETTER_REACH <= words < 1.0:
        return words
    longest = max(len(a), len(b))
    if longest > LETTER_MAX or min(len(a), len(b)) < CONFIDENCE_THRESHOLD * longest:
        return words
    letters: int = _dmp.diff_levenshtein(_dmp.diff_main(a, b, False))
    return max(words, 1.0 - letters / longest)
