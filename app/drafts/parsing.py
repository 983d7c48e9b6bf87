"""Parse a policy draft (front matter + Markdown) into a Document of sections and clauses.

Pure domain code: no Flask, no database. See policy_drafts/README.md for the format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.diffing.candidates import CANDIDATES, WordIndex
from app.drafts.rendering import bound_link_scanning
from app.exceptions import InputError
from app.submissions.questions import QuestionsError, QuestionSpec, check_questions

MAX_DRAFT_BYTES = 2 * 1024 * 1024
STATUSES = ("working", "published", "final")
MODERATION_MODES = ("post", "pre")
NZ = ZoneInfo("Pacific/Auckland")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# `{#key}` at the end of a heading or a clause's last line.
TRAILING_KEY_RE = re.compile(r"[ \t]*\{#([^}\s]*)\}[ \t]*$")
# `{mi: Te reo heading}` at the end of a section heading, before its `{#key}`: the heading in te reo Māori.
TRAILING_MI_RE = re.compile(r"[ \t]*\{mi:[ \t]*([^{}]*?)[ \t]*\}[ \t]*$")
MAX_HEADING_MI_CHARS = 300
_WORD_RE = re.compile(r"\w+")
LIST_MARKER_RE = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])( {1,4}|\t|$)")
FRONT_MATTER_KEYS = frozenset(
    {
        "title",
        "version",
        "status",
        "date",
        "summary",
        "change_note",
        "comments_open",
        "comments_close",
        "moderation",
        "questions",
    }
)
# Front matter is a few short lines: bounding it bounds the YAML parser's work whatever it holds.
MAX_FRONT_MATTER_BYTES = 16 * 1024
# The longest value of each key, in characters (title and version match their database columns).
MAX_VALUE_CHARS = {"title": 300, "version": 200, "summary": 4000, "change_note": 4000}
MAX_OTHER_VALUE_CHARS = 100
# Dates outside these years are typing mistakes, and converting them between time zones can overflow.
MIN_YEAR, MAX_YEAR = 1900, 2200
TEXT_KEYS = frozenset({"title", "version", "status", "summary", "change_note", "moderation"})
# A clause without a key inherits the key of the most similar clause of the previous version at or above this
# ratio (difflib's, over words); below it the clause is new.
INHERIT_THRESHOLD = 0.6
# An unkeyed part of a merge or split: at least this share of its words are found, in order, in the whole ...
PART_SHARE = 0.8
# ... and the parts together hold at least this share of the whole's words.
PART_COVERAGE = 0.75

_block_md = bound_link_scanning(MarkdownIt("commonmark").enable(["table", "strikethrough"]))


# ValueError stays a base so code written before DomainError (`except ValueError`) still catches it.
class DraftParseError(InputError, ValueError):
    """A draft that cannot be parsed; names the source file and the 1-based line."""

    code = "draft-parse-error"

    def __init__(self, message: str, source: str = "<string>", line: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        # str() says where, for the CLI and logs; `.message` alone is what a form shows beside the upload.
        self.args = (f"{where}: {message}",)

    def problem(self) -> dict[str, Any]:
        """The problem details, with the line the error is on (never the server-side source path)."""
        body = super().problem()
        if self.line is not None:
            body["line"] = self.line
        return body


@dataclass(frozen=True)
class Clause:
    """The smallest commentable unit: one top-level block of a section."""

    key: str
    number: str
    markdown: str
    text: str
    line: int = 0
    explicit_key: bool = False


@dataclass(frozen=True)
class Section:
    """A `##` part of a document."""

    key: str
    heading: str
    clauses: tuple[Clause, ...]
    number: str = ""
    line: int = 0
    explicit_key: bool = False
    #: The heading in te reo Māori, from `## Heading {mi: …} {#key}` ("" when the draft gives none).
    heading_mi: str = ""


@dataclass(frozen=True)
class Document:
    """A parsed draft: front-matter fields and sections."""

    title: str
    version: str
    status: str
    sections: tuple[Section, ...]
    date: dt.date | None = None
    summary: str = ""
    change_note: str = ""
    comments_open: dt.datetime | None = None
    comments_close: dt.datetime | None = None
    moderation: str = "post"
    #: The consultation questions the front matter declares; None when it has no `questions:` key (so the
    #: questions set in the workspace are left alone), () when it declares none.
    questions: tuple[QuestionSpec, ...] | None = None
    source: str = "<string>"
    content_hash: str = ""
    markdown: str = field(default="", repr=False)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """Every clause in document order."""
        return tuple(c for s in self.sections for c in s.clauses)

    def word_count(self) -> int:
        """Count the words in the clauses' plain text."""
        return sum(len(c.text.split()) for c in self.clauses)


