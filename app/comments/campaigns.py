"""Tell identical and near-identical comments apart: normalised text, fingerprints, shingle similarity.

Pure domain code: no Flask, no database. The services decide which comments to compare; this module only
says whether two texts are the same form letter.

Two comments are one campaign when their normalised texts are equal (same fingerprint), or when they are
near-identical: long enough to be a letter (NEAR_MIN_WORDS), of similar length, and either their 3-word
shingles overlap with a Jaccard index of at least JACCARD_THRESHOLD, or (for shorter letters, where one
changed word already breaks three shingles) their word sequences match with a difflib ratio of at least
SEQUENCE_THRESHOLD. The length check runs first, so most pairs cost a division.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeVar

SHINGLE_WORDS = 3
JACCARD_THRESHOLD = 0.8
# Only pairs already this close by shingles are given to difflib, which is slower.
SEQUENCE_GATE = 0.4
SEQUENCE_THRESHOLD = 0.9
# Shorter texts are grouped only when they are exactly the same: "I agree" from two people is not a
# form letter with a word changed.
NEAR_MIN_WORDS = 8
# Word counts further apart than this ratio cannot reach the thresholds above.
LENGTH_RATIO = 0.75

_NON_WORD_RE = re.compile(r"[^\w\s]|_", re.UNICODE)

Key = TypeVar("Key")


def normalise(text: str) -> str:
    """Fold text for comparison: NFKC, no invisible format characters, casefolded, no punctuation,
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    # Zero-width spaces, joiners and direction overrides (category Cf) would hide a duplicate.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.casefold()
    text = _NON_WORD_RE.sub(" ", text)
    return " ".join(text.split())


def fingerprint(text: str) -> str:
    """The SHA-256 of the normalised text, hex: equal for comments that differ only in form."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Letter:
    """A normalised text prepared for comparison: its words and 3-word shingles."""

    words: tuple[str, ...]
    shingles: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, normalised: str) -> Letter:
        """Prepare an already normalised text."""
        words = tuple(normalised.split())
        if len(words) < SHINGLE_WORDS:
            return cls(words, frozenset([words]) if words else frozenset())
        shingles = frozenset(words[i : i + SHINGLE_WORDS] for i in range(len(words) - SHINGLE_WORDS + 1))
        return cls(words, shingles)


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """The Jaccard index of two sets: shared over all."""
    if not a and not b:
        return 1.0
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def lengths_compatible(words_a: int, words_b: int) -> bool:
    """The cheap prefilter: texts of very different lengths are not one letter."""
    if words_a == 0 or words_b == 0:
        return words_a == words_b
    return min(words_a, words_b) / max(words_a, words_b) >= LENGTH_RATIO


def is_near_duplicate(a: Letter, b: Letter) -> bool:
    """Whether two letters are the same form letter with a name or a few words changed."""
    if a.words == b.words:
        return True
    if min(len(a.words), len(b.words)) < NEAR_MIN_WORDS:
        return False
    if not lengths_compatible(len(a.words), len(b.words)):
        return False
    score = jaccard(a.shingles, b.shingles)
    if score >= JACCARD_THRESHOLD:
        return True
    if score < SEQUENCE_GATE:
        return False
    ratio = SequenceMatcher(None, a.words, b.words, autojunk=False).ratio()
    return ratio >= SEQUENCE_THRESHOLD


def best_match(normalised: str, candidates: Iterable[tuple[Key, str]]) -> Key | None:
    """Return the key of the first candidate (key, normalised text) that is the same letter, or None."""
    letter = Letter.of(normalised)
    for key, other in candidates:
        if is_near_duplicate(letter, Letter.of(other)):
            return key
    return None


def word_count(normalised: str) -> int:
    """Words in a normalised text."""
    return len(normalised.split())
