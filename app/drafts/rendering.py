"""Markdown to HTML: one configuration for policy text, a smaller one for comments.

Pure domain code: no Flask, no database.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# Link labels are looked into this many brackets deep, no deeper. markdown-it's own limit is the preset's
# maxNesting (100 for js-default), and every unmatched `[` costs a walk that long: 50,000 of them took 30 s.
LINK_NESTING = 8
# After this many `[` tried as links in one paragraph (or table cell, or heading), the rest are plain text.
LINK_ATTEMPTS = 200


def _unmatched_openers(src: str) -> frozenset[int] | None:
    """The `[` that no `]` closes, by plain bracket counting; None when code spans, autolinks, HTML or
    escapes could hide a bracket, so that counting might be wrong."""
    if any(char in src for char in "`<\\"):
        return None
    open_at: list[int] = []
    for index, char in enumerate(src):
        if char == "[":
            open_at.append(index)
        elif char == "]" and open_at:
            open_at.pop()
    return frozenset(open_at)


def _may_close(state: StateInline, opener: int) -> bool:
    """False only when no `]` can end a label opened at `opener` (the answer is then exact)."""
    memo: tuple[int, frozenset[int] | None] | None = getattr(state, "_korero_brackets", None)
    if memo is None:
        # Over the whole source, not up to posMax: a link's label is parsed with posMax moved in.
        memo = (state.src.rfind("]"), _unmatched_openers(state.src))
        state._korero_brackets = memo  # type: ignore[attr-defined]  # a per-paragraph memo
    last_close, unmatched = memo
    return opener < last_close and (unmatched is None or opener not in unmatched)


def _text_brackets_end(state: StateInline, pos: int, exhausted: bool) -> int:
    """The end of the run of `[` and `!` from `pos` that can only be text (none may open a link or image)."""
    src, end = state.src, state.posMax
    while pos < end:
        opener = pos + 1 if src[pos] == "!" else pos
        if src[pos] not in "[!" or (
            opener < end and src[opener] == "[" and not exhausted and _may_close(state, opener)
        ):
            break
        pos += 1
    return pos


def _append_pending(state: StateInline, text: str) -> None:
    # `pending += text` copies the whole pending string each time; use the buffered append where it exists.
    append = getattr(state, "append_pending", None)
    if append is not None:
        append(text)
    else:
        state.pending += text


def _bound_link_labels(state: StateInline, silent: bool) -> bool:
    """Keep link and image scanning linear: decide cheaply the `[` that cannot or need not be tried.

    Runs before the `link` and `image` rules; returns False to let them try, True when it consumed the
    text itself. A `[` with no `]` anywhere after it cannot open a link (the output is what markdown-it
    gives); deep in a label, or past the paragraph's budget, a `[` is given up on the way markdown-it gives
    up at maxNesting, only sooner.
    """
    src, pos = state.src, state.pos
    opener = pos + 1 if src[pos] == "!" else pos
    if opener >= state.posMax or src[opener] != "[":
        return False
    if silent and state.level >= LINK_NESTING:
        state.pos = state.posMax  # what markdown-it's skipToken does past maxNesting
        return True
    attempts: int = getattr(state, "_korero_link_attempts", 0)
    exhausted = attempts >= LINK_ATTEMPTS
    if not exhausted and _may_close(state, opener):
        state._korero_link_attempts = attempts + 1  # type: ignore[attr-defined]
        return False
    if silent:
        state.pos += 1  # one at a time: the label scan counts text brackets one by one
        return True
    end = _text_brackets_end(state, pos, exhausted)
    _append_pending(state, src[pos:end])
    state.pos = end
    return True


def bound_link_scanning(md: MarkdownIt) -> MarkdownIt:
    """Add the bracket guard to a MarkdownIt instance (every instance that parses untrusted text needs it)."""
    md.inline.ruler.before("link", "bound_link_labels", _bound_link_labels)
    return md


# js-default: CommonMark with raw HTML off and unsafe link schemes refused by validateLink.
_policy_md = bound_link_scanning(
    MarkdownIt("js-default", {"typographer": False}).enable(["table", "strikethrough"])
)

# Comments: paragraphs, line breaks and links; nothing else is parsed (emphasis, headings, lists and
# images stay literal text), so a comment reads the way it was typed.
_comment_md = bound_link_scanning(
    MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
        ["paragraph", "newline", "link", "autolink", "escape", "backticks"]
    )
)

_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_COMMENT_TAGS = {"p", "a", "br", "code"}
_COMMENT_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def render_clause(markdown: str) -> str:
    """Render a clause's Markdown to HTML (raw HTML shows as text)."""
    return str(_policy_md.render(markdown))


def render_inline(markdown: str) -> str:
    """Render a one-line Markdown fragment (a heading) to inline HTML."""
    return str(_policy_md.renderInline(markdown))


# A line of plain words and everyday punctuation: nothing the comment Markdown or the sanitiser would change
# (no brackets, angle brackets, backticks, backslashes, ampersands, quotes or line breaks).
# Unambiguous (words and runs of punctuation alternate), so a long line that fails does not backtrack.
_PLAIN_LINE_RE = re.compile(r"[^\W_]+(?:[ ,.;:!?()'/%+=-]+[^\W_]+)*[ ,.;:!?()'/%+=-]*")


def render_comment(text: str) -> str:
    """Render a comment: paragraphs and links only, sanitised, links marked nofollow ugc."""
    if _PLAIN_LINE_RE.fullmatch(text):
        # The common case of a bulk import (a line of transcribed words) skips the parser: the full path gives
        # exactly this for such a line (tests/unit/test_rendering_bounds.py holds the two together).
        return f"<p>{text.rstrip()}</p>\n"
    # A lone surrogate cannot be encoded for nh3 (UnicodeEncodeError); show it as the replacement character.
    text = _LONE_SURROGATE_RE.sub("\ufffd", text)
    html = _comment_md.render(text)
    return nh3.clean(
        html,
        tags=_COMMENT_TAGS,
        attributes=_COMMENT_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )
