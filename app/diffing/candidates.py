"""Find likely counterparts of a text among many, without trying every pair.

Pure domain code: no Flask, no database. Used where a draft is matched to its previous version by wording
(key inheritance in `app.drafts.parsing`) and where the diff engine looks for the parts of a split or merge.

An inverted index from words to the items that contain them. A query looks up only its rarest words (those
found in the fewest items) and ranks the items by how many of those words they share: a clause that is the
same clause reworded keeps most of its distinctive words, while a common word ("the", "data") says nothing.
The cost of a query is the length of a few short posting lists, not the number of items, so matching a
whole document stays near-linear in its size. Where even the rarest words are common (a document that repeats
itself: many identical clauses), only the NEAREST entries of a long posting list around the position hint are
counted, so one query still costs a bounded amount and the answer is the nearest of the equals, as before. Ties are broken by the distance from a position hint and
then by item order, so the answer never depends on hashing.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

# How many of a query's rarest words are looked up.
PROBE_WORDS = 8
# How many candidates a query returns at most.
CANDIDATES = 8
# A query for the parts of a merge or split looks up the rarest words of each stretch of this many words, so
# that every part, wherever it sits in the whole, contributes words to look up.
PART_WINDOW = 16
PART_PROBE = 3
# A posting list longer than this is only walked this far on each side of the position hint.
NEAREST = 16


class WordIndex:
    """An inverted index from words to the numbered items (word lists) that contain them."""

    def __init__(self, items: Iterable[Sequence[str]], positions: Sequence[int] | None = None) -> None:
        """Index the items in order; `positions` (one per item) are used to break ties by nearness."""
        self._postings: dict[str, list[int]] = {}
        count = 0
        for number, words in enumerate(items):
            for word in dict.fromkeys(words):
                self._postings.setdefault(word, []).append(number)
            count = number + 1
        self._positions = list(positions) if positions is not None else list(range(count))
        # Items are numbered in document order; when their positions also ascend, a position hint can be turned
        # into an item number by bisection, and a long posting list cut to the entries nearest to it.
        self._ordered = all(a <= b for a, b in zip(self._positions, self._positions[1:], strict=False))

    def frequency(self, word: str) -> int:
        """Count the items that contain the word."""
        return len(self._postings.get(word, ()))

    def candidates(
        self,
        words: Sequence[str],
        near: int = 0,
        *,
        allowed: set[int] | None = None,
        probe: int = PROBE_WORDS,
        limit: int = CANDIDATES,
    ) -> list[int]:
        """Return up to `limit` item numbers that share the most of the query's rarest words."""
        postings = self._postings
        present = [w for w in dict.fromkeys(words) if w in postings]
        present.sort(key=lambda w: (len(postings[w]), w))
        hits: dict[int, int] = {}
        centre = bisect_left(self._positions, near) if self._ordered else None
        for word in present[:probe]:
            posting = postings[word]
            if centre is not None and len(posting) > 2 * NEAREST:
                at = bisect_left(posting, centre)
                posting = posting[max(0, at - NEAREST) : at + NEAREST]
            for number in posting:
                if allowed is None or number in allowed:
                    hits[number] = hits.get(number, 0) + 1
        positions = self._positions
        ranked = sorted(hits, key=lambda n: (-hits[n], abs(positions[n] - near), n))
        return ranked[:limit]

    def part_candidates(
        self, words: Sequence[str], near: int = 0, *, allowed: set[int] | None = None
    ) -> list[int]:
        """Return items that may be parts of `words` (a merge or split): probed stretch by stretch."""
        found: dict[int, None] = {}
        windows = range(0, len(words), PART_WINDOW)
        for start in windows:
            stretch = words[start : start + PART_WINDOW]
            for number in self.candidates(stretch, near, allowed=allowed, probe=PART_PROBE, limit=PART_PROBE):
                found[number] = None
        return list(found)