def content_hash(text: str) -> str:
    """Hash a draft's text the way versions are compared for idempotent imports."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def decode_draft(data: bytes, source: str = "<bytes>") -> str:
    """Decode a draft file's bytes, refusing oversize and non-UTF-8 input."""
    if len(data) > MAX_DRAFT_BYTES:
        raise DraftParseError(f"file is {len(data):,} bytes; the limit is {MAX_DRAFT_BYTES:,} bytes", source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DraftParseError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded", source, line
        ) from None
    return text.removeprefix("\ufeff")


def slugify(text: str) -> str:
    """Make a key from a heading: ASCII lower-case words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].rstrip("-") or "section"


def parse_draft(text: str, source: str = "<string>", previous: Document | None = None) -> Document:
    """Parse a draft's text into a Document; match unkeyed clauses against `previous` if given."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DRAFT_BYTES:
        raise DraftParseError(f"file is over the {MAX_DRAFT_BYTES:,}-byte limit", source)
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    _check_characters(text, source)
    meta, body_lines, body_start = _split_front_matter(text, source)
    fields, question_lines = _read_front_matter(meta, source)
    raw_sections = _parse_body(body_lines, body_start, source)
    sections = _assign_keys(raw_sections, previous, source)
    _check_question_places(fields["questions"], question_lines, sections, source)
    return Document(
        sections=sections, source=source, content_hash=content_hash(text), markdown=text, **fields
    )


# --- front matter ---------------------------------------------------------------------------------


def _check_characters(text: str, source: str) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        for char in line:
            if char == "\t":
                continue
            category = unicodedata.category(char)
            if category in {"Cs", "Cc"} or char in "\u2028\u2029":
                raise DraftParseError(f"control character U+{ord(char):04X} is not allowed", source, number)


class _FrontMatter(TypedDict):
    title: str
    version: str
    status: str
    date: dt.date | None
    summary: str
    change_note: str
    comments_open: dt.datetime | None
    comments_close: dt.datetime | None
    moderation: str
    questions: tuple[QuestionSpec, ...] | None


def _split_front_matter(text: str, source: str) -> tuple[str, list[str], int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise DraftParseError("missing front matter: the file must start with a '---' line", source, 1)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), lines[index + 1 :], index + 2
    raise DraftParseError("front matter is not closed: add a '---' line after it", source, 1)


def _draft_line(mark: object, default: int = 2) -> int:
    """The draft's 1-based line of a YAML mark (front matter starts on the draft's line 2)."""
    line = getattr(mark, "line", None)
    return line + 2 if isinstance(line, int) else default


class _FrontMatterRefused(Exception):
    """YAML the front matter does not allow, found while composing, with the draft line it is on."""

    def __init__(self, problem: str, mark: object) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = _draft_line(mark)


