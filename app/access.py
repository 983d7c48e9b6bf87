"""Who may have what: one helper per resource that views call, aborting with 404 or 403 itself.

flaskr's `get_post(id, check_author=True)` habit, for every resource Kōrero has. Working versions are 404 (not
403) to everyone but drafters, so their existence is not revealed; so are comments a viewer may not see. The role
decorators send anonymous visitors to sign in and answer 403 to signed-in people without the role. Identifiers
from the URL or the query string that are not small positive integers are refused here as well, before any query
is built from them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.routing import IntegerConverter

from app.boundary import current_session
from app.extensions import login_manager
from app.i18n import safe_next
from app.models import Clause, Comment, Policy, PolicyDocument, Role, Section, User, Version, Viewer

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
T = TypeVar("T")

# The largest id any table holds: PostgreSQL's `integer`. Larger numbers in a URL can name nothing.
MAX_ID = 2**31 - 1
# Tracking numbers are short ("KR-7Q4M-2XHD"); anything longer names no comment and is not looked up.
TRACKING_NUMBER_MAX = 16


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: a positive integer that fits the database's id column, else the route is a 404."""

    # `map` is werkzeug's own parameter name.
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def viewer() -> Viewer:
    """Whoever is asking: the signed-in user, or the anonymous visitor."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def can_see_working() -> bool:
    """Working versions are private to drafters (and admins)."""
    return viewer().has_role(Role.DRAFTER)


# --- signing in and roles ------------------------------------------------------------------------------


def login_redirect() -> ResponseReturnValue:
    """Send an anonymous visitor to the sign-in page, to come back here afterwards."""
    target = safe_next(request.full_path.rstrip("?") if request.method == "GET" else request.path)
    if login_manager.login_view:
        return redirect(f"{request.root_path}/login?" + urlencode({"next": target}))
    return redirect("/login?" + urlencode({"next": target}))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Let in signed-in, active accounts holding any of `roles` (admins hold every role)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return login_redirect()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


signed_in_required = roles_required()
drafter_required = roles_required(Role.DRAFTER)
moderator_required = roles_required(Role.MODERATOR)
staff_required = roles_required(Role.DRAFTER, Role.REVIEWER, Role.MODERATOR)


# --- identifiers from the request ----------------------------------------------------------------------


def int_arg(name: str) -> int | None:
    """A keyset cursor or id from the query string: absent is None; anything but an id-sized integer is 400."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    return parse_id(raw.strip())


def parse_id(raw: str) -> int:
    """An id sent as text (a cursor, a hidden field): ASCII digits within the id range, else 400."""
    # str.isdigit() also accepts superscripts and other scripts' digits, which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        abort(400)
    return int(raw)


# --- policies, versions, sections, clauses ---------------------------------------------------------------


def _one_or_404(statement: Select[T]) -> T:
    found = current_session().scalar(statement)
    if found is None:
        abort(404)
    return found


def get_policy_or_404(policy_slug: str) -> Policy:
    return _one_or_404(select(Policy).where(Policy.slug == policy_slug))


def get_document_or_404(policy: Policy, document_id: int) -> PolicyDocument:
    """A supporting document of `policy` (a document id of another policy is 404 here)."""
    return _one_or_404(
        select(PolicyDocument).where(PolicyDocument.policy_id == policy.id, PolicyDocument.id == document_id)
    )


def get_version_or_404(policy_slug: str, version_slug: str, include_working: bool = False) -> Version:
    """A version of a policy: published ones for everyone; working ones only when asked for, and to drafters."""
    # One statement for both (every reading page and every POST starts here); the policy comes along loaded.
    version = current_session().scalar(
        select(Version)
        .join(Version.policy)
        .where(Policy.slug == policy_slug, Version.slug == version_slug)
        .options(contains_eager(Version.policy))
    )
    if version is None or (not version.is_public and not (include_working and can_see_working())):
        abort(404)
    return version


def get_section_or_404(version: Version, section_key: str) -> Section:
    return _one_or_404(select(Section).where(Section.version_id == version.id, Section.key == section_key))


