"""The interface in te reo Māori: ?lang=mi, the language switch and its cookie, and English as the default."""

from __future__ import annotations

import pytest

VERSION = "/policies/data-protection-and-use-policy/versions/consultation-draft"


def test_english_is_the_default(client):
    html = client.get("/").text
    assert '<html lang="en">' in html
    assert ">Policies</a>" in html
    assert "Skip to main content" in html


def test_lang_mi_shows_the_maori_navigation(client):
    response = client.get("/?lang=mi")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="mi">' in html
    assert "Tīpoka ki te ihirangi matua" in html  # the skip link
    assert ">Ngā kaupapa here</a>" in html  # the site nav
    assert 'aria-label="Matua"' in html  # the main nav's name
    assert 'aria-label="Reo"' in html  # the language nav's name
    # The way back to English is offered in English.
    assert 'lang="en" hreflang="en">English</a>' in html
    # Translations no fluent speaker has reviewed yet are marked fuzzy in the .po and still shown (compiled with
    # --use-fuzzy, docs/i18n.md): the footer is one of them.
    assert "He pae tuwhera a Kōrero" in html
    assert "Kōrero is an open platform for drafting policy in public." not in html


@pytest.mark.usefixtures("imported")
def test_lang_mi_translates_the_reading_pages(client):
    html = client.get(f"{VERSION}?lang=mi").text
    assert "Hukihuki — ehara i te kaupapa here a te Kāwanatanga." in html
    assert ">Rārangi upoko</h2>" in html
    assert 'aria-label="Ngā putanga"' in html
    assert 'aria-label="Ara whārangi"' in html


def test_the_404_page_in_maori(client):
    response = client.get("/no-such-page?lang=mi")
    assert response.status_code == 404
    assert "Kāore i kitea te whārangi" in response.text


def test_the_language_switch_remembers_the_choice(client):
    response = client.get("/language/mi?next=/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "lang=mi" in response.headers["Set-Cookie"]
    html = client.get("/").text
    assert '<html lang="mi">' in html
    assert ">Ngā kaupapa here</a>" in html
    client.get("/language/en")
    assert '<html lang="en">' in client.get("/").text


def test_an_unknown_language_is_ignored(client):
    client.get("/language/xx")
    assert '<html lang="en">' in client.get("/?lang=xx").text


def test_the_language_switch_never_redirects_off_site(client):
    response = client.get("/language/mi?next=//evil.example/")
    assert response.headers["Location"] == "/"
