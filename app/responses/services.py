"""“You said, we did”: drafters answer comments and campaign groups, and say where the change was made."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from app.comments.visibility import publicly_shown
from app.diffing.listing import policy_versions
from app.exceptions import InputError
from app.models import (
    Answer,
    CampaignGroup,
    Clause,
    Comment,
    CommentPlacement,
    CommentState,
    Consent,
    Question,
    Response,
    ResponseOutcome,
    Section,
    Submission,
    SubmissionState,
    User,
    Version,
    audit,
)
from app.models.base import utcnow
from app.notify import events as notify_events
from app.submissions.visibility import public_comment_texts, public_text
from app.text import clean_text

MAX_RESPONSE = 5000
GIST_CHARS = 280
PER_CLAUSE_LIMIT = 50
SUBMISSIONS_LIMIT = 500  # answered submissions (and answered answers) listed on the public page
OUTCOME_LABELS: dict[str, LazyString] = {
    ResponseOutcome.ACCEPTED.value: _l("Accepted"),
    ResponseOutcome.PARTLY.value: _l("Partly accepted"),
    ResponseOutcome.NOT_ACCEPTED.value: _l("Not accepted"),
    ResponseOutcome.NOTED.value: _l("Noted"),
}
CLAUSE_REF_RE = re.compile(r"[\s,;]+")


class ResponseError(InputError):
    """A response that cannot be recorded; the message is safe to show (and translated)."""

    code = "response-refused"


def gist(text: str, limit: int = GIST_CHARS) -> str:
    """The first words of a comment, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def resolve_clause_refs(session: Session, version: Version, refs: str) -> list[str]:
    """Turn “3.2, purpose-1” into clause keys of `version`; unknown references are an error."""
    tokens = [t for t in CLAUSE_REF_RE.split(refs or "") if t]
    if len(tokens) > 50:
        raise ResponseError(_("Name at most 50 clauses."), "clauses")
    rows = session.execute(select(Clause.key, Clause.number).where(Clause.version_id == version.id)).all()
    by_key = {key: key for key, _n in rows}
    by_number = {number: key for key, number in rows}
    keys, unknown = [], []
    for token in tokens:
        key = by_key.get(token) or by_number.get(token)
        if key is None:
            unknown.append(token[:40])
        elif key not in keys:
            keys.append(key)
    if unknown:
        raise ResponseError(
            _(
                "These are not clauses of “%(label)s”: %(refs)s.",
                label=version.label,
                refs=", ".join(unknown),
            ),
            "clauses",
        )
    return keys


def later_versions(session: Session, version: Version) -> list[Version]:
    """The versions after `version` in its policy's chain (working ones too): where a change can have been made."""
    return [
        v
        for v in policy_versions(session, version.policy_id, include_working=True)
        if v.position > version.position
    ]


def find_later_version(session: Session, version: Version, version_id: str) -> Version | None:
    """The later version a response form names by id ("" for none); any other id is refused (400)."""
    if not version_id:
        return None
    found = next((v for v in later_versions(session, version) if str(v.id) == version_id), None)
    if found is None:
        # Only a tampered form names a version that is not in its list.
        raise ResponseError(_("Choose a later version of this policy."), "changed_in", status=400)
    return found


def record_response(
    session: Session,
    actor: User,
    target: Answerable,
    outcome: str,
    text: str,
    changed_in_id: str,
    clause_refs: str,
) -> Response:
    """Record the response a drafter sent with the form: `changed_in_id` is the chosen version's id, or ""."""
    version = session.get(Version, _target_of(target)[2])
    if version is None:  # the foreign key makes this impossible; keep the type checker honest
        raise ResponseError(_("That comment's version no longer exists."))
    changed_in = find_later_version(session, version, changed_in_id)
    return respond(session, actor, target, outcome, text, changed_in, clause_refs)