_NULL_TAG = "tag:yaml.org,2002:null"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _FrontMatterLoader(yaml.SafeLoader):
    """A SafeLoader for one flat mapping of plain values.

    Anchors and aliases are refused as they are met (an alias bomb never expands), and so are explicit tags
    and any list or mapping below the top (so composing never recurses deeper than one level). Only null and
    timestamps are recognised in plain scalars: everything else (`1.10`, `010`, `yes`, 5,000 digits) stays the
    text that was written, and is never converted to a number.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - the class attribute PyYAML's Resolver reads
        first: [(tag, regexp) for tag, regexp in resolvers if tag in (_NULL_TAG, _TIMESTAMP_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    #: How many lists and mappings the node being composed sits in (the top mapping is 1).
    _depth = 0

    # `index` is typed int in the stubs, but a mapping passes the value's key node there.
    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: object = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        mark = getattr(event, "start_mark", None)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _FrontMatterRefused("anchors and aliases ('&' and '*') are not allowed", mark)
        if getattr(event, "tag", None) is not None:
            raise _FrontMatterRefused("YAML tags ('!') are not allowed", mark)
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        # Only `questions:` holds collections: a list of mappings whose `choices:` are a list (three levels
        # below the top mapping, and never deeper, so composing stays shallow whatever the text holds).
        if parent is not None:
            is_questions = isinstance(index, yaml.ScalarNode) and index.value == "questions"
            if (self._depth == 1 and not is_questions) or self._depth >= 4:
                # Name the key's line (a block list starts on the line after it).
                key_mark = index.start_mark if isinstance(index, yaml.Node) else mark
                problem = (
                    "a value must be text or a date, not a list or a mapping (only 'questions' holds a list)"
                    if self._depth == 1
                    else "questions are nested too deeply: a question holds text, and 'choices' a list of text"
                )
                raise _FrontMatterRefused(problem, key_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _compose_front_matter(meta: str, source: str) -> yaml.Node | None:
    loader: _FrontMatterLoader | None = None
    try:
        loader = _FrontMatterLoader(meta)  # the reader refuses some characters (NUL, …) already here
        return loader.get_single_node()
    except _FrontMatterRefused as refused:
        raise DraftParseError(f"malformed front matter: {refused.problem}", source, refused.line) from None
    except yaml.YAMLError as exc:
        line = _draft_line(getattr(exc, "problem_mark", None), default=1)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DraftParseError(f"malformed front matter: {problem}", source, line) from None
    finally:
        if loader is not None:
            loader.dispose()


def _front_matter_values(meta: str, source: str) -> tuple[dict[str, object], dict[str, int]]:
    """Read the front matter's `key: value` lines: the values, and the line each key is on."""
    size = len(meta.encode("utf-8", "surrogatepass"))
    if size > MAX_FRONT_MATTER_BYTES:
        crossing = len(meta.encode("utf-8", "surrogatepass")[:MAX_FRONT_MATTER_BYTES].split(b"\n")) + 1
        raise DraftParseError(
            f"front matter is {size:,} bytes; the limit is {MAX_FRONT_MATTER_BYTES:,} bytes", source, crossing
        )
    node = _compose_front_matter(meta, source) if meta.strip() else None
    if not isinstance(node, yaml.MappingNode):
        line = _draft_line(node.start_mark) if node is not None else 2
        raise DraftParseError("front matter must be a mapping of 'key: value' lines", source, line)
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    constructor = _FrontMatterLoader("")
    for key_node, value_node in node.value:
        line = _draft_line(key_node.start_mark)
        is_questions = isinstance(key_node, yaml.ScalarNode) and key_node.value == "questions"
        if not isinstance(key_node, yaml.ScalarNode) or not (
            isinstance(value_node, yaml.ScalarNode) or is_questions
        ):
            raise DraftParseError("front matter must be a mapping of 'key: value' lines", source, line)
        key = key_node.value
        if key in lines:
            raise DraftParseError(
                f"duplicate front-matter key '{key}' (first used on line {lines[key]})", source, line
            )
        lines[key] = line
        if key not in FRONT_MATTER_KEYS:
            raise DraftParseError(f"unknown front-matter key '{key}'", source, line)
        if key == "questions":
            values[key] = value_node
            continue
        limit = MAX_VALUE_CHARS.get(key, MAX_OTHER_VALUE_CHARS)
        if len(value_node.value) > limit:
            raise DraftParseError(
                f"'{key}' is {len(value_node.value):,} characters long; the limit is {limit:,}",
                source,
                _draft_line(value_node.start_mark),
            )
        if value_node.tag == _NULL_TAG:
            values[key] = None
        elif key in TEXT_KEYS:
            values[key] = value_node.value  # the text as written, even when it looks like a date
        else:
            try:
                values[key] = constructor.construct_object(value_node)
            except (yaml.YAMLError, ValueError, OverflowError, TypeError):
                # PyYAML checks a timestamp's fields only when building it: 2025-02-30 raises ValueError.
                raise DraftParseError(
                    f"'{key}' is not a date: {value_node.value!r}", source, _draft_line(value_node.start_mark)
                ) from None
    constructor.dispose()
    return values, lines


def _read_front_matter(meta: str, source: str) -> tuple[_FrontMatter, tuple[int, ...]]:
    """The front matter's fields, and the line of each of its questions."""
    data, lines = _front_matter_values(meta, source)

    def line_of(key: str) -> int:
        return lines.get(key, 2)

    for required in ("title", "version", "status"):
        value = data.get(required)
        if not isinstance(value, str) or not value.strip():
            raise DraftParseError(f"front matter needs '{required}'", source, line_of(required))
    status = str(data["status"]).strip()
    if status not in STATUSES:
        raise DraftParseError(
            f"unknown status '{status}': use one of {', '.join(STATUSES)}",
            source,
            line_of("status"),
        )
    moderation = str(data.get("moderation") or "post").strip()
    if moderation not in MODERATION_MODES:
        raise DraftParseError(
            f"unknown moderation '{moderation}': use post or pre", source, line_of("moderation")
        )
    date_value = data.get("date")
    date: dt.date | None = None
    if date_value is not None:
        date = _to_date(date_value, source, line_of("date"))
    opens_raw, closes_raw = data.get("comments_open"), data.get("comments_close")
    if (opens_raw is None) != (closes_raw is None):
        missing = "comments_close" if closes_raw is None else "comments_open"
        raise DraftParseError(
            f"a comment period needs both comments_open and comments_close ('{missing}' is missing)",
            source,
            line_of("comments_open" if opens_raw is not None else "comments_close"),
        )
    opens = closes = None
    if opens_raw is not None and closes_raw is not None:
        opens = _to_datetime(opens_raw, "comments_open", source, line_of("comments_open"), False)
        closes = _to_datetime(closes_raw, "comments_close", source, line_of("comments_close"), True)
        if closes <= opens:
            raise DraftParseError(
                "the comment period closes before it opens", source, line_of("comments_close")
            )
    questions, question_lines = _read_questions(data.get("questions"), source, line_of("questions"))
    fields: _FrontMatter = {
        "questions": questions,
        "title": str(data["title"]).strip(),
        "version": str(data["version"]).strip(),
        "status": status,
        "date": date,
        "summary": str(data.get("summary") or "").strip(),
        "change_note": str(data.get("change_note") or "").strip(),
        "comments_open": opens,
        "comments_close": closes,
        "moderation": moderation,
    }
    return fields, question_lines


