"""Issue 13 item 6: the redline split words mid-word ("Whe(−re personal−)(+n the+)"); edits start and end on
word boundaries now."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.diffing.engine import new_text_of, old_text_of, word_diff

WORD_CHAR = re.compile(r"\w")


def cuts_a_word(ops) -> bool:
    """Whether two neighbouring ops meet between two word characters (inside a word)."""
    for before, after in itertools.pairwise(ops):
        inside = (
            before.text and after.text and WORD_CHAR.match(before.text[-1]) and WORD_CHAR.match(after.text[0])
        )
        if inside and "equal" in (before.op, after.op):
            return True
    return False


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Where personal information is held", "When the information was held"),
        ("Agencies must tell people", "Agents must tell people"),
        ("the information is stored securely", "the informant was stored securely"),
        ("He tangata, he tangata, he tangata", "He tāngata, he tangata, he tāngata"),
    ],
)
def test_edits_begin_and_end_on_word_boundaries(old, new):
    ops = word_diff(old, new)
    assert not cuts_a_word(ops), ops
    assert old_text_of(ops) == old
    assert new_text_of(ops) == new


def test_the_walkthrough_example_reads_as_whole_words():
    ops = word_diff("Where personal information is held", "When the information was held")
    deleted = [o.text for o in ops if o.op == "delete"]
    inserted = [o.text for o in ops if o.op == "insert"]
    assert deleted == ["Where personal", "is"]
    assert inserted == ["When the", "was"]


words = st.lists(
    st.sampled_from(["the", "agency", "agencies", "held", "hold", "when", "where", "data", "dat"]),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_no_diff_cuts_a_word(a, b):
    old, new = " ".join(a), " ".join(b)
    ops = word_diff(old, new)
    assert not cuts_a_word(ops)
    assert old_text_of(ops) == old
    assert new_text_of(ops) == new
