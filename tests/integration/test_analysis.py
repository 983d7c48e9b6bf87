"""The analysis workbench through the web: search and its index, coding, themes, exports, answers, report."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.models import (
    AuditEvent,
    Response,
    Role,
    SearchDocument,
    Tag,
    TagApplication,
    ThemeSuggestion,
)
from tests.factories import login, make_comment, make_user, make_version

BASE = "/analysis/test-policy/second-draft"
PUBLIC = "/policies/test-policy/versions/second-draft"


@pytest.fixture
def version(session):
    make_version(session, label="First draft", open_for_comment=False)
    return make_version(session, label="Second draft")


@pytest.fixture
def comments(session, version):
    author = make_user(session)
    made = {
        "macron": make_comment(
            session, author, version, "purpose-1", body="The whānau should be asked first."
        ),
        "trees": make_comment(
            session, make_user(session), version, "purpose-1", body="Plant more trees along the river."
        ),
        "held": make_comment(
            session,
            make_user(session),
            version,
            "purpose-2",
            body="Secret held words about rivers.",
            state="held",
        ),
        "formula": make_comment(
            session,
            make_user(session),
            version,
            "purpose-2",
            body='=HYPERLINK("http://x.test") is my view on the river.',
        ),
    }
    session.commit()
    return made


@pytest.fixture
def staff(client, session):
    user = make_user(session, Role.REVIEWER.value)
    session.commit()
    login(client, user)
    return user


@pytest.fixture
def tag(session, version, staff):
    made = Tag(policy_id=version.policy_id, name="Environment", description="Rivers and trees")
    session.add(made)
    session.commit()
    return made


def test_writing_a_comment_writes_its_index_row_in_the_same_transaction(session, comments):
    doc = session.scalar(
        select(SearchDocument).where(
            SearchDocument.kind == "comment", SearchDocument.ref_id == comments["macron"].id
        )
    )
    assert doc is not None
    assert doc.public
    assert doc.folded == "the whanau should be asked first."
    held = session.scalar(
        select(SearchDocument).where(
            SearchDocument.ref_id == comments["held"].id, SearchDocument.kind == "comment"
        )
    )
    assert held.public is False
    assert held.state == "held"
    comments["macron"].state = "hidden"
    session.flush()
    session.refresh(doc)
    assert doc.public is False
    assert doc.state == "hidden"
    comments["trees"].body = "Plant more kauri."
    session.flush()
    assert (
        session.scalar(
            select(SearchDocument.folded).where(
                SearchDocument.kind == "comment", SearchDocument.ref_id == comments["trees"].id
            )
        )
        == "plant more kauri."
    )


def test_public_search_folds_macrons_stems_english_and_hides_what_is_not_public(client, comments):
    page = client.get(PUBLIC + "/search?q=WHANAU").get_data(as_text=True)
    assert "<mark>whānau</mark>" in page
    page = client.get(PUBLIC + "/search?q=tree").get_data(as_text=True)
    assert "<mark>trees</mark>" in page
    page = client.get(PUBLIC + "/search?q=rivers").get_data(as_text=True)
    assert "Secret held words" not in page
    assert "river" in page


def test_staff_search_sees_held_comments_and_filters_by_state(client, comments, staff):
    page = client.get(BASE + "?q=rivers&state=held").get_data(as_text=True)
    assert "Secret held" in page
    assert "Plant more" not in page


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "NEAR(a b)",
        "a OR b AND NOT c*",
        "' OR 1=1 --",
        "x" * 5000,
        "a\x00b",
        "{col}:x ^y",
        "!!!",
        "%_%",
        "ā" * 300,
    ],
)
def test_hostile_search_strings_answer_with_results_or_a_message(client, comments, staff, query):
    for url in (PUBLIC + "/search", BASE):
        response = client.get(url, query_string={"q": query})
        # NUL is refused at the door for every page (400); everything else is searched as plain words.
        assert response.status_code == (400 if "\x00" in query else 200), (url, query)


@pytest.mark.parametrize(
    "args",
    [
        {"after": "abc"},
        {"after": "99999999999999"},
        {"after": "-1"},
        {"tag": "x"},
        {"from": "31/02/2026"},
        {"state": "nope"},
        {"group": "1" * 20},
        {"clause": "nope"},
        {"kind": "<script>"},
    ],
)
def test_malformed_filters_and_cursors_are_ignored_with_a_message(client, comments, staff, args):
    response = client.get(BASE, query_string=args)
    assert response.status_code == 200
    assert 'class="notice"' in response.get_data(as_text=True)


def test_keyset_pages_do_not_overlap(client, session, version, staff):
    for n in range(30):
        make_comment(
            session, make_user(session), version, "purpose-1", body=f"Number {n} says the river matters."
        )
    session.commit()
    first = client.get(BASE + "?q=river").get_data(as_text=True)
    assert first.count('name="item"') == 25
    cursor = first.split("after=")[1].split("&")[0].split('"')[0]
    second = client.get(BASE + f"?q=river&after={cursor}").get_data(as_text=True)
    assert second.count('name="item"') == 5
    assert "Number 0 says" in second
    assert "Number 0 says" not in first


def test_bulk_tag_from_a_search_is_audited_and_counted_as_progress(client, session, comments, tag, staff):
    response = client.post(BASE + "/tag", data={"apply_tag": tag.id, "scope": "all", "q": "river"})
    assert response.status_code == 303
    tagged = set(session.scalars(select(TagApplication.ref_id).where(TagApplication.tag_id == tag.id)))
    assert tagged == {comments["trees"].id, comments["held"].id, comments["formula"].id}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "tag.apply")).all()
    assert {e.target_id for e in events} == tagged
    page = client.get(BASE + "/progress").get_data(as_text=True)
    assert "3 of 4 items coded" in page
    uncoded = client.get(BASE + "?uncoded=1").get_data(as_text=True)
    assert uncoded.count('name="item"') == 1


def test_untagging_is_audited(client, session, comments, tag, staff):
    item = f"comment:{comments['trees'].id}"
    client.post(BASE + "/tag", data={"apply_tag": tag.id, "item": item})
    assert client.post(BASE + "/untag", data={"tag": tag.id, "item": item}).status_code == 303
    assert session.scalar(select(TagApplication).where(TagApplication.tag_id == tag.id)) is None
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "tag.remove")).target_id
        == comments["trees"].id
    )


def test_tagging_a_passage_checks_its_offsets(client, session, comments, tag, staff):
    url = BASE + f"/items/comment/{comments['trees'].id}"
    client.post(url, data={"tag": tag.id, "start": "11", "end": "16"})
    application = session.scalar(select(TagApplication).where(TagApplication.tag_id == tag.id))
    assert application.quote_exact == "trees"
    other = make_user(session, Role.MODERATOR.value)
    session.commit()
    login(client, other)
    client.post(url, data={"tag": tag.id, "start": "5", "end": "900"})
    assert session.scalar(select(TagApplication).where(TagApplication.coder_id == other.id)) is None


def test_items_of_another_version_cannot_be_tagged(client, session, comments, tag, staff):
    other = make_version(session, policy_slug="other-policy", label="Other")
    foreign = make_comment(session, make_user(session), other, "purpose-1", body="Elsewhere entirely.")
    session.commit()
    client.post(BASE + "/tag", data={"apply_tag": tag.id, "item": f"comment:{foreign.id}"})
    assert session.scalar(select(TagApplication)) is None
    assert client.post(BASE + "/tag", data={"apply_tag": tag.id, "item": "user:1"}).status_code == 400


def test_codebook_refuses_a_duplicate_name(client, session, tag, staff):
    response = client.post("/analysis/test-policy/codebook", data={"name": "environment", "description": ""})
    assert response.status_code == 422
    assert "already has a tag" in response.get_data(as_text=True)
    client.post(
        "/analysis/test-policy/codebook", data={"name": "Water", "description": "", "parent": str(tag.id)}
    )
    assert session.scalar(select(Tag).where(Tag.name == "Water")).parent_id == tag.id


def test_second_coder_agreement_is_shown(client, session, comments, tag, staff):
    client.post(
        BASE + "/tag",
        data={
            "apply_tag": tag.id,
            "item": [f"comment:{comments['trees'].id}", f"comment:{comments['formula'].id}"],
        },
    )
    second = make_user(session, Role.MODERATOR.value)
    session.commit()
    login(client, second)
    client.post(
        BASE + "/tag", data={"apply_tag": tag.id, "second": "1", "item": f"comment:{comments['trees'].id}"}
    )
    page = client.get(BASE + "/progress").get_data(as_text=True)
    assert "Cohen" in page
    assert "Environment" in page


def test_assigning_gives_uncoded_items_to_an_analyst(client, session, comments, staff):
    response = client.post(
        BASE + "/progress", data={"analyst": str(staff.id), "count": "2", "second": "first"}
    )
    assert response.status_code == 303
    page = client.get(BASE + "/progress").get_data(as_text=True)
    assert staff.display_name in page
    assert client.post(BASE + "/progress", data={"analyst": str(staff.id), "count": "0"}).status_code == 422


def test_suggested_themes_run_locally_and_a_person_accepts_one(client, session, version, staff):
    rivers = [
        "The river is polluted and the water is dirty.",
        "Clean the river water, fish are dying.",
        "Water quality in the river must improve.",
        "River water pollution is my worry.",
        "Protect the river water from farm runoff.",
        "Our river water needs cleaning up.",
    ]
    houses = [
        "Rents are too high and housing is scarce.",
        "Build more housing, rents keep rising.",
        "Housing costs and rents push families out.",
        "Affordable housing and fair rents please.",
        "Rents and housing shortage hurt young people.",
        "More social housing, lower rents.",
    ]
    for body in rivers + houses:
        make_comment(session, make_user(session), version, "purpose-1", body=body)
    session.commit()
    assert client.post(BASE + "/themes", data={"themes": "2", "seed": "0"}).status_code == 303
    found = session.scalars(select(ThemeSuggestion)).all()
    assert len(found) == 2
    assert session.scalar(select(TagApplication)) is None  # nothing is tagged without a person
    river = next(s for s in found if any("river" in t or "water" in t for t in s.terms))
    client.post(BASE + f"/themes/{river.id}", data={"action": "accept", "name": "Rivers"})
    tag = session.scalar(select(Tag).where(Tag.name == "Rivers"))
    assert tag is not None
    assert len(session.scalars(select(TagApplication).where(TagApplication.tag_id == tag.id)).all()) == len(
        river.members
    )
    assert client.get(BASE + "/themes").status_code == 200


def test_exports_are_formula_safe(client, comments, tag, staff):
    client.post(BASE + "/tag", data={"apply_tag": tag.id, "item": f"comment:{comments['formula'].id}"})
    body = client.get(BASE + "/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    texts = [row[-1] for row in rows[1:]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    assert not any(t.startswith("=") for t in texts)
    assert any("Environment" in row[8] for row in rows[1:])
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(BASE + "/export.xlsx").data))
    values = [cell.value for row in book.active.iter_rows() for cell in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_a_drafter_answers_everyone_with_a_tag(client, session, comments, tag):
    drafter = make_user(session, Role.DRAFTER.value)
    session.add_all(
        TagApplication(
            tag_id=tag.id, kind="comment", ref_id=c.id, version_id=c.version_id, coder_id=drafter.id
        )
        for c in (comments["trees"], comments["formula"])
    )
    session.commit()
    login(client, drafter)
    form = {"outcome": "accepted", "text": "We added a river clause.", "changed_in": "", "clauses": ""}
    checked = client.post(BASE + f"/tags/{tag.id}/response", data={**form, "step": "write"})
    assert "Confirm: answer 2 comments" in checked.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()  # nothing is written before the confirmation
    response = client.post(
        BASE + f"/tags/{tag.id}/response", data={**form, "step": "confirm", "expected": "2"}
    )
    assert response.status_code == 303
    answered = set(session.scalars(select(Response.comment_id)))
    assert answered == {comments["trees"].id, comments["formula"].id}
    receipt = client.get(f"/receipts/{comments['trees'].tracking_number}").get_data(as_text=True)
    assert "We added a river clause." in receipt


def test_what_we_heard_quotes_only_published_words(client, session, comments, tag):
    session.add_all(
        TagApplication(tag_id=tag.id, kind="comment", ref_id=c.id, version_id=c.version_id)
        for c in (comments["trees"], comments["held"])
    )
    session.commit()
    page = client.get(PUBLIC + "/what-we-heard").get_data(as_text=True)
    assert "Environment" in page
    assert "Plant more trees" in page
    assert "Secret held" not in page
    assert "<svg" in page
    assert "<table" in page


def test_activity_page_links_every_clause(client, comments):
    page = client.get(PUBLIC + "/activity").get_data(as_text=True)
    assert "/clauses/purpose-1/comments" in page
    assert "<svg" in page


LETTER = (
    "I oppose the plan to sell the regional parks because they belong to everyone and future generations "
    "deserve the same green spaces that we enjoyed as children."
)


def test_a_form_letter_on_another_clause_joins_the_campaign(session, version):
    first = make_comment(session, make_user(session), version, "purpose-1", body=LETTER)
    edited = LETTER.replace("regional parks", "regional parks and reserves") + " My name is Aroha."
    second = make_comment(session, make_user(session), version, "purpose-2", body=edited)
    session.flush()
    assert first.campaign_group_id is not None
    assert second.campaign_group_id == first.campaign_group_id


def test_short_generic_comments_on_different_clauses_are_not_a_campaign(session, version):
    one = make_comment(session, make_user(session), version, "purpose-1", body="I agree with this.")
    two = make_comment(session, make_user(session), version, "purpose-2", body="I agree with this.")
    session.flush()
    assert one.campaign_group_id is None
    assert two.campaign_group_id is None


def test_an_independent_comment_sharing_one_sentence_is_not_grouped(session, version):
    make_comment(session, make_user(session), version, "purpose-1", body=LETTER)
    own = (
        "The regional parks belong to everyone. But my real worry is the bus timetable, which leaves workers "
        "stranded after six in the evening and makes the new depot pointless for the eastern suburbs."
    )
    independent = make_comment(session, make_user(session), version, "purpose-2", body=own)
    session.flush()
    assert independent.campaign_group_id is None


def test_tagging_refreshes_the_cached_what_we_heard_page(app, session, comments, tag, staff):
    visitor = app.test_client()
    assert "Environment" not in visitor.get(PUBLIC + "/what-we-heard").get_data(as_text=True)
    analyst = app.test_client()
    login(analyst, staff)
    analyst.post(BASE + "/tag", data={"apply_tag": tag.id, "item": f"comment:{comments['trees'].id}"})
    assert "Environment" in visitor.get(PUBLIC + "/what-we-heard").get_data(as_text=True)


def test_publishing_a_working_version_makes_its_text_findable(client, session, version):
    working = make_version(session, label="Third draft", status="working", open_for_comment=False)
    session.commit()
    documents = select(SearchDocument.public).where(SearchDocument.version_id == working.id)
    assert set(session.scalars(documents)) == {False}
    working.status = "published"
    session.flush()
    assert set(session.scalars(documents)) == {True}


# --- whole-version submissions in the index -----------------------------------------------------------------


@pytest.fixture
def submissions(session, version):
    from app.submissions.services import redact_passage
    from tests.factories import make_submission

    named = make_submission(session, make_user(session), version, "Kauri forests need the glossary too.")
    private = make_submission(
        session, make_user(session), version, "Kauri words for staff only, not to publish.", consent="private"
    )
    redacted = make_submission(
        session, make_user(session), version, "Kauri and my neighbour Hinemoa Tamaki's address."
    )
    make_submission(session, make_user(session), version, "Kauri draft never sent.", send=False)
    moderator = make_user(session, Role.MODERATOR.value)
    redact_passage(session, moderator, redacted, "my neighbour Hinemoa Tamaki's address", "personal_details")
    session.commit()
    return {"named": named, "private": private, "redacted": redacted}


def test_submissions_are_searched_as_their_makers_allowed(client, session, submissions):
    public = client.get(PUBLIC + "/search?q=kauri").get_data(as_text=True)
    assert "forests need the glossary" in public
    assert "staff only" not in public  # its maker asked us not to publish it
    assert "Hinemoa" not in public  # redacted
    assert "never sent" not in public  # a draft is its maker's only
    assert "A submission on the whole draft" in public
    login(client, make_user(session, Role.REVIEWER.value))
    staff = client.get(BASE + "?q=kauri&kind=submission").get_data(as_text=True)
    assert "staff only" in staff
    assert "Hinemoa" not in staff  # nobody's search quotes a redacted passage
    assert "never sent" not in staff


def test_a_private_submission_stays_out_of_public_search_when_its_version_is_marked_final(
    client, session, submissions, version
):
    from app.analysis.indexing import reindex_public_flag

    reindex_public_flag(session.connection(), version.id, True)  # what a change of the version's status does
    session.commit()
    public = client.get(PUBLIC + "/search?q=kauri").get_data(as_text=True)
    assert "staff only" not in public
    assert "forests need the glossary" in public


def test_hidden_and_withdrawn_words_leave_the_search_index_with_them(client, session, version):
    """Moderation and withdrawal are conditional UPDATEs, which the flush listener never sees; they reindex."""
    from app.comments.services import withdraw_comment
    from app.moderation.services import hide_comment, restore_comment

    author = make_user(session)
    hidden = make_comment(session, author, version, "purpose-1", body="Pohutukawa should line every street.")
    gone = make_comment(session, author, version, "purpose-2", body="Pohutukawa words I take back.")
    session.commit()
    assert "line every street" in client.get(PUBLIC + "/search?q=pohutukawa").get_data(as_text=True)
    moderator = make_user(session, Role.MODERATOR.value)
    hide_comment(session, moderator, hidden, "Off topic.")
    withdraw_comment(session, author, gone)
    session.commit()
    page = client.get(PUBLIC + "/search?q=pohutukawa").get_data(as_text=True)
    assert "line every street" not in page
    assert "take back" not in page
    login(client, make_user(session, Role.REVIEWER.value))
    staff = client.get(BASE + "?q=pohutukawa").get_data(as_text=True)
    assert "line every street" in staff  # staff still find a hidden comment's words
    assert "take back" not in staff  # nobody finds withdrawn words
    restore_comment(session, moderator, session.get_one(type(hidden), hidden.id))
    session.commit()
    client.post("/logout")
    assert "line every street" in client.get(PUBLIC + "/search?q=pohutukawa").get_data(as_text=True)


def test_a_queued_comment_is_indexed_when_it_is_settled_not_on_the_request(session):
    from app.comments.services import accept_comment, settle_comment
    from app.models import Clause

    version = make_version(session)
    author = make_user(session)
    session.flush()
    clause = session.scalar(select(Clause).where(Clause.version_id == version.id, Clause.key == "purpose-1"))
    comment = accept_comment(session, author, clause, "Queued words about kaitiakitanga and data.")
    session.flush()

    def document():
        return session.scalar(
            select(SearchDocument).where(
                SearchDocument.kind == "comment", SearchDocument.ref_id == comment.id
            )
        )

    assert document() is None  # the POST's unit of work wrote no index row
    assert settle_comment(session, comment.id)
    found = document()
    assert found is not None
    assert "kaitiakitanga" in found.body
    assert found.public is True