def checked_response(
    session: Session,
    version: Version,
    outcome: str,
    text: str,
    changed_in: Version | None,
    clause_refs: str,
) -> tuple[str, list[str]]:
    """A response's text and changed clause keys, checked; raises what is wrong (nothing is written)."""
    if outcome not in OUTCOME_LABELS:
        raise ResponseError(
            _("Choose what was done: accepted, partly accepted, not accepted or noted."), "outcome"
        )
    text = clean_text(text, _("the response"), MAX_RESPONSE, field="text", required=False)
    if not text:
        raise ResponseError(_("Write the response: what was done and why."), "text")
    keys: list[str] = []
    if changed_in is not None:
        if changed_in.policy_id != version.policy_id or changed_in.position <= version.position:
            raise ResponseError(_("The change must be in a later version of the same policy."), "changed_in")
        keys = resolve_clause_refs(session, changed_in, clause_refs)
    elif (clause_refs or "").strip():
        raise ResponseError(_("Choose the version the clauses are in."), "changed_in")
    return text, keys


Answerable = Comment | CampaignGroup | Submission | Answer


def _target_of(target: Answerable) -> tuple[str, InstrumentedAttribute[int | None], int]:
    """The audit name, the Response column and the version id of what a response answers."""
    if isinstance(target, Comment):
        return "comment", Response.comment_id, target.version_id
    if isinstance(target, CampaignGroup):
        return "campaign_group", Response.campaign_group_id, target.version_id
    if isinstance(target, Submission):
        return "submission", Response.submission_id, target.version_id
    return "answer", Response.answer_id, target.submission.version_id


def respond(
    session: Session,
    actor: User,
    target: Answerable,
    outcome: str,
    text: str,
    changed_in: Version | None,
    clause_refs: str,
) -> Response:
    """Record (or update) the drafters' response to a comment, a campaign group, a submission or an answer."""
    kind, column, version_id = _target_of(target)
    version = session.get(Version, version_id)
    if version is None:  # the foreign key makes this impossible; keep the type checker honest
        raise ResponseError(_("That comment's version no longer exists."))
    text, keys = checked_response(session, version, outcome, text, changed_in, clause_refs)
    response = session.scalar(select(Response).where(column == target.id))
    if response is None:
        response = Response(version_id=version.id, **{column.key: target.id})
        session.add(response)
    else:
        response.updated_at = utcnow()
    response.outcome = outcome
    response.text = text
    response.changed_in_version_id = changed_in.id if changed_in is not None else None
    response.changed_clause_keys = keys
    response.author_id = actor.id
    session.flush()
    audit(
        session,
        actor,
        "response.record",
        kind,
        target.id,
        outcome=outcome,
        changed_in=changed_in.id if changed_in is not None else None,
        clauses=keys,
    )
    session.flush()
    notify_events.response_recorded(session, response)
    return response


def responses_of_submission(session: Session, submission: Submission) -> dict[str, Response]:
    """The responses to a submission ("submission") and to its answers ("answer:<id>"), for its receipt."""
    answer_ids = [a.id for a in submission.answers]
    rows = session.scalars(
        select(Response).where(
            (Response.submission_id == submission.id) | Response.answer_id.in_(answer_ids or [-1])
        )
    )
    return {("submission" if r.submission_id is not None else f"answer:{r.answer_id}"): r for r in rows}


# --- what readers see ------------------------------------------------------------------------------------


def in_force() -> ColumnElement[bool]:
    """SQL: the responses readers are shown, leaving out those a campaign merge set aside (they stay on the
    merged-away group's row for staff: `campaign_edits.set_aside_responses`). Every public list of responses
    (page, feed, API, exports) filters with it."""
    merged = select(CampaignGroup.id).where(CampaignGroup.merged_into_id.is_not(None))
    return or_(Response.campaign_group_id.is_(None), Response.campaign_group_id.not_in(merged))


def _public_submission() -> ColumnElement[bool]:
    """SQL: the submissions whose words the public reads (`submissions.visibility.is_public`, as a query)."""
    return and_(
        Submission.state == SubmissionState.PUBLISHED.value, Submission.consent != Consent.PRIVATE.value
    )


def names_public_target() -> ColumnElement[bool]:
    """SQL: the responses whose target the public may read, as the public page lists them. A response to a
    submission, or to a free-text answer of one, is shown only while that submission is published and its maker
    agreed to publish it (a response to any other would name a submission the public cannot read, so it is left
    out); one to a comment or a campaign group passes, named by its tracking number or group as before. The API's
    list of responses filters with it beside `in_force()`."""
    submission = select(Submission.id).where(Submission.id == Response.submission_id, _public_submission())
    answer = (
        select(Answer.id)
        .join(Submission, Submission.id == Answer.submission_id)
        .where(Answer.id == Response.answer_id, Answer.text.is_not(None), _public_submission())
    )
    return or_(
        and_(Response.submission_id.is_(None), Response.answer_id.is_(None)),
        submission.exists(),
        answer.exists(),
    )


def target_kind(comment_id: int | None, submission_id: int | None, answer_id: int | None) -> str:
    """What a response answers, by the ids it holds: "comment", "submission", "answer" (a free-text answer to a
    question) or "campaign_group" — the words of the responses export's `to_kind` and the API's."""
    if comment_id is not None:
        return "comment"
    if submission_id is not None:
        return "submission"
    if answer_id is not None:
        return "answer"
    return "campaign_group"


@dataclass(frozen=True)
class ResponseCard:
    """A response as pages show it."""

    outcome: str
    outcome_label: str
    text: str
    changed_in: Version | None
    clause_keys: tuple[str, ...]


def card(response: Response) -> ResponseCard:
    return ResponseCard(
        outcome=response.outcome,
        outcome_label=str(OUTCOME_LABELS.get(response.outcome, response.outcome)),
        text=response.text,
        changed_in=response.changed_in_version,
        clause_keys=tuple(response.changed_clause_keys or ()),
    )


def response_for_comment(session: Session, comment: Comment) -> Response | None:
    """The response to a comment: its own, else its campaign group's."""
    own = session.scalar(select(Response).where(Response.comment_id == comment.id))
    if own is not None or comment.campaign_group_id is None:
        return own
    return session.scalar(select(Response).where(Response.campaign_group_id == comment.campaign_group_id))


@dataclass
class AskedItem:
    """One thing asked on a clause: a comment, or a campaign group counted once."""

    gist: str
    count: int
    tracking_number: str | None
    response: ResponseCard | None


@dataclass
class ClauseAsks:
    """What was asked about one clause, how many asked, and what was done."""

    clause: Clause
    section_number: str
    section_heading: str
    people: int = 0
    items: list[AskedItem] = field(default_factory=list)
    more: int = 0

    @property
    def answered(self) -> int:
        return sum(1 for item in self.items if item.response is not None)


def responses_page(session: Session, version: Version) -> list[ClauseAsks]:
    """Clause by clause, what published comments on `version` asked and what the drafters did."""
    comments = session.execute(
        select(
            Comment.id,
            Comment.clause_id,
            Comment.campaign_group_id,
            Comment.body,
            Comment.tracking_number,
            Comment.redaction_count,
        )
        .where(
            Comment.version_id == version.id,
            Comment.parent_id.is_(None),
            publicly_shown(),
        )
        .order_by(Comment.id)
    ).all()
    if not comments:
        return []
    responses = session.scalars(select(Response).where(Response.version_id == version.id)).all()
    by_comment = {r.comment_id: r for r in responses if r.comment_id is not None}
    by_group = {r.campaign_group_id: r for r in responses if r.campaign_group_id is not None}
    clauses = {
        clause.id: (clause, number, heading)
        for clause, number, heading in session.execute(
            select(Clause, Section.number, Section.heading)
            .join(Section, Section.id == Clause.section_id)
            .where(Clause.version_id == version.id)
        )
    }
    asks: dict[int, ClauseAsks] = {}
    group_items: dict[int, AskedItem] = {}
    redacted = public_comment_texts(session, [row.id for row in comments if row.redaction_count])
    for comment_id, clause_id, group_id, written, tracking, _redactions in comments:
        body = redacted.get(comment_id, written)
        clause, number, heading = clauses[clause_id]
        entry = asks.setdefault(clause_id, ClauseAsks(clause, number, heading))
        entry.people += 1
        if group_id is not None and group_id in group_items:
            group_items[group_id].count += 1
            continue
        response = by_comment.get(comment_id) or (by_group.get(group_id) if group_id is not None else None)
        item = AskedItem(gist(body), 1, tracking, card(response) if response is not None else None)
        if group_id is not None:
            item.tracking_number = None
            group_items[group_id] = item
        entry.items.append(item)
    ordered = sorted(asks.values(), key=lambda a: (a.clause.section.position, a.clause.position))
    for entry in ordered:
        # Most asked first, answered before unanswered; long lists are cut (the counts stay whole).
        entry.items.sort(key=lambda i: (-i.count, i.response is None))
        entry.more = max(0, len(entry.items) - PER_CLAUSE_LIMIT)
        entry.items = entry.items[:PER_CLAUSE_LIMIT]
    return ordered


