"""Suggested themes, pure and local: TF-IDF and non-negative matrix factorisation (scikit-learn), on this machine.

No Flask, no database, no outside service. The same texts, number of themes and seed give the same themes (NMF is
initialised by NNDSVDA, which is deterministic, and the seed fixes what randomness is left). Each theme comes with
its top terms and its most representative texts, so a person can see why the texts were put together; nothing
here tags or publishes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from app.analysis.textsearch import fold

TOP_TERMS = 8
REPRESENTATIVES = 5
MIN_TEXTS = 4
# Words every consultation uses that say nothing about a theme.
EXTRA_STOP_WORDS = frozenset({"clause", "policy", "draft", "think", "would", "should", "also", "please"})


@dataclass(frozen=True)
class Theme:
    terms: tuple[str, ...]
    members: tuple[int, ...]  # indexes into the texts, most typical first
    representatives: tuple[int, ...]

    @property
    def label(self) -> str:
        return ", ".join(self.terms[:3])


def _vectorise(texts: Sequence[str]) -> tuple[TfidfVectorizer, object]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vectoriser = TfidfVectorizer(
        preprocessor=fold,
        stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS),
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",  # noqa: S106 - a regular expression, not a secret
        ngram_range=(1, 2),
        min_df=2 if len(texts) >= 20 else 1,
        max_df=0.5,
        max_features=30000,
        sublinear_tf=True,
    )
    return vectoriser, vectoriser.fit_transform(texts)


def suggest_themes(
    texts: Sequence[str],
    themes: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[Theme]:
    """Group `texts` into at most `themes` suggested themes (fewer when the texts do not support more)."""
    report = progress or (lambda _percent: None)
    if len(texts) < MIN_TEXTS:
        return []
    vectoriser, matrix = _vectorise(texts)
    report(30)
    vocabulary = vectoriser.get_feature_names_out()
    k = max(1, min(themes, matrix.shape[0] - 1, matrix.shape[1]))  # type: ignore[attr-defined]
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    report(80)
    strongest = weights.argmax(axis=1)
    has_weight = weights.max(axis=1) > 0
    found: list[Theme] = []
    for component in range(k):
        members = np.flatnonzero((strongest == component) & has_weight)
        if members.size == 0:
            continue
        order = members[np.argsort(-weights[members, component], kind="stable")]
        terms = tuple(
            str(vocabulary[i]) for i in np.argsort(-model.components_[component], kind="stable")[:TOP_TERMS]
        )
        found.append(
            Theme(terms, tuple(int(i) for i in order), tuple(int(i) for i in order[:REPRESENTATIVES]))
        )
    found.sort(key=lambda t: (-len(t.members), t.terms))
    report(100)
    return found


def kmeans_labels(texts: Sequence[str], themes: int, seed: int = 0) -> list[int]:
    """The baseline: TF-IDF and k-means with the same number of themes (for the benchmark)."""
    _vectoriser, matrix = _vectorise(texts)
    model = KMeans(n_clusters=themes, random_state=seed, n_init=4)
    return [int(label) for label in model.fit_predict(matrix)]


def theme_labels(themes_found: Sequence[Theme], count: int) -> list[int]:
    """Each text's theme index (-1 for none), from `suggest_themes`' output."""
    labels = [-1] * count
    for index, theme in enumerate(themes_found):
        for member in theme.members:
            labels[member] = index
    return labels
