"""Administrators' pages: a policy's moderation mode, and accounts' roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.comments.services import post_comment
from app.models import AuditEvent, Clause, Policy, User
from app.moderation import services
from tests.factories import login, make_user, make_version


@pytest.fixture
def admin(session):
    user = make_user(session, "admin")
    session.commit()
    return user


def test_admin_pages_are_for_admins_only(client, session, admin):
    version = make_version(session)
    moderator = make_user(session, "moderator")
    session.commit()
    slug = version.policy.slug
    for path in ("/admin", "/admin/policies", "/admin/users"):
        assert client.get(path).status_code == 302
    login(client, moderator)
    for path in ("/admin", "/admin/policies", "/admin/users"):
        assert client.get(path).status_code == 403
    assert (
        client.post(
            f"/admin/policies/{slug}/moderation", data={f"p{version.policy_id}-mode": "pre"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/admin/users/{moderator.id}/role", data={f"u{moderator.id}-role": "admin"}).status_code
        == 403
    )
    client.post("/logout")
    login(client, admin)
    for path in ("/admin", "/admin/policies", "/admin/users"):
        assert client.get(path).status_code == 200


def test_switching_to_pre_moderation_holds_new_comments(client, session, admin):
    version = make_version(session)
    commenter = make_user(session)
    session.commit()
    policy = version.policy
    login(client, admin)
    page = client.get("/admin/policies")
    assert policy.title in page.text
    assert "<legend>" in page.text
    response = client.post(f"/admin/policies/{policy.slug}/moderation", data={f"p{policy.id}-mode": "pre"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Policy, policy.id).moderation == "pre"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.moderation_mode")).one()
    assert (event.actor_id, event.details) == (admin.id, {"previous": "post", "new": "pre"})
    clause = session.scalars(select(Clause).where(Clause.version_id == version.id)).first()
    comment = post_comment(session, commenter, clause, "A comment under pre-moderation.")
    assert comment.state == "held"


@pytest.mark.parametrize(("mode", "status"), [("post", 422), ("sideways", 422), ("", 422)])
def test_bad_or_unchanged_modes_are_refused(client, session, admin, mode, status):
    version = make_version(session)
    session.commit()
    policy = version.policy
    login(client, admin)
    response = client.post(f"/admin/policies/{policy.slug}/moderation", data={f"p{policy.id}-mode": mode})
    assert response.status_code == status
    assert "There is a problem" in response.text or "error-message" in response.text
    assert session.scalars(select(AuditEvent)).all() == []


def test_unknown_policy_is_404(client, admin):
    login(client, admin)
    assert client.post("/admin/policies/no-such-policy/moderation", data={}).status_code == 404


def test_changing_a_role_is_audited_and_ends_sessions(app, client, session, admin):
    person = make_user(session)
    session.commit()
    token = person.session_token
    login(client, admin)
    assert person.email in client.get("/admin/users").text
    response = client.post(f"/admin/users/{person.id}/role", data={f"u{person.id}-role": "moderator"})
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(User, person.id)
    assert changed.role == "moderator"
    assert changed.session_token != token
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.set_role")).one()
    assert (event.actor_id, event.target_id, event.details) == (
        admin.id,
        person.id,
        {"previous": "commenter", "role": "moderator"},
    )


def test_admins_cannot_change_their_own_role_or_give_unknown_roles(client, session, admin):
    person = make_user(session)
    session.commit()
    login(client, admin)
    own = client.post(f"/admin/users/{admin.id}/role", data={f"u{admin.id}-role": "commenter"})
    assert own.status_code == 403
    assert "You cannot change your own role" in own.text
    bad = client.post(f"/admin/users/{person.id}/role", data={f"u{person.id}-role": "superuser"})
    assert bad.status_code == 422
    assert "Choose one of the roles listed." in bad.text
    assert client.post("/admin/users/999999/role", data={"u999999-role": "admin"}).status_code == 404
    session.expire_all()
    assert session.get(User, admin.id).role == "admin"
    assert session.get(User, person.id).role == "commenter"


def test_users_page_is_keyset_paginated(client, session, admin, monkeypatch):
    monkeypatch.setattr(services, "USERS_PAGE_SIZE", 2)
    people = [make_user(session) for _ in range(3)]
    session.commit()
    login(client, admin)
    first = client.get("/admin/users").text
    assert admin.email in first
    assert people[0].email in first
    assert people[1].email not in first
    second = client.get(f"/admin/users?after={people[0].id}").text
    assert people[1].email in second
    assert people[2].email in second
    assert admin.email not in second
    assert client.get("/admin/users?after=1%20OR%201=1").status_code == 400
