"""The analysis workbench's pure modules: folding and query words, snippets, Cohen's kappa, suggested themes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.analysis.agreement import agreement_by_tag, cohens_kappa
from app.analysis.textsearch import MAX_TERMS, fold, highlight, parse_query
from app.analysis.themes import suggest_themes, theme_labels


def test_fold_drops_macrons_and_case():
    assert fold("WHĀNAU Māori") == "whanau maori"


@pytest.mark.parametrize(
    ("raw", "terms"),
    [
        ('"quoted" NEAR(a b)', ("quoted", "near", "a", "b")),
        ("' OR 1=1 --", ("or", "1")),
        ("col:x* ^y", ("col", "x", "y")),
        ("", ()),
        ("___", ()),
    ],
)
def test_queries_become_plain_words(raw, terms):
    assert parse_query(raw).terms == terms


def test_long_queries_are_cut_and_say_so():
    query = parse_query(" ".join(f"w{n}" for n in range(50)))
    assert len(query.terms) == MAX_TERMS
    assert query.truncated


@given(st.text(max_size=300))
def test_fts5_expression_is_only_quoted_words(raw):
    expression = parse_query(raw).fts5()
    for part in expression.split(" ") if expression else []:
        assert part.startswith('"')
        assert part.endswith('"')
        assert '"' not in part[1:-1]


def test_highlight_escapes_the_text_and_marks_matches():
    snippet = highlight("<script>alert(1)</script> the whānau trees", parse_query("whanau tree"))
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>whānau</mark>" in snippet
    assert "<mark>trees</mark>" in snippet


def test_highlight_cuts_around_the_first_match():
    text = "word " * 200 + "needle " + "word " * 200
    snippet = highlight(text, parse_query("needle"))
    assert "<mark>needle</mark>" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert len(snippet) < 400


def test_kappa_known_values():
    assert cohens_kappa([True, True, False, False], [True, True, False, False]) == 1.0
    assert cohens_kappa([True, False, True, False], [False, True, False, True]) == -1.0
    assert cohens_kappa([True, True], [True, True]) is None
    # 20 items: both yes 10, both no 5, disagree 5 -> observed .75; yes rates .65 and .60 -> expected .53
    first = [True] * 10 + [False] * 5 + [True] * 3 + [False] * 2
    second = [True] * 10 + [False] * 5 + [False] * 3 + [True] * 2
    assert cohens_kappa(first, second) == pytest.approx((0.75 - 0.53) / 0.47)


def test_agreement_is_measured_on_items_both_coded():
    first = {("comment", 1): {7}, ("comment", 2): set(), ("comment", 3): {7}}
    second = {("comment", 1): {7}, ("comment", 2): {7}}
    (result,) = agreement_by_tag(first, second, [7])
    assert result.items == 2
    assert result.observed == 0.5


RIVERS = [
    f"The river {w} is polluted and the water is dirty for fish."
    for w in ("near town", "by the farm", "upstream", "at the mouth", "in summer", "after rain")
]
HOUSES = [
    f"Rents are high and housing is scarce {w} for families."
    for w in ("in town", "for the young", "this year", "near work", "for renters", "in winter")
]


def test_themes_are_the_same_for_the_same_input_and_seed():
    texts = RIVERS + HOUSES
    first = suggest_themes(texts, 2, seed=3)
    assert first == suggest_themes(texts, 2, seed=3)
    labels = theme_labels(first, len(texts))
    assert len(set(labels[:6])) == 1
    assert len(set(labels[6:])) == 1
    assert labels[0] != labels[6]
    assert all(3 <= len(t.representatives) <= 5 for t in first)


def test_too_few_texts_make_no_themes():
    assert suggest_themes(["one", "two"], 5) == []


def test_band_keys_with_the_permutations_drawn_once_are_those_of_a_fresh_minhash() -> None:
    """The keys live in the database: drawing the seeded permutations once per process must not change them."""
    import hashlib

    from datasketch import MinHash

    from app.analysis import lsh
    from app.comments.campaigns import normalise

    text = normalise(
        "Every agency should tell a family, in plain words and before it asks, what it will do with their "
        "answers, who else will see them and for how long they are kept."
    )
    fresh = MinHash(num_perm=lsh.BANDS * lsh.ROWS, seed=lsh.SEED)
    fresh.update_batch(sorted(lsh.shingles(text)))
    values = fresh.hashvalues
    expected = [
        f"{band:02d}"
        + hashlib.blake2b(
            values[band * lsh.ROWS : (band + 1) * lsh.ROWS].tobytes(), digest_size=8
        ).hexdigest()
        for band in range(lsh.BANDS)
    ]
    assert lsh.band_keys(text) == expected
    assert lsh.band_keys(text) == expected  # and again, from the kept permutations
