"""Prepare HTML built from untrusted text for WeasyPrint, whose line breaking and inline layout are super-linear.

Pure: text in, text out; no Flask, no WeasyPrint. Two things make a render slow however small the text:
a very long word (WeasyPrint tries every break point of a line it cannot break: a 10,001-character word took
5.5 s) and very many inline boxes in one block (`*a` × 2,500 as emphasis took 14.8 s). So, outside tags:

- every word longer than LONG_WORD characters gets a zero-width space every WORD_PIECE characters, a break
  opportunity that shows nothing (character references such as `&amp;` are never split);
- a block (paragraph, list item, cell, …) with more than MAX_INLINE_ELEMENTS inline elements keeps its text
  and loses its inline tags.

Ordinary prose passes through unchanged.
"""

from __future__ import annotations

import re

LONG_WORD = 40
WORD_PIECE = 20
MAX_INLINE_ELEMENTS = 100
ZERO_WIDTH_SPACE = "\u200b"

_TAG_RE = re.compile(r"(<[^>]*>)")
_TAG_NAME_RE = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9]*)")
# A word: a run of anything but whitespace (the zero-width space counts as a break already).
_LONG_WORD_RE = re.compile(rf"[^\s\u200b]{{{LONG_WORD + 1},}}")
# One unit of a word: a character reference, or one character.
_UNIT_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{0,31});|.", re.DOTALL)
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "cite", "code", "em", "i", "kbd", "mark", "q", "s", "samp", "small",
     "strong", "sub", "sup", "u", "var"}
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt", "figcaption", "figure",
     "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
     "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "br"}
)  # fmt: skip
# Text inside these is not shown as text (or is metadata): leave it alone.
_RAW_TAGS = frozenset({"script", "style", "title", "head"})


def _break_word(match: re.Match[str]) -> str:
    units = _UNIT_RE.findall(match.group(0))
    pieces = ["".join(units[start : start + WORD_PIECE]) for start in range(0, len(units), WORD_PIECE)]
    return ZERO_WIDTH_SPACE.join(pieces)


def break_long_words(text: str) -> str:
    """Give every word longer than LONG_WORD characters a break opportunity every WORD_PIECE characters.

    Works on plain text and on the text of HTML (character references stay whole); never on tags.
    """
    return _LONG_WORD_RE.sub(_break_word, text)


def _tag_name(tag: str) -> str | None:
    match = _TAG_NAME_RE.match(tag)
    return match.group(1).lower() if match else None


def _flush(block: list[str], inline_count: int, out: list[str]) -> None:
    if inline_count > MAX_INLINE_ELEMENTS:
        block = [piece for piece in block if not (piece.startswith("<") and _tag_name(piece) in _INLINE_TAGS)]
    out.extend(block)


def prepare_html(html: str) -> str:
    """Make HTML safe for WeasyPrint to lay out in bounded time: break long words, flatten inline floods."""
    out: list[str] = []
    block: list[str] = []
    inline_count = 0
    raw_depth = 0
    for piece in _TAG_RE.split(html):
        if not piece:
            continue
        if piece.startswith("<"):
            name = _tag_name(piece)
            closing = piece.startswith("</")
            if name in _RAW_TAGS:
                raw_depth = max(0, raw_depth + (-1 if closing else 1))
            if name in _BLOCK_TAGS or name in _RAW_TAGS:
                _flush(block, inline_count, out)
                block, inline_count = [], 0
                out.append(piece)
                continue
            if name in _INLINE_TAGS and not closing:
                inline_count += 1
            block.append(piece)
        else:
            block.append(piece if raw_depth else break_long_words(piece))
    _flush(block, inline_count, out)
    return "".join(out)
