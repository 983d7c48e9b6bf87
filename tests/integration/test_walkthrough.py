"""Issue 13 item 6: what a walk-through as a new user found, one test (or a few) per finding.

Each test failed before its fix; the finding it covers is in its name and first comment.
"""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from app.comments.antibot import sign_shown_at
from app.models import AuditEvent, Comment, CommentReport, Role, audit
from app.moderation.services import hide_comment
from app.pdf.services import build_comments_report
from app.responses.services import record_response
from app.review.services import review_overview
from tests.factories import PASSWORD, login, make_comment, make_user, make_version
from tests.integration.test_auth import Outbox
from tests.integration.test_carry_forward import carried, placement  # noqa: F401 - a fixture, used by name
from tests.support.revisions import POLICY, no_rate_limits  # noqa: F401 - a fixture, used by name

ROOT = Path(__file__).resolve().parents[2]
SECTION = "/policies/test-policy/versions/first-draft/sections/purpose"


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(Path(app.instance_path) / "outbox")


def hrefs(html: str, text: str) -> list[str]:
    """The hrefs of the links whose text is `text`."""
    return [
        unescape(m.group(1))
        for m in re.finditer(r'<a [^>]*href="([^"]*)"[^>]*>\s*' + re.escape(text) + r"\s*</a>", html)
    ]


# --- placing a carried-forward comment ----------------------------------------------------------------------


@pytest.mark.usefixtures("no_rate_limits")
def test_placing_a_carried_comment_with_the_forms_defaults_succeeds(session, client, carried):  # noqa: F811
    # Before: the passage field held the comment's original words, which had changed (that is why it needed
    # placing), so sending the form as it stood always failed "That passage is not in the clause you chose".
    comments, _first, _second = carried
    found = placement(session, comments["edited_passage"], "revised-draft")
    found.status, found.clause_key = "needs_review", "purpose-1"
    found.quote_exact = found.quote_prefix = found.quote_suffix = None
    found.quote_start = found.quote_end = None
    session.flush()
    login(client, make_user(session, Role.DRAFTER.value))
    page = client.get(f"/drafting/{POLICY}/revised-draft/placements").text
    prefix = f"p{found.id}-"
    form = page.split(f'action="/drafting/{POLICY}/revised-draft/placements/{found.id}"')[1].split("</form>")[
        0
    ]
    quote = re.search(r'name="' + prefix + r'quote"[^>]*value="([^"]*)"', form)
    chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', form)
    assert chosen is not None
    data = {
        prefix + "where": "clause",
        prefix + "clause_key": chosen.group(1) or chosen.group(2),
        prefix + "quote": unescape(quote.group(1)) if quote else "",
    }
    sent = client.post(f"/drafting/{POLICY}/revised-draft/placements/{found.id}", data=data)
    assert sent.status_code == 303, sent.text
    session.refresh(found)
    assert found.confirmed_by_id is not None


# --- buttons ----------------------------------------------------------------------------------------------


def test_submit_inputs_drawn_by_wtforms_are_styled_as_44px_buttons():
    # Before: only <button> and .button were styled; WTForms' <input type=submit> ("Send comment") was not.
    css = (ROOT / "app/static/css/site.css").read_text()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    submit_rules = [body for selector, body in rules if "input[type=submit]" in selector.replace(" ", "")]
    assert any("min-height: 44px" in body and "background" in body for body in submit_rules)


# --- the moderator's hide hint ----------------------------------------------------------------------------


def test_the_hide_hint_shows_reason_as_text(client, session):
    # Before: the form's lazy description claimed to be HTML, so "<reason>" became an unknown tag.
    version = make_version(session)
    comment = make_comment(session, make_user(session), version, "purpose-1")
    login(client, make_user(session, Role.MODERATOR.value))
    page = client.get(f"/moderation/comments/{comment.tracking_number}").text
    assert "Removed by a moderator: &lt;reason&gt;" in page.replace("&#34;", '"')
    assert "<reason>" not in page


# --- signing in, registering, confirming ------------------------------------------------------------------


def test_the_sign_in_link_comes_back_to_the_page_you_were_on(client, session):
    # Before: the navigation's "Sign in" went to /login with no next=, so you landed on the home page.
    make_version(session)
    page = client.get(SECTION)
    (link,) = hrefs(page.text, "Sign in")
    assert link == "/login?next=" + SECTION
    user = make_user(session)
    signed_in = client.post(link, data={"email": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == SECTION


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x",
    ],
)
def test_next_never_leaves_the_site(client, session, target):
    user = make_user(session)
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))
    assert "evil.example" not in location or location.startswith("/%")


