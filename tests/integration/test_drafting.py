"""The drafters' workspace: start, edit, preview, upload, lock, publish, finalise — and every refusal."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.drafting import services
from app.drafts.services import get_policy
from app.models import AuditEvent, Role, Version
from tests.factories import login, make_user, make_version
from tests.support.revisions import (
    FORM,
    POLICY,
    assert_inert,
    clause,
    form_body,
    hostile_payloads,
    no_rate_limits,  # noqa: F401 - a fixture, used by name
)

pytestmark = pytest.mark.usefixtures("no_rate_limits")

WS = "/drafting"
SMALL = "test-policy"


@pytest.fixture
def drafter(session):
    return make_user(session, Role.DRAFTER.value)


@pytest.fixture
def working(session, imported, drafter) -> Version:
    """A working version started from the final, as a drafter would."""
    session.expire_all()
    version = services.start_working_version(session, get_policy(session, POLICY), "Review 2020", drafter)
    session.commit()  # a refused request rolls back to here, not past the test's own data
    return version


@pytest.fixture
def small_working(session, drafter) -> Version:
    """A working version of a small policy (quicker than the real drafts, for long parametrised runs)."""
    make_version(session, policy_slug=SMALL, label="First draft")
    session.expire_all()
    version = services.start_working_version(session, get_policy(session, SMALL), "Second draft", drafter)
    session.commit()
    return version


@pytest.fixture
def as_drafter(client, drafter):
    login(client, drafter)
    return client


def section_url(version: Version, key: str) -> str:
    return f"{WS}/{POLICY}/{version.slug}/sections/{key}"


def edit_form(client, version: Version, key: str) -> dict[str, str]:
    """What the edit page's form holds when it is opened."""
    source = services.get_section_source(client.application.extensions["sqlalchemy"].session, version, key)
    assert source is not None
    return {"text": source.text, "revision": str(version.revision), "text_hash": source.hash}


