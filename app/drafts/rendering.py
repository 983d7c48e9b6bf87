"""Markdown to HTML: one configuration for policy text, a smaller one for comments.

Pure domain code: no Flask, no database.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# js-default: CommonMark with raw HTML off and unsafe link schemes refused by validateLink.
_policy_md = MarkdownIt("js-default", {"typographer": False}).enable(["table", "strikethrough"])

# Comments: paragraphs, line breaks and links; nothing else is parsed (emphasis, headings, lists and
# images stay literal text), so a comment reads the way it was typed.
_comment_md = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
    ["paragraph", "newline", "link", "autolink", "escape", "backticks"]
)

_COMMENT_TAGS = {"p", "a", "br", "code"}
_COMMENT_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def render_clause(markdown: str) -> str:
    """Render a clause's Markdown to HTML (raw HTML shows as text)."""
    return str(_policy_md.render(markdown))


def render_inline(markdown: str) -> str:
    """Render a one-line Markdown fragment (a heading) to inline HTML."""
    return str(_policy_md.renderInline(markdown))


def render_comment(text: str) -> str:
    """Render a comment: paragraphs and links only, sanitised, links marked nofollow ugc."""
    html = _comment_md.render(text)
    return nh3.clean(
        html,
        tags=_COMMENT_TAGS,
        attributes=_COMMENT_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )
