"""Who may reach what: every route of the app, for every kind of person, GET and POST.

Each row of MATRIX is one request (endpoint, method, path) and the status each role should get. A route that
MATRIX does not cover fails `test_every_route_is_in_the_matrix`: adding a route means adding a line here.

Expected values: an int is an exact status; LOGIN is a redirect to the sign-in page; OK is "let in": anything
below 500 except 401/403/404/405 and a redirect to sign in (a POST with an empty form may fairly answer 400).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.events import services as event_services
from app.models import (
    Attachment,
    CampaignGroup,
    CommentPlacement,
    ImportRun,
    PolicyDocument,
    PolicyFollow,
    Tag,
    ThemeRun,
    ThemeSuggestion,
)
from app.notify import tokens as notify_tokens
from app.submissions import storage
from tests.factories import login, make_comment, make_submission, make_user, make_version

ROLES = ("anonymous", "commenter", "drafter", "reviewer", "moderator", "admin", "intake")
LOGIN = "login"
OK = "ok"


def row(anonymous, commenter, drafter, reviewer, moderator, admin, intake=None) -> dict[str, object]:
    """Expected verdicts; the intake role is a commenter everywhere but where a row says otherwise."""
    values = (
        anonymous,
        commenter,
        drafter,
        reviewer,
        moderator,
        admin,
        commenter if intake is None else intake,
    )
    return dict(zip(ROLES, values, strict=True))


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
    # "do not publish": staff read it, the public (signed in or not) finds nothing there
    ("comments.thread", "GET", "/comments/{private_comment_id}", row(404, 404, 200, 200, 200, 200)),
    ("comments.reply", "POST", "/comments/{comment_id}/reply", SIGNED_IN_POST),
    ("comments.edit", "GET", "/comments/{comment_id}/edit", NOT_AUTHOR),
    ("comments.edit", "POST", "/comments/{comment_id}/edit", NOT_AUTHOR),
    ("comments.withdraw", "GET", "/comments/{comment_id}/withdraw", NOT_AUTHOR),
    ("comments.withdraw", "POST", "/comments/{comment_id}/withdraw", NOT_AUTHOR),
    ("comments.campaign", "GET", V + "/campaigns/{group_id}", PUBLIC),
    ("comments.receipts", "GET", "/receipts", PUBLIC),
    ("comments.receipt", "GET", "/receipts/{tracking}", PUBLIC),
    ("comments.receipt", "GET", "/receipts/{held_tracking}", row(404, 404, 200, 200, 200, 200)),
    ("comments.receipt", "GET", "/receipts/{private_comment_tracking}", row(404, 404, 200, 200, 200, 200)),
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
    # consultations: created and described in the browser, supporting documents
    ("consultations.new", "GET", "/consultations/new", DRAFTERS),
    ("consultations.new", "POST", "/consultations/new", DRAFTERS_POST),
    ("consultations.describe", "GET", "/policies/{policy}/describe", DRAFTERS),
    ("consultations.describe", "POST", "/policies/{policy}/describe", DRAFTERS_POST),
    ("consultations.add_document", "POST", "/policies/{policy}/documents", DRAFTERS_POST),
    # (a document that is not there: a real one would be gone after the first drafter's request)
    (
        "consultations.remove_document",
        "POST",
        "/policies/{policy}/documents/999999/remove",
        row(LOGIN, 403, 404, 403, 403, 404),
    ),
    ("consultations.document", "GET", "/policies/{policy}/documents/{document_id}", PUBLIC),
    ("consultations.keep_open", "POST", DP + "/keep-open", DRAFTERS_POST),
    ("consultations.keep_open", "POST", D + "/keep-open", row(LOGIN, 403, 404, 403, 403, 404)),
    ("consultations.document", "GET", "/policies/{policy}/documents/{link_id}", same(404)),
    # drafting: the structure editor (a POST on a published version is refused with 409, so each role's try
    # leaves the next one something to refuse), discard, publish with review
    ("drafting.add_section", "POST", D + "/sections/new", DRAFTERS_POST),
    ("drafting.rename_section", "POST", D + "/sections/purpose/rename", DRAFTERS_POST),
    ("drafting.move_section", "POST", D + "/sections/purpose/move", DRAFTERS_POST),
    ("drafting.delete_section", "GET", D + "/sections/purpose/delete", DRAFTERS),
    ("drafting.delete_section", "POST", DP + "/sections/purpose/delete", DRAFTERS_POST),
    ("drafting.clauses", "GET", D + "/sections/purpose/clauses", DRAFTERS),
    ("drafting.add_clause", "POST", D + "/sections/purpose/clauses/new", DRAFTERS_POST),
    ("drafting.reword_clause", "POST", D + "/clauses/purpose-1/reword", DRAFTERS_POST),
    ("drafting.move_clause", "POST", D + "/clauses/purpose-1/move", DRAFTERS_POST),
    ("drafting.delete_clause", "GET", D + "/clauses/purpose-1/delete", DRAFTERS),
    ("drafting.delete_clause", "POST", DP + "/clauses/purpose-1/delete", DRAFTERS_POST),
    ("drafting.discard", "GET", D + "/discard", DRAFTERS),
    ("drafting.discard", "POST", DP + "/discard", DRAFTERS_POST),
    ("drafting.request_publication", "POST", D + "/request-publication", DRAFTERS_POST),
    ("drafting.withdraw_request", "POST", D + "/withdraw-request", DRAFTERS_POST),
    ("drafting.review_publication", "GET", D + "/review", DRAFTERS),
    ("drafting.approve", "POST", D + "/approve", DRAFTERS_POST),
    ("drafting.publish", "GET", D + "/publish", DRAFTERS),
    ("drafting.signoffs", "POST", "/drafting/{policy}/signoffs", ADMINS_POST),
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
    # the site's own pages (footer links)
    ("site.accessibility", "GET", "/accessibility", PUBLIC),
    ("site.contact", "GET", "/contact", PUBLIC),
    ("site.favicon", "GET", "/favicon.ico", same(301)),
    ("privacy.export", "GET", "/account/export", SIGNED_IN),
    ("privacy.delete", "GET", "/account/delete", SIGNED_IN),
    ("privacy.delete", "POST", "/account/delete", row(LOGIN, 422, 422, 422, 422, 422)),
    # moderation
    ("moderation.report", "GET", "/comments/{tracking}/report", SIGNED_IN),
    ("moderation.report", "GET", "/comments/{held_tracking}/report", row(LOGIN, 404, 200, 200, 200, 200)),
    (
        "moderation.report",
        "GET",
        "/comments/{private_comment_tracking}/report",
        row(LOGIN, 404, 200, 200, 200, 200),
    ),
    # redaction, as of submissions: moderators and reviewers (and admins)
    ("moderation.redact", "POST", "/comments/{tracking}/redact", row(LOGIN, 403, 403, OK, OK, OK, 403)),
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
    # notifications: following a policy, confirming a follow by email, one-click unsubscribe, settings
    ("notify.follow", "GET", "/policies/{policy}/follow", PUBLIC),
    ("notify.follow_post", "POST", "/policies/{policy}/follow", row(422, 302, 302, 302, 302, 302)),
    ("notify.unfollow", "POST", "/policies/{policy}/unfollow", row(LOGIN, 302, 302, 302, 302, 302)),
    ("notify.confirm_follow", "GET", "/follow/confirm/{follow_token}", PUBLIC),
    ("notify.confirm_follow", "GET", "/follow/confirm/not-a-real-token", same(400)),
    ("notify.confirm_follow", "POST", "/follow/confirm/{follow_token}", PUBLIC),
    ("notify.unsubscribe", "GET", "/unsubscribe/{unsubscribe_token}", PUBLIC),
    ("notify.unsubscribe", "GET", "/unsubscribe/not-a-real-token", same(400)),
    ("notify.unsubscribe_post", "POST", "/unsubscribe/{unsubscribe_token}", PUBLIC),
    ("notify.save_settings", "POST", "/account/notifications", row(LOGIN, 302, 302, 302, 302, 302)),
    # open data: the JSON API (no cookie authentication: a signed-in visitor is the public there), exports,
    # feeds, Akoma Ntoso, the docs page and the account's access tokens
    ("api.policies", "GET", "/api/v1/policies", PUBLIC),
    ("api.policy", "GET", "/api/v1/policies/{policy}", PUBLIC),
    ("api.version", "GET", "/api/v1" + V, PUBLIC),
    ("api.version", "GET", "/api/v1" + W, same(404)),
    ("api.compare", "GET", "/api/v1/policies/{policy}/compare/{first}/{version}", PUBLIC),
    ("api.compare", "GET", "/api/v1/policies/{policy}/compare/{version}/{working}", same(404)),
    ("api.comments", "GET", "/api/v1" + V + "/comments", PUBLIC),
    ("api.comments", "GET", "/api/v1" + W + "/comments", same(404)),
    ("api.post_comment", "POST", "/api/v1" + V + "/comments", same(401)),  # a token, never a cookie
    ("api.comment", "GET", "/api/v1/comments/{tracking}", PUBLIC),
    ("api.comment", "GET", "/api/v1/comments/{held_tracking}", same(404)),  # staff need a staff:read token
    ("api.comment", "GET", "/api/v1/comments/{private_comment_tracking}", same(404)),
    ("api.responses", "GET", "/api/v1" + V + "/responses", PUBLIC),
    ("api.moderation_log", "GET", "/api/v1/moderation-log", PUBLIC),
    # submissions and question results: a signed-in cookie changes nothing (staff need a staff:read token)
    ("api.submissions", "GET", "/api/v1" + V + "/submissions", PUBLIC),
    ("api.submissions", "GET", "/api/v1" + W + "/submissions", same(404)),
    ("api.post_submission", "POST", "/api/v1" + V + "/submissions", same(401)),
    ("api.post_attachment", "POST", "/api/v1/submissions/{sub_tracking}/attachments", same(401)),
    ("api.submission", "GET", "/api/v1/submissions/{sub_tracking}", PUBLIC),
    ("api.submission", "GET", "/api/v1/submissions/{private_tracking}", same(404)),
    ("api.submission", "GET", "/api/v1/submissions/{draft_tracking}", same(404)),
    ("api.results", "GET", "/api/v1" + V + "/results", PUBLIC),
    ("api.results", "GET", "/api/v1" + W + "/results", same(404)),
    ("api.question_answers", "GET", "/api/v1" + V + "/questions/2147483647/answers", same(404)),
    ("api.token_info", "GET", "/api/v1/token", same(401)),
    ("api-docs.openapi_json", "GET", "/api/v1/openapi.json", PUBLIC),
    ("api_docs.docs", "GET", "/api/v1/docs", PUBLIC),
    ("exports.annotation_collection", "GET", "/api/v1" + V + "/annotations", PUBLIC),
    ("exports.annotation_collection", "GET", "/api/v1" + W + "/annotations", same(404)),
    *[
        (f"exports.{view}_export_{kind}_{fmt}", "GET", path, expected)
        for kind in ("comments", "submissions", "responses")
        for fmt in ("csv", "jsonl", "xlsx")
        for view, path, expected in (
            ("version", f"/api/v1{V}/{kind}.{fmt}", PUBLIC),
            ("version", f"/api/v1{W}/{kind}.{fmt}", same(404)),
            ("policy", f"/api/v1/policies/{{policy}}/{kind}.{fmt}", PUBLIC),
        )
    ],
    ("opendata.consultations_feed", "GET", "/feeds/consultations.atom", PUBLIC),
    ("opendata.versions_feed", "GET", "/policies/{policy}/versions.atom", PUBLIC),
    ("opendata.comments_feed", "GET", V + "/comments.atom", PUBLIC),
    ("opendata.comments_feed", "GET", W + "/comments.atom", same(404)),
    ("opendata.responses_feed", "GET", V + "/responses.atom", PUBLIC),
    ("opendata.akoma_ntoso", "GET", V + ".akn.xml", PUBLIC),
    ("opendata.akoma_ntoso", "GET", W + ".akn.xml", same(404)),
    ("tokens.index", "GET", "/account/tokens", SIGNED_IN),
    ("tokens.create", "POST", "/account/tokens", SIGNED_IN_POST),
    ("tokens.revoke", "POST", "/account/tokens/2147483647/revoke", row(LOGIN, 404, 404, 404, 404, 404)),
    # operations: probes for the load balancer, and metrics (the test client connects from loopback, which
    # may read them; from elsewhere they need METRICS_TOKEN — see test_observability.py)
    ("observability.healthz", "GET", "/healthz", PUBLIC),
    ("observability.readyz", "GET", "/readyz", PUBLIC),
    ("observability.metrics", "GET", "/metrics", PUBLIC),
    # whole-version submissions
    ("submissions.submission_form", "GET", V + "/submission", SIGNED_IN),
    ("submissions.submission_form", "POST", V + "/submission", SIGNED_IN_POST),
    ("submissions.version_submissions", "GET", V + "/submissions", PUBLIC),
    ("submissions.version_submissions", "GET", W + "/submissions", same(404)),  # working versions take none
    ("submissions.results", "GET", V + "/results", PUBLIC),
    ("submissions.receipt", "GET", "/submissions/{sub_tracking}", PUBLIC),
    ("submissions.receipt", "GET", "/submissions/{private_tracking}", row(404, 404, 200, 200, 200, 200, 404)),
    ("submissions.receipt", "GET", "/submissions/{draft_tracking}", same(404)),
    ("submissions.attachment", "GET", "/submissions/{sub_tracking}/attachments/{attachment_id}", PUBLIC),
    (
        "submissions.attachment",
        "GET",
        "/submissions/{private_tracking}/attachments/{private_attachment_id}",
        row(404, 404, 200, 200, 200, 200, 404),
    ),
    ("submissions.questions", "GET", DP + "/questions", DRAFTERS),
    ("submissions.questions", "POST", DP + "/questions", DRAFTERS_POST),
    ("submissions.questions", "GET", D + "/questions", DRAFTERS),
    ("submissions.queue", "GET", "/moderation/submissions", MODERATORS),
    (
        "submissions.redact",
        "POST",
        "/submissions/{sub_tracking}/redact",
        row(LOGIN, 403, 403, OK, OK, OK, 403),
    ),
    ("submissions.moderate", "POST", "/moderation/submissions/{sub_tracking}/approve", MODERATORS_POST),
    (
        "submissions.confirm_organisation",
        "POST",
        "/submissions/{sub_tracking}/confirm-organisation",
        row(LOGIN, 403, OK, OK, OK, OK, OK),
    ),
    # staff intake of offline submissions
    ("intake.index", "GET", "/intake/", row(LOGIN, 403, 200, 403, 403, 200, 200)),
    ("intake.enter", "GET", "/intake/{policy}/{version}", row(LOGIN, 403, 200, 403, 403, 200, 200)),
    ("intake.enter", "POST", "/intake/{policy}/{version}", row(LOGIN, 403, OK, 403, 403, OK, OK)),
    (
        "intake.import_table",
        "GET",
        "/intake/{policy}/{version}/import",
        row(LOGIN, 403, 200, 403, 403, 200, 200),
    ),
    (
        "intake.import_table",
        "POST",
        "/intake/{policy}/{version}/import",
        row(LOGIN, 403, OK, 403, 403, OK, OK),
    ),
    # a web import's page and progress: only the staff member who started it (anyone else: 404)
    ("intake.import_run", "GET", "/intake/imports/{import_run_id}", row(LOGIN, 403, 404, 403, 403, 404, 200)),
    (
        "intake.import_progress",
        "GET",
        "/intake/imports/{import_run_id}/progress",
        row(LOGIN, 403, 404, 403, 403, 404, 200),
    ),
    # engagement events: intake staff and drafters record them and their summaries (listed on public pages)
    ("events.index", "GET", "/intake/{policy}/{version}/events", row(LOGIN, 403, 200, 403, 403, 200, 200)),
    ("events.new", "GET", "/intake/{policy}/{version}/events/new", row(LOGIN, 403, 200, 403, 403, 200, 200)),
    ("events.new", "POST", "/intake/{policy}/{version}/events/new", row(LOGIN, 403, OK, 403, 403, OK, OK)),
    ("events.new", "GET", "/intake/{policy}/{working}/events/new", row(LOGIN, 403, 404, 403, 403, 404, 404)),
    ("events.edit", "GET", "/intake/events/{event_id}/edit", row(LOGIN, 403, 200, 403, 403, 200, 200)),
    ("events.edit", "POST", "/intake/events/{event_id}/edit", row(LOGIN, 403, OK, 403, 403, OK, OK)),
    ("events.summary", "GET", "/intake/events/{event_id}/summary", row(LOGIN, 403, 200, 403, 403, 200, 200)),
    ("events.summary", "POST", "/intake/events/{event_id}/summary", row(LOGIN, 403, OK, 403, 403, OK, OK)),
    # an event with a summary is never deleted (409 for staff); an unknown event is 404 for them
    ("events.delete", "POST", "/intake/events/{event_id}/delete", row(LOGIN, 403, 409, 403, 403, 409, 409)),
    ("events.edit", "GET", "/intake/events/2147483647/edit", row(LOGIN, 403, 404, 403, 403, 404, 404)),
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
    # campaign groups: staff look, split and merge; drafters answer a group or a search result at once
    ("analysis.campaign_groups", "GET", AN + "/groups", STAFF_READERS),
    ("analysis.campaign_group", "GET", AN + "/groups/{group_id}", STAFF_READERS),
    ("analysis.split_group", "POST", AN + "/groups/{group_id}/split", STAFF_POST),
    ("analysis.split_off_group", "POST", AN + "/groups/{group_id}/split-off", STAFF_POST),
    ("analysis.merge_group", "POST", AN + "/groups/{group_id}/merge", STAFF_POST),
    ("analysis.answer_campaign_group", "GET", AN + "/groups/{group_id}/response", DRAFTERS),
    ("analysis.answer_campaign_group", "POST", AN + "/groups/{group_id}/response", DRAFTERS_POST),
    ("analysis.answer_search", "GET", AN + "/response?q=consent", DRAFTERS),
    ("analysis.answer_search", "POST", AN + "/response", DRAFTERS_POST),
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
    private_comment = make_comment(
        session, author, version, clause_key="purpose-2", body="For the team.", display_as="private"
    )
    group = CampaignGroup(
        version_id=version.id,
        clause_id=comment.clause_id,
        fingerprint="x",
        member_count=1,
        representative_id=comment.id,  # kept on the group, as the services keep it
    )
    session.add(group)
    session.flush()
    comment.campaign_group_id = group.id
    placement = CommentPlacement(
        comment_id=comment.id, version_id=version.id, clause_key="purpose-1", status="needs_review"
    )
    session.add(placement)
    users = {role: make_user(session, role) for role in ROLES[1:]}
    document = PolicyDocument(
        policy_id=version.policy_id,
        position=1,
        title="Paper",
        filename="paper.txt",
        media_type="text/plain",
        size=5,
        content=b"Paper",
    )
    link = PolicyDocument(
        policy_id=version.policy_id, position=2, title="Elsewhere", url="https://example.org/"
    )
    session.add_all([document, link])
    follow = PolicyFollow(policy_id=version.policy_id, email="reader@example.org")
    session.add(follow)
    session.flush()
    secret = "test-secret-key-not-for-production"  # tests.support.database.app_config's SECRET_KEY
    submission = make_submission(session, author, version, "On the whole draft.")
    private = make_submission(session, make_user(session), version, "Not for the public.", consent="private")
    draft = make_submission(session, make_user(session), version, "Half done.", send=False)
    attachments = []
    for owner in (submission, private):
        data = b"Plain text attachment."
        file = Attachment(
            submission=owner,
            content_hash=storage.store(data),
            filename="a.txt",
            kind="txt",
            size_bytes=len(data),
        )
        session.add(file)
        attachments.append(file)
    session.flush()
    tag = Tag(policy_id=version.policy_id, name="Consent")
    session.add(tag)
    run = ThemeRun(version_id=version.id, status="done")
    session.add(run)
    session.flush()
    suggestion = ThemeSuggestion(run_id=run.id, label="consent", members=[["comment", comment.id]])
    session.add(suggestion)
    import_run = ImportRun(
        version_id=version.id, staff_id=users["intake"].id, filename="paper.csv", status="done", rows_total=1
    )
    session.add(import_run)
    event = event_services.create_event(
        session,
        users["intake"],
        version,
        event_services.EventInput(
            kind="hui",
            held_on=(dt.date.today() - dt.timedelta(days=3)).isoformat(),
            place="Marae",
            region="Waikato",
            host="Hosts",
            attendees="12",
        ),
    )
    event_services.save_summary(
        session, users["intake"], event, event_services.SummaryInput("We heard a lot.")
    )
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
            "private_comment_id": private_comment.id,
            "private_comment_tracking": private_comment.tracking_number,
            "group_id": group.id,
            "placement_id": placement.id,
            "author_id": author.id,
            "document_id": document.id,
            "link_id": link.id,
            "follow_token": notify_tokens.make_follow_token(secret, follow.id, "reader@example.org"),
            "unsubscribe_token": notify_tokens.make_unsubscribe_token(
                secret, notify_tokens.Unsubscribe(user_id=author.id, kind="reply")
            ),
            "sub_tracking": submission.tracking_number,
            "private_tracking": private.tracking_number,
            "draft_tracking": draft.tracking_number,
            "attachment_id": attachments[0].id,
            "private_attachment_id": attachments[1].id,
            "tag_id": tag.id,
            "suggestion_id": suggestion.id,
            "import_run_id": import_run.id,
            "event_id": event.id,
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