def actions(session, name: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


# --- starting a version -----------------------------------------------------------------------------


def test_start_copies_the_latest_published_version_with_explicit_keys(session, imported, as_drafter):
    response = as_drafter.post(f"{WS}/{POLICY}/start", data={"label": "Review 2020"})
    assert response.status_code == 303
    version = session.scalars(select(Version).where(Version.label == "Review 2020")).one()
    final = session.scalars(select(Version).where(Version.slug == "final")).one()
    assert version.status == "working"
    assert version.parent_id == final.id
    assert "status: working" in version.source_markdown
    assert "version: Review 2020" in version.source_markdown
    assert version.comments_open_at is None
    # Every section and clause carries an explicit key, the same keys as the parent's.
    document = services.parse_source(session, version, version.source_markdown)
    assert all(s.explicit_key for s in document.sections)
    assert all(c.explicit_key for c in document.clauses)
    parent_keys = [c.key for c in services.parent_document(session, version).clauses]
    assert [c.key for c in document.clauses] == parent_keys
    assert actions(session, "version.start")


def test_keys_are_written_into_a_copy_that_lacks_them(session):
    from app.drafts.parsing import parse_draft

    text = "---\ntitle: T\nversion: V\nstatus: working\n---\n## Purpose\n\n1. One thing.\n2. Another thing.\n\n## Scope\n\nAll of it.\n"
    document = parse_draft(text)
    keyed = services.write_missing_keys(text, document)
    again = parse_draft(keyed)
    assert all(s.explicit_key for s in again.sections)
    assert all(c.explicit_key for c in again.clauses)
    assert [c.key for c in again.clauses] == [c.key for c in document.clauses]
    assert [c.text for c in again.clauses] == [c.text for c in document.clauses]


@pytest.mark.parametrize("label", ["", "   ", "Final", "final", "x" * 201, "NUL\x00byte"])
def test_start_refuses_bad_labels(session, imported, as_drafter, label):
    before = session.scalar(select(Version.id).order_by(Version.id.desc()).limit(1))
    response = as_drafter.post(f"{WS}/{POLICY}/start", data=form_body({"label": label}), content_type=FORM)
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    assert session.scalar(select(Version.id).order_by(Version.id.desc()).limit(1)) == before


def test_start_unknown_policy_is_404(imported, as_drafter):
    assert as_drafter.post(f"{WS}/no-such-policy/start", data={"label": "X"}).status_code == 404


# --- editing a section ------------------------------------------------------------------------------


def test_edit_page_shows_the_section_source(working, as_drafter):
    response = as_drafter.get(section_url(working, "purpose-and-scope"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "## Purpose and scope {#purpose-and-scope}" in html
    assert 'name="text_hash"' in html
    assert 'name="revision"' in html
    assert as_drafter.get(section_url(working, "no-such-section")).status_code == 404


def test_save_a_section_rewrites_its_clauses_and_bumps_the_revision(session, working, as_drafter):
    form = edit_form(as_drafter, working, "purpose-and-scope")
    form["text"] = form["text"].replace(
        "This policy describes the values", "This policy sets out the values", 1
    )
    before = working.revision
    response = as_drafter.post(section_url(working, "purpose-and-scope"), data=form)
    assert response.status_code == 303
    session.refresh(working)
    assert working.revision == before + 1
    assert clause(session, working.slug, "purpose-1").text.startswith("This policy sets out the values")
    assert actions(session, "version.edit_section")


def test_preview_renders_without_saving(session, working, as_drafter):
    form = edit_form(as_drafter, working, "purpose-and-scope")
    form["text"] += "\n\n11. A brand new clause with **bold** words. {#purpose-new}"
    form["preview"] = "1"
    response = as_drafter.post(section_url(working, "purpose-and-scope"), data=form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    assert "A brand new clause" in html  # kept in the textarea too
    session.refresh(working)
    assert working.revision == int(form["revision"])


def test_live_preview_endpoint_returns_a_fragment(working, as_drafter):
    form = edit_form(as_drafter, working, "purpose-and-scope")
    response = as_drafter.post(
        f"{WS}/{POLICY}/{working.slug}/preview",
        data={"text": form["text"] + "\n\n12. *Live* {#live}", "section_key": "purpose-and-scope"},
    )
    assert response.status_code == 200
    assert "<em>Live</em>" in response.get_data(as_text=True)
    bad = as_drafter.post(
        f"{WS}/{POLICY}/{working.slug}/preview",
        data={"text": "## X\n\n### no", "section_key": "purpose-and-scope"},
    )
    assert bad.status_code == 422
    assert "Line 3:" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "## Purpose and scope {#purpose-and-scope}\n\n1. Fine. {#purpose-1}\n\n### Not allowed",
            5,
            "headings are not allowed",
        ),
        (
            "## Purpose and scope {#purpose-and-scope}\n\n1. One {#dup}\n2. Two {#dup}",
            4,
            "duplicate clause key",
        ),
        ("## Purpose and scope {#purpose-and-scope}\n\n1. Bad key {#Bad_Key}", 3, "bad key"),
        ("Just a paragraph, no heading", 1, "must start with its heading"),
        ("   \n  ", 1, "empty"),
    ],
)
def test_parse_errors_are_shown_inline_with_their_line(session, working, as_drafter, text, line, message):
    form = edit_form(as_drafter, working, "purpose-and-scope")
    original = form["text"]
    form["text"] = text
    response = as_drafter.post(section_url(working, "purpose-and-scope"), data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    if line is not None:
        assert f"Line {line}:" in html
    assert 'aria-invalid="true"' in html
    session.refresh(working)
    assert working.revision == int(form["revision"])
    assert original in working.source_markdown


def test_second_save_of_the_same_section_is_a_conflict_and_nothing_is_lost(session, working, as_drafter):
    mine = edit_form(as_drafter, working, "purpose-and-scope")
    theirs = dict(mine)
    theirs["text"] = mine["text"].replace("This policy describes", "THEIR WORDS describe", 1)
    assert as_drafter.post(section_url(working, "purpose-and-scope"), data=theirs).status_code == 303
    mine["text"] = mine["text"].replace("This policy describes", "MY WORDS describe", 1)
    response = as_drafter.post(section_url(working, "purpose-and-scope"), data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this section" in html
    assert "THEIR WORDS describe" in html  # theirs, shown
    assert "MY WORDS describe" in html  # yours, kept in the textarea
    session.refresh(working)
    assert "THEIR WORDS" in working.source_markdown
    assert "MY WORDS" not in working.source_markdown
    # Saving again from the conflict page (it carries the new revision and hash) works.
    import re

    revision = re.search(r'name="revision"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="revision"', html)
    text_hash = re.search(
        r'name="text_hash"[^>]*value="([0-9a-f]+)"|value="([0-9a-f]+)"[^>]*name="text_hash"', html
    )
    assert revision
    assert text_hash
    mine["revision"] = next(g for g in revision.groups() if g)
    mine["text_hash"] = next(g for g in text_hash.groups() if g)
    assert as_drafter.post(section_url(working, "purpose-and-scope"), data=mine).status_code == 303
    session.refresh(working)
    assert "MY WORDS" in working.source_markdown


def test_stale_revision_on_another_section_is_not_a_conflict(session, working, as_drafter):
    first = edit_form(as_drafter, working, "purpose-and-scope")
    second = edit_form(as_drafter, working, "glossary")
    first["text"] = first["text"].replace("This policy describes", "This policy now describes", 1)
    assert as_drafter.post(section_url(working, "purpose-and-scope"), data=first).status_code == 303
    second["text"] += "\n\n**Zebra**: a striped example. {#glossary-zebra}"
    assert as_drafter.post(section_url(working, "glossary"), data=second).status_code == 303
    session.refresh(working)
    assert "now describes" in working.source_markdown
    assert "Zebra" in working.source_markdown


# --- uploads ----------------------------------------------------------------------------------------


def upload(client, version: Version, data: bytes, name: str = "draft.md", policy: str = POLICY):
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        {"revision": str(version.revision), "file": FileStorage(io.BytesIO(data), filename=name)}
    )
    return client.post(
        f"{WS}/{policy}/{version.slug}/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_upload_replaces_the_whole_version(session, working, as_drafter):
    text = (
        "---\ntitle: Data Protection and Use Policy\nversion: Whatever\nstatus: published\n---\n"
        "## Purpose and scope {#purpose-and-scope}\n\n1. Only one clause now. {#purpose-1}\n"
    )
    response = upload(as_drafter, working, text.encode())
    assert response.status_code == 303
    session.refresh(working)
    assert working.status == "working"
    assert "status: working" in working.source_markdown
    assert "version: Review 2020" in working.source_markdown
    assert clause(session, working.slug, "purpose-1").text == "Only one clause now."
    assert actions(session, "version.upload")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"---\ntitle: T\nversion: V\nstatus: working\n---\n## A\n\n\xff\xfe bad", "not UTF-8"),
        (b"x" * (2 * 1024 * 1024 + 10), "the limit is"),
        (b"---\ntitle: T\nversion: V\nstatus: working\n---\n## A {#a}\n\n### nope", "Line 8:"),
        (b"no front matter at all", "missing front matter"),
        (b"", "missing front matter"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(session, working, as_drafter, data, message):
    before = working.source_markdown
    response = upload(as_drafter, working, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.refresh(working)
    assert working.source_markdown == before


def test_upload_without_a_file_is_refused(working, as_drafter):
    response = as_drafter.post(
        f"{WS}/{POLICY}/{working.slug}/upload",
        data={"revision": str(working.revision)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422


def test_upload_over_someone_elses_save_is_a_conflict(session, working, as_drafter):
    form = edit_form(as_drafter, working, "glossary")
    stale = working.revision
    form["text"] += "\n\n**Yak**: an animal. {#glossary-yak}"
    as_drafter.post(section_url(working, "glossary"), data=form)
    response = as_drafter.post(
        f"{WS}/{POLICY}/{working.slug}/upload",
        data={
            "revision": str(stale),
            "file": (io.BytesIO(b"---\ntitle: T\nversion: V\nstatus: working\n---\n## A\n\nB\n"), "a.md"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    session.refresh(working)
    assert "Yak" in working.source_markdown


# --- details ----------------------------------------------------------------------------------------


def test_details_set_label_note_and_period(session, working, as_drafter):
    response = as_drafter.post(
        f"{WS}/{POLICY}/{working.slug}/details",
        data={
            "label": "Review 2020 (second go)",
            "change_note": "We tidied the glossary.",
            "comments_open": "2020-03-01T09:00",
            "comments_close": "2020-04-01T17:00",
            "revision": str(working.revision),
        },
    )
    assert response.status_code == 303
    session.refresh(working)
    assert working.label == "Review 2020 (second go)"
    assert working.change_note == "We tidied the glossary."
    assert working.comments_open_at is not None
    assert working.comments_close_at > working.comments_open_at
    assert "Review 2020 (second go)" in working.source_markdown


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"comments_open": "2020-04-01T09:00", "comments_close": "2020-03-01T09:00"},
            "must close after it opens",
        ),
        ({"comments_open": "2020-04-01T09:00", "comments_close": ""}, "needs both"),
        ({"label": "Consultation draft"}, "already called"),
        ({"label": ""}, "Enter a label"),
        ({"comments_open": "not a date"}, "Comments open"),
    ],
)
def test_bad_details_are_refused(session, working, as_drafter, fields, message):
    data = {
        "label": working.label,
        "change_note": "",
        "comments_open": "",
        "comments_close": "",
        "revision": str(working.revision),
    }
    data.update(fields)
    response = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/details", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.refresh(working)
    assert working.label == "Review 2020"


# --- publish and final ------------------------------------------------------------------------------


def test_publish_makes_the_version_public_and_immutable(session, working, as_drafter, client):
    response = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
    assert response.status_code == 303
    session.refresh(working)
    assert working.status == "published"
    assert working.published_at is not None
    assert working.published_on is not None
    assert "status: published" in working.source_markdown
    assert actions(session, "version.publish")
    # Publishing twice: a clear message, nothing changed.
    again = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
    assert again.status_code == 409
    assert "already published" in again.get_data(as_text=True)
    # Any edit now: refused, with the way forward.
    form = edit_form(as_drafter, working, "glossary")
    for attempt in (
        as_drafter.get(section_url(working, "glossary")),
        as_drafter.post(section_url(working, "glossary"), data=form),
        upload(as_drafter, working, b"---\ntitle: T\nversion: V\nstatus: working\n---\n## A\n\nB\n"),
        as_drafter.post(f"{WS}/{POLICY}/{working.slug}/details", data={"label": "X", "revision": "1"}),
        as_drafter.post(
            f"{WS}/{POLICY}/{working.slug}/preview", data={"text": "## A\n\nB", "section_key": "glossary"}
        ),
    ):
        assert attempt.status_code == 409
        assert "Start a new version" in attempt.get_data(as_text=True)
    with pytest.raises(services.VersionLockedError):
        services.save_section(
            session, working, "glossary", form["text"], working.revision, form["text_hash"], None
        )


def test_publish_with_parse_errors_is_refused_and_lists_them(session, working, as_drafter):
    working.source_markdown += "\n### A heading too deep\n"
    session.flush()
    response = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "cannot be published" in html
    assert "headings are not allowed" in html
    session.refresh(working)
    assert working.status == "working"
    working.source_markdown += "\n### A heading too deep\n"  # the refusal rolled the test's own change back
    session.flush()
    workspace = as_drafter.get(f"{WS}/{POLICY}/{working.slug}").get_data(as_text=True)
    assert "cannot be published yet" in workspace


def test_mark_final(session, working, as_drafter):
    refused = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/final")
    assert refused.status_code == 400
    assert "Publish this version" in refused.get_data(as_text=True)
    as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
    final = session.scalars(select(Version).where(Version.slug == "final")).one()
    again = as_drafter.post(f"{WS}/{POLICY}/final/final")
    assert again.status_code == 409
    # The policy already has a final version: a later final supersedes it (this was a 400 and a dead end).
    later = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/final")
    assert later.status_code == 303
    session.expire_all()
    assert working.status == "final"
    assert final.status == "published"
    assert final.superseded_at is not None
    assert actions(session, "version.final")
    assert [e.target_id for e in actions(session, "version.final_superseded")] == [final.id]
    finals = session.scalars(
        select(Version).where(Version.status == "final", Version.policy_id == final.policy_id)
    )
    assert [v.id for v in finals] == [working.id]


def test_an_earlier_version_cannot_supersede_a_later_final(session, working, as_drafter):
    as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
    assert as_drafter.post(f"{WS}/{POLICY}/{working.slug}/final").status_code == 303
    older = as_drafter.post(f"{WS}/{POLICY}/final/final")
    assert older.status_code == 400
    assert "later final version" in older.get_data(as_text=True)
    session.expire_all()
    assert working.status == "final"


# --- who may do what --------------------------------------------------------------------------------


def routes(version_slug: str) -> list[tuple[str, str]]:
    base = f"{WS}/{POLICY}/{version_slug}"
    return [
        ("GET", f"{WS}/"),
        ("POST", f"{WS}/{POLICY}/start"),
        ("GET", base),
        ("GET", f"{base}/sections/glossary"),
        ("POST", f"{base}/sections/glossary"),
        ("POST", f"{base}/preview"),
        ("POST", f"{base}/upload"),
        ("POST", f"{base}/details"),
        ("POST", f"{base}/publish"),
        ("POST", f"{base}/final"),
        ("GET", f"{base}/placements"),
        ("POST", f"{base}/placements/1"),
        ("GET", f"{base}/comments"),
        ("GET", f"{base}/comments/1/response"),
        ("POST", f"{base}/comments/1/response"),
        ("GET", f"{base}/groups/1/response"),
        ("POST", f"{base}/groups/1/response"),
    ]


@pytest.mark.parametrize("role", [None, "commenter", "reviewer", "moderator"])
def test_only_drafters_and_admins_may_use_the_workspace(session, client, working, role):
    if role is not None:
        login(client, make_user(session, role))
    for method, path in routes(working.slug):
        response = client.open(path, method=method, data={"label": "Sneaky"})
        if role is None:
            assert response.status_code == 302, path
            assert "/login" in response.headers["Location"], path
        else:
            assert response.status_code == 403, path
    session.refresh(working)
    assert working.status == "working"
    assert session.scalar(select(Version).where(Version.label == "Sneaky")) is None


def test_admins_may_use_the_workspace(session, client, working):
    login(client, make_user(session, "admin"))
    assert client.get(f"{WS}/").status_code == 200
    assert client.get(f"{WS}/{POLICY}/{working.slug}").status_code == 200


def test_working_versions_stay_private(session, client, working):
    assert client.get(f"/policies/{POLICY}/versions/{working.slug}").status_code == 404


def test_csrf_is_required(app, session, working, as_drafter):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    session.refresh(working)
    assert working.status == "working"


# --- hostile input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", hostile_payloads())
def test_hostile_labels_and_change_notes_render_inert(session, small_working, as_drafter, payload):
    response = as_drafter.post(
        f"{WS}/{SMALL}/{small_working.slug}/details",
        data=form_body(
            {
                "label": payload[:200] or "x",
                "change_note": payload,
                "comments_open": "",
                "comments_close": "",
                "revision": str(small_working.revision),
            }
        ),
        content_type=FORM,
    )
    assert response.status_code in (303, 422), response.status_code
    for page in (
        f"{WS}/{SMALL}/{small_working.slug}",
        f"/policies/{SMALL}/versions/{small_working.slug}",
        f"{WS}/",
    ):
        html = as_drafter.get(page).get_data(as_text=True)
        assert_inert(html, payload)


@pytest.mark.parametrize("payload", hostile_payloads())
def test_hostile_uploads_render_inert(session, small_working, as_drafter, payload):
    body = payload.replace("\n", " ")
    text = f"---\ntitle: Test Policy\nversion: V\nstatus: working\n---\n## Purpose {{#purpose}}\n\n{body}\n"
    response = upload(as_drafter, small_working, text.encode("utf-8", "surrogatepass"), policy=SMALL)
    assert response.status_code in (303, 422)
    html = as_drafter.get(f"/policies/{SMALL}/versions/{small_working.slug}").get_data(as_text=True)
    assert_inert(html, payload)
    page = as_drafter.get(f"{WS}/{SMALL}/{small_working.slug}").get_data(as_text=True)
    assert_inert(page, payload)


def test_publishing_queues_the_pdfs_in_the_background(app, session, working, as_drafter, monkeypatch):
    queued: list[str | None] = []
    monkeypatch.setattr("app.pdf.jobs.prerender", lambda _session, slug=None: queued.append(slug) or 3)
    monkeypatch.setitem(app.config, "PDF_PRERENDER", True)
    assert as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish").status_code == 303
    assert queued == [POLICY]


def test_a_broken_pdf_queue_does_not_undo_a_publish(app, session, working, as_drafter, monkeypatch):
    def broken(_session, _slug=None):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("app.pdf.jobs.prerender", broken)
    monkeypatch.setitem(app.config, "PDF_PRERENDER", True)
    assert as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish").status_code == 303
    session.refresh(working)
    assert working.status == "published"


# --- refusals go through the request boundary ------------------------------------------------------


def test_saving_a_published_versions_section_stores_nothing_and_says_why(session, working, as_drafter):
    form = edit_form(as_drafter, working, "glossary")
    assert as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish").status_code == 303
    session.refresh(working)
    before = (working.source_markdown, working.revision, len(actions(session, "version.edit_section")))
    form["text"] = form["text"].replace("## Glossary", "## Glossary of new words")
    response = as_drafter.post(section_url(working, "glossary"), data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "is published and can no longer be changed" in html
    assert f'href="{WS}/{POLICY}/{working.slug}"' in html  # the way back to the version
    session.expire_all()
    assert (
        working.source_markdown,
        working.revision,
        len(actions(session, "version.edit_section")),
    ) == before


def test_a_publish_refused_half_way_is_rolled_back_and_queues_no_pdfs(
    app, session, working, as_drafter, monkeypatch
):
    from app.exceptions import ConflictError

    def refuse(*_args, **_kwargs):
        raise ConflictError("The comments could not be carried forward.")

    queued: list[str | None] = []
    monkeypatch.setattr("app.drafting.services.carry_forward", refuse)
    monkeypatch.setattr("app.pdf.jobs.prerender", lambda _session, slug=None: queued.append(slug) or 1)
    monkeypatch.setitem(app.config, "PDF_PRERENDER", True)
    response = as_drafter.post(f"{WS}/{POLICY}/{working.slug}/publish")
    assert response.status_code == 409
    assert "could not be carried forward" in response.get_data(as_text=True)
    session.expire_all()
    assert working.status == "working"  # the sections it rewrote and its new status were rolled back
    assert not actions(session, "version.publish")
    assert queued == []


def test_after_commit_runs_only_once_the_transaction_commits(app, session):
    from app.boundary import after_commit

    ran: list[str] = []
    with app.test_request_context():
        session.execute(select(Version.id).limit(1))
        after_commit(lambda: ran.append("first"))
        session.rollback()
        session.commit()
        assert ran == []  # rolled back: forgotten, even when a later transaction commits
        session.execute(select(Version.id).limit(1))
        after_commit(lambda: ran.append(str(session.scalar(select(Version.id).limit(1)))))
        with session.begin_nested():
            pass
        assert ran == []  # a savepoint is not the commit it waits for
        session.commit()
    assert len(ran) == 1  # and it may read
