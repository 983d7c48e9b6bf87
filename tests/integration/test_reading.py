"""Reading pages through the test client on a real database."""

from __future__ import annotations

import pytest

from tests.hostile import payloads

POLICY = "/policies/data-protection-and-use-policy"


@pytest.mark.usefixtures("imported")
def test_home_lists_the_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Data Protection and Use Policy" in response.text
    assert 'href="/policies/data-protection-and-use-policy"' in response.text


@pytest.mark.usefixtures("imported")
def test_policy_page_shows_the_timeline(client):
    response = client.get(POLICY)
    assert response.status_code == 200
    assert "Consultation draft" in response.text


@pytest.mark.usefixtures("imported")
def test_version_page_has_toc_banner_and_every_clause(client, session):
    from sqlalchemy import func, select

    from app.models import Clause, Version

    version = session.scalar(select(Version).where(Version.slug == "consultation-draft"))
    response = client.get(f"{POLICY}/versions/consultation-draft")
    assert response.status_code == 200
    html = response.text
    assert "Draft — not government policy." in html
    assert html.count("<h1") == 1
    clauses = session.scalar(select(func.count()).where(Clause.version_id == version.id))
    assert html.count('class="clause"') == clauses
    for section in version.sections:
        assert f'href="#section-{section.key}"' in html


@pytest.mark.usefixtures("imported")
def test_section_page_shows_numbered_clauses_with_permalinks(client, session):
    from sqlalchemy import select

    from app.models import Section, Version

    version = session.scalar(select(Version).where(Version.slug == "consultation-draft"))
    section = session.scalar(select(Section).where(Section.version_id == version.id, Section.position == 0))
    response = client.get(f"{POLICY}/versions/consultation-draft/sections/{section.key}")
    assert response.status_code == 200
    for clause in section.clauses:
        assert f'id="clause-{clause.key}"' in response.text
        assert f">{clause.number}</a>" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/policies/no-such-policy",
        f"{POLICY}/versions/no-such-version",
        f"{POLICY}/versions/consultation-draft/sections/no-such-section",
        f"{POLICY}/versions/consultation-draft/clauses/no-such-clause",
    ],
)
@pytest.mark.usefixtures("imported")
def test_unknown_things_get_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/"' in response.text


@pytest.mark.usefixtures("imported")
def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        f"{POLICY}%00",
        f"{POLICY}/versions/consultation-draft%00",
        f"{POLICY}/versions/consultation-draft/sections/purpose%00x",
    ],
)
@pytest.mark.usefixtures("imported")
def test_nul_bytes_in_paths_are_not_found_not_a_server_error(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.usefixtures("imported")
def test_nul_bytes_in_query_strings_are_a_bad_request(client):
    assert client.get("/?lang=m%00i").status_code == 400


@pytest.mark.parametrize("payload", payloads())
@pytest.mark.usefixtures("imported")
def test_hostile_path_segments_get_a_404_never_a_500(client, payload):
    from urllib.parse import quote

    segment = quote(payload.encode("utf-8", "surrogatepass"), safe="")[:2000]
    for path in (
        f"/policies/{segment}",
        f"{POLICY}/versions/{segment}",
        f"{POLICY}/versions/consultation-draft/sections/{segment}",
    ):
        response = client.get(path)
        assert response.status_code in {404, 400}, (path, response.status_code)
