"""The structure editor's pure source edits: every key stays where it was, new keys are never reused."""

from __future__ import annotations

import pytest

from app.drafting import structure
from app.drafts.parsing import parse_draft

SOURCE = """---
title: T
version: V
status: working
---
# T

## Purpose {#purpose}

1. First clause. {#purpose-1}
2. Second clause,
   over two lines. {#purpose-2}

## Principles {#principles}

- People first. {#principles-1}
- Be open. {#principles-2}
"""

DOC = parse_draft(SOURCE)
SHAPE = [("purpose", ["purpose-1", "purpose-2"]), ("principles", ["principles-1", "principles-2"])]


def shape_of(source: str) -> list[tuple[str, list[str]]]:
    return structure.shape(parse_draft(source))


def test_the_starting_shape():
    assert structure.shape(DOC) == SHAPE


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda: structure.move_section(SOURCE, DOC, "principles", -1), [SHAPE[1], SHAPE[0]]),
        (lambda: structure.move_section(SOURCE, DOC, "principles", 1), SHAPE),  # already last
        (lambda: structure.delete_section(SOURCE, DOC, "purpose"), [SHAPE[1]]),
        (lambda: structure.rename_section(SOURCE, DOC, "purpose", "Why"), SHAPE),
        (
            lambda: structure.move_clause(SOURCE, DOC, "purpose-1", 1),
            [("purpose", ["purpose-2", "purpose-1"]), SHAPE[1]],
        ),
        (lambda: structure.delete_clause(SOURCE, DOC, "purpose-2"), [("purpose", ["purpose-1"]), SHAPE[1]]),
        (
            lambda: structure.add_clause(
                SOURCE, DOC, "principles", "Keep little.", "principles-3", "principles-1"
            ),
            [SHAPE[0], ("principles", ["principles-1", "principles-3", "principles-2"])],
        ),
        (
            lambda: structure.add_section(SOURCE, DOC, "Review", "review", "Yearly.", "review-1", "purpose"),
            [SHAPE[0], ("review", ["review-1"]), SHAPE[1]],
        ),
        (
            lambda: structure.add_section(SOURCE, DOC, "Review", "review", "Yearly.", "review-1", None),
            [*SHAPE, ("review", ["review-1"])],
        ),
        (
            lambda: structure.replace_clause(SOURCE, DOC, "purpose-2", "Reworded\nover lines."),
            SHAPE,
        ),
    ],
)
def test_each_edit_gives_the_structure_asked_for(edit, expected):
    assert shape_of(edit()) == expected


def test_moving_a_clause_keeps_the_list_numbers_in_order():
    moved = structure.move_clause(SOURCE, DOC, "purpose-1", 1)
    lines = [line for line in moved.split("\n") if line[:2] in ("1.", "2.")]
    assert lines[0].startswith("1. Second clause")
    assert lines[1].startswith("2. First clause")


def test_a_rename_keeps_the_key_and_a_reword_keeps_the_marker():
    renamed = parse_draft(structure.rename_section(SOURCE, DOC, "purpose", "Why  we   ask"))
    assert (renamed.sections[0].key, renamed.sections[0].heading) == ("purpose", "Why we ask")
    reworded = structure.replace_clause(SOURCE, DOC, "principles-1", "Put people first.")
    assert "- Put people first. {#principles-1}" in reworded


def test_new_keys_are_never_taken_ones():
    taken = structure.used_keys(DOC)
    assert structure.new_key("Purpose", taken) not in taken
    assert structure.new_key("!!!", taken) not in taken
    assert structure.clause_key_for(DOC.sections[0], taken) == "purpose-3"
