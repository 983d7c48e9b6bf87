"""What goes into each rendition: load it, build its HTML, and key it for the cache.

A `Rendition` says which PDF is wanted (kind, cache key, file name) and how to make its HTML. Version,
section and redline keys are computed from the immutable inputs (content hashes, labels, status), the
templates and stylesheets, and the locale, so a cached PDF is found without building any HTML. A comments
report changes whenever a comment does, so its key is the hash of its HTML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defer, selectinload

from app.comments.presenters import UNPUBLISHED_LABEL, author_label
from app.comments.visibility import withheld
from app.models import (
    ANONYMOUS,
    Answer,
    Comment,
    CommentPlacement,
    CommentState,
    DisplayAs,
    PlacementStatus,
    Policy,
    Response,
    ResponseOutcome,
    Section,
    Submission,
    SubmissionState,
    User,
    Version,
    VersionStatus,
)
from app.pdf.sanitise import prepare_html
from app.submissions.visibility import is_public, shown_body_html, shown_name, shown_text

# Bump when the way renditions are built changes in a way the template fingerprint cannot see.
RENDITION_FORMAT = "3"  # 2: untrusted text is prepared by app.pdf.sanitise; 3: consent and redactions
APP_ROOT = Path(__file__).resolve().parent.parent
STYLESHEETS = ("css/print.css", "css/pdf.css")
# Everything that shapes a PDF's look: templates, stylesheets, translations.
FINGERPRINT_GLOBS = (
    "templates/pdf/*.html",
    "templates/diffing/_*.html",
    "static/css/print.css",
    "static/css/pdf.css",
    "translations/*/LC_MESSAGES/*.mo",
)
DOCUMENT_LANGUAGE = "en-NZ"  # the policy text's language (the interface strings may be in te reo Māori)


@dataclass(frozen=True)
class Rendition:
    """One PDF: what it is, its cache key, its file name and how to build its HTML."""

    kind: str
    key: str
    filename: str
    build: Callable[[], str]
    public: bool = True


# --- keys ---------------------------------------------------------------------------------------------


def _files_state() -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        for pattern in FINGERPRINT_GLOBS
        for path in sorted(APP_ROOT.glob(pattern))
    )


@cache
def _fingerprint_of(state: tuple[tuple[str, int, int], ...]) -> str:
    import weasyprint

    digest = hashlib.sha256(f"{RENDITION_FORMAT}|weasyprint {weasyprint.__version__}".encode())
    for name, _mtime, _size in state:
        digest.update(name.removeprefix(str(APP_ROOT)).encode())
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


_fingerprint: str | None = None


def template_fingerprint() -> str:
    """A hash of the templates, stylesheets and translations renditions are made with.

    Computed once per process (a deploy restarts it); re-checked on every call when templates auto-reload.
    """
    global _fingerprint  # noqa: PLW0603 - a per-process memo
    if _fingerprint is None or current_app.debug or current_app.config.get("TEMPLATES_AUTO_RELOAD"):
        _fingerprint = _fingerprint_of(_files_state())
    return _fingerprint


def find_public_version(session: Session, policy_slug: str, version_slug: str) -> Version | None:
    """A published or final version by slugs, without loading the policy's other versions or any Markdown."""
    return session.scalar(
        select(Version)
        .join(Version.policy)
        .where(
            Policy.slug == policy_slug,
            Version.slug == version_slug,
            Version.status != VersionStatus.WORKING.value,
        )
        .options(defer(Version.source_markdown), contains_eager(Version.policy).lazyload(Policy.versions))
    )


def make_key(*parts: object) -> str:
    """The cache key for a rendition: a SHA-256 over its inputs, the templates and the locale."""
    digest = hashlib.sha256(template_fingerprint().encode())
    digest.update(str(get_locale() or "en").encode())
    for part in parts:
        digest.update(b"\x1f" + str(part).encode())
    return digest.hexdigest()


