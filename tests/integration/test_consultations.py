"""Creating and describing a consultation in the browser (issue 13, item 1), and its documents."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, Policy, PolicyDocument, Version
from tests.factories import login, make_user, make_version
from tests.support.revisions import FORM, assert_inert, form_body, hostile_payloads
from tests.support.word import street_trees_docx

NEW = "/consultations/new"
DESCRIPTION = {
    "title": "Street Trees Policy",
    "summary": "Where the city plants trees and who decides.",
    "agency": "Parks and Streets Team",
    "contact_name": "Tree officer",
    "contact_email": "trees@example.govt.nz",
    "why": "We want to know which streets need shade first.",
    "next_steps": "We read every comment and publish a revised draft in March.",
    "label": "Consultation draft",
}
BODY = "## Why trees\n\nTrees shade footpaths.\n\n## How we plant\n\n- Natives first.\n- Ask the street.\n"


def drafter_client(app, session):
    drafter = make_user(session, "drafter")
    client = app.test_client()
    assert login(client, drafter).status_code == 302
    return client


def previewed(response) -> str:
    match = re.search(r'name="previewed" type="hidden" value="([0-9a-f]{64})"', response.text) or re.search(
        r'id="previewed" name="previewed" type="hidden" value="([0-9a-f]{64})"', response.text
    )
    assert match, "the preview did not carry the previewed hash"
    return match[1]


def policy_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Policy))


def test_a_word_document_is_previewed_then_created_as_a_working_first_draft(app, session):
    client = drafter_client(app, session)
    assert client.get(NEW).status_code == 200
    before = policy_count(session)
    preview = client.post(
        NEW,
        data={
            **DESCRIPTION,
            "preview": "Preview",
            "draft_file": (io.BytesIO(street_trees_docx()), "trees.docx"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.text
    assert "Preview of “Street Trees Policy”" in preview.text
    assert "2 sections" in preview.text
    assert "4 clauses" in preview.text
    assert "How we plant" in preview.text
    assert "Ask the people on the street" in preview.text
    assert policy_count(session) == before  # nothing saved by a preview
    # the converted Markdown is in the text box, editable, and is what "Create" saves
    text = re.search(r'<textarea[^>]*name="draft_text"[^>]*>\s*(.*?)</textarea>', preview.text, re.S)[1]
    assert "## How we plant" in text
    created = client.post(
        NEW,
        data={
            **DESCRIPTION,
            "draft_text": _unescape(text),
            "previewed": previewed(preview),
            "create": "Create",
        },
    )
    assert created.status_code == 303, created.text
    policy = session.scalars(select(Policy).where(Policy.title == "Street Trees Policy")).one()
    assert (policy.agency, policy.contact_email, policy.why) == (
        "Parks and Streets Team",
        "trees@example.govt.nz",
        "We want to know which streets need shade first.",
    )
    version = session.scalars(select(Version).where(Version.policy_id == policy.id)).one()
    assert version.status == "working"
    assert version.parent_id is None
    assert [s.heading for s in version.sections] == ["Why trees", "How we plant"]
    assert created.headers["Location"].endswith(f"/drafting/{policy.slug}/{version.slug}")
    assert "{#" in version.source_markdown  # keys written in, so they stay put through later edits
    assert session.scalar(select(func.count()).where(AuditEvent.action == "policy.create")) == 1
    # not public until published: not on the hub, its page 404 to visitors
    anonymous = app.test_client()
    assert "Street Trees Policy" not in anonymous.get("/").text
    assert anonymous.get(f"/policies/{policy.slug}").status_code == 404
    assert "Street Trees Policy" in client.get("/").text  # drafters see it being prepared


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_create_saves_only_what_was_previewed(app, session):
    client = drafter_client(app, session)
    first = client.post(NEW, data={**DESCRIPTION, "draft_text": BODY, "preview": "Preview"})
    assert first.status_code == 200
    changed = client.post(
        NEW,
        data={
            **DESCRIPTION,
            "draft_text": BODY + "\n- One more.\n",
            "previewed": previewed(first),
            "create": "Create",
        },
    )
    assert changed.status_code == 200
    assert "The draft changed since its preview" in changed.text
    assert policy_count(session) == 0


def test_a_draft_that_does_not_parse_is_shown_again_with_the_line(app, session):
    client = drafter_client(app, session)
    response = client.post(
        NEW, data={**DESCRIPTION, "draft_text": "Just a paragraph.\n", "preview": "Preview"}
    )
    assert response.status_code == 422
    assert "Line 1: text before the first section" in response.text
    assert "Just a paragraph." in response.text  # the drafter's text is kept
    assert policy_count(session) == 0


def test_bad_descriptions_and_files_are_refused_on_their_field(app, session):
    client = drafter_client(app, session)
    cases = [
        ({"title": ""}, "the title"),
        ({"contact_email": "not an email"}, "Enter the contact email"),
        ({"title": "Bad\x07title"}, "control characters"),
        (
            {"comments_open": "2027-01-10T09:00", "comments_close": "2027-01-01T09:00"},
            "must close after it opens",
        ),
    ]
    for change, message in cases:
        response = client.post(NEW, data={**DESCRIPTION, "draft_text": BODY, "preview": "Preview", **change})
        assert response.status_code == 422, change
        assert message.lower() in response.text.lower(), (change, response.text[:2000])
    pdf = client.post(
        NEW,
        data={
            **DESCRIPTION,
            "preview": "Preview",
            "draft_file": (io.BytesIO(b"%PDF-1.7 binary"), "draft.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert pdf.status_code == 422
    assert "not a text file" in pdf.text
    damaged = client.post(
        NEW,
        data={
            **DESCRIPTION,
            "preview": "Preview",
            "draft_file": (io.BytesIO(b"PK\x03\x04junk"), "draft.docx"),
        },
        content_type="multipart/form-data",
    )
    assert damaged.status_code == 422
    assert "cannot be read" in damaged.text
    assert policy_count(session) == 0


def test_uploading_word_to_the_workspace_imports_it_instead_of_refusing_a_control_character(app, session):
    make_version(session, label="First draft", open_for_comment=False)
    working = make_version(session, label="Second draft", status="working", open_for_comment=False)
    client = drafter_client(app, session)
    response = client.post(
        f"/drafting/{working.policy.slug}/{working.slug}/upload",
        data={"revision": working.revision, "file": (io.BytesIO(street_trees_docx()), "draft.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    session.expire_all()
    working = session.get(Version, working.id)
    assert "U+0003" not in response.text
    assert [s.heading for s in working.sections] == ["Why trees", "How we plant"]
    assert "version: Second draft" in working.source_markdown  # the version's own front matter is kept


def test_describing_a_consultation_and_its_documents(app, session):
    version = make_version(session)
    slug = version.policy.slug
    client = drafter_client(app, session)
    assert client.get(f"/policies/{slug}/describe").status_code == 200
    saved = client.post(f"/policies/{slug}/describe", data={**DESCRIPTION, "title": "Test Policy"})
    assert saved.status_code == 303
    link = client.post(
        f"/policies/{slug}/documents", data={"doc-title": "Evidence", "doc-url": "https://example.org/e.pdf"}
    )
    assert link.status_code == 303
    bad_link = client.post(
        f"/policies/{slug}/documents", data={"doc-title": "X", "doc-url": "javascript:alert(1)"}
    )
    assert bad_link.status_code == 422
    assert "starting with https://" in bad_link.text
    upload = client.post(
        f"/policies/{slug}/documents",
        data={
            "doc-title": "Cabinet paper",
            "doc-file": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "../../paper.exe.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303, upload.text
    program = client.post(
        f"/policies/{slug}/documents",
        data={"doc-title": "Program", "doc-file": (io.BytesIO(b"MZ\x90\x00\x03\x00"), "run.pdf")},
        content_type="multipart/form-data",
    )
    assert program.status_code == 422
    assert "none of those" in program.text
    documents = session.scalars(
        select(PolicyDocument).where(PolicyDocument.policy_id == version.policy_id)
    ).all()
    assert [(d.title, d.media_type) for d in documents] == [
        ("Evidence", None),
        ("Cabinet paper", "application/pdf"),
    ]
    assert documents[1].filename == "paper.exe.pdf"  # no path; the extension comes from the content
    page = app.test_client().get(f"/policies/{slug}")
    assert "Parks and Streets Team" in page.text
    assert "Why we are asking" in page.text
    assert "https://example.org/e.pdf" in page.text
    assert "Cabinet paper" in page.text
    download = app.test_client().get(f"/policies/{slug}/documents/{documents[1].id}")
    assert download.status_code == 200
    assert download.data == b"%PDF-1.4\n%%EOF"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert app.test_client().get(f"/policies/{slug}/documents/{documents[0].id}").status_code == 404  # a link
    removed = client.post(f"/policies/{slug}/documents/{documents[1].id}/remove")
    assert removed.status_code == 303
    assert app.test_client().get(f"/policies/{slug}/documents/{documents[1].id}").status_code == 404


def test_a_new_document_reaches_the_cached_policy_page(app, session):
    version = make_version(session)
    slug = version.policy.slug
    session.commit()
    visitor = app.test_client()
    assert visitor.get(f"/policies/{slug}").headers["X-Page-Cache"] == "miss"
    assert visitor.get(f"/policies/{slug}").headers["X-Page-Cache"] == "hit"
    client = drafter_client(app, session)
    client.post(
        f"/policies/{slug}/documents", data={"doc-title": "Fresh evidence", "doc-url": "https://example.org/"}
    )
    page = visitor.get(f"/policies/{slug}")
    assert page.headers["X-Page-Cache"] == "miss"
    assert "Fresh evidence" in page.text


@pytest.mark.parametrize("payload", hostile_payloads())
def test_hostile_descriptions_and_drafts_are_refused_or_render_inert(app, session, payload):
    client = drafter_client(app, session)
    fields = {
        **DESCRIPTION,
        "title": payload[:300] or "x",
        "summary": payload,
        "agency": payload[:200],
        "why": payload,
        "next_steps": payload,
        "draft_text": "## Purpose\n\n" + payload.replace("\n", " ") + "\n",
        "preview": "Preview",
    }
    preview = client.post(NEW, data=form_body(fields), content_type=FORM)
    assert preview.status_code in (200, 422), preview.status_code
    assert_inert(preview.get_data(as_text=True), payload)
    if preview.status_code != 200:
        assert policy_count(session) == 0
        return
    fields.pop("preview")
    fields.update(
        create="Create",
        previewed=previewed(preview),
        draft_text=_unescape(re.search(r'name="draft_text"[^>]*>\s*(.*?)</textarea>', preview.text, re.S)[1]),
    )
    created = client.post(NEW, data=form_body(fields), content_type=FORM)
    assert created.status_code in (303, 422), created.status_code
    for page in ("/", "/drafting/"):
        assert_inert(client.get(page).get_data(as_text=True), payload)
    for policy in session.scalars(select(Policy)):
        assert_inert(client.get(f"/policies/{policy.slug}").get_data(as_text=True), payload)
