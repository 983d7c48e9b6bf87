"""Drafts without keys: clauses matched to the previous version by wording, then compared (issue #15)."""

from __future__ import annotations

import re

from app.diffing.engine import Change, compare
from app.drafts.parsing import Document, parse_draft

KEY_RE = re.compile(r"[ \t]*\{#[^}\s]*\}[ \t]*$", re.MULTILINE)


def strip_keys(markdown: str) -> str:
    """Remove every `{#key}` marker, as a drafter who never writes keys would."""
    return KEY_RE.sub("", markdown)


def draft(body: str, version: str = "v1", previous: Document | None = None) -> Document:
    text = f"---\ntitle: Test policy\nversion: {version}\nstatus: published\n---\n{body}"
    return parse_draft(text, "<test>", previous=previous)


def keyless(old_body: str, new_body: str) -> tuple[Document, Document, list[Change]]:
    old = draft(strip_keys(old_body))
    new = draft(strip_keys(new_body), "v2", previous=old)
    return old, new, compare(old, new)


def kinds(changes: list[Change]) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(c.kind, c.old_keys, c.new_keys) for c in changes]


BASE = """
## Purpose

1. This policy sets out how agencies should look after information about the people they serve.
2. It applies to every agency that funds or delivers social services in the community.
3. Agencies must keep records safe, and they must tell people what happens to them.

## Principles

- He Tāngata: put the wellbeing of people ahead of the convenience of agencies.
- Manaakitanga: treat people and their stories with respect and protect their dignity.
- Kaitiakitanga: look after information as a steward would, for the long term.

## Glossary

- Consent: a person's informed agreement to something being done with information about them.
- Steward: someone who looks after information on behalf of others and answers for its care.
- Whānau: extended family, and sometimes a wider group joined by a shared purpose.
"""


def test_renamed_section_in_a_keyless_draft_is_a_rename() -> None:
    """Failure class 1: section keys were inherited before clause keys, so only explicit keys counted."""
    old, new, changes = keyless(BASE, BASE.replace("## Principles", "## Our values"))
    assert kinds(changes) == [("section_renamed", ("principles",), ("principles",))]
    assert [s.key for s in new.sections] == [s.key for s in old.sections]


def test_renamed_and_reworded_section_keeps_its_clauses() -> None:
    new_body = BASE.replace("## Principles", "## Our values").replace(
        "for the long term", "for generations to come"
    )
    _old, _new, changes = keyless(BASE, new_body)
    assert [c.kind for c in changes] == ["section_renamed", "clause_reworded"]


def test_new_glossary_entry_in_a_removed_ones_place_is_added_not_a_rewording() -> None:
    """Failure class 2: the new clause took the removed clause's position-based key."""
    new_body = BASE.replace(
        "- Steward: someone who looks after information on behalf of others and answers for its care.",
        "- Algorithm: a set of steps a computer follows to reach a result from the data it is given.",
    )
    old, new, changes = keyless(BASE, new_body)
    removed_key = old.sections[2].clauses[1].key
    added_key = new.sections[2].clauses[1].key
    assert added_key != removed_key
    assert sorted(kinds(changes)) == [
        ("clause_added", (), (added_key,)),
        ("clause_removed", (removed_key,), ()),
    ]


def test_fresh_keys_never_reuse_a_key_of_the_previous_version() -> None:
    old = draft(strip_keys(BASE))
    new_body = strip_keys(BASE).replace(
        "- Whānau: extended family, and sometimes a wider group joined by a shared purpose.",
        "- Iwi: a tribe, made of several hapū who share descent from a common ancestor.",
    )
    new = draft(new_body, "v2", previous=old)
    old_keys = {c.key for c in old.clauses}
    assert new.sections[2].clauses[2].key not in old_keys


def test_whitespace_only_change_is_not_reported() -> None:
    """Failure class 3: a double space was reported as a rewording with nothing visible."""
    new_body = BASE.replace("look after information about", "look after  information about")
    assert keyless(BASE, new_body)[2] == []


def test_reflowed_clause_is_not_reported() -> None:
    new_body = BASE.replace("delivers social services", "delivers social\n   services")
    assert keyless(BASE, new_body)[2] == []


def test_emphasis_is_still_a_rewording_with_equal_words() -> None:
    new_body = BASE.replace("keep records safe", "keep records **safe**")
    changes = keyless(BASE, new_body)[2]
    assert [c.kind for c in changes] == ["clause_reworded"]
    assert [op.op for op in changes[0].words] == ["equal"]


def test_three_way_merge_into_an_unkeyed_clause_is_a_merge() -> None:
    """Failure class 4: three removals and an addition instead of one merge."""
    merged = (
        "- Our values: put the wellbeing of people ahead of the convenience of agencies, treat people "
        "and their stories with respect and protect their dignity, and look after information as a "
        "steward would, for the long term."
    )
    new_body = re.sub(r"- He Tāngata:.*\n- Manaakitanga:.*\n- Kaitiakitanga:.*\n", merged + "\n", BASE)
    old, new, changes = keyless(BASE, new_body)
    parts = tuple(c.key for c in old.sections[1].clauses)
    assert kinds(changes) == [("clause_merged", parts, (new.sections[1].clauses[0].key,))]


def test_three_way_split_of_an_unkeyed_clause_is_a_split() -> None:
    whole = (
        "- Kaitiakitanga: look after information as a steward would, keep it only as long as it is "
        "needed, and share it only with those who will care for it as well as you do."
    )
    parts = (
        "- Kaitiakitanga: look after information as a steward would.\n"
        "- Keep information only as long as it is needed.\n"
        "- Share it only with those who will care for it as well as you do.\n"
    )
    old_body = re.sub(r"- Kaitiakitanga:.*\n", whole + "\n", BASE)
    new_body = re.sub(r"- Kaitiakitanga:.*\n", parts, BASE)
    old, new, changes = keyless(old_body, new_body)
    kept = old.sections[1].clauses[2].key
    assert kinds(changes) == [("clause_split", (kept,), tuple(c.key for c in new.sections[1].clauses[2:5]))]


def test_keyless_clause_moved_to_another_section_keeps_its_key() -> None:
    line = "- Kaitiakitanga: look after information as a steward would, for the long term.\n"
    new_body = BASE.replace(line, "") + line
    old, new, changes = keyless(BASE, new_body)
    key = old.sections[1].clauses[2].key
    assert kinds(changes) == [("clause_moved", (key,), (key,))]
    assert new.sections[2].clauses[3].key == key
