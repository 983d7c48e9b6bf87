"""The pure ring stays pure: import-linter's `pure-ring` contract in pyproject.toml, run as part of the suite.

The pure domain (the draft parser and renderer, the diff engine, anchoring, campaign fingerprints, the domain
errors) imports no Flask and no database, directly or through another module, so it runs without an app and is
tested in tests/unit/. The list of pure modules lives in one place: `[[tool.importlinter.contracts]]` in
pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"

# The modules that were pure when the guard was written; the contract may grow, never lose one of these.
PURE_AT_LEAST = {
    "app.drafts.parsing",
    "app.drafts.rendering",
    "app.diffing.engine",
    "app.diffing.anchoring",
    "app.comments.campaigns",
    "app.exceptions",
}
FORBIDDEN_AT_LEAST = {
    "flask",
    "flask_babel",
    "flask_login",
    "werkzeug",
    "sqlalchemy",
    "flask_sqlalchemy",
    "app.extensions",
    "app.models",
}


def pure_ring_contract() -> dict[str, object]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == "pure-ring")


def lint_imports(*arguments: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    command = str(executable) if executable.exists() else shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]' (import-linter is a test extra)")
    return subprocess.run(  # noqa: S603 - our own venv's lint-imports on our own config
        [command, "--no-cache", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_contract_names_every_pure_module_and_every_forbidden_one():
    contract = pure_ring_contract()
    assert contract["type"] == "forbidden"
    assert set(contract["source_modules"]) >= PURE_AT_LEAST
    assert set(contract["forbidden_modules"]) >= FORBIDDEN_AT_LEAST
    for module in contract["source_modules"]:
        path = ROOT / Path(*module.split("."))
        assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), module


def test_pure_domain_imports_no_flask_or_database():
    result = lint_imports()
    assert result.returncode == 0, (
        f"the pure ring imports Flask or the database:\n{result.stdout}{result.stderr}"
    )


def test_the_contract_catches_an_impure_module(tmp_path):
    # A module that does import Flask and the models must break the same contract, or the guard guards nothing.
    contract = pure_ring_contract()
    lines = [
        "[importlinter]",
        "root_package = app",
        "include_external_packages = True",
        "[importlinter:contract:pure-ring]",
        f"name = {contract['name']}",
        "type = forbidden",
        "source_modules = app.drafts.services",
        "forbidden_modules =",
        *(f"    {module}" for module in contract["forbidden_modules"]),
    ]
    ini = tmp_path / "impure.ini"
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = lint_imports(str(ini))
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