def stylesheets(extra: str = "") -> list[str]:
    """The stylesheet texts every rendition uses: the shared print stylesheet, pdf.css, then `extra`."""
    static = Path(current_app.static_folder or APP_ROOT / "static")
    texts = [(static / name).read_text(encoding="utf-8") for name in STYLESHEETS]
    return [*texts, extra] if extra else texts


def css_string(text: str) -> str:
    """Quote `text` as a CSS string: everything but ASCII letters and digits as a 6-digit escape.

    Six digits, so a following letter is never read as part of the escape; spaces are escaped too, because
    CSS swallows one whitespace after an escape.
    """
    return '"' + "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}" for ch in text) + '"'


def page_css(header_left: str, header_right: str, footer_left: str = "") -> str:
    """The running header, the translated "page X of Y" footer and the draft notice, as a stylesheet."""
    page_of = _("Page %(page)s of %(pages)s", page="\x00page\x00", pages="\x00pages\x00")
    footer = []
    for piece in page_of.split("\x00"):
        if piece in ("page", "pages"):
            footer.append(f"counter({piece})")
        elif piece:
            footer.append(css_string(piece))
    return (
        "@page { "
        f"@top-left {{ content: {css_string(header_left)}; }} "
        f"@top-right {{ content: {css_string(header_right)}; }} "
        f"@bottom-right {{ content: {' '.join(footer)}; }} "
        f"@bottom-left {{ content: {css_string(footer_left)}; }} "
        "} "
        # The cover, always the first page, carries no running header.
        "@page :first { @top-left { content: none; } @top-right { content: none; } }"
    )


def status_text(version: Version) -> str:
    if version.is_final:
        return _("Final")
    if version.is_public:
        return _("Draft for consultation")
    return _("Working version")


def draft_notice(version: Version) -> str:
    """The notice every page of a draft carries; nothing on a final version."""
    return "" if version.is_final else _("Draft — not government policy")


def _safe_filename(*parts: str) -> str:
    text = "-".join(p for p in parts if p)
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)[:150] + ".pdf"


# --- version and section -------------------------------------------------------------------------------


def _version_identity(version: Version) -> tuple[object, ...]:
    # Everything about a version that its PDF shows; versions are immutable but their status can become final.
    return (
        version.id,
        version.content_hash,
        version.policy.title,
        version.label,
        version.status,
        version.published_on,
        version.comments_open_at,
        version.comments_close_at,
        version.change_note,
    )


def _load_sections(session: Session, version: Version, section: Section | None = None) -> list[Section]:
    query = (
        select(Section)
        .where(Section.version_id == version.id)
        .order_by(Section.position)
        .options(selectinload(Section.clauses))
    )
    if section is not None:
        query = query.where(Section.id == section.id)
    return list(session.scalars(query))


def _document_html(version: Version, sections: list[Section], section: Section | None) -> str:
    title = version.policy.title
    if section is not None:
        title = f"{section.number}. {section.heading} — {title}"
    header_right = (
        version.label if section is None else f"{version.label} · {section.number}. {section.heading}"
    )
    return prepare_html(
        render_template(
            "pdf/version.html",
            version=version,
            sections=sections,
            section=section,
            doc_title=f"{title} ({version.label})",
            lang=DOCUMENT_LANGUAGE,
            status=status_text(version),
            page_css=page_css(version.policy.title, header_right, draft_notice(version)),
            clause_count=sum(len(s.clauses) for s in sections),
        )
    )


def version_rendition(session: Session, version: Version) -> Rendition:
    """The whole version as a PDF: cover, contents with page numbers, every section and clause."""
    return Rendition(
        kind="version",
        key=make_key("version", *_version_identity(version)),
        filename=_safe_filename(version.policy.slug, version.slug),
        build=lambda: _document_html(version, _load_sections(session, version), None),
    )


def section_rendition(session: Session, version: Version, section: Section) -> Rendition:
    """One section of a version as a PDF (small enough to render inside the request)."""
    return Rendition(
        kind="section",
        key=make_key("section", section.key, *_version_identity(version)),
        filename=_safe_filename(version.policy.slug, version.slug, section.key),
        build=lambda: _document_html(version, _load_sections(session, version, section), section),
    )