@dataclass
class QuestionAsks:
    """What people wrote in answer to one question, and what was done: answered answers only."""

    question: Question
    items: list[AskedItem] = field(default_factory=list)


@dataclass
class SubmissionAsks:
    """The answered whole-version submissions and free-text answers the public may read, for the page."""

    submissions: list[AskedItem] = field(default_factory=list)
    questions: list[QuestionAsks] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.submissions or self.questions)


def submission_responses(
    session: Session, version: Version, limit: int = SUBMISSIONS_LIMIT
) -> SubmissionAsks:
    """The responses to whole-version submissions and free-text answers on `version` that the public may read.

    Only published submissions whose makers agreed to publish them are listed (as comments: one the public
    cannot read is not there at all), each with its words as the public reads them (redacted passages
    replaced); a response to any other submission or answer is left out here, so it reveals nothing.
    """
    found = SubmissionAsks()
    if not version.is_public:
        return found
    answered_submissions = session.execute(
        select(Submission, Response)
        .join(Response, Response.submission_id == Submission.id)
        .where(Submission.version_id == version.id, _public_submission())
        .order_by(Submission.id)
        .limit(limit)
        .options(selectinload(Submission.redactions), selectinload(Response.changed_in_version))
    ).all()
    for submission, response in answered_submissions:
        found.submissions.append(
            AskedItem(gist(public_text(submission)), 1, submission.tracking_number, card(response))
        )
    answered_answers = session.execute(
        select(Answer, Response, Question, Submission.tracking_number)
        .join(Response, Response.answer_id == Answer.id)
        .join(Submission, Submission.id == Answer.submission_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Submission.version_id == version.id, _public_submission(), Answer.text.is_not(None))
        .order_by(Question.position, Answer.id)
        .limit(limit)
        .options(selectinload(Answer.redactions), selectinload(Response.changed_in_version))
    ).all()
    by_question: dict[int, QuestionAsks] = {}
    for answer, response, question, tracking in answered_answers:
        entry = by_question.get(question.id)
        if entry is None:
            entry = by_question[question.id] = QuestionAsks(question)
            found.questions.append(entry)
        entry.items.append(AskedItem(gist(public_text(answer)), 1, tracking, card(response)))
    return found


@dataclass(frozen=True)
class ChangeNote:
    """A response that led to a change, shown beside that change on the compare page."""

    card: ResponseCard
    gist: str
    count: int
    tracking_number: str | None
    version_label: str


def responses_by_clause(session: Session, old: Version, new: Version) -> dict[str, list[ChangeNote]]:
    """Responses whose change was made between `old` and `new`, by the clause keys they name."""
    low, high = sorted((old.position, new.position))
    if low == high:
        return {}
    changed_in = list(
        session.scalars(
            select(Version.id).where(
                Version.policy_id == old.policy_id, Version.position > low, Version.position <= high
            )
        )
    )
    # Constant statements however many responses: their comments and groups in one go each, and each group's
    # representative (kept on the group) in one more.
    rows = session.scalars(
        select(Response)
        .where(Response.changed_in_version_id.in_(changed_in))
        .options(selectinload(Response.comment), selectinload(Response.campaign_group))
    ).all()
    wanted = [r.campaign_group.representative_id for r in rows if r.campaign_group is not None]
    representatives = {
        c.id: c
        for c in session.scalars(select(Comment).where(Comment.id.in_([i for i in wanted if i is not None])))
    }
    notes: dict[str, list[ChangeNote]] = defaultdict(list)
    for response in rows:
        if response.comment is not None:
            comment = response.comment
            if comment.state != CommentState.PUBLISHED.value or not comment.may_publish:
                continue
            text, count, tracking = public_text(comment), 1, comment.tracking_number
        elif response.campaign_group is not None:
            first = representatives.get(response.campaign_group.representative_id or 0)
            if first is None:
                continue
            text, count, tracking = public_text(first), response.campaign_group.member_count, None
        else:
            continue
        version = session.get(Version, response.version_id)
        note = ChangeNote(card(response), gist(text, 200), count, tracking, version.label if version else "")
        for key in response.changed_clause_keys or ():
            notes[key].append(note)
    return dict(notes)


# --- the drafters' list -----------------------------------------------------------------------------------


@dataclass
class DrafterItem:
    """A comment or campaign group on a version, for a drafter to answer."""

    comment: Comment
    clause_number: str
    count: int
    response: Response | None
    group_id: int | None


def comments_to_answer(session: Session, version: Version, limit: int = 500) -> list[DrafterItem]:
    """The version's top-level comments (a campaign group once), by clause, with any response."""
    rows = session.execute(
        select(Comment, Clause.number)
        .join(Clause, Clause.id == Comment.clause_id)
        .join(Section, Section.id == Clause.section_id)
        .where(
            Comment.version_id == version.id,
            Comment.parent_id.is_(None),
            Comment.state != CommentState.WITHDRAWN.value,
        )
        .order_by(Section.position, Clause.position, Comment.id)
        .limit(limit * 4)
    ).all()
    responses = session.scalars(select(Response).where(Response.version_id == version.id)).all()
    by_comment = {r.comment_id: r for r in responses if r.comment_id is not None}
    by_group = {r.campaign_group_id: r for r in responses if r.campaign_group_id is not None}
    items: list[DrafterItem] = []
    groups: dict[int, DrafterItem] = {}
    for comment, number in rows:
        group_id = comment.campaign_group_id
        if group_id is not None and group_id in groups:
            groups[group_id].count += 1
            continue
        response = by_group.get(group_id) if group_id is not None else by_comment.get(comment.id)
        item = DrafterItem(comment, number, 1, response, group_id)
        if group_id is not None:
            groups[group_id] = item
        items.append(item)
    return items[:limit]


def latest_placement(session: Session, comment_id: int) -> CommentPlacement | None:
    return session.scalar(
        select(CommentPlacement)
        .join(Version, Version.id == CommentPlacement.version_id)
        .where(CommentPlacement.comment_id == comment_id)
        .order_by(Version.position.desc())
        .limit(1)
    )


def group_size(session: Session, group_id: int) -> int:
    return session.scalar(select(func.count()).where(Comment.campaign_group_id == group_id)) or 0


def existing_response(session: Session, target: Comment | CampaignGroup) -> Response | None:
    """The response already recorded for a comment or a campaign group, if any."""
    if isinstance(target, Comment):
        return session.scalar(select(Response).where(Response.comment_id == target.id))
    return session.scalar(select(Response).where(Response.campaign_group_id == target.id))


def first_member(session: Session, group: CampaignGroup) -> Comment | None:
    """The first comment of a campaign group: the one its respond page shows."""
    return session.scalar(
        select(Comment).where(Comment.campaign_group_id == group.id).order_by(Comment.id).limit(1)
    )


def comment_to_answer(session: Session, version: Version, comment_id: int) -> Comment | None:
    """A top-level comment on `version` (replies are not answered one by one)."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.version_id != version.id or comment.parent_id is not None:
        return None
    return comment


def group_to_answer(session: Session, version: Version, group_id: int) -> CampaignGroup | None:
    """A campaign group of comments on `version`."""
    group = session.get(CampaignGroup, group_id)
    return group if group is not None and group.version_id == version.id else None
