"""Exports (CSV, JSON Lines), Web Annotations, Atom feeds and Akoma Ntoso: what the public may see, in standard
formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from lxml import etree

from app.api import exporting
from tests.factories import make_comment, make_user, make_version

API = "/api/v1"
AKN_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "akoma-ntoso" / "akomantoso30.xsd"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def version(session):
    return make_version(session, label="First draft")


def base(version) -> str:
    return f"{API}/policies/{version.policy.slug}/versions/{version.slug}"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_neutralised(start):
    assert exporting.neutralise(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert exporting.neutralise("plain") == "plain"
    assert exporting.neutralise(3) == 3


def test_the_csv_export_holds_published_comments_only_formula_safe(client, session, version):
    author = make_user(session, display_name="Mere Tane")
    formula = make_comment(session, author, version, body='=HYPERLINK("http://evil.example","x")')
    anonymous = make_comment(session, author, version, "purpose-2", body="Quietly.", display_as="anonymous")
    make_comment(session, author, version, "principles-1", body="Held words.", state="held")
    make_comment(session, author, version, "principles-2", body="Hidden words.", state="hidden")
    response = client.get(f"{base(version)}/comments.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["tracking_number"] for r in rows] == [formula.tracking_number, anonymous.tracking_number]
    assert rows[0]["comment"].startswith("'=")
    assert rows[0]["submitter_name"] == "Mere Tane"
    assert rows[1]["submitter_name"] == "Anonymous member of the public"
    assert "Held words" not in text
    assert "Hidden words" not in text
    assert "@example.org" not in text
    assert set(exporting.COMMENT_COLUMNS) == set(rows[0])


def test_json_lines_export_by_policy_spans_its_public_versions(client, session, version):
    second = make_version(session, label="Second draft")
    make_version(session, label="Working draft", status="working", open_for_comment=False)
    author = make_user(session)
    make_comment(session, author, version, body="On the first.")
    make_comment(session, author, second, body="On the second.")
    response = client.get(f"{API}/policies/{version.policy.slug}/comments.jsonl")
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["document_id"] for line in lines] == [
        f"{version.policy.slug}/{version.slug}",
        f"{version.policy.slug}/{second.slug}",
    ]
    assert lines[0]["comment"] == "On the first."


def test_exports_page_through_more_rows_than_one_batch(client, session, version, monkeypatch):
    monkeypatch.setattr(exporting, "BATCH", 3)
    author = make_user(session)
    made = [make_comment(session, author, version, body=f"Comment {i}.") for i in range(8)]
    text = client.get(f"{base(version)}/comments.csv").get_data(as_text=True)
    assert [r["tracking_number"] for r in csv.DictReader(io.StringIO(text))] == [
        c.tracking_number for c in made
    ]


def test_the_responses_export(client, session, version):
    from app.responses.services import respond

    comment = make_comment(session, make_user(session), version, body="Define agency.")
    respond(session, make_user(session, "drafter"), comment, "accepted", "+We did.", None, "")
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"{base(version)}/responses.csv").get_data(as_text=True)))
    )
    assert rows[0]["to_tracking_number"] == comment.tracking_number
    assert rows[0]["response"] == "'+We did."


def test_exports_of_working_or_unknown_versions_are_404(client, session, version):
    working = make_version(session, label="Working draft", status="working", open_for_comment=False)
    assert client.get(f"{base(working)}/comments.csv").status_code == 404
    assert client.get(f"{API}/policies/nope/comments.jsonl").status_code == 404


def test_comments_are_web_annotations_with_quote_and_position_selectors(client, session, version):
    author = make_user(session)
    passage = make_comment(
        session, author, version, "purpose-2", body="Which ones?", quote_exact="every agency"
    )
    whole = make_comment(session, author, version, "purpose-1", body="On all of it.")
    reply = make_comment(session, author, version, "purpose-1", body="Agreed.", parent_id=whole.id)
    make_comment(session, author, version, "principles-1", body="Held.", state="held")
    response = client.get(f"{base(version)}/annotations")
    assert response.headers["Content-Type"].startswith("application/ld+json")
    collection = response.get_json()
    assert collection["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert collection["type"] == "AnnotationCollection"
    assert collection["total"] == 3
    items = {item["id"].rsplit("/", 1)[1]: item for item in collection["first"]["items"]}
    quoted = items[passage.tracking_number]
    assert quoted["motivation"] == "commenting"
    selectors = {s["type"]: s for s in quoted["target"]["selector"]}
    assert selectors["TextQuoteSelector"]["exact"] == "every agency"
    clause_text = "It applies to every agency that collects or uses that information."
    position = selectors["TextPositionSelector"]
    assert clause_text[position["start"] : position["end"]] == "every agency"
    assert quoted["target"]["source"].endswith("#clause-purpose-2")
    assert items[whole.tracking_number]["target"] == {
        "source": quoted["target"]["source"].replace("purpose-2", "purpose-1")
    }
    assert items[reply.tracking_number]["motivation"] == "replying"
    assert items[reply.tracking_number]["target"].endswith(whole.tracking_number)


def test_every_dpup_version_is_valid_akoma_ntoso_with_eids_from_keys(client, imported):
    schema = etree.XMLSchema(etree.parse(str(AKN_SCHEMA)))
    policy = client.get(f"{API}/policies/data-protection-and-use-policy").get_json()
    assert len(policy["versions"]) == 3
    for summary in policy["versions"]:
        response = client.get(f"/policies/data-protection-and-use-policy/versions/{summary['slug']}.akn.xml")
        assert response.status_code == 200
        document = etree.fromstring(response.data)
        schema.assertValid(document)
        version = client.get(summary["url"]).get_json()
        ns = {"a": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"}
        first = version["sections"][0]
        eid = f"sec_{first['key']}__para_{first['clauses'][0]['key']}"
        assert document.xpath(f"//a:paragraph[@eId='{eid}']", namespaces=ns)
        headings = document.xpath("//a:section/a:heading/text()", namespaces=ns)
        assert headings == [s["heading"] for s in version["sections"]]
    assert any("ā" in h or "Ā" in h for h in headings)  # te reo Māori headings kept


def test_a_working_version_has_no_akoma_ntoso(client, session):
    working = make_version(session, label="Working draft", status="working", open_for_comment=False)
    assert client.get(f"/policies/{working.policy.slug}/versions/{working.slug}.akn.xml").status_code == 404


def test_the_feeds_are_atom_and_the_pages_link_them(client, session, version):
    from app.responses.services import respond

    author = make_user(session, display_name="Hemi Walker")
    comment = make_comment(session, author, version, body="A comment for the feed.")
    make_comment(session, author, version, "purpose-2", body="Held for the feed.", state="held")
    respond(session, make_user(session, "drafter"), comment, "noted", "Thanks.", None, "")
    slug = version.policy.slug
    for path, count in (
        ("/feeds/consultations.atom", 2),  # published (in 2019), then its period opened (yesterday)
        (f"/policies/{slug}/versions.atom", 1),
        (f"/policies/{slug}/versions/{version.slug}/comments.atom", 1),
        (f"/policies/{slug}/versions/{version.slug}/responses.atom", 1),
    ):
        response = client.get(path)
        assert response.mimetype == "application/atom+xml", path
        feed = etree.fromstring(response.data)
        assert feed.tag == f"{ATOM}feed"
        assert len(feed.findall(f"{ATOM}entry")) == count, path
    comments = client.get(f"/policies/{slug}/versions/{version.slug}/comments.atom").get_data(as_text=True)
    assert "A comment for the feed." in comments
    assert "Hemi Walker" in comments
    assert "Held for the feed" not in comments
    page = client.get(f"/policies/{slug}/versions/{version.slug}").get_data(as_text=True)
    assert (
        f'rel="alternate" type="application/atom+xml" href="/policies/{slug}/versions/{version.slug}/comments.atom"'
        in page
    )
    assert 'type="application/akn+xml"' in page


def test_the_docs_page_lists_every_operation(client):
    page = client.get(f"{API}/docs").get_data(as_text=True)
    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for path in spec["paths"]:
        assert path in page


def test_the_xlsx_export_is_a_workbook_with_no_formulas(client, session, version):
    from openpyxl import load_workbook

    author = make_user(session)
    make_comment(session, author, version, body="=1+1")
    make_comment(session, author, version, "purpose-2", body="Plain words.")
    response = client.get(f"{base(version)}/comments.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exporting.COMMENT_COLUMNS
    comment = rows[0].index("comment")
    assert [r[comment] for r in rows[1:]] == ["'=1+1", "Plain words."]


def test_a_staff_token_exports_every_state_with_accounts_and_is_audited(client, session, version):
    from sqlalchemy import select

    from app.api import tokens
    from app.models import AuditEvent

    author = make_user(session)
    make_comment(session, author, version, body="Published words.")
    make_comment(session, author, version, "purpose-2", body="Held words.", state="held")
    moderator = make_user(session, "moderator")
    _token, raw = tokens.create_token(session, moderator, "staff", [tokens.STAFF_READ])
    response = client.get(f"{base(version)}/comments.csv", headers={"Authorization": f"Bearer {raw}"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["state"] for r in rows] == ["published", "held"]
    assert rows[1]["account_email"] == author.email
    assert response.headers["Cache-Control"] == "private, no-store"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "export.staff"))
    assert event.actor_id == moderator.id
    assert event.target_id == version.id
    public = client.get(f"{base(version)}/comments.csv").get_data(as_text=True)
    assert "Held words" not in public
    assert author.email not in public


def test_a_feed_asked_for_with_characters_xml_cannot_hold_is_still_a_feed(client, session, version):
    """Found by the hostile battery: U+FFFE in any query parameter made every feed answer 500."""
    make_comment(session, make_user(session), version, body="Words for the feed.")
    slug = version.policy.slug
    for path in (
        "/feeds/consultations.atom",
        f"/policies/{slug}/versions.atom",
        f"/policies/{slug}/versions/{version.slug}/comments.atom",
        f"/policies/{slug}/versions/{version.slug}/responses.atom",
    ):
        response = client.get(path + "?x=%EF%BF%BD%EF%BF%BE%EF%BF%BF&y=%0D%0A")
        assert response.status_code == 200, path
        feed = etree.fromstring(response.data)
        selfs = [link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
        assert selfs, path
        assert "?" not in selfs[0], path


def _entries(client) -> dict[str, tuple[str, str]]:
    feed = etree.fromstring(client.get("/feeds/consultations.atom").data)
    return {
        e.findtext(f"{ATOM}id"): (e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}updated"))
        for e in feed.findall(f"{ATOM}entry")
    }


def test_the_consultations_feed_has_an_entry_for_each_moment_by_the_clock(client, session):
    import datetime as dt

    from app.drafting.services import mark_final

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = make_version(session, policy_slug="feed-policy", label="First draft")
    first.published_at = now - dt.timedelta(days=20)
    first.comments_open_at, first.comments_close_at = now - dt.timedelta(days=9), now - dt.timedelta(days=2)
    final = make_version(session, policy_slug="feed-policy", label="Final", open_for_comment=False)
    final.published_at = now - dt.timedelta(days=1)
    mark_final(session, final, make_user(session, "drafter"))
    upcoming = make_version(session, policy_slug="later-policy", label="Soon")
    upcoming.comments_open_at, upcoming.comments_close_at = (
        now + dt.timedelta(days=3),
        now + dt.timedelta(days=9),
    )
    session.flush()
    entries = _entries(client)
    link = f"http://korero.test/policies/feed-policy/versions/{first.slug}"
    assert f"{link}#opened" in entries
    assert f"{link}#closed" in entries
    assert entries[f"{link}#closed"][1] == (now - dt.timedelta(days=2)).isoformat()
    assert "have closed" in entries[f"{link}#closed"][0]
    concluded = f"http://korero.test/policies/feed-policy/versions/{final.slug}#concluded"
    assert "concluded" in entries[concluded][0]
    soon = f"http://korero.test/policies/later-policy/versions/{upcoming.slug}"
    assert soon in entries
    assert f"{soon}#opened" not in entries
    # The clock passes the opening (moved here by moving the period): the entry appears, dated when it opened,
    # and every other entry keeps its id and time.
    upcoming.comments_open_at = now - dt.timedelta(hours=1)
    session.flush()
    later = _entries(client)
    assert later[f"{soon}#opened"][1] == (now - dt.timedelta(hours=1)).isoformat()
    assert set(later) - set(entries) == {f"{soon}#opened"}
    assert all(later[key] == value for key, value in entries.items())
