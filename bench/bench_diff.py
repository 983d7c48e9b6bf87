"""Benchmark the diff engine and comment re-anchoring (a script that prints figures, not a test).

    .venv/bin/python bench/bench_diff.py [OLD.md NEW.md] [--runs N] [--comments N]

Without arguments it compares the Data Protection and Use Policy's consultation draft with its final; if
those files are missing it builds a synthetic 12,000-word draft and an edited copy. Printed: the median of
the runs (each cold: the drafts parsed afresh and every cache emptied) for compare() beside Python's difflib
over the same two documents' text, and for re-anchoring N comments on random passages of the old clauses.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.diffing import anchoring  # noqa: E402 - the repository root must be on the path first
from app.diffing.anchoring import Anchor, make_anchor, reanchor  # noqa: E402
from app.diffing.engine import compare, summarise  # noqa: E402
from app.drafts.parsing import Document, parse_draft  # noqa: E402

DPUP = ROOT / "policy_drafts" / "data-protection-and-use-policy"
WORDS = [
    *("data", "people", "agency", "agencies", "share", "use", "trust", "whānau", "iwi", "hapū"),
    *("purpose", "value", "consent", "access", "store", "collect", "safe", "fair", "clear", "open"),
    *("care", "right", "need", "harm", "help", "know", "information", "service", "services"),
    *("community", "research", "policy", "principle", "guideline", "practice", "steward", "public"),
    *("private", "record", "records", "decision"),
]


def clear_caches() -> None:
    """Empty the re-anchoring caches so every run starts cold."""
    for name in ("_clause_diff", "_squashed", "_word_set", "_affix_agreement"):
        getattr(anchoring, name).cache_clear()


def synthetic_drafts(seed: int = 2019) -> tuple[str, str]:
    """Build a 12,000-word draft and a revision of it with typical edits."""
    rng = random.Random(seed)
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    words = 0
    s = 0
    while words < 12_000:
        s += 1
        clauses = []
        for c in range(rng.randint(6, 14)):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 22)))
                sentences.append(sentence.capitalize() + ".")
            text = " ".join(sentences)
            words += len(text.split())
            clauses.append((f"s{s}-{c + 1}", text))
        sections.append((f"section-{s}", clauses))

    def render(secs: list[tuple[str, list[tuple[str, str]]]], version: str) -> str:
        out = [f"---\ntitle: Synthetic policy\nversion: {version}\nstatus: published\n---\n"]
        for key, clauses in secs:
            out.append(f"## Section {key} {{#{key}}}\n")
            out.extend(f"{i}. {text} {{#{ck}}}\n" for i, (ck, text) in enumerate(clauses, 1))
        return "\n".join(out)

    old = render(sections, "Draft")
    edited = [(key, list(clauses)) for key, clauses in sections]
    for _ in range(len(edited) * 3):
        _key, clauses = rng.choice(edited)
        i = rng.randrange(len(clauses))
        ck, text = clauses[i]
        action = rng.random()
        tokens = text.split()
        if action < 0.6:  # reword a few words
            for _ in range(rng.randint(1, 4)):
                tokens[rng.randrange(len(tokens))] = rng.choice(WORDS)
            clauses[i] = (ck, " ".join(tokens))
        elif action < 0.75 and len(clauses) > 1:  # remove
            clauses.pop(i)
        elif action < 0.9:  # add
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 30))).capitalize() + "."
            clauses.insert(i, (f"{ck}-new{rng.randrange(10**6)}", text))
        elif len(clauses) > 1:  # move
            clauses.insert(rng.randrange(len(clauses)), clauses.pop(i))
    return old, render(edited, "Final")


class Timer:
    """Collect wall-clock and CPU times of repeated calls; report their medians in milliseconds."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, fn: Callable[[], object]) -> None:
        """Call fn once and record how long it took."""
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    @property
    def ms(self) -> tuple[float, float]:
        """Median wall and CPU milliseconds."""
        return statistics.median(self.wall) * 1000, statistics.median(self.cpu) * 1000

    def __str__(self) -> str:
        wall, cpu = self.ms
        return f"{wall:8.1f} ms wall {cpu:8.1f} ms CPU"


