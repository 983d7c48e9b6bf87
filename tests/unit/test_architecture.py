"""The shape of the house: views and commands leave committing to the request boundary.

`app.boundary` commits once after a view returns and rolls back when it raises; CLI commands and jobs use
`unit_of_work()`. A view or command that commits or rolls back by hand splits one request into several
transactions (and a failure half-way leaves half a change), so none may.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

# Views and commands not yet moved onto the boundary, as paths from the repository root. This list only
# shrinks: convert a package, then delete its lines here (the test fails on a line that no longer offends, so
# a converted file cannot quietly start committing again).
NOT_YET_CONVERTED: set[str] = set()


def edge_modules() -> list[Path]:
    """Every module that is an edge of the app: blueprints' views and admin pages, and the commands."""
    found = {*APP.rglob("views.py"), *APP.rglob("admin.py"), *APP.rglob("cli.py")}
    return sorted(found)


def hand_commits(path: Path) -> list[str]:
    """Each `something.commit()` / `something.rollback()` call in a module, as `line: call`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"commit", "rollback"}
        ):
            calls.append(f"{node.lineno}: {ast.unparse(node)}")
    return calls


def test_the_scan_sees_the_edges() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in edge_modules()}
    assert {"app/comments/views.py", "app/cli.py", "app/moderation/admin.py"} <= names


def test_the_scan_finds_a_hand_commit(tmp_path: Path) -> None:
    module = tmp_path / "views.py"
    module.write_text("def view(session):\n    session.commit()\n    db.session.rollback()\n")
    assert hand_commits(module) == ["2: session.commit()", "3: db.session.rollback()"]


def test_no_view_commits() -> None:
    """No view, admin page or CLI command calls commit() or rollback(): the boundary does, once."""
    offenders: dict[str, list[str]] = {}
    for path in edge_modules():
        name = path.relative_to(ROOT).as_posix()
        calls = hand_commits(path)
        if calls:
            offenders[name] = calls
    new = {name: calls for name, calls in offenders.items() if name not in NOT_YET_CONVERTED}
    assert not new, f"commit/rollback by hand (leave it to app.boundary / unit_of_work): {new}"
    converted = sorted(NOT_YET_CONVERTED - offenders.keys())
    assert not converted, f"these no longer commit by hand: delete them from NOT_YET_CONVERTED: {converted}"