def test_the_sign_in_link_on_the_sign_in_page_does_not_loop(client):
    page = client.get("/login?next=/privacy").text
    (link,) = hrefs(page, "Create an account")
    assert link == "/register?next=/privacy"
    nav = page.split('class="site-nav"')[1].split("</nav>")[0]
    (sign_in,) = hrefs(nav, "Sign in")
    assert sign_in == "/login?next=/privacy"  # not /login?next=/login...


def test_registering_signs_you_in_and_confirming_brings_you_back(client, session, outbox):
    # Before: registering left you signed out, and the link in the mail landed on the sign-in page.
    make_version(session)
    registered = client.post(
        "/register",
        query_string={"next": SECTION},
        data={"email": "new@example.org", "display_name": "Mere", "password": "a long enough password"},
    )
    assert registered.status_code == 302
    check = client.get(registered.headers["Location"]).text
    assert "You are signed in" in check
    assert f'href="{SECTION}"' in check
    assert client.get("/account").status_code == 200  # signed in
    confirmed = client.get(outbox.link("new@example.org"))
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == SECTION


def test_a_confirmation_link_opened_elsewhere_does_not_land_on_sign_in(app, client, session, outbox):
    client.post(
        "/register",
        data={"email": "other@example.org", "display_name": "Rawiri", "password": "a long enough password"},
    )
    link = outbox.link("other@example.org")
    elsewhere = app.test_client()  # another browser: not signed in, no session
    confirmed = elsewhere.get(link)
    assert confirmed.status_code == 302
    assert "/login" not in confirmed.headers["Location"]
    assert "confirmed" in elsewhere.get(confirmed.headers["Location"]).text


def test_sign_in_to_comment_is_a_link(client, session):
    # Before: "Sign in to comment; reading needs no account." was plain text.
    make_version(session)
    page = client.get(SECTION).text
    assert hrefs(page, "Sign in to comment") == ["/login?next=" + SECTION]


# --- drafters' responses beside comments ------------------------------------------------------------------


def test_responses_show_beside_the_comment_on_section_clause_and_thread_pages(client, session):
    # Before: a response was only on the receipt and the response-to-submissions page.
    version = make_version(session)
    comment = make_comment(session, make_user(session), version, "purpose-1", body="Say who is covered.")
    drafter = make_user(session, Role.DRAFTER.value)
    record_response(session, drafter, comment, "accepted", "We now list every agency covered.", "", "")
    for url in (
        SECTION,
        "/policies/test-policy/versions/first-draft/clauses/purpose-1/comments",
        f"/comments/{comment.id}",
    ):
        page = client.get(url, follow_redirects=True).text
        article = page.split(f'id="comment-{comment.id}"')[1].split("</article>")[0]
        assert "The drafters’ response" in article, url
        assert "We now list every agency covered." in article, url
        assert "Accepted" in article, url


def test_a_hidden_comment_shows_no_response(client, session):
    version = make_version(session)
    comment = make_comment(session, make_user(session), version, "purpose-1", body="Words to hide later.")
    record_response(
        session, make_user(session, Role.DRAFTER.value), comment, "noted", "Noted, thanks.", "", ""
    )
    hide_comment(session, make_user(session, Role.MODERATOR.value), comment, "Off topic")
    assert "Noted, thanks." not in client.get(SECTION).text


# --- /review and the staff report count alike ---------------------------------------------------------------


def test_review_and_the_staff_report_count_comments_and_replies_alike(session):
    # Before: /review counted replies as comments; the report PDF counted them apart.
    version = make_version(session)
    author, other = make_user(session), make_user(session)
    first = make_comment(session, author, version, "purpose-1", body="A first comment.")
    make_comment(session, author, version, "purpose-2", body="A second comment.")
    make_comment(session, other, version, "purpose-1", body="A reply to the first.", parent_id=first.id)
    make_comment(session, other, version, "purpose-1", body="Another reply.", parent_id=first.id)
    (row,) = [r for p in review_overview(session) for r in p.versions if r.version.id == version.id]
    totals = dict(build_comments_report(session, version, staff=True).totals)
    assert row.total == totals["Comments"] == 2
    assert row.replies == totals["Replies"] == 2


# --- the anti-bot check -----------------------------------------------------------------------------------


@pytest.fixture
def open_version(session):
    return make_version(session)


def _post(client, version, body: str, **fields: str):
    data = {"body": body, "display_as": "name", "shown_at": sign_shown_at(), "website": ""}
    data.update(fields)
    return client.post(
        f"/policies/{version.policy.slug}/versions/{version.slug}/clauses/purpose-1/comment", data=data
    )


def test_a_quick_paste_and_send_by_a_person_is_accepted(client, session, open_version):
    # Before: anything sent within 3 seconds of the form being shown was refused as a bot.
    login(client, make_user(session))
    assert _post(client, open_version, "Pasted from my notes.", activity="1").status_code == 303


