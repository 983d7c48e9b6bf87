"""Engagement events: staff record hui, workshops and meetings; their "what we heard" summary is a submission."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.analysis import report
from app.drafts.parsing import NZ
from app.events import services
from app.models import AuditEvent, EngagementEvent, SearchDocument, Submission
from tests.factories import login, make_comment, make_submission, make_user, make_version
from tests.hostile import payloads


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def intake(session):
    return make_user(session, "intake")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(NZ).date()


def event_fields(**fields):
    return {
        "kind": "hui",
        "held_on": (today() - dt.timedelta(days=2)).isoformat(),
        "place": "Te Puea Memorial Marae",
        "region": "Auckland",
        "host": "Ngā Kaitiaki o te Raraunga",
        "attendees": "42",
        **fields,
    }


def create(client, version, **fields):
    return client.post(
        f"/intake/{version.policy.slug}/{version.slug}/events/new", data=event_fields(**fields)
    )


def events(session) -> list[EngagementEvent]:
    session.expire_all()
    return list(session.scalars(select(EngagementEvent).order_by(EngagementEvent.id)))


def summaries(session) -> list[Submission]:
    session.expire_all()
    return list(session.scalars(select(Submission).where(Submission.event_id.is_not(None))))


def summarise(client, event, body="People asked for plain-language notices.", consent="named"):
    return client.post(f"/intake/events/{event.id}/summary", data={"body": body, "consent": consent})


def test_intake_records_an_event_listed_on_the_policy_and_version_pages(client, session, version, intake):
    login(client, intake)
    page = client.get(f"/intake/{version.policy.slug}/{version.slug}/events")
    assert page.status_code == 200
    assert client.get(f"/intake/{version.policy.slug}/{version.slug}/events/new").status_code == 200
    response = create(client, version)
    assert response.status_code == 303
    [event] = events(session)
    assert (event.kind, event.place, event.region, event.attendees) == (
        "hui",
        "Te Puea Memorial Marae",
        "Auckland",
        42,
    )
    assert event.created_by_id == intake.id
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "event.created"))
    visitor = client.application.test_client()
    for path in (
        f"/policies/{version.policy.slug}",
        f"/policies/{version.policy.slug}/versions/{version.slug}",
    ):
        html = visitor.get(path).get_data(as_text=True)
        assert "Hui, workshops and meetings" in html
        assert "Te Puea Memorial Marae" in html
        assert f'<time datetime="{event.held_on.isoformat()}">' in html
        assert "Ngā Kaitiaki o te Raraunga" in html


def test_a_drafter_may_record_events_and_a_commenter_may_not(client, session, version):
    login(client, make_user(session, "drafter"))
    assert create(client, version).status_code == 303
    other = client.application.test_client()
    login(other, make_user(session))
    assert create(other, version).status_code == 403
    assert other.get(f"/intake/{version.policy.slug}/{version.slug}/events").status_code == 403
    [event] = events(session)
    assert other.post(f"/intake/events/{event.id}/delete").status_code == 403
    assert summarise(other, event).status_code == 403
    assert len(events(session)) == 1
    assert summaries(session) == []


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"place": ""}, "place"),
        ({"place": "x" * 201}, "place"),
        ({"host": "   "}, "host"),
        ({"host": "h" * 201}, "host"),
        ({"region": "r" * 101}, "region"),
        ({"held_on": ""}, "YYYY-MM-DD"),
        ({"held_on": "14/03/2026"}, "YYYY-MM-DD"),
        ({"held_on": "2026-02-30"}, "YYYY-MM-DD"),
        ({"held_on": "1999-12-31"}, "between"),
        ({"held_on": "9999-01-01"}, "between"),
        ({"attendees": "-3"}, "whole number"),
        ({"attendees": "4.5"}, "whole number"),
        ({"attendees": "99999999999999999999"}, "whole number"),
        ({"attendees": "٤٢"}, "whole number"),
        ({"kind": "party"}, "kind of event"),
        ({"place": "Marae\x00"}, "control"),
    ],
)
def test_bad_event_input_is_refused_with_a_message_and_nothing_stored(
    client, session, version, intake, fields, field_message
):
    login(client, intake)
    response = create(client, version, **fields)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert events(session) == []


def test_hostile_text_in_every_event_field_is_refused_or_stored_as_text(client, session, version, intake):
    login(client, intake)
    for payload in payloads()[:40]:
        for name in ("place", "region", "host"):
            response = create(client, version, **{name: payload[:150]})
            assert response.status_code in (303, 422), (name, payload)
    # Whatever was stored is shown escaped, never as markup.
    html = client.get(f"/policies/{version.policy.slug}").get_data(as_text=True)
    assert "<script>alert" not in html


def test_an_event_may_be_edited_and_the_pages_show_the_change(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    visitor = client.application.test_client()
    path = f"/policies/{version.policy.slug}/versions/{version.slug}"
    assert "Te Puea Memorial Marae" in visitor.get(path).get_data(as_text=True)  # now cached
    assert client.get(f"/intake/events/{event.id}/edit").status_code == 200
    response = client.post(
        f"/intake/events/{event.id}/edit", data=event_fields(place="Ōrākei Marae", kind="workshop")
    )
    assert response.status_code == 303
    html = visitor.get(path).get_data(as_text=True)
    assert "Ōrākei Marae" in html
    assert "Te Puea" not in html
    assert "Workshop" in html
    assert "Ōrākei Marae" in visitor.get(f"/policies/{version.policy.slug}").get_data(as_text=True)


def test_a_summary_is_one_submission_credited_to_the_host(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    assert client.get(f"/intake/events/{event.id}/summary").status_code == 200
    assert summarise(client, event).status_code == 303
    [submission] = summaries(session)
    assert submission.event_id == event.id
    assert submission.channel == "hui"
    assert submission.submitter_name == "Ngā Kaitiaki o te Raraunga"
    assert submission.user_id is None
    assert submission.entered_by_id == intake.id
    assert submission.received_on == event.held_on
    assert submission.region == "Auckland"
    assert submission.state == "published"
    # It is indexed like every other submission, and the public can read it and see it linked from the event.
    document = session.scalar(
        select(SearchDocument).where(
            SearchDocument.kind == "submission", SearchDocument.ref_id == submission.id
        )
    )
    assert document is not None
    assert document.channel == "hui"
    assert document.public
    visitor = client.application.test_client()
    html = visitor.get(f"/policies/{version.policy.slug}/versions/{version.slug}").get_data(as_text=True)
    assert f"/submissions/{submission.tracking_number}" in html
    receipt = visitor.get(f"/submissions/{submission.tracking_number}").get_data(as_text=True)
    assert "Ngā Kaitiaki o te Raraunga" in receipt
    assert intake.display_name not in receipt
    listed = visitor.get(f"/policies/{version.policy.slug}/versions/{version.slug}/submissions").get_data(
        as_text=True
    )
    assert "plain-language notices" in listed


def test_editing_the_summary_changes_the_one_submission(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    summarise(client, event)
    [first] = summaries(session)
    assert (
        summarise(client, event, body="Revised: people asked for notices in te reo Māori too.").status_code
        == 303
    )
    [again] = summaries(session)
    assert again.id == first.id
    assert again.tracking_number == first.tracking_number
    assert "te reo Māori" in again.body
    assert again.edited_at is not None
    # Renaming the host credits the summary to the new name.
    client.post(f"/intake/events/{event.id}/edit", data=event_fields(host="Te Rōpū Raraunga"))
    [renamed] = summaries(session)
    assert renamed.submitter_name == "Te Rōpū Raraunga"


def test_a_summary_not_to_be_published_is_counted_not_shown(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    summarise(client, event, body="Private kōrero from the hui.", consent="private")
    [submission] = summaries(session)
    visitor = client.application.test_client()
    html = visitor.get(f"/policies/{version.policy.slug}/versions/{version.slug}").get_data(as_text=True)
    assert "Summary received, not published" in html
    assert f"/submissions/{submission.tracking_number}" not in html
    assert visitor.get(f"/submissions/{submission.tracking_number}").status_code == 404
    heard = report.build(session, version)
    assert heard.total == 1
    assert dict(heard.by_channel) == {"hui": 1}
    page = visitor.get(f"/policies/{version.policy.slug}/versions/{version.slug}/what-we-heard").get_data(
        as_text=True
    )
    assert "Private kōrero" not in page


@pytest.mark.parametrize(("body", "message"), [("", "what we heard"), ("x" * 50_001, "")])
def test_an_empty_or_oversize_summary_is_refused(client, session, version, intake, body, message):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    response = summarise(client, event, body=body)
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()
    assert summaries(session) == []


def test_a_summary_with_a_bad_consent_is_refused(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    assert summarise(client, event, consent="everyone").status_code == 422
    assert summaries(session) == []


def test_no_summary_before_the_event_has_taken_place(client, session, version, intake):
    login(client, intake)
    create(client, version, held_on=(today() + dt.timedelta(days=10)).isoformat())
    [event] = events(session)
    response = summarise(client, event)
    assert response.status_code == 409
    assert "once the event has taken place" in response.get_data(as_text=True)
    assert summaries(session) == []


def test_an_event_without_a_summary_may_be_deleted(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    assert client.post(f"/intake/events/{event.id}/delete").status_code == 303
    assert events(session) == []
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "event.deleted"))
    html = client.application.test_client().get(f"/policies/{version.policy.slug}").get_data(as_text=True)
    assert "Te Puea Memorial Marae" not in html


def test_an_event_with_a_summary_is_not_deleted(client, session, version, intake):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    summarise(client, event)
    response = client.post(f"/intake/events/{event.id}/delete")
    assert response.status_code == 409
    assert "cannot be deleted" in response.get_data(as_text=True)
    assert len(events(session)) == 1
    assert len(summaries(session)) == 1


def test_the_summary_goes_through_moderation_like_any_submission(client, session):
    version = make_version(session, policy_slug="held-policy", moderation="pre")
    intake = make_user(session, "intake")
    login(client, intake)
    create(client, version)
    [event] = events(session)
    summarise(client, event)
    [submission] = summaries(session)
    assert submission.state == "held"
    visitor = client.application.test_client()
    assert f"/submissions/{submission.tracking_number}" not in visitor.get(
        f"/policies/{version.policy.slug}"
    ).get_data(as_text=True)


def test_a_second_summary_of_one_event_is_never_stored(session, version, intake):
    """The unique link refuses a second summary however it arrives (the service updates the first)."""
    event = services.create_event(session, intake, version, services.EventInput(**event_fields()))
    services.save_summary(session, intake, event, services.SummaryInput("First words."))
    services.save_summary(session, intake, event, services.SummaryInput("Second words."))
    assert (
        session.scalar(select(func.count()).select_from(Submission).where(Submission.event_id == event.id))
        == 1
    )
    stray = make_submission(session, make_user(session), version, "A stray one.")
    stray.event_id = event.id
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_what_we_heard_counts_every_contribution_and_quotes_only_consented_ones(client, session, version):
    author = make_user(session)
    make_comment(session, author, version, body="A published comment, named.")
    make_comment(
        session, make_user(session), version, body="A comment nobody may read.", display_as="private"
    )
    make_submission(session, make_user(session), version, "A private submission.", consent="private")
    make_submission(session, make_user(session), version, "A public submission.")
    make_submission(session, make_user(session), version, "Half done.", send=False)
    session.commit()
    heard = report.build(session, version)
    assert heard.total == 4
    assert dict(heard.by_channel) == {"online": 4}
    page = client.get(f"/policies/{version.policy.slug}/versions/{version.slug}/what-we-heard").get_data(
        as_text=True
    )
    assert "nobody may read" not in page
    assert "private submission" not in page


def test_an_edited_or_deleted_event_is_never_served_from_an_older_copy(app, client, session, version, intake):
    """Events are watched by the page cache: a change moves the policy and version pages' hard counters."""
    event = services.create_event(session, intake, version, services.EventInput(**event_fields()))
    session.commit()
    pages = (f"/policies/{version.policy.slug}", f"/policies/{version.policy.slug}/versions/{version.slug}")
    app.config["PAGE_CACHE_MIN_AGE"] = 60
    try:
        for path in pages:
            assert "Te Puea Memorial Marae" in client.get(path).text
            assert client.get(path).headers["X-Page-Cache"] == "hit"
        services.update_event(
            session, intake, event, services.EventInput(**event_fields(place="Hoani Waititi"))
        )
        session.commit()
        for path in pages:
            edited = client.get(path)
            assert edited.headers["X-Page-Cache"] == "miss"
            assert "Hoani Waititi" in edited.text
        services.delete_event(session, intake, event)
        session.commit()
        for path in pages:
            deleted = client.get(path)
            assert deleted.headers["X-Page-Cache"] == "miss"
            assert "Hoani Waititi" not in deleted.text
    finally:
        app.config["PAGE_CACHE_MIN_AGE"] = 0.0