# What a question in the front matter got wrong, by `QuestionsError.problem` (the workspace shows the same
# problems in its own, translated words).
QUESTION_PROBLEMS = {
    "not_list": "'questions' must be a list: each question starts with '- ask:'",
    "too_many": "a version may have at most 50 questions",
    "duplicate_key": "'{detail}' is written twice",
    "not_mapping": "a question must be 'key: value' lines: ask, kind, choices, required, section or clause",
    "unknown_key": "unknown key '{detail}': use ask (or prompt), kind, choices, required, section or clause",
    "alias_twice": "write the question once, with 'ask:' or with 'prompt:'",
    "bad_kind": "unknown kind '{detail}': use single, multiple, agree (or agree5) or text",
    "few_choices": "a single or multiple choice question needs a list of at least two choices",
    "many_choices": "a question may have at most 20 choices",
    "duplicate_choice": "each choice must be different",
    "choices_not_allowed": "only single and multiple choice questions have choices",
    "bad_required": "'required' must be true or false",
    "section_and_clause": "tie a question to a section or to a clause, not both",
    "not_text": "'{detail}' must be text",
    "empty": "'{detail}' is empty",
    "too_long": "'{detail}' is too long",
    "control": "'{detail}' holds characters that are not allowed",
    "bad_key": "'{detail}' must be a key such as purpose-1",
}
# The key of a question whose line names a problem best, by problem (else the detail, else the question).
_QUESTION_PROBLEM_KEYS = {
    "bad_kind": "kind",
    "few_choices": "choices",
    "many_choices": "choices",
    "duplicate_choice": "choices",
    "choices_not_allowed": "choices",
    "bad_required": "required",
    "section_and_clause": "clause",
}
_PLAIN_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _question_value(node: yaml.Node) -> object:
    """A question node as Python: text as written (never a number or a date), plain true/false as booleans."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _NULL_TAG:
            return None
        if node.style is None and node.value in _PLAIN_BOOLEANS:
            return _PLAIN_BOOLEANS[node.value]
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_question_value(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        mapping: dict[object, object] = {}
        for key, value in node.value:
            name = _question_value(key)
            if not isinstance(name, str):
                raise QuestionsError("not_mapping")
            if name in mapping:
                raise QuestionsError("duplicate_key", 0, name)
            mapping[name] = _question_value(value)
        return mapping
    raise QuestionsError("not_text")  # pragma: no cover - PyYAML makes only the three kinds


def _question_key_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): _draft_line(key.start_mark)
        for key, _value in node.value
        if isinstance(key, yaml.ScalarNode)
    }


def _read_questions(
    value: object, source: str, line: int
) -> tuple[tuple[QuestionSpec, ...] | None, tuple[int, ...]]:
    """Check the front matter's `questions:`: the specs and each question's line, or a DraftParseError."""
    if value is None:
        return None, ()
    if not isinstance(value, yaml.SequenceNode):
        if isinstance(value, yaml.ScalarNode) and value.tag == _NULL_TAG:
            return (), ()  # `questions:` with nothing after it: the draft has none
        raise DraftParseError(f"malformed front matter: {QUESTION_PROBLEMS['not_list']}", source, line)
    items = value.value
    item_lines = [_draft_line(item.start_mark) for item in items]
    try:
        for number, item in enumerate(items, start=1):
            try:
                _question_value(item)
            except QuestionsError as error:
                raise QuestionsError(error.problem, number, error.detail) from None
        specs = check_questions([_question_value(item) for item in items])
    except QuestionsError as error:
        where, keys = line, {}
        if error.item:
            keys = _question_key_lines(items[error.item - 1])
            aliased = "prompt" if error.detail == "ask" and "prompt" in keys else error.detail
            key = _QUESTION_PROBLEM_KEYS.get(error.problem) or ("choices" if aliased == "choice" else aliased)
            where = keys.get(key, item_lines[error.item - 1])
        problem = QUESTION_PROBLEMS.get(error.problem, "invalid question").format(detail=error.detail)
        if (
            error.problem == "not_text"
            and error.detail == "ask"
            and "ask" not in keys
            and "prompt" not in keys
        ):
            problem = "every question needs 'ask:' (the question people answer)"
        label = f"question {error.item}: " if error.item else ""
        raise DraftParseError(f"{label}{problem}", source, where) from None
    # A question tied to a missing section or clause is found after the body is read: keep the key's line.
    place_lines = []
    for item, item_line in zip(items, item_lines, strict=True):
        keys = _question_key_lines(item)
        place_lines.append(keys.get("section", keys.get("clause", item_line)))
    return tuple(specs), tuple(place_lines)


def _check_question_places(
    questions: tuple[QuestionSpec, ...] | None,
    lines: tuple[int, ...],
    sections: Sequence[Section],
    source: str,
) -> None:
    """Refuse a question tied to a section or clause the draft does not have."""
    if not questions:
        return
    section_keys = {s.key for s in sections}
    clause_keys = {c.key for s in sections for c in s.clauses}
    for number, spec in enumerate(questions, start=1):
        if spec.section_key and spec.section_key not in section_keys:
            missing = f"no section has the key '{spec.section_key}'"
        elif spec.clause_key and spec.clause_key not in clause_keys:
            missing = f"no clause has the key '{spec.clause_key}'"
        else:
            continue
        raise DraftParseError(f"question {number}: {missing}", source, lines[number - 1])


def _check_year(day: dt.date, key: str, source: str, line: int) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise DraftParseError(
            f"'{key}' must be between {MIN_YEAR} and {MAX_YEAR}: {day.isoformat()}", source, line
        )


def _to_date(value: object, source: str, line: int) -> dt.date:
    """Read a publication date as the calendar day written (no time-zone shift)."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise DraftParseError(f"'date' is not a date (YYYY-MM-DD): {value!r}", source, line) from None
    _check_year(day, "date", source, line)
    return day


