"""/api/v1: the public, read-only JSON API, and writing comments with a personal access token.

Views are thin, as everywhere: look up through `app.access`, read through `app.api.listing` or call the same
comment service the form calls, and return. The request boundary commits. Refusals are domain errors that
`app.errors` answers as problem+json. Whole-version submissions and question results are operations on this
blueprint too, in `app.api.submission_views`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema

from app.access import (
    get_clause_or_404,
    get_comment_for_reader_or_404,
    get_policy_or_404,
    get_version_or_404,
)
from app.api import idempotency, listing, presenters, tokens
from app.api import schemas as s
from app.api.blueprint import open_data_blueprint
from app.api.requests import (
    TokenRejectedError,
    current_token,
    decode_cursor,
    encode_cursor,
    rate_key,
    reader,
    require_scope,
    requires,
)
from app.boundary import current_session
from app.comments import admission
from app.comments import services as comment_services
from app.comments.inputs import QuoteInput
from app.diffing.listing import previous_public
from app.diffing.services import compare_versions
from app.exceptions import InputError
from app.extensions import limiter
from app.moderation.services import public_log

bp = open_data_blueprint("api", __name__, "Kōrero's public data, and commenting with a token.")

WRITE_LIMIT = "10 per minute;100 per day"  # as the comment form's
WRITE_PROBLEMS = (400, 401, 403, 404, 409, 422, 429)
IMMUTABLE_MAX_AGE = 300  # a published version's text never changes; its period and status rarely do

F = TypeVar("F", bound=Callable[..., Any])


def token_write(
    scope: str,
    body: type[Schema],
    reply: type[Schema],
    done: str,
    *,
    location: str = "json",
    also: tuple[int, ...] = (),
) -> Callable[[F], F]:
    """The request side of a POST made with a token, the same for every one: the write rate limit, `scope`
    checked before the body is read, the body parsed by the `body` schema from `location` ("json", or "files"
    for multipart) and passed to the view, a 201 with `reply`, and the Idempotency-Key header and the problem
    replies (`WRITE_PROBLEMS` and `also`) documented; `done` says what the key makes happen once."""

    def decorate(view: F) -> F:
        wrapped: Callable[..., Any] = view
        # Innermost first: the order of a stack of decorators read from the bottom up.
        for wrap in (
            bp.problems(*sorted(WRITE_PROBLEMS + also)),
            bp.doc(security=[{"token": [scope]}], parameters=[idempotency.key_parameter(done)]),
            bp.response(201, reply),
            bp.arguments(body, location=location),
            requires(scope),
            limiter.limit(
                lambda: current_app.config.get("API_WRITE_LIMIT", WRITE_LIMIT),
                key_func=rate_key,
                scope="api-write",
            ),
        ):
            wrapped = wrap(wrapped)
        return cast(F, wrapped)

    return decorate


def _page(items: list[Any], limit: int, listing_name: str, position: Any) -> dict[str, Any]:
    more = len(items) > limit
    return {
        "items": items[:limit],
        "next_cursor": encode_cursor(listing_name, position(items[limit - 1])) if more else None,
    }


def _cacheable(etag_source: str, public: bool = True) -> tuple[str, dict[str, str]]:
    etag = hashlib.sha256(etag_source.encode()).hexdigest()[:32]
    headers = {"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={IMMUTABLE_MAX_AGE}"}
    if not public:
        headers["Cache-Control"] = "private, no-store"
    return etag, headers


def _not_modified(etag: str, headers: dict[str, str]) -> Response | None:
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return None


# --- policies and versions -----------------------------------------------------------------------------


@bp.get("/policies")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@bp.response(200, s.PolicyPage)
@bp.problems(400, 422, 429)
def policies(limit: int, cursor: str | None = None) -> ResponseReturnValue:
    """List the policies under consultation."""
    session = current_session()
    found = listing.policies_page(session, decode_cursor("policies", cursor), limit)
    page = _page(found, limit, "policies", lambda p: p.id)
    page["items"] = [presenters.policy(p, listing.public_versions(session, p)) for p in page["items"]]
    return page


@bp.get("/policies/<policy_slug>")
@bp.response(200, s.PolicyOut)
@bp.problems(404, 429)
def policy(policy_slug: str) -> ResponseReturnValue:
    """One policy and its public versions."""
    found = get_policy_or_404(policy_slug)
    return presenters.policy(found, listing.public_versions(current_session(), found))


@bp.get("/policies/<policy_slug>/versions/<version_slug>")
@bp.response(200, s.VersionOut, headers={"ETag": {"schema": {"type": "string"}}})
@bp.problems(404, 429)
def version(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """A published version with its sections and clauses (keys, numbers, Markdown and plain text)."""
    found = get_version_or_404(policy_slug, version_slug)
    etag, headers = _cacheable(
        f"{found.id}:{found.content_hash}:{found.status}:{found.comments_open_at}:{found.comments_close_at}"
    )
    unchanged = _not_modified(etag, headers)
    if unchanged is not None:
        return unchanged
    session = current_session()
    body = presenters.version(
        found, listing.version_sections(session, found), previous_public(session, found)
    )
    return body, 200, headers


@bp.get("/policies/<policy_slug>/compare/<from_slug>/<to_slug>")
@bp.response(200, s.CompareOut)
@bp.problems(404, 429)
def compare(policy_slug: str, from_slug: str, to_slug: str) -> ResponseReturnValue:
    """The changes between two published versions: the change list the compare page shows."""
    old = get_version_or_404(policy_slug, from_slug)
    new = get_version_or_404(policy_slug, to_slug)
    etag, headers = _cacheable(f"compare:{old.content_hash}:{new.content_hash}")
    unchanged = _not_modified(etag, headers)
    if unchanged is not None:
        return unchanged
    view = compare_versions(current_session(), old, new, current_app.config.get("REDIS_URL"))
    return presenters.comparison(policy_slug, old, new, view), 200, headers


# --- comments ------------------------------------------------------------------------------------------------


@bp.get("/policies/<policy_slug>/versions/<version_slug>/comments")
@bp.arguments(s.CommentFilters, location="query", as_kwargs=True)
@bp.response(200, s.CommentPage)
@bp.problems(400, 401, 404, 422, 429)
def comments(policy_slug: str, version_slug: str, limit: int, **filters: Any) -> ResponseReturnValue:
    """Comments on a version, oldest first: published ones and tombstones (held ones with a staff token)."""
    found = get_version_or_404(policy_slug, version_slug)
    cursor = filters.pop("cursor", None)
    who = reader()
    session = current_session()
    rows = listing.comments_page(
        session, found, who, listing.CommentQuery(**filters), decode_cursor("comments", cursor), limit
    )
    page = _page(rows, limit, "comments", lambda c: c.id)
    answers = listing.responses_for(session, page["items"])
    page["items"] = [presenters.comment(who, c, listing.response_of(answers, c)) for c in page["items"]]
    return page


@bp.get("/comments/<tracking_number>")
@bp.response(200, s.CommentOut)
@bp.problems(401, 404, 429)
def comment(tracking_number: str) -> ResponseReturnValue:
    """One comment by its tracking number."""
    who = reader()
    found = get_comment_for_reader_or_404(tracking_number, who)
    answers = listing.responses_for(current_session(), [found])
    return presenters.comment(who, found, listing.response_of(answers, found))


@bp.post("/policies/<policy_slug>/versions/<version_slug>/comments")
@token_write(tokens.COMMENTS_WRITE, s.CommentIn, s.ReceiptOut, "comment is made", also=(503,))
def post_comment(data: dict[str, Any], policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Post a comment (or a reply) as the token's owner, by the same rules as the comment form."""
    token, user = require_scope(tokens.COMMENTS_WRITE)
    found = get_version_or_404(policy_slug, version_slug)

    def run() -> tuple[dict[str, Any], int]:
        session = current_session()
        admission.admit()  # a turn to store it (a replay needs none), or 503 with Retry-After
        if data.get("in_reply_to"):
            parent = get_comment_for_reader_or_404(data["in_reply_to"], user)
            if parent.version_id != found.id:
                raise InputError(_("That comment is on another version."), field="in_reply_to")
            made = comment_services.post_reply(session, user, parent, data["body"], data["display_as"])
        else:
            if not data.get("clause_key"):
                raise InputError(_("Say which clause the comment is on."), field="clause_key")
            clause = get_clause_or_404(found, data["clause_key"])
            quote = data.get("quote")
            passage = (
                QuoteInput.from_form(
                    quote["exact"], quote["prefix"], quote["suffix"], str(quote["start"] or "")
                )
                if quote
                else None
            )
            made = comment_services.post_comment(
                session, user, clause, data["body"], data["display_as"], passage
            )
        if made.state == "held":
            message = _("Thank you. Your comment is waiting for a moderator; it will appear once approved.")
        else:
            message = _("Thank you. Your comment has been published.")
        receipt = {
            "tracking_number": made.tracking_number,
            "state": made.state,
            "message": message,
            "receipt_url": url_for("comments.receipt", tracking_number=made.tracking_number, _external=True),
            "comment": presenters.comment(user, made, None),
        }
        return s.ReceiptOut().dump(receipt), 201

    return idempotency.respond(current_session(), token, data, run, lambda body: body["comment"]["url"])


