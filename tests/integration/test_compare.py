"""Compare pages: redline, side by side and summary between any two versions; caching; access."""

from __future__ import annotations

import re

import pytest

from app.diffing import cache, presenters, services
from app.diffing.engine import compare
from app.diffing.listing import stored_document
from app.models import Version
from tests.factories import login, make_user, make_version
from tests.support.revisions import no_rate_limits  # noqa: F401 - a fixture, used by name

pytestmark = pytest.mark.usefixtures("no_rate_limits")

POLICY = "data-protection-and-use-policy"
BASE = f"/policies/{POLICY}"


def compare_url(old: str, new: str, **query: str) -> str:
    suffix = ("?" + "&".join(f"{k}={v}" for k, v in query.items())) if query else ""
    return f"{BASE}/compare/{old}...{new}{suffix}"


def ids_and_fragments(html: str) -> tuple[set[str], set[str]]:
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    fragments = set(re.findall(r'href="#([^"]+)"', html))
    return ids, fragments


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear_cache()
    yield
    cache.clear_cache()


def test_consultation_to_final_shows_insertions_deletions_and_summary(client, imported):
    response = client.get(compare_url("consultation-draft", "final"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<ins" in html
    assert "<del" in html
    # A non-colour cue a screen reader reads out.
    assert 'class="visually-hidden">inserted: </span>' in html
    assert 'class="visually-hidden">deleted: </span>' in html
    assert "Summary of changes" in html
    assert "Clause split" in html
    assert "Clauses merged" in html
    assert "Clause moved" in html
    # Every summary link leads somewhere on the page.
    ids, fragments = ids_and_fragments(html)
    assert fragments, "the summary links to its places"
    assert fragments <= ids | {"main"}


def test_compare_counts_match_the_engine(client, session, imported):
    versions = session.query(Version).order_by(Version.position).all()
    first, final = versions[0], versions[-1]
    view = services.compare_versions(session, first, final)
    changes = compare(stored_document(session, first), stored_document(session, final))
    assert view.total == len(changes) > 0
    assert sum(count for _kind, count, _anchor in view.by_kind) == view.total
    assert sum(row.count for row in presenters.section_rows(view)) == view.total


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("consultation-draft", "revised-draft"),
        ("revised-draft", "final"),
        ("final", "consultation-draft"),
        ("revised-draft", "consultation-draft"),
    ],
)
def test_compare_works_in_either_order(client, imported, old, new):
    response = client.get(compare_url(old, new))
    assert response.status_code == 200
    assert "<ins" in response.get_data(as_text=True)


def test_reversed_compare_mirrors_insertions_and_deletions(session, imported):
    versions = session.query(Version).order_by(Version.position).all()
    forward = services.compare_versions(session, versions[0], versions[1])
    backward = services.compare_versions(session, versions[1], versions[0])
    assert forward.total == backward.total
    kinds = {kind: count for kind, count, _a in forward.by_kind}
    mirrored = {kind: count for kind, count, _a in backward.by_kind}
    assert kinds["clause_added"] == mirrored["clause_removed"]
    assert kinds["clause_split"] == mirrored["clause_merged"]


def test_same_version_is_an_empty_diff_page(client, imported):
    response = client.get(compare_url("final", "final"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "nothing changed" in html
    assert "<ins" not in html
    assert "<del" not in html.replace("<del>", "")


def test_side_by_side_and_whole_text(client, imported):
    side = client.get(compare_url("consultation-draft", "revised-draft", view="side"))
    assert side.status_code == 200
    html = side.get_data(as_text=True)
    assert "sbs__old" in html
    assert "sbs__new" in html
    whole = client.get(compare_url("consultation-draft", "revised-draft", context="all")).get_data(
        as_text=True
    )
    changes_only = client.get(compare_url("consultation-draft", "revised-draft")).get_data(as_text=True)
    assert "redline__item--context" in whole
    assert "redline__item--context" not in changes_only
    # an unknown view falls back to the redline
    assert client.get(compare_url("consultation-draft", "revised-draft", view="x")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        compare_url("consultation-draft", "no-such-version"),
        compare_url("no-such-version", "final"),
        "/policies/no-such-policy/compare/a...b",
        f"{BASE}/compare/1%20OR%201=1...final",
    ],
)
def test_unknown_versions_are_404(client, imported, path):
    assert client.get(path).status_code == 404


def test_versions_of_another_policy_are_404(client, session, imported):
    make_version(session, policy_slug="other-policy", label="Other draft")
    assert client.get(compare_url("consultation-draft", "other-draft")).status_code == 404
    assert client.get("/policies/other-policy/compare/other-draft...final").status_code == 404


def test_working_versions_are_compared_for_drafters_only(client, session, imported):
    from app.drafting.services import start_working_version
    from app.drafts.services import get_policy

    drafter = make_user(session, "drafter")
    start_working_version(session, get_policy(session, POLICY), "Next draft", drafter)
    session.flush()
    assert client.get(compare_url("final", "next-draft")).status_code == 404
    login(client, drafter)
    assert client.get(compare_url("final", "next-draft")).status_code == 200


def test_chooser_redirects_to_the_compare_page(client, imported):
    response = client.get(f"{BASE}/compare?from=revised-draft&to=final")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BASE}/compare/revised-draft...final")
    assert client.get(f"{BASE}/compare?from=nope&to=final").status_code == 404


def test_cached_repeat_returns_the_same_view(session, imported):
    versions = session.query(Version).order_by(Version.position).all()
    first = services.compare_versions(session, versions[0], versions[2])
    again = services.compare_versions(session, versions[0], versions[2])
    assert again is first


def test_a_dead_redis_does_not_break_the_page(app, client, imported):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        assert client.get(compare_url("consultation-draft", "final")).status_code == 200
    finally:
        app.config["REDIS_URL"] = None


def test_changes_survive_the_shared_cache_format(session, imported):
    versions = session.query(Version).order_by(Version.position).all()
    changes = compare(stored_document(session, versions[0]), stored_document(session, versions[1]))
    assert cache.changes_from_json(cache.changes_to_json(changes)) == changes


def test_version_page_links_to_what_changed_and_policy_page_leads_with_the_journey(client, session, imported):
    session.expire_all()  # the import loaded the policy's list of versions before it was complete
    html = client.get(f"{BASE}/versions/revised-draft").get_data(as_text=True)
    assert f'href="{compare_url("consultation-draft", "revised-draft")}"' in html.replace(
        "&amp;", "&"
    ).replace("http://korero.test", "")
    policy_html = client.get(BASE).get_data(as_text=True).replace("http://korero.test", "")
    assert f'href="{compare_url("consultation-draft", "final")}"' in policy_html


def test_the_compare_page_offers_the_redline_pdf(client, imported):
    page = client.get("/policies/data-protection-and-use-policy/compare/consultation-draft...final")
    assert page.status_code == 200
    assert (
        'href="/policies/data-protection-and-use-policy/compare/consultation-draft...final/pdf"' in page.text
    )
