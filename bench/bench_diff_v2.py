"""Benchmark issue #15: how well compare() recovers random edits, keyed and keyless, and how it scales.

    .venv/bin/python bench/bench_diff_v2.py [--edits N] [--runs N]

A script that prints figures, never part of the test run. In one run it prints:

1. Recovery of at least 1,000 seeded random edits of the DPUP drafts (one edit per trial: reword, add, remove,
   move within or across sections, split, 2- and 3-way merge, rename a section, emphasis, a whitespace-only
   change), as recall and precision per kind of edit, with keys (`{#key}` on every clause) and keyless
   (every key stripped, the new version matched to the old by wording), beside difflib's word diff of the
   same drafts' Markdown: an edit counts as recovered by difflib when the clauses its changed words touch are
   the right ones with the right kind (a move shows as a delete and an insert, so it fails).
2. Scaling: compare() with keys on the policy repeated 1×, 10×, 25× and 50× (every key made unique), a
   keyless parse of the new version with the old one as `previous` at the same sizes, and one 16,000-word
   clause with a tenth of its words changed; medians of several cold runs, with the ratio to 1×.
3. The re-anchoring case table (tests/unit/data/anchoring-cases.json): recall and confident-but-wrong count.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.diffing import anchoring  # noqa: E402 - the repository root must be on the path first
from app.diffing.anchoring import Anchor, reanchor  # noqa: E402
from app.diffing.engine import compare  # noqa: E402
from app.drafts import parsing  # noqa: E402
from app.drafts.parsing import Document, parse_draft  # noqa: E402

# plain_text is a pure function of a clause's Markdown: memoised here (the benchmark only) so that 1,000 trials
# on three drafts do not render the same clauses again and again. The scaling timings below run without it.
_plain_text = parsing.plain_text

DPUP = ROOT / "policy_drafts" / "data-protection-and-use-policy"
CASES = ROOT / "tests" / "unit" / "data" / "anchoring-cases.json"
KEY_RE = re.compile(r"[ \t]*\{#[^}\s]*\}[ \t]*$", re.MULTILINE)
HEAD = "---\ntitle: Benchmark policy\nversion: {version}\nstatus: published\n---\n"
EDIT_KINDS = (
    "reword",
    "add",
    "remove",
    "move_within",
    "move_across",
    "split",
    "merge",
    "merge3",
    "rename",
    "emphasis",
    "whitespace",
)

Item = tuple[str, tuple[str, ...], tuple[str, ...]]


# --- the model: a draft as sections of (truth id, Markdown) clauses -------------------------------------


@dataclass
class Model:
    """A draft being edited; every clause and section carries its true identity."""

    sections: list[tuple[str, str, list[tuple[str, str]]]]
    next_id: int = 0

    def copy(self) -> Model:
        return Model([(k, h, list(c)) for k, h, c in self.sections], self.next_id)

    def fresh(self) -> str:
        self.next_id += 1
        return f"new-{self.next_id}"

    def markdown(self, version: str, keyed: bool) -> str:
        out = [HEAD.format(version=version)]
        for key, heading, clauses in self.sections:
            out.append(f"## {heading}" + (f" {{#{key}}}" if keyed else "") + "\n")
            out.extend(f"{text}" + (f" {{#{ck}}}" if keyed else "") + "\n" for ck, text in clauses)
        return "\n".join(out)

    def clause_ids(self) -> list[str]:
        return [ck for _k, _h, clauses in self.sections for ck, _t in clauses]

    def section_ids(self) -> list[str]:
        return [k for k, _h, _c in self.sections]


def model_of(document: Document) -> Model:
    """Turn a parsed draft into a model (each clause one paragraph, its Markdown on one line)."""
    sections = []
    for section in document.sections:
        clauses = [(c.key, " ".join(c.markdown.split())) for c in section.clauses]
        sections.append((section.key, section.heading, clauses))
    return Model(sections)


@dataclass
class Trial:
    kind: str
    old: Model
    new: Model
    expected: set[Item] = field(default_factory=set)


def random_edit(model: Model, kind: str, rng: random.Random, vocab: list[str]) -> Trial | None:
    """Apply one edit of `kind`; return the trial with the changes it should give, or None if it cannot."""
    new = model.copy()
    places = [(si, ci) for si, (_k, _h, cl) in enumerate(new.sections) for ci in range(len(cl))]
    si, ci = rng.choice(places)
    skey, heading, clauses = new.sections[si]
    ck, text = clauses[ci]
    expected: set[Item] = set()
    words = text.split(" ")
    if kind == "reword":
        plain = [i for i, w in enumerate(words) if re.fullmatch(r"[a-z]+", w)]
        if len(plain) < 6:
            return None
        for i in rng.sample(plain, rng.randint(1, min(3, len(plain) // 6))):
            words[i] = rng.choice([v for v in vocab if v != words[i]])
        clauses[ci] = (ck, " ".join(words))
        expected.add(("clause_reworded", (ck,), (ck,)))
    elif kind == "emphasis":
        plain = [i for i, w in enumerate(words) if re.fullmatch(r"[a-z]+", w)]
        if not plain:
            return None
        i = rng.choice(plain)
        words[i] = f"*{words[i]}*"
        clauses[ci] = (ck, " ".join(words))
        expected.add(("clause_reworded", (ck,), (ck,)))
    elif kind == "whitespace":
        if len(words) < 2:
            return None
        i = rng.randrange(1, len(words))
        clauses[ci] = (ck, " ".join(words[:i]) + "  " + " ".join(words[i:]))
    elif kind == "add":
        new_key = new.fresh()
        sentence = " ".join(rng.choice(vocab) for _ in range(rng.randint(8, 30)))
        clauses.insert(rng.randint(0, len(clauses)), (new_key, sentence.capitalize() + "."))
        expected.add(("clause_added", (), (new_key,)))
    elif kind == "remove":
        if len(clauses) < 2:
            return None
        clauses.pop(ci)
        expected.add(("clause_removed", (ck,), ()))
    elif kind == "move_within":
        if len(clauses) < 4:
            return None
        target = rng.choice([j for j in range(len(clauses)) if abs(j - ci) >= 2])
        clauses.insert(target, clauses.pop(ci))
        expected.add(("clause_moved", (ck,), (ck,)))
    elif kind == "move_across":
        if len(clauses) < 2 or len(new.sections) < 2:
            return None
        ti = rng.choice([j for j in range(len(new.sections)) if j != si])
        clauses.pop(ci)
        target = new.sections[ti][2]
        target.insert(rng.randint(0, len(target)), (ck, text))
        expected.add(("clause_moved", (ck,), (ck,)))
    elif kind == "split":
        cuts = [m.end() for m in re.finditer(r"[.;:] (?=[A-Z])", text)]
        if not cuts:
            return None
        cut = rng.choice(cuts)
        new_key = new.fresh()
        clauses[ci : ci + 1] = [(ck, text[:cut].rstrip()), (new_key, text[cut:].strip())]
        expected.add(("clause_split", (ck,), (ck, new_key)))
    elif kind in ("merge", "merge3"):
        size = 2 if kind == "merge" else 3
        if ci + size > len(clauses):
            return None
        parts = clauses[ci : ci + size]
        clauses[ci : ci + size] = [(ck, " ".join(t for _k, t in parts))]
        expected.add(("clause_merged", tuple(k for k, _t in parts), (ck,)))
    elif kind == "rename":
        new.sections[si] = (skey, f"{heading} and {rng.choice(vocab)}", clauses)
        expected.add(("section_renamed", (skey,), (skey,)))
    return Trial(kind, model, new, expected)


# --- scoring -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def parsed(markdown: str) -> Document:
    """Parse an unedited draft once (every trial starts from one of the three DPUP drafts)."""
    return parse_draft(markdown, "old")


def engine_items(trial: Trial, keyed: bool) -> set[Item]:
    """Compare the trial's drafts; name what was found by the true identities of clauses and sections."""
    if keyed:
        old = parsed(trial.old.markdown("a", True))
        new = parse_draft(trial.new.markdown("b", True), "new", previous=old)
        return {(c.kind, c.old_keys, c.new_keys) for c in compare(old, new)}
    old = parsed(trial.old.markdown("a", False))
    new = parse_draft(trial.new.markdown("b", False), "new", previous=old)
    old_truth = dict(zip([c.key for c in old.clauses], trial.old.clause_ids(), strict=True))
    new_truth = dict(zip([c.key for c in new.clauses], trial.new.clause_ids(), strict=True))
    old_truth.update(zip([s.key for s in old.sections], trial.old.section_ids(), strict=True))
    new_truth.update(zip([s.key for s in new.sections], trial.new.section_ids(), strict=True))
    found: set[Item] = set()
    for change in compare(old, new):
        old_keys = tuple(old_truth[k] for k in change.old_keys)
        new_keys = tuple(new_truth[k] for k in change.new_keys)
        found.add((change.kind, old_keys, new_keys))
    return found


