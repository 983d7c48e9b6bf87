"""Search text, pure: folding words for matching, reading a query safely, and cutting highlighted snippets.

No Flask and no database. Both engines match on *folded* text (NFKD, combining marks dropped, casefolded), so
"whānau", "Whanau" and "WHĀNAU" are one word, as people type them. A query is reduced to at most MAX_TERMS plain
words before it reaches either engine, so FTS5 operators, tsquery syntax and SQL in a search box are only words.
Snippets are cut from the text as written and escaped here; only the <mark> elements this module adds are markup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html import escape

MAX_QUERY_CHARS = 500
MAX_TERMS = 8
MAX_TERM_CHARS = 40
SNIPPET_CHARS = 240
_WORD_RE = re.compile(r"\w+", re.UNICODE)
# A few English endings, so a highlight follows what the English stemmer matched ("trees" finds "tree").
_ENDINGS = ("ing", "es", "ed", "s")


def fold(text: str) -> str:
    """Casefold and drop combining marks (macrons, accents); keeps one character per base character."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class Query:
    """What was asked: the folded words (all must match), and what was dropped."""

    terms: tuple[str, ...]
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def text(self) -> str:
        return " ".join(self.terms)

    def fts5(self) -> str:
        """An FTS5 MATCH expression: each word quoted (so no operator survives), all required."""
        return " ".join(f'"{term}"' for term in self.terms)


def parse_query(raw: str | None) -> Query:
    """The words of a search box: anything that is not a word character separates words."""
    raw = (raw or "").replace("\x00", " ")
    truncated = len(raw) > MAX_QUERY_CHARS
    words = _WORD_RE.findall(fold(raw[:MAX_QUERY_CHARS]))
    terms: list[str] = []
    for found in words:
        word = found.replace("_", "")[:MAX_TERM_CHARS]
        truncated = truncated or len(found) > MAX_TERM_CHARS
        if word and word not in terms:
            terms.append(word)
    if len(terms) > MAX_TERMS:
        terms, truncated = terms[:MAX_TERMS], True
    return Query(tuple(terms), truncated)


def _stems(word: str) -> set[str]:
    """The word and the word less each English ending it has (a rough, highlight-only stemmer)."""
    found = {word}
    for ending in _ENDINGS:
        if len(word) > len(ending) + 2 and word.endswith(ending):
            found.add(word[: -len(ending)])
    return found


def _matches(word: str, terms: tuple[str, ...]) -> bool:
    stems = _stems(word)
    return any(stems & _stems(t) for t in terms)


def highlight(text: str, query: Query, limit: int = SNIPPET_CHARS) -> str:
    """An escaped snippet of `text` around the first matched word, each matched word in <mark>."""
    spans = []
    for match in _WORD_RE.finditer(text):
        if query.terms and _matches(fold(match.group()), query.terms):
            spans.append((match.start(), match.end()))
    start = 0
    if spans and spans[0][0] > limit // 3:
        start = text.rfind(" ", 0, spans[0][0] - limit // 3) + 1
    end = min(len(text), start + limit)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    out: list[str] = ["…" if start > 0 else ""]
    position = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[position:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        position = e
    out.append(escape(text[position:end]))
    if end < len(text):
        out.append("…")
    return " ".join("".join(out).split()) if "\n" in text else "".join(out)
