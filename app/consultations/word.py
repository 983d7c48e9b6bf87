"""Import a first draft from a Word document: mammoth turns the .docx into HTML, we turn that into our Markdown.

Headings become sections (`##`), paragraphs and list items become clauses; bold, italics and web links are
kept; images, tables and anything else are left out with a note saying so. Pure: no Flask, no database.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

import mammoth

from app.exceptions import InputError

DOCX_MAGIC = b"PK\x03\x04"
# Bounds on what a Word file may unpack to: the upload itself is at most a few MB, a zip bomb is not.
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ENTRIES = 2000
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|~])")
_LINE_START_MARKER = re.compile(r"^(\s*)([-+]|\d{1,9}[.)])(\s|$)")
_SPACES = re.compile(r"[ \t]+")
# Word's "Title" and "Subtitle" paragraphs are headings to us (mammoth leaves them as paragraphs).
STYLE_MAP = "p[style-name='Title'] => h1:fresh\np[style-name='Subtitle'] => h2:fresh"
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


class WordImportError(InputError):
    """A file that cannot be read as a Word document; `kind` says why: too_large, not_docx or damaged."""

    code = "word-import-error"

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message, "file")
        self.kind = kind


@dataclass
class WordImport:
    """The Markdown made from a Word document, and what was left out."""

    markdown: str
    sections: int
    clauses: int
    #: What was left out or moved: "tables", "images", "introduction".
    notes: list[str] = field(default_factory=list)


def looks_like_docx(data: bytes, filename: str = "") -> bool:
    """A zip container with a Word body (what .docx files are), whatever the file is called."""
    if not data.startswith(DOCX_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return filename.lower().endswith(".docx")


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
                raise WordImportError("This Word document is too large once unpacked.", "too_large")
            if "word/document.xml" not in archive.namelist():
                raise WordImportError("This file is not a Word document (.docx).", "not_docx")
    except (zipfile.BadZipFile, ValueError):
        raise WordImportError("This Word document is damaged and cannot be read.", "damaged") from None


def docx_to_markdown(data: bytes) -> WordImport:
    """Convert a .docx to a draft body: `# title` (the first heading, if it opens the document), `##` sections."""
    _check_archive(data)
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), convert_image=_drop_image, style_map=STYLE_MAP)
    except Exception:  # mammoth raises many kinds on a broken file; each means the same to the drafter
        raise WordImportError("This Word document is damaged and cannot be read.", "damaged") from None
    builder = _MarkdownBuilder()
    builder.feed(result.value)
    builder.close()
    return builder.result()


def _drop_image(_image: object) -> dict[str, str]:
    return {"alt": "", "src": ""}


def clean_line(text: str) -> str:
    """Drop control characters (Word's soft breaks and field marks) and squeeze spaces."""
    text = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} else ch
        for ch in unicodedata.normalize("NFC", text)
    )
    return _SPACES.sub(" ", text)


def escape(text: str) -> str:
    """Escape what our Markdown would read as syntax (including `{#key}`)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@dataclass
class _Block:
    kind: str  # "heading", "para", "item"
    level: int = 0  # heading level, or list depth
    parts: list[str] = field(default_factory=list)

    def text(self) -> str:
        return clean_line("".join(self.parts)).strip()


class _MarkdownBuilder(HTMLParser):
    """Walk mammoth's small HTML (h1–h6, p, ul/ol/li, strong, em, a, table, img) and write Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.current: _Block | None = None
        self.depth = 0  # list nesting
        self.link: str | None = None
        self.link_text: list[str] = []
        self.skipping = 0  # inside a table
        self.notes: set[str] = set()

    # --- HTMLParser hooks ---

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == "table":
                self.skipping += 1
            return
        if tag == "table":
            self.skipping = 1
            self.notes.add("tables")
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._start(_Block("heading", int(tag[1])))
        elif tag == "p":
            if self.current is None or self.current.kind != "item":
                self._start(_Block("para"))
        elif tag in {"ul", "ol"}:
            self._end()
            self.depth += 1
        elif tag == "li":
            self._start(_Block("item", self.depth))
        elif tag in {"strong", "b"}:
            self._write("**")
        elif tag in {"em", "i"}:
            self._write("*")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = href if SAFE_LINK.match(href) else None
            self.link_text = []
        elif tag == "img":
            self.notes.add("images")
        elif tag == "br":
            self._write(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == "table":
                self.skipping -= 1
            return
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li"}:
            if not (tag == "p" and self.current is not None and self.current.kind == "item"):
                self._end()
        elif tag in {"ul", "ol"}:
            self._end()
            self.depth = max(0, self.depth - 1)
        elif tag in {"strong", "b"}:
            self._write("**")
        elif tag in {"em", "i"}:
            self._write("*")
        elif tag == "a":
            text = "".join(self.link_text)
            self.link_text = []
            target, self.link = self.link, None
            self._write(f"[{text}](<{target}>)" if target and text.strip() else text)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self._write(escape(data))

    # --- building blocks ---

    def _write(self, text: str) -> None:
        if self.link is not None or self.link_text:
            self.link_text.append(text)
            return
        if self.current is None:
            if not text.strip():
                return
            self.current = _Block("para")
        self.current.parts.append(text)

    def _start(self, block: _Block) -> None:
        self._end()
        self.current = block

    def _end(self) -> None:
        if self.current is not None and self.current.text().strip("* "):
            self.blocks.append(self.current)
        self.current = None

    def result(self) -> WordImport:
        self._end()
        lines: list[str] = []
        sections = clauses = 0
        blocks = list(self.blocks)
        if blocks and blocks[0].kind == "heading" and any(b.kind == "heading" for b in blocks[1:]):
            lines += [f"# {_unmarked(blocks[0].text())}", ""]
            blocks = blocks[1:]
        if blocks and blocks[0].kind != "heading":
            lines += ["## Introduction", ""]
            sections += 1
            self.notes.add("introduction")
        for block in blocks:
            text = block.text()
            if block.kind == "heading":
                lines += [f"## {_unmarked(text)}", ""]
                sections += 1
            elif block.kind == "item" and block.level > 1:
                # A nested item stays inside the clause above it.
                if lines and lines[-1] == "":
                    lines.pop()
                lines += ["  " * (block.level - 1) + "- " + text, ""]
            elif block.kind == "item":
                lines += ["- " + text, ""]
                clauses += 1
            else:
                match = _LINE_START_MARKER.match(text)
                if match:  # "1. " at the start of a paragraph would make a list
                    text = text[: match.end(2) - 1] + "\\" + text[match.end(2) - 1 :]
                lines += [text, ""]
                clauses += 1
        return WordImport("\n".join(lines).strip("\n") + "\n", sections, clauses, sorted(self.notes))


def _unmarked(text: str) -> str:
    """A heading without bold or italic marks (headings are plain text in our drafts)."""
    return text.replace("**", "").replace("\\*", "*").strip("* ") or "Untitled"
