"""Every gettext call in app/ is on a string literal, and the extraction script knows every gettext name.

`_(label)` on a variable is never extracted into messages.pot, so its text is never translated: the English
shows through on every te reo Māori page, and no test notices. Mark the constant with `_l` where it is defined
(or call `_("...")` where it is used) instead.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

# Today's offenders, as `path:function`. This list only shrinks: fix the call, then delete its line here (the
# test fails on a line that no longer matches anything, so a fixed call cannot hide a new one).
ALLOWED: set[str] = set()

# The gettext functions, and which positional arguments are message strings (pgettext's first is the context).
MESSAGE_ARGUMENTS: dict[str, tuple[int, ...]] = {
    "_": (0,),
    "_l": (0,),
    "gettext": (0,),
    "lazy_gettext": (0,),
    "ngettext": (0, 1),
    "lazy_ngettext": (0, 1),
    "pgettext": (0, 1),
    "lazy_pgettext": (0, 1),
    "npgettext": (0, 1, 2),
}


@dataclass(frozen=True)
class Offence:
    path: str
    function: str
    line: int
    call: str

    @property
    def site(self) -> str:
        return f"{self.path}:{self.function}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}: {self.call}"


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute) and call.func.attr != "_":
        return call.func.attr  # flask_babel.gettext(...), not obj._(...)
    return None


def is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def offences_in(source: str, relative: str) -> list[Offence]:
    """The gettext calls on something other than string literals in one module's source."""
    tree = ast.parse(source, filename=relative)
    found: list[Offence] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call) and (name := called_name(child)) in MESSAGE_ARGUMENTS:
                positions = MESSAGE_ARGUMENTS[name]
                arguments = child.args
                if len(arguments) < len(positions) or not all(is_literal(arguments[i]) for i in positions):
                    found.append(Offence(relative, function, child.lineno, ast.unparse(child)[:100]))
            visit(child, function)

    visit(tree, "<module>")
    return found


def all_offences() -> list[Offence]:
    return [
        offence
        for path in sorted(APP.rglob("*.py"))
        for offence in offences_in(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]


def test_gettext_is_only_called_on_string_literals():
    new = [str(offence) for offence in all_offences() if offence.site not in ALLOWED]
    assert not new, "gettext on a non-literal is never extracted, so never translated:\n" + "\n".join(new)


def test_the_allow_list_only_names_calls_that_still_offend():
    still = {offence.site for offence in all_offences()}
    fixed = sorted(ALLOWED - still)
    assert not fixed, f"fixed: delete these from ALLOWED in {Path(__file__).name}: {fixed}"


def test_the_check_sees_a_variable_an_f_string_and_a_concatenation():
    source = (
        "def view(label, n):\n"
        "    _(label)\n"
        "    _(f'{n} comments')\n"
        "    _l('a' + label)\n"
        "    ngettext('one', plural, n)\n"
        "    pgettext('menu', 'Policies')\n"
        "    _('Fine %(n)s', n=f'{n:,}')\n"
    )
    offences = offences_in(source, "app/probe.py")
    assert [offence.line for offence in offences] == [2, 3, 4, 5]
    assert {offence.site for offence in offences} == {"app/probe.py:view"}


def test_the_extraction_script_knows_every_gettext_name_the_app_imports():
    # pybabel's defaults cover _, gettext, ngettext, pgettext and npgettext; the lazy ones need a -k each.
    script = (ROOT / "scripts" / "update-translations").read_text(encoding="utf-8")
    keywords = {"_", "gettext", "ngettext", "pgettext", "npgettext", "N_", "ugettext", "ungettext"}
    keywords |= {match.split(":")[0] for match in re.findall(r"-k (\S+)", script)}
    imported: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
                imported |= {alias.asname or alias.name for alias in node.names if "gettext" in alias.name}
    assert imported, "no gettext import found: has the app stopped using Flask-Babel?"
    assert imported <= keywords, f"scripts/update-translations does not extract {sorted(imported - keywords)}"
    config = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    assert "[python: app/**.py]" in config
    for suffix in {path.suffix for path in (APP / "templates").rglob("*") if path.is_file()}:
        assert f"[jinja2: app/templates/**{suffix}]" in config, (
            f"babel.cfg does not extract {suffix} templates"
        )
