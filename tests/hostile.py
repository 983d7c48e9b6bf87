"""Hostile inputs: the project's own corpus (tests/data/hostile/), plus the shared one when it is beside us.

The project's corpus is always loaded, so the suite runs from a fresh clone with nothing beside it. The shared
floor (`../shared/data/hostile/payloads.jsonl`, or KORERO_HOSTILE_PAYLOADS) is added to it when present. Both are
JSON Lines: one object a line with `category` (the kind of attack), `payload` and `expect` (the safe behaviour).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PAYLOADS_FILE = ROOT / "tests" / "data" / "hostile" / "payloads.jsonl"
SHARED_PAYLOADS_FILE = Path(
    os.environ.get("KORERO_HOSTILE_PAYLOADS", ROOT.parent / "shared" / "data" / "hostile" / "payloads.jsonl")
)

# The kinds the project's own corpus must hold (tests/unit/test_hostile_corpus.py checks it).
REQUIRED_KINDS = frozenset(
    {
        "xss",
        "template-injection",
        "format-string",
        "sql",
        "path-traversal",
        "unicode",
        "number",
        "size",
        "blank",
        "csv-formula",
        "cpu-bomb",
        "redirect",
        "crlf",
        "heading-id",
        "ssrf-pdf",
        "json-yaml",
        "email",
    }
)


def read_payloads(path: Path) -> list[dict[str, str]]:
    """The records of one JSON Lines file (lone surrogates and NULs are JSON escapes, kept as they are)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_payloads() -> list[dict[str, str]]:
    """Every payload record: the project's own, then the shared ones it does not already hold."""
    if not PROJECT_PAYLOADS_FILE.exists():
        raise FileNotFoundError(f"the project's hostile payloads are missing: {PROJECT_PAYLOADS_FILE}")
    records = read_payloads(PROJECT_PAYLOADS_FILE)
    if SHARED_PAYLOADS_FILE.exists():
        seen = {record["payload"] for record in records}
        records += [record for record in read_payloads(SHARED_PAYLOADS_FILE) if record["payload"] not in seen]
    return records


def payloads(*categories: str) -> list[str]:
    """The payload strings, optionally only those of some categories."""
    return [r["payload"] for r in load_payloads() if not categories or r["category"] in categories]


def payload_ids(records: list[dict[str, str]]) -> list[str]:
    """Readable pytest ids: the category and the record's position."""
    return [f"{record['category']}-{n}" for n, record in enumerate(records)]
