"""Edit a draft's structure without touching its keys: add, rename, move and delete sections and clauses.

Pure domain code (no Flask, no database): each function takes a version's Markdown and its parsed Document and
returns the new Markdown, written so every section and clause keeps the `{#key}` it had and new ones get a key
that no section or clause of the version (or of the versions it is compared with) has used. The drafting
services check that the result parses to the structure asked for, and refuse in words when it does not.

Lines are the parser's: a section runs from its heading line to the next section's heading; a clause from its
first line to its last (the one that carries the key), as `write_missing_keys` counts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.drafts.parsing import LIST_MARKER_RE, TRAILING_KEY_RE, Clause, Document, Section, slugify

KEY_LIMIT = 60
# What a clause of a new section looks like when there is no clause to copy the style of.
DEFAULT_MARKER = "1. "


def lines_of(source: str) -> list[str]:
    """A source's lines, as the parser numbers them."""
    return source.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").split("\n")


def used_keys(*documents: Document | None) -> set[str]:
    """Every section and clause key of the given documents."""
    keys: set[str] = set()
    for document in documents:
        if document is None:
            continue
        for section in document.sections:
            keys.add(section.key)
            keys.update(c.key for c in section.clauses)
    return keys


def new_key(base: str, taken: Iterable[str]) -> str:
    """A key made from `base` that is not in `taken` (`base`, `base-2`, `base-3`, …)."""
    taken = set(taken)
    stem = (slugify(base)[:KEY_LIMIT].strip("-") or "section").lower()
    if not stem[0].isalnum():
        stem = "s" + stem
    key, n = stem, 2
    while key in taken:
        key, n = f"{stem}-{n}", n + 1
    return key


def clause_key_for(section: Section, taken: Iterable[str]) -> str:
    """A new clause key in the style of its section's (`purpose-12` beside `purpose-11`)."""
    taken = set(taken)
    stems = [c.key.rsplit("-", 1)[0] for c in section.clauses if re.search(r"-\d+$", c.key)]
    stem = stems[0] if stems else section.key[:KEY_LIMIT]
    n = len(section.clauses) + 1
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def section_span(document: Document, lines: list[str], key: str) -> tuple[int, int]:
    """0-based [start, end) of a section's lines, its heading included."""
    index = _section_index(document, key)
    start = document.sections[index].line - 1
    end = document.sections[index + 1].line - 1 if index + 1 < len(document.sections) else len(lines)
    return start, end


def clause_span(clause: Clause) -> tuple[int, int]:
    """0-based [start, end) of a clause's lines."""
    start = clause.line - 1
    return start, start + clause.markdown.count("\n") + 1


def find_clause(document: Document, key: str) -> tuple[Section, int] | None:
    """The section holding clause `key` and its index there, or None."""
    for section in document.sections:
        for index, clause in enumerate(section.clauses):
            if clause.key == key:
                return section, index
    return None


def _section_index(document: Document, key: str) -> int:
    for index, section in enumerate(document.sections):
        if section.key == key:
            return index
    raise KeyError(key)


def _join(lines: list[str]) -> str:
    text = "\n".join(lines)
    # Never more than one blank line in a row where blocks were taken out.
    return re.sub(r"\n{3,}", "\n\n", text)


def heading_line(heading: str, key: str) -> str:
    return f"## {' '.join(heading.split())} {{#{key}}}"


def clause_lines(text: str, key: str, marker: str) -> list[str]:
    """A clause's source lines: the marker before its first line, continuation lines indented, the key last."""
    body = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")]
    indent = " " * len(marker)
    out = [marker + body[0]]
    out.extend((indent + line) if line.strip() else "" for line in body[1:])
    out[-1] = f"{out[-1]} {{#{key}}}"
    return out


def marker_of(lines: list[str], clause: Clause | None, number: int) -> str:
    """The list marker a clause at position `number` takes, in the style of `clause` (none for paragraphs)."""
    if clause is None:
        return DEFAULT_MARKER if number == 1 else f"{number}. "
    match = LIST_MARKER_RE.match(lines[clause.line - 1])
    if match is None:
        return ""
    marker = match.group(2)
    if marker[-1] in ".)" and marker[:-1].isdigit():
        return f"{match.group(1)}{number}{marker[-1]} "
    return f"{match.group(1)}{marker} "


def strip_key(line: str) -> str:
    return TRAILING_KEY_RE.sub("", line)


# --- sections --------------------------------------------------------------------------------------


def add_section(
    source: str,
    document: Document,
    heading: str,
    key: str,
    clause_text: str,
    clause_key: str,
    after: str | None,
) -> str:
    """Add a section with one clause, after section `after` (or at the end)."""
    lines = lines_of(source)
    if after is None:
        at = len(lines)
        sibling = None
    else:
        at = section_span(document, lines, after)[1]
        sibling = document.sections[_section_index(document, after)]
    style = sibling.clauses[0] if sibling is not None and sibling.clauses else None
    block = [
        heading_line(heading, key),
        "",
        *clause_lines(clause_text, clause_key, marker_of(lines, style, 1)),
        "",
    ]
    before = lines[:at]
    while before and not before[-1].strip():
        before.pop()
    return _join([*before, "", *block, *lines[at:]]).rstrip("\n") + "\n"


