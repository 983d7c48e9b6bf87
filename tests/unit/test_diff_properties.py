"""Properties of compare() over documents Hypothesis builds itself, keyed and keyless (issue #15).

tests/unit/test_diff_engine.py checks the same properties over drafts a seeded generator writes (bullets of
plain words). Here Hypothesis draws the documents and the edits, so a failure shrinks to a small draft, and
the clauses hold what real drafts hold: emphasis, code spans, links, te reo Māori, punctuation, double
spaces and line breaks, numbered and bulleted lists and plain paragraphs. For each pair of drafts:

- a draft compared with itself has no changes (also after a keyless re-parse, which must keep every key);
- every word diff rebuilds both texts exactly;
- compare(b, a) mirrors compare(a, b).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.diffing.engine import Change, compare, new_text_of, old_text_of
from app.drafts.parsing import Document, parse_draft
from tests.unit.test_diff_engine import described, mirrored

HEAD = "---\ntitle: Property policy\nversion: {version}\nstatus: published\n---\n"
KEY_RE = re.compile(r"[ \t]*\{#[^}\s]*\}[ \t]*$", re.MULTILINE)
WORDS = [
    *("data", "people", "agency", "share", "whānau", "iwi", "hapū", "tikanga", "consent", "purpose"),
    *("safe", "records", "tell", "ask", "keep", "use", "trust", "Māori", "care", "open"),
]
MARKS = [",", ".", ";", ":", "(", ")", "'", "-"]


@st.composite
def token(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(WORDS))
    form = draw(st.sampled_from(["plain"] * 6 + ["emphasis", "strong", "code", "link", "mark"]))
    if form == "emphasis":
        return f"*{word}*"
    if form == "strong":
        return f"**{word}**"
    if form == "code":
        return f"`{word}`"
    if form == "link":
        return f"[{word}](https://example.org/{word.encode('ascii', 'ignore').decode() or 'x'})"
    if form == "mark":
        return word + draw(st.sampled_from(MARKS))
    return word


@st.composite
def clause_text(draw: st.DrawFn) -> str:
    """A clause's Markdown: starts with a plain word (so it never turns into a heading or a list)."""
    words = [draw(st.sampled_from(WORDS)), *draw(st.lists(token(), min_size=0, max_size=12))]
    gaps = [draw(st.sampled_from([" "] * 8 + ["  ", "\n"])) for _ in words[1:]]
    text = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
    return text + "."


@dataclass
class Draft:
    """Sections of (key, heading, style, [(key, Markdown)]) with explicit identities."""

    sections: list[tuple[str, str, str, list[tuple[str, str]]]]

    def markdown(self, version: str, keyed: bool) -> str:
        out = [HEAD.format(version=version)]
        for skey, heading, style, clauses in self.sections:
            out.append(f"\n## {heading}" + (f" {{#{skey}}}" if keyed else "") + "\n")
            for n, (ckey, text) in enumerate(clauses, start=1):
                key = f" {{#{ckey}}}" if keyed else ""
                if style == "paragraphs":
                    out.append(f"\n{text}{key}\n")
                else:
                    marker = f"{n}." if style == "numbered" else "-"
                    body = text.replace("\n", "\n" + " " * (len(marker) + 1))
                    out.append(f"{marker} {body}{key}\n")
        return "".join(out)


@st.composite
def drafts(draw: st.DrawFn) -> Draft:
    sections = []
    count = 0
    for s in range(draw(st.integers(1, 3))):
        heading = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))).capitalize()
        style = draw(st.sampled_from(["bullets", "numbered", "paragraphs"]))
        clauses = []
        for _ in range(draw(st.integers(1, 4))):
            count += 1
            clauses.append((f"c{count}", draw(clause_text())))
        sections.append((f"s{s}", f"{heading} {s}", style, clauses))
    return Draft(sections)


