"""The pure text logic behind duplicate and campaign detection."""

from __future__ import annotations

import pytest

from app.comments import campaigns
from app.comments.campaigns import Letter, best_match, fingerprint, is_near_duplicate, jaccard, normalise

LETTER = (
    "Dear drafting team, I am writing to ask that the Data Protection and Use Policy requires agencies to "
    "tell people, in plain language and before they collect anything, exactly what information is being "
    "collected, why it is needed, who it will be shared with, and how long it will be kept. People should "
    "be able to say no to optional uses without losing the service they came for. Yours sincerely, {name}"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello,   World!", "hello world"),
        ("  Tabs\tand\nnewlines  ", "tabs and newlines"),
        ("ＦＵＬＬ width", "full width"),  # NFKC
        ("STRASSE straße", "strasse strasse"),  # casefold
        ("zero\u200bwidth\u200bjoiners", "zerowidthjoiners"),  # format characters go
        ("\u202eevil\u202c text", "evil text"),
        ("snake_case and kebab-case", "snake case and kebab case"),
        ("Māori, whānau", "māori whānau"),
        ("", ""),
        ("!!! ...", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_fingerprint_ignores_form_not_words():
    assert fingerprint("Consent must be informed.") == fingerprint("  consent MUST be informed!! ")
    assert fingerprint("Consent must be informed.") != fingerprint("Consent must be freely given.")
    assert len(fingerprint("x")) == 64


def test_a_form_letter_with_a_different_name_is_near_identical():
    a = Letter.of(normalise(LETTER.format(name="Aroha Ngata")))
    b = Letter.of(normalise(LETTER.format(name="Bob Smith-Jones")))
    assert is_near_duplicate(a, b)


def test_a_form_letter_with_a_few_words_changed_is_near_identical():
    changed = LETTER.replace("plain language", "simple words").replace("Dear drafting team", "Kia ora koutou")
    assert is_near_duplicate(
        Letter.of(normalise(LETTER.format(name="A"))), Letter.of(normalise(changed.format(name="B")))
    )


def test_a_short_letter_with_one_word_changed_is_caught_by_the_sequence_ratio():
    a = "please make agencies explain in plain words why they collect each piece of our information today"
    b = "please make agencies explain in simple words why they collect each piece of our information today"
    assert jaccard(Letter.of(a).shingles, Letter.of(b).shingles) < campaigns.JACCARD_THRESHOLD
    assert is_near_duplicate(Letter.of(a), Letter.of(b))


def test_different_comments_on_the_same_topic_are_not_grouped():
    a = normalise("Consent should be asked for every time information is shared with another agency.")
    b = normalise("I worry that consent forms are too long and nobody reads them, so asking is not enough.")
    assert not is_near_duplicate(Letter.of(a), Letter.of(b))


def test_short_texts_are_grouped_only_when_identical():
    assert is_near_duplicate(Letter.of("i agree"), Letter.of("i agree"))
    assert not is_near_duplicate(Letter.of("i agree strongly"), Letter.of("i disagree strongly"))


def test_length_prefilter_rejects_very_different_lengths():
    base = normalise(LETTER.format(name="A"))
    assert not campaigns.lengths_compatible(10, 100)
    assert campaigns.lengths_compatible(90, 100)
    assert not is_near_duplicate(Letter.of(base), Letter.of(base + " " + base))


def test_best_match_returns_the_first_matching_key():
    letter = normalise(LETTER.format(name="Carol"))
    candidates = [
        (1, normalise("Something else entirely, about retention periods and archives.")),
        (2, normalise(LETTER.format(name="Dave"))),
        (3, normalise(LETTER.format(name="Eve"))),
    ]
    assert best_match(letter, candidates) == 2
    assert best_match(letter, candidates[:1]) is None
    assert best_match(letter, []) is None


def test_jaccard_edges():
    assert jaccard(frozenset(), frozenset()) == 1.0
    assert jaccard(frozenset({("a",)}), frozenset()) == 0.0
