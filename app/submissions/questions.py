"""Consultation questions as drafters write them, and their results. Pure.

Drafters write a version's questions as a small YAML list (the same text in the workspace and in a file):

    - ask: How well does the purpose section explain why the policy exists?
      kind: agree            # single, multiple, agree (five-point scale; `agree5` too) or text
      required: true
      clause: purpose-1      # optional: shown beside this clause (or `section: purpose`)
    - ask: Which principles matter most to you?
      kind: multiple
      choices: [He Tāngata, Manaakitanga, Kaitiakitanga]

`prompt:` may stand for `ask:`. A draft's front matter holds the same list under `questions:`.
`parse_questions` reads it into `QuestionSpec`s or raises `QuestionsError` with the item number and a problem
code; `tally` counts answers for the results chart and table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import yaml

SINGLE: Final = "single"
MULTIPLE: Final = "multiple"
AGREE: Final = "agree"
TEXT: Final = "text"
QUESTION_KINDS: Final = (SINGLE, MULTIPLE, AGREE, TEXT)
AGREE_SCALE: Final = ("strongly_agree", "agree", "neutral", "disagree", "strongly_disagree")
MAX_QUESTIONS: Final = 50
MAX_CHOICES: Final = 20
MAX_PROMPT: Final = 500
MAX_CHOICE: Final = 200
MAX_YAML_BYTES: Final = 50_000
KEYS: Final = frozenset({"ask", "kind", "choices", "required", "section", "clause"})
# Other words for the same thing: `prompt:` for `ask:`, `agree5` (the five-point scale) for `agree`.
KEY_ALIASES: Final = {"prompt": "ask"}
KIND_ALIASES: Final = {"agree5": AGREE}


class _Loader(yaml.SafeLoader):
    """YAML as people write it: only true/false are booleans ("Yes" and "No" stay words, as in a choice list)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class QuestionsError(ValueError):
    """The questions text cannot be read; `item` is the 1-based question (0: the whole text)."""

    def __init__(self, problem: str, item: int = 0, detail: str = "") -> None:
        super().__init__(f"{problem} (question {item}) {detail}".strip())
        self.problem = problem
        self.item = item
        self.detail = detail


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    prompt: str
    choices: tuple[str, ...] = ()
    required: bool = False
    section_key: str | None = None
    clause_key: str | None = None

    def options(self) -> tuple[str, ...]:
        """The values an answer may hold: the choices, or the agree scale."""
        return AGREE_SCALE if self.kind == AGREE else self.choices


def _text(value: object, limit: int, item: int, what: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise QuestionsError("not_text", item, what)
    text = " ".join(str(value).split())
    if not text:
        raise QuestionsError("empty", item, what)
    if len(text) > limit:
        raise QuestionsError("too_long", item, what)
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF or ch == "\ufffd" for ch in text):
        raise QuestionsError("control", item, what)
    return text


def _key(value: object, item: int, what: str) -> str | None:
    if value is None:
        return None
    text = _text(value, 64, item, what)
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in text):
        raise QuestionsError("bad_key", item, what)
    return text


def parse_questions(source: str) -> list[QuestionSpec]:
    """Read the YAML list of questions; an empty text is no questions."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise QuestionsError("too_big")
    if not source.strip():
        return []
    try:
        data = yaml.load(source, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise QuestionsError("yaml", 0, str(getattr(error, "problem", "") or "")) from None
    if data is None:
        return []
    return check_questions(data)


def check_questions(data: object) -> list[QuestionSpec]:
    """Check questions already read from YAML (a list of mappings) into `QuestionSpec`s.

    The workspace's text and a draft's front matter (`questions:`) both come here, so they accept the same.
    """
    if not isinstance(data, list):
        raise QuestionsError("not_list")
    if len(data) > MAX_QUESTIONS:
        raise QuestionsError("too_many")
    specs = []
    for item, written in enumerate(data, start=1):
        if not isinstance(written, dict):
            raise QuestionsError("not_mapping", item)
        unknown = sorted(str(k) for k in written if k not in KEYS and k not in KEY_ALIASES)
        if unknown:
            raise QuestionsError("unknown_key", item, unknown[0])
        raw = dict(written)
        for alias, key in KEY_ALIASES.items():
            if alias in raw:
                if key in raw:
                    raise QuestionsError("alias_twice", item, key)
                raw[key] = raw.pop(alias)
        kind = raw.get("kind", TEXT)
        kind = KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
        if kind not in QUESTION_KINDS:
            raise QuestionsError("bad_kind", item, str(kind)[:40])
        choices: tuple[str, ...] = ()
        if kind in (SINGLE, MULTIPLE):
            listed = raw.get("choices")
            if not isinstance(listed, list) or len(listed) < 2:
                raise QuestionsError("few_choices", item)
            if len(listed) > MAX_CHOICES:
                raise QuestionsError("many_choices", item)
            choices = tuple(_text(c, MAX_CHOICE, item, "choice") for c in listed)
            if len(set(choices)) != len(choices):
                raise QuestionsError("duplicate_choice", item)
        elif "choices" in raw:
            raise QuestionsError("choices_not_allowed", item)
        required = raw.get("required", False)
        if not isinstance(required, bool):
            raise QuestionsError("bad_required", item)
        section, clause = _key(raw.get("section"), item, "section"), _key(raw.get("clause"), item, "clause")
        if section and clause:
            raise QuestionsError("section_and_clause", item)
        specs.append(
            QuestionSpec(
                kind=str(kind),
                prompt=_text(raw.get("ask"), MAX_PROMPT, item, "ask"),
                choices=choices,
                required=required,
                section_key=section,
                clause_key=clause,
            )
        )
    return specs


def dump_questions(specs: Iterable[QuestionSpec]) -> str:
    """The YAML a drafter edits, for questions already set."""
    out = []
    for spec in specs:
        item: dict[str, object] = {"ask": spec.prompt, "kind": spec.kind}
        if spec.choices:
            item["choices"] = list(spec.choices)
        if spec.required:
            item["required"] = True
        if spec.section_key:
            item["section"] = spec.section_key
        if spec.clause_key:
            item["clause"] = spec.clause_key
        out.append(item)
    return yaml.safe_dump(out, allow_unicode=True, sort_keys=False) if out else ""


@dataclass(frozen=True)
class Count:
    option: str
    count: int
    percent: float


@dataclass(frozen=True)
class Tally:
    """The results of one choice question: how many answered, and each option's count and share."""

    answered: int
    counts: list[Count] = field(default_factory=list)


def tally(options: Sequence[str], answers: Iterable[Sequence[str]]) -> Tally:
    """Count chosen options; a percentage is of the people who answered (multiple choice can sum past 100)."""
    counter: Counter[str] = Counter()
    answered = 0
    for chosen in answers:
        picked = {c for c in chosen if c in options}
        if not picked:
            continue
        answered += 1
        counter.update(picked)
    return Tally(
        answered=answered,
        counts=[
            Count(option, counter[option], round(100 * counter[option] / answered, 1) if answered else 0.0)
            for option in options
        ],
    )