# --- redline -----------------------------------------------------------------------------------------


def redline_rendition(
    session: Session, old: Version, new: Version, redis_url: str | None = None
) -> Rendition:
    """The changes from `old` to `new`: the summary first, then the inline redline."""
    from app.diffing.services import compare_versions

    def build() -> str:
        view = compare_versions(session, old, new, redis_url)
        return prepare_html(
            render_template(
                "pdf/redline.html",
                old=old,
                new=new,
                view=view,
                policy=new.policy,
                doc_title=_(
                    "%(title)s: changes from %(old)s to %(new)s",
                    title=new.policy.title,
                    old=old.label,
                    new=new.label,
                ),
                lang=DOCUMENT_LANGUAGE,
                page_css=page_css(new.policy.title, f"{old.label} → {new.label}", draft_notice(new)),
            )
        )

    return Rendition(
        kind="redline",
        key=make_key("redline", *_version_identity(old), *_version_identity(new)),
        filename=_safe_filename(new.policy.slug, "changes", old.slug, "to", new.slug),
        build=build,
    )


# --- comments report -------------------------------------------------------------------------------------

STATE_LABELS = {
    CommentState.PUBLISHED.value: _l("Published"),
    CommentState.HELD.value: _l("Held for moderation"),
    CommentState.HIDDEN.value: _l("Hidden by a moderator"),
    CommentState.WITHDRAWN.value: _l("Withdrawn by its author"),
}
PLACEMENT_LABELS = {
    PlacementStatus.ORIGINAL.value: _l("Made on this version"),
    PlacementStatus.UNCHANGED.value: _l("Carried forward: text unchanged"),
    PlacementStatus.MOVED.value: _l("Carried forward: clause moved"),
    PlacementStatus.TEXT_CHANGED.value: _l("Carried forward: text changed"),
    PlacementStatus.ORPHANED.value: _l("Carried forward: the text it was about is gone"),
    PlacementStatus.NEEDS_REVIEW.value: _l("Carried forward: placement being checked"),
}
OUTCOME_LABELS = {
    ResponseOutcome.ACCEPTED.value: _l("Accepted"),
    ResponseOutcome.PARTLY.value: _l("Partly accepted"),
    ResponseOutcome.NOT_ACCEPTED.value: _l("Not accepted"),
    ResponseOutcome.NOTED.value: _l("Noted"),
}


@dataclass
class ReportResponse:
    outcome: str
    text: str


@dataclass
class ReportComment:
    """A comment as the report shows it; personal details are filled in only for the staff report."""

    tracking_number: str
    author: str
    email: str | None
    created_at: dt.datetime
    body_html: str
    state: str
    state_label: str
    moderation_reason: str | None
    placement: str
    origin_label: str | None
    quote: str | None
    response: ReportResponse | None = None
    replies: list[ReportComment] = field(default_factory=list)
    campaign_size: int = 0


@dataclass
class ReportClause:
    number: str
    key: str
    text: str
    comments: list[ReportComment] = field(default_factory=list)


@dataclass
class ReportSection:
    number: str
    heading: str
    key: str
    clauses: list[ReportClause] = field(default_factory=list)
    heading_mi: str | None = None

    @property
    def comment_count(self) -> int:
        return sum(len(c.comments) for c in self.clauses)


@dataclass
class ReportSubmission:
    """A whole-version submission as the report shows it: named, worded and redacted as on the site."""

    tracking_number: str
    author: str  # the name or the organisation and its kind, as its maker's consent allows (staff: as given)
    organisation: bool
    confirmed: bool
    channel: str
    received: dt.datetime
    body_html: str
    answers: list[tuple[str, str]]  # (question, answer as shown)
    state_label: str | None  # staff only: held, hidden, "not for publication"
    email: str | None = None  # staff only