def random_anchors(document: Document, count: int, seed: int) -> list[tuple[str, Anchor]]:
    """Pick `count` random passages (a few words to a sentence) of the document's clauses."""
    rng = random.Random(seed)
    clauses = [c for c in document.clauses if len(c.text) > 20]
    picked = []
    for _ in range(count):
        clause = rng.choice(clauses)
        length = min(len(clause.text), rng.randint(8, 120))
        start = rng.randrange(len(clause.text) - length + 1)
        picked.append((clause.key, make_anchor(clause.text, start, start + length)))
    return picked


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="an old and a new draft")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--synthetic", action="store_true", help="use the synthetic draft")
    args = parser.parse_args()
    if args.files and len(args.files) != 2:
        parser.error("give two draft files, or none")
    if args.files:
        old_path, new_path = args.files
        old_text, new_text, label = old_path.read_text(), new_path.read_text(), "given drafts"
    elif (
        not args.synthetic
        and (DPUP / "01-consultation-draft.md").exists()
        and (DPUP / "03-final.md").exists()
    ):
        old_text = (DPUP / "01-consultation-draft.md").read_text()
        new_text = (DPUP / "03-final.md").read_text()
        label = "DPUP consultation draft → final"
    else:
        old_text, new_text = synthetic_drafts()
        label = "synthetic 12,000-word draft → edited copy"

    old_doc = parse_draft(old_text, "old")
    new_doc = parse_draft(new_text, "new", previous=old_doc)
    print(
        f"{label}: {old_doc.word_count():,} → {new_doc.word_count():,} words, "
        f"{len(old_doc.clauses)} → {len(new_doc.clauses)} clauses"
    )
    changes = compare(old_doc, new_doc)
    counts = {k: v for k, v in summarise(changes)["by_kind"].items() if v}
    print(f"changes: {len(changes)} {counts}")

    old_plain = "\n".join(c.text for c in old_doc.clauses)
    new_plain = "\n".join(c.text for c in new_doc.clauses)
    compare_t, words_t, lines_t = Timer(), Timer(), Timer()
    for _ in range(args.runs):
        # Cold: fresh Documents (parsed outside the timing), a fresh comparison, no caches shared.
        old_copy = parse_draft(old_text, "old")
        new_copy = parse_draft(new_text, "new", previous=old_copy)
        compare_t.time(lambda: compare(old_copy, new_copy))  # noqa: B023 - called at once
        # difflib over the same two documents' whole text, in the same run (the machine may be busy).
        words_t.time(
            lambda: difflib.SequenceMatcher(
                None, old_plain.split(), new_plain.split(), autojunk=False
            ).get_opcodes()
        )
        lines_t.time(lambda: list(difflib.ndiff(old_plain.splitlines(), new_plain.splitlines())))

    def ratio(other: Timer) -> str:
        return " / ".join(f"{a / b:.2f}×" for a, b in zip(compare_t.ms, other.ms, strict=True))

    print(f"medians of {args.runs} cold runs")
    print(f"compare():                                 {compare_t}")
    print(f"difflib SequenceMatcher over the words:    {words_t}  compare() ratio {ratio(words_t)}")
    print(f"difflib ndiff over the clause lines:       {lines_t}  compare() ratio {ratio(lines_t)}")

    new_texts = {c.key: c.text for c in new_doc.clauses}
    old_texts = {c.key: c.text for c in old_doc.clauses}
    anchors = random_anchors(old_doc, args.comments, seed=1)
    statuses: Counter[str] = Counter()

    def run_reanchor() -> None:
        clear_caches()
        statuses.clear()
        for key, anchor in anchors:
            result = reanchor(anchor, old_texts[key], new_texts.get(key))
            statuses[result.status] += 1

    reanchor_t = Timer()
    for _ in range(args.runs):
        reanchor_t.time(run_reanchor)
    each = reanchor_t.ms[0] / len(anchors) * 1000
    print(f"re-anchor {len(anchors):,} comments:               {reanchor_t}  ({each:.1f} µs each)")
    print(f"statuses: {dict(statuses)}")


if __name__ == "__main__":
    main()
