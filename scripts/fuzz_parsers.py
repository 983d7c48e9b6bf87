"""Run the pure parsers' Hypothesis properties for longer than the test suite does, within a time budget.

    .venv/bin/python scripts/fuzz_parsers.py [--seconds 300] [--chunk 500]

Each property in tests/unit/test_fuzz_parsers.py runs in chunks of --chunk examples, round-robin, until the
budget is spent. Prints the examples tried and every failure found (Hypothesis's shrunk example), and exits
non-zero if there was one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def load_properties(chunk: int) -> object:
    """Import the properties with their example count set to `chunk` (read when the module is imported)."""
    os.environ["KORERO_FUZZ_EXAMPLES"] = str(chunk)
    from tests.unit import test_fuzz_parsers

    return test_fuzz_parsers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="time budget (default 300)")
    parser.add_argument("--chunk", type=int, default=500, help="examples per property per round")
    args = parser.parse_args()
    properties = load_properties(args.chunk)

    tests = {
        name: getattr(properties, name)
        for name in dir(properties)
        if name.startswith("test_") and hasattr(getattr(properties, name), "hypothesis")
    }
    tried = dict.fromkeys(tests, 0)
    failures: dict[str, str] = {}
    deadline = time.monotonic() + args.seconds
    rounds = 0
    while time.monotonic() < deadline and len(failures) < len(tests):
        rounds += 1
        for name, test in tests.items():
            if name in failures or time.monotonic() >= deadline:
                continue
            # A fresh random seed each call and no example database: each chunk explores new inputs.
            try:
                test()
            except Exception:  # any failure is a finding to print
                failures[name] = traceback.format_exc(limit=3)
            tried[name] += args.chunk
    for name in tests:
        status = "FAILED" if name in failures else "ok"
        print(f"{status:6} {name}: about {tried[name]:,} examples")
    for name, report in failures.items():
        print(f"\n--- {name}\n{report}")
    print(f"\n{sum(tried.values()):,} examples in {rounds} round(s); {len(failures)} failure(s).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