def _to_datetime(value: object, key: str, source: str, line: int, end_of_day: bool) -> dt.datetime:
    """Read a date (New Zealand day) or an ISO date-time with offset, as an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time.max if end_of_day else dt.time.min)
        moment = moment.replace(microsecond=0, tzinfo=NZ)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise DraftParseError(
                f"'{key}' is not a date (YYYY-MM-DD) or ISO date-time: {value!r}", source, line
            ) from None
        if len(value.strip()) == 10:
            day = moment.date()
            moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
            moment = moment.replace(microsecond=0, tzinfo=NZ)
    else:
        raise DraftParseError(f"'{key}' is not a date: {value!r}", source, line)
    # Checked before converting: a year-1 or year-9999 moment overflows when shifted to UTC.
    _check_year(moment.date(), key, source, line)
    if moment.tzinfo is None:
        raise DraftParseError(f"'{key}' needs a time-zone offset, e.g. +13:00", source, line)
    return moment.astimezone(dt.UTC)


# --- body -----------------------------------------------------------------------------------------


@dataclass
class _RawClause:
    markdown: str
    key: str | None
    line: int
    explicit: bool = False


@dataclass
class _RawSection:
    heading: str
    key: str | None
    line: int
    clauses: list[_RawClause] = field(default_factory=list)
    explicit: bool = False
    heading_mi: str = ""


def _parse_body(lines: list[str], first_line: int, source: str) -> list[_RawSection]:
    tokens = _block_md.parse("\n".join(lines))
    sections: list[_RawSection] = []
    seen_title = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.level != 0 or token.nesting == -1 or token.map is None:
            index += 1
            continue
        start, end = token.map
        line = first_line + start
        if token.type == "heading_open":
            heading_text = tokens[index + 1].content
            if token.tag == "h1":
                if sections or seen_title:
                    raise DraftParseError(
                        "a '#' title may only come once, before the first section", source, line
                    )
                seen_title = True
            elif token.tag == "h2":
                heading, key = _split_key(heading_text, source, line)
                heading, heading_mi = _split_mi(heading, source, line)
                heading = plain_text(heading) if heading else ""
                if not heading:
                    raise DraftParseError("a section heading is empty", source, line)
                sections.append(
                    _RawSection(
                        heading=heading, key=key, line=line, explicit=key is not None, heading_mi=heading_mi
                    )
                )
            else:
                raise DraftParseError(
                    f"'{token.markup}' headings are not allowed: clauses sit directly under '##' sections",
                    source,
                    line,
                )
            index = _skip_block(tokens, index)
            continue
        if token.type == "hr":
            index += 1
            continue
        if not sections:
            raise DraftParseError(
                "text before the first section: start a section with a '##' heading", source, line
            )
        if token.type in ("bullet_list_open", "ordered_list_open"):
            close = _skip_block(tokens, index)
            for item in tokens[index + 1 : close]:
                if item.type == "list_item_open" and item.level == 1 and item.map is not None:
                    item_start, item_end = item.map
                    raw = _dedent_item(lines[item_start:item_end])
                    sections[-1].clauses.append(_make_raw_clause(raw, source, first_line + item_start))
            index = close
            continue
        raw = "\n".join(lines[start:end])
        sections[-1].clauses.append(_make_raw_clause(raw, source, line))
        index = _skip_block(tokens, index)
    if not sections:
        raise DraftParseError("the draft has no sections: add a '##' heading", source, first_line)
    for section in sections:
        if not section.clauses:
            raise DraftParseError(f"section '{section.heading}' is empty", source, section.line)
    return sections


def _skip_block(tokens: Sequence[Token], index: int) -> int:
    """Return the index just after the block that opens at `index`."""
    token = tokens[index]
    if token.nesting == 0:
        return index + 1
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position + 1
    return len(tokens)


def _dedent_item(item_lines: list[str]) -> str:
    """Strip a list item's marker and its continuation indent, leaving standalone Markdown."""
    first = item_lines[0]
    match = LIST_MARKER_RE.match(first)
    width = match.end() if match else 0
    if match and match.group(3) == "":
        width = len(match.group(1)) + len(match.group(2)) + 1
    out = [first[width:] if match else first.lstrip()]
    for line in item_lines[1:]:
        stripped = len(line) - len(line.lstrip(" "))
        out.append(line[min(width, stripped) :])
    return "\n".join(out).rstrip()