@st.composite
def edited(draw: st.DrawFn, draft: Draft) -> Draft:
    """Edit a draft the ways drafters do: reword, drop, add, move, merge, split, rename, respace."""
    sections = [(k, h, s, list(c)) for k, h, s, c in draft.sections]
    fresh = 1000
    for _ in range(draw(st.integers(1, 5))):
        action = draw(st.sampled_from(["reword", "drop", "add", "move", "merge", "split", "rename", "space"]))
        si = draw(st.integers(0, len(sections) - 1))
        skey, heading, style, clauses = sections[si]
        if action == "rename":
            sections[si] = (skey, heading + " " + draw(st.sampled_from(WORDS)), style, clauses)
            continue
        if action == "add" or not clauses:
            fresh += 1
            clauses.insert(draw(st.integers(0, len(clauses))), (f"c{fresh}", draw(clause_text())))
            continue
        ci = draw(st.integers(0, len(clauses) - 1))
        key, text = clauses[ci]
        if action == "reword":
            clauses[ci] = (
                key,
                draw(clause_text()) if draw(st.booleans()) else text[:-1] + " " + draw(token()) + ".",
            )
        elif action == "space":
            clauses[ci] = (key, text.replace(" ", "  ", 1))
        elif action == "drop" and len(clauses) > 1:
            clauses.pop(ci)
        elif action == "move":
            moved = clauses.pop(ci)
            target = sections[draw(st.integers(0, len(sections) - 1))][3]
            target.insert(draw(st.integers(0, len(target))), moved)
        elif action == "merge" and ci + 1 < len(clauses):
            other = clauses.pop(ci + 1)
            clauses[ci] = (key, text[:-1] + ", " + other[1])
        elif action == "split" and " " in text:
            cut = text.index(" ")
            fresh += 1
            clauses[ci : ci + 1] = [(key, text[:cut] + "."), (f"c{fresh}", text[cut + 1 :].capitalize())]
    return Draft(sections)


def parse(draft: Draft, version: str, keyed: bool, previous: Document | None = None) -> Document:
    return parse_draft(draft.markdown(version, keyed), "<property>", previous=previous)


def check_words(changes: list[Change], old: Document, new: Document) -> None:
    old_texts = {c.key: c.text for c in old.clauses}
    new_texts = {c.key: c.text for c in new.clauses}
    for change in changes:
        if change.kind in ("clause_reworded", "clause_split", "clause_merged"):
            assert old_text_of(change.words) == "\n".join(old_texts[k] for k in change.old_keys)
            assert new_text_of(change.words) == "\n".join(new_texts[k] for k in change.new_keys)
        else:
            assert change.words == ()


PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(draft=drafts(), keyed=st.booleans())
def test_a_generated_draft_compared_with_itself_has_no_changes(draft: Draft, keyed: bool) -> None:
    old = parse(draft, "a", keyed)
    again = parse(draft, "b", keyed, previous=old)
    assert [c.key for c in again.clauses] == [c.key for c in old.clauses]
    assert [s.key for s in again.sections] == [s.key for s in old.sections]
    assert compare(old, again) == []


@PROPERTY
@given(data=st.data(), keyed=st.booleans())
def test_generated_edits_rebuild_both_texts_and_mirror(data: st.DataObject, keyed: bool) -> None:
    draft = data.draw(drafts())
    after = data.draw(edited(draft))
    old = parse(draft, "a", keyed)
    new = parse(after, "b", keyed, previous=old)
    forwards = compare(old, new)
    check_words(forwards, old, new)
    backwards = compare(new, old)
    check_words(backwards, new, old)
    assert Counter(mirrored(c) for c in forwards) == Counter(described(c) for c in backwards)


@PROPERTY
@given(data=st.data())
def test_keyless_whitespace_only_edits_report_nothing(data: st.DataObject) -> None:
    draft = data.draw(drafts())
    respaced = Draft(
        [
            (k, h, s, [(ck, t.replace(" ", data.draw(st.sampled_from([" ", "  ", "\t"])), 1)) for ck, t in c])
            for k, h, s, c in draft.sections
        ]
    )
    old = parse(draft, "a", False)
    assert compare(old, parse(respaced, "b", False, previous=old)) == []