def test_a_quick_send_without_a_sign_of_a_person_gets_a_second_look_not_a_wall(client, session, open_version):
    login(client, make_user(session))
    first = _post(client, open_version, "Sent at once without JavaScript.")
    assert first.status_code == 422
    stamp = re.search(
        r'name="shown_at" type="hidden" value="([^"]+)"|value="([^"]+)" name="shown_at"', first.text
    )
    assert stamp is not None
    again = _post(
        client, open_version, "Sent at once without JavaScript.", shown_at=stamp.group(1) or stamp.group(2)
    )
    assert again.status_code == 303  # the second press goes through however quick


def test_honeypot_and_forged_stamps_are_still_refused(client, session, open_version):
    login(client, make_user(session))
    assert _post(client, open_version, "Bot", activity="1", website="http://spam.example").status_code == 422
    assert _post(client, open_version, "Bot", activity="1", shown_at="123.forged").status_code == 422
    old = sign_shown_at(time.time() - 3 * 24 * 3600)
    assert _post(client, open_version, "Bot", activity="1", shown_at=old).status_code == 422
    assert session.scalar(select(Comment).where(Comment.body == "Bot")) is None


# --- the footer and the favicon ---------------------------------------------------------------------------


def test_the_footer_links_to_real_pages(client):
    # Before: base.html included "_footer_links.html", which did not exist (silently, with "ignore missing").
    assert (ROOT / "app/templates/_footer_links.html").exists()
    page = client.get("/privacy").text
    footer = page.split('<footer class="site-footer">')[1]
    links = {text: href for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer)}
    assert set(links) >= {"Privacy", "Accessibility", "Contact", "Moderation log", "Feeds", "Open data (API)"}
    assert links["Feeds"].endswith("/feeds/consultations.atom")
    for href in links.values():
        response = client.get(href)
        assert response.status_code == 200, href
        response.close()


def test_contact_shows_the_configured_address(app, client):
    app.config["CONTACT_EMAIL"] = "korero@example.govt.nz"
    try:
        assert 'href="mailto:korero@example.govt.nz"' in client.get("/contact").text
    finally:
        app.config["CONTACT_EMAIL"] = None


def test_there_is_a_favicon(client):
    page = client.get("/privacy").text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon is not None
    served = client.get(icon.group(1))
    assert served.status_code == 200
    assert b"<svg" in served.data
    served.close()
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301
    assert legacy.headers["Location"].endswith(icon.group(1))


# --- moderation history and the queue filters -------------------------------------------------------------


def test_the_moderation_history_is_in_words_not_codes(client, session):
    # Before: the history listed raw audit codes such as `response.record`.
    version = make_version(session)
    comment = make_comment(
        session, make_user(session), version, "purpose-1", body="A comment with a history."
    )
    drafter = make_user(session, Role.DRAFTER.value)
    record_response(session, drafter, comment, "accepted", "Done.", "", "")
    hide_comment(session, make_user(session, Role.MODERATOR.value), comment, "Off topic")
    audit(session, None, "comment.something_new", "comment", comment.id)
    session.flush()
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "response.record")) is not None
    login(client, make_user(session, Role.MODERATOR.value))
    history = client.get(f"/moderation/comments/{comment.tracking_number}").text.split("mod-history")[1]
    assert "response.record" not in history
    assert "comment.hide" not in history
    assert "The drafters recorded a response" in history
    assert "Hidden" in history
    assert "comment.something_new" in history  # an action nobody named yet still shows


def test_the_reported_filter_shows_reported_comments_and_the_held_filter_held_ones(client, session):
    # Before: the "reported, still shown" count linked to the same list as "held".
    version = make_version(session)
    author, reporter = make_user(session), make_user(session)
    reported = make_comment(session, author, version, "purpose-1", body="Reported but shown.")
    held = make_comment(session, author, version, "purpose-2", body="Waiting for a moderator.", state="held")
    session.add(CommentReport(comment_id=reported.id, reporter_id=reporter.id, reason="Rude"))
    reported.report_count = 1
    session.flush()
    login(client, make_user(session, Role.MODERATOR.value))
    queue = client.get("/moderation").text
    (reported_link,) = [h for h in re.findall(r'href="([^"]+)"', queue) if "show=reported" in h]
    (held_link,) = [h for h in re.findall(r'href="([^"]+)"', queue) if "show=held" in h]
    only_reported = client.get(unescape(reported_link)).text
    assert reported.tracking_number in only_reported
    assert held.tracking_number not in only_reported
    only_held = client.get(unescape(held_link)).text
    assert held.tracking_number in only_held
    assert reported.tracking_number not in only_held
    both = client.get("/moderation").text
    assert reported.tracking_number in both
    assert held.tracking_number in both
