"""The shared hostile inputs (`../shared/data/hostile/payloads.jsonl`, beside the repository)."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS_FILE = Path(
    os.environ.get("KORERO_HOSTILE_PAYLOADS", ROOT.parent / "shared" / "data" / "hostile" / "payloads.jsonl")
)


def load_payloads() -> list[dict[str, str]]:
    """Every payload record (category, payload, expect); a missing file fails loudly, never skips."""
    if not PAYLOADS_FILE.exists():
        raise FileNotFoundError(
            f"hostile payloads not found at {PAYLOADS_FILE}: put shared/ beside the repository "
            "or set KORERO_HOSTILE_PAYLOADS"
        )
    return [
        json.loads(line) for line in PAYLOADS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def payloads(*categories: str) -> list[str]:
    """The payload strings, optionally only those of some categories."""
    return [r["payload"] for r in load_payloads() if not categories or r["category"] in categories]