def get_clause_or_404(version: Version, clause_key: str) -> Clause:
    # With its section: the page-cache tags of a comment on it name the section (no second round trip).
    return _one_or_404(
        select(Clause)
        .where(Clause.version_id == version.id, Clause.key == clause_key)
        .options(joinedload(Clause.section))
    )


def get_public_clause_or_404(policy_slug: str, version_slug: str, clause_key: str) -> tuple[Version, Clause]:
    """A clause of a published version, the thing people comment on.

    One statement for the version, its policy, the clause and its section: every comment POST starts here.
    """
    found = (
        current_session()
        .execute(
            select(Version, Clause)
            .join(Version.policy)
            .join(Clause, Clause.version_id == Version.id)
            .where(Policy.slug == policy_slug, Version.slug == version_slug, Clause.key == clause_key)
            .options(contains_eager(Version.policy), joinedload(Clause.section))
        )
        .first()
    )
    if found is None or not found[0].is_public:
        abort(404)
    return found[0], found[1]


# --- comments and users ----------------------------------------------------------------------------------


def get_comment_or_404(comment_id: int) -> Comment:
    """A comment the viewer may see (its words or its tombstone); anything else is 404."""
    from app.comments.visibility import can_view_comment

    comment = current_session().get(Comment, comment_id)
    if comment is None or not can_view_comment(viewer(), comment):
        abort(404)
    return comment


def signed_in_user() -> User:
    """The signed-in account, in views behind `signed_in_required`, a role decorator or `login_required`."""
    user = viewer()
    if not isinstance(user, User):
        abort(401)  # only reached if a view forgot its decorator
    return user


def get_tracked_comment_or_404(tracking_number: str) -> Comment:
    """A comment by its tracking number (any case), if the viewer may see it; anything else is 404."""
    number = (tracking_number or "").strip().upper()
    if not number or len(number) > TRACKING_NUMBER_MAX:
        abort(404)
    from app.comments.visibility import can_view_comment

    comment = current_session().scalar(select(Comment).where(Comment.tracking_number == number))
    if comment is None or not can_view_comment(viewer(), comment):
        abort(404)
    return comment


def get_user_or_404(user_id: int) -> User:
    user = current_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def get_comment_for_reader_or_404(tracking_number: str, reader: Viewer) -> Comment:
    """A comment by tracking number for an API reader (who is named by a token, never by a cookie)."""
    number = (tracking_number or "").strip().upper()
    if not number or len(number) > TRACKING_NUMBER_MAX:
        abort(404)
    from app.comments.visibility import can_view_comment

    comment = _one_or_404(select(Comment).where(Comment.tracking_number == number))
    if not can_view_comment(reader, comment):
        abort(404)
    return comment


# --- submissions ---------------------------------------------------------------------------------------

intake_required = roles_required(Role.INTAKE, Role.DRAFTER)
submission_staff_required = roles_required(Role.DRAFTER, Role.REVIEWER, Role.MODERATOR, Role.INTAKE)


def get_import_run_or_404(run_id: int) -> Any:
    """A web table import, for the staff member who started it (anyone else: 404, so ids reveal nothing)."""
    from app.models import ImportRun

    run = current_session().get(ImportRun, run_id)
    if run is None or run.staff_id != signed_in_user().id:
        abort(404)
    return run


def get_submission_or_404(tracking_number: str, staff_only: bool = False) -> Any:
    """A submission by its tracking number, if the viewer may see it (staff: any that was sent)."""
    from app.models import Submission
    from app.submissions.visibility import can_view_submission

    number = (tracking_number or "").strip().upper()
    if not number or len(number) > TRACKING_NUMBER_MAX:
        abort(404)
    found = _one_or_404(select(Submission).where(Submission.tracking_number == number))
    if staff_only:
        if found.is_draft:
            abort(404)
        return found
    if not can_view_submission(viewer(), found):
        abort(404)
    return found


# --- engagement events ---------------------------------------------------------------------------------


def get_event_or_404(event_id: int) -> Any:
    """An engagement event, for the staff pages that change it (behind `intake_required`)."""
    from app.models import EngagementEvent

    event = current_session().get(EngagementEvent, event_id)
    if event is None:
        abort(404)
    return event