def _make_raw_clause(raw: str, source: str, line: int) -> _RawClause:
    raw = raw.rstrip()
    text, key = _split_key(raw, source, line + raw.count("\n"))
    if not text.strip():
        raise DraftParseError("a clause is empty", source, line)
    return _RawClause(markdown=text.rstrip(), key=key, line=line, explicit=key is not None)


def _split_mi(text: str, source: str, line: int) -> tuple[str, str]:
    """Split `Heading {mi: Te reo heading}` into the English heading and the te reo Māori one ("" if none)."""
    match = TRAILING_MI_RE.search(text)
    if match is None:
        return text, ""
    heading_mi = plain_text(match.group(1)) if match.group(1).strip() else ""
    if not heading_mi:
        raise DraftParseError("a te reo Māori heading '{mi: …}' is empty", source, line)
    if len(heading_mi) > MAX_HEADING_MI_CHARS:
        raise DraftParseError(
            f"a te reo Māori heading is {len(heading_mi):,} characters; the limit is {MAX_HEADING_MI_CHARS}",
            source,
            line,
        )
    return text[: match.start()].rstrip(), heading_mi


def _split_key(text: str, source: str, line: int) -> tuple[str, str | None]:
    match = TRAILING_KEY_RE.search(text)
    if match is None:
        return text.strip(), None
    key = match.group(1)
    if not KEY_RE.match(key):
        raise DraftParseError(
            f"bad key '{{#{key}}}': use lower-case letters, digits and hyphens (at most 64)",
            source,
            line,
        )
    return text[: match.start()].rstrip(), key


# --- plain text -----------------------------------------------------------------------------------


def plain_text(markdown: str) -> str:
    """Return the text a reader sees in a clause: what passages are anchored in.

    Inline markup is dropped, soft line breaks become spaces, and each block (paragraph, table cell, code
    block) becomes one line.
    """
    blocks: list[str] = []
    for token in _block_md.parse(markdown):
        if token.type == "inline":
            blocks.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
    return "\n".join(block for block in blocks if block)


