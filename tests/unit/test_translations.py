"""The translation catalogs: well-formed, compiled, and the .mo files in the repo match their .po sources."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
LOCALES = ["en", "mi"]


def load_po(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _key(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def translated(catalog) -> dict[object, object]:
    """The messages a catalog translates (plural ids and strings as tuples, so .po and .mo compare)."""
    return {
        _key(m.id): _key(m.string)
        for m in catalog
        if m.id and m.string and not m.fuzzy and any(_key(m.string))
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_matches_its_po(locale: str) -> None:
    """Editing a .po without running scripts/update-translations would leave the app on old text."""
    po = load_po(locale)
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        committed = read_mo(handle)
    fresh = BytesIO()
    write_mo(fresh, po)
    fresh.seek(0)
    assert translated(committed) == translated(read_mo(fresh)), (
        f"app/translations/{locale}/LC_MESSAGES/messages.mo is stale: run scripts/update-translations"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    """A translation that drops or renames %(name)s would raise or show the wrong value."""
    problems = [f"{message.id!r}: {errors}" for message, errors in load_po(locale).check()]
    assert not problems, "\n".join(problems)


def test_maori_covers_the_navigation() -> None:
    mi = translated(load_po("mi"))
    for english in ["Skip to main content", "Policies", "Contents", "Versions", "Sections", "Page not found"]:
        assert mi.get(english), f"no te reo Māori for {english!r}"
    assert mi["Policies"] == "Ngā kaupapa here"
    assert mi["Draft — not government policy."].startswith("Hukihuki")