@dataclass
class CommentsReport:
    """Everything a comments report shows, computed before the template sees it."""

    staff: bool
    totals: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]
    sections: list[ReportSection]
    orphaned: list[ReportComment]
    submissions: list[ReportSubmission] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.orphaned and not self.submissions and not any(s.comment_count for s in self.sections)


class _StaffReader:
    """The reader of the staff report: sees every contribution and every name, as staff do on the site (so the
    report reads through `app.submissions.visibility` like a page, not through a copy of its rules)."""

    is_authenticated = True
    sees_everything = True
    id = None

    def has_role(self, *roles: str) -> bool:
        return True


def _answer_text(reader: Any, answer: Answer) -> str:
    from app.submissions.presenters import option_label

    if answer.text is not None:
        return shown_text(reader, answer)
    return ", ".join(option_label(answer.question.kind, choice) for choice in answer.choices)


def report_submissions(session: Session, version: Version, staff: bool) -> tuple[list[ReportSubmission], int]:
    """The version's submissions the report shows (the public one: published and agreed to be published), and
    how many received ones its makers asked us not to publish (counted in public totals, never shown)."""
    from app.submissions.presenters import CHANNEL_LABELS
    from app.submissions.presenters import STATE_LABELS as SUBMISSION_STATES

    reader: Any = _StaffReader() if staff else ANONYMOUS
    rows = list(
        session.scalars(
            select(Submission)
            .where(Submission.version_id == version.id, Submission.state != SubmissionState.DRAFT.value)
            .options(
                selectinload(Submission.answers).selectinload(Answer.question),
                selectinload(Submission.redactions),
                selectinload(Submission.user),
            )
            .order_by(Submission.submitted_at, Submission.id)
        )
    )
    unpublished = sum(1 for s in rows if s.state == SubmissionState.PUBLISHED.value and not s.may_publish)
    shown: list[ReportSubmission] = []
    for submission in rows:
        if not staff and not is_public(submission):
            continue
        label = None
        if staff and submission.state != SubmissionState.PUBLISHED.value:
            label = str(SUBMISSION_STATES.get(submission.state, submission.state))
        elif staff and not submission.may_publish:
            label = str(UNPUBLISHED_LABEL)
        answers = sorted(submission.answers, key=lambda a: a.question.position)
        shown.append(
            ReportSubmission(
                tracking_number=submission.tracking_number,
                author=shown_name(reader, submission),
                organisation=submission.is_organisation,
                confirmed=submission.organisation_confirmed_at is not None,
                channel=str(CHANNEL_LABELS.get(submission.channel, submission.channel)),
                received=submission.submitted_at or submission.created_at,
                body_html=shown_body_html(reader, submission) if submission.body else "",
                answers=[(a.question.prompt, _answer_text(reader, a)) for a in answers],
                state_label=label,
                email=(submission.user.email if submission.user else submission.submitter_contact)
                if staff
                else None,
            )
        )
    return shown, unpublished


def _author(comment: Comment, staff: bool) -> tuple[str, str | None]:
    user: User | None = comment.user
    if not staff:
        return author_label(comment), None  # the same label as on the site
    if user is None:
        return _("Anonymous (account deleted)"), None
    name = user.display_name
    if comment.display_as == DisplayAs.PRIVATE.value:
        name = _("%(name)s (not for publication: the author’s choice)", name=name)
    elif comment.display_as != DisplayAs.NAME.value:
        name = _("%(name)s (shown publicly as anonymous)", name=name)
    return name, user.email


def _visible(comment: Comment, staff: bool) -> bool:
    """The rule of `app.comments.visibility` for the staff report (everything) and the public one."""
    return staff or (comment.state == CommentState.PUBLISHED.value and not withheld(ANONYMOUS, comment))


def _withheld_count(comments: Iterable[Comment]) -> int:
    """Published comments whose authors asked us not to publish them: counted in public totals, never shown."""
    return sum(1 for c in comments if c.state == CommentState.PUBLISHED.value and not c.may_publish)