def _inline_text(children: Iterable[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


# --- keys and numbers -----------------------------------------------------------------------------


def _similarity(a: Sequence[str], b: Sequence[str], floor: float = INHERIT_THRESHOLD) -> float:
    """Word-level similarity in [0, 1]; 0 when the cheap upper bounds already fall below `floor`."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def _shared_words(a: Sequence[str], b: Sequence[str]) -> int:
    """Count the words of `a` found, in order, in `b` (matching blocks of a word-level diff)."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _assign_keys(
    raw_sections: list[_RawSection], previous: Document | None, source: str
) -> tuple[Section, ...]:
    """Give every section and clause a key: explicit, inherited from `previous`, or fresh.

    The order matters. Clause keys are inherited across the whole document first (by wording), so that
    a renamed section can then be recognised by the clause keys it shares with a previous section, and
    only then by its heading. Fresh keys never reuse a key of the previous version: a new clause that
    took a removed clause's place would otherwise pass for a rewording of it.
    """
    section_keys: dict[str, int] = {}
    clause_keys: dict[str, int] = {}

    def claim(registry: dict[str, int], key: str, what: str, line: int) -> None:
        if key in registry:
            raise DraftParseError(
                f"duplicate {what} key '{key}' (first used on line {registry[key]})", source, line
            )
        registry[key] = line

    for raw in raw_sections:
        if raw.key:
            claim(section_keys, raw.key, "section", raw.line)
        for clause in raw.clauses:
            if clause.key:
                claim(clause_keys, clause.key, "clause", clause.line)

    texts = {id(c): plain_text(c.markdown) for raw in raw_sections for c in raw.clauses}
    if previous is not None:
        _inherit_clause_keys(raw_sections, texts, previous, clause_keys)
    _assign_section_keys(raw_sections, previous, section_keys)
    reserved = {c.key for c in previous.clauses} if previous is not None else set[str]()

    sections: list[Section] = []
    for s_index, raw in enumerate(raw_sections, start=1):
        clauses: list[Clause] = []
        if raw.key is None:  # every section was given a key above
            raise AssertionError(raw.heading)
        for c_index, rc in enumerate(raw.clauses, start=1):
            if rc.key is not None:
                key = rc.key
            else:
                key, suffix = f"{raw.key}-{c_index}", 2
                while key in clause_keys or key in reserved:
                    key, suffix = f"{raw.key}-{c_index}-{suffix}", suffix + 1
                clause_keys[key] = rc.line
            clauses.append(
                Clause(
                    key=key,
                    number=f"{s_index}.{c_index}",
                    markdown=rc.markdown,
                    text=texts[id(rc)],
                    line=rc.line,
                    explicit_key=rc.explicit,
                )
            )
        sections.append(
            Section(
                key=raw.key,
                heading=raw.heading,
                clauses=tuple(clauses),
                number=str(s_index),
                line=raw.line,
                explicit_key=raw.explicit,
                heading_mi=raw.heading_mi,
            )
        )
    return tuple(sections)


def _inherit_clause_keys(
    raw_sections: list[_RawSection],
    texts: dict[int, str],
    previous: Document,
    clause_keys: dict[str, int],
) -> None:
    """Give unkeyed clauses the keys of the previous version's clauses they are (or are parts of).

    Candidates come from an index over the previous clauses' words (see app.diffing.candidates), so the
    work grows with the size of the documents, not with the product of their clause counts. Then:

    1. Same clause: the best word-level similarity at or above INHERIT_THRESHOLD wins, then the nearest
       position, then document order. Below the threshold a clause is new, however close its place.
    2. Merge or split: a new clause that holds most words of two or more old clauses (a merge) takes the
       key of the part it shares most with; an old clause whose words went into two or more new clauses (a
       split) gives its key to the part that holds most of it. The diff engine then reports the merge or
       split, instead of parts removed and a clause added.
    """
    new_clauses = [c for raw in raw_sections for c in raw.clauses]
    position = {id(c): n for n, c in enumerate(new_clauses)}
    unkeyed = [c for c in new_clauses if c.key is None]
    old = [(n, c) for n, c in enumerate(previous.clauses) if c.key not in clause_keys]
    if not unkeyed or not old:
        return
    # Similarity is difflib's over whitespace-separated words (as it always was); candidates and parts are
    # found over lower-cased words without punctuation, so "agencies." and "agencies," are one word.
    new_words = [texts[id(c)].split() for c in unkeyed]
    old_words = [c.text.split() for _n, c in old]
    new_plain = [_WORD_RE.findall(texts[id(c)].lower()) for c in unkeyed]
    old_plain = [_WORD_RE.findall(c.text.lower()) for _n, c in old]
    old_index = WordIndex(old_plain, [n for n, _c in old])
    by_text: dict[str, list[int]] = {}
    same_at: dict[str, list[int]] = {}
    for j, (n, old_clause) in enumerate(old):
        by_text.setdefault(old_clause.text, []).append(j)
        same_at.setdefault(old_clause.text, []).append(n)

    # A document that repeats itself offers the same pair of texts again and again: measure each pair once.
    ratios: dict[tuple[str, str], float] = {}
    scored: list[tuple[float, int, int, int]] = []
    for i, raw_clause in enumerate(unkeyed):
        here = position[id(raw_clause)]
        same = by_text.get(texts[id(raw_clause)], [])
        if same:
            # `same` is in document order: the nearest copies lie around where `here` would go.
            at = bisect_left(same_at[texts[id(raw_clause)]], here) if len(same) > CANDIDATES else 0
            window = same[max(0, at - CANDIDATES) : at + CANDIDATES]
            nearest = sorted(window, key=lambda j: (abs(old[j][0] - here), j))[:CANDIDATES]
            scored.extend((-1.0, abs(old[j][0] - here), i, j) for j in nearest)
            continue
        for j in old_index.candidates(new_plain[i], here):
            pair = (texts[id(raw_clause)], old[j][1].text)
            ratio = ratios.get(pair, -1.0)
            if ratio < 0:
                ratio = ratios[pair] = _similarity(new_words[i], old_words[j])
            if ratio >= INHERIT_THRESHOLD:
                scored.append((-ratio, abs(old[j][0] - here), i, j))
    scored.sort()
    done: set[int] = set()
    taken: set[int] = set()

    def give(i: int, j: int) -> None:
        clause = unkeyed[i]
        clause.key = old[j][1].key
        clause_keys[clause.key] = clause.line
        done.add(i)
        taken.add(j)

    for _ratio, _distance, i, j in scored:
        if i not in done and j not in taken:
            give(i, j)

    # Merges: a new clause made of several old ones.
    free_old = {j for j in range(len(old)) if j not in taken}
    for i in range(len(unkeyed)):
        if i in done or not new_plain[i] or not free_old:
            continue
        here = position[id(unkeyed[i])]
        found = old_index.part_candidates(new_plain[i], here, allowed=free_old)
        parts = _parts_in(new_plain[i], old_plain, found)
        if parts is not None:
            give(i, parts)
            free_old.discard(parts)
    # Splits: an old clause cut into several new ones.
    free_new = {i for i in range(len(unkeyed)) if i not in done}
    if not free_new:
        return
    new_index = WordIndex(new_plain, [position[id(c)] for c in unkeyed])
    for j in sorted(free_old):
        if not old_plain[j] or not free_new:
            continue
        found = new_index.part_candidates(old_plain[j], old[j][0], allowed=free_new)
        part = _parts_in(old_plain[j], new_plain, found)
        if part is not None:
            give(part, j)
            free_new.discard(part)


def _parts_in(whole: Sequence[str], texts: Sequence[Sequence[str]], candidates: Iterable[int]) -> int | None:
    """Return the text, among two or more that are mostly inside `whole` and cover it, sharing most."""
    parts: list[tuple[int, int]] = []  # (-shared words, number)
    for number in candidates:
        words = texts[number]
        if not words or len(words) >= len(whole):
            continue
        shared = _shared_words(words, whole)
        if shared >= PART_SHARE * len(words):
            parts.append((-shared, number))
    if len(parts) < 2 or -sum(s for s, _n in parts) < PART_COVERAGE * len(whole):
        return None
    return min(parts)[1]


def _assign_section_keys(
    raw_sections: list[_RawSection], previous: Document | None, section_keys: dict[str, int]
) -> None:
    """Key unkeyed sections: by the clause keys they share with a previous section, then by heading.

    A section shares enough when at least half the clauses of the smaller of the two are shared; the most
    shared wins (then document order). A fresh key is the heading's slug, never one the previous version used.
    """
    unkeyed = [raw for raw in raw_sections if raw.key is None]
    reserved: set[str] = set()
    if previous is not None and unkeyed:
        free = [s for s in previous.sections if s.key not in section_keys]
        reserved = {s.key for s in previous.sections}
        owner = {c.key: n for n, s in enumerate(free) for c in s.clauses}
        pairs: list[tuple[int, int, int]] = []  # (-shared, new number, old number)
        for i, raw in enumerate(unkeyed):
            shared: dict[int, int] = {}
            for clause in raw.clauses:
                if clause.key is not None and clause.key in owner:
                    shared[owner[clause.key]] = shared.get(owner[clause.key], 0) + 1
            for j, count in shared.items():
                if 2 * count >= min(len(raw.clauses), len(free[j].clauses)):
                    pairs.append((-count, i, j))
        pairs.sort()
        used: set[int] = set()
        for _count, i, j in pairs:
            if unkeyed[i].key is None and j not in used:
                unkeyed[i].key = free[j].key
                section_keys[free[j].key] = unkeyed[i].line
                used.add(j)
        by_slug: dict[str, int] = {}
        for j, old in enumerate(free):
            if j not in used:
                by_slug.setdefault(old.key, j)
                by_slug.setdefault(slugify(old.heading), j)
        for raw in unkeyed:
            if raw.key is None:
                j_match = by_slug.get(slugify(raw.heading))
                if j_match is not None and j_match not in used:
                    raw.key = free[j_match].key
                    section_keys[raw.key] = raw.line
                    used.add(j_match)
    for raw in raw_sections:
        if raw.key is None:
            key = base = slugify(raw.heading)
            suffix = 2
            while key in section_keys or key in reserved:
                key, suffix = f"{base}-{suffix}", suffix + 1
            raw.key = key
            section_keys[key] = raw.line
