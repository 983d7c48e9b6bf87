"""The diff engine's work grows with the size of a document, not with its square (issue #15).

No timings: each test counts the work done (pairs weighed, similarities measured) on a document repeated
a few times and many times, every key made unique, the way bench/bench_diff_v2.py scales the policy. A
document that repeats itself is the hard case for an index: every distinctive word is shared by every copy.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.diffing import engine
from app.drafts import parsing
from app.drafts.parsing import Document, parse_draft

DPUP = Path(__file__).resolve().parents[2] / "policy_drafts" / "data-protection-and-use-policy"
HEAD = "---\ntitle: Scaled policy\nversion: {version}\nstatus: published\n---\n"

OLD_COPY = """
## Purpose {n} {{#purpose-{n}}}

1. This policy sets out how agencies should look after information about people, and it applies to every agency that funds or delivers social services. {{#p1-{n}}}
2. Agencies must keep records safe. {{#p2-{n}}}
3. People may ask to see what an agency holds about them. {{#p3-{n}}}
4. Stewards answer for the care of the information they hold. {{#p4-{n}}}
"""

# Clause p1 is split (its second half becomes p1b), p2 is reworded, p3 and p4 are merged into p3.
NEW_COPY = """
## Purpose {n} {{#purpose-{n}}}

1. This policy sets out how agencies should look after information about people. {{#p1-{n}}}
2. It applies to every agency that funds or delivers social services. {{#p1b-{n}}}
3. Agencies must keep all records safe. {{#p2-{n}}}
4. People may ask to see what an agency holds about them, and stewards answer for the care of the information they hold. {{#p3-{n}}}
"""


def scaled(copy: str, times: int, version: str) -> Document:
    body = "".join(copy.format(n=n) for n in range(times))
    return parse_draft(HEAD.format(version=version) + body, "<scaled>")


def pairs_weighed(times: int) -> int:
    comparison = engine._Comparison(scaled(OLD_COPY, times, "a"), scaled(NEW_COPY, times, "b"))
    changes = comparison.run()
    # Every copy's split and merge is still found, part by part, in its own copy.
    assert sorted((c.kind, c.old_keys, c.new_keys) for c in changes if c.kind != "clause_reworded") == sorted(
        [("clause_split", (f"p1-{n}",), (f"p1-{n}", f"p1b-{n}")) for n in range(times)]
        + [("clause_merged", (f"p3-{n}", f"p4-{n}"), (f"p3-{n}",)) for n in range(times)]
    )
    return comparison.pairs_measured


def test_split_and_merge_search_weighs_a_bounded_number_of_pairs_per_clause() -> None:
    """Every copy's lost words are shared by all copies: weighing all pairs would cost (copies)²."""
    small, large = pairs_weighed(100), pairs_weighed(400)
    # Four times the copies: about four times the pairs (all pairs would be sixteen times).
    assert large <= 5 * small


def test_repeated_clause_split_in_each_copy_is_split_from_its_own_copy() -> None:
    """Two identical clauses, each split the same way: each part belongs to the whole next to it."""
    old, new = scaled(OLD_COPY, 2, "a"), scaled(NEW_COPY, 2, "b")
    splits = [(c.old_keys, c.new_keys) for c in engine.compare(old, new) if c.kind == "clause_split"]
    assert splits == [(("p1-0",), ("p1-0", "p1b-0")), (("p1-1",), ("p1-1", "p1b-1"))]


# --- one very long clause ------------------------------------------------------------------------------


def long_texts() -> tuple[str, str]:
    """A 16,000-word clause: the three drafts of the policy end to end (so most runs of words repeat), a tenth changed."""
    rng = random.Random(16_000)
    words = [
        w
        for path in sorted(DPUP.glob("0*.md"))
        for c in parse_draft(path.read_text(), path.name).clauses
        for w in c.text.split()
    ][:16_000]
    vocab = sorted(set(words))
    changed = list(words)
    for i in rng.sample(range(len(changed)), len(changed) // 10):
        changed[i] = rng.choice(vocab)
    return " ".join(words), " ".join(changed)


def test_long_clause_diff_is_exact_and_keeps_the_unchanged_words() -> None:
    old, new = long_texts()
    ops = engine.word_diff(old, new)
    assert engine.old_text_of(ops) == old
    assert engine.new_text_of(ops) == new
    kept = sum(len(op.text.split()) for op in ops if op.op == "equal")
    # A tenth of the words were replaced: nearly all of the other nine tenths are shown as equal.
    assert kept >= 0.8 * len(old.split())


def test_long_clause_diff_hands_diff_match_patch_only_short_stretches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """diff_match_patch costs about length × edits: on a long clause it sees only short stretches."""
    old, new = long_texts()
    sizes: list[int] = []
    real = engine._dmp.diff_main

    def recording(a: str, b: str, checklines: bool = True, deadline: float | None = None) -> object:
        sizes.append(len(a) + len(b))
        return real(a, b, checklines, deadline)

    monkeypatch.setattr(engine._dmp, "diff_main", recording)
    engine.word_diff(old, new)
    top = [s for s in sizes if s > 400]
    # Only a few stretches (with no run of words unique to them) may be longer.
    assert len(top) <= 3, sorted(sizes)[-10:]


# --- parsing a keyless draft against its previous version -------------------------------------------------


def keyless_similarities(times: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Count the word-level similarities measured while a keyless draft inherits its keys."""
    strip = parsing.TRAILING_KEY_RE
    old_md = "\n".join(
        strip.sub("", line)
        for line in (
            HEAD.format(version="a") + "".join(OLD_COPY.format(n=n) for n in range(times))
        ).splitlines()
    )
    new_md = "\n".join(
        strip.sub("", line)
        for line in (
            HEAD.format(version="b") + "".join(NEW_COPY.format(n=n) for n in range(times))
        ).splitlines()
    )
    old = parse_draft(old_md, "<old>")
    calls = 0
    real = parsing._similarity

    def counting(*args: object, **kwargs: object) -> float:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(parsing, "_similarity", counting)
        new = parse_draft(new_md, "<new>", previous=old)
    # The reworded clause of every copy still inherits the key of the clause it was, in its own copy.
    assert [c.key for c in new.sections[-1].clauses][2] == [c.key for c in old.sections[-1].clauses][1]
    return calls


def test_keyless_inheritance_measures_each_pair_of_texts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies of one clause offer the same pair of texts again and again: it is measured once."""
    assert keyless_similarities(40, monkeypatch) <= 2 * keyless_similarities(4, monkeypatch)