def build_comments_report(session: Session, version: Version, staff: bool) -> CommentsReport:
    """Gather a version's comments (made on it or carried into it) by section and clause, with totals."""
    sections = _load_sections(session, version)
    by_key: dict[str, ReportClause] = {}
    report_sections = []
    for section in sections:
        rs = ReportSection(section.number, section.heading, section.key, heading_mi=section.heading_mi)
        for clause in section.clauses:
            rc = ReportClause(clause.number, clause.key, clause.text)
            rs.clauses.append(rc)
            by_key[clause.key] = rc
        report_sections.append(rs)

    own = list(
        session.scalars(
            select(Comment)
            .where(Comment.version_id == version.id)
            .options(selectinload(Comment.user), selectinload(Comment.clause))
            .order_by(Comment.created_at, Comment.id)
        )
    )
    placements = {
        p.comment_id: p
        for p in session.scalars(select(CommentPlacement).where(CommentPlacement.version_id == version.id))
    }
    carried_ids = [cid for cid in placements if cid not in {c.id for c in own}]
    carried = (
        list(
            session.scalars(
                select(Comment)
                .where(Comment.id.in_(carried_ids), Comment.parent_id.is_(None))
                .options(selectinload(Comment.user), selectinload(Comment.version))
                .order_by(Comment.created_at, Comment.id)
            )
        )
        if carried_ids
        else []
    )
    replies_of: dict[int, list[Comment]] = defaultdict(list)
    if own or carried:
        for reply in session.scalars(
            select(Comment)
            .where(Comment.parent_id.in_([c.id for c in own + carried]))
            .options(selectinload(Comment.user))
            .order_by(Comment.created_at, Comment.id)
        ):
            replies_of[reply.parent_id].append(reply)  # type: ignore[index]
    top = [c for c in own if c.parent_id is None] + carried
    unpublished = 0 if staff else _withheld_count(top)
    top = [c for c in top if _visible(c, staff)]
    responses = _responses(session, top)

    def as_report(comment: Comment) -> ReportComment:
        author, email = _author(comment, staff)
        placement = placements.get(comment.id)
        status = placement.status if placement is not None else PlacementStatus.ORIGINAL.value
        quote = (
            placement.quote_exact if placement is not None and status != "original" else comment.quote_exact
        )
        response = responses.get(("comment", comment.id)) or (
            responses.get(("group", comment.campaign_group_id)) if comment.campaign_group_id else None
        )
        return ReportComment(
            tracking_number=comment.tracking_number,
            author=author,
            email=email,
            created_at=comment.created_at,
            body_html=comment.body_html if staff else shown_body_html(ANONYMOUS, comment),
            state=comment.state,
            state_label=str(STATE_LABELS.get(comment.state, comment.state)),
            moderation_reason=comment.moderation_reason if staff else None,
            placement=str(PLACEMENT_LABELS.get(status, status)),
            origin_label=comment.version.label if comment.version_id != version.id else None,
            quote=quote,
            response=response,
            replies=[as_report(r) for r in replies_of.get(comment.id, []) if _visible(r, staff)],
        )

    orphaned: list[ReportComment] = []
    campaigns: dict[int, ReportComment] = {}
    counts: Counter[str] = Counter()
    authors: set[int] = set()
    for comment in top:
        counts["comments"] += 1
        counts[f"state:{comment.state}"] += 1
        if comment.user_id is not None:
            authors.add(comment.user_id)
        if comment.campaign_group_id is not None and comment.campaign_group_id in campaigns:
            campaigns[comment.campaign_group_id].campaign_size += 1
            continue
        item = as_report(comment)
        if comment.campaign_group_id is not None:
            item.campaign_size = 1
            campaigns[comment.campaign_group_id] = item
        placement = placements.get(comment.id)
        clause_key = (
            placement.clause_key
            if placement is not None and comment.version_id != version.id
            else comment.clause.key
        )
        target = by_key.get(clause_key) if clause_key else None
        (target.comments if target is not None else orphaned).append(item)
        counts["replies"] += len(item.replies)
        if comment.version_id != version.id:
            counts["carried"] += 1
    outcome_counts = Counter(r.outcome for r in responses.values())

    totals = [
        (_("Comments"), counts["comments"]),
        (_("People who commented"), len(authors)),
        (_("Replies"), counts["replies"]),
        (_("Campaign groups"), len(campaigns)),
        (_("Comments in campaign groups"), sum(c.campaign_size for c in campaigns.values())),
        (_("Carried forward from earlier versions"), counts["carried"]),
        (_("Responses from the drafters"), len(responses)),
    ]
    if unpublished:
        totals.insert(1, (_("Received but not published, as their authors asked"), unpublished))
    submissions, unpublished_submissions = report_submissions(session, version, staff)
    # The staff report lists the unpublished ones too; the public one counts them without showing them.
    counted = len(submissions) + (0 if staff else unpublished_submissions)
    totals.append((_("Submissions on the whole version"), counted))
    if unpublished_submissions:
        totals.append(
            (_("Submissions received but not published, as their makers asked"), unpublished_submissions)
        )
    if staff:
        totals += [(str(label), counts[f"state:{state}"]) for state, label in STATE_LABELS.items()]
    return CommentsReport(
        staff=staff,
        totals=totals,
        outcomes=[(str(label), outcome_counts[str(label)]) for label in OUTCOME_LABELS.values()],
        sections=report_sections,
        orphaned=orphaned,
        submissions=submissions,
    )


