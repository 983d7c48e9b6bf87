"""Every user-visible word in a template goes through _() so it can be translated.

Each template is read with Jinja's own lexer: `{{ ... }}` becomes a placeholder, `{% ... %}` and `{# ... #}`
vanish (keeping their line breaks, so line numbers stay true), and `{% trans %}` blocks count as translated. What
is left is HTML; its text nodes and its visible attributes (alt, title, aria-label, placeholder, ...) must hold no
letters apart from the allowed names below. Failures name the file and line.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
PLACEHOLDER = "\ue000"  # a private-use character: not a letter, marks where an expression was
LETTER = re.compile(r"[^\W\d_]")
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-roledescription", "aria-valuetext"}
BUTTON_INPUTS = {"submit", "button", "reset"}

# Words that are the same in every language: the brand, and each language's name in its own language.
ALLOWED = {"Kōrero", "English", "Te reo Māori", "PDF", "JSON"}
# Blocks a parent template puts inside a tag (class names, PDF metadata), not on the page as text.
NON_TEXT_BLOCKS = {"body_class", "keywords"}


def template_files() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


def as_markup(source: str) -> str:
    """Return the template's static text: expressions as placeholders, tags and comments as bare line breaks."""
    env = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"], autoescape=True)  # only lexed
    out: list[str] = []
    in_trans = False
    blocks: list[str] = []  # names of the {% block %}s we are in
    names: list[str] = []  # the names in the current {% ... %} tag
    for _lineno, token, value in env.lex(source):
        if token == "data":
            hidden = in_trans or any(name in NON_TEXT_BLOCKS for name in blocks)
            out.append(PLACEHOLDER + "\n" * value.count("\n") if hidden else value)
            continue
        if token == "block_begin":
            names = []
        elif token == "name":
            names.append(value)
        elif token == "block_end" and names:
            if names[0] == "trans":
                in_trans = True
            elif names[0] == "endtrans":
                in_trans = False
            elif names[0] == "block" and len(names) > 1:
                blocks.append(names[1])
            elif names[0] == "endblock" and blocks:
                blocks.pop()
        if token == "variable_begin":
            out.append(PLACEHOLDER)
        out.append("\n" * value.count("\n"))
    return "".join(out)


class TextFinder(HTMLParser):
    """Collect (line, text) for text nodes and visible attributes that hold words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skip_depth = 0

    def check(self, text: str) -> None:
        cleaned = " ".join(text.replace(PLACEHOLDER, " ").split())
        if not LETTER.search(cleaned):
            return
        if cleaned in ALLOWED:
            return
        # A text node's position is where its leading whitespace starts; count the words' own line.
        leading = text[: len(text) - len(text.lstrip())]
        self.found.append((self.getpos()[0] + leading.count("\n"), cleaned))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skip_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and name in VISIBLE_ATTRIBUTES:
                self.check(value)
        if tag == "input" and values.get("type") in BUTTON_INPUTS and values.get("value"):
            self.check(values["value"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self.skip_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self.skip_depth:
            self.skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.check(data)


def untranslated(path: Path) -> list[str]:
    """List 'file:line: text' for each run of words in `path` that is not wrapped in _()."""
    markup = as_markup(path.read_text(encoding="utf-8"))
    finder = TextFinder()
    if path.suffix == ".txt":  # plain-text email: every line is text
        for number, line in enumerate(markup.splitlines(), start=1):
            cleaned = " ".join(line.replace(PLACEHOLDER, " ").split())
            if LETTER.search(cleaned) and cleaned not in ALLOWED:
                finder.found.append((number, cleaned))
    else:
        finder.feed(markup)
        finder.close()
    relative = path.relative_to(TEMPLATES.parent.parent)
    return [f"{relative}:{line}: {text!r}" for line, text in finder.found]


def test_there_are_templates_to_check() -> None:
    assert len(template_files()) > 5


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>{{ _('Hello') }}</p>", []),
        ("<p>Hello</p>", ["Hello"]),
        ("<p>{{ name }}: {{ count }}</p>", []),
        ('<a href="{{ url }}" title="Open it">{{ _("x") }}</a>', ["Open it"]),
        ("<p>\n{% if x %}\n  Not wrapped\n{% endif %}</p>", ["Not wrapped"]),
        ("{% trans %}Wrapped by trans{% endtrans %}", []),
        ("{# a comment with words #}<b>{{ _('ok') }}</b>", []),
        ('<input type="submit" value="Send">', ["Send"]),
        ('<input type="text" name="email" value="x">', []),
        ("<style>body { color: red }</style><script src='/a.js'></script>", []),
        ("<span>Kōrero</span> · <a lang='mi'>Te reo Māori</a>", []),
        ("<p>{{ n }}. ← → – ( )</p>", []),
        (
            "{% block body_class %}pdf--report{% endblock %}{% block body %}<p>Words</p>{% endblock %}",
            ["Words"],
        ),
    ],
)
def test_the_checker_finds_unwrapped_text(source: str, expected: list[str]) -> None:
    finder = TextFinder()
    finder.feed(as_markup(source))
    finder.close()
    assert [text for _line, text in finder.found] == expected


def test_the_checker_gives_the_line() -> None:
    finder = TextFinder()
    finder.feed(as_markup("<div>\n{% if a %}\n{{ b }}\n{% endif %}\n<p>\n  Stray words\n</p></div>"))
    assert finder.found == [(6, "Stray words")]


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_text_is_wrapped_for_translation(path: Path) -> None:
    problems = untranslated(path)
    assert not problems, "user-visible text not wrapped in _():\n" + "\n".join(problems)