def rename_section(source: str, document: Document, key: str, heading: str) -> str:
    """Give section `key` a new heading; its key stays."""
    lines = lines_of(source)
    start, _end = section_span(document, lines, key)
    lines[start] = heading_line(heading, key)
    return _join(lines)


def move_section(source: str, document: Document, key: str, offset: int) -> str:
    """Move section `key` up (offset -1) or down (+1) past its neighbour."""
    index = _section_index(document, key)
    other = index + offset
    if not 0 <= other < len(document.sections):
        return source
    lines = lines_of(source)
    first, second = sorted((index, other))
    a = section_span(document, lines, document.sections[first].key)
    b = section_span(document, lines, document.sections[second].key)
    block_a = _trimmed(lines[a[0] : a[1]])
    block_b = _trimmed(lines[b[0] : b[1]])
    return _join([*lines[: a[0]], *block_b, "", *block_a, "", *lines[b[1] :]]).rstrip("\n") + "\n"


def delete_section(source: str, document: Document, key: str) -> str:
    """Take section `key` and its clauses out."""
    lines = lines_of(source)
    start, end = section_span(document, lines, key)
    return _join([*lines[:start], *lines[end:]]).rstrip("\n") + "\n"


def _trimmed(block: list[str]) -> list[str]:
    block = list(block)
    while block and not block[-1].strip():
        block.pop()
    return block


# --- clauses ---------------------------------------------------------------------------------------


def add_clause(
    source: str, document: Document, section_key: str, text: str, key: str, after: str | None
) -> str:
    """Add a clause to a section, after clause `after` (or at the section's end)."""
    lines = lines_of(source)
    section = document.sections[_section_index(document, section_key)]
    if after is None:
        anchor = section.clauses[-1] if section.clauses else None
        at = clause_span(anchor)[1] if anchor is not None else section.line
        number = len(section.clauses) + 1
    else:
        position = next(i for i, c in enumerate(section.clauses) if c.key == after)
        anchor = section.clauses[position]
        at = clause_span(anchor)[1]
        number = position + 2
    block = ["", *clause_lines(text, key, marker_of(lines, anchor, number)), ""]
    return _join([*lines[:at], *block, *lines[at:]])


def replace_clause(source: str, document: Document, key: str, text: str) -> str:
    """Reword clause `key`; its marker and key stay."""
    found = find_clause(document, key)
    if found is None:
        raise KeyError(key)
    section, index = found
    clause = section.clauses[index]
    lines = lines_of(source)
    start, end = clause_span(clause)
    match = LIST_MARKER_RE.match(lines[start])
    marker = match.group(0) if match is not None else ""
    if marker and not marker.endswith(" "):
        marker += " "
    return _join([*lines[:start], *clause_lines(text, key, marker), *lines[end:]])


def move_clause(source: str, document: Document, key: str, offset: int) -> str:
    """Move clause `key` up (-1) or down (+1) within its section; list numbers follow the new order."""
    found = find_clause(document, key)
    if found is None:
        raise KeyError(key)
    section, index = found
    other = index + offset
    if not 0 <= other < len(section.clauses):
        return source
    lines = lines_of(source)
    first, second = sorted((index, other))
    a, b = clause_span(section.clauses[first]), clause_span(section.clauses[second])
    block_a, block_b = lines[a[0] : a[1]], lines[b[0] : b[1]]
    # Swap the list numbers too, so "1." stays first in the source as readers will see it.
    block_a[0], block_b[0] = _swap_numbers(block_a[0], block_b[0])
    return _join([*lines[: a[0]], *block_b, *lines[a[1] : b[0]], *block_a, *lines[b[1] :]])


def _swap_numbers(first: str, second: str) -> tuple[str, str]:
    ma, mb = LIST_MARKER_RE.match(first), LIST_MARKER_RE.match(second)
    if ma is None or mb is None or not ma.group(2)[:-1].isdigit() or not mb.group(2)[:-1].isdigit():
        return first, second
    new_first = first[: ma.start(2)] + mb.group(2) + first[ma.end(2) :]
    new_second = second[: mb.start(2)] + ma.group(2) + second[mb.end(2) :]
    return new_first, new_second


def delete_clause(source: str, document: Document, key: str) -> str:
    """Take clause `key` out of its section."""
    found = find_clause(document, key)
    if found is None:
        raise KeyError(key)
    section, index = found
    lines = lines_of(source)
    start, end = clause_span(section.clauses[index])
    return _join([*lines[:start], *lines[end:]])


def shape(document: Document) -> list[tuple[str, list[str]]]:
    """The document's structure as keys: [(section key, [clause keys])], for checking an edit's result."""
    return [(s.key, [c.key for c in s.clauses]) for s in document.sections]
