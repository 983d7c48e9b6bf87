"""Who may reach what: every route of the app, for every kind of person, GET and POST.

Each row of MATRIX is one request (endpoint, method, path) and the status each role should get. A route that
MATRIX does not cover fails `test_every_route_is_in_the_matrix`: adding a route means adding a line here.

Expected values: an int is an exact status; LOGIN is a redirect to the sign-in page; OK is "let in": anything
below 500 except 401/403/404/405 and a redirect to sign in (a POST with an empty form may fairly answer 400).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.models import CampaignGroup, CommentPlacement, Tag, ThemeRun, ThemeSuggestion
from tests.factories import login, make_comment, make_user, make_version

ROLES = ("anonymous", "commenter", "drafter", "reviewer", "moderator", "admin")
LOGIN = "login"
OK = "ok"


def row(anonymous, commenter, drafter, reviewer, moderator, admin) -> dict[str, object]:
    return dict(zip(ROLES, (anonymous, commenter, drafter, reviewer, moderator, admin), strict=True))


def same(value: object) -> dict[str, object]:
    return dict.fromkeys(ROLES, value)


PUBLIC = same(200)
SIGNED_IN = row(LOGIN, 200, 200, 200, 200, 200)
SIGNED_IN_POST = row(LOGIN, OK, OK, OK, OK, OK)
DRAFTERS = row(LOGIN, 403, 200, 403, 403, 200)
DRAFTERS_POST = row(LOGIN, 403, OK, 403, 403, OK)
MODERATORS = row(LOGIN, 403, 403, 403, 200, 200)
MODERATORS_POST = row(LOGIN, 403, 403, 403, OK, OK)
ADMINS = row(LOGIN, 403, 403, 403, 403, 200)
ADMINS_POST = row(LOGIN, 403, 403, 403, 403, OK)
STAFF_READERS = row(LOGIN, 403, 200, 200, 200, 200)  # everyone who sees every comment
WORKING_ONLY = row(404, 404, 200, 404, 404, 200)  # working versions: 404 to all but drafters and admins
GUESTS_ONLY = row(200, 302, 302, 302, 302, 302)  # sign-in and sign-up pages send the signed-in on
NOT_AUTHOR = row(LOGIN, 403, 403, 403, 403, 403)  # only a comment's author may edit or withdraw it
STAFF_POST = row(LOGIN, 403, OK, OK, OK, OK)  # the analysis workbench: everyone who sees every comment

V = "/policies/{policy}/versions/{version}"
W = "/policies/{policy}/versions/{working}"
D = "/drafting/{policy}/{working}"
DP = "/drafting/{policy}/{version}"
AN = "/analysis/{policy}/{version}"

# (endpoint, method, path, expected)
MATRIX: list[tuple[str, str, str, dict[str, object]]] = [
    # reading
    ("drafts.home", "GET", "/", PUBLIC),
    ("drafts.policy", "GET", "/policies/{policy}", PUBLIC),
    ("drafts.version", "GET", V, PUBLIC),
    ("drafts.version", "GET", W, WORKING_ONLY),
    ("drafts.section", "GET", V + "/sections/purpose", PUBLIC),
    ("drafts.section", "GET", W + "/sections/purpose", WORKING_ONLY),
    ("drafts.clause", "GET", V + "/clauses/purpose-1", same(302)),
    ("drafts.clause", "GET", W + "/clauses/purpose-1", row(404, 404, 302, 404, 404, 302)),
    ("drafts.language", "GET", "/language/mi?next=/", same(302)),
    ("static", "GET", "/static/css/site.css", PUBLIC),
    # comparing and PDFs
    ("diffing.choose", "GET", "/policies/{policy}/compare", same(302)),  # on to the latest comparison
    ("diffing.compare", "GET", "/policies/{policy}/compare/{first}...{version}", PUBLIC),
    ("diffing.compare", "GET", "/policies/{policy}/compare/{version}...{working}", WORKING_ONLY),
    ("pdf.version", "GET", V + "/pdf", PUBLIC),
    ("pdf.version", "GET", W + "/pdf", same(404)),
    ("pdf.section", "GET", V + "/sections/purpose/pdf", PUBLIC),
    # DESIGN.md lists redline PDFs among the reviewers' extras; between two published versions the pdf package
    # serves them to everyone (the same changes are on the public compare page).
    ("pdf.redline", "GET", "/policies/{policy}/compare/{first}...{version}/pdf", PUBLIC),
    ("pdf.report", "GET", V + "/comments/report.pdf", STAFF_READERS),
    ("pdf.public_report", "GET", V + "/comments/public-report.pdf", PUBLIC),
    # comments
    ("comments.clause_comments", "GET", V + "/clauses/purpose-1/comments", PUBLIC),
    ("comments.comment_form", "GET", V + "/clauses/purpose-1/comment", SIGNED_IN),
    ("comments.comment_form", "POST", V + "/clauses/purpose-1/comment", SIGNED_IN_POST),
    ("comments.thread", "GET", "/comments/{comment_id}", PUBLIC),
    ("comments.thread", "GET", "/comments/{held_id}", row(404, 404, 200, 200, 200, 200)),
    ("comments.reply", "POST", "/comments/{comment_id}/reply", SIGNED_IN_POST),
    ("comments.edit", "GET", "/comments/{comment_id}/edit", NOT_AUTHOR),
    ("comments.edit", "POST", "/comments/{comment_id}/edit", NOT_AUTHOR),
    ("comments.withdraw", "GET", "/comments/{comment_id}/withdraw", NOT_AUTHOR),
    ("comments.withdraw", "POST", "/comments/{comment_id}/withdraw", NOT_AUTHOR),
    ("comments.campaign", "GET", V + "/campaigns/{group_id}", PUBLIC),
    ("comments.receipts", "GET", "/receipts", PUBLIC),
    ("comments.receipt", "GET", "/receipts/{tracking}", PUBLIC),
    ("comments.receipt", "GET", "/receipts/{held_tracking}", row(404, 404, 200, 200, 200, 200)),
    # responses ("you said, we did")
    ("responses.response_to_submissions", "GET", V + "/responses", PUBLIC),
    ("responses.to_answer", "GET", DP + "/comments", DRAFTERS),
    ("responses.respond_to_comment", "GET", DP + "/comments/{comment_id}/response", DRAFTERS),
    ("responses.respond_to_comment", "POST", DP + "/comments/{comment_id}/response", DRAFTERS_POST),
    ("responses.respond_to_group", "GET", DP + "/groups/{group_id}/response", DRAFTERS),
    ("responses.respond_to_group", "POST", DP + "/groups/{group_id}/response", DRAFTERS_POST),
    # drafting
    ("drafting.index", "GET", "/drafting/", DRAFTERS),
    ("drafting.start", "POST", "/drafting/{policy}/start", DRAFTERS_POST),
    ("drafting.workspace", "GET", D, DRAFTERS),
    ("drafting.edit_section", "GET", D + "/sections/purpose", DRAFTERS),
    ("drafting.edit_section", "POST", D + "/sections/purpose", DRAFTERS_POST),
    ("drafting.live_preview", "POST", D + "/preview", DRAFTERS_POST),
    ("drafting.upload", "POST", D + "/upload", DRAFTERS_POST),
    ("drafting.details", "POST", D + "/details", DRAFTERS_POST),
    ("drafting.publish", "POST", D + "/publish", DRAFTERS_POST),
    ("drafting.mark_final", "POST", DP + "/final", DRAFTERS_POST),
    ("drafting.placements", "GET", DP + "/placements", DRAFTERS),
    ("drafting.place", "POST", DP + "/placements/{placement_id}", DRAFTERS_POST),
    # accounts
    ("auth.login", "GET", "/login", GUESTS_ONLY),
    ("auth.login", "POST", "/login", row(OK, OK, OK, OK, OK, OK)),
    ("auth.logout", "POST", "/logout", same(302)),
    ("auth.register", "GET", "/register", GUESTS_ONLY),
    ("auth.register", "POST", "/register", row(OK, 302, 302, 302, 302, 302)),
    ("auth.check_email", "GET", "/register/check-email", PUBLIC),
    ("auth.verify_email", "GET", "/verify-email/not-a-real-token", row(OK, OK, OK, OK, OK, OK)),
    ("auth.forgot_password", "GET", "/forgot-password", PUBLIC),
    ("auth.forgot_password", "POST", "/forgot-password", row(OK, OK, OK, OK, OK, OK)),
    ("auth.reset_password", "GET", "/reset-password/not-a-real-token", row(OK, OK, OK, OK, OK, OK)),
    ("auth.reset_password", "POST", "/reset-password/not-a-real-token", row(OK, OK, OK, OK, OK, OK)),
    ("auth.account", "GET", "/account", SIGNED_IN),
    ("auth.change_display_name", "POST", "/account/display-name", SIGNED_IN_POST),
    ("auth.change_password", "POST", "/account/password", SIGNED_IN_POST),
    ("auth.resend_confirmation", "POST", "/account/verify-email", SIGNED_IN_POST),
    # privacy
    ("privacy.notice", "GET", "/privacy", PUBLIC),
    ("privacy.export", "GET", "/account/export", SIGNED_IN),
    ("privacy.delete", "GET", "/account/delete", SIGNED_IN),
    ("privacy.delete", "POST", "/account/delete", row(LOGIN, 422, 422, 422, 422, 422)),
    # moderation
    ("moderation.report", "GET", "/comments/{tracking}/report", SIGNED_IN),
    ("moderation.report", "GET", "/comments/{held_tracking}/report", row(LOGIN, 404, 200, 200, 200, 200)),
    ("moderation.report", "POST", "/comments/{tracking}/report", row(LOGIN, 422, 422, 422, 422, 422)),
    ("moderation.queue", "GET", "/moderation", MODERATORS),
    ("moderation.comment", "GET", "/moderation/comments/{tracking}", MODERATORS),
    ("moderation.act", "POST", "/moderation/comments/{tracking}/hide", MODERATORS_POST),
    ("moderation.log", "GET", "/moderation/log", PUBLIC),
    ("review.index", "GET", "/review", STAFF_READERS),
    ("moderation.account", "GET", "/moderation/users/{author_id}", MODERATORS),
    ("moderation.suspend", "POST", "/moderation/users/{author_id}/suspend", MODERATORS_POST),
    ("moderation.unsuspend", "POST", "/moderation/users/{author_id}/unsuspend", MODERATORS_POST),
    # administration
    ("admin.index", "GET", "/admin", ADMINS),
    ("admin.policies", "GET", "/admin/policies", ADMINS),
    ("admin.policy_moderation", "POST", "/admin/policies/{policy}/moderation", ADMINS_POST),
    ("admin.users", "GET", "/admin/users", ADMINS),
    ("admin.user_role", "POST", "/admin/users/{author_id}/role", ADMINS_POST),
    # operations: probes for the load balancer, and metrics (the test client connects from loopback, which
    # may read them; from elsewhere they need METRICS_TOKEN — see test_observability.py)
    ("observability.healthz", "GET", "/healthz", PUBLIC),
    ("observability.readyz", "GET", "/readyz", PUBLIC),
    ("observability.metrics", "GET", "/metrics", PUBLIC),
    # analysis: public search, activity and "what we heard"; the workbench for staff; answering by theme for drafters
    ("analysis.public_search", "GET", V + "/search?q=consent", PUBLIC),
    ("analysis.public_search", "GET", W + "/search?q=consent", same(404)),
    ("analysis.activity", "GET", V + "/activity", PUBLIC),
    ("analysis.what_we_heard", "GET", V + "/what-we-heard", PUBLIC),
    ("analysis.what_we_heard_pdf", "GET", V + "/what-we-heard.pdf", PUBLIC),
    ("analysis.index", "GET", "/analysis/", STAFF_READERS),
    ("analysis.workbench", "GET", AN, STAFF_READERS),
    ("analysis.workbench", "GET", "/analysis/{policy}/{working}", row(LOGIN, 403, 404, 404, 404, 404)),
    ("analysis.tag_items", "POST", AN + "/tag", STAFF_POST),
    ("analysis.untag", "POST", AN + "/untag", STAFF_POST),
    ("analysis.item", "GET", AN + "/items/comment/{comment_id}", STAFF_READERS),
    ("analysis.item", "POST", AN + "/items/comment/{comment_id}", STAFF_POST),
    ("analysis.codebook", "GET", "/analysis/{policy}/codebook", STAFF_READERS),
    ("analysis.codebook", "POST", "/analysis/{policy}/codebook", STAFF_POST),
    ("analysis.edit_tag", "POST", "/analysis/{policy}/codebook/{tag_id}", STAFF_POST),
    ("analysis.progress", "GET", AN + "/progress", STAFF_READERS),
    ("analysis.progress", "POST", AN + "/progress", STAFF_POST),
    ("analysis.themes", "GET", AN + "/themes", STAFF_READERS),
    ("analysis.themes", "POST", AN + "/themes", STAFF_POST),
    ("analysis.decide", "POST", AN + "/themes/{suggestion_id}", STAFF_POST),
    ("analysis.staff_charts", "GET", AN + "/charts", STAFF_READERS),
    ("analysis.export_csv", "GET", AN + "/export.csv", STAFF_READERS),
    ("analysis.export_xlsx", "GET", AN + "/export.xlsx", STAFF_READERS),
    ("analysis.answer_tag", "GET", AN + "/tags/{tag_id}/response", DRAFTERS),
    ("analysis.answer_tag", "POST", AN + "/tags/{tag_id}/response", DRAFTERS_POST),
]


@pytest.fixture
def seeded(session) -> SimpleNamespace:
    """Two published versions and a working one, comments (one held), a campaign, a placement, people."""
    first = make_version(session, label="First draft", open_for_comment=False)
    version = make_version(session, label="Second draft")
    working = make_version(session, label="Third draft", status="working", open_for_comment=False)
    author = make_user(session)
    comment = make_comment(session, author, version, clause_key="purpose-1")
    held = make_comment(session, author, version, clause_key="purpose-2", body="Waiting.", state="held")
    group = CampaignGroup(version_id=version.id, clause_id=comment.clause_id, fingerprint="x", member_count=1)
    session.add(group)
    session.flush()
    comment.campaign_group_id = group.id
    placement = CommentPlacement(
        comment_id=comment.id, version_id=version.id, clause_key="purpose-1", status="needs_review"
    )
    session.add(placement)
    users = {role: make_user(session, role) for role in ROLES[1:]}
    tag = Tag(policy_id=version.policy_id, name="Consent")
    session.add(tag)
    run = ThemeRun(version_id=version.id, status="done")
    session.add(run)
    session.flush()
    suggestion = ThemeSuggestion(run_id=run.id, label="consent", members=[["comment", comment.id]])
    session.add(suggestion)
    session.commit()
    return SimpleNamespace(
        users=users,
        values={
            "policy": version.policy.slug,
            "first": first.slug,
            "version": version.slug,
            "working": working.slug,
            "comment_id": comment.id,
            "held_id": held.id,
            "tracking": comment.tracking_number,
            "held_tracking": held.tracking_number,
            "group_id": group.id,
            "placement_id": placement.id,
            "author_id": author.id,
            "tag_id": tag.id,
            "suggestion_id": suggestion.id,
        },
    )


def verdict(response, expected: object) -> bool:
    status = response.status_code
    location = response.headers.get("Location", "")
    to_login = status in (301, 302, 303) and "/login" in location
    if expected == LOGIN:
        return to_login
    if expected == OK:
        return status < 500 and status not in (401, 403, 404, 405) and not to_login
    if expected in (302, 303):
        return status == expected and not to_login
    return status == expected


def describe(response) -> object:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/login" in location:
        return LOGIN
    return response.status_code


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "expected"),
    MATRIX,
    ids=[f"{method} {path}" for _, method, path, _ in MATRIX],
)
def test_route_answers_each_role_as_declared(app, seeded, endpoint, method, path, expected):
    url = path.format(**seeded.values)
    actual: dict[str, object] = {}
    wrong: dict[str, object] = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            assert login(client, seeded.users[role]).status_code == 302, f"could not sign in as {role}"
        response = client.open(url, method=method, data={})
        actual[role] = describe(response)
        if not verdict(response, expected[role]):
            wrong[role] = actual[role]
        response.close()
    assert not wrong, f"{method} {url} ({endpoint}): expected {expected}, got {actual}"


def test_every_route_is_in_the_matrix(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(endpoint, method) for endpoint, method, _, _ in MATRIX}
    missing = sorted(routes - covered)
    stale = sorted(covered - routes)
    assert not missing, f"routes missing from the access matrix (add a line to MATRIX): {missing}"
    assert not stale, f"MATRIX lists routes that no longer exist: {stale}"


def test_verdicts_never_pass_errors_or_refusals_as_ok():
    """Guard the OK marker: it must never let a server error or a refusal through."""
    fake = SimpleNamespace
    assert not verdict(fake(status_code=500, headers={}), OK)
    assert not verdict(fake(status_code=403, headers={}), OK)
    assert not verdict(fake(status_code=302, headers={"Location": "/login?next=/x"}), OK)
    assert verdict(fake(status_code=302, headers={"Location": "/login?next=/x"}), LOGIN)
    assert verdict(fake(status_code=400, headers={}), OK)
