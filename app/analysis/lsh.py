"""MinHash locality-sensitive hashing for form letters, pure: the band keys of a normalised text.

Two texts whose 3-word shingle sets have Jaccard similarity J share at least one of BANDS band keys with
probability 1 - (1 - J^ROWS)^BANDS: about 0.73 at J = 0.4, 0.99 at J = 0.6. The keys live in the database
(`campaign_band_keys`, indexed by version and key), so a new comment finds its candidates with one indexed lookup
whatever the size of the consultation, on every instance alike; each candidate is then checked by
`app.comments.campaigns.is_near_duplicate`, so a shared key is never enough on its own. Texts shorter than
`NEAR_MIN_WORDS` words get no keys: "I agree" from many people is not a campaign. Deterministic: the permutations
come from a fixed seed, so every process computes the same keys.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from datasketch import MinHash

from app.comments.campaigns import NEAR_MIN_WORDS, SHINGLE_WORDS, Letter, is_near_duplicate, jaccard

BANDS = 20
ROWS = 3
SEED = 20261201
# Across clauses, letters are edited more than a clause's own duplicates are (a sentence dropped or added, two
# reordered): measured on tests/data/campaigns_labelled.jsonl, members of one campaign share a median Jaccard of
# 0.53 and independent comments that borrow one campaign sentence at most 0.27 (containment 0.45).
CROSS_JACCARD = 0.4
CROSS_CONTAINMENT = 0.6
CROSS_CONTAINMENT_JACCARD = 0.3


def shingles(normalised: str) -> set[bytes]:
    words = normalised.split()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


@functools.cache
def _template() -> Any:
    """A MinHash whose seeded permutations are drawn once per process (each new MinHash draws them again)."""
    return MinHash(num_perm=BANDS * ROWS, seed=SEED)


def band_keys(normalised: str) -> list[str]:
    """The LSH band keys of an already normalised text ([] for short texts)."""
    if len(normalised.split()) < NEAR_MIN_WORDS:
        return []
    template = _template()
    signature = MinHash(
        num_perm=BANDS * ROWS, seed=SEED, permutations=template.permutations, scheme=template.scheme
    )
    signature.update_batch(sorted(shingles(normalised)))
    values = signature.hashvalues
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        keys.append(f"{band:02d}{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return keys


def same_letter(a: Letter, b: Letter) -> bool:
    """Whether two long enough texts are one form letter, edited: the clause rule, or enough shared shingles."""
    if is_near_duplicate(a, b):
        return True
    if min(len(a.words), len(b.words)) < NEAR_MIN_WORDS or not a.shingles or not b.shingles:
        return False
    score = jaccard(a.shingles, b.shingles)
    contained = len(a.shingles & b.shingles) / min(len(a.shingles), len(b.shingles))
    return score >= CROSS_JACCARD or (contained >= CROSS_CONTAINMENT and score >= CROSS_CONTAINMENT_JACCARD)