def difflib_items(trial: Trial) -> set[Item]:
    """Diff the two drafts' words with difflib; read the clauses (headings) its changes touch as changes."""

    def units(model: Model) -> tuple[list[str], list[str]]:
        words: list[str] = []
        owner: list[str] = []
        for skey, heading, clauses in model.sections:
            for word in heading.split():
                words.append(word)
                owner.append(f"section:{skey}")
            for ck, text in clauses:
                for word in text.split():
                    words.append(word)
                    owner.append(f"clause:{ck}")
        return words, owner

    old_words, old_owner = units(trial.old)
    new_words, new_owner = units(trial.new)
    # difflib's defaults (autojunk on), as a drafter running difflib would get them.
    matcher = difflib.SequenceMatcher(None, old_words, new_words)
    old_size, new_size = Counter(old_owner), Counter(new_owner)
    touched_old: Counter[str] = Counter()
    touched_new: Counter[str] = Counter()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        touched_old.update(old_owner[i1:i2])
        touched_new.update(new_owner[j1:j2])
        # An insertion (deletion) strictly inside a clause touches that clause on the other side too.
        if op == "insert" and 0 < i1 < len(old_owner) and old_owner[i1 - 1] == old_owner[i1]:
            touched_old[old_owner[i1]] += 0
        if op == "delete" and 0 < j1 < len(new_owner) and new_owner[j1 - 1] == new_owner[j1]:
            touched_new[new_owner[j1]] += 0
    found: set[Item] = set()
    for unit in set(touched_old) | set(touched_new):
        what, key = unit.split(":", 1)
        in_old, in_new = unit in old_size, unit in new_size
        if in_old and in_new:
            found.add(("section_renamed" if what == "section" else "clause_reworded", (key,), (key,)))
        elif in_old and touched_old[unit] == old_size[unit]:
            found.add((f"{what}_removed", (key,), ()))
        elif in_new and touched_new[unit] == new_size[unit]:
            found.add((f"{what}_added", (), (key,)))
        else:
            found.add((f"{what}_reworded", (key,), (key,)))
    return found