# --- responses, moderation, the token ------------------------------------------------------------------------


@bp.get("/policies/<policy_slug>/versions/<version_slug>/responses")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@bp.response(200, s.ResponsePage)
@bp.problems(400, 404, 422, 429)
def responses(
    policy_slug: str, version_slug: str, limit: int, cursor: str | None = None
) -> ResponseReturnValue:
    """The drafters' responses ("you said, we did") on a version, each naming what it answers."""
    found = get_version_or_404(policy_slug, version_slug)
    rows = listing.responses_page(current_session(), found, decode_cursor("responses", cursor), limit)
    page = _page(rows, limit, "responses", lambda r: r.id)
    page["items"] = [presenters.response_out(r) for r in page["items"]]
    return page


@bp.get("/moderation-log")
@bp.arguments(s.LogArgs, location="query", as_kwargs=True)
@bp.response(200, s.LogPage)
@bp.problems(400, 422, 429)
def moderation_log(limit: int, cursor: str | None = None) -> ResponseReturnValue:
    """The public moderation log, newest first: what was hidden or held, and why; no person is named."""
    found = public_log(current_session(), decode_cursor("moderation-log", cursor), limit)
    return {
        "items": [
            {
                "id": e.id,
                "created_at": e.created_at,
                "action": e.action,
                "tracking_number": e.tracking_number,
                "reason": e.reason,
                "by_system": e.by_system,
                "policy": e.link[0] if e.link else None,
                "version": e.link[1] if e.link else None,
                "clause_number": e.clause_number,
            }
            for e in found.entries
        ],
        "next_cursor": (
            encode_cursor("moderation-log", found.next_before) if found.next_before is not None else None
        ),
    }


@bp.get("/token")
@bp.response(200, s.TokenOut)
@bp.doc(security=[{"token": []}])
@bp.problems(401, 429)
def token_info() -> ResponseReturnValue:
    """The token this request carries: its name, scopes and owner."""
    token = current_token()
    if token is None:
        raise TokenRejectedError(_("Send a personal access token to see it."))
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "user": token.user.display_name,
        "created_at": token.created_at,
    }
