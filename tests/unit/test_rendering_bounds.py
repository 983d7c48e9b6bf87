"""Markdown's work is bounded: bracket runs cost what ordinary text costs, and ordinary text renders as before.

No timings: the work is counted in calls to markdown-it's `skipToken`, the step a link label scan repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.drafts import parsing, rendering


def unguarded_policy() -> MarkdownIt:
    return MarkdownIt("js-default", {"typographer": False}).enable(["table", "strikethrough"])


def unguarded_comment() -> MarkdownIt:
    return MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
        ["paragraph", "newline", "link", "autolink", "escape", "backticks"]
    )


def unguarded_block() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


PAIRS = [
    ("policy", rendering._policy_md, unguarded_policy()),
    ("comment", rendering._comment_md, unguarded_comment()),
    ("block", parsing._block_md, unguarded_block()),
]


@contextmanager
def counting_skips(md: MarkdownIt) -> Iterator[list[int]]:
    calls = [0]
    original = md.inline.skipToken

    def counted(state):
        calls[0] += 1
        original(state)

    md.inline.skipToken = counted
    try:
        yield calls
    finally:
        del md.inline.skipToken


HOSTILE = {
    "run of [": "[" * 20_000,
    "run of [ then ]": "[" * 20_000 + "]",
    "a[ pairs": "a[" * 10_000,
    "![ pairs": "![" * 10_000,
    "[ with code spans": "[`x" * 7_000 + "]",
    "short paragraphs": ("[" * 19 + "]\n\n") * 1_000,
    "open link labels": "[a](" * 5_000,
}


@pytest.mark.parametrize(("name", "md", "plain"), PAIRS, ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_bracket_runs_cost_a_few_steps_per_character(name, md, plain, text):
    with counting_skips(md) as guarded:
        md.render(text)
    # markdown-it alone walks up to maxNesting (20 or 100) cached steps for every unmatched `[`.
    assert guarded[0] <= 12 * len(text), name


@pytest.mark.parametrize(("name", "md", "plain"), PAIRS, ids=[p[0] for p in PAIRS])
def test_unmatched_brackets_are_text(name, md, plain):
    assert md.render("[" * 1_000) == plain.render("[" * 1_000)
    assert md.render("x ![" * 300 + " [ok](https://example.org)") == plain.render(
        "x ![" * 300 + " [ok](https://example.org)"
    )


def test_the_parser_and_renderer_stay_bounded_on_a_draft_of_brackets():
    text = "---\ntitle: T\nversion: V\nstatus: working\n---\n## S\n\n" + "[" * 50_000 + "\n"
    with counting_skips(parsing._block_md) as calls:
        document = parsing.parse_draft(text)
    assert document.clauses[0].text == "[" * 50_000
    assert calls[0] <= 4 * 50_000
    assert rendering.render_clause(document.clauses[0].markdown) == "<p>" + "[" * 50_000 + "</p>\n"
    assert rendering.render_comment("[" * 50_000) == "<p>" + "[" * 50_000 + "</p>\n"


ORDINARY = [
    "A [link](https://example.org) and [another](https://example.org/a 'title').",
    "[a [nested [bracket] pair] inside](https://example.org)",
    "[![an image](https://example.org/i.png)](https://example.org)",
    "Square [sic] and [1] and [ ] and [] and \\[escaped\\] brackets.",
    "`[code]` [a `]` b](https://example.org) <https://example.org/[x]>",
    "[ref]\n\n[ref]: https://example.org",
    "!![[double]](x) ![ [x](y)",
    "[[[[[[[deep](https://example.org)]]]]]]]",
    "| a | [b](c) |\n|---|---|\n| [d | e] |",
    "*emphasis* **strong** ~~struck~~ [a *b*](https://example.org)",
]


@pytest.mark.parametrize(("name", "md", "plain"), PAIRS, ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_markdown_renders_as_markdown_it_renders_it(name, md, plain, text):
    assert md.render(text) == plain.render(text)


markup = st.text(alphabet="[]()!`<>\\*_:/ ax1\n", max_size=60).filter(lambda t: t.count("[") < 8)


@settings(max_examples=150, deadline=None)
@given(markup)
def test_the_guard_never_changes_what_few_brackets_render_to(text):
    for name, md, plain in PAIRS:
        assert md.render(text) == plain.render(text), name


def test_a_lone_surrogate_in_a_comment_renders_as_the_replacement_character():
    assert rendering.render_comment("a\ud800b") == "<p>a\ufffdb</p>\n"


def _comment_through_the_parser(text: str) -> str:
    """`render_comment`'s full path, which its plain-line shortcut must agree with."""
    import nh3

    html = rendering._comment_md.render(rendering._LONE_SURROGATE_RE.sub("\ufffd", text))
    return nh3.clean(
        html,
        tags=rendering._COMMENT_TAGS,
        attributes=rendering._COMMENT_ATTRIBUTES,
        url_schemes=rendering._URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ9ĀōßŋŸ日 ,.;:!?()'/%+=-_&<>[]`\\\"*\n")), max_size=40))
def test_the_plain_line_shortcut_renders_what_the_parser_renders(text):
    assert rendering.render_comment(text) == _comment_through_the_parser(text)


@pytest.mark.parametrize(
    "text",
    ["Transcribed paper submission 12 about the glossary.", "Kia ora, Āpōpō (tomorrow) 50% + 2 = x - y!"],
)
def test_plain_lines_take_the_shortcut(text, monkeypatch):
    monkeypatch.setattr(rendering, "_comment_md", None)  # the parser is not reached
    assert rendering.render_comment(text) == f"<p>{text}</p>\n"


def test_the_plain_line_pattern_fails_fast_on_long_near_misses():
    text = "a " * 5000 + "<"
    assert rendering._PLAIN_LINE_RE.fullmatch(text) is None  # linear: alternation without ambiguity