def score_trial(trial: Trial) -> dict[str, set[Item]]:
    """Find the trial's changes three ways: keyed, keyless and difflib."""
    if parsing.plain_text is _plain_text:
        parsing.plain_text = functools.lru_cache(maxsize=None)(_plain_text)  # type: ignore[assignment]
    return {
        "keyed": engine_items(trial, True),
        "keyless": engine_items(trial, False),
        "difflib": difflib_items(trial),
    }


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    reported: int = 0
    correct: int = 0

    def add(self, expected: set[Item], found: set[Item]) -> None:
        self.expected += len(expected)
        self.reported += len(found)
        hits = len(expected & found)
        self.found += hits
        self.correct += hits

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.reported if self.reported else 1.0


def recovery(edits: int, seed: int) -> None:
    """Print recall and precision per kind of edit: keyed, keyless, difflib."""
    drafts = [
        model_of(parse_draft(p.read_text(encoding="utf-8"), p.name)) for p in sorted(DPUP.glob("0*.md"))
    ]
    vocab = sorted(
        {w for m in drafts for _k, _h, cl in m.sections for _c, t in cl for w in t.split() if w.isalpha()}
    )
    rng = random.Random(seed)
    trials: list[Trial] = []
    while len(trials) < edits:
        kind = EDIT_KINDS[len(trials) % len(EDIT_KINDS)]
        trial = random_edit(rng.choice(drafts), kind, rng, vocab)
        if trial is not None:
            trials.append(trial)
    # The trials are independent: score them on every core (the timings below run alone, afterwards).
    workers = max(1, min(4, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(score_trial, trials, chunksize=25))
    scores = {mode: {k: Score() for k in EDIT_KINDS} for mode in ("keyed", "keyless", "difflib")}
    for trial, found in zip(trials, results, strict=True):
        for mode, items in found.items():
            scores[mode][trial.kind].add(trial.expected, items)
    print(f"## 1. Recovery of {len(trials):,} seeded random edits of the DPUP drafts (seed {seed})")
    print(
        "recall = expected changes found / expected; precision = reported changes that were expected / reported"
    )
    print(
        f"{'edit':<12} {'n':>4} | {'keyed R':>8} {'P':>6} | {'keyless R':>9} {'P':>6} | {'difflib R':>9} {'P':>6}"
    )
    counts = Counter(t.kind for t in trials)
    totals = {mode: Score() for mode in scores}
    for kind in EDIT_KINDS:
        row = [f"{kind:<12} {counts[kind]:>4}"]
        for mode in ("keyed", "keyless", "difflib"):
            s = scores[mode][kind]
            for attr in ("expected", "found", "reported", "correct"):
                setattr(totals[mode], attr, getattr(totals[mode], attr) + getattr(s, attr))
            width = 8 if mode == "keyed" else 9
            row.append(f"{s.recall:>{width}.1%} {s.precision:>6.1%}")
        print(" | ".join(row))
    row = [f"{'all':<12} {len(trials):>4}"]
    for mode in ("keyed", "keyless", "difflib"):
        width = 8 if mode == "keyed" else 9
        row.append(f"{totals[mode].recall:>{width}.1%} {totals[mode].precision:>6.1%}")
    print(" | ".join(row))
    print("(whitespace edits expect no change: precision 100% means not one was reported)")


# --- scaling -------------------------------------------------------------------------------------------


def scaled(text: str, times: int, keyed: bool) -> str:
    """Repeat a draft's body `times` times, every key and heading made unique per copy."""
    head, body = text.split("\n---\n", 1)
    body = re.sub(r"^# .*$", "", body, flags=re.MULTILINE)
    copies = []
    for n in range(times):
        copy = re.sub(r"\{#([a-z0-9-]+)\}", lambda m: f"{{#{m.group(1)}-x{n}}}", body)  # noqa: B023
        copy = re.sub(r"^## (.*?)(?= \{#|$)", lambda m: f"## {m.group(1)} part {n}", copy, flags=re.MULTILINE)  # noqa: B023
        copies.append(copy if keyed else KEY_RE.sub("", copy))
    return head + "\n---\n" + "\n".join(copies)


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU (this process) milliseconds of `runs` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def scaling(runs: int) -> None:
    """Print compare() and keyless parse times at 1×…50× the policy, and the 16,000-word clause."""
    old_text = (DPUP / "01-consultation-draft.md").read_text(encoding="utf-8")
    new_text = (DPUP / "03-final.md").read_text(encoding="utf-8")
    print(f"\n## 2. Scaling (median of {runs} cold runs; consultation draft → final, repeated)")
    print("CPU = this process's CPU time (steadier than wall-clock time on a shared machine); ratios to 1×")
    print(
        "plain parse = parsing the new version with no previous one: the same-run reference for linear growth"
    )
    print(
        f"{'size':>5} {'words':>8} | {'compare wall ms':>15} {'CPU ms':>8} {'ratio':>6} |"
        f" {'keyless parse wall':>18} {'CPU ms':>8} {'ratio':>6} | {'plain parse CPU':>15} {'ratio':>6}"
    )
    base: tuple[float, float, float] | None = None
    # 50x the policy is over the 2 MB limit on an uploaded draft; the engine itself has no limit.
    parsing.MAX_DRAFT_BYTES = 64 * 1024 * 1024
    for times in (1, 10, 25, 50):
        old_k, new_k = scaled(old_text, times, True), scaled(new_text, times, True)
        new_doc = parse_draft(new_k, "new")
        size_runs = runs if times < 25 else max(3, runs // 2)
        wall, cpu = [], []
        for _ in range(size_runs):
            # Cold: fresh documents, so no cache of an earlier run is shared.
            a, b = parse_draft(old_k, "old"), parse_draft(new_k, "new")
            w, c = time.perf_counter(), time.process_time()
            compare(a, b)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        compare_wall, compare_cpu = statistics.median(wall) * 1000, statistics.median(cpu) * 1000
        old_u, new_u = scaled(old_text, times, False), scaled(new_text, times, False)
        old_plain = parse_draft(old_u, "old")
        parse_wall, parse_cpu = median_ms(lambda: parse_draft(new_u, "new", previous=old_plain), size_runs)  # noqa: B023
        _plain_wall, plain_cpu = median_ms(lambda: parse_draft(new_u, "new"), size_runs)  # noqa: B023
        if base is None:
            base = (compare_cpu, parse_cpu, plain_cpu)
        print(
            f"{times:>4}× {new_doc.word_count():>8,} | {compare_wall:>15.1f} {compare_cpu:>8.1f}"
            f" {compare_cpu / base[0]:>5.1f}× | {parse_wall:>18.1f} {parse_cpu:>8.1f} {parse_cpu / base[1]:>5.1f}× |"
            f" {plain_cpu:>15.1f} {plain_cpu / base[2]:>5.1f}×"
        )
    words = [
        w
        for p in sorted(DPUP.glob("0*.md"))
        for c in parse_draft(p.read_text(), p.name).clauses
        for w in c.text.split()
    ]
    words = words[:16_000]
    rng = random.Random(16_000)
    vocab = sorted(set(words))
    changed = list(words)
    for i in rng.sample(range(len(changed)), len(changed) // 10):
        changed[i] = rng.choice(vocab)
    head = HEAD + "## Long {{#long}}\n\n{text} {{#long-1}}\n"
    long_old = parse_draft(head.format(version="a", text=" ".join(words)), "old")
    long_new = parse_draft(head.format(version="b", text=" ".join(changed)), "new")
    wall_ms, cpu_ms = median_ms(lambda: compare(long_old, long_new), runs)
    print(
        f"one {len(words):,}-word clause, a tenth of its words changed: compare {wall_ms:.1f} ms wall,"
        f" {cpu_ms:.1f} ms CPU (aim: under 300 ms)"
    )


# --- anchoring -----------------------------------------------------------------------------------------


def anchoring_table() -> None:
    """Print the re-anchoring case table's recall and confident-but-wrong placements."""
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    for name in ("_clause_diff", "_squashed", "_word_set", "_affix_agreement"):
        getattr(anchoring, name).cache_clear()
    placeable = placed = wrong = reviewed_ok = 0
    by_group: Counter[str] = Counter()
    for case in cases:
        old, new = case["old"], case["new"]
        start = old.index(case["quote"], case.get("quote_from", 0))
        end = start + len(case["quote"])
        anchor = Anchor(case["quote"], old[max(0, start - 32) : start], old[end : end + 32], start, end)
        result = reanchor(anchor, old, new)
        truth = case.get("expect")
        confident = result.status in ("unchanged", "moved", "text_changed") and result.anchor is not None
        if truth is None:
            if not confident:
                reviewed_ok += 1
            else:
                wrong += 1
                by_group[case["group"] + " (placed, expected review)"] += 1
            continue
        placeable += 1
        if confident and result.anchor is not None:
            got = new[result.anchor.start : result.anchor.end]
            t_start = new.index(truth, case.get("expect_from", 0))
            if (result.anchor.start, result.anchor.end) == (t_start, t_start + len(truth)):
                placed += 1
            else:
                wrong += 1
                by_group[case["group"] + f" (placed on {got!r})"] += 1
    print(f"\n## 3. Re-anchoring case table ({len(cases)} cases, {CASES.relative_to(ROOT)})")
    print(f"placeable cases placed exactly: {placed}/{placeable} (recall {placed / max(placeable, 1):.1%})")
    print(f"unplaceable cases sent to review: {reviewed_ok}/{len(cases) - placeable}")
    print(f"confident-but-wrong placements: {wrong}")
    for group, count in sorted(by_group.items()):
        print(f"  {count} × {group}")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=1100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()
    recovery(args.edits, args.seed)
    scaling(args.runs)
    anchoring_table()
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