def _responses(session: Session, comments: Iterable[Comment]) -> dict[tuple[str, int], ReportResponse]:
    comment_ids = [c.id for c in comments]
    group_ids = list({c.campaign_group_id for c in comments if c.campaign_group_id is not None})
    if not comment_ids:
        return {}
    found: dict[tuple[str, int], ReportResponse] = {}
    query = select(Response).where(
        Response.comment_id.in_(comment_ids) | Response.campaign_group_id.in_(group_ids or [-1])
    )
    for row in session.scalars(query):
        label = str(OUTCOME_LABELS.get(row.outcome, row.outcome))
        target = (
            ("comment", row.comment_id) if row.comment_id is not None else ("group", row.campaign_group_id)
        )
        found[target] = ReportResponse(label, row.text)  # type: ignore[index]
    return found


def report_rendition(session: Session, version: Version, staff: bool) -> Rendition:
    """A version's comments report; the public one has only published comments and no personal details."""
    report = build_comments_report(session, version, staff)
    title = _("Comments report") if staff else _("Public comments report")
    html = prepare_html(
        render_template(
            "pdf/report.html",
            version=version,
            report=report,
            doc_title=f"{title}: {version.policy.title} ({version.label})",
            heading=title,
            lang=DOCUMENT_LANGUAGE,
            status=status_text(version),
            generated_on=dt.datetime.now(dt.UTC).date(),
            page_css=page_css(version.policy.title, f"{version.label} · {title}", draft_notice(version)),
        )
    )
    kind = "report" if staff else "public-report"
    return Rendition(
        kind=kind,
        key=make_key(kind, hashlib.sha256(html.encode()).hexdigest()),
        filename=_safe_filename(
            version.policy.slug, version.slug, "comments" if staff else "public-comments"
        ),
        build=lambda: html,
        public=not staff,
    )


def planned_renditions(session: Session, policy_slug: str | None = None) -> list[Rendition]:
    """What to render ahead of time: every public version, and the redline between each public version and the next."""
    from app.drafts.services import list_policies

    planned: list[Rendition] = []
    for policy in list_policies(session):
        if policy_slug is not None and policy.slug != policy_slug:
            continue
        public = [v for v in policy.versions if v.is_public]
        planned += [version_rendition(session, v) for v in public]
        planned += [redline_rendition(session, old, new) for old, new in itertools.pairwise(public)]
    return planned