def test_every_event_form_refuses_a_post_without_its_csrf_token(app, client, session, version, intake):
    event = services.create_event(session, intake, version, services.EventInput(**event_fields()))
    session.commit()
    login(client, intake)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for path, data in (
            (f"/intake/{version.policy.slug}/{version.slug}/events/new", event_fields(place="Forged")),
            (f"/intake/events/{event.id}/edit", event_fields(place="Forged")),
            (f"/intake/events/{event.id}/summary", {"body": "Forged words.", "consent": "named"}),
            (f"/intake/events/{event.id}/delete", {}),
        ):
            assert client.post(path, data=data).status_code == 400, path
        # With the token the page gave, the same form goes through.
        page = client.get(f"/intake/events/{event.id}/summary").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/intake/events/{event.id}/summary",
            data={"body": "Real words.", "consent": "named", "csrf_token": token},
        )
        assert response.status_code == 303
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    [only] = events(session)
    assert only.place == "Te Puea Memorial Marae"
    assert [s.body for s in summaries(session)] == ["Real words."]


def test_the_summary_reaches_the_api_and_the_search_like_any_submission(client, session, version, intake):
    event = services.create_event(session, intake, version, services.EventInput(**event_fields()))
    summary = services.save_summary(
        session, intake, event, services.SummaryInput("Kaumātua asked for kaitiakitanga of data.")
    )
    session.commit()
    listed = client.get(
        f"/api/v1/policies/{version.policy.slug}/versions/{version.slug}/submissions"
    ).get_json()
    assert summary.tracking_number in str(listed)
    one = client.get(f"/api/v1/submissions/{summary.tracking_number}").get_json()
    assert "kaitiakitanga" in str(one)
    assert "hui" in str(one)
    found = client.get(
        f"/policies/{version.policy.slug}/versions/{version.slug}/search?q=kaitiakitanga"
    ).get_data(as_text=True)
    assert "Kaumātua asked" in found


def test_hostile_text_through_the_summary_is_refused_or_kept_as_one_submission(
    client, session, version, intake
):
    login(client, intake)
    create(client, version)
    [event] = events(session)
    for payload in payloads()[:60]:
        response = summarise(client, event, body=payload)
        assert response.status_code in (303, 409, 422), payload
    assert len(summaries(session)) <= 1
    html = client.application.test_client().get(f"/policies/{version.policy.slug}").get_data(as_text=True)
    assert "<script>alert" not in html
