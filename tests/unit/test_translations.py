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


def translated(catalog, use_fuzzy: bool = False) -> dict[object, object]:
    """The messages a catalog translates (plural ids and strings as tuples, so .po and .mo compare).

    Fuzzy entries are translations no fluent speaker has reviewed; they count only with `use_fuzzy`.
    """
    return {
        _key(m.id): _key(m.string)
        for m in catalog
        if m.id and m.string and (use_fuzzy or not m.fuzzy) and any(_key(m.string))
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_matches_its_po(locale: str) -> None:
    """Editing a .po without running scripts/update-translations would leave the app on old text."""
    po = load_po(locale)
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        committed = read_mo(handle)
    fresh = BytesIO()
    # scripts/update-translations compiles with --use-fuzzy: unreviewed translations are shown (docs/i18n.md).
    write_mo(fresh, po, use_fuzzy=True)
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


def test_unreviewed_maori_is_marked_fuzzy_and_still_compiled() -> None:
    """Every entry a fluent speaker has not reviewed carries the fuzzy flag, and the app shows it anyway."""
    po = load_po("mi")
    fuzzy = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id and m.fuzzy}
    assert "Send comment" in fuzzy  # written for issue 13 without review: easy to find
    with (TRANSLATIONS / "mi" / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = translated(read_mo(handle))
    assert compiled["Send comment"] == "Tukuna te tākupu"
    share = len(translated(po, use_fuzzy=True)) / len([m for m in po if m.id])
    assert share >= 0.9, f"only {share:.0%} of the te reo Māori catalogue is translated"


def test_maori_glossary_terms_are_used_consistently() -> None:
    """The glossary in docs/i18n.md: a word for a product term is the same everywhere it appears."""
    mi = translated(load_po("mi"), use_fuzzy=True)
    assert mi["Clause"] == "Rara"
    assert mi["Section"] == "Wāhanga"
    assert mi["Comment"] == "Tākupu"
    assert mi["Moderator"] == "Kaitiaki tākupu"
    for english, maori in mi.items():
        if isinstance(english, str) and isinstance(maori, str) and english.startswith("Comment on clause"):
            assert "rara" in maori
