"""The project's own hostile corpus is there and complete: the suite must not depend on shared/ beside it."""

from __future__ import annotations

from tests.hostile import (
    PROJECT_PAYLOADS_FILE,
    REQUIRED_KINDS,
    SHARED_PAYLOADS_FILE,
    load_payloads,
    read_payloads,
)

# Characters the unicode kind must exercise, each by at least one payload.
UNICODE_FEATURES = {
    "a bidi override or isolate": set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    "a zero-width character": set("\u200b\u200c\u200d\u2060\ufeff"),
    "a combining mark": {chr(c) for c in range(0x0300, 0x0370)},
    "a lone surrogate": {chr(c) for c in range(0xD800, 0xE000)},
    "a NUL": {"\x00"},
    "a superscript digit": set("\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"),
    "a confusable letter": {chr(c) for c in range(0x0400, 0x0500)} | {chr(c) for c in range(0xFF01, 0xFF5F)},
}


def test_the_project_corpus_exists_and_is_well_formed():
    assert PROJECT_PAYLOADS_FILE.exists(), f"missing: {PROJECT_PAYLOADS_FILE}"
    records = read_payloads(PROJECT_PAYLOADS_FILE)
    assert records
    for record in records:
        assert set(record) == {"category", "payload", "expect"}, record
        assert isinstance(record["payload"], str)
        assert record["expect"].strip()
    payloads = [record["payload"] for record in records]
    assert len(payloads) == len(set(payloads)), "a payload appears twice"


def test_the_project_corpus_has_every_required_kind():
    kinds = {record["category"] for record in read_payloads(PROJECT_PAYLOADS_FILE)}
    assert kinds >= REQUIRED_KINDS, f"kinds missing from the corpus: {sorted(REQUIRED_KINDS - kinds)}"
    for kind in REQUIRED_KINDS:
        count = sum(record["category"] == kind for record in read_payloads(PROJECT_PAYLOADS_FILE))
        assert count >= 3, f"only {count} payloads of kind {kind!r}"


def test_the_unicode_kind_covers_each_trick():
    text = "".join(r["payload"] for r in read_payloads(PROJECT_PAYLOADS_FILE) if r["category"] == "unicode")
    missing = [feature for feature, characters in UNICODE_FEATURES.items() if not characters & set(text)]
    assert not missing, f"no unicode payload holds {missing}"


def test_the_project_corpus_covers_at_least_the_shared_kinds_and_copies_none():
    if not SHARED_PAYLOADS_FILE.exists():
        return  # a fresh clone: nothing to compare with
    shared = read_payloads(SHARED_PAYLOADS_FILE)
    own = read_payloads(PROJECT_PAYLOADS_FILE)
    assert len({r["category"] for r in own}) >= len({r["category"] for r in shared})
    copied = {r["payload"] for r in own} & {r["payload"] for r in shared}
    assert not copied, f"copied from the shared corpus: {sorted(copied)[:5]}"


def test_both_corpora_are_loaded_when_the_shared_one_is_present():
    records = load_payloads()
    own = read_payloads(PROJECT_PAYLOADS_FILE)
    assert records[: len(own)] == own
    if SHARED_PAYLOADS_FILE.exists():
        assert len(records) > len(own)
